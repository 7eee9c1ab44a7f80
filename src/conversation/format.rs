//! The versioned record types of a conversation file and their JSON forms: the JSON Lines
//! file itself (a header line, then one line per exchange) and the JSON export.
//!
//! Everything here is pure: bytes in, values out. Paths and errors with exit codes are
//! added by `store`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::message::{Message, Role};
use crate::provider::Usage;

/// The `format` field of every header and export.
pub const FORMAT: &str = "cellmage-conversation";
/// The format version this build writes, and the newest it reads.
pub const VERSION: u64 = 1;

/// One recorded call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub time: String,
    pub model: String,
    pub provider: String,
    /// The base URL the request went to (absent in files written before it was recorded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub persona: Option<String>,
    /// The messages this call added, as sent: its snippets, then its prompt.
    pub messages: Vec<Message>,
    pub answer: String,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub cost: Option<f64>,
    #[serde(default)]
    pub duration_ms: u64,
}

impl Exchange {
    /// The messages to send for this exchange as history: what was asked, then the answer.
    pub fn history(&self) -> impl Iterator<Item = Message> + '_ {
        self.messages
            .iter()
            .cloned()
            .chain(std::iter::once(Message::new(
                Role::Assistant,
                self.answer.clone(),
            )))
    }

    /// The prompt: the last user message (snippets come before it).
    pub fn prompt(&self) -> &str {
        self.messages
            .iter()
            .rev()
            .find(|m| m.role == Role::User)
            .map(|m| m.content.as_str())
            .unwrap_or_default()
    }
}

/// The first line of a conversation file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u64,
    /// Assigned when the conversation was created; kept by export and import.
    pub id: String,
    /// The name the conversation is addressed by (its file name without `.jsonl`).
    pub name: String,
    pub created: String,
}

impl Header {
    pub fn new(id: &str, name: &str, created: &str) -> Header {
        Header {
            format: FORMAT.to_string(),
            version: VERSION,
            id: id.to_string(),
            name: name.to_string(),
            created: created.to_string(),
        }
    }
}

/// A whole conversation in memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    pub header: Header,
    pub exchanges: Vec<Exchange>,
}

/// Brings a record (header or exchange) written by format `version` up to `VERSION`.
///
/// Version 1 is the first format, so no step exists yet. A version 2 adds its step here
/// (`1 => value = one_to_two(value)`, looping until `VERSION`), and every reader goes
/// through this function, so old files keep loading.
pub fn migrate(version: u64, value: Value) -> Result<Value, String> {
    match version {
        VERSION => Ok(value),
        v if v > VERSION => Err(format!(
            "written by a newer cellmage (format version {v}; this build reads up to {VERSION})"
        )),
        v => Err(format!("unknown format version {v}")),
    }
}

/// The version of a header or export object, checking its `format` tag.
pub fn version_of(value: &Value) -> Result<u64, String> {
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(format!(
            "not a cellmage conversation (no \"format\": \"{FORMAT}\")"
        ));
    }
    value
        .get("version")
        .and_then(Value::as_u64)
        .ok_or_else(|| "the header has no version number".to_string())
}

/// Deserializes a record of `version` after migrating it.
pub fn decode<T: serde::de::DeserializeOwned>(version: u64, value: Value) -> Result<T, String> {
    serde_json::from_value(migrate(version, value)?).map_err(|e| e.to_string())
}

/// A record as one line of the file, newline included.
pub fn line<T: Serialize>(record: &T) -> String {
    let mut text = serde_json::to_string(record).expect("records serialize");
    text.push('\n');
    text
}

/// Parses one exchange line of a current-version file (used to check a file's tail).
pub fn exchange_of_line(line: &[u8]) -> Option<Exchange> {
    serde_json::from_slice(line).ok()
}

/// Why a file cannot be loaded: a message and, when it is about one line, its number.
#[derive(Debug, PartialEq)]
pub struct Problem {
    pub line: Option<usize>,
    pub message: String,
}

fn problem(line: usize, message: impl Into<String>) -> Problem {
    Problem {
        line: Some(line),
        message: message.into(),
    }
}

/// Parses a conversation file. A torn tail — bytes after the last newline, or a last line
/// that does not parse — is what a process killed mid-write leaves: it is ignored. Any
/// other bad line, or a bad header, is a problem. `None`: not even a header was written.
pub fn parse(bytes: &[u8]) -> Result<Option<Conversation>, Problem> {
    let complete = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => &bytes[..end],
        None => return Ok(None),
    };
    let lines: Vec<&[u8]> = complete.split(|&b| b == b'\n').collect();
    let header_value: Value =
        serde_json::from_slice(lines[0]).map_err(|e| problem(1, format!("bad header: {e}")))?;
    let version = version_of(&header_value).map_err(|m| problem(1, m))?;
    let header: Header = decode(version, header_value).map_err(|m| problem(1, m))?;
    let mut exchanges = Vec::with_capacity(lines.len() - 1);
    for (i, raw) in lines.iter().enumerate().skip(1) {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = serde_json::from_slice(raw)
            .map_err(|e| e.to_string())
            .and_then(|v| decode(version, v));
        match parsed {
            Ok(exchange) => exchanges.push(exchange),
            Err(_) if i == lines.len() - 1 => {}
            Err(e) => return Err(problem(i + 1, format!("not a valid exchange: {e}"))),
        }
    }
    Ok(Some(Conversation {
        header: Header {
            version: VERSION,
            ..header
        },
        exchanges,
    }))
}

/// The whole file for a conversation: header line, then one line per exchange.
pub fn file_text(conv: &Conversation) -> String {
    let mut text = line(&conv.header);
    for exchange in &conv.exchanges {
        text.push_str(&line(exchange));
    }
    text
}

/// `history export --format json`: the header's fields plus `exchanges`, pretty-printed.
pub fn export_json(conv: &Conversation) -> String {
    let mut value = serde_json::to_value(&conv.header).expect("header serializes");
    value["exchanges"] = serde_json::to_value(&conv.exchanges).expect("exchanges serialize");
    let mut text = serde_json::to_string_pretty(&value).expect("value serializes");
    text.push('\n');
    text
}

/// Reads our JSON export back.
pub fn import_json(text: &str) -> Result<Conversation, String> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| format!("bad JSON: {e}"))?;
    let version = version_of(&value)?;
    let exchanges = match value.as_object_mut().and_then(|o| o.remove("exchanges")) {
        Some(Value::Array(items)) => items,
        _ => return Err("no \"exchanges\" array".to_string()),
    };
    Ok(Conversation {
        header: Header {
            version: VERSION,
            ..decode(version, value)?
        },
        exchanges: exchanges
            .into_iter()
            .enumerate()
            .map(|(i, v)| decode(version, v).map_err(|e| format!("exchange {}: {e}", i + 1)))
            .collect::<Result<_, _>>()?,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn exchange(prompt: &str, answer: &str) -> Exchange {
        Exchange {
            time: "2025-06-01T14:22:33.123Z".into(),
            model: "gpt-4.1-mini".into(),
            provider: "openai".into(),
            base_url: None,
            persona: Some("coder".into()),
            messages: vec![
                Message::new(Role::User, "File: a.py\n```python\nx = 1\n```"),
                Message::new(Role::User, prompt),
            ],
            answer: answer.into(),
            usage: Some(Usage::new(11, 7)),
            finish_reason: Some("stop".into()),
            cost: Some(0.000123),
            duration_ms: 1234,
        }
    }

    pub fn conversation(n: usize) -> Conversation {
        Conversation {
            header: Header::new("20250601T142233.123Z-42", "kv", "2025-06-01T14:22:33.123Z"),
            exchanges: (0..n)
                .map(|i| exchange(&format!("prompt {i}"), &format!("answer {i}\n---\n")))
                .collect(),
        }
    }

    #[test]
    fn file_text_parses_back() {
        let conv = conversation(3);
        assert_eq!(parse(file_text(&conv).as_bytes()), Ok(Some(conv)));
    }

    #[test]
    fn torn_tails_are_ignored() {
        let conv = conversation(2);
        let text = file_text(&conv);
        let one = file_text(&conversation(1));
        let cases: &[(&str, Option<usize>)] = &[
            // cut inside the last line: the last exchange is lost, nothing else
            (&text[..text.len() - 5], Some(1)),
            // a complete last line that does not parse
            (&format!("{one}{{\"time\": 3\n"), Some(1)),
            // only a torn header
            (&text[..10], None),
            ("", None),
            // header only
            (&file_text(&conversation(0)), Some(0)),
        ];
        for (bytes, want) in cases {
            let got = parse(bytes.as_bytes()).unwrap().map(|c| c.exchanges.len());
            assert_eq!(got, *want, "{bytes:?}");
        }
    }

    #[test]
    fn a_bad_middle_line_or_header_is_a_problem() {
        let text = file_text(&conversation(2));
        let mut lines: Vec<&str> = text.lines().collect();
        lines[1] = "{\"broken\": ";
        let bad_middle = lines.join("\n") + "\n";
        assert_eq!(parse(bad_middle.as_bytes()).unwrap_err().line, Some(2));
        let bad_header = text.replacen(FORMAT, "something-else", 1);
        assert_eq!(parse(bad_header.as_bytes()).unwrap_err().line, Some(1));
        let newer = text.replacen("\"version\":1", "\"version\":2", 1);
        let err = parse(newer.as_bytes()).unwrap_err();
        assert!(err.message.contains("newer cellmage"), "{err:?}");
    }

    #[test]
    fn migrate_accepts_the_current_version_only() {
        let v = serde_json::json!({"a": 1});
        assert_eq!(migrate(VERSION, v.clone()), Ok(v.clone()));
        assert!(
            migrate(VERSION + 1, v.clone())
                .unwrap_err()
                .contains("newer")
        );
        assert!(migrate(0, v).is_err());
    }

    #[test]
    fn missing_optional_fields_default() {
        let line = r#"{"time":"t","model":"m","provider":"p","messages":[],"answer":"a"}"#;
        let e = exchange_of_line(line.as_bytes()).unwrap();
        assert_eq!(
            (e.persona, e.usage, e.cost, e.duration_ms),
            (None, None, None, 0)
        );
    }

    #[test]
    fn json_export_round_trips() {
        let conv = conversation(2);
        assert_eq!(import_json(&export_json(&conv)), Ok(conv));
        assert!(import_json("{\"format\":\"x\"}").is_err());
        assert!(import_json("[]").is_err());
    }

    #[test]
    fn history_is_the_messages_then_the_answer() {
        let e = exchange("p", "a");
        let roles: Vec<Role> = e.history().map(|m| m.role).collect();
        assert_eq!(roles, [Role::User, Role::User, Role::Assistant]);
        assert_eq!(e.prompt(), "p");
    }
}
