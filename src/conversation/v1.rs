//! Format version 1, frozen: the records exactly as version 1 files hold them, and the one
//! migration step from them to the current types. Never edit these types; a new version
//! gets its own file and a step from the version before it.

use serde::Deserialize;
use serde_json::Value;

use super::format::{Exchange as Current, Header as CurrentHeader};
use crate::message::{Message, Role as CurrentRole};
use crate::provider::Usage as CurrentUsage;

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Deserialize)]
pub struct Msg {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
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
}

#[derive(Debug, Deserialize)]
pub struct Header {
    pub format: String,
    pub version: u64,
    pub id: String,
    pub name: String,
    pub created: String,
}

/// Reads a version 1 exchange and brings it to the current types.
pub fn exchange(value: Value) -> serde_json::Result<Current> {
    let e: Exchange = serde_json::from_value(value)?;
    Ok(Current {
        time: e.time,
        model: e.model,
        provider: e.provider,
        persona: e.persona,
        messages: e
            .messages
            .into_iter()
            .map(|m| {
                let role = match m.role {
                    Role::System => CurrentRole::System,
                    Role::User => CurrentRole::User,
                    Role::Assistant => CurrentRole::Assistant,
                };
                Message::new(role, m.content)
            })
            .collect(),
        answer: e.answer,
        usage: e.usage.map(|u| CurrentUsage {
            input_tokens: u.input_tokens,
            output_tokens: u.output_tokens,
        }),
        finish_reason: e.finish_reason,
        cost: e.cost,
        duration_ms: e.duration_ms,
    })
}

/// Reads a version 1 header and brings it to the current type.
pub fn header(value: Value) -> serde_json::Result<CurrentHeader> {
    let h: Header = serde_json::from_value(value)?;
    Ok(CurrentHeader {
        format: h.format,
        version: super::format::VERSION,
        id: h.id,
        name: h.name,
        created: h.created,
    })
}
