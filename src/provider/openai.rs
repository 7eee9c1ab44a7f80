//! The OpenAI-compatible chat-completions protocol: pure body builder and parsers, plus the
//! call itself through `call`.

use anyhow::Result;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Value, json};

use super::call::{Whole, error_in_stream};
use super::{
    Capabilities, ChatRequest, Endpoint, ModelSpec, Provider, Sink, StreamState, Usage, Variables,
    model, protocol_error,
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
    pub missing_key_hint: &'static str,
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
        vision: false,
        reasoning: false,
        requires_max_tokens: false,
        offline: false,
    },
    missing_key_hint: "set CELLMAGE_API_KEY or OPENAI_API_KEY, or api_key_cmd in the config; --model echo works offline",
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
    /// The Batch API is OpenAI's own; compatible servers run batches with `--local`.
    fn batch(&self) -> Option<&'static dyn crate::batch::api::BatchApi> {
        (self.default_base == Some(DEFAULT_BASE)).then_some(&crate::batch::openai::Api)
    }
    fn missing_key_hint(&self) -> &'static str {
        self.missing_key_hint
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
/// Newer models than these are unknown until added here or in a `[models.NAME]` table (cost
/// then shows as unknown and the context guard is skipped).
const MODELS: &[ModelSpec] = &[
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
        if let Some(schema) = &req.schema {
            let format = json!({"type": "json_schema", "json_schema": schema});
            map.serialize_entry("response_format", &format)?;
        }
        if req.stream {
            map.serialize_entry("stream", &true)?;
            map.serialize_entry("stream_options", &json!({"include_usage": true}))?;
        }
        map.end()
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

fn usage_of(v: &Value) -> Option<Usage> {
    let u = v.get("usage").filter(|u| u.is_object())?;
    Some(Usage {
        input_tokens: u.get("prompt_tokens").and_then(Value::as_u64).unwrap_or(0),
        output_tokens: u
            .get("completion_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0),
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
            schema: Some(json!({"name": "answer", "schema": {"type": "object"}, "strict": true})),
        };
        assert_eq!(
            serde_json::to_value(body(&req)).unwrap()["response_format"],
            json!({"type": "json_schema",
                   "json_schema": {"name": "answer", "schema": {"type": "object"}, "strict": true}})
        );
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
