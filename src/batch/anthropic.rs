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
