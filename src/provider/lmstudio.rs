//! LM Studio as a local server: a preset of the chat-completions protocol with its default base
//! URL, no key and no price.

use super::openai::Compatible;
use super::{Capabilities, StructuredDialect, Variables};

pub static LMSTUDIO: Compatible = Compatible {
    name: "lmstudio",
    title: "LM Studio",
    default_base: Some("http://localhost:1234/v1"),
    variables: Variables {
        key: &[],
        base: &[],
        config: false,
    },
    model_prefixes: &[],
    models: &[],
    // LM Studio takes `response_format` json_schema
    capabilities: Capabilities {
        json_schema: true,
        structured: StructuredDialect::JsonSchema,
        local: true,
        ..Capabilities::CHAT
    },
    reasoning_models: &[],
    missing_key_hint: "",
    key_for: None,
};
