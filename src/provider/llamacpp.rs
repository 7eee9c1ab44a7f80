//! The llama.cpp server as a local server: a preset of the chat-completions protocol with its default base
//! URL, no key and no price.

use super::openai::Compatible;
use super::{Capabilities, StructuredDialect, Variables};

pub static LLAMACPP: Compatible = Compatible {
    name: "llamacpp",
    title: "llama.cpp server",
    default_base: Some("http://localhost:8080/v1"),
    variables: Variables {
        key: &[],
        base: &[],
        config: false,
    },
    model_prefixes: &[],
    models: &[],
    // llama.cpp's server and llama-cpp-python take `json_object` with a `schema`, not json_schema
    capabilities: Capabilities {
        json_schema: false,
        structured: StructuredDialect::JsonObjectSchema,
        local: true,
        ..Capabilities::CHAT
    },
    reasoning_models: &[],
    missing_key_hint: "",
    key_for: None,
};
