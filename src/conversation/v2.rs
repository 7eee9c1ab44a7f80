//! Format version 2, frozen: version 1 plus the images attached to a message (`images`, by
//! name in the data directory). Never edit these types once released; a new version gets its
//! own file and a step from the version before it.

use serde::{Deserialize, Deserializer};

use super::format::{Exchange as Current, Header as CurrentHeader};
use crate::message::{Attached, Message, Origin as CurrentOrigin, Role as CurrentRole};
use crate::provider::Usage as CurrentUsage;

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Deserialize)]
pub struct Origin {
    pub kind: String,
    pub label: String,
}

#[derive(Debug, Deserialize)]
pub struct Image {
    pub name: String,
    pub media_type: String,
}

#[derive(Debug, Deserialize)]
pub struct Msg {
    pub role: Role,
    pub content: String,
    #[serde(default)]
    pub snippet: Option<Origin>,
    #[serde(default)]
    pub images: Vec<Image>,
}

#[derive(Debug, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default)]
    pub cached_input_tokens: u64,
    #[serde(default)]
    pub cache_write_tokens: u64,
}

#[derive(Debug, Deserialize)]
pub struct Exchange {
    pub time: String,
    pub model: String,
    pub provider: String,
    #[serde(default)]
    pub persona: Option<String>,
    pub messages: Vec<Msg>,
    pub answer: String,
    #[serde(default)]
    pub usage: Option<Usage>,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub cost: Option<f64>,
    #[serde(default)]
    pub duration_ms: u64,
    #[serde(default)]
    pub base_url: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u64,
    pub id: String,
    pub name: String,
    pub created: String,
    #[serde(default)]
    pub project: Option<String>,
}

/// Reads a version 2 exchange (from a line's bytes or a JSON value) straight into its
/// record, and brings it to the current types.
pub fn exchange<'de, D: Deserializer<'de>>(from: D) -> Result<Current, D::Error> {
    let e = Exchange::deserialize(from)?;
    Ok(Current {
        time: e.time,
        model: e.model,
        provider: e.provider,
        persona: e.persona,
        messages: e.messages.into_iter().map(message).collect(),
        answer: e.answer,
        usage: e.usage.map(|u| CurrentUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
            cached_input_tokens: u.cached_input_tokens,
            cache_write_tokens: u.cache_write_tokens,
        }),
        finish_reason: e.finish_reason,
        cost: e.cost,
        duration_ms: e.duration_ms,
        base_url: e.base_url,
    })
}

fn message(m: Msg) -> Message {
    let role = match m.role {
        Role::System => CurrentRole::System,
        Role::User => CurrentRole::User,
        Role::Assistant => CurrentRole::Assistant,
    };
    let mut out = Message::new(role, m.content);
    out.snippet = m.snippet.map(|o| CurrentOrigin {
        kind: o.kind,
        label: o.label,
    });
    out.images = m
        .images
        .into_iter()
        .map(|i| Attached {
            name: i.name,
            media_type: i.media_type,
            data: String::new(),
        })
        .collect();
    out
}

/// Reads a version 2 header and brings it to the current type.
pub fn header<'de, D: Deserializer<'de>>(from: D) -> Result<CurrentHeader, D::Error> {
    let h = Header::deserialize(from)?;
    Ok(CurrentHeader {
        format: h.format,
        version: super::format::VERSION,
        id: h.id,
        name: h.name,
        created: h.created,
        project: h.project,
    })
}
