//! Anthropic's Messages API: pure body builder and parsers, plus the call itself through
//! `call`. System prompts travel in `system`; `messages` alternate user and assistant.

use anyhow::Result;
use serde_json::{Map, Value, json};

use super::call::{Whole, error_in_stream};
use super::{
    CachePrices, Capabilities, ChatRequest, Effort, Endpoint, ModelSpec, Provider, Sink,
    StreamState, Usage, Variables, model, protocol_error,
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
            json_schema: true,
            requires_max_tokens: true,
            prompt_caching: true,
            reasoning: true,
            ..Capabilities::CHAT
        }
    }
    /// Cache reads cost a tenth of the input price, 5-minute cache writes 1.25 times it
    /// (Anthropic's prompt-caching pricing).
    fn cache_prices(&self, model: &ModelSpec) -> CachePrices {
        CachePrices {
            read: model.input_price * 0.1,
            write: model.input_price * 1.25,
        }
    }
    /// Extended thinking came with Claude 3.7 Sonnet; older models have none.
    fn model_capabilities(&self, model: &str) -> Capabilities {
        let caps = self.capabilities();
        let older = [
            "claude-3-5-",
            "claude-3-haiku",
            "claude-3-opus",
            "claude-3-sonnet",
        ];
        Capabilities {
            reasoning: !older.iter().any(|o| model.starts_with(o)),
            ..caps
        }
    }
    fn apply_reasoning(
        &self,
        model: &str,
        effort: Effort,
        params: &mut Map<String, Value>,
    ) -> Vec<String> {
        thinking(model, effort, params)
    }
    fn parse_reasoning(&self, v: &Value) -> Option<String> {
        let text: String = v
            .get("content")
            .and_then(Value::as_array)?
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("thinking"))
            .filter_map(|b| b.get("thinking").and_then(Value::as_str))
            .collect();
        (!text.is_empty()).then_some(text)
    }
    /// 5 MB per image (<https://docs.anthropic.com/en/docs/build-with-claude/vision>,
    /// "image size limits"; the API's error counts 5,242,880 bytes).
    fn max_image_bytes(&self) -> Option<usize> {
        Some(5 * 1024 * 1024)
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
/// (docs.anthropic.com/en/docs/about-claude/models, .../pricing), as taken on 2026-11-25;
/// the 4.6 and 5 models from the per-model overview pages
/// (platform.claude.com/docs/en/models/…/overview) as read 2026-12-02.
/// Anthropic charges more for Sonnet 4/4.5 prompts over 200K tokens (1M-token beta); that
/// tier is not modelled here.
const MODELS: &[ModelSpec] = &[
    model(&["claude-fable-5-1"], 1_000_000, 128_000, (10.00, 50.00)),
    model(&["claude-opus-5-5"], 1_000_000, 128_000, (4.00, 20.00)),
    model(&["claude-opus-5"], 1_000_000, 128_000, (5.00, 25.00)),
    model(&["claude-sonnet-5"], 1_000_000, 128_000, (2.00, 10.00)),
    model(&["claude-opus-4-6"], 1_000_000, 128_000, (5.00, 25.00)),
    model(&["claude-sonnet-4-6"], 1_000_000, 128_000, (3.00, 15.00)),
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

/// The thinking budget of each effort, in tokens (the API's minimum is 1,024).
pub fn thinking_budget(effort: Effort) -> u64 {
    match effort {
        Effort::Low => 2_048,
        Effort::Medium => 8_192,
        Effort::High => 16_384,
    }
}

/// The models that think only with a fixed budget (`thinking.type: "enabled"`); newer ones
/// (Claude Opus and Sonnet 4.6 on, the 5 family) think adaptively and refuse a budget
/// (Anthropic's extended and adaptive thinking docs, as read 2026-12-02).
const BUDGETED: &[&str] = &[
    "claude-3-7-sonnet",
    "claude-sonnet-4",
    "claude-sonnet-4-0",
    "claude-sonnet-4-5",
    "claude-opus-4",
    "claude-opus-4-0",
    "claude-opus-4-1",
    "claude-opus-4-5",
    "claude-haiku-4-5",
];

/// Thinking as Anthropic's docs require it, with no `temperature`, `top_p` or `top_k`,
/// which thinking does not take; returns what was dropped. Older models get extended
/// thinking, `thinking: {type: "enabled", budget_tokens}` with `max_tokens` above the
/// budget (the answer keeps the room it had); newer ones adaptive thinking,
/// `thinking: {type: "adaptive"}` with `output_config: {effort}`.
fn thinking(model: &str, effort: Effort, params: &mut Map<String, Value>) -> Vec<String> {
    let dropped = ["temperature", "top_p", "top_k"]
        .iter()
        .filter(|k| params.remove(**k).is_some())
        .map(|k| k.to_string())
        .collect();
    let name = crate::models::normalise(model);
    if !BUDGETED.contains(&name) {
        params.insert("thinking".into(), json!({"type": "adaptive"}));
        params.insert("output_config".into(), json!({"effort": effort.as_str()}));
        return dropped;
    }
    let budget = thinking_budget(effort);
    let max = params
        .get("max_tokens")
        .and_then(Value::as_u64)
        .unwrap_or(super::DEFAULT_MAX_TOKENS);
    if max <= budget {
        params.insert("max_tokens".into(), json!(budget + max));
    }
    params.insert(
        "thinking".into(),
        json!({"type": "enabled", "budget_tokens": budget}),
    );
    dropped
}

/// `{base}/v1/messages`; a base that already ends in `/v1` is accepted too.
pub fn url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    format!("{}/v1/messages", base.strip_suffix("/v1").unwrap_or(base))
}

/// The shortest prefix, in estimated tokens, worth a cache breakpoint: Anthropic caches
/// nothing shorter than 1024 tokens (more for some models), so a breakpoint before that
/// would only clutter the request.
const MIN_CACHED_TOKENS: u64 = 1024;

const EPHEMERAL: &str = "ephemeral";

/// The prompt-cache breakpoints (`cache_control`), at most three of the four the API
/// allows: after the system prompt (persona and system snippets), after the history, and
/// after this call's snippets (before its prompt), each only where the prefix up to it is
/// long enough to be cached. Returns whether the system prompt gets one, and the indexes
/// (among the non-system messages) of the messages that do.
fn breakpoints(req: &ChatRequest) -> (bool, Vec<usize>) {
    let system: u64 = (req.messages.iter())
        .filter(|m| m.role == Role::System)
        .map(crate::models::estimate_message)
        .sum();
    let turns: Vec<&crate::message::Message> = req
        .messages
        .iter()
        .filter(|m| m.role != Role::System)
        .collect();
    let fresh = req.new_count.min(turns.len());
    let mut candidates = Vec::new();
    if fresh < turns.len() {
        candidates.push(turns.len() - fresh - 1);
    }
    if turns.len() >= 2 && fresh >= 2 {
        candidates.push(turns.len() - 2);
    }
    let mut marks = Vec::new();
    let mut prefix = system;
    let mut counted = 0;
    for at in candidates {
        prefix += crate::models::estimate_messages(turns[counted..=at].iter().copied());
        counted = at + 1;
        if prefix >= MIN_CACHED_TOKENS {
            marks.push(at);
        }
    }
    (system >= MIN_CACHED_TOKENS, marks)
}

/// One turn being built: its role, its messages' texts (each with whether a cache
/// breakpoint follows it) and its images.
type Turn<'a> = (Role, Vec<(&'a str, bool)>, Vec<Value>);

/// The conversation as the API wants it: system text joined into one string, then the
/// other messages with consecutive same-role ones merged (the API requires alternation).
/// With cache breakpoints every turn is a list of text blocks, one per message, so that a
/// turn reads the same whichever call marks it (a cached prefix must match block for
/// block); the system prompt with a breakpoint is one marked block.
fn split(req: &ChatRequest) -> (Option<Value>, Vec<Value>) {
    let (cache_system, marks) = breakpoints(req);
    let system: Vec<&str> = req
        .messages
        .iter()
        .filter(|m| m.role == Role::System)
        .map(|m| m.content.as_str())
        .collect();
    let mut turns: Vec<Turn> = Vec::new();
    let others = req.messages.iter().filter(|m| m.role != Role::System);
    for (i, m) in others.enumerate() {
        let piece = (m.content.as_str(), marks.contains(&i));
        let images = m.images.iter().map(|i| i.anthropic_block());
        match turns.last_mut() {
            Some((role, pieces, blocks)) if *role == m.role => {
                pieces.push(piece);
                blocks.extend(images);
            }
            _ => turns.push((m.role, vec![piece], images.collect())),
        }
    }
    let blocks = !marks.is_empty();
    let messages = turns
        .into_iter()
        .map(|(role, pieces, images)| {
            json!({"role": role.as_str(), "content": content(&pieces, images, blocks)})
        })
        .collect();
    let system = (!system.is_empty()).then(|| {
        let text = system.join("\n\n");
        if cache_system {
            json!([{"type": "text", "text": text, "cache_control": {"type": EPHEMERAL}}])
        } else {
            json!(text)
        }
    });
    (system, messages)
}

/// A turn's content: its messages joined into one string, or one text block each.
/// Images go first, then the text; without images and breakpoints the content stays a string.
fn content(pieces: &[(&str, bool)], images: Vec<Value>, blocks: bool) -> Value {
    if !blocks {
        let texts: Vec<&str> = pieces.iter().map(|(text, _)| *text).collect();
        let text = texts.join("\n\n");
        if images.is_empty() {
            return json!(text);
        }
        let mut all = images;
        all.push(json!({"type": "text", "text": text}));
        return Value::Array(all);
    }
    let texts = pieces.iter().map(|(text, mark)| {
        let mut block = json!({"type": "text", "text": text});
        if *mark {
            block["cache_control"] = json!({"type": EPHEMERAL});
        }
        block
    });
    Value::Array(images.into_iter().chain(texts).collect())
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
        body.insert("system".into(), system);
    }
    body.insert("messages".into(), Value::Array(messages));
    for (k, v) in &req.params {
        match (k.as_str(), v) {
            ("stop", Value::String(s)) => body.insert("stop_sequences".into(), json!([s])),
            ("stop", _) => body.insert("stop_sequences".into(), v.clone()),
            _ => body.insert(k.clone(), v.clone()),
        };
    }
    if let Some(schema) = &req.schema {
        // the schema as the one tool the model must call; its input is the answer
        body.insert(
            "tools".into(),
            json!([{"name": schema.name,
                    "description": "Answer with this tool: its input is the answer, as JSON matching the schema.",
                    "input_schema": schema.schema}]),
        );
        body.insert(
            "tool_choice".into(),
            json!({"type": "tool", "name": schema.name}),
        );
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
/// a natural end, a stop sequence or the schema's tool call is `stop`; anything else is
/// kept as the API said it.
pub fn finish_reason(stop_reason: &str) -> String {
    match stop_reason {
        "max_tokens" => "length",
        "end_turn" | "stop_sequence" | "tool_use" => "stop",
        other => other,
    }
    .to_string()
}

/// Usage from a `usage` object; a missing count is taken from `before` (the stream reports
/// input tokens at its start and output tokens at its end). Anthropic's `input_tokens`
/// are those after the last cache breakpoint; cellmage's count every input token, so the
/// cache reads and writes are added to them.
fn usage_of(u: Option<&Value>, before: Option<Usage>) -> Option<Usage> {
    let u = u.filter(|u| u.is_object())?;
    let before = before.unwrap_or_default();
    let count = |name: &str, old: u64| u.get(name).and_then(Value::as_u64).unwrap_or(old);
    let read = count("cache_read_input_tokens", before.cached_input_tokens);
    let written = count("cache_creation_input_tokens", before.cache_write_tokens);
    let uncached = match u.get("input_tokens").and_then(Value::as_u64) {
        Some(n) => n,
        None => before.input_tokens - before.cached_input_tokens - before.cache_write_tokens,
    };
    Some(Usage {
        input_tokens: uncached + read + written,
        output_tokens: count("output_tokens", before.output_tokens),
        cached_input_tokens: read,
        cache_write_tokens: written,
    })
}

/// A whole (non-streaming) response: the text of its text blocks, in order; with a
/// schema's forced tool call, the tool call's input as JSON.
pub fn parse_response(v: &Value) -> Result<Whole> {
    let blocks = v
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| protocol_error("the response has no content", &v.to_string()))?;
    let kind = |b: &Value, t: &str| b.get("type").and_then(Value::as_str) == Some(t);
    let tool_input = blocks
        .iter()
        .find(|b| kind(b, "tool_use"))
        .and_then(|b| b.get("input"));
    let text: String = match tool_input {
        Some(input) => input.to_string(),
        None => blocks
            .iter()
            .filter(|b| kind(b, "text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect(),
    };
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
            if let Some(text) = v.pointer("/content_block/thinking").and_then(Value::as_str) {
                state.think(text, sink)?;
            }
        }
        "content_block_delta" => {
            // text, or a forced tool call's input as it is streamed (`input_json_delta`)
            let delta = v.get("delta");
            let text = delta.and_then(|d| d.get("text").or_else(|| d.get("partial_json")));
            if let Some(text) = text.and_then(Value::as_str) {
                state.push(text, sink)?;
            }
            // a thinking block's `thinking_delta`: never the answer
            if let Some(text) = v.pointer("/delta/thinking").and_then(Value::as_str) {
                state.think(text, sink)?;
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
            new_count: 1,
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
    fn cache_breakpoints_follow_the_system_prompt_the_history_and_the_snippets() {
        let big = "x".repeat(5000);
        let mut req = request(
            vec![
                Message::new(Role::System, big.clone()),
                Message::new(Role::User, big.clone()),
                Message::new(Role::User, "q1"),
                Message::new(Role::Assistant, "a1"),
                Message::new(Role::User, big.clone()),
                Message::new(Role::User, "q2"),
            ],
            Map::new(),
        );
        req.new_count = 2;
        let b = body(&req);
        let mark = json!({"type": "ephemeral"});
        assert_eq!(b["system"][0]["cache_control"], mark);
        // every turn is blocks, one per message, marked or not
        assert_eq!(
            b["messages"][0]["content"],
            json!([{"type": "text", "text": big}, {"type": "text", "text": "q1"}])
        );
        assert_eq!(b["messages"][1]["content"][0]["cache_control"], mark);
        assert_eq!(b["messages"][2]["content"][0]["cache_control"], mark);
        assert!(
            b["messages"][2]["content"][1]
                .get("cache_control")
                .is_none()
        );
        assert_eq!(b["messages"][2]["content"][1]["text"], "q2");
        // short prefixes get none: the request is as it always was
        let small = request(vec![Message::new(Role::User, "hi")], Map::new());
        assert_eq!(body(&small)["messages"][0]["content"], "hi");
    }

    #[test]
    fn cache_usage_counts_every_input_token() {
        let v = json!({"content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
            "usage": {"input_tokens": 10, "cache_read_input_tokens": 1000,
                      "cache_creation_input_tokens": 200, "output_tokens": 5}});
        let usage = parse_response(&v).unwrap().2.unwrap();
        assert_eq!(
            usage,
            Usage {
                input_tokens: 1210,
                output_tokens: 5,
                cached_input_tokens: 1000,
                cache_write_tokens: 200,
            }
        );
        // a stream's message_delta that repeats no input count keeps the start's
        let after = usage_of(Some(&json!({"output_tokens": 9})), Some(usage)).unwrap();
        assert_eq!((after.input_tokens, after.output_tokens), (1210, 9));
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
        assert_eq!(usage, Some(Usage::new(9, 4)));
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
        assert_eq!(state.usage, Some(Usage::new(12, 5)));
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
