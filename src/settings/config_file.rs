//! The files settings are read from: `config.toml` (user and project) with its
//! `[models.NAME]` tables, and CellMage's model alias files.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::KeySource;
use crate::error::usage;
use crate::provider::{Capabilities, StructuredDialect, TokenLimit};

/// CellMage's model alias files, looked for in the working directory and each parent; the
/// first one found is read.
pub const ALIAS_FILES: [&str; 4] = [
    ".cellmage_models.yml",
    "cellmage_models.yml",
    ".config/cellmage_models.yml",
    "config/cellmage_models.yml",
];

/// One config file (`config.toml`, user or project). Every key is optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(alias = "default_model")]
    pub model: Option<String>,
    pub provider: Option<String>,
    pub api_base: Option<String>,
    pub api_key: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_cmd: Option<String>,
    pub persona: Option<String>,
    /// Reasoning effort: low, medium or high.
    pub reasoning: Option<String>,
    pub temperature: Option<f64>,
    pub max_tokens: Option<u64>,
    pub stream: Option<bool>,
    pub timeout: Option<f64>,
    pub total_timeout: Option<f64>,
    pub retries: Option<u32>,
    pub retry_backoff: Option<f64>,
    pub retry_max_wait: Option<f64>,
    pub history: Option<super::HistoryMode>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub params: Map<String, Value>,
    #[serde(default)]
    pub aliases: BTreeMap<String, String>,
    #[serde(default)]
    pub models: BTreeMap<String, ModelConfig>,
    /// Client-side limits for servers that send no rate-limit headers.
    pub rate_limit: Option<RateLimit>,
}

/// `rate_limit = { rpm = N, tpm = N }`: requests and (estimated) tokens per minute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub rpm: Option<u64>,
    pub tpm: Option<u64>,
}

/// A `[models.NAME]` table: a model of its own, or overrides for a built-in one.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelConfig {
    /// The model name sent on the wire (default: NAME).
    pub name: Option<String>,
    pub provider: Option<String>,
    pub base_url: Option<String>,
    pub api_key_env: Option<String>,
    pub api_key_cmd: Option<String>,
    pub context_window: Option<u64>,
    pub max_output_tokens: Option<u64>,
    /// USD per million input tokens.
    pub input_price: Option<f64>,
    /// USD per million output tokens.
    pub output_price: Option<f64>,
    /// Capabilities, over the registry's: a reasoning model (takes `--reasoning`).
    pub reasoning: Option<bool>,
    /// Takes images.
    pub vision: Option<bool>,
    /// Takes `response_format` json_schema.
    pub json_schema: Option<bool>,
    /// Takes sampling parameters (temperature, top_p, penalties).
    pub temperature: Option<bool>,
    /// The name of the token limit: `max_tokens` or `max_completion_tokens`.
    pub token_limit: Option<String>,
    /// Caches prompts.
    pub prompt_caching: Option<bool>,
    #[serde(default)]
    pub params: Map<String, Value>,
    /// Client-side limits for this model (over the top-level `rate_limit`).
    pub rate_limit: Option<RateLimit>,
    /// The key from `api_key_env` or `api_key_cmd`, filled in by `Settings::resolve`.
    #[serde(skip)]
    pub key: Option<KeySource>,
    /// The registry's entry for `provider`, filled in by `Settings::resolve`.
    #[serde(skip)]
    pub provider_entry: Option<crate::provider::ProviderRef>,
}

impl ModelConfig {
    /// This table with every key that `over` sets replaced (project over user).
    pub fn merged(mut self, over: &ModelConfig) -> ModelConfig {
        fn take<T: Clone>(mine: &mut Option<T>, theirs: &Option<T>) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
        take(&mut self.name, &over.name);
        take(&mut self.provider, &over.provider);
        take(&mut self.base_url, &over.base_url);
        take(&mut self.api_key_env, &over.api_key_env);
        take(&mut self.api_key_cmd, &over.api_key_cmd);
        take(&mut self.context_window, &over.context_window);
        take(&mut self.max_output_tokens, &over.max_output_tokens);
        take(&mut self.input_price, &over.input_price);
        take(&mut self.output_price, &over.output_price);
        take(&mut self.reasoning, &over.reasoning);
        take(&mut self.vision, &over.vision);
        take(&mut self.json_schema, &over.json_schema);
        take(&mut self.temperature, &over.temperature);
        take(&mut self.token_limit, &over.token_limit);
        take(&mut self.prompt_caching, &over.prompt_caching);
        take(&mut self.rate_limit, &over.rate_limit);
        self.params.extend(over.params.clone());
        self
    }
}

impl ModelConfig {
    /// The registry's capabilities with this table's over them.
    pub fn capabilities(&self, caps: Capabilities) -> Capabilities {
        let token_limit = self.token_limit.as_deref().and_then(TokenLimit::from_param);
        Capabilities {
            reasoning: self.reasoning.unwrap_or(caps.reasoning),
            vision: self.vision.unwrap_or(caps.vision),
            json_schema: self.json_schema.unwrap_or(caps.json_schema),
            structured: match self.json_schema {
                Some(true) => StructuredDialect::JsonSchema,
                Some(false) if caps.structured == StructuredDialect::JsonSchema => {
                    StructuredDialect::Prompt
                }
                _ => caps.structured,
            },
            temperature: self.temperature.unwrap_or(caps.temperature),
            token_limit: token_limit.unwrap_or(caps.token_limit),
            prompt_caching: self.prompt_caching.unwrap_or(caps.prompt_caching),
            ..caps
        }
    }
}

impl ConfigFile {
    /// Reads a config file; a missing file is an empty config, a broken one is exit 2.
    pub fn load(path: &Path) -> Result<Option<ConfigFile>> {
        let Some(text) = crate::bounded::read_settings_file(path, "config file")? else {
            return Ok(None);
        };
        let parsed = toml::from_str(&text).map_err(|e| {
            let msg = e.to_string().replace('\n', " ");
            usage(format!(
                "invalid config file {}: {}",
                path.display(),
                msg.trim()
            ))
        })?;
        Ok(Some(parsed))
    }
}

/// A CellMage alias file: YAML `alias: full-name` pairs (an empty file is no aliases).
pub fn load_alias_file(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = crate::bounded::read_settings_file(path, "model alias file")?.ok_or_else(|| {
        usage(format!(
            "cannot read model alias file {}: not found",
            path.display()
        ))
    })?;
    let invalid = |why: String| {
        usage(format!(
            "invalid model alias file {}: {why}",
            path.display()
        ))
        .hint("write one `alias: full-model-name` pair per line")
    };
    let value: serde_norway::Value =
        serde_norway::from_str(&text).map_err(|e| invalid(e.to_string().replace('\n', " ")))?;
    let map = match value {
        serde_norway::Value::Null => return Ok(BTreeMap::new()),
        serde_norway::Value::Mapping(map) => map,
        _ => return Err(invalid("not a mapping".into()).into()),
    };
    let scalar = |v: &serde_norway::Value| match v {
        serde_norway::Value::String(s) => Some(s.clone()),
        serde_norway::Value::Number(n) => Some(n.to_string()),
        serde_norway::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    map.iter()
        .map(|(k, v)| match (scalar(k), scalar(v)) {
            (Some(k), Some(v)) => Ok((k, v)),
            _ => Err(invalid(format!("the entry for {k:?} is not `alias: name`")).into()),
        })
        .collect()
}
