//! Anthropic's Message Batches API as request and response shapes (no I/O).
//!
//! From the API reference (docs.anthropic.com/en/api/creating-message-batches,
//! .../retrieving-message-batches, .../canceling-message-batches,
//! .../retrieving-message-batch-results, .../listing-message-batches) and the guide
//! (docs.anthropic.com/en/docs/build-with-claude/batch-processing):
//! * `POST /v1/messages/batches` `{"requests": [{"custom_id", "params"}]}` (`params` is a
//!   Messages API body; `custom_id` matches `^[a-zA-Z0-9_-]{1,64}$`; up to 100,000
//!   requests) answers a MessageBatch: `{"id": "msgbatch_...", "type": "message_batch",
//!   "processing_status": "in_progress" | "canceling" | "ended", "request_counts":
//!   {"processing", "succeeded", "errored", "canceled", "expired"}, "created_at",
//!   "expires_at", "ended_at", "cancel_initiated_at", "archived_at", "results_url"}`
//!   (times are RFC 3339; `results_url` is set once ended);
//! * `GET /v1/messages/batches/{id}` retrieves it, `POST /v1/messages/batches/{id}/cancel`
//!   cancels it, `GET /v1/messages/batches?limit=N` lists them (`{"data": [...]}`);
//! * the results (fetched from `results_url`, not from an assumed path) are JSON Lines in
//!   any order: `{"custom_id", "result": {"type": "succeeded", "message": {...}}}`, or
//!   `"type": "errored"` with `"error"` (an error response `{"type": "error", "error":
//!   {"type", "message"}}`), `"canceled"` or `"expired"`.
//!
//! Paths here are relative to the root URL (`https://api.anthropic.com`).

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};

use super::{Counts, Outcome, Phase, RemoteBatch, ResultLine, error_text};

/// How far the provider's clock may be behind ours when a lost create is looked for.
pub const CLOCK_SKEW_MS: u64 = 60_000;

pub fn batches_path() -> &'static str {
    "/v1/messages/batches"
}

pub fn list_batches_path() -> &'static str {
    "/v1/messages/batches?limit=100"
}

pub fn batch_path(id: &str) -> String {
    format!("/v1/messages/batches/{id}")
}

pub fn cancel_path(id: &str) -> String {
    format!("/v1/messages/batches/{id}/cancel")
}

/// The body that creates a batch of these `(custom_id, Messages API body)` requests. A
/// `stream` field is dropped: batch requests are never streamed.
pub fn create_body<'a>(requests: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Value {
    let requests: Vec<Value> = requests
        .into_iter()
        .map(|(id, params)| {
            let mut params = params.clone();
            if let Some(map) = params.as_object_mut() {
                map.remove("stream");
            }
            json!({"custom_id": id, "params": params})
        })
        .collect();
    json!({ "requests": requests })
}

/// A MessageBatch object.
pub fn parse_batch(v: &Value) -> Result<RemoteBatch> {
    let id = v["id"].as_str().context("the batch has no \"id\"")?;
    let status = v["processing_status"]
        .as_str()
        .context("the batch has no \"processing_status\"")?;
    let n = |key: &str| v["request_counts"][key].as_u64().unwrap_or(0);
    let (succeeded, errored, canceled, expired) =
        (n("succeeded"), n("errored"), n("canceled"), n("expired"));
    let total = n("processing") + succeeded + errored + canceled + expired;
    let phase = match status {
        "in_progress" => Phase::Running,
        "canceling" => Phase::Cancelling,
        // an ended batch is done; how each request ended is in its result
        "ended" if v["cancel_initiated_at"].is_string() => Phase::Cancelled,
        "ended" if expired > 0 => Phase::Expired,
        "ended" => Phase::Ended,
        other => return Err(anyhow!("unknown batch status {other:?}")),
    };
    Ok(RemoteBatch {
        id: id.to_string(),
        status: status.to_string(),
        phase,
        counts: Counts {
            total,
            succeeded,
            failed: errored + canceled + expired,
        },
        output_file_id: None,
        error_file_id: None,
        results_url: v["results_url"].as_str().map(str::to_string),
    })
}

/// In a batch list, the one batch created at or after `since` (RFC 3339, as recorded just
/// before the create) with `total` requests: a create whose answer was lost. `None` when
/// there is none or more than one (then nothing is guessed).
pub fn find_batch(list: &Value, since_ms: u64, total: u64) -> Option<RemoteBatch> {
    let mut found = list["data"].as_array()?.iter().filter(|b| {
        let created = b["created_at"]
            .as_str()
            .and_then(crate::budget::headers::parse_rfc3339_ms);
        created.is_some_and(|c| c >= since_ms)
            && parse_batch(b).is_ok_and(|p| p.counts.total == total)
    });
    let one = found.next()?;
    if found.next().is_some() {
        return None;
    }
    parse_batch(one).ok()
}

/// One line of the results.
pub fn parse_result_line(line: &str) -> Result<ResultLine> {
    let v: Value = serde_json::from_str(line).context("a result line is not JSON")?;
    let custom_id = v["custom_id"]
        .as_str()
        .context("a result line has no \"custom_id\"")?
        .to_string();
    let result = &v["result"];
    let outcome = match result["type"].as_str() {
        Some("succeeded") => Outcome::Succeeded(result["message"].clone()),
        Some("errored") => {
            let error = &result["error"];
            // an error response wraps the error object: {"type": "error", "error": {...}}
            let inner = if error["error"].is_object() {
                &error["error"]
            } else {
                error
            };
            Outcome::Errored(error_text(inner))
        }
        Some("canceled") => Outcome::Cancelled,
        Some("expired") => Outcome::Expired,
        other => return Err(anyhow!("unknown result type {other:?}")),
    };
    Ok(ResultLine { custom_id, outcome })
}

/// Anthropic's Message Batches API for the submit, wait and collect steps.
pub struct Api;

impl super::api::BatchApi for Api {
    fn provider(&self) -> &'static str {
        "anthropic"
    }

    fn uploads(&self) -> bool {
        false
    }

    fn upload(&self, _: &dyn super::api::Http, _: &str, _: &[(String, Value)]) -> Result<String> {
        Err(anyhow!("Anthropic batches take their requests inline"))
    }

    fn find_upload(&self, _: &dyn super::api::Http, _: &str) -> Result<Option<String>> {
        Ok(None)
    }

    fn create(
        &self,
        http: &dyn super::api::Http,
        _name: &str,
        _file_id: Option<&str>,
        requests: &[(String, Value)],
    ) -> Result<RemoteBatch> {
        let body = create_body(requests.iter().map(|(id, params)| (id.as_str(), params)));
        parse_batch(&http.post_json(batches_path(), &body)?)
    }

    fn find_created(
        &self,
        http: &dyn super::api::Http,
        _file_id: Option<&str>,
        since_ms: u64,
        total: u64,
    ) -> Result<Option<RemoteBatch>> {
        let list: Value = serde_json::from_slice(&http.get(list_batches_path())?)
            .context("the batch list is not JSON")?;
        // the provider's clock may be behind ours, and it reports whole seconds
        Ok(find_batch(
            &list,
            since_ms.saturating_sub(CLOCK_SKEW_MS),
            total,
        ))
    }

    fn retrieve(&self, http: &dyn super::api::Http, id: &str) -> Result<RemoteBatch> {
        let v: Value =
            serde_json::from_slice(&http.get(&batch_path(id))?).context("the batch is not JSON")?;
        parse_batch(&v)
    }

    fn cancel(&self, http: &dyn super::api::Http, id: &str) -> Result<RemoteBatch> {
        parse_batch(&http.post_json(&cancel_path(id), &json!({}))?)
    }

    fn results(&self, http: &dyn super::api::Http, batch: &RemoteBatch) -> Result<Vec<u8>> {
        let url = batch
            .results_url
            .as_deref()
            .context("the batch has no results_url yet")?;
        http.get(url)
    }

    fn parse_result_line(&self, line: &str) -> Result<ResultLine> {
        parse_result_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_body_drops_stream() {
        let params = json!({"model": "claude", "max_tokens": 10, "stream": true, "messages": []});
        let body = create_body([("a", &params)]);
        assert_eq!(body["requests"][0]["custom_id"], "a");
        assert_eq!(body["requests"][0]["params"]["model"], "claude");
        assert!(body["requests"][0]["params"].get("stream").is_none());
    }

    #[test]
    fn parse_batches() {
        let v = json!({"id": "msgbatch_1", "type": "message_batch", "processing_status": "in_progress",
            "request_counts": {"processing": 2, "succeeded": 1, "errored": 0, "canceled": 0, "expired": 0},
            "created_at": "2024-09-24T18:37:24.100435Z", "expires_at": "2024-09-25T18:37:24.100435Z",
            "ended_at": null, "cancel_initiated_at": null, "results_url": null});
        let b = parse_batch(&v).unwrap();
        assert_eq!(b.phase, Phase::Running);
        assert_eq!(
            b.counts,
            Counts {
                total: 3,
                succeeded: 1,
                failed: 0
            }
        );
        let mut ended = v.clone();
        ended["processing_status"] = json!("ended");
        ended["results_url"] = json!("http://x/v1/messages/batches/msgbatch_1/results");
        assert_eq!(parse_batch(&ended).unwrap().phase, Phase::Ended);
        assert!(parse_batch(&ended).unwrap().results_url.is_some());
        ended["request_counts"]["expired"] = json!(1);
        assert_eq!(parse_batch(&ended).unwrap().phase, Phase::Expired);
        ended["cancel_initiated_at"] = json!("2024-09-24T19:00:00Z");
        assert_eq!(parse_batch(&ended).unwrap().phase, Phase::Cancelled);
        let list = json!({"data": [v], "has_more": false});
        let since = crate::budget::headers::parse_rfc3339_ms("2024-09-24T18:37:00Z").unwrap();
        assert_eq!(find_batch(&list, since, 3).unwrap().id, "msgbatch_1");
        assert!(find_batch(&list, since, 4).is_none());
        assert!(find_batch(&list, since + 60_000, 3).is_none());
    }

    #[test]
    fn result_lines() {
        let ok = r#"{"custom_id":"a","result":{"type":"succeeded","message":{"id":"msg_1","type":"message","content":[]}}}"#;
        assert!(matches!(
            parse_result_line(ok).unwrap().outcome,
            Outcome::Succeeded(_)
        ));
        let err = r#"{"custom_id":"b","result":{"type":"errored","error":{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}}}"#;
        assert_eq!(
            parse_result_line(err).unwrap().outcome,
            Outcome::Errored("max_tokens: too big".into())
        );
        let c = r#"{"custom_id":"c","result":{"type":"canceled"}}"#;
        assert_eq!(parse_result_line(c).unwrap().outcome, Outcome::Cancelled);
        let e = r#"{"custom_id":"d","result":{"type":"expired"}}"#;
        assert_eq!(parse_result_line(e).unwrap().outcome, Outcome::Expired);
        assert!(parse_result_line(r#"{"custom_id":"e","result":{"type":"odd"}}"#).is_err());
    }
}
