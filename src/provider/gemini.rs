//! Google's Gemini API through its OpenAI-compatible endpoint: a preset of the chat-completions
//! protocol (Bearer `GEMINI_API_KEY`, `gemini-*` models).

use super::openai::Compatible;
use super::{Capabilities, ModelSpec, StructuredDialect, Variables, model};

/// The OpenAI-compatible base URL, as Google's "OpenAI compatibility" page gives it
/// (`…/v1beta/openai/`, requests to `…/v1beta/openai/chat/completions`).
pub const DEFAULT_BASE: &str = "https://generativelanguage.googleapis.com/v1beta/openai";

pub static GEMINI: Compatible = Compatible {
    name: "gemini",
    title: "Gemini",
    default_base: Some(DEFAULT_BASE),
    variables: Variables {
        key: &["GEMINI_API_KEY"],
        base: &[],
        config: false,
    },
    model_prefixes: &["gemini-"],
    models: MODELS,
    // Gemini's thinking models take `reasoning_effort` and still take temperature and
    // `max_tokens` on this endpoint
    capabilities: Capabilities {
        vision: true,
        json_schema: true,
        structured: StructuredDialect::JsonSchema,
        reasoning: true,
        prompt_caching: true,
        ..Capabilities::CHAT
    },
    reasoning_models: &[],
    missing_key_hint: "set GEMINI_API_KEY (a key from Google AI Studio)",
    key_for: Some("Gemini"),
};

/// Standard (paid tier, prompts up to 200K tokens) prices in USD per million tokens, with
/// context window and maximum output in tokens. Source: Google's Gemini API models and
/// pricing pages (ai.google.dev/gemini-api/docs/models, …/pricing), as read 2026-12-02.
/// Longer prompts cost more on the Pro models; that tier is not modelled here.
const MODELS: &[ModelSpec] = &[
    model(&["gemini-3-pro-preview"], 1_048_576, 65_536, (2.00, 12.00)),
    model(&["gemini-2.5-pro"], 1_048_576, 65_536, (1.25, 10.00)),
    model(&["gemini-2.5-flash"], 1_048_576, 65_536, (0.30, 2.50)),
    model(&["gemini-2.5-flash-lite"], 1_048_576, 65_536, (0.10, 0.40)),
    model(&["gemini-2.0-flash"], 1_048_576, 8_192, (0.10, 0.40)),
];
