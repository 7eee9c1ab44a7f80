//! Models: lookup in the providers' built-in tables (context windows, output limits,
//! prices), aliases, `[models.NAME]` tables from the config, the token estimator and cost.

use std::collections::BTreeMap;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::error::usage;
use crate::message::Message;
use crate::provider::{self, ModelSpec, ProviderRef, Usage};
use crate::settings::{KeySource, ModelConfig};

/// Everything known about the model of one call.
#[derive(Clone, Debug, Default)]
pub struct ModelInfo {
    /// The name after alias resolution (a `[models.NAME]` key or a model name).
    pub name: String,
    /// The name sent on the wire.
    pub wire_name: String,
    /// The provider the model's table or a built-in table names, if any.
    pub provider: Option<ProviderRef>,
    pub base_url: Option<String>,
    pub key: Option<KeySource>,
    /// The variable named by `api_key_env`, for the error when it is unset.
    pub key_env: Option<String>,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// USD per million input tokens.
    pub input_price: Option<f64>,
    /// USD per million output tokens.
    pub output_price: Option<f64>,
    /// The model's default request parameters.
    pub params: Map<String, Value>,
    /// Where the description came from: `built-in`, `config` or `-` (unknown model).
    pub origin: &'static str,
}

/// Drops a dated or `-latest` suffix: `gpt-4.1-2025-04-14`, `claude-sonnet-4-20250514`,
/// `claude-3-5-haiku-latest` name the same prices as their undated names.
fn undated(name: &str) -> &str {
    let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some(base) = name.strip_suffix("-latest") {
        return base;
    }
    if let Some((base, date)) = name.rsplit_once('-')
        && date.len() == 8
        && is_digits(date)
    {
        return base;
    }
    let parts: Vec<&str> = name.rsplitn(4, '-').collect();
    match parts[..] {
        [d, m, y, base]
            if y.len() == 4
                && m.len() == 2
                && d.len() == 2
                && [d, m, y].iter().all(|p| is_digits(p)) =>
        {
            base
        }
        _ => name,
    }
}

type Builtin = (ProviderRef, &'static ModelSpec);

fn builtin(name: &str) -> Option<Builtin> {
    let key = undated(name);
    provider::builtin_models()
        .find(|(_, b)| b.names.iter().any(|n| *n == name || undated(n) == key))
}

fn from_builtin(name: &str, found: Option<Builtin>) -> ModelInfo {
    let b = found.map(|(_, b)| b);
    ModelInfo {
        name: name.to_string(),
        wire_name: name.to_string(),
        provider: found.map(|(p, _)| p),
        context_window: b.and_then(|b| b.window),
        max_output_tokens: b.and_then(|b| b.max_output),
        input_price: b.map(|b| b.input_price),
        output_price: b.map(|b| b.output_price),
        origin: if b.is_some() { "built-in" } else { "-" },
        ..ModelInfo::default()
    }
}

/// Follows aliases (an alias may name another alias) to a model name.
pub fn resolve_alias(name: &str, aliases: &BTreeMap<String, String>) -> Result<String> {
    let mut seen = vec![name.to_string()];
    let mut current = name.to_string();
    while let Some(next) = aliases.get(&current) {
        if seen.contains(next) {
            seen.push(next.clone());
            return Err(
                usage(format!("model aliases form a loop: {}", seen.join(" -> ")))
                    .hint("fix [aliases] in the config or the cellmage_models.yml file")
                    .into(),
            );
        }
        seen.push(next.clone());
        current = next.clone();
    }
    Ok(current)
}

/// The model a name stands for: aliases followed, then its `[models.NAME]` table over the
/// built-in description of its wire name.
pub fn lookup(
    name: &str,
    aliases: &BTreeMap<String, String>,
    configured: &BTreeMap<String, ModelConfig>,
) -> Result<ModelInfo> {
    let name = resolve_alias(name, aliases)?;
    let Some(config) = configured.get(&name) else {
        return Ok(from_builtin(&name, builtin(&name)));
    };
    let wire_name = config.name.clone().unwrap_or_else(|| name.clone());
    let base = from_builtin(&wire_name, builtin(&wire_name));
    let provider = config.provider_entry.or(base.provider);
    Ok(ModelInfo {
        name,
        wire_name,
        provider,
        base_url: config.base_url.clone(),
        key: config.key.clone(),
        key_env: config.api_key_env.clone(),
        context_window: config.context_window.or(base.context_window),
        max_output_tokens: config.max_output_tokens.or(base.max_output_tokens),
        input_price: config.input_price.or(base.input_price),
        output_price: config.output_price.or(base.output_price),
        params: config.params.clone(),
        origin: "config",
    })
}

/// The provider a model speaks to when nothing says otherwise: its table's or its built-in
/// table's, else the one whose model-name prefix it has (see `provider::for_model_name`).
pub fn provider_of(info: &ModelInfo) -> ProviderRef {
    info.provider
        .unwrap_or_else(|| provider::for_model_name(&info.wire_name))
}

/// Every model `cellmage models` lists: the configured ones, then the built-in ones.
pub fn all(configured: &BTreeMap<String, ModelConfig>) -> Result<Vec<ModelInfo>> {
    let mut out = configured
        .keys()
        .map(|name| lookup(name, &BTreeMap::new(), configured))
        .collect::<Result<Vec<_>>>()?;
    out.extend(
        provider::builtin_models()
            .filter(|(_, b)| !configured.contains_key(b.names[0]))
            .map(|found| from_builtin(found.1.names[0], Some(found))),
    );
    Ok(out)
}

/// The cost of a call in USD from the usage the provider reported; `None` when either
/// price is unknown (never a made-up zero).
pub fn cost(info: &ModelInfo, usage: &Usage) -> Option<f64> {
    let per_token = |tokens: u64, price: f64| tokens as f64 * price / 1_000_000.0;
    Some(
        per_token(usage.input_tokens, info.input_price?)
            + per_token(usage.output_tokens, info.output_price?),
    )
}

/// Tokens in a text of `bytes` bytes, estimated at four bytes a token (rounded up), the
/// usual rule of thumb for English prose and code with BPE tokenizers. It runs at memory
/// speed and needs no vocabulary; it undercounts text in scripts that take three UTF-8 bytes
/// a character (CJK), where a token is about one character, and dense symbols.
pub fn estimate_tokens_len(bytes: usize) -> u64 {
    bytes.div_ceil(4) as u64
}

/// The framing a chat message costs beyond its text (role and separators), as OpenAI
/// documents for its chat format.
pub const MESSAGE_OVERHEAD_TOKENS: u64 = 4;

/// The estimated tokens of one message, framing included.
pub fn estimate_message(message: &Message) -> u64 {
    estimate_tokens_len(message.content.len()) + MESSAGE_OVERHEAD_TOKENS
}

/// The estimated tokens of several messages.
pub fn estimate_messages<'a>(messages: impl IntoIterator<Item = &'a Message>) -> u64 {
    messages.into_iter().map(estimate_message).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_rounds_up() {
        assert_eq!(estimate_tokens_len(0), 0);
        assert_eq!(estimate_tokens_len(1), 1);
        assert_eq!(estimate_tokens_len(8), 2);
        let m = Message::new(crate::message::Role::User, "12345678");
        assert_eq!(
            estimate_messages([&m, &m]),
            2 * (2 + MESSAGE_OVERHEAD_TOKENS)
        );
    }

    #[test]
    fn dated_names_find_their_model() {
        let table = [
            ("gpt-4.1-mini-2025-04-14", Some("gpt-4.1-mini")),
            ("claude-sonnet-4-20250514", Some("claude-sonnet-4-0")),
            ("claude-3-5-haiku-latest", Some("claude-3-5-haiku-latest")),
            ("claude-3-5-haiku-20241022", Some("claude-3-5-haiku-latest")),
            ("claude-3-haiku-20240307", Some("claude-3-haiku-20240307")),
            ("claude-opus-4-1-20250805", Some("claude-opus-4-1")),
            ("gpt-4o", Some("gpt-4o")),
            ("gpt-4o-2024", None),
            ("llama3", None),
        ];
        for (name, want) in table {
            assert_eq!(builtin(name).map(|(_, b)| b.names[0]), want, "{name}");
        }
    }

    #[test]
    fn cost_is_usage_times_price_per_million() {
        let info = lookup("gpt-4.1-mini", &BTreeMap::new(), &BTreeMap::new()).unwrap();
        let usage = Usage {
            input_tokens: 1_000_000,
            output_tokens: 500_000,
        };
        assert!((cost(&info, &usage).unwrap() - (0.40 + 0.80)).abs() < 1e-12);
        let small = Usage {
            input_tokens: 11,
            output_tokens: 7,
        };
        assert!((cost(&info, &small).unwrap() - 15.6e-6).abs() < 1e-12);
        let unknown = lookup("llama3", &BTreeMap::new(), &BTreeMap::new()).unwrap();
        assert_eq!(cost(&unknown, &usage), None);
        let half = ModelInfo {
            input_price: Some(1.0),
            ..ModelInfo::default()
        };
        assert_eq!(cost(&half, &usage), None);
    }

    #[test]
    fn aliases_chain_and_loops_fail() {
        let aliases: BTreeMap<String, String> = [("fast", "mini"), ("mini", "gpt-4.1-mini")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(resolve_alias("fast", &aliases).unwrap(), "gpt-4.1-mini");
        assert_eq!(resolve_alias("gpt-4o", &aliases).unwrap(), "gpt-4o");
        let looped: BTreeMap<String, String> = [("a", "b"), ("b", "a")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        let err = resolve_alias("a", &looped).unwrap_err().to_string();
        assert!(err.contains("a -> b -> a"), "{err}");
    }

    #[test]
    fn config_tables_override_the_builtin_description() {
        let mut configured = BTreeMap::new();
        configured.insert(
            "work".to_string(),
            ModelConfig {
                name: Some("gpt-4.1".into()),
                input_price: Some(1.0),
                ..ModelConfig::default()
            },
        );
        let info = lookup("work", &BTreeMap::new(), &configured).unwrap();
        assert_eq!(info.wire_name, "gpt-4.1");
        assert_eq!(info.input_price, Some(1.0));
        assert_eq!(info.output_price, Some(8.0));
        assert_eq!(info.context_window, Some(1_047_576));
        assert_eq!(info.origin, "config");
    }

    #[test]
    fn protocol_follows_registry_then_name() {
        let proto = |name: &str| {
            provider_of(&lookup(name, &BTreeMap::new(), &BTreeMap::new()).unwrap()).name()
        };
        assert_eq!(proto("claude-sonnet-4-5"), "anthropic");
        assert_eq!(proto("claude-next-9"), "anthropic");
        assert_eq!(proto("gpt-4o"), "openai");
        assert_eq!(proto("llama3"), "openai");
        assert_eq!(proto("echo"), "echo");
    }
}
