//! Provider batches: many jobs sent as one asynchronous batch at half price. The jobs file
//! (`jobs`), the local record of a batch (`state`), each provider's batch API as pure
//! request and response shapes (`openai`, `anthropic`) and batch prices (`price`).

pub mod anthropic;
pub mod api;
pub mod collect;
pub mod jobs;
pub mod local;
pub mod openai;
pub mod price;
pub mod state;
pub mod submit;
pub mod summary;

use serde_json::Value;

/// Where a provider batch is, in either provider's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Accepted, checked or being processed.
    Running,
    /// Cancel asked; still ending.
    Cancelling,
    /// Done: results (of whatever succeeded) can be downloaded.
    Ended,
    /// The provider refused the batch as a whole (OpenAI `failed`).
    Failed,
    /// The window passed; unfinished requests are expired.
    Expired,
    /// Cancelled; results of requests that finished before can be downloaded.
    Cancelled,
}

impl Phase {
    /// No further change will happen.
    pub fn is_final(self) -> bool {
        !matches!(self, Phase::Running | Phase::Cancelling)
    }
}

/// Requests of a batch by outcome so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
}

/// A provider batch as retrieved.
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteBatch {
    pub id: String,
    /// The provider's own word for the status (`in_progress`, `ended`, ...).
    pub status: String,
    pub phase: Phase,
    pub counts: Counts,
    /// OpenAI: the file of successful outputs.
    pub output_file_id: Option<String>,
    /// OpenAI: the file of failed requests.
    pub error_file_id: Option<String>,
    /// Anthropic: where the results are streamed from.
    pub results_url: Option<String>,
}

/// What became of one request of a batch.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The provider's ordinary response body (a chat completion or a message).
    Succeeded(Value),
    /// The request failed; the provider's reason.
    Errored(String),
    /// Cancelled before it ran.
    Cancelled,
    /// The batch's window passed before it ran.
    Expired,
}

/// One line of a results file.
#[derive(Clone, Debug, PartialEq)]
pub struct ResultLine {
    pub custom_id: String,
    pub outcome: Outcome,
}

/// The text of a provider error object: `message`, else the whole object.
fn error_text(error: &Value) -> String {
    error["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| error.to_string())
}
