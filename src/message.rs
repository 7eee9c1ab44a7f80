//! The one value every room passes around: a chat message.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde::{Deserialize, Serialize as DeriveSerialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, DeriveSerialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

/// A message as recorded in the conversation file. `snippet` says where a snippet's text
/// came from; it is data for the guard and the record, and never goes on the wire (see
/// [`OnWire`]).
#[derive(Clone, Debug, PartialEq, Eq, DeriveSerialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snippet: Option<Origin>,
}

/// Where a snippet came from: the source that read it (`file`, `directory`, `stdin`, …)
/// and its label (a path, `stdin`, later a URL or an issue key).
#[derive(Clone, Debug, PartialEq, Eq, DeriveSerialize, Deserialize)]
pub struct Origin {
    pub kind: String,
    pub label: String,
}

impl Message {
    pub fn new(role: Role, content: impl Into<String>) -> Self {
        Message {
            role,
            content: content.into(),
            snippet: None,
        }
    }

    /// A message carrying a rendered snippet and where it came from.
    pub fn snippet(role: Role, content: impl Into<String>, origin: Origin) -> Self {
        Message {
            snippet: Some(origin),
            ..Message::new(role, content)
        }
    }

    /// The snippet's label, if this message is a snippet.
    pub fn label(&self) -> Option<&str> {
        self.snippet.as_ref().map(|o| o.label.as_str())
    }
}

/// Messages as a chat API receives them: `{"role", "content"}` only, whatever else a
/// message records.
pub struct OnWire<'a>(pub &'a [Message]);

impl Serialize for OnWire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Wire))
    }
}

struct Wire<'a>(&'a Message);

impl Serialize for Wire<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Message", 2)?;
        s.serialize_field("role", &self.0.role)?;
        s.serialize_field("content", &self.0.content)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled() -> Message {
        let origin = Origin {
            kind: "file".into(),
            label: "src/a.py".into(),
        };
        Message::snippet(Role::User, "File: src/a.py\n```python\nx\n```", origin)
    }

    #[test]
    fn the_record_keeps_the_label_and_the_wire_does_not() {
        let m = labelled();
        let record = serde_json::to_string(&m).unwrap();
        assert_eq!(
            record,
            r#"{"role":"user","content":"File: src/a.py\n```python\nx\n```","snippet":{"kind":"file","label":"src/a.py"}}"#
        );
        let wire = serde_json::to_string(&OnWire(std::slice::from_ref(&m))).unwrap();
        assert_eq!(
            wire,
            r#"[{"role":"user","content":"File: src/a.py\n```python\nx\n```"}]"#
        );
        assert_eq!(serde_json::from_str::<Message>(&record).unwrap(), m);
    }

    #[test]
    fn plain_messages_record_as_before_and_old_records_load() {
        let m = Message::new(Role::User, "hi");
        let record = serde_json::to_string(&m).unwrap();
        assert_eq!(record, r#"{"role":"user","content":"hi"}"#);
        assert_eq!(serde_json::from_str::<Message>(&record).unwrap(), m);
        assert_eq!(m.label(), None);
        assert_eq!(labelled().label(), Some("src/a.py"));
    }
}
