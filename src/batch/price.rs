//! Batch prices: both providers charge half the list price for batch requests (OpenAI:
//! platform.openai.com/docs/guides/batch, "50% cost discount"; Anthropic:
//! docs.anthropic.com/en/docs/build-with-claude/batch-processing, "50% of standard API
//! prices").

use crate::models::{self, ModelInfo};
use crate::provider::Usage;

/// The share of the list price a batch request costs.
pub const BATCH_DISCOUNT: f64 = 0.5;

/// The cost of one batch request in USD; `None` when a price is unknown.
pub fn batch_cost(info: &ModelInfo, usage: &Usage) -> Option<f64> {
    models::cost(info, usage).map(|c| c * BATCH_DISCOUNT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_list_price() {
        let info = ModelInfo {
            input_price: Some(2.0),
            output_price: Some(8.0),
            ..ModelInfo::default()
        };
        let usage = Usage::new(1_000_000, 500_000);
        assert_eq!(models::cost(&info, &usage), Some(6.0));
        assert_eq!(batch_cost(&info, &usage), Some(3.0));
        let builtin =
            models::lookup("gpt-4o-mini", &Default::default(), &Default::default()).unwrap();
        let c = batch_cost(&builtin, &usage).unwrap();
        assert!((c - (0.15 + 0.30) / 2.0).abs() < 1e-12, "{c}");
        let unknown = ModelInfo::default();
        assert_eq!(batch_cost(&unknown, &usage), None);
    }
}
