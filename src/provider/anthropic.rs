//! Anthropic's Messages API: pure body builder and parsers, plus the call itself through
//! `call`. System prompts travel in `system`; `messages` alternate user and assistant.

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::call::{Whole, error_in_stream};
use super::{
    Capabilities, ChatRequest, Endpoint, ModelSpec, Provider, Sink, StreamState, Usage, Variables,
    model, protocol_error,
};
use crate::message::Role;
use crate::secret::Secret;
use crate::transport::HeaderValue;

/// The API version cellmage speaks (sent as `anthropic-version`).
pub const API_VERSION: &str = "2023-06-01";

pub const DEFAULT_BASE: &str = "https://api.anthropic.com";

/// Anthropic's Messages API.
pub struct Anthropic;

impl Provider for Anthropic {
    fn name(&self) -> &'static str {
        "anthropic"
    }
    fn title(&self) -> &'static str {
        "Anthropic"
    }
    fn default_base(&self) -> Option<&'static str> {
        Some(DEFAULT_BASE)
    }
    fn variables(&self) -> Variables {
        Variables {
            key: &["ANTHROPIC_API_KEY"],
            base: &["ANTHROPIC_BASE_URL"],
            config: false,
        }
    }
    fn model_prefixes(&self) -> &'static [&'static str] {
        &["claude-"]
    }
    fn models(&self) -> &'static [ModelSpec] {
        MODELS
    }
    fn batch(&self) -> Option<&'static dyn crate::batch::api::BatchApi> {
        Some(&crate::batch::anthropic::Api)
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            vision: true,
            requires_max_tokens: true,
            ..Capabilities::default()
        }
    }
    fn missing_key_hint(&self) -> &'static str {
        "set ANTHROPIC_API_KEY, or api_key_env / api_key_cmd in a [models.NAME] table"
    }
    fn key_for(&self) -> Option<&'static str> {
        Some("Claude")
    }
    fn url(&self, base: &str) -> String {
        url(base)
    }
    fn headers(&self, endpoint: &Endpoint, key: Option<&Secret>) -> Vec<(String, HeaderValue)> {
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
        apply_event(state, data, sink)
    }
}

/// Standard prices in USD per million tokens, with context window and maximum output in
/// tokens. Sources: Anthropic's models overview and pricing pages
/// (docs.anthropic.com/en/docs/about-claude/models, .../pricing), as taken on 2026-11-25.
/// Anthropic charges more for Sonnet 4/4.5 prompts over 200K tokens (1M-token beta); that
/// tier is not modelled here.
const MODELS: &[ModelSpec] = &[
    model(&["claude-opus-4-5"], 200_000, 64_000, (5.00, 25.00)),
    model(&["claude-opus-4-1"], 200_000, 32_000, (15.00, 75.00)),
    model(
        &["claude-opus-4-0", "claude-opus-4"],
        200_000,
        32_000,
        (15.00, 75.00),
    ),
    model(&["claude-sonnet-4-5"], 200_000, 64_000, (3.00, 15.00)),
    model(
        &["claude-sonnet-4-0", "claude-sonnet-4"],
        200_000,
        64_000,
        (3.00, 15.00),
    ),
    model(
        &["claude-3-7-sonnet-latest"],
        200_000,
        64_000,
        (3.00, 15.00),
    ),
    model(&["claude-haiku-4-5"], 200_000, 64_000, (1.00, 5.00)),
    model(&["claude-3-5-haiku-latest"], 200_000, 8_192, (0.80, 4.00)),
    model(
        &["claude-3-haiku-20240307", "claude-3-haiku"],
        200_000,
        4_096,
        (0.25, 1.25),
    ),
];

/// `{base}/v1/messages`; a base that already ends in `/v1` is accepted too.
pub fn url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    format!("{}/v1/messages", base.strip_suffix("/v1").unwrap_or(base))
}

/// The conversation as the API wants it: system text joined into one string, then the
/// other messages with consecutive same-role ones merged (the API requires alternation).
fn split(req: &ChatRequest) -> (Option<String>, Vec<Value>) {
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut turns: Vec<(Role, String)> = Vec::new();
    for m in req.messages.iter().filter(|m| m.role != Role::System) {
        match turns.last_mut() {
            Some((role, text)) if *role == m.role => {
                text.push_str("\n\n");
                text.push_str(&m.content);
            }
            _ => turns.push((m.role, m.content.clone())),
        }
    }
    let messages = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role.as_str(), "content": content}))
        .collect();
    ((!system.is_empty()).then(|| system.join("\n\n")), messages)
}

/// The request body, byte for byte what is sent.
pub fn body(req: &ChatRequest) -> Value {
    let (system, messages) = split(req);
    let mut body = Map::new();
    body.insert("model".into(), json!(req.model));
    // in second place, as the API documents it; the plan always sets it
    let max_tokens = req.params.get("max_tokens").cloned();
    body.insert(
        "max_tokens".into(),
        max_tokens.unwrap_or(json!(super::DEFAULT_MAX_TOKENS)),
    );
    if let Some(system) = system {
        body.insert("system".into(), json!(system));
    }
    body.insert("messages".into(), Value::Array(messages));
    for (k, v) in &req.params {
        match (k.as_str(), v) {
            ("stop", Value::String(s)) => body.insert("stop_sequences".into(), json!([s])),
            ("stop", _) => body.insert("stop_sequences".into(), v.clone()),
            _ => body.insert(k.clone(), v.clone()),
        };
    }
    if req.stream {
        body.insert("stream".into(), json!(true));
    }
    Value::Object(body)
}

pub fn headers(endpoint: &Endpoint, key: Option<&Secret>) -> Vec<(String, HeaderValue)> {
    let plain = |v: &str| HeaderValue::Plain(v.to_string());
    let mut h = vec![
        ("Content-Type".to_string(), plain("application/json")),
        ("anthropic-version".to_string(), plain(API_VERSION)),
    ];
    if let Some(key) = key {
        h.push(("x-api-key".into(), HeaderValue::Secret(key.clone())));
    }
    h.extend(endpoint.extra_headers());
    h
}

/// `stop_reason` in the vocabulary the rest of cellmage uses: `max_tokens` is `length`,
/// a natural end or a stop sequence is `stop`; anything else is kept as the API said it.
pub fn finish_reason(stop_reason: &str) -> String {
    match stop_reason {
        "max_tokens" => "length",
        "end_turn" | "stop_sequence" => "stop",
        other => other,
    }
    .to_string()
}

/// Usage from a `usage` object; a missing count is taken from `before` (the stream reports
/// input tokens at its start and output tokens at its end).
fn usage_of(u: Option<&Value>, before: Option<Usage>) -> Option<Usage> {
    let u = u.filter(|u| u.is_object())?;
    let before = before.unwrap_or_default();
    let count = |name: &str, old: u64| u.get(name).and_then(Value::as_u64).unwrap_or(old);
    Some(Usage {
        input_tokens: count("input_tokens", before.input_tokens),
        output_tokens: count("output_tokens", before.output_tokens),
    })
}

/// A whole (non-streaming) response: the text of its text blocks, in order.
pub fn parse_response(v: &Value) -> Result<Whole> {
    let blocks = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| protocol_error("the response has no content", &v.to_string()))?;
    let text: String = blocks
        .iter()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    let finish = v
        .get("stop_reason")
        .and_then(Value::as_str)
        .map(finish_reason);
    let model = v.get("model").and_then(Value::as_str).map(str::to_string);
    Ok((text, finish, usage_of(v.get("usage"), None), model))
}

/// Applies one streamed event to the stream state.
pub fn apply_event(state: &mut StreamState, data: &str, sink: &mut dyn Sink) -> Result<()> {
    let v: Value = serde_json::from_str(data)
        .map_err(|_| protocol_error("the stream sent an event that is not JSON", data))?;
    match v.get("type").and_then(Value::as_str).unwrap_or_default() {
        "message_start" => {
            let message = v.get("message");
            if let Some(model) = message.and_then(|m| m.get("model")).and_then(Value::as_str) {
                state.model.get_or_insert_with(|| model.to_string());
            }
            state.usage = usage_of(message.and_then(|m| m.get("usage")), state.usage);
        }
        "content_block_start" => {
            if let Some(text) = v.pointer("/content_block/text").and_then(Value::as_str) {
                state.push(text, sink)?;
            }
        }
        "content_block_delta" => {
            if let Some(text) = v.pointer("/delta/text").and_then(Value::as_str) {
                state.push(text, sink)?;
            }
        }
        "message_delta" => {
            if let Some(reason) = v.pointer("/delta/stop_reason").and_then(Value::as_str) {
                state.finish_reason = Some(finish_reason(reason));
            }
            state.usage = usage_of(v.get("usage"), state.usage).or(state.usage);
        }
        "message_stop" => state.done = true,
        "error" => {
            let err = v.get("error").cloned().unwrap_or(v);
            return Err(error_in_stream(&err));
        }
        // ping, content_block_stop, and event types added later
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    struct Collect(String);
    impl Sink for Collect {
        fn chunk(&mut self, t: &str) -> std::io::Result<()> {
            self.0.push_str(t);
            Ok(())
        }
    }

    fn request(messages: Vec<Message>, params: Map<String, Value>) -> ChatRequest {
        ChatRequest {
            model: "claude-x".into(),
            messages,
            params,
            stream: true,
            schema: None,
        }
    }

    #[test]
    fn url_accepts_a_base_with_or_without_v1() {
        for base in [
            "https://api.anthropic.com",
            "https://api.anthropic.com/",
            "https://api.anthropic.com/v1",
        ] {
            assert_eq!(url(base), "https://api.anthropic.com/v1/messages");
        }
    }

    #[test]
    fn body_moves_system_out_and_merges_turns() {
        let mut params = Map::new();
        params.insert("max_tokens".into(), json!(100));
        params.insert("stop".into(), json!("END"));
        let req = request(
            vec![
                Message::new(Role::System, "persona"),
                Message::new(Role::System, "rules"),
                Message::new(Role::User, "old q"),
                Message::new(Role::Assistant, "old a"),
                Message::new(Role::User, "File: a.py\n```python\nx\n```"),
                Message::new(Role::User, "fix it"),
            ],
            params,
        );
        assert_eq!(
            body(&req),
            json!({"model": "claude-x", "max_tokens": 100, "system": "persona\n\nrules",
                   "messages": [
                       {"role": "user", "content": "old q"},
                       {"role": "assistant", "content": "old a"},
                       {"role": "user", "content": "File: a.py\n```python\nx\n```\n\nfix it"}],
                   "stop_sequences": ["END"], "stream": true})
        );
        let plain = request(vec![Message::new(Role::User, "hi")], Map::new());
        let b = body(&ChatRequest {
            stream: false,
            ..plain
        });
        assert_eq!(b["max_tokens"], json!(crate::provider::DEFAULT_MAX_TOKENS));
        assert!(b.get("system").is_none() && b.get("stream").is_none());
    }

    #[test]
    fn parses_a_whole_response() {
        let v = json!({"type": "message", "model": "claude-x-1",
            "content": [{"type": "text", "text": "he"}, {"type": "thinking", "thinking": "hm"},
                        {"type": "text", "text": "llo"}],
            "stop_reason": "max_tokens", "usage": {"input_tokens": 9, "output_tokens": 4}});
        let (text, finish, usage, model) = parse_response(&v).unwrap();
        assert_eq!(text, "hello");
        assert_eq!(finish.as_deref(), Some("length"));
        assert_eq!(model.as_deref(), Some("claude-x-1"));
        assert_eq!(
            usage,
            Some(Usage {
                input_tokens: 9,
                output_tokens: 4
            })
        );
        assert!(parse_response(&json!({"type": "message"})).is_err());
    }

    #[test]
    fn stream_events_accumulate_text_finish_and_usage() {
        let mut sink = Collect(String::new());
        let mut state = StreamState::default();
        for data in [
            r#"{"type":"message_start","message":{"model":"claude-x-1","usage":{"input_tokens":12,"output_tokens":1}}}"#,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
            r#"{"type":"ping"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"he"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"llo"}}"#,
            r#"{"type":"content_block_stop","index":0}"#,
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}"#,
        ] {
            apply_event(&mut state, data, &mut sink).unwrap();
            assert!(!state.done);
        }
        apply_event(&mut state, r#"{"type":"message_stop"}"#, &mut sink).unwrap();
        assert!(state.done);
        assert_eq!((sink.0.as_str(), state.text.as_str()), ("hello", "hello"));
        assert_eq!(state.finish_reason.as_deref(), Some("stop"));
        assert_eq!(state.model.as_deref(), Some("claude-x-1"));
        assert_eq!(
            state.usage,
            Some(Usage {
                input_tokens: 12,
                output_tokens: 5
            })
        );
    }

    #[test]
    fn error_events_and_garbage_fail() {
        let mut sink = Collect(String::new());
        let mut state = StreamState::default();
        let err = apply_event(
            &mut state,
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            &mut sink,
        )
        .unwrap_err();
        assert!(err.to_string().contains("Overloaded"), "{err}");
        assert!(apply_event(&mut state, "{oops", &mut sink).is_err());
    }

    #[test]
    fn stop_reasons_map_to_finish_reasons() {
        for (stop, finish) in [
            ("max_tokens", "length"),
            ("end_turn", "stop"),
            ("stop_sequence", "stop"),
            ("refusal", "refusal"),
        ] {
            assert_eq!(finish_reason(stop), finish);
        }
    }
}
