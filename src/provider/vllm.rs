//! vLLM as a local server: a preset of the chat-completions protocol with its default base
//! URL, no key and no price.

use super::openai::Compatible;
use super::{Capabilities, StructuredDialect, Variables};

pub static VLLM: Compatible = Compatible {
    name: "vllm",
    title: "vLLM",
    default_base: Some("http://localhost:8000/v1"),
    variables: Variables {
        key: &[],
        base: &[],
        config: false,
    },
    model_prefixes: &[],
    models: &[],
    // vLLM takes `response_format` json_schema (guided decoding)
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
