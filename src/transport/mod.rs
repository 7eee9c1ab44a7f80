//! The transport: one HTTP request, retried per `retry::Policy`, for providers and for
//! context sources alike. The only room that uses ureq.
//!
//! Time limits: `timeout` bounds every wait without progress (connecting, the response
//! headers, each read of the body); `total_timeout` bounds the whole call, retries and their
//! waits included. Proxies come from the environment (ureq reads `HTTPS_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`); TLS is rustls with the platform's verifier. Secrets in headers print as
//! `(redacted)` and are scrubbed out of any message the server echoes back.
//!
//! A caller gives a [`Request`] and a [`Connection`], and either reads a successful
//! response itself ([`send`], as providers read SSE or one JSON document) or takes it whole
//! and bounded ([`fetch`], as a source reads a page or an API answer). A status outside 2xx
//! becomes a `Failure` with the exit kind of [`failure::status_failure`].

pub mod failure;
pub mod retry;
pub mod sse;

use std::io::Read;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;

pub use failure::{AttemptError, Hints};
use failure::{secs_text, status_failure, transport_error};

use crate::error::usage;
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
                Some(("Bearer", _)) => "Bearer (redacted)".into(),
                _ => "(redacted)".into(),
            },
        }
    }
}

/// One request to send: `GET` when it has no body, `POST` of a JSON body otherwise.
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Option<String>,
}

impl Request {
    pub fn get(url: impl Into<String>, headers: Vec<(String, HeaderValue)>) -> Request {
        Request {
            url: url.into(),
            headers,
            body: None,
        }
    }

    pub fn post(
        url: impl Into<String>,
        headers: Vec<(String, HeaderValue)>,
        body: String,
    ) -> Request {
        Request {
            url: url.into(),
            headers,
            body: Some(body),
        }
    }

    fn method(&self) -> &'static str {
        if self.body.is_some() { "POST" } else { "GET" }
    }

    /// Every secret this request carries, and the token part of `Scheme token` values.
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

/// How requests are sent: limits, retries, logging, and the hints failures carry.
#[derive(Clone, Debug)]
pub struct Connection {
    pub timeout: Duration,
    pub total_timeout: Duration,
    pub retry: retry::Policy,
    pub verbose: u8,
    pub hints: &'static Hints,
    /// The shared rate budget each attempt waits for; `None`: no budget.
    pub gate: Option<crate::budget::Gate>,
}

impl Connection {
    fn log(&self, line: impl AsRef<str>) {
        if self.verbose > 0 {
            eprintln!("cellmage: {}", line.as_ref());
        }
    }

    fn agent(&self) -> ureq::Agent {
        let t = Some(self.timeout);
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
}

/// A successful (2xx) response, for the caller to read.
pub struct Response<'a> {
    pub status: u16,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub body: Box<dyn Read + 'a>,
    conn: &'a Connection,
    secrets: &'a [Secret],
}

impl Response<'_> {
    /// A verbose log line, with the request's secrets scrubbed out.
    pub fn log(&self, line: &str) {
        let line = self
            .secrets
            .iter()
            .fold(line.to_string(), |l, s| s.scrub(&l));
        self.conn.log(format!("< {line}"));
    }

    pub fn verbose(&self) -> u8 {
        self.conn.verbose
    }

    /// A failure while reading the body: a stall is the timeout, anything else a break.
    pub fn read_error(&self, e: &std::io::Error) -> AttemptError {
        failure::read_error(e, self.conn)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What [`send`] returns: the caller's value, and how the call went.
pub struct Sent<T> {
    pub value: T,
    pub duration: Duration,
    pub retries: u32,
}

/// A whole response read by [`fetch`].
#[derive(Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// The one-line warning owed before a secret (`what`: "the API key", "the token") goes out
/// unencrypted to another machine.
pub fn plain_http_warning(url: &str, what: &str) -> Option<String> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.to_ascii_lowercase().ends_with(".localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (uri.scheme_str() == Some("http") && !loopback).then(|| {
        format!(
            "cellmage: warning: {what} is sent unencrypted (http://) to {host}; use https:// for any host but this machine"
        )
    })
}

/// Sends the request and takes a 2xx body whole, at most `limit` bytes (a longer body is
/// cut there); retried like any call.
pub fn fetch(request: &Request, conn: &Connection, limit: u64) -> Result<Fetched> {
    let sent = send(request, conn, &mut |mut response| {
        let mut body = Vec::new();
        (&mut response.body)
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| response.read_error(&e))?;
        Ok(Fetched {
            status: response.status,
            headers: std::mem::take(&mut response.headers),
            body,
        })
    })?;
    Ok(sent.value)
}

/// Sends the request, retrying what may be retried; `read` takes each 2xx response (its
/// error says whether another try could help).
pub fn send<T>(
    request: &Request,
    conn: &Connection,
    read: &mut dyn FnMut(Response<'_>) -> Result<T, AttemptError>,
) -> Result<Sent<T>> {
    let agent = conn.agent();
    let policy = conn.retry;
    let secrets = request.secrets();
    let started = Instant::now();
    let deadline = started + conn.total_timeout;
    let mut retries = 0;
    loop {
        let attempt = Attempt {
            agent: &agent,
            request,
            conn,
            deadline,
            secrets: &secrets,
            pass: None,
        };
        let err = match attempt.run(read) {
            Ok(value) => {
                return Ok(Sent {
                    value,
                    duration: started.elapsed(),
                    retries,
                });
            }
            Err(err) => err.scrubbed(&secrets),
        };
        let wait = match next_wait(&err, retries, &policy, deadline) {
            Ok(wait) => wait,
            Err(why) => return Err(err.reword(|m| format!("{m}{why}")).error),
        };
        retries += 1;
        conn.log(format!(
            "retry {retries}/{} in {:.3}s: {}",
            policy.retries,
            wait.as_secs_f64(),
            err.error
        ));
        std::thread::sleep(wait);
    }
}

/// How long to wait before the next try; or, to give up, what to add to the message.
fn next_wait(
    err: &AttemptError,
    retries: u32,
    policy: &retry::Policy,
    deadline: Instant,
) -> Result<Duration, String> {
    if !err.retryable {
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

/// One try.
struct Attempt<'a> {
    agent: &'a ureq::Agent,
    request: &'a Request,
    conn: &'a Connection,
    deadline: Instant,
    secrets: &'a [Secret],
    /// The rate budget's grant, settled once the response's headers are in.
    pass: Option<crate::budget::Pass<'a>>,
}

impl Attempt<'_> {
    fn run<T>(
        mut self,
        read: &mut dyn FnMut(Response<'_>) -> Result<T, AttemptError>,
    ) -> Result<T, AttemptError> {
        let (request, conn) = (self.request, self.conn);
        request.check_headers()?;
        if let Some(gate) = &conn.gate {
            let until = SystemTime::now() + self.deadline.saturating_duration_since(Instant::now());
            self.pass = gate
                .enter(until, &|line| conn.log(line))
                .map_err(AttemptError::fatal)?;
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let global = Some(remaining.max(Duration::from_millis(1)));
        conn.log(format!("> {} {}", request.method(), request.url));
        for (name, value) in &request.headers {
            conn.log(format!("> {name}: {}", value.redacted()));
        }
        let sent = Instant::now();
        let response = match &request.body {
            Some(body) => {
                let mut builder = self
                    .agent
                    .post(&request.url)
                    .config()
                    .timeout_global(global)
                    .build();
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.expose());
                }
                conn.log(format!("> ({} bytes of JSON)", body.len()));
                builder.send(body.as_bytes())
            }
            None => {
                let mut builder = self
                    .agent
                    .get(&request.url)
                    .config()
                    .timeout_global(global)
                    .build();
                for (name, value) in &request.headers {
                    builder = builder.header(name.as_str(), value.expose());
                }
                builder.call()
            }
        }
        .map_err(|e| transport_error(e, &request.url, conn))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let header = |name: &str| {
            headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        };
        let content_type = header("content-type").unwrap_or_default().to_string();
        conn.log(format!(
            "< {status} {content_type} ({} ms)",
            sent.elapsed().as_millis()
        ));
        let retry_after = retry::requested_wait(
            header("retry-after"),
            header("retry-after-ms"),
            SystemTime::now(),
        );
        if let Some(pass) = self.pass.take() {
            pass.settle(status, &headers, retry_after);
        }
        if !(200..300).contains(&status) {
            let body = read_limited(response.into_body().into_reader(), 64 * 1024);
            return Err(AttemptError {
                error: status_failure(status, &body, conn.hints).into(),
                retryable: retry::retryable_status(status),
                retry_after,
            });
        }
        read(Response {
            status,
            content_type,
            headers,
            body: Box::new(response.into_body().into_reader()),
            conn,
            secrets: self.secrets,
        })
    }
}

fn read_limited(reader: impl Read, limit: u64) -> String {
    let mut bytes = Vec::new();
    let _ = reader.take(limit).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Failure, Kind};

    #[test]
    fn bearer_is_redacted_but_scheme_kept() {
        let v = HeaderValue::Secret(Secret::new("Bearer sk-abc"));
        assert_eq!(v.redacted(), "Bearer (redacted)");
        assert_eq!(
            HeaderValue::Secret(Secret::new("x")).redacted(),
            "(redacted)"
        );
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
            let got = key
                .then(|| plain_http_warning(base, "the API key"))
                .flatten();
            assert_eq!(got.is_some(), warns, "{base} {key}");
        }
        let w = plain_http_warning("http://example.com:80/v1", "the API key").unwrap();
        assert!(w.contains("example.com"), "{w}");
    }

    #[test]
    fn secrets_and_their_tokens_are_scrubbed_from_messages() {
        let exchange = Request::post(
            "u",
            vec![(
                "Authorization".into(),
                HeaderValue::Secret(Secret::new("Bearer sk-abcdef123")),
            )],
            String::new(),
        );
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
        let exchange = Request::get(
            "u",
            vec![(
                "Authorization".into(),
                HeaderValue::Secret(Secret::new("Bearer sk-a\nb")),
            )],
        );
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
        assert!(next_wait(&retryable(None), 0, &policy, far).is_ok());
        assert_eq!(
            next_wait(&retryable(Some(5)), 0, &policy, far),
            Ok(Duration::from_secs(5))
        );
        let fatal = AttemptError::fatal(anyhow::anyhow!("x"));
        assert_eq!(next_wait(&fatal, 0, &policy, far), Err(String::new()));
        assert_eq!(
            next_wait(&retryable(None), 2, &policy, far),
            Err(" (after 2 retries)".into())
        );
        assert_eq!(
            next_wait(&retryable(Some(61)), 0, &policy, far),
            Err("; the provider asked to wait 61s, longer than the 60s cellmage waits".into())
        );
        let soon = Instant::now() + Duration::from_secs(2);
        assert!(
            next_wait(&retryable(Some(3)), 0, &policy, soon)
                .unwrap_err()
                .contains("total timeout")
        );
    }
}
