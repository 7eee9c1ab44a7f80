//! What submitting, watching and collecting need from a provider's batch API, one
//! implementation per provider file (`openai.rs`, `anthropic.rs`), listed in `API`; and
//! what they need from the transport (`Http`), so the steps are tested without a socket.

use anyhow::Result;
use serde_json::Value;

use super::{RemoteBatch, ResultLine};

/// Requests to the provider, authenticated by the transport. `path` is relative to the
/// provider's base URL, or a whole URL (a `results_url`).
pub trait Http {
    fn get(&self, path: &str) -> Result<Vec<u8>>;
    fn post_json(&self, path: &str, body: &Value) -> Result<Value>;
    fn post_bytes(&self, path: &str, content_type: &str, body: Vec<u8>) -> Result<Value>;
}

/// One provider's batch API.
pub trait BatchApi: Sync {
    /// The provider's registry name.
    fn provider(&self) -> &'static str;
    /// True when the requests are uploaded as a file before the batch is created.
    fn uploads(&self) -> bool;
    /// Uploads the requests as `filename`; the file id.
    fn upload(
        &self,
        http: &dyn Http,
        filename: &str,
        requests: &[(String, Value)],
    ) -> Result<String>;
    /// The id of an earlier upload named `filename`, if the provider has it.
    fn find_upload(&self, http: &dyn Http, filename: &str) -> Result<Option<String>>;
    /// Creates the batch (of the uploaded file, or of the requests themselves).
    fn create(
        &self,
        http: &dyn Http,
        name: &str,
        file_id: Option<&str>,
        requests: &[(String, Value)],
    ) -> Result<RemoteBatch>;
    /// A batch an earlier create made (its answer lost), if it can be told apart.
    fn find_created(
        &self,
        http: &dyn Http,
        file_id: Option<&str>,
        since_ms: u64,
        total: u64,
    ) -> Result<Option<RemoteBatch>>;
    fn retrieve(&self, http: &dyn Http, id: &str) -> Result<RemoteBatch>;
    fn cancel(&self, http: &dyn Http, id: &str) -> Result<RemoteBatch>;
    /// The results of an ended batch, as JSON Lines (any order).
    fn results(&self, http: &dyn Http, batch: &RemoteBatch) -> Result<Vec<u8>>;
    fn parse_result_line(&self, line: &str) -> Result<ResultLine>;
}
