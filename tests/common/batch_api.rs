//! Fake batch APIs, built from the providers' API references (paths, fields, statuses and
//! result lines as `cellmage::batch::{openai, anthropic}` cite them):
//! * OpenAI: `POST /v1/files` (multipart, purpose `batch`), `GET /v1/files?purpose=batch`,
//!   `GET /v1/files/{id}/content`, `POST /v1/batches`, `GET /v1/batches/{id}`,
//!   `GET /v1/batches?limit=N`, `POST /v1/batches/{id}/cancel`;
//! * Anthropic: `POST /v1/messages/batches`, `GET /v1/messages/batches/{id}`,
//!   `GET /v1/messages/batches?limit=N`, `POST /v1/messages/batches/{id}/cancel`, and the
//!   results at the batch's `results_url`.
//!
//! A batch runs for `polls` retrieves, then ends: each request answered by `answer`
//! (default: a Python block naming the request), except the ids in `failing` (an error
//! result: partial failure) and, with `expire`, the second half of the requests (expired).
//! A cancel ends it at the next retrieve with the unfinished requests cancelled. Upload and
//! create can be slowed down after their effect (`slow_upload`, `slow_create`): a client
//! killed during the delay has uploaded or created without seeing the answer.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::routed::{RoutedServer, anthropic_error, openai_error};
use super::server::{Recorded, Reply};

pub type Answer = Arc<dyn Fn(&str, &Value) -> String + Send + Sync>;

/// How the fake batch API behaves.
#[derive(Clone)]
pub struct Behaviour {
    /// Retrieves answered "running" before the batch ends.
    pub polls: usize,
    /// Requests that end in an error result.
    pub failing: Vec<String>,
    /// The batch expires: the second half of its requests never run.
    pub expire: bool,
    /// The answer text of a request, from its `custom_id` and body.
    pub answer: Answer,
    /// Delays after the upload is stored, before it is answered.
    pub slow_upload: Duration,
    /// Delays after the batch is created, before it is answered.
    pub slow_create: Duration,
}

impl Default for Behaviour {
    fn default() -> Behaviour {
        Behaviour {
            polls: 1,
            failing: Vec::new(),
            expire: false,
            answer: Arc::new(|id, _| format!("```python\nprint({id:?})\n```\n")),
            slow_upload: Duration::ZERO,
            slow_create: Duration::ZERO,
        }
    }
}

#[derive(Clone, Debug)]
struct Batch {
    id: String,
    /// `(custom_id, request body)` in file order.
    requests: Vec<(String, Value)>,
    input_file_id: Option<String>,
    metadata: Value,
    retrieves: usize,
    cancelled: bool,
    ended: bool,
    created_at: u64,
    output_file_id: Option<String>,
    error_file_id: Option<String>,
}

#[derive(Default)]
struct World {
    files: BTreeMap<String, (String, String, String)>, // id -> (filename, purpose, content)
    batches: BTreeMap<String, Batch>,
    next: usize,
}

impl World {
    fn id(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{:04}", self.next)
    }
}

/// What became of one request once its batch ended.
enum Fate {
    Ok(String),
    Error(String),
    Expired,
    Cancelled,
}

fn fate(b: &Batch, i: usize, id: &str, body: &Value, how: &Behaviour) -> Fate {
    let half = b.requests.len().div_ceil(2);
    if b.cancelled && b.retrieves <= how.polls {
        // cancelled while running: the first request had finished, the rest not
        return if i == 0 {
            Fate::Ok((how.answer)(id, body))
        } else {
            Fate::Cancelled
        };
    }
    if how.expire && i >= half {
        Fate::Expired
    } else if how.failing.iter().any(|f| f == id) {
        Fate::Error(format!("request {id} failed on purpose"))
    } else {
        Fate::Ok((how.answer)(id, body))
    }
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn rfc3339(secs: u64) -> String {
    humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(secs)).to_string()
}

/// A fake batch API and a view of what it holds.
pub struct FakeBatchApi {
    pub server: RoutedServer,
    world: Arc<Mutex<World>>,
}

impl FakeBatchApi {
    /// How many batches were created.
    pub fn batches_created(&self) -> usize {
        self.world.lock().unwrap().batches.len()
    }

    /// How many files were uploaded (purpose `batch`).
    pub fn uploads(&self) -> usize {
        self.world
            .lock()
            .unwrap()
            .files
            .values()
            .filter(|(_, purpose, _)| purpose == "batch")
            .count()
    }

    /// The `(custom_id, body)` requests of the only batch.
    pub fn requests_of_only_batch(&self) -> Vec<(String, Value)> {
        let world = self.world.lock().unwrap();
        assert_eq!(world.batches.len(), 1, "expected exactly one batch");
        world.batches.values().next().unwrap().requests.clone()
    }

    /// An OpenAI Batch API.
    pub fn openai(how: Behaviour) -> FakeBatchApi {
        let world = Arc::new(Mutex::new(World::default()));
        let w = world.clone();
        let server = RoutedServer::start(Arc::new(move |req| {
            if !req
                .header("authorization")
                .is_some_and(|v| v.starts_with("Bearer "))
            {
                return openai_error(401, "You didn't provide an API key.");
            }
            openai_route(&mut w.lock().unwrap(), req, &how)
        }));
        FakeBatchApi { server, world }
    }

    /// An Anthropic Message Batches API.
    pub fn anthropic(how: Behaviour) -> FakeBatchApi {
        let world = Arc::new(Mutex::new(World::default()));
        let w = world.clone();
        let root = Arc::new(Mutex::new(String::new()));
        let r = root.clone();
        let server = RoutedServer::start(Arc::new(move |req| {
            if req.header("x-api-key").is_none() {
                return anthropic_error(
                    401,
                    "authentication_error",
                    "x-api-key header is required",
                );
            }
            if req.header("anthropic-version").is_none() {
                return anthropic_error(
                    400,
                    "invalid_request_error",
                    "anthropic-version header is required",
                );
            }
            let root = r.lock().unwrap().clone();
            anthropic_route(&mut w.lock().unwrap(), req, &how, &root)
        }));
        *root.lock().unwrap() = server.root_url();
        FakeBatchApi { server, world }
    }
}

/// The parts of a `multipart/form-data` body: `(name, content)`.
fn multipart(req: &Recorded) -> Option<Vec<(String, String)>> {
    let ct = req.header("content-type")?;
    let boundary = ct.split("boundary=").nth(1)?.trim_matches('"');
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    for chunk in req.body.split(&delimiter).skip(1) {
        if chunk.starts_with("--") {
            break;
        }
        let chunk = chunk.strip_prefix("\r\n")?;
        let (head, content) = chunk.split_once("\r\n\r\n")?;
        let name = head.split("name=\"").nth(1)?.split('"').next()?.to_string();
        let content = content.strip_suffix("\r\n").unwrap_or(content);
        parts.push((name, content.to_string()));
    }
    Some(parts)
}

fn openai_batch_json(b: &Batch, how: &Behaviour) -> Value {
    let n = b.requests.len() as u64;
    let status = if b.ended {
        if b.cancelled {
            "cancelled"
        } else if how.expire {
            "expired"
        } else {
            "completed"
        }
    } else if b.cancelled {
        "cancelling"
    } else if b.retrieves == 0 {
        "validating"
    } else {
        "in_progress"
    };
    let failed = if b.ended {
        b.requests
            .iter()
            .enumerate()
            .filter(|(i, (id, body))| !matches!(fate(b, *i, id, body, how), Fate::Ok(_)))
            .count() as u64
    } else {
        0
    };
    json!({
        "id": b.id, "object": "batch", "endpoint": "/v1/chat/completions", "errors": null,
        "input_file_id": b.input_file_id, "completion_window": "24h", "status": status,
        "output_file_id": b.output_file_id, "error_file_id": b.error_file_id,
        "created_at": b.created_at, "expires_at": b.created_at + 86_400,
        "request_counts": {"total": n, "completed": if b.ended { n - failed } else { 0 }, "failed": failed},
        "metadata": b.metadata,
    })
}

/// Ends a batch: writes its output and error files.
fn openai_end(world: &mut World, id: &str, how: &Behaviour) {
    let b = world.batches[id].clone();
    let (mut out, mut err) = (String::new(), String::new());
    for (i, (cid, body)) in b.requests.iter().enumerate() {
        let req_id = format!("batch_req_{i}");
        let line = match fate(&b, i, cid, body, how) {
            Fate::Ok(text) => {
                out.push_str(&json!({"id": req_id, "custom_id": cid, "response": {"status_code": 200, "request_id": "req_x", "body": {
                    "id": "chatcmpl-b", "object": "chat.completion", "model": body["model"],
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}}}, "error": null}).to_string());
                out.push('\n');
                continue;
            }
            Fate::Error(message) => {
                json!({"id": req_id, "custom_id": cid, "response": {"status_code": 400, "request_id": "req_x",
                "body": {"error": {"message": message, "type": "invalid_request_error", "param": null, "code": null}}}, "error": null})
            }
            Fate::Expired => json!({"id": req_id, "custom_id": cid, "response": null,
                "error": {"code": "batch_expired", "message": "This request could not be executed before the completion window expired."}}),
            Fate::Cancelled => json!({"id": req_id, "custom_id": cid, "response": null,
                "error": {"code": "batch_cancelled", "message": "This request was cancelled."}}),
        };
        err.push_str(&line.to_string());
        err.push('\n');
    }
    let store = |content: String, world: &mut World| {
        (!content.is_empty()).then(|| {
            let fid = world.id("file-out");
            world.files.insert(
                fid.clone(),
                (
                    format!("batch_{id}_output.jsonl"),
                    "batch_output".into(),
                    content,
                ),
            );
            fid
        })
    };
    let output = store(out, world);
    let error = store(err, world);
    let b = world.batches.get_mut(id).unwrap();
    b.ended = true;
    b.output_file_id = output;
    b.error_file_id = error;
}

fn openai_route(world: &mut World, req: &Recorded, how: &Behaviour) -> Reply {
    let path = req.path.as_str();
    let segments: Vec<&str> = path
        .split('?')
        .next()
        .unwrap()
        .trim_matches('/')
        .split('/')
        .collect();
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "files"]) => {
            let Some(parts) = multipart(req) else {
                return openai_error(400, "expected multipart/form-data");
            };
            let field = |n: &str| parts.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
            let (Some(purpose), Some(content)) = (field("purpose"), field("file")) else {
                return openai_error(400, "'purpose' and 'file' are required");
            };
            let filename = req
                .body
                .split("filename=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or("upload")
                .to_string();
            let id = world.id("file-");
            let bytes = content.len();
            world
                .files
                .insert(id.clone(), (filename.clone(), purpose.clone(), content));
            Reply::json(
                200,
                json!({"id": id, "object": "file", "bytes": bytes, "created_at": now_secs(),
                "filename": filename, "purpose": purpose}),
            )
            .after(how.slow_upload)
        }
        ("GET", ["v1", "files"]) => {
            let data: Vec<Value> = world
                .files
                .iter()
                .filter(|(_, (_, p, _))| !path.contains("purpose=batch") || p == "batch")
                .map(|(id, (name, purpose, content))| {
                    json!({"id": id, "object": "file", "bytes": content.len(),
                    "created_at": now_secs(), "filename": name, "purpose": purpose})
                })
                .collect();
            Reply::json(
                200,
                json!({"object": "list", "data": data, "has_more": false}),
            )
        }
        ("GET", ["v1", "files", id, "content"]) => match world.files.get(*id) {
            Some((_, _, content)) => Reply::Http {
                status: 200,
                headers: vec![("Content-Type".into(), "application/octet-stream".into())],
                body: content.clone(),
            },
            None => openai_error(404, &format!("No such File object: {id}")),
        },
        ("POST", ["v1", "batches"]) => {
            let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
                return openai_error(400, "body is not JSON");
            };
            if body["completion_window"] != "24h" || body["endpoint"] != "/v1/chat/completions" {
                return openai_error(
                    400,
                    "completion_window must be 24h and endpoint /v1/chat/completions",
                );
            }
            let fid = body["input_file_id"].as_str().unwrap_or_default();
            let Some((_, purpose, content)) = world.files.get(fid) else {
                return openai_error(400, &format!("No such File object: {fid}"));
            };
            if purpose != "batch" {
                return openai_error(400, "the input file must have purpose batch");
            }
            let mut requests = Vec::new();
            for (n, line) in content.lines().enumerate() {
                let Ok(v) = serde_json::from_str::<Value>(line) else {
                    return openai_error(400, &format!("line {}: not JSON", n + 1));
                };
                let id = v["custom_id"].as_str().unwrap_or_default().to_string();
                if id.is_empty()
                    || v["method"] != "POST"
                    || v["url"] != "/v1/chat/completions"
                    || !v["body"].is_object()
                    || requests.iter().any(|(r, _)| *r == id)
                {
                    return openai_error(400, &format!("line {}: invalid request", n + 1));
                }
                requests.push((id, v["body"].clone()));
            }
            let id = world.id("batch_");
            let b = Batch {
                id: id.clone(),
                requests,
                input_file_id: Some(fid.to_string()),
                metadata: body["metadata"].clone(),
                retrieves: 0,
                cancelled: false,
                ended: false,
                created_at: now_secs(),
                output_file_id: None,
                error_file_id: None,
            };
            let reply = Reply::json(200, openai_batch_json(&b, how));
            world.batches.insert(id, b);
            reply.after(how.slow_create)
        }
        ("GET", ["v1", "batches"]) => {
            let data: Vec<Value> = world
                .batches
                .values()
                .rev()
                .map(|b| openai_batch_json(b, how))
                .collect();
            Reply::json(
                200,
                json!({"object": "list", "data": data, "has_more": false}),
            )
        }
        ("GET", ["v1", "batches", id]) => {
            let Some(b) = world.batches.get_mut(*id) else {
                return openai_error(404, &format!("No batch found with id '{id}'."));
            };
            b.retrieves += 1;
            if !b.ended && (b.retrieves > how.polls || b.cancelled) {
                let id = id.to_string();
                openai_end(world, &id, how);
            }
            Reply::json(200, openai_batch_json(&world.batches[*id], how))
        }
        ("POST", ["v1", "batches", id, "cancel"]) => match world.batches.get_mut(*id) {
            Some(b) if !b.ended => {
                b.cancelled = true;
                Reply::json(200, openai_batch_json(b, how))
            }
            Some(_) => openai_error(400, "Cannot cancel a batch that has already ended."),
            None => openai_error(404, &format!("No batch found with id '{id}'.")),
        },
        _ => openai_error(404, &format!("no route for {} {path}", req.method)),
    }
}

fn anthropic_batch_json(b: &Batch, how: &Behaviour, root: &str) -> Value {
    let n = b.requests.len() as u64;
    let mut counts =
        json!({"processing": n, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0});
    if b.ended {
        counts["processing"] = json!(0);
        for (i, (id, body)) in b.requests.iter().enumerate() {
            let key = match fate(b, i, id, body, how) {
                Fate::Ok(_) => "succeeded",
                Fate::Error(_) => "errored",
                Fate::Expired => "expired",
                Fate::Cancelled => "canceled",
            };
            counts[key] = json!(counts[key].as_u64().unwrap() + 1);
        }
    }
    let status = if b.ended {
        "ended"
    } else if b.cancelled {
        "canceling"
    } else {
        "in_progress"
    };
    json!({
        "id": b.id, "type": "message_batch", "processing_status": status, "request_counts": counts,
        "created_at": rfc3339(b.created_at), "expires_at": rfc3339(b.created_at + 86_400),
        "ended_at": if b.ended { json!(rfc3339(now_secs())) } else { Value::Null },
        "cancel_initiated_at": if b.cancelled { json!(rfc3339(b.created_at)) } else { Value::Null },
        "archived_at": null,
        "results_url": if b.ended { json!(format!("{root}/v1/messages/batches/{}/results", b.id)) } else { Value::Null },
    })
}

fn anthropic_route(world: &mut World, req: &Recorded, how: &Behaviour, root: &str) -> Reply {
    let path = req.path.as_str();
    let segments: Vec<&str> = path
        .split('?')
        .next()
        .unwrap()
        .trim_matches('/')
        .split('/')
        .collect();
    let not_found =
        |id: &str| anthropic_error(404, "not_found_error", &format!("batch {id} not found"));
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["v1", "messages", "batches"]) => {
            let Ok(body) = serde_json::from_str::<Value>(&req.body) else {
                return anthropic_error(400, "invalid_request_error", "body is not JSON");
            };
            let Some(list) = body["requests"].as_array().filter(|l| !l.is_empty()) else {
                return anthropic_error(
                    400,
                    "invalid_request_error",
                    "requests: at least one request is required",
                );
            };
            let mut requests: Vec<(String, Value)> = Vec::new();
            for r in list {
                let id = r["custom_id"].as_str().unwrap_or_default().to_string();
                let valid = (1..=64).contains(&id.len())
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                if !valid
                    || !r["params"].is_object()
                    || r["params"]["model"].as_str().is_none()
                    || r["params"]["max_tokens"].as_u64().is_none()
                    || requests.iter().any(|(x, _)| *x == id)
                {
                    return anthropic_error(
                        400,
                        "invalid_request_error",
                        &format!("requests: invalid request {id:?}"),
                    );
                }
                requests.push((id, r["params"].clone()));
            }
            let id = world.id("msgbatch_");
            let b = Batch {
                id: id.clone(),
                requests,
                input_file_id: None,
                metadata: Value::Null,
                retrieves: 0,
                cancelled: false,
                ended: false,
                created_at: now_secs(),
                output_file_id: None,
                error_file_id: None,
            };
            let reply = Reply::json(200, anthropic_batch_json(&b, how, root));
            world.batches.insert(id, b);
            reply.after(how.slow_create)
        }
        ("GET", ["v1", "messages", "batches"]) => {
            let data: Vec<Value> = world
                .batches
                .values()
                .rev()
                .map(|b| anthropic_batch_json(b, how, root))
                .collect();
            Reply::json(
                200,
                json!({"data": data, "has_more": false, "first_id": null, "last_id": null}),
            )
        }
        ("GET", ["v1", "messages", "batches", id]) => {
            let Some(b) = world.batches.get_mut(*id) else {
                return not_found(id);
            };
            b.retrieves += 1;
            if b.retrieves > how.polls || b.cancelled {
                b.ended = true;
            }
            Reply::json(200, anthropic_batch_json(b, how, root))
        }
        ("POST", ["v1", "messages", "batches", id, "cancel"]) => {
            let Some(b) = world.batches.get_mut(*id) else {
                return not_found(id);
            };
            if !b.ended {
                b.cancelled = true;
            }
            Reply::json(200, anthropic_batch_json(b, how, root))
        }
        ("GET", ["v1", "messages", "batches", id, "results"]) => {
            let Some(b) = world.batches.get(*id) else {
                return not_found(id);
            };
            if !b.ended {
                return anthropic_error(
                    400,
                    "invalid_request_error",
                    "the batch has not ended yet",
                );
            }
            let mut out = String::new();
            for (i, (cid, body)) in b.requests.iter().enumerate() {
                let result = match fate(b, i, cid, body, how) {
                    Fate::Ok(text) => {
                        json!({"type": "succeeded", "message": {"id": format!("msg_{i}"), "type": "message",
                        "role": "assistant", "model": body["model"], "content": [{"type": "text", "text": text}],
                        "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 20, "output_tokens": 10}}})
                    }
                    Fate::Error(message) => json!({"type": "errored", "error": {"type": "error",
                        "error": {"type": "invalid_request_error", "message": message}}}),
                    Fate::Expired => json!({"type": "expired"}),
                    Fate::Cancelled => json!({"type": "canceled"}),
                };
                out.push_str(&json!({"custom_id": cid, "result": result}).to_string());
                out.push('\n');
            }
            Reply::Http {
                status: 200,
                headers: vec![("Content-Type".into(), "application/x-jsonl".into())],
                body: out,
            }
        }
        _ => anthropic_error(
            404,
            "not_found_error",
            &format!("no route for {} {path}", req.method),
        ),
    }
}
