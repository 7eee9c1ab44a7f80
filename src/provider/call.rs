//! A provider's call through the transport: the request POSTed with the endpoint's limits
//! and retries, and the response read as an SSE stream (text to the sink as it arrives) or
//! as one JSON document. A failure is retried only while nothing has been shown.

use std::io::{BufRead, BufReader, Read};
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use super::{Answer, Endpoint, Sink, StreamState, Usage, protocol_error};
use crate::error::{Failure, Kind};
use crate::transport::{self, AttemptError, Connection, Hints, Request, Response, sse};

/// The longest SSE line accepted; a longer one is not the protocol.
const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest whole (non-streamed) response body read.
const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

/// What a provider's failures tell the user to do.
pub static HINTS: std::sync::LazyLock<Hints> = std::sync::LazyLock::new(|| Hints {
    auth: super::key_hint(),
    not_found: "check the model name (cellmage models) and the base URL",
    too_large: "send fewer or smaller snippets",
    server: "the provider failed; try again later",
    connect: "is the server running? check --api-base / CELLMAGE_API_BASE",
    url: "check --api-base / CELLMAGE_API_BASE",
    protocol: "is the base URL an OpenAI-compatible API? (--api-base, CELLMAGE_API_BASE)",
    timeout: "raise --timeout (or CELLMAGE_TIMEOUT) if the model is slow to answer",
});

/// What a successful call returns.
pub struct Outcome {
    pub state: StreamState,
    pub duration: Duration,
    pub retries: u32,
}

impl Outcome {
    /// The answer; `requested_model` names it when the provider did not.
    pub fn into_answer(self, requested_model: &str) -> Answer {
        let finish = self.state.finish_reason;
        Answer {
            truncated: finish.as_deref() == Some("length"),
            text: self.state.text,
            finish_reason: finish,
            usage: self.state.usage,
            model: self
                .state
                .model
                .unwrap_or_else(|| requested_model.to_string()),
            duration: self.duration,
            retries: self.retries,
        }
    }
}

/// The parts of a whole (non-streaming) response: text, finish reason, usage, model.
pub type Whole = (String, Option<String>, Option<Usage>, Option<String>);

type OnEvent<'a> = dyn FnMut(&mut StreamState, &sse::Event, &mut dyn Sink) -> Result<()> + 'a;
type ParseWhole<'a> = dyn Fn(&Value) -> Result<Whole> + 'a;
type ParseReasoning<'a> = dyn Fn(&Value) -> Option<String> + 'a;

/// How the endpoint's requests are sent.
pub fn connection(endpoint: &Endpoint) -> Connection {
    Connection {
        timeout: endpoint.timeout,
        total_timeout: endpoint.total_timeout,
        retry: endpoint.retry,
        verbose: endpoint.verbose,
        hints: &HINTS,
        proxies: endpoint.proxies.clone(),
        gate: None,
    }
}

/// The shared rate budget of this endpoint and key, for a request of this size; none for
/// offline providers or without a configured budget directory.
fn gate(request: &Request, endpoint: &Endpoint) -> Option<crate::budget::Gate> {
    let config = endpoint.rate.as_ref()?;
    if endpoint.provider.capabilities().offline {
        return None;
    }
    let key: String = request
        .headers
        .iter()
        .filter_map(|(_, v)| match v {
            transport::HeaderValue::Secret(s) => Some(s.expose()),
            transport::HeaderValue::Plain(_) => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let tokens = request
        .body
        .as_ref()
        .map_or(0, |b| crate::models::estimate_tokens(b));
    crate::budget::Gate::open(
        config,
        endpoint.provider.name(),
        &endpoint.base_url,
        &key,
        tokens,
    )
}

/// The one-line warning owed before a key goes out unencrypted to another machine.
pub fn plain_http_warning(endpoint: &Endpoint) -> Option<String> {
    if endpoint.provider.capabilities().offline || endpoint.key.is_none() {
        return None;
    }
    transport::plain_http_warning(&endpoint.base_url, "the API key")
}

/// Sends the request and reads the answer into the sink.
pub fn call(
    request: &Request,
    endpoint: &Endpoint,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
    parse_whole: &ParseWhole<'_>,
    parse_reasoning: &ParseReasoning<'_>,
) -> Result<Outcome> {
    if let Some(warning) = plain_http_warning(endpoint) {
        eprintln!("{warning}");
    }
    let conn = Connection {
        gate: gate(request, endpoint),
        ..connection(endpoint)
    };
    let sent = transport::send(request, &conn, &mut |response| {
        let mut state = StreamState::default();
        let read = if response.content_type.contains("text/event-stream") {
            read_stream(response, &mut state, sink, on_event)
        } else {
            read_whole(response, &mut state, sink, parse_whole, parse_reasoning)
        };
        match read {
            Ok(()) => Ok(state),
            // once text has reached the user, trying again would repeat it
            Err(mut err) => {
                err.retryable &= !(state.emitted && sink.shown());
                Err(err)
            }
        }
    })?;
    Ok(Outcome {
        state: sent.value,
        duration: sent.duration,
        retries: sent.retries,
    })
}

/// How a provider's call reads its own errors into attempts.
impl From<anyhow::Error> for AttemptError {
    /// Errors from the protocol parsers (a `Failure`) or from the sink (stdout). A sink error
    /// keeps its `io::Error`, so a closed pipe still ends the program quietly.
    fn from(err: anyhow::Error) -> Self {
        let is_failure = err.chain().any(|e| e.is::<Failure>());
        if !is_failure && err.chain().any(|e| e.is::<std::io::Error>()) {
            return AttemptError::fatal(err.context("cannot write the answer to stdout"));
        }
        AttemptError::fatal(err)
    }
}

/// An `error` object inside a 200 response or a stream.
pub fn error_in_stream(err: &Value) -> anyhow::Error {
    let message = err
        .get("message")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| err.to_string());
    Failure::new(
        Kind::Server,
        format!(
            "the provider reported an error: {}",
            transport::failure::printable(&message)
        ),
    )
    .into()
}

/// The SSE body: events in, text out to the sink as it arrives. Only the protocol's end
/// (a finish reason or its end marker) completes it; the connection closing does not.
fn read_stream(
    mut response: Response<'_>,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
) -> Result<(), AttemptError> {
    let body = std::mem::replace(&mut response.body, Box::new(std::io::empty()));
    let mut reader = BufReader::with_capacity(16 * 1024, body);
    let mut parser = sse::Parser::default();
    let mut line = Vec::with_capacity(1024);
    while !state.done {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| response.read_error(&e))?;
        if n as u64 == MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            let head = String::from_utf8_lossy(&line[..200]).into_owned();
            return Err(AttemptError::fatal(protocol_error(
                "the stream sent a line longer than 16 MiB",
                &head,
            )));
        }
        if n == 0 {
            // an event still open at the end is discarded (it may be cut): the verdict
            // below calls the stream incomplete, which is retried
            break;
        }
        let event = {
            let text = std::str::from_utf8(&line).map_err(|_| {
                let head = String::from_utf8_lossy(&line).into_owned();
                AttemptError::fatal(protocol_error("the stream is not UTF-8", &head))
            })?;
            parser.line(text.trim_end_matches('\n'))
        };
        if let Some(event) = event {
            if response.verbose() > 1 {
                let data: String = event.data.chars().take(300).collect();
                response.log(&format!("data: {data}"));
            }
            on_event(state, &event, sink)?;
        }
    }
    stream_verdict(state)
}

/// Whether what the stream delivered is a whole answer.
fn stream_verdict(state: &StreamState) -> Result<(), AttemptError> {
    if !state.complete() {
        return Err(AttemptError::retry(
            Failure::new(
                Kind::Network,
                "the stream ended before the answer was complete (no finish reason or end marker)",
            )
            .hint("the connection was closed early; nothing was recorded"),
        ));
    }
    if state.text.is_empty() && state.finish_reason.is_none() {
        return Err(AttemptError::fatal(protocol_error(
            "the stream ended without an answer (no text, no finish reason)",
            "",
        )));
    }
    Ok(())
}

/// A whole JSON body (no stream asked for, or a server that ignored `stream`).
fn read_whole(
    mut response: Response<'_>,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    parse_whole: &ParseWhole<'_>,
    parse_reasoning: &ParseReasoning<'_>,
) -> Result<(), AttemptError> {
    let mut bytes = Vec::new();
    (&mut response.body)
        .take(MAX_BODY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| response.read_error(&e))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| {
        let head = String::from_utf8_lossy(&bytes).into_owned();
        AttemptError::fatal(protocol_error("the response is not UTF-8", &head))
    })?;
    let value: Value = serde_json::from_str(text).map_err(|_| {
        let what = if text.trim().is_empty() {
            "the response is empty"
        } else {
            "the response is not JSON"
        };
        AttemptError::fatal(protocol_error(what, text))
    })?;
    if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
        return Err(AttemptError::fatal(error_in_stream(err)));
    }
    let (answer, finish, usage, model) = parse_whole(&value).map_err(AttemptError::fatal)?;
    if let Some(reasoning) = parse_reasoning(&value) {
        state.think(&reasoning, sink)?;
    }
    state.finish_reason = finish;
    state.usage = usage;
    state.model = model;
    state.done = true;
    state.push(&answer, sink)?;
    Ok(())
}
