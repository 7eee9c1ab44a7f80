//! The transport: one POST, retried per `retry::Policy`, with its response read as an SSE
//! stream or as one JSON document. The only file that uses ureq.
//!
//! Time limits: `timeout` bounds every wait without progress (connecting, the response
//! headers, each read of the body); `total_timeout` bounds the whole call, retries and their
//! waits included.

use std::io::{BufRead, BufReader, Read};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use serde_json::Value;

use super::failure::{
    AttemptError, error_in_stream, read_error, secs_text, status_failure, transport_error,
};
use super::sse;
use super::{Endpoint, Sink, StreamState, Usage, protocol_error, retry};
use crate::error::{Failure, Kind, usage};
use crate::secret::Secret;

/// The longest SSE line accepted; a longer one is not the protocol.
const MAX_LINE_BYTES: u64 = 16 * 1024 * 1024;
/// The largest whole (non-streamed) response body read.
const MAX_BODY_BYTES: u64 = 256 * 1024 * 1024;

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
                Some(("Bearer", _)) => "Bearer (redacted)".into(),
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

impl Exchange {
    /// Every secret this exchange carries, and the token part of `Scheme token` values.
    fn secrets(&self) -> Vec<Secret> {
        let mut out = Vec::new();
        for (_, value) in &self.headers {
            if let HeaderValue::Secret(s) = value {
                if let Some((_, token)) = s.expose().split_once(' ') {
                    out.push(Secret::new(token.trim()));
                }
                out.push(s.clone());
            }
        }
        out
    }

    /// Refuses header values that HTTP cannot carry, naming the header but not the value.
    fn check_headers(&self) -> Result<(), AttemptError> {
        for (name, value) in &self.headers {
            if value.expose().chars().any(|c| c.is_control() && c != '\t') {
                let what = match value {
                    HeaderValue::Secret(_) if name.eq_ignore_ascii_case("authorization") => {
                        "the API key".to_string()
                    }
                    _ => format!("the value of header {name}"),
                };
                return Err(AttemptError::fatal(
                    usage(format!("{what} contains a line break or control character"))
                        .hint("check the key or header for a stray newline"),
                ));
            }
        }
        Ok(())
    }
}

/// The parts of a whole (non-streaming) response: text, finish reason, usage, model.
pub type Whole = (String, Option<String>, Option<Usage>, Option<String>);

/// What a successful call returns.
pub struct Outcome {
    pub state: StreamState,
    pub duration: Duration,
    pub retries: u32,
}

impl Outcome {
    /// The answer; `requested_model` names it when the provider did not.
    pub fn into_answer(self, requested_model: &str) -> super::Answer {
        let finish = self.state.finish_reason;
        super::Answer {
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
        .timeout_send_body(t)
        .user_agent(concat!("cellmage/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

fn log(endpoint: &Endpoint, line: impl AsRef<str>) {
    if endpoint.verbose > 0 {
        eprintln!("cellmage: {}", line.as_ref());
    }
}

/// The one-line warning owed before a key goes out unencrypted to another machine.
pub fn plain_http_warning(endpoint: &Endpoint) -> Option<String> {
    if endpoint.provider.capabilities().offline || endpoint.key.is_none() {
        return None;
    }
    let uri: ureq::http::Uri = endpoint.base_url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (uri.scheme_str() == Some("http") && !loopback).then(|| {
        format!(
            "cellmage: warning: the API key is sent unencrypted (http://) to {host}; use https:// for any host but this machine"
        )
    })
}

/// Sends the exchange, retrying what may be retried while nothing has been shown.
pub fn call(
    exchange: &Exchange,
    endpoint: &Endpoint,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
    parse_whole: &ParseWhole<'_>,
) -> Result<Outcome> {
    if let Some(warning) = plain_http_warning(endpoint) {
        eprintln!("{warning}");
    }
    let agent = agent(endpoint);
    let policy = endpoint.retry;
    let secrets = exchange.secrets();
    let started = Instant::now();
    let deadline = started + endpoint.total_timeout;
    let mut retries = 0;
    loop {
        let mut state = StreamState::default();
        let parts = Parts {
            agent: &agent,
            exchange,
            endpoint,
            deadline,
            secrets: &secrets,
        };
        let err = match parts.attempt(&mut state, sink, on_event, parse_whole) {
            Ok(()) => {
                return Ok(Outcome {
                    state,
                    duration: started.elapsed(),
                    retries,
                });
            }
            Err(err) => err.scrubbed(&secrets),
        };
        let shown = state.emitted && sink.shown();
        let wait = match next_wait(&err, shown, retries, &policy, deadline) {
            Ok(wait) => wait,
            Err(why) => return Err(err.reword(|m| format!("{m}{why}")).error),
        };
        retries += 1;
        log(
            endpoint,
            format!(
                "retry {retries}/{} in {:.3}s: {}",
                policy.retries,
                wait.as_secs_f64(),
                err.error
            ),
        );
        std::thread::sleep(wait);
    }
}

/// How long to wait before the next try; or, to give up, what to add to the message.
fn next_wait(
    err: &AttemptError,
    shown: bool,
    retries: u32,
    policy: &retry::Policy,
    deadline: Instant,
) -> Result<Duration, String> {
    if !err.retryable || shown {
        return Err(String::new());
    }
    if retries >= policy.retries {
        return Err(match retries {
            0 => String::new(),
            1 => " (after 1 retry)".to_string(),
            n => format!(" (after {n} retries)"),
        });
    }
    let wait = err
        .retry_after
        .unwrap_or_else(|| policy.backoff(retries + 1, retry::jitter_seed()));
    if wait > policy.max_wait {
        return Err(format!(
            "; the provider asked to wait {}s, longer than the {}s cellmage waits",
            secs_text(wait),
            secs_text(policy.max_wait)
        ));
    }
    if Instant::now() + wait >= deadline {
        return Err("; no time is left for another try within the total timeout".into());
    }
    Ok(wait)
}

/// What one attempt needs besides the per-attempt state.
struct Parts<'a> {
    agent: &'a ureq::Agent,
    exchange: &'a Exchange,
    endpoint: &'a Endpoint,
    deadline: Instant,
    secrets: &'a [Secret],
}

impl Parts<'_> {
    fn attempt(
        &self,
        state: &mut StreamState,
        sink: &mut dyn Sink,
        on_event: &mut OnEvent<'_>,
        parse_whole: &ParseWhole<'_>,
    ) -> Result<(), AttemptError> {
        let (exchange, endpoint) = (self.exchange, self.endpoint);
        exchange.check_headers()?;
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let mut request = self
            .agent
            .post(&exchange.url)
            .config()
            .timeout_global(Some(remaining.max(Duration::from_millis(1))))
            .build();
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
                "< {status} {content_type} ({} ms)",
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
                error: status_failure(status, &body).into(),
                retryable: retry::retryable_status(status),
                retry_after,
            });
        }
        let reader = response.into_body().into_reader();
        if content_type.contains("text/event-stream") {
            read_stream(reader, self, state, sink, on_event)
        } else {
            read_whole(reader, endpoint, state, sink, parse_whole)
        }
    }
}

fn read_limited(reader: impl Read, limit: u64) -> String {
    let mut bytes = Vec::new();
    let _ = reader.take(limit).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The SSE body: events in, text out to the sink as it arrives. Only the protocol's end
/// (a finish reason or its end marker) completes it; the connection closing does not.
fn read_stream(
    reader: impl Read,
    parts: &Parts<'_>,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    on_event: &mut OnEvent<'_>,
) -> Result<(), AttemptError> {
    let endpoint = parts.endpoint;
    let mut reader = BufReader::with_capacity(16 * 1024, reader);
    let mut parser = sse::Parser::default();
    let mut line = Vec::with_capacity(1024);
    while !state.done {
        line.clear();
        let n = (&mut reader)
            .take(MAX_LINE_BYTES)
            .read_until(b'\n', &mut line)
            .map_err(|e| read_error(&e, endpoint))?;
        if n as u64 == MAX_LINE_BYTES && line.last() != Some(&b'\n') {
            let head = String::from_utf8_lossy(&line[..200]).into_owned();
            return Err(AttemptError::fatal(protocol_error(
                "the stream sent a line longer than 16 MiB",
                &head,
            )));
        }
        let event = if n == 0 {
            parser.flush()
        } else {
            let text = std::str::from_utf8(&line).map_err(|_| {
                let head = String::from_utf8_lossy(&line).into_owned();
                AttemptError::fatal(protocol_error("the stream is not UTF-8", &head))
            })?;
            parser.line(text.trim_end_matches('\n'))
        };
        if let Some(event) = event {
            if endpoint.verbose > 1 {
                let data: String = event.data.chars().take(300).collect();
                let data = parts.secrets.iter().fold(data, |d, s| s.scrub(&d));
                log(endpoint, format!("< data: {data}"));
            }
            on_event(state, &event, sink)?;
        }
        if n == 0 {
            break;
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
    reader: impl Read,
    endpoint: &Endpoint,
    state: &mut StreamState,
    sink: &mut dyn Sink,
    parse_whole: &ParseWhole<'_>,
) -> Result<(), AttemptError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_BODY_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| read_error(&e, endpoint))?;
    let text = String::from_utf8_lossy(&bytes);
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        let what = if text.trim().is_empty() {
            "the response is empty"
        } else {
            "the response is not JSON"
        };
        AttemptError::fatal(protocol_error(what, &text))
    })?;
    if let Some(err) = value.get("error").filter(|e| !e.is_null()) {
        return Err(AttemptError::fatal(error_in_stream(err)));
    }
    let (answer, finish, usage, model) = parse_whole(&value).map_err(AttemptError::fatal)?;
    state.finish_reason = finish;
    state.usage = usage;
    state.model = model;
    state.done = true;
    state.push(&answer, sink)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_is_redacted_but_scheme_kept() {
        let v = HeaderValue::Secret(Secret::new("Bearer sk-abc"));
        assert_eq!(v.redacted(), "Bearer (redacted)");
        assert_eq!(
            HeaderValue::Secret(Secret::new("x")).redacted(),
            "(redacted)"
        );
    }

    fn endpoint(base: &str, key: bool) -> Endpoint {
        Endpoint {
            provider: &crate::provider::openai::OPENAI,
            base_url: base.into(),
            key: key.then(|| crate::settings::KeySource::Value(Secret::new("sk-1"))),
            headers: vec![],
            timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(9),
            retry: retry::Policy {
                retries: 1,
                base: Duration::from_millis(1),
                max_wait: Duration::from_secs(1),
            },
            verbose: 0,
        }
    }

    #[test]
    fn plain_http_warns_only_for_other_hosts_with_a_key() {
        let table = [
            ("http://example.com/v1", true, true),
            ("http://10.0.0.7:8000/v1", true, true),
            ("HTTP://Example.com/v1", true, true),
            ("http://example.com/v1", false, false),
            ("https://example.com/v1", true, false),
            ("http://localhost:11434/v1", true, false),
            ("http://LOCALHOST/v1", true, false),
            ("http://app.localhost/v1", true, false),
            ("http://127.0.0.1:8080/v1", true, false),
            ("http://127.3.4.5/v1", true, false),
            ("http://[::1]:8080/v1", true, false),
            ("not a url", true, false),
        ];
        for (base, key, warns) in table {
            let got = plain_http_warning(&endpoint(base, key));
            assert_eq!(got.is_some(), warns, "{base} {key}");
        }
        let w = plain_http_warning(&endpoint("http://example.com:80/v1", true)).unwrap();
        assert!(w.contains("example.com") && !w.contains("sk-1"), "{w}");
    }

    #[test]
    fn secrets_and_their_tokens_are_scrubbed_from_messages() {
        let exchange = Exchange {
            url: "u".into(),
            headers: vec![(
                "Authorization".into(),
                HeaderValue::Secret(Secret::new("Bearer sk-abcdef123")),
            )],
            body: String::new(),
        };
        let err = AttemptError::retry(Failure::new(
            Kind::Auth,
            "Incorrect API key provided: sk-abcdef123.",
        ))
        .scrubbed(&exchange.secrets());
        assert_eq!(
            err.error.to_string(),
            "Incorrect API key provided: (redacted)."
        );
    }

    #[test]
    fn control_characters_in_headers_are_refused_without_showing_them() {
        let exchange = Exchange {
            url: "u".into(),
            headers: vec![(
                "Authorization".into(),
                HeaderValue::Secret(Secret::new("Bearer sk-a\nb")),
            )],
            body: String::new(),
        };
        let err = exchange.check_headers().err().unwrap().error;
        assert_eq!(
            err.to_string(),
            "the API key contains a line break or control character"
        );
    }

    #[test]
    fn give_up_reasons() {
        let policy = retry::Policy {
            retries: 2,
            base: Duration::from_millis(1),
            max_wait: Duration::from_secs(60),
        };
        let far = Instant::now() + Duration::from_secs(600);
        let retryable = |after: Option<u64>| AttemptError {
            error: anyhow::anyhow!("x"),
            retryable: true,
            retry_after: after.map(Duration::from_secs),
        };
        let (fresh, emitted) = (false, true);
        assert!(next_wait(&retryable(None), fresh, 0, &policy, far).is_ok());
        assert_eq!(
            next_wait(&retryable(Some(5)), fresh, 0, &policy, far),
            Ok(Duration::from_secs(5))
        );
        assert_eq!(
            next_wait(&retryable(None), emitted, 0, &policy, far),
            Err(String::new())
        );
        assert_eq!(
            next_wait(&retryable(None), fresh, 2, &policy, far),
            Err(" (after 2 retries)".into())
        );
        assert_eq!(
            next_wait(&retryable(Some(61)), fresh, 0, &policy, far),
            Err("; the provider asked to wait 61s, longer than the 60s cellmage waits".into())
        );
        let soon = Instant::now() + Duration::from_secs(2);
        assert!(
            next_wait(&retryable(Some(3)), fresh, 0, &policy, soon)
                .unwrap_err()
                .contains("total timeout")
        );
    }
}
