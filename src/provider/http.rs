//! The transport: one POST, retried per `retry::Policy`, with its response read as an SSE
//! stream or as one JSON document. The only file that uses ureq.

use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use serde_json::Value;

use super::sse;
use super::{Endpoint, Sink, StreamState, Usage, protocol_error, retry};
use crate::error::{Failure, Kind, usage};
use crate::secret::Secret;

/// A header value that may be a secret; secrets print as `(redacted)`.
#[derive(Clone, Debug)]
pub enum HeaderValue {
    Plain(String),
    Secret(Secret),
}

impl HeaderValue {
    fn expose(&self) -> &str {
        match self {
            HeaderValue::Plain(v) => v,
            HeaderValue::Secret(s) => s.expose(),
        }
    }

    pub fn redacted(&self) -> String {
        match self {
            HeaderValue::Plain(v) => v.clone(),
            HeaderValue::Secret(s) => match s.expose().split_once(' ') {
                Some((scheme, _)) if scheme == "Bearer" => "Bearer (redacted)".into(),
                _ => "(redacted)".into(),
            },
        }
    }
}

/// One request to send.
pub struct Exchange {
    pub url: String,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: String,
}

/// The parts of a whole (non-streaming) response: text, finish reason, usage, model.
pub type Whole = (String, Option<String>, Option<Usage>, Option<String>);

/// What a successful call returns.
pub struct Outcome {
    pub state: StreamState,
    pub duration: Duration,
    pub retries: u32,
}

/// A failed attempt, and whether trying again could help.
struct AttemptError {
    failure: Failure,
    retryable: bool,
    retry_after: Option<Duration>,
}

impl AttemptError {
    fn fatal(failure: Failure) -> Self {
        AttemptError {
            failure,
            retryable: false,
            retry_after: None,
        }
    }

    fn retry(failure: Failure) -> Self {
        AttemptError {
            failure,
            retryable: true,
            retry_after: None,
        }
    }
}

impl From<anyhow::Error> for AttemptError {
    fn from(err: anyhow::Error) -> Self {
        let (kind, hint) = crate::error::classify(&err);
        let mut failure = Failure::new(kind, err.to_string());
        failure.hint = hint.map(str::to_string);
        if err
            .chain()
            .any(|e| e.downcast_ref::<std::io::Error>().is_some())
            && kind == Kind::Internal
        {
            // the sink (stdout) failed: keep the io error so a broken pipe stays a broken pipe
            return AttemptError::fatal(Failure::new(Kind::Internal, format!("{err:#}")));
        }
        AttemptError::fatal(failure)
    }
}

type OnEvent<'a> = dyn FnMut(&mut StreamState, &sse::Event, &mut dyn Sink) -> Result<()> + 'a;
type ParseWhole<'a> = dyn Fn(&Value) -> Result<Whole> + 'a;

fn agent(endpoint: &Endpoint) -> ureq::Agent {
    let t = Some(endpoint.timeout);
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(t)
        .timeout_recv_response(t)
        .timeout_per_read(t)
        .timeout_send_request(t)
        .timeout_global(Some(endpoint.total_timeout))
        .user_agent(concat!("cellmage/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

fn log(endpoint: &Endpoint, line: impl AsRef<str>) {
    if endpoint.verbose > 0 {
        eprintln!("cellmage: {}", line.as_ref());
    }
}

/// Sends the exchange, retrying what may be retried while nothing has been printed.
pub fn call(
    exchange: &Exchange,
    endpoint: &Endpoint,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
    parse_whole: &ParseWhole<'_>,
) -> Result<Outcome> {
    let agent = agent(endpoint);
    let policy = endpoint.retry;
    let started = Instant::now();
    let mut retries = 0;
    loop {
        let mut state = StreamState::default();
        let err = match attempt(
            &agent,
            exchange,
            endpoint,
            &mut state,
            sink,
            on_event,
            parse_whole,
        ) {
            Ok(()) => {
                return Ok(Outcome {
                    state,
                    duration: started.elapsed(),
                    retries,
                });
            }
            Err(err) => err,
        };
        if !err.retryable || state.emitted {
            return Err(err.failure.into());
        }
        if retries >= policy.retries {
            let mut failure = err.failure;
            if retries > 0 {
                failure.message = format!("{} (after {retries} retries)", failure.message);
            }
            return Err(failure.into());
        }
        retries += 1;
        let wait = err
            .retry_after
            .unwrap_or_else(|| policy.backoff(retries, retry::jitter_seed()));
        if wait > policy.max_wait {
            let mut failure = err.failure;
            failure.message = format!(
                "{}; the provider asked to wait {:.0}s, longer than the {:.0}s cellmage waits",
                failure.message,
                wait.as_secs_f64(),
                policy.max_wait.as_secs_f64()
            );
            return Err(failure.into());
        }
        log(
            endpoint,
            format!(
                "retry {retries}/{} in {:.2}s: {}",
                policy.retries,
                wait.as_secs_f64(),
                err.failure.message
            ),
        );
        std::thread::sleep(wait);
    }
}

fn attempt(
    agent: &ureq::Agent,
    exchange: &Exchange,
    endpoint: &Endpoint,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
    parse_whole: &ParseWhole<'_>,
) -> Result<(), AttemptError> {
    let mut request = agent.post(&exchange.url);
    log(endpoint, format!("> POST {}", exchange.url));
    for (name, value) in &exchange.headers {
        log(endpoint, format!("> {name}: {}", value.redacted()));
        request = request.header(name.as_str(), value.expose());
    }
    log(
        endpoint,
        format!("> ({} bytes of JSON)", exchange.body.len()),
    );
    let sent = Instant::now();
    let response = request
        .send(exchange.body.as_bytes())
        .map_err(|e| transport_error(e, &exchange.url, endpoint))?;
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let content_type = header("content-type").unwrap_or_default();
    log(
        endpoint,
        format!(
            "< {status} {} ({} ms)",
            content_type,
            sent.elapsed().as_millis()
        ),
    );
    if !(200..300).contains(&status) {
        let retry_after = retry::requested_wait(
            header("retry-after").as_deref(),
            header("retry-after-ms").as_deref(),
            SystemTime::now(),
        );
        let body = read_limited(response.into_body().into_reader(), 64 * 1024);
        return Err(AttemptError {
            failure: status_failure(status, &body),
            retryable: retry::retryable_status(status),
            retry_after,
        });
    }
    let reader = response.into_body().into_reader();
    if content_type.contains("text/event-stream") {
        read_stream(reader, endpoint, state, sink, on_event)
    } else {
        read_whole(reader, endpoint, state, sink, parse_whole)
    }
}

fn read_limited(reader: impl Read, limit: u64) -> String {
    let mut bytes = Vec::new();
    let _ = reader.take(limit).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The SSE body: events in, text out to the sink as it arrives.
fn read_stream(
    reader: impl Read,
    endpoint: &Endpoint,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
) -> Result<(), AttemptError> {
    let mut reader = BufReader::with_capacity(16 * 1024, reader);
    let mut parser = sse::Parser::default();
    let mut line = Vec::with_capacity(1024);
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| read_error(&e, endpoint))?;
        let event = if n == 0 {
            parser.flush()
        } else {
            let text = std::str::from_utf8(&line).map_err(|_| {
                AttemptError::fatal(failure_of(protocol_error("the stream is not UTF-8", "")))
            })?;
            parser.line(text.trim_end_matches('\n'))
        };
        if let Some(event) = event {
            on_event(state, &event, sink)?;
            if state.done {
                return Ok(());
            }
        }
        if n == 0 {
            break;
        }
    }
    if state.complete() {
        Ok(())
    } else {
        Err(AttemptError::retry(
            Failure::new(
                Kind::Network,
                "the stream ended before the answer was complete",
            )
            .hint("the connection was closed early; nothing was recorded"),
        ))
    }
}

/// A whole JSON body (no stream asked for, or a server that ignored `stream`).
fn read_whole(
    reader: impl Read,
    endpoint: &Endpoint,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    parse_whole: &ParseWhole<'_>,
) -> Result<(), AttemptError> {
    let mut bytes = Vec::new();
    reader
        .take(256 * 1024 * 1024)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(&e, endpoint))?;
    let text = String::from_utf8_lossy(&bytes);
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        AttemptError::fatal(failure_of(protocol_error(
            "the response is not JSON",
            &text,
        )))
    })?;
    if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
        return Err(AttemptError::fatal(failure_of(error_in_stream(err))));
    }
    let (answer, finish, usage, model) =
        parse_whole(&value).map_err(|e| AttemptError::fatal(failure_of(e)))?;
    state.finish_reason = finish;
    state.usage = usage;
    state.model = model;
    state.done = true;
    state.push(&answer, sink)?;
    Ok(())
}

fn failure_of(err: anyhow::Error) -> Failure {
    match err.downcast::<Failure>() {
        Ok(f) => f,
        Err(other) => Failure::new(Kind::Internal, format!("{other:#}")),
    }
}

/// The provider's own message from an error body, else its first bytes.
fn provider_message(body: &str) -> String {
    let parsed: Option<Value> = serde_json::from_str(body).ok();
    let message = parsed.as_ref().and_then(|v| {
        v.pointer("/error/message")
            .or_else(|| v.get("error").filter(|e| e.is_string()))
            .or_else(|| v.get("message"))
            .or_else(|| v.get("detail"))
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    message
        .unwrap_or_else(|| body.chars().take(200).collect())
        .replace(['\n', '\r'], " ")
        .trim()
        .to_string()
}

fn status_failure(status: u16, body: &str) -> Failure {
    let said = provider_message(body);
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    let (kind, what, hint) = match status {
        401 | 403 => (
            Kind::Auth,
            "authentication refused",
            Some("check CELLMAGE_API_KEY / OPENAI_API_KEY (or api_key_cmd)"),
        ),
        429 => (
            Kind::RateLimited,
            "rate limited",
            Some("wait, or raise --retries"),
        ),
        404 => (
            Kind::Rejected,
            "not found",
            Some("check the model name (cellmage models) and the base URL"),
        ),
        413 => (
            Kind::Rejected,
            "request too large",
            Some("send fewer or smaller snippets"),
        ),
        400 | 422 => (Kind::Rejected, "request rejected", None),
        500..=599 => (
            Kind::Server,
            "server error",
            Some("the provider failed; try again later"),
        ),
        _ => (Kind::Rejected, "request rejected", None),
    };
    let mut failure = Failure::new(kind, format!("{what} (HTTP {status}){said}"));
    failure.hint = hint.map(str::to_string);
    failure
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
        format!("the provider reported an error: {message}"),
    )
    .into()
}

fn timeout_failure(endpoint: &Endpoint) -> AttemptError {
    AttemptError::retry(
        Failure::new(
            Kind::Network,
            format!("no response for {:.0}s", endpoint.timeout.as_secs_f64()),
        )
        .hint("raise --timeout (or CELLMAGE_TIMEOUT) if the model is slow to answer"),
    )
}

fn read_error(e: &std::io::Error, endpoint: &Endpoint) -> AttemptError {
    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|inner| inner.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
    if timed_out {
        return timeout_failure(endpoint);
    }
    AttemptError::retry(Failure::new(
        Kind::Network,
        format!("the connection broke while reading the answer: {e}"),
    ))
}

fn transport_error(e: ureq::Error, url: &str, endpoint: &Endpoint) -> AttemptError {
    match e {
        ureq::Error::Timeout(_) => timeout_failure(endpoint),
        ureq::Error::BadUri(_) | ureq::Error::Http(_) | ureq::Error::InvalidProxyUrl => {
            AttemptError::fatal(
                usage(format!("invalid URL {url}: {e}"))
                    .hint("check --api-base / CELLMAGE_API_BASE"),
            )
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) => AttemptError::fatal(Failure::new(
            Kind::Network,
            format!("TLS failed for {url}: {e}"),
        )),
        ureq::Error::Io(io) => read_error(&io, endpoint),
        other => AttemptError::retry(
            Failure::new(Kind::Network, format!("cannot connect to {url}: {other}"))
                .hint("is the server running? check --api-base / CELLMAGE_API_BASE"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_map_to_exit_kinds() {
        let table = [
            (401, Kind::Auth),
            (403, Kind::Auth),
            (429, Kind::RateLimited),
            (400, Kind::Rejected),
            (404, Kind::Rejected),
            (413, Kind::Rejected),
            (422, Kind::Rejected),
            (500, Kind::Server),
            (503, Kind::Server),
        ];
        for (status, kind) in table {
            assert_eq!(status_failure(status, "").kind, kind, "{status}");
        }
    }

    #[test]
    fn provider_message_is_quoted() {
        let f = status_failure(
            404,
            r#"{"error":{"message":"The model `x` does not exist"}}"#,
        );
        assert_eq!(
            f.message,
            "not found (HTTP 404): The model `x` does not exist"
        );
        let f = status_failure(502, "<html>Bad gateway</html>");
        assert!(f.message.ends_with("<html>Bad gateway</html>"));
    }

    #[test]
    fn bearer_is_redacted_but_scheme_kept() {
        let v = HeaderValue::Secret(Secret::new("Bearer sk-abc"));
        assert_eq!(v.redacted(), "Bearer (redacted)");
        assert_eq!(
            HeaderValue::Secret(Secret::new("x")).redacted(),
            "(redacted)"
        );
    }
}
