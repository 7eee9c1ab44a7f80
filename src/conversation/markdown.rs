//! Markdown export and import: our own format, which round-trips exactly, and the Markdown
//! that CellMage's notebook export writes.
//!
//! Ours keeps CellMage's shape (YAML front matter, `**You:**` / `**assistant:**` blocks, a
//! `---` after each exchange) but puts every message in a fence longer than any backtick
//! run inside it, and each exchange's metadata in an HTML comment, so that any content —
//! `---` lines, fences, headings, even a line `**You:**` — comes back byte for byte.

use std::fmt;

use serde_json::Value;

use super::format::{self, Conversation, Exchange, FormatError, Header};
use crate::markdown;
use crate::message::{Message, Role};

const META: &str = "<!-- cellmage-exchange ";
const META_END: &str = " -->";

/// A conversation read from a file, and what could not be kept.
#[derive(Debug, PartialEq)]
pub struct Imported {
    pub conversation: Conversation,
    /// The file names its conversation (ours do; CellMage's do not).
    pub named: bool,
    /// Trailing messages with no answer after them (CellMage files only), not imported.
    pub unanswered: usize,
}

/// Why a Markdown file cannot be imported.
#[derive(Debug)]
pub enum ImportError {
    FrontMatter(serde_norway::Error),
    Format(FormatError),
    /// Line numbers count from the top of the file, front matter included.
    Meta(usize, serde_json::Error),
    MessageBeforeExchange(usize),
    UnclosedMessage(usize),
    UnexpectedText(usize, String),
    NoAnswer,
    MetaNotObject,
    NoConversation,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImportError::FrontMatter(e) => write!(f, "bad front matter: {e}"),
            ImportError::Format(e) => write!(f, "{e}"),
            ImportError::Meta(line, e) => write!(f, "line {line}: {e}"),
            ImportError::MessageBeforeExchange(line) => {
                write!(f, "line {line}: a message before any exchange")
            }
            ImportError::UnclosedMessage(line) => {
                write!(f, "line {line}: a message must be a fenced block, closed")
            }
            ImportError::UnexpectedText(line, text) => {
                write!(f, "line {line}: unexpected text {text:?}")
            }
            ImportError::NoAnswer => {
                f.write_str("an exchange must end with an **assistant:** block")
            }
            ImportError::MetaNotObject => f.write_str("the exchange metadata is not a JSON object"),
            ImportError::NoConversation => {
                f.write_str("no conversation found: no **You:** or **assistant:** block")
            }
        }
    }
}

impl std::error::Error for ImportError {}

impl From<FormatError> for ImportError {
    fn from(e: FormatError) -> Self {
        ImportError::Format(e)
    }
}

/// `history export --format md`.
pub fn export(conv: &Conversation) -> String {
    let yaml = serde_norway::to_string(&conv.header).expect("header serializes");
    let mut out = format!("---\n{yaml}---\n\n# Conversation {}\n", conv.header.name);
    for (i, exchange) in conv.exchanges.iter().enumerate() {
        out.push_str(&format!("\n## Exchange {}\n\n", i + 1));
        out.push_str(&format!("{META}{}{META_END}\n", meta_of(exchange)));
        for message in &exchange.messages {
            push_block(&mut out, message.role, &message.content);
        }
        push_block(&mut out, Role::Assistant, &exchange.answer);
        out.push_str("\n---\n");
    }
    out
}

/// Everything but the messages and the answer, as one line of JSON that cannot end the
/// comment (`>` is escaped, which only strings can hold).
fn meta_of(exchange: &Exchange) -> String {
    let mut value = serde_json::to_value(exchange).expect("exchange serializes");
    if let Some(map) = value.as_object_mut() {
        map.remove("messages");
        map.remove("answer");
    }
    value.to_string().replace('>', "\\u003e")
}

fn label(role: Role) -> &'static str {
    match role {
        Role::User => "You",
        other => other.as_str(),
    }
}

fn push_block(out: &mut String, role: Role, content: &str) {
    let fence = crate::context::fence_for(content);
    out.push_str(&format!(
        "\n**{}:**\n\n{fence}\n{content}\n{fence}\n",
        label(role)
    ));
}

/// The role of a block header line (`**You:**`, `**assistant:**`, any case), if it is one.
fn header_role(line: &str) -> Option<Role> {
    let inner = line.trim().strip_prefix("**")?.strip_suffix(":**")?;
    match inner.to_ascii_lowercase().as_str() {
        "you" | "user" => Some(Role::User),
        "assistant" => Some(Role::Assistant),
        "system" => Some(Role::System),
        _ => None,
    }
}

/// Reads our Markdown export or CellMage's, telling them apart by the front matter.
pub fn import(text: &str) -> Result<Imported, ImportError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (yaml, body, skipped) = match markdown::split_front_matter(text) {
        Some(front) => (front.yaml, front.body, front.lines),
        None => ("", text, 0),
    };
    let front: serde_norway::Value =
        serde_norway::from_str(yaml).map_err(ImportError::FrontMatter)?;
    if front.get("format").is_some() {
        let header = serde_json::to_value(&front).map_err(FormatError::from)?;
        let version = format::version_of(&header)?;
        let header = format::decode_header(version, header)?;
        let exchanges = parse_ours(body, skipped, version)?;
        let conversation = Conversation { header, exchanges };
        return Ok(Imported {
            conversation,
            named: true,
            unanswered: 0,
        });
    }
    parse_cellmage(&front, body)
}

/// One `(role, content)` block of our format.
type Block = (Role, String);

fn parse_ours(body: &str, skipped: usize, version: u64) -> Result<Vec<Exchange>, ImportError> {
    let lines = markdown::lines(body);
    let fences = markdown::scan(body);
    let mut exchanges = Vec::new();
    let mut current: Option<(Value, Vec<Block>)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim_end_matches('\r');
        let at = |n: usize| n + skipped + 1;
        if let Some(json) = line
            .strip_prefix(META)
            .and_then(|l| l.strip_suffix(META_END))
        {
            if let Some(done) = current.take() {
                exchanges.push(finish_exchange(done, version)?);
            }
            let meta = serde_json::from_str(json).map_err(|e| ImportError::Meta(at(i), e))?;
            current = Some((meta, Vec::new()));
        } else if let Some(role) = header_role(line) {
            let Some((_, blocks)) = current.as_mut() else {
                return Err(ImportError::MessageBeforeExchange(at(i)));
            };
            let (content, next) =
                fenced(&lines, &fences, i + 1).ok_or(ImportError::UnclosedMessage(at(i)))?;
            blocks.push((role, content));
            i = next;
            continue;
        } else if !(line.trim().is_empty() || line.starts_with('#') || line.trim() == "---") {
            return Err(ImportError::UnexpectedText(at(i), line.to_string()));
        }
        i += 1;
    }
    if let Some(done) = current {
        exchanges.push(finish_exchange(done, version)?);
    }
    Ok(exchanges)
}

/// The content, as written, of the closed backtick fence that opens at the first non-blank
/// line from `start`, and the index of the line after its closing fence.
fn fenced(lines: &[&str], fences: &[markdown::Fence], start: usize) -> Option<(String, usize)> {
    let open = (start..lines.len()).find(|&j| !lines[j].trim().is_empty())?;
    let fence = fences.iter().find(|f| f.open == open && f.closed)?;
    if !lines[open].starts_with("```") {
        return None;
    }
    Some((lines[fence.body.clone()].join("\n"), fence.next))
}

fn finish_exchange(
    (meta, mut blocks): (Value, Vec<Block>),
    version: u64,
) -> Result<Exchange, ImportError> {
    let answer = match blocks.pop() {
        Some((Role::Assistant, answer)) => answer,
        _ => return Err(ImportError::NoAnswer),
    };
    let mut value = meta;
    let map = value.as_object_mut().ok_or(ImportError::MetaNotObject)?;
    let messages: Vec<Message> = blocks
        .into_iter()
        .map(|(role, content)| Message::new(role, content))
        .collect();
    map.insert(
        "messages".into(),
        serde_json::to_value(messages).expect("messages"),
    );
    map.insert("answer".into(), Value::String(answer));
    Ok(format::decode_exchange(version, value)?)
}

/// CellMage's export: one block per run of same-role messages; `---` after non-user
/// blocks. A `---` is a separator only when a block header (or the end) follows it.
fn parse_cellmage(front: &serde_norway::Value, body: &str) -> Result<Imported, ImportError> {
    let mut blocks: Vec<(Role, Vec<&str>)> = Vec::new();
    for line in body.lines() {
        match header_role(line) {
            Some(role) => blocks.push((role, Vec::new())),
            None => {
                if let Some((_, lines)) = blocks.last_mut() {
                    lines.push(line);
                }
            }
        }
    }
    if blocks.is_empty() {
        return Err(ImportError::NoConversation);
    }
    let field = |key: &str| match front.get(key) {
        Some(serde_norway::Value::String(s)) => Some(s.clone()),
        Some(serde_norway::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let time = field("saved_at").unwrap_or_else(super::now);
    let template = Exchange {
        time: time.clone(),
        model: field("model_name").unwrap_or_else(|| "unknown".into()),
        provider: "unknown".into(),
        persona: field("persona_name"),
        messages: Vec::new(),
        answer: String::new(),
        usage: None,
        finish_reason: None,
        cost: None,
        duration_ms: 0,
    };
    let mut exchanges = Vec::new();
    let mut pending = Vec::new();
    for (role, lines) in blocks {
        let content = block_content(&lines);
        if role == Role::Assistant {
            exchanges.push(Exchange {
                messages: std::mem::take(&mut pending),
                answer: content,
                ..template.clone()
            });
        } else {
            pending.push(Message::new(role, content));
        }
    }
    let id = field("session_id").unwrap_or_else(super::generate_id);
    Ok(Imported {
        conversation: Conversation {
            header: Header::new(&id, "", &time),
            exchanges,
        },
        named: false,
        unanswered: pending.len(),
    })
}

/// A block's lines without surrounding blank lines and its trailing `---` separator.
fn block_content(lines: &[&str]) -> String {
    let blank = |l: &&&str| l.trim().is_empty();
    let mut end = lines.len() - lines.iter().rev().take_while(blank).count();
    if end > 0 && lines[end - 1].trim() == "---" {
        end -= 1;
        end -= lines[..end].iter().rev().take_while(blank).count();
    }
    let start = lines[..end].iter().take_while(blank).count();
    lines[start..end].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::format::tests::{conversation, exchange};

    #[test]
    fn our_markdown_round_trips_hard_content() {
        let tricky = [
            "",
            "\n",
            "---",
            "a\n---\nb\n",
            "```python\nx = 1\n```",
            "````\n```\n````",
            "# heading\n## sub\n**You:**\n**assistant:**\n---\n",
            "<!-- cellmage-exchange {} -->",
            "  leading spaces\n\n\ntrailing blank lines\n\n",
            "tab\tand \r\n crlf",
        ];
        let mut conv = conversation(0);
        for (i, text) in tricky.iter().enumerate() {
            let mut e = exchange(text, &format!("{text}{i}"));
            e.persona = Some("p --> q".into());
            e.cost = if i % 2 == 0 {
                None
            } else {
                Some(0.1 + i as f64)
            };
            conv.exchanges.push(e);
        }
        let md = export(&conv);
        let back = import(&md).unwrap();
        assert_eq!(back.conversation, conv);
        assert!(back.named);
        assert_eq!(export(&back.conversation), md);
    }

    #[test]
    fn our_markdown_reports_damage() {
        let md = export(&conversation(1));
        let cut = md.rfind("\n```").unwrap();
        let unclosed = format!("{}\n", &md[..cut]);
        assert!(
            import(&unclosed)
                .unwrap_err()
                .to_string()
                .contains("fenced block")
        );
        let stray = md.replace("## Exchange 1", "stray words");
        assert!(
            import(&stray)
                .unwrap_err()
                .to_string()
                .contains("unexpected text")
        );
        let no_answer = md.replace("**assistant:**", "**You:**");
        assert!(
            import(&no_answer)
                .unwrap_err()
                .to_string()
                .contains("must end")
        );
        let newer = md.replace("version: 1", "version: 7");
        assert!(import(&newer).unwrap_err().to_string().contains("newer"));
    }

    const CELLMAGE: &str = "---
model_name: gpt-4o
persona_name: coder
saved_at: '2025-05-07T10:11:12.000000'
session_id: 3f2a
total_messages: 5
total_tokens: 321
turns: 2
---

# Conversation on May 07, 2025

**system:**

You are a careful coder.

---

**You:**

Write a function.

**Assistant:**

```python
def f():
    pass
```

---
not a separator, content

---

**You:**

Now add a docstring.
---
still the prompt

**assistant:**

Done.

---
";

    #[test]
    fn reads_cellmage_exports() {
        let got = import(CELLMAGE).unwrap();
        assert!(!got.named);
        assert_eq!(got.unanswered, 0);
        let conv = got.conversation;
        assert_eq!(conv.header.id, "3f2a");
        assert_eq!(conv.exchanges.len(), 2);
        let first = &conv.exchanges[0];
        assert_eq!(
            first.messages,
            [
                Message::new(Role::System, "You are a careful coder."),
                Message::new(Role::User, "Write a function."),
            ]
        );
        assert_eq!(
            first.answer,
            "```python\ndef f():\n    pass\n```\n\n---\nnot a separator, content"
        );
        assert_eq!(
            (first.model.as_str(), first.persona.as_deref()),
            ("gpt-4o", Some("coder"))
        );
        assert_eq!(first.time, "2025-05-07T10:11:12.000000");
        let second = &conv.exchanges[1];
        assert_eq!(
            second.prompt(),
            "Now add a docstring.\n---\nstill the prompt"
        );
        assert_eq!(second.answer, "Done.");
    }

    #[test]
    fn cellmage_trailing_prompt_is_counted_not_kept() {
        let text = format!("{CELLMAGE}\n**You:**\n\nunanswered\n");
        let got = import(&text).unwrap();
        assert_eq!((got.conversation.exchanges.len(), got.unanswered), (2, 1));
        assert!(import("# just a heading\n").is_err());
    }

    #[test]
    fn block_content_cases() {
        let cases: &[(&[&str], &str)] = &[
            (&["", "a", "", "---", ""], "a"),
            (&["a", "---", "b"], "a\n---\nb"),
            (&["---"], ""),
            (&[], ""),
            (&["", ""], ""),
        ];
        for (lines, want) in cases {
            assert_eq!(block_content(lines), *want, "{lines:?}");
        }
    }
}
