//! The OpenAI-compatible chat-completions protocol: pure body builder and parsers, plus the
//! call itself through `call`.

use anyhow::Result;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

use super::call::{Whole, error_in_stream};
use super::{
    CachePrices, Capabilities, ChatRequest, Endpoint, Form, ModelSpec, Provider, Sink, StreamState,
    StructuredDialect, StructuredOutput, Usage, Variables, model, protocol_error,
};
use crate::message::OnWire;
use crate::transport::HeaderValue;

/// A provider that speaks the chat-completions protocol: the OpenAI API itself, and any
/// preset for another server that speaks it (its own name, base URL, variables, models).
/// Such a preset is one file holding one `Compatible` value, and one registry line.
pub struct Compatible {
    pub name: &'static str,
    pub title: &'static str,
    pub default_base: Option<&'static str>,
    pub variables: Variables,
    pub model_prefixes: &'static [&'static str],
    pub models: &'static [ModelSpec],
    pub capabilities: Capabilities,
    /// Model families that are reasoning models (`o3` names `o3`, `o3-mini`, `o3-2025-04-16`):
    /// a reasoning effort, `max_completion_tokens`, no sampling parameters.
    pub reasoning_models: &'static [&'static str],
    pub missing_key_hint: &'static str,
    /// Who the key is for, in the authentication hint ("for Gemini").
    pub key_for: Option<&'static str>,
}

pub const DEFAULT_BASE: &str = "https://api.openai.com/v1";

/// The OpenAI API, and the provider for model names no other provider claims.
pub static OPENAI: Compatible = Compatible {
    name: "openai",
    title: "OpenAI",
    default_base: Some(DEFAULT_BASE),
    variables: Variables {
        key: &["CELLMAGE_API_KEY", "OPENAI_API_KEY"],
        base: &["CELLMAGE_API_BASE", "OPENAI_API_BASE", "OPENAI_BASE_URL"],
        config: true,
    },
    model_prefixes: &[],
    models: MODELS,
    capabilities: Capabilities {
        json_schema: true,
        structured: StructuredDialect::JsonSchema,
        vision: true,
        prompt_caching: true,
        ..Capabilities::CHAT
    },
    reasoning_models: &["o1", "o3", "o4", "gpt-5"],
    missing_key_hint: "set CELLMAGE_API_KEY or OPENAI_API_KEY, or api_key_cmd in the config; --model echo works offline",
    key_for: None,
};

impl Provider for Compatible {
    fn name(&self) -> &'static str {
        self.name
    }
    fn title(&self) -> &'static str {
        self.title
    }
    fn default_base(&self) -> Option<&'static str> {
        self.default_base
    }
    fn variables(&self) -> Variables {
        self.variables
    }
    fn model_prefixes(&self) -> &'static [&'static str] {
        self.model_prefixes
    }
    fn models(&self) -> &'static [ModelSpec] {
        self.models
    }
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }
    fn model_capabilities(&self, model: &str) -> Capabilities {
        if self
            .reasoning_models
            .iter()
            .any(|family| super::in_family(model, family))
        {
            self.capabilities.openai_reasoning()
        } else {
            self.capabilities
        }
    }
    fn parse_reasoning(&self, v: &Value) -> Option<String> {
        let message = v.pointer("/choices/0/message")?;
        reasoning_of(message).map(str::to_string)
    }
    /// The Batch API is OpenAI's own; compatible servers run batches with `--local`.
    fn batch(&self) -> Option<&'static dyn crate::batch::api::BatchApi> {
        (self.default_base == Some(DEFAULT_BASE)).then_some(&crate::batch::openai::Api)
    }
    fn missing_key_hint(&self) -> &'static str {
        self.missing_key_hint
    }
    /// Cached input at the model's cached-input price ([`CACHED_INPUT_PRICES`]); OpenAI
    /// charges nothing extra for writing the cache.
    fn cache_prices(&self, model: &ModelSpec) -> CachePrices {
        let read = CACHED_INPUT_PRICES
            .iter()
            .find(|(name, _)| model.names.contains(name))
            .map_or(model.input_price, |(_, price)| *price);
        CachePrices {
            read,
            write: model.input_price,
        }
    }
    fn key_for(&self) -> Option<&'static str> {
        self.key_for
    }
    /// 20 MB per image (<https://platform.openai.com/docs/guides/images-vision>).
    fn max_image_bytes(&self) -> Option<usize> {
        Some(20 * 1024 * 1024)
    }
    fn url(&self, base: &str) -> String {
        url(base)
    }
    fn headers(
        &self,
        endpoint: &Endpoint,
        key: Option<&crate::secret::Secret>,
    ) -> Vec<(String, HeaderValue)> {
        headers(endpoint, key)
    }
    fn write_body(
        &self,
        req: &ChatRequest,
        out: &mut dyn std::io::Write,
        pretty: bool,
    ) -> serde_json::Result<()> {
        super::write_json(out, &body(req), pretty)
    }
    fn parse_response(&self, v: &Value) -> Result<Whole> {
        parse_response(v)
    }
    fn apply_event(&self, state: &mut StreamState, data: &str, sink: &mut dyn Sink) -> Result<()> {
        apply_chunk(state, data, sink)
    }
}

/// Standard (not batch, not cached-input) prices in USD per million tokens, with context
/// window and maximum output in tokens.
///
/// Sources: OpenAI's public pricing page (openai.com/api/pricing) and model pages
/// (platform.openai.com/docs/models). Figures as taken on 2026-11-25 from the author's
/// knowledge of those pages and stored copies of them, not re-read live. Least certain: the
/// context windows of gpt-5.1 and gpt-5.2 (assumed equal to gpt-5's) and gpt-5.2's prices.
/// gpt-5.5 and the gpt-5.4 family: prices from OpenAI's pricing page as quoted by pricing
/// reviews of June 2026 (short-context rates, prompts under 270K tokens), read 2026-12-02;
/// their 1M windows as those reviews give them, their maximum output assumed equal to
/// gpt-5's. Newer models than these are unknown until added here or in a `[models.NAME]` table (cost
/// then shows as unknown and the context guard is skipped).
const MODELS: &[ModelSpec] = &[
    model(&["gpt-5.5"], 1_000_000, 128_000, (5.00, 30.00)),
    model(&["gpt-5.4"], 1_000_000, 128_000, (2.50, 15.00)),
    model(&["gpt-5.4-mini"], 1_000_000, 128_000, (0.75, 4.50)),
    model(&["gpt-5.4-nano"], 1_000_000, 128_000, (0.20, 1.25)),
    model(&["gpt-5.2"], 400_000, 128_000, (1.75, 14.00)),
    model(&["gpt-5.1"], 400_000, 128_000, (1.25, 10.00)),
    model(&["gpt-5"], 400_000, 128_000, (1.25, 10.00)),
    model(&["gpt-5-mini"], 400_000, 128_000, (0.25, 2.00)),
    model(&["gpt-5-nano"], 400_000, 128_000, (0.05, 0.40)),
    model(&["gpt-4.1"], 1_047_576, 32_768, (2.00, 8.00)),
    model(&["gpt-4.1-mini"], 1_047_576, 32_768, (0.40, 1.60)),
    model(&["gpt-4.1-nano"], 1_047_576, 32_768, (0.10, 0.40)),
    model(&["gpt-4o"], 128_000, 16_384, (2.50, 10.00)),
    model(&["gpt-4o-mini"], 128_000, 16_384, (0.15, 0.60)),
    model(&["o3"], 200_000, 100_000, (2.00, 8.00)),
    model(&["o4-mini"], 200_000, 100_000, (1.10, 4.40)),
    model(&["o3-mini"], 200_000, 100_000, (1.10, 4.40)),
    model(&["o1"], 200_000, 100_000, (15.00, 60.00)),
];

/// Cached-input prices in USD per million tokens, from the same pricing page as [`MODELS`]
/// (its "Cached input" column). A model not listed pays the input price.
const CACHED_INPUT_PRICES: &[(&str, f64)] = &[
    ("gpt-5.2", 0.175),
    ("gpt-5.1", 0.125),
    ("gpt-5", 0.125),
    ("gpt-5-mini", 0.025),
    ("gpt-5-nano", 0.005),
    ("gpt-4.1", 0.50),
    ("gpt-4.1-mini", 0.10),
    ("gpt-4.1-nano", 0.025),
    ("gpt-4o", 1.25),
    ("gpt-4o-mini", 0.075),
    ("o3", 0.50),
    ("o4-mini", 0.275),
    ("o3-mini", 0.55),
    ("o1", 7.50),
];

pub fn url(base: &str) -> String {
    format!("{}/chat/completions", base.trim_end_matches('/'))
}

/// The request body, byte for byte what is sent: `model`, `messages`, the parameters in
/// order, then `stream` and `stream_options` when streaming. A parameter named like a
/// field replaces that field's value in its place. It borrows the request, so serialising
/// a large context never copies it into an intermediate JSON value.
pub struct Body<'a>(&'a ChatRequest);

pub fn body(req: &ChatRequest) -> Body<'_> {
    Body(req)
}

impl Serialize for Body<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let req = self.0;
        let streamed = |k: &str| req.stream && (k == "stream" || k == "stream_options");
        let mut map = serializer.serialize_map(None)?;
        match req.params.get("model") {
            Some(v) => map.serialize_entry("model", v)?,
            None => map.serialize_entry("model", &req.model)?,
        }
        match req.params.get("messages") {
            Some(v) => map.serialize_entry("messages", v)?,
            None => map.serialize_entry("messages", &OnWire(&req.messages))?,
        }
        for (k, v) in &req.params {
            if k != "model" && k != "messages" && !streamed(k) {
                map.serialize_entry(k, v)?;
            }
        }
        // `--param response_format` wins over `--schema`'s (which is still validated)
        if let Some(schema) = req.schema.as_ref()
            && !req.params.contains_key("response_format")
        {
            map.serialize_entry("response_format", &response_format(schema))?;
        }
        if req.stream {
            map.serialize_entry("stream", &true)?;
            map.serialize_entry("stream_options", &json!({"include_usage": true}))?;
        }
        map.end()
    }
}

/// The `response_format` of a schema in its form.
pub fn response_format(s: &StructuredOutput) -> Value {
    let json_schema = |schema: &Value, strict: bool| {
        json!({"type": "json_schema",
               "json_schema": {"name": s.name, "schema": schema, "strict": strict}})
    };
    match s.form {
        Form::JsonSchema => match &s.strict {
            Some(strict) => json_schema(strict, true),
            None => json_schema(&s.schema, false),
        },
        Form::JsonSchemaLoose => json_schema(&s.schema, false),
        Form::JsonObjectSchema => json!({"type": "json_object", "schema": s.schema}),
        Form::JsonObject => json!({"type": "json_object"}),
    }
}

pub fn headers(
    endpoint: &Endpoint,
    key: Option<&crate::secret::Secret>,
) -> Vec<(String, HeaderValue)> {
    let mut h = vec![(
        "Content-Type".to_string(),
        HeaderValue::Plain("application/json".into()),
    )];
    if let Some(key) = key {
        h.push((
            "Authorization".into(),
            HeaderValue::Secret(crate::secret::Secret::new(format!(
                "Bearer {}",
                key.expose()
            ))),
        ));
    }
    h.extend(endpoint.extra_headers());
    h
}

/// Usage: `prompt_tokens` counts every input token, cached ones included
/// (`prompt_tokens_details.cached_tokens`).
fn usage_of(v: &Value) -> Option<Usage> {
    let u = v.get("usage").filter(|u| u.is_object())?;
    let count = |pointer: &str| u.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    Some(Usage {
        input_tokens: count("/prompt_tokens"),
        output_tokens: count("/completion_tokens"),
        cached_input_tokens: count("/prompt_tokens_details/cached_tokens"),
        cache_write_tokens: 0,
    })
}

/// A whole (non-streaming) response.
pub fn parse_response(v: &Value) -> Result<Whole> {
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| protocol_error("the response has no choices", &v.to_string()))?;
    let text = choice
        .pointer("/message/content")
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .ok_or_else(|| protocol_error("the response's choice has no message", &v.to_string()))?;
    let finish = choice
        .get("finish_reason")
        .and_then(Value::as_str)
        .map(str::to_string);
    let model = v.get("model").and_then(Value::as_str).map(str::to_string);
    Ok((text, finish, usage_of(v), model))
}

/// The reasoning text of a message or a streamed delta: `reasoning_content` (DeepSeek, vLLM,
/// llama.cpp's server) or `reasoning` (OpenRouter, Ollama); never part of the answer.
fn reasoning_of(v: &Value) -> Option<&str> {
    ["reasoning_content", "reasoning"]
        .iter()
        .find_map(|k| v.get(*k).and_then(Value::as_str))
        .filter(|t| !t.is_empty())
}

/// Applies one streamed chunk to the stream state.
pub fn apply_chunk(state: &mut StreamState, data: &str, sink: &mut dyn Sink) -> Result<()> {
    if data.trim() == "[DONE]" {
        state.done = true;
        return Ok(());
    }
    let v: Value = serde_json::from_str(data)
        .map_err(|_| protocol_error("the stream sent a chunk that is not JSON", data))?;
    if let Some(err) = v.get("error") {
        return Err(error_in_stream(err));
    }
    if let Some(model) = v.get("model").and_then(Value::as_str) {
        state.model.get_or_insert_with(|| model.to_string());
    }
    if let Some(usage) = usage_of(&v) {
        state.usage = Some(usage);
    }
    for choice in v
        .get("choices")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(text) = choice.get("delta").and_then(reasoning_of) {
            state.think(text, sink)?;
        }
        if let Some(text) = choice.pointer("/delta/content").and_then(Value::as_str) {
            state.push(text, sink)?;
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            state.finish_reason = Some(reason.to_string());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::{Message, Role};

    #[test]
    fn body_has_model_messages_params_and_stream_options_in_order() {
        let messages = vec![
            Message::new(Role::System, "s"),
            Message::new(Role::User, "u\n\"q\""),
        ];
        let msgs = r#"[{"role":"system","content":"s"},{"role":"user","content":"u\n\"q\""}]"#;
        type Params<'a> = &'a [(&'a str, Value)];
        let table: &[(Params, bool, String)] = &[
            (
                &[("temperature", json!(0.2))],
                true,
                format!(
                    r#"{{"model":"m","messages":{msgs},"temperature":0.2,"stream":true,"stream_options":{{"include_usage":true}}}}"#
                ),
            ),
            (
                &[("top_p", json!(0.5)), ("stop", json!(["END"]))],
                false,
                format!(r#"{{"model":"m","messages":{msgs},"top_p":0.5,"stop":["END"]}}"#),
            ),
            // a parameter named like a field replaces its value in place
            (
                &[
                    ("seed", json!(1)),
                    ("model", json!("other")),
                    ("stream", json!(false)),
                ],
                true,
                format!(
                    r#"{{"model":"other","messages":{msgs},"seed":1,"stream":true,"stream_options":{{"include_usage":true}}}}"#
                ),
            ),
            (
                &[("stream", json!(false))],
                false,
                format!(r#"{{"model":"m","messages":{msgs},"stream":false}}"#),
            ),
        ];
        for (params, stream, want) in table {
            let req = ChatRequest {
                model: "m".into(),
                messages: messages.clone(),
                params: params
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.clone()))
                    .collect(),
                stream: *stream,
                schema: None,
                new_count: 1,
            };
            assert_eq!(serde_json::to_string(&body(&req)).unwrap(), *want);
        }
    }

    #[test]
    fn a_schema_becomes_response_format() {
        let req = ChatRequest {
            model: "m".into(),
            messages: vec![Message::new(Role::User, "u")],
            params: Default::default(),
            stream: false,
            new_count: 1,
            schema: Some(StructuredOutput {
                name: "answer".into(),
                schema: json!({"type": "object"}),
                strict: Some(json!({"type": "object", "additionalProperties": false})),
                form: Form::JsonSchema,
            }),
        };
        assert_eq!(
            serde_json::to_value(body(&req)).unwrap()["response_format"],
            json!({"type": "json_schema",
                   "json_schema": {"name": "answer",
                                   "schema": {"type": "object", "additionalProperties": false},
                                   "strict": true}})
        );
        let mut loose = req.clone();
        loose.schema.as_mut().unwrap().form = Form::JsonObjectSchema;
        assert_eq!(
            serde_json::to_value(body(&loose)).unwrap()["response_format"],
            json!({"type": "json_object", "schema": {"type": "object"}})
        );
        // one response_format key: --param's
        loose
            .params
            .insert("response_format".into(), json!({"type": "text"}));
        let text = serde_json::to_string(&body(&loose)).unwrap();
        assert_eq!(text.matches("response_format").count(), 1, "{text}");
        assert!(text.contains(r#""response_format":{"type":"text"}"#));
    }

    #[test]
    fn parses_a_whole_response() {
        let v = json!({"model":"m-1","choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"length"}],
                       "usage":{"prompt_tokens":3,"completion_tokens":1}});
        let (text, finish, usage, model) = parse_response(&v).unwrap();
        assert_eq!(
            (text.as_str(), finish.as_deref(), model.as_deref()),
            ("hi", Some("length"), Some("m-1"))
        );
        assert_eq!(usage.unwrap().output_tokens, 1);
        assert!(parse_response(&json!({"choices":[]})).is_err());
    }

    #[test]
    fn chunks_accumulate_text_finish_and_usage() {
        struct Collect(String);
        impl Sink for Collect {
            fn chunk(&mut self, t: &str) -> std::io::Result<()> {
                self.0.push_str(t);
                Ok(())
            }
        }
        let mut sink = Collect(String::new());
        let mut state = StreamState::default();
        for data in [
            r#"{"model":"m","choices":[{"delta":{"role":"assistant"}}]}"#,
            r#"{"choices":[{"delta":{"content":"he"}}]}"#,
            r#"{"choices":[{"delta":{"content":"llo"},"finish_reason":"stop"}]}"#,
            r#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            "[DONE]",
        ] {
            apply_chunk(&mut state, data, &mut sink).unwrap();
        }
        assert_eq!(sink.0, "hello");
        assert_eq!(state.text, "hello");
        assert_eq!(state.finish_reason.as_deref(), Some("stop"));
        assert_eq!(state.usage.unwrap().input_tokens, 5);
        assert!(state.done);
        assert!(apply_chunk(&mut state, "{not json", &mut sink).is_err());
    }
}
