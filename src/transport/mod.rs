//! The transport: one HTTP request, retried per `retry::Policy`, for providers and for
//! context sources alike. The only room that uses ureq.
//!
//! Time limits: `timeout` bounds every wait without progress (connecting, the response
//! headers, each read of the body); `total_timeout` bounds the whole call, retries and their
//! waits included. Proxies are chosen per URL from the typed configuration settings hands
//! over ([`proxy`]). TLS is rustls with the platform's verifier (on Linux it honours
//! `SSL_CERT_FILE` and `SSL_CERT_DIR`). Secrets in headers print as `(redacted)` and are
//! scrubbed out of any message the server echoes back; every message built from a
//! server's text is made printable first.
//!
//! Redirects are not followed unless the request asks ([`Request::follow_redirects`]): an
//! API call that meets a 3xx fails (exit 8) naming the target. A request that follows
//! redirects keeps its secret headers only while the redirect stays on the same origin
//! (scheme, host and port); a redirect to another origin is followed without them.
//!
//! A caller gives a [`Request`] and a [`Connection`], and either reads a successful
//! response itself ([`send`], as providers read SSE or one JSON document) or takes it whole
//! and bounded ([`fetch`], as a source reads a page or an API answer). A status outside 2xx
//! becomes a `Failure` with the exit kind of [`failure::status_failure`].

pub mod failure;
pub mod proxy;
mod redirect;
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
#[derive(Clone)]
pub struct Request {
    pub url: String,
    pub headers: Vec<(String, HeaderValue)>,
    pub body: Option<String>,
    /// How many redirects to follow (at most [`MAX_REDIRECTS`]); 0, the default, makes a
    /// 3xx a failure naming its target. Secret headers go only to the first origin.
    pub follow_redirects: u8,
}

/// The most redirects any request follows.
pub const MAX_REDIRECTS: u8 = 5;

impl Request {
    pub fn get(url: impl Into<String>, headers: Vec<(String, HeaderValue)>) -> Request {
        Request {
            url: url.into(),
            headers,
            body: None,
            follow_redirects: 0,
        }
    }

    /// The same request, following up to `n` redirects (capped at [`MAX_REDIRECTS`]).
    pub fn following_redirects(mut self, n: u8) -> Request {
        self.follow_redirects = n.min(MAX_REDIRECTS);
        self
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
            follow_redirects: 0,
        }
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
    /// Which proxy carries which URL.
    pub proxies: proxy::Proxies,
    /// The shared rate budget each attempt waits for; `None`: no budget.
    pub gate: Option<crate::budget::Gate>,
}

impl Connection {
    fn log(&self, line: impl AsRef<str>) {
        if self.verbose > 0 {
            eprintln!("cellmage: {}", line.as_ref());
        }
    }

    /// The agent: redirects are never followed by ureq (see `redirect`).
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
            .max_redirects(0)
            .proxy(None)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .root_certs(ureq::tls::RootCerts::PlatformVerifier)
                    .build(),
            )
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

/// How a context source reads: statuses a retry cannot help (401, 403, 404…) come back as
/// [`Fetched`] for the source to explain (it knows which variable to set and what is
/// missing), and up to `redirects` redirects are followed (web pages only; secret headers
/// stay on the first origin, see `redirect`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Reading {
    pub redirects: u32,
    /// `PUT` or `PATCH` for a request with a body (`POST` otherwise).
    pub method: Option<&'static str>,
}

/// Like [`fetch`], with statuses other than 429 and 5xx returned instead of failed.
pub fn fetch_any(
    request: &Request,
    conn: &Connection,
    limit: u64,
    reading: Reading,
) -> Result<Fetched> {
    let sent = send_with(request, conn, Some(reading), &mut |mut response| {
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
    send_with(request, conn, None, read)
}

fn send_with<T>(
    request: &Request,
    conn: &Connection,
    reading: Option<Reading>,
    read: &mut dyn FnMut(Response<'_>) -> Result<T, AttemptError>,
) -> Result<Sent<T>> {
    let agent = conn.agent();
    let followed;
    let request = match reading.filter(|r| r.redirects > 0) {
        Some(r) => {
            followed = request
                .clone()
                .following_redirects(r.redirects.min(u32::from(MAX_REDIRECTS)) as u8);
            &followed
        }
        None => request,
    };
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
            any_status: reading.is_some(),
            method: reading.and_then(|r| r.method),
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
    /// Hand statuses that a retry cannot help to `read` (see [`Reading`]).
    any_status: bool,
    method: Option<&'static str>,
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
        let mut hop = Hop {
            url: request.url.clone(),
            body: request.body.as_deref(),
            secrets: true,
        };
        let mut redirects = 0;
        loop {
            let sent = Instant::now();
            let response = self.exchange(&hop)?;
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
            if redirect::is_redirect(status) {
                let target = redirect::target(&hop.url, status, header("location"), conn.hints)?;
                if redirects >= request.follow_redirects {
                    return Err(redirect::refused(
                        request, &hop.url, status, &target, conn.hints,
                    ));
                }
                redirects += 1;
                hop = hop.redirected(status, target, &request.url);
                continue;
            }
            let passed = self.any_status && !retry::retryable_status(status);
            if !(200..300).contains(&status) && !passed {
                let body = read_limited(response.into_body().into_reader(), 64 * 1024);
                return Err(AttemptError {
                    error: status_failure(status, &body, conn.hints).into(),
                    retryable: retry::retryable_status(status),
                    retry_after,
                });
            }
            return read(Response {
                status,
                content_type,
                headers,
                body: Box::new(response.into_body().into_reader()),
                conn,
                secrets: self.secrets,
            });
        }
    }

    /// Sends one hop and waits for its response head.
    fn exchange(&self, hop: &Hop) -> Result<ureq::http::Response<ureq::Body>, AttemptError> {
        let conn = self.conn;
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let global = Some(remaining.max(Duration::from_millis(1)));
        let proxy = conn.proxies.for_url(&hop.url);
        let headers: Vec<&(String, HeaderValue)> = self
            .request
            .headers
            .iter()
            .filter(|(name, value)| hop.secrets || !redirect::is_secret(name, value))
            .collect();
        let method = match hop.body {
            Some(_) => self.method.unwrap_or("POST"),
            None => "GET",
        };
        conn.log(format!("> {method} {}", hop.url));
        if let Some(proxy) = proxy {
            conn.log(format!(
                "> (through the proxy {proxy}, from {})",
                proxy.from
            ));
        }
        for (name, value) in &headers {
            conn.log(format!("> {name}: {}", value.redacted()));
        }
        let proxy = proxy.map(proxy::Proxy::ureq);
        match hop.body {
            Some(body) => {
                let builder = match method {
                    "PUT" => self.agent.put(&hop.url),
                    "PATCH" => self.agent.patch(&hop.url),
                    _ => self.agent.post(&hop.url),
                };
                let mut builder = builder.config().timeout_global(global).proxy(proxy).build();
                for (name, value) in headers {
                    builder = builder.header(name.as_str(), value.expose());
                }
                conn.log(format!("> ({} bytes of JSON)", body.len()));
                builder.send(body.as_bytes())
            }
            None => {
                let mut builder = self
                    .agent
                    .get(&hop.url)
                    .config()
                    .timeout_global(global)
                    .proxy(proxy)
                    .build();
                for (name, value) in headers {
                    builder = builder.header(name.as_str(), value.expose());
                }
                builder.call()
            }
        }
        .map_err(|e| transport_error(e, &hop.url, conn))
    }
}

/// Where one hop of a request goes, and with what.
struct Hop<'a> {
    url: String,
    body: Option<&'a str>,
    /// Whether secret headers go along: only to the request's own origin.
    secrets: bool,
}

impl<'a> Hop<'a> {
    /// The next hop after a redirect: 303 (and 301/302 after a POST, as browsers do)
    /// becomes a GET; secrets stay only on the first origin.
    fn redirected(self, status: u16, target: String, first: &str) -> Hop<'a> {
        let body = match status {
            301..=303 => None,
            _ => self.body,
        };
        Hop {
            secrets: self.secrets && redirect::same_origin(first, &target),
            url: target,
            body,
        }
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
