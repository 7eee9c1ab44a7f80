//! A scripted fake LLM server on 127.0.0.1:0, run in the test process. Each connection gets
//! the next scripted reply (the last one repeats); every request is recorded. Dropping the
//! server stops it and fails the test if it was never hit (unless `allow_unused`).
//!
//! Fault injection: status sequences (a Vec of replies), `Retry-After` headers
//! (`with_header`), delays before the headers (`after`), streams that stall (`stalled_stream`)
//! or are cut (`cut_stream`), malformed chunks (`raw_sse`), non-protocol bodies (`html`),
//! connections closed without a response (`Reply::Drop`), and a hit counter (`hits`).
//! Every wait is cut short when the server is dropped, so a stalled reply never holds up
//! the end of a test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{Value, json};

/// One scripted response.
#[derive(Clone, Debug)]
pub enum Reply {
    /// A status, extra headers and a body.
    Http {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A `text/event-stream` body: each item is sent as it is, after its delay.
    Sse { events: Vec<(Duration, String)> },
    /// Accept the connection, read the request, and close without a response.
    Drop,
    /// Wait, then send the inner reply.
    Delay(Duration, Box<Reply>),
    /// These bytes exactly (status line, headers and body), then close.
    Raw(Vec<u8>),
    /// A 400 with OpenAI's `unsupported_parameter` error for the first of these body keys
    /// the request has, as OpenAI answers a reasoning model's refused parameters; else the
    /// inner reply.
    Refusing(Vec<&'static str>, Box<Reply>),
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply::Http {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            headers: vec![],
            body: body.to_string(),
        }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Http {
                status,
                mut headers,
                body,
            } => {
                headers.push((name.into(), value.into()));
                Reply::Http {
                    status,
                    headers,
                    body,
                }
            }
            other => other,
        }
    }

    /// A whole OpenAI chat completion.
    pub fn openai(text: &str) -> Reply {
        Reply::openai_finish(text, "stop")
    }

    pub fn openai_finish(text: &str, finish: &str) -> Reply {
        Reply::json(
            200,
            json!({
                "id": "chatcmpl-1", "object": "chat.completion", "model": "fake-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
                "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
            }),
        )
    }

    /// An OpenAI stream of these text pieces, a finish reason, usage and `[DONE]`.
    pub fn openai_stream(pieces: &[&str]) -> Reply {
        Reply::openai_stream_finish(pieces, "stop")
    }

    pub fn openai_stream_finish(pieces: &[&str], finish: &str) -> Reply {
        let mut events = vec![sse(
            &json!({"model": "fake-model", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}),
        )];
        for piece in pieces {
            events.push(sse(
                &json!({"choices": [{"index": 0, "delta": {"content": piece}}]}),
            ));
        }
        events.push(sse(
            &json!({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}),
        ));
        events.push(sse(
            &json!({"choices": [], "usage": {"prompt_tokens": 11, "completion_tokens": 7}}),
        ));
        events.push("data: [DONE]\n\n".to_string());
        Reply::Sse {
            events: events.into_iter().map(|e| (Duration::ZERO, e)).collect(),
        }
    }

    /// The head of an OpenAI stream (role chunk, then these pieces), without a finish
    /// reason or `[DONE]`: the connection is closed after the last piece.
    pub fn cut_stream(pieces: &[&str]) -> Reply {
        let mut events = vec![sse(
            &json!({"model": "fake-model", "choices": [{"index": 0, "delta": {"role": "assistant"}}]}),
        )];
        events.extend(
            pieces
                .iter()
                .map(|p| sse(&json!({"choices": [{"index": 0, "delta": {"content": p}}]}))),
        );
        Reply::Sse {
            events: events.into_iter().map(|e| (Duration::ZERO, e)).collect(),
        }
    }

    /// These pieces at once, then nothing for `stall`, then the rest of a complete stream.
    pub fn stalled_stream(pieces: &[&str], stall: Duration) -> Reply {
        let Reply::Sse { mut events } = Reply::openai_stream(pieces) else {
            unreachable!()
        };
        let at = pieces.len() + 1;
        events[at].0 = stall;
        Reply::Sse { events }
    }

    /// A complete stream whose pieces arrive `gap` apart.
    pub fn slow_stream(pieces: &[&str], gap: Duration) -> Reply {
        let Reply::Sse { mut events } = Reply::openai_stream(pieces) else {
            unreachable!()
        };
        for event in events.iter_mut().skip(1) {
            event.0 = gap;
        }
        Reply::Sse { events }
    }

    /// A `text/event-stream` response whose body is these bytes, sent as they are.
    pub fn sse_bytes(body: &[u8]) -> Reply {
        let mut bytes =
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                .to_vec();
        bytes.extend_from_slice(body);
        Reply::Raw(bytes)
    }

    /// An HTML page, as a proxy or captive portal sends it.
    pub fn html(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            headers: vec![("Content-Type".into(), "text/html; charset=utf-8".into())],
            body: body.to_string(),
        }
    }

    /// This reply, sent only after `delay` (before any byte of the response).
    pub fn after(self, delay: Duration) -> Reply {
        Reply::Delay(delay, Box::new(self))
    }

    /// Raw SSE events (each a complete `data: ...\n\n` text), sent at once.
    pub fn raw_sse(events: &[&str]) -> Reply {
        Reply::Sse {
            events: events
                .iter()
                .map(|e| (Duration::ZERO, e.to_string()))
                .collect(),
        }
    }
}

/// One SSE event carrying this JSON.
pub fn sse(v: &Value) -> String {
    format!("data: {v}\n\n")
}

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("request body is JSON")
    }

    /// `(role, content)` of every message sent.
    pub fn messages(&self) -> Vec<(String, String)> {
        self.json()["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .map(|m| {
                (
                    m["role"].as_str().unwrap().to_string(),
                    m["content"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

pub struct FakeServer {
    addr: std::net::SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    allow_unused: bool,
}

impl FakeServer {
    pub fn start(replies: Vec<Reply>) -> FakeServer {
        assert!(!replies.is_empty());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let next = Arc::new(AtomicUsize::new(0));
        let replies = Arc::new(replies);
        let (reqs, stop2) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut workers = Vec::new();
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (reqs, next, replies, stop) =
                    (reqs.clone(), next.clone(), replies.clone(), stop2.clone());
                workers.push(std::thread::spawn(move || {
                    serve(conn, &reqs, &next, &replies, &stop)
                }));
            }
            for w in workers {
                let _ = w.join();
            }
        });
        FakeServer {
            addr,
            requests,
            stop,
            thread: Some(thread),
            allow_unused: false,
        }
    }

    /// The base URL to give cellmage (`…/v1`).
    pub fn url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address it listens on.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// The server's root URL, without `/v1` (what `ANTHROPIC_BASE_URL` holds).
    pub fn root_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests arrived.
    pub fn hits(&self) -> usize {
        self.requests.lock().unwrap().len()
    }

    /// The only request; fails if there was not exactly one.
    pub fn request(&self) -> Recorded {
        let reqs = self.requests();
        assert_eq!(reqs.len(), 1, "expected exactly one request");
        reqs.into_iter().next().unwrap()
    }

    /// For tests that assert nothing was sent.
    pub fn allow_unused(mut self) -> FakeServer {
        self.allow_unused = true;
        self
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !std::thread::panicking() && !self.allow_unused {
            assert!(
                !self.requests.lock().unwrap().is_empty(),
                "the fake server was never called"
            );
        }
    }
}

pub fn read_request(conn: &mut TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next()?.to_string(), parts.next()?.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Recorded {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn serve(
    mut conn: TcpStream,
    reqs: &Mutex<Vec<Recorded>>,
    next: &AtomicUsize,
    replies: &[Reply],
    stop: &AtomicBool,
) {
    if stop.load(Ordering::SeqCst) {
        return;
    }
    let Some(request) = read_request(&mut conn) else {
        return;
    };
    let body: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
    reqs.lock().unwrap().push(request);
    let i = next.fetch_add(1, Ordering::SeqCst);
    let mut reply = replies[i.min(replies.len() - 1)].clone();
    if let Reply::Refusing(params, then) = reply {
        reply = match params.iter().find(|p| body.get(**p).is_some()) {
            Some(p) => unsupported_parameter(p),
            None => *then,
        };
    }
    respond(&mut conn, reply, stop);
}

/// OpenAI's 400 for a parameter the model does not take, as its API returns it.
fn unsupported_parameter(param: &str) -> Reply {
    let message = match param {
        "max_tokens" => "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.".to_string(),
        p => format!("Unsupported parameter: '{p}' is not supported with this model."),
    };
    Reply::json(
        400,
        json!({"error": {"message": message, "type": "invalid_request_error",
                         "param": param, "code": "unsupported_parameter"}}),
    )
}

impl Reply {
    /// The same reply, with the model the server says answered (`fake-model`, `fake-claude`)
    /// renamed: real APIs answer as the model asked for, often with a dated name.
    pub fn answering_as(self, model: &str) -> Reply {
        let rename = |text: String| {
            text.replace("\"fake-model\"", &format!("\"{model}\""))
                .replace("\"fake-claude\"", &format!("\"{model}\""))
        };
        match self {
            Reply::Http {
                status,
                headers,
                body,
            } => Reply::Http {
                status,
                headers,
                body: rename(body),
            },
            Reply::Sse { events } => Reply::Sse {
                events: events.into_iter().map(|(d, e)| (d, rename(e))).collect(),
            },
            other => other,
        }
    }

    /// An OpenAI reasoning model: refuses `max_tokens` and sampling parameters with a 400,
    /// else answers with `then`.
    pub fn reasoning_model(then: Reply) -> Reply {
        Reply::Refusing(
            vec![
                "max_tokens",
                "temperature",
                "top_p",
                "presence_penalty",
                "frequency_penalty",
                "logprobs",
            ],
            Box::new(then),
        )
    }
}

/// Sleeps for `d`, or less if the server is stopped; true when the full time passed.
fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let end = std::time::Instant::now() + d;
    while std::time::Instant::now() < end {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10).min(d));
    }
    true
}

pub fn respond(conn: &mut TcpStream, reply: Reply, stop: &AtomicBool) {
    match reply {
        Reply::Drop | Reply::Refusing(..) => {}
        Reply::Raw(bytes) => {
            let _ = conn.write_all(&bytes);
        }
        Reply::Delay(d, inner) => {
            if nap(d, stop) {
                respond(conn, *inner, stop);
            }
        }
        Reply::Http {
            status,
            headers,
            body,
        } => {
            let mut head = format!(
                "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                body.len()
            );
            for (k, v) in headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            let _ = conn.write_all(head.as_bytes());
            let _ = conn.write_all(body.as_bytes());
        }
        Reply::Sse { events } => {
            let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n";
            let _ = conn.write_all(head.as_bytes());
            for (delay, event) in events {
                if !nap(delay, stop) || conn.write_all(event.as_bytes()).is_err() {
                    return;
                }
                let _ = conn.flush();
            }
        }
    }
    let _ = conn.flush();
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

/// One named SSE event carrying this JSON, as Anthropic sends them.
pub fn anthropic_event(v: &Value) -> String {
    format!(
        "event: {}\ndata: {v}\n\n",
        v["type"].as_str().unwrap_or("message")
    )
}

impl Reply {
    /// A whole Anthropic Messages response.
    pub fn anthropic(text: &str) -> Reply {
        Reply::anthropic_stop(text, "end_turn")
    }

    pub fn anthropic_stop(text: &str, stop_reason: &str) -> Reply {
        Reply::json(
            200,
            json!({
                "id": "msg_1", "type": "message", "role": "assistant", "model": "fake-claude",
                "content": [{"type": "text", "text": text}],
                "stop_reason": stop_reason, "stop_sequence": null,
                "usage": {"input_tokens": 13, "output_tokens": 5}
            }),
        )
    }

    /// An Anthropic event stream of these text pieces, ending `end_turn`.
    pub fn anthropic_stream(pieces: &[&str]) -> Reply {
        Reply::anthropic_stream_stop(pieces, "end_turn")
    }

    pub fn anthropic_stream_stop(pieces: &[&str], stop_reason: &str) -> Reply {
        let mut events = vec![
            anthropic_event(&json!({"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "fake-claude",
                "content": [], "stop_reason": null,
                "usage": {"input_tokens": 13, "output_tokens": 1}}})),
            anthropic_event(&json!({"type": "content_block_start", "index": 0,
                "content_block": {"type": "text", "text": ""}})),
            anthropic_event(&json!({"type": "ping"})),
        ];
        for piece in pieces {
            events.push(anthropic_event(
                &json!({"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": piece}}),
            ));
        }
        events.push(anthropic_event(
            &json!({"type": "content_block_stop", "index": 0}),
        ));
        events.push(anthropic_event(&json!({"type": "message_delta",
            "delta": {"stop_reason": stop_reason, "stop_sequence": null},
            "usage": {"output_tokens": 5}})));
        events.push(anthropic_event(&json!({"type": "message_stop"})));
        Reply::Sse {
            events: events.into_iter().map(|e| (Duration::ZERO, e)).collect(),
        }
    }
}

/// A base URL where nothing listens: a port that was bound on 127.0.0.1, then closed.
pub fn refused_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{addr}/v1")
}
