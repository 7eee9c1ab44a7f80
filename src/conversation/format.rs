//! The versioned record types of a conversation file and their JSON forms: the JSON Lines
//! file itself (a header line, then one line per exchange) and the JSON export.
//!
//! Everything here is pure: bytes in, values out. Paths and errors with exit codes are
//! added by `store`.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::v1;
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

/// Why a record or an export cannot be read.
#[derive(Debug)]
pub enum FormatError {
    /// No `"format": "cellmage-conversation"`.
    NotOurs,
    NoVersion,
    Newer(u64),
    UnknownVersion(u64),
    /// Not JSON, or JSON that is not the record.
    Json(serde_json::Error),
    /// An export without its `exchanges` array.
    NoExchanges,
    /// Exchange `n` (1-based) of an export.
    Exchange(usize, Box<FormatError>),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::NotOurs => write!(
                f,
                "not a cellmage conversation (no \"format\": \"{FORMAT}\")"
            ),
            FormatError::NoVersion => f.write_str("the header has no version number"),
            FormatError::Newer(v) => write!(
                f,
                "written by a newer cellmage (format version {v}; this build reads up to {VERSION})"
            ),
            FormatError::UnknownVersion(v) => write!(f, "unknown format version {v}"),
            FormatError::Json(e) => write!(f, "{e}"),
            FormatError::NoExchanges => f.write_str("no \"exchanges\" array"),
            FormatError::Exchange(n, e) => write!(f, "exchange {n}: {e}"),
        }
    }
}

impl std::error::Error for FormatError {}

impl From<serde_json::Error> for FormatError {
    fn from(e: serde_json::Error) -> Self {
        FormatError::Json(e)
    }
}

/// The version of a header or export object, checking its `format` tag.
pub fn version_of(value: &Value) -> Result<u64, FormatError> {
    if value.get("format").and_then(Value::as_str) != Some(FORMAT) {
        return Err(FormatError::NotOurs);
    }
    value
        .get("version")
        .and_then(Value::as_u64)
        .ok_or(FormatError::NoVersion)
}

/// Refuses versions newer than this build.
fn readable(version: u64) -> Result<(), FormatError> {
    match version {
        v if v > VERSION => Err(FormatError::Newer(v)),
        _ => Ok(()),
    }
}

/// Reads a header written by format `version`, migrated to the current type. Each version
/// has its frozen decoder (`v1`, ...), which migrates to the current types.
pub fn decode_header(version: u64, value: Value) -> Result<Header, FormatError> {
    readable(version)?;
    match version {
        1 => Ok(v1::header(value)?),
        v => Err(FormatError::UnknownVersion(v)),
    }
}

/// Reads an exchange written by format `version`, migrated to the current type.
pub fn decode_exchange(version: u64, value: Value) -> Result<Exchange, FormatError> {
    readable(version)?;
    match version {
        1 => Ok(v1::exchange(value)?),
        v => Err(FormatError::UnknownVersion(v)),
    }
}

/// A header line: the header, migrated, and the version it was written in.
pub fn header_of_line(line: &[u8]) -> Result<(Header, u64), FormatError> {
    let value: Value = serde_json::from_slice(line)?;
    let version = version_of(&value)?;
    Ok((decode_header(version, value)?, version))
}

/// An exchange line of a file written by format `version`.
pub fn exchange_of_line(version: u64, line: &[u8]) -> Result<Exchange, FormatError> {
    decode_exchange(version, serde_json::from_slice(line)?)
}

/// A record as one line of the file, newline included.
pub fn line<T: Serialize>(record: &T) -> String {
    let mut text = serde_json::to_string(record).expect("records serialize");
    text.push('\n');
    text
}

/// The bytes after a file's last newline.
#[derive(Debug, PartialEq)]
pub enum Tail<T> {
    /// Nothing.
    Empty,
    /// A complete record that only misses its newline: kept.
    Whole(T),
    /// A strict prefix of a record, as a write cut short leaves it: ignored.
    Torn,
}

/// Reads the bytes after the last newline, where the header belongs (`version` is
/// `None`: the file has no complete line) or an exchange. Anything that is neither a
/// complete record nor a strict prefix of one is an error.
pub fn tail_of(bytes: &[u8], version: Option<u64>) -> Result<Tail<Record>, FormatError> {
    if bytes.is_empty() {
        return Ok(Tail::Empty);
    }
    let first_key = if version.is_some() { "time" } else { "format" };
    if is_torn(bytes, first_key) {
        return Ok(Tail::Torn);
    }
    Ok(Tail::Whole(match version {
        None => Record::Header(header_of_line(bytes)?.0),
        Some(v) => Record::Exchange(exchange_of_line(v, bytes)?),
    }))
}

/// A complete record found in a tail.
#[derive(Debug, PartialEq)]
pub enum Record {
    Header(Header),
    Exchange(Exchange),
}

/// True when `bytes` is a strict prefix of a JSON object whose first key is `first_key`,
/// as our writer puts it: `{`, then the key (or part of it), and JSON cut off, not wrong.
fn is_torn(bytes: &[u8], first_key: &str) -> bool {
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => text,
        // cut inside a multi-byte character
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    let Some(rest) = text.strip_prefix('{') else {
        return false;
    };
    let key = format!("\"{first_key}\"");
    let rest = rest.trim_start();
    if !(key.starts_with(rest) || rest.starts_with(&key)) {
        return false;
    }
    matches!(serde_json::from_str::<Value>(text), Err(e) if e.is_eof())
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

/// Parses a conversation file. The bytes after the last newline may be a record cut short
/// by a killed writer: ignored; or a complete record missing its newline: kept. Any other
/// bad line, or a bad header, is a problem. `None`: not even a header was written.
pub fn parse(bytes: &[u8]) -> Result<Option<Conversation>, Problem> {
    let (complete, tail) = match bytes.iter().rposition(|&b| b == b'\n') {
        Some(end) => (&bytes[..end], &bytes[end + 1..]),
        None => {
            return match tail_of(bytes, None) {
                Ok(Tail::Whole(Record::Header(header))) => Ok(Some(Conversation {
                    header,
                    exchanges: Vec::new(),
                })),
                Ok(_) => Ok(None),
                Err(e) => Err(problem(1, format!("bad header: {e}"))),
            };
        }
    };
    let lines: Vec<&[u8]> = complete.split(|&b| b == b'\n').collect();
    let (header, version) =
        header_of_line(lines[0]).map_err(|e| problem(1, format!("bad header: {e}")))?;
    let mut exchanges = Vec::with_capacity(lines.len());
    for (i, raw) in lines.iter().enumerate().skip(1) {
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let exchange = exchange_of_line(version, raw)
            .map_err(|e| problem(i + 1, format!("not a valid exchange: {e}")))?;
        exchanges.push(exchange);
    }
    match tail_of(tail, Some(version)) {
        Ok(Tail::Whole(Record::Exchange(e))) => exchanges.push(e),
        Ok(_) => {}
        Err(e) => return Err(problem(lines.len() + 1, not_torn(e))),
    }
    Ok(Some(Conversation { header, exchanges }))
}

/// The message for a last line without newline that is neither a record nor part of one.
pub fn not_torn(e: FormatError) -> String {
    format!("not a valid exchange, nor one cut short by an interrupted write: {e}")
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
pub fn import_json(text: &str) -> Result<Conversation, FormatError> {
    let mut value: Value = serde_json::from_str(text)?;
    let version = version_of(&value)?;
    let exchanges = match value.as_object_mut().and_then(|o| o.remove("exchanges")) {
        Some(Value::Array(items)) => items,
        _ => return Err(FormatError::NoExchanges),
    };
    Ok(Conversation {
        header: decode_header(version, value)?,
        exchanges: exchanges
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                decode_exchange(version, v).map_err(|e| FormatError::Exchange(i + 1, Box::new(e)))
            })
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
            persona: Some("coder".into()),
            messages: vec![
                Message::new(Role::User, "File: a.py\n```python\nx = 1\n```"),
                Message::new(Role::User, prompt),
            ],
            answer: answer.into(),
            usage: Some(Usage {
                input_tokens: 11,
                output_tokens: 7,
            }),
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
            // a complete record missing only its newline
            (&text[..text.len() - 1], Some(2)),
            // a record cut inside its first key
            (&format!("{one}{{\"ti"), Some(1)),
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
    fn a_last_line_that_is_no_record_nor_part_of_one_is_a_problem() {
        let one = file_text(&conversation(1));
        for tail in [
            "{\"time\": 3\n",
            "{\"time\": 3}",
            "hello",
            "{\"x\": 1}",
            "{\"x\": ",
        ] {
            let err = parse(format!("{one}{tail}").as_bytes()).unwrap_err();
            assert_eq!(err.line, Some(3), "{tail:?}");
        }
        let newer = file_text(&conversation(0)).replace("\"version\":1", "\"version\":2");
        let err = parse(newer.trim_end().as_bytes()).unwrap_err();
        assert!(err.message.contains("newer"), "{err:?}");
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
    fn decoding_refuses_newer_and_unknown_versions() {
        let line = file_text(&conversation(1));
        let exchange_line = line.lines().nth(1).unwrap().as_bytes();
        assert!(exchange_of_line(VERSION, exchange_line).is_ok());
        let newer = exchange_of_line(VERSION + 1, exchange_line).unwrap_err();
        assert!(newer.to_string().contains("newer"), "{newer}");
        assert!(exchange_of_line(0, exchange_line).is_err());
    }

    #[test]
    fn missing_optional_fields_default() {
        let line = r#"{"time":"t","model":"m","provider":"p","messages":[],"answer":"a"}"#;
        let e = exchange_of_line(1, line.as_bytes()).unwrap();
        assert_eq!(
            (e.persona, e.usage, e.cost, e.duration_ms),
            (None, None, None, 0)
        );
    }

    #[test]
    fn json_export_round_trips() {
        let conv = conversation(2);
        assert_eq!(import_json(&export_json(&conv)).unwrap(), conv);
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
