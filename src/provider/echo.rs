//! The offline `echo` model: answers with the prompt it was given, after a list of whatever
//! else would have been sent (persona, snippets with sizes and token estimates, history),
//! streamed like a real one; with `--schema` (and in `cellmage review`) a minimal object
//! valid against the schema. The whole pipeline can be tried with no network and no key.

use std::time::Instant;

use anyhow::Result;
use serde_json::{Map, Value};

use super::{
    Answer, Capabilities, ChatRequest, Endpoint, ModelSpec, Provider, Sink, StreamState, Usage,
    call::Whole, openai, protocol_error,
};
use crate::message::{Message, Role};
use crate::secret::Secret;

/// The offline provider.
pub struct Echo;

impl Provider for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn title(&self) -> &'static str {
        "echo"
    }
    fn default_base(&self) -> Option<&'static str> {
        None
    }
    fn models(&self) -> &'static [ModelSpec] {
        // no window, and free
        &[ModelSpec {
            names: &["echo"],
            window: None,
            max_output: None,
            input_price: 0.0,
            output_price: 0.0,
        }]
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            offline: true,
            // the schema reaches `complete`, which answers with a minimal valid object
            json_schema: true,
            ..Capabilities::default()
        }
    }
    fn url(&self, _base: &str) -> String {
        "echo: (offline, no network)".into()
    }
    fn headers(
        &self,
        _: &Endpoint,
        _: Option<&Secret>,
    ) -> Vec<(String, crate::transport::HeaderValue)> {
        Vec::new()
    }
    /// What would be sent: the OpenAI body.
    fn write_body(
        &self,
        req: &ChatRequest,
        out: &mut dyn std::io::Write,
        pretty: bool,
    ) -> serde_json::Result<()> {
        super::write_json(out, &openai::body(req), pretty)
    }
    fn parse_response(&self, v: &Value) -> Result<Whole> {
        Err(protocol_error("echo reads no responses", &v.to_string()))
    }
    fn apply_event(&self, _: &mut StreamState, data: &str, _: &mut dyn Sink) -> Result<()> {
        Err(protocol_error("echo reads no streams", data))
    }
    fn complete(&self, req: &ChatRequest, _: &Endpoint, sink: &mut dyn Sink) -> Result<Answer> {
        complete(req, sink)
    }
}

pub fn complete(req: &ChatRequest, sink: &mut dyn Sink) -> Result<Answer> {
    let started = Instant::now();
    let text = match &req.schema {
        Some(schema) => {
            let schema = &schema.schema;
            minimal(schema, schema, 0).to_string()
        }
        None => answer(&req.messages),
    };
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        sink.chunk(&text[start..=i])?;
        start = i + 1;
    }
    sink.chunk(&text[start..])?;
    let input = crate::models::estimate_texts(req.messages.iter().map(|m| m.content.as_str()));
    Ok(Answer {
        usage: Some(Usage::new(input, crate::models::estimate_tokens(&text))),
        text,
        finish_reason: Some("stop".into()),
        truncated: false,
        model: "echo".into(),
        duration: started.elapsed(),
        retries: 0,
    })
}

/// The prompt; when anything else would have been sent, a list of it first: the system
/// prompt (persona), each snippet with its size and estimated tokens, the history's length.
fn answer(messages: &[Message]) -> String {
    let prompt_at = messages.iter().rposition(|m| m.role == Role::User);
    let prompt = prompt_at.map_or("", |i| messages[i].content.as_str());
    let history_end = messages
        .iter()
        .rposition(|m| m.role == Role::Assistant)
        .map_or(0, |i| i + 1);
    let mut lines = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        if Some(i) == prompt_at {
            continue;
        }
        let size = format!(
            "{} bytes, ~{} tokens",
            m.content.len(),
            crate::models::estimate_message(m)
        );
        match (&m.snippet, m.role) {
            (Some(origin), Role::System) => {
                lines.push(format!("system snippet {} ({size})", origin.label))
            }
            (None, Role::System) => lines.push(format!("system prompt (persona) ({size})")),
            (Some(origin), _) if i >= history_end => {
                lines.push(format!("snippet {} ({size})", origin.label))
            }
            _ => {}
        }
    }
    let exchanges = messages[..history_end]
        .iter()
        .filter(|m| m.role == Role::Assistant)
        .count();
    if exchanges > 0 {
        let tokens = crate::models::estimate_messages(
            messages[..history_end]
                .iter()
                .filter(|m| m.role != Role::System),
        );
        lines.push(format!(
            "history: {} (~{tokens} tokens)",
            crate::text::count(exchanges, "exchange")
        ));
    }
    if lines.is_empty() {
        return prompt.to_string();
    }
    let tokens = prompt_at.map_or(0, |i| crate::models::estimate_message(&messages[i]));
    format!(
        "echo: nothing was sent; the request would hold:\n{}prompt (~{tokens} tokens):\n\n{prompt}",
        lines.iter().map(|l| format!("- {l}\n")).collect::<String>()
    )
}

/// The smallest value a JSON Schema accepts, as far as a plain reading of it goes: required
/// properties only, empty arrays, empty strings, zeros, the first of an `enum` or `anyOf`.
pub fn minimal(schema: &Value, root: &Value, depth: usize) -> Value {
    let Some(obj) = schema.as_object().filter(|_| depth < 32) else {
        return Value::Null;
    };
    if let Some(target) = obj.get("$ref").and_then(Value::as_str) {
        let pointer = target.trim_start_matches('#');
        return root
            .pointer(pointer)
            .map_or(Value::Null, |s| minimal(s, root, depth + 1));
    }
    if let Some(value) = obj.get("const") {
        return value.clone();
    }
    if let Some(first) = obj.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(first) = obj.get(key).and_then(|e| e.get(0)) {
            return minimal(first, root, depth + 1);
        }
    }
    let ty = match obj.get("type") {
        Some(Value::String(t)) => t.as_str(),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")
            .unwrap_or("null"),
        _ if obj.contains_key("properties") => "object",
        _ => return Value::Null,
    };
    let number = |key: &str| obj.get(key).and_then(Value::as_f64);
    match ty {
        "object" => {
            let mut out = Map::new();
            let props = obj.get("properties");
            for name in obj
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                let sub = props.and_then(|p| p.get(name)).unwrap_or(&Value::Null);
                out.insert(name.to_string(), minimal(sub, root, depth + 1));
            }
            Value::Object(out)
        }
        "array" => {
            let n = number("minItems").unwrap_or(0.0) as usize;
            let item = obj.get("items").unwrap_or(&Value::Null);
            Value::Array((0..n).map(|_| minimal(item, root, depth + 1)).collect())
        }
        "string" => Value::String("x".repeat(number("minLength").unwrap_or(0.0) as usize)),
        "integer" | "number" => {
            let low = number("minimum")
                .or(number("exclusiveMinimum").map(|m| m.floor() + 1.0))
                .unwrap_or(0.0);
            let value = match number("maximum") {
                Some(high) if high < low.max(0.0) => high,
                _ if low > 0.0 => low,
                _ => 0.0,
            };
            serde_json::json!(value as i64)
        }
        "boolean" => Value::Bool(false),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_minimal_value_satisfies_the_schema() {
        let schema = json!({
            "type": "object",
            "required": ["name", "age", "tags", "kind", "nested", "maybe"],
            "properties": {
                "name": {"type": "string", "minLength": 2},
                "age": {"type": "integer", "minimum": 3},
                "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "kind": {"enum": ["a", "b"]},
                "nested": {"$ref": "#/$defs/n"},
                "maybe": {"type": ["null", "boolean"]},
                "optional": {"type": "string"}
            },
            "$defs": {"n": {"type": "object", "required": ["x"], "properties": {"x": {"type": "number"}}}}
        });
        let value = minimal(&schema, &schema, 0);
        assert_eq!(
            value,
            json!({"name": "xx", "age": 3, "tags": [""], "kind": "a", "nested": {"x": 0}, "maybe": false})
        );
        assert!(jsonschema::is_valid(&schema, &value));
    }

    #[test]
    fn a_bare_prompt_is_echoed_and_context_is_listed() {
        let user = |text: &str| Message::new(Role::User, text);
        assert_eq!(answer(&[user("hi")]), "hi");
        let snippet = Message::snippet(
            Role::User,
            "File: a.py\n```\nx\n```",
            crate::message::Origin {
                kind: "file".into(),
                label: "a.py".into(),
            },
        );
        let text = answer(&[
            Message::new(Role::System, "You are a coder."),
            user("old"),
            Message::new(Role::Assistant, "old answer"),
            snippet,
            user("hi"),
        ]);
        assert!(text.starts_with("echo: nothing was sent"), "{text}");
        assert!(
            text.contains("- system prompt (persona) (16 bytes"),
            "{text}"
        );
        assert!(text.contains("- snippet a.py ("), "{text}");
        assert!(text.contains("- history: 1 exchange (~"), "{text}");
        assert!(text.ends_with("tokens):\n\nhi"), "{text}");
    }
}
