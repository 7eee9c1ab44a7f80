//! Models: aliases, the token estimator, context windows and prices.

use std::collections::BTreeMap;

/// Tokens in a text of `bytes` bytes, estimated at four bytes a token (rounded up), the
/// usual rule of thumb for English prose and code with BPE tokenizers.
pub fn estimate_tokens_len(bytes: usize) -> u64 {
    bytes.div_ceil(4) as u64
}

/// Resolves an alias (config `[aliases]`) to the model name sent on the wire.
pub fn resolve_alias<'a>(name: &'a str, aliases: &'a BTreeMap<String, String>) -> &'a str {
    aliases.get(name).map(String::as_str).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_rounds_up() {
        assert_eq!(estimate_tokens_len(0), 0);
        assert_eq!(estimate_tokens_len(1), 1);
        assert_eq!(estimate_tokens_len(8), 2);
    }
}
