//! The on-disk conversation store. (Minimal: history is not yet kept.)

use std::path::Path;

use anyhow::Result;
use serde::{Deserialize, Serialize};

use crate::message::Message;
use crate::provider::Usage;
use crate::settings::ConversationChoice;

/// One recorded call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub time: String,
    pub model: String,
    pub provider: String,
    pub persona: Option<String>,
    pub messages: Vec<Message>,
    pub answer: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    pub cost: Option<f64>,
    pub duration_ms: u64,
}

/// The conversation one call belongs to.
pub struct Session {
    id: Option<String>,
    history: Vec<Message>,
}

impl Session {
    pub fn open(_choice: &ConversationChoice, _data_dir: &Path) -> Result<Session> {
        Ok(Session {
            id: None,
            history: Vec::new(),
        })
    }

    pub fn history(&self) -> &[Message] {
        &self.history
    }

    pub fn id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    pub fn record(&self, _exchange: &Exchange) -> Result<()> {
        Ok(())
    }
}
