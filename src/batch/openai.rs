//! OpenAI's Batch API as request and response shapes (no I/O).
//!
//! From the API reference (platform.openai.com/docs/api-reference/batch and .../files) and
//! the guide (platform.openai.com/docs/guides/batch):
//! * the requests are a `.jsonl` file, one `{"custom_id", "method": "POST", "url":
//!   "/v1/chat/completions", "body"}` a line (at most 50,000 lines, 200 MB), uploaded with
//!   `POST /v1/files` as `multipart/form-data` with fields `purpose=batch` and `file`; the
//!   answer is a File object `{"id", "object": "file", "bytes", "created_at", "filename",
//!   "purpose"}`; `GET /v1/files?purpose=batch` lists them (`{"data": [...]}`);
//! * `POST /v1/batches` `{"input_file_id", "endpoint", "completion_window": "24h",
//!   "metadata"}` creates the batch; `GET /v1/batches/{id}` retrieves it,
//!   `POST /v1/batches/{id}/cancel` cancels it, `GET /v1/batches?limit=N` lists them;
//! * a Batch object has `status` `validating`, `failed`, `in_progress`, `finalizing`,
//!   `completed`, `expired`, `cancelling` or `cancelled`, `request_counts {total,
//!   completed, failed}`, `output_file_id` and `error_file_id`;
//! * `GET /v1/files/{id}/content` downloads a file; output and error files hold one
//!   `{"id", "custom_id", "response": {"status_code", "request_id", "body"}, "error"}` a
//!   line, in any order; requests that were not run when the batch expired are in the error
//!   file with the error code `batch_expired` (`batch_cancelled` when cancelled).
//!
//! Paths here are relative to the API base URL, which ends in `/v1`.

use anyhow::{Context, Result, anyhow};
use serde_json::{Value, json};
use sha2::Digest;

use super::{Counts, Outcome, Phase, RemoteBatch, ResultLine, error_text};

/// The endpoint every request of a batch goes to.
pub const ENDPOINT: &str = "/v1/chat/completions";
pub const COMPLETION_WINDOW: &str = "24h";
/// The metadata key that names the batch, for finding it again after a crash.
pub const NAME_KEY: &str = "cellmage_batch";

pub fn files_path() -> &'static str {
    "/files"
}

pub fn batch_files_path() -> &'static str {
    "/files?purpose=batch"
}

pub fn file_content_path(file_id: &str) -> String {
    format!("/files/{file_id}/content")
}

pub fn batches_path() -> &'static str {
    "/batches"
}

pub fn list_batches_path() -> &'static str {
    "/batches?limit=100"
}

pub fn batch_path(id: &str) -> String {
    format!("/batches/{id}")
}

pub fn cancel_path(id: &str) -> String {
    format!("/batches/{id}/cancel")
}

/// One line of the requests file (with its `\n`).
pub fn request_line(custom_id: &str, body: &Value) -> String {
    let mut line = json!({
        "custom_id": custom_id,
        "method": "POST",
        "url": ENDPOINT,
        "body": body,
    })
    .to_string();
    line.push('\n');
    line
}

/// The upload's body: `multipart/form-data` with `purpose=batch` and the file. Returns the
/// Content-Type (with its boundary) and the bytes.
pub fn upload_body(filename: &str, jsonl: &[u8], boundary: &str) -> (String, Vec<u8>) {
    let mut body = Vec::with_capacity(jsonl.len() + 512);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/jsonl\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(jsonl);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The file id of an upload's answer.
pub fn parse_file(v: &Value) -> Result<String> {
    v["id"]
        .as_str()
        .map(str::to_string)
        .context("the file upload's answer has no \"id\"")
}

/// In a file list, the id of the file named `filename` (an upload whose answer was lost).
pub fn find_file(list: &Value, filename: &str) -> Option<String> {
    list["data"]
        .as_array()?
        .iter()
        .find(|f| f["filename"].as_str() == Some(filename))
        .and_then(|f| f["id"].as_str().map(str::to_string))
}

/// The body that creates a batch of the uploaded file, named `name` in its metadata.
pub fn create_body(input_file_id: &str, name: &str) -> Value {
    json!({
        "input_file_id": input_file_id,
        "endpoint": ENDPOINT,
        "completion_window": COMPLETION_WINDOW,
        "metadata": {NAME_KEY: name},
    })
}

/// A Batch object.
pub fn parse_batch(v: &Value) -> Result<RemoteBatch> {
    let id = v["id"].as_str().context("the batch has no \"id\"")?;
    let status = v["status"]
        .as_str()
        .context("the batch has no \"status\"")?;
    let phase = match status {
        "validating" | "in_progress" | "finalizing" => Phase::Running,
        "completed" => Phase::Ended,
        "failed" => Phase::Failed,
        "expired" => Phase::Expired,
        "cancelling" => Phase::Cancelling,
        "cancelled" => Phase::Cancelled,
        other => return Err(anyhow!("unknown batch status {other:?}")),
    };
    let counts = &v["request_counts"];
    let text = |key: &str| v[key].as_str().map(str::to_string);
    Ok(RemoteBatch {
        id: id.to_string(),
        status: status.to_string(),
        phase,
        counts: Counts {
            total: counts["total"].as_u64().unwrap_or(0),
            succeeded: counts["completed"].as_u64().unwrap_or(0),
            failed: counts["failed"].as_u64().unwrap_or(0),
        },
        output_file_id: text("output_file_id"),
        error_file_id: text("error_file_id"),
        results_url: None,
    })
}

/// In a batch list, the batch created from `input_file_id` (a create whose answer was lost).
pub fn find_batch(list: &Value, input_file_id: &str) -> Option<RemoteBatch> {
    list["data"]
        .as_array()?
        .iter()
        .find(|b| b["input_file_id"].as_str() == Some(input_file_id))
        .and_then(|b| parse_batch(b).ok())
}

/// One line of an output or error file.
pub fn parse_result_line(line: &str) -> Result<ResultLine> {
    let v: Value = serde_json::from_str(line).context("a result line is not JSON")?;
    let custom_id = v["custom_id"]
        .as_str()
        .context("a result line has no \"custom_id\"")?
        .to_string();
    let outcome = if !v["error"].is_null() {
        match v["error"]["code"].as_str() {
            Some("batch_expired") => Outcome::Expired,
            Some("batch_cancelled") => Outcome::Cancelled,
            _ => Outcome::Errored(error_text(&v["error"])),
        }
    } else {
        let response = &v["response"];
        match response["status_code"].as_u64() {
            Some(200) => Outcome::Succeeded(response["body"].clone()),
            Some(code) => Outcome::Errored(format!(
                "HTTP {code}: {}",
                error_text(&response["body"]["error"])
            )),
            None => return Err(anyhow!("a result line has neither response nor error")),
        }
    };
    Ok(ResultLine { custom_id, outcome })
}

/// OpenAI's Batch API for the submit, wait and collect steps.
pub struct Api;

impl super::api::BatchApi for Api {
    fn provider(&self) -> &'static str {
        "openai"
    }

    fn uploads(&self) -> bool {
        true
    }

    fn upload(
        &self,
        http: &dyn super::api::Http,
        filename: &str,
        requests: &[(String, Value)],
    ) -> Result<String> {
        let jsonl: String = requests
            .iter()
            .map(|(id, body)| request_line(id, body))
            .collect();
        // a boundary the content cannot hold: derived from the content's own hash
        let digest = sha2::Sha256::digest(jsonl.as_bytes());
        let boundary: String = std::iter::once("cellmage-".to_string())
            .chain(digest[..12].iter().map(|b| format!("{b:02x}")))
            .collect();
        let (content_type, body) = upload_body(filename, jsonl.as_bytes(), &boundary);
        parse_file(&http.post_bytes(files_path(), &content_type, body)?)
    }

    fn find_upload(&self, http: &dyn super::api::Http, filename: &str) -> Result<Option<String>> {
        let list: Value = serde_json::from_slice(&http.get(batch_files_path())?)
            .context("the file list is not JSON")?;
        Ok(find_file(&list, filename))
    }

    fn create(
        &self,
        http: &dyn super::api::Http,
        name: &str,
        file_id: Option<&str>,
        _requests: &[(String, Value)],
    ) -> Result<RemoteBatch> {
        let file_id = file_id.context("an OpenAI batch needs an uploaded file")?;
        parse_batch(&http.post_json(batches_path(), &create_body(file_id, name))?)
    }

    fn find_created(
        &self,
        http: &dyn super::api::Http,
        file_id: Option<&str>,
        _since_ms: u64,
        _total: u64,
    ) -> Result<Option<RemoteBatch>> {
        let Some(file_id) = file_id else {
            return Ok(None);
        };
        let list: Value = serde_json::from_slice(&http.get(list_batches_path())?)
            .context("the batch list is not JSON")?;
        Ok(find_batch(&list, file_id))
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
        let mut out = Vec::new();
        for id in [&batch.output_file_id, &batch.error_file_id]
            .into_iter()
            .flatten()
        {
            let mut part = http.get(&file_content_path(id))?;
            if !part.is_empty() && !part.ends_with(b"\n") {
                part.push(b'\n');
            }
            out.extend(part);
        }
        Ok(out)
    }

    fn parse_result_line(&self, line: &str) -> Result<ResultLine> {
        parse_result_line(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_and_upload() {
        let line = request_line("api", &json!({"model": "m", "messages": []}));
        assert_eq!(
            line,
            "{\"custom_id\":\"api\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"m\",\"messages\":[]}}\n"
        );
        let (ct, body) = upload_body("x.jsonl", line.as_bytes(), "BOUND");
        assert_eq!(ct, "multipart/form-data; boundary=BOUND");
        let text = String::from_utf8(body).unwrap();
        assert!(text.starts_with("--BOUND\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n--BOUND\r\n"));
        assert!(text.contains("name=\"file\"; filename=\"x.jsonl\""));
        assert!(text.ends_with("}}\n\r\n--BOUND--\r\n"));
    }

    #[test]
    fn create_and_parse_batch() {
        let body = create_body("file-1", "nightly");
        assert_eq!(body["completion_window"], "24h");
        assert_eq!(body["endpoint"], "/v1/chat/completions");
        assert_eq!(body["metadata"]["cellmage_batch"], "nightly");
        let v = json!({"id": "batch_1", "object": "batch", "endpoint": "/v1/chat/completions",
            "input_file_id": "file-1", "completion_window": "24h", "status": "completed",
            "output_file_id": "file-2", "error_file_id": null, "created_at": 1,
            "request_counts": {"total": 3, "completed": 2, "failed": 1}});
        let b = parse_batch(&v).unwrap();
        assert_eq!(b.phase, Phase::Ended);
        assert_eq!(
            b.counts,
            Counts {
                total: 3,
                succeeded: 2,
                failed: 1
            }
        );
        assert_eq!(b.output_file_id.as_deref(), Some("file-2"));
        assert_eq!(b.error_file_id, None);
        for (s, p) in [
            ("validating", Phase::Running),
            ("finalizing", Phase::Running),
            ("failed", Phase::Failed),
            ("expired", Phase::Expired),
            ("cancelling", Phase::Cancelling),
            ("cancelled", Phase::Cancelled),
        ] {
            assert_eq!(
                parse_batch(&json!({"id": "b", "status": s})).unwrap().phase,
                p
            );
        }
        assert!(parse_batch(&json!({"id": "b", "status": "odd"})).is_err());
        let list = json!({"object": "list", "data": [v]});
        assert_eq!(find_batch(&list, "file-1").unwrap().id, "batch_1");
        assert!(find_batch(&list, "file-9").is_none());
        let files = json!({"data": [{"id": "file-1", "filename": "cellmage-n-1.jsonl"}]});
        assert_eq!(
            find_file(&files, "cellmage-n-1.jsonl").as_deref(),
            Some("file-1")
        );
    }

    #[test]
    fn result_lines() {
        let ok = r#"{"id":"batch_req_1","custom_id":"a","response":{"status_code":200,"request_id":"r","body":{"choices":[]}},"error":null}"#;
        assert_eq!(
            parse_result_line(ok).unwrap().outcome,
            Outcome::Succeeded(json!({"choices": []}))
        );
        let bad = r#"{"id":"batch_req_2","custom_id":"b","response":{"status_code":400,"request_id":"r","body":{"error":{"message":"bad model","type":"invalid_request_error"}}},"error":null}"#;
        assert_eq!(
            parse_result_line(bad).unwrap().outcome,
            Outcome::Errored("HTTP 400: bad model".into())
        );
        let expired = r#"{"id":"batch_req_3","custom_id":"c","response":null,"error":{"code":"batch_expired","message":"This request could not be executed before the completion window expired."}}"#;
        assert_eq!(
            parse_result_line(expired).unwrap().outcome,
            Outcome::Expired
        );
        assert!(parse_result_line("{}").is_err());
    }
}
