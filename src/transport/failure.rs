//! Why a call failed, as the user hears it: HTTP statuses, transport and read errors and
//! timeouts mapped to exit kinds with the server's own message and the caller's hints, and
//! whether trying again could help.

use std::time::Duration;

use serde_json::Value;

use super::Connection;
use crate::error::{Failure, Kind, usage};
use crate::secret::Secret;

/// What the caller tells the user to do about each kind of failure: a provider names its
/// key variables and `--api-base`, a source its token and URL.
#[derive(Debug)]
pub struct Hints {
    /// 401 and 403.
    pub auth: &'static str,
    /// 404.
    pub not_found: &'static str,
    /// 413.
    pub too_large: &'static str,
    /// 5xx.
    pub server: &'static str,
    /// The server cannot be reached.
    pub connect: &'static str,
    /// The URL is not one.
    pub url: &'static str,
    /// What came back is not HTTP.
    pub protocol: &'static str,
    /// A wait without progress ran out.
    pub timeout: &'static str,
}

/// A failed attempt, and whether trying again could help.
pub struct AttemptError {
    pub error: anyhow::Error,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

impl AttemptError {
    pub fn fatal(error: impl Into<anyhow::Error>) -> Self {
        AttemptError {
            error: error.into(),
            retryable: false,
            retry_after: None,
        }
    }

    pub fn retry(failure: Failure) -> Self {
        AttemptError {
            error: failure.into(),
            retryable: true,
            retry_after: None,
        }
    }

    /// Rewrites the failure's message (the error stays the same error otherwise).
    pub fn reword(mut self, f: impl FnOnce(&str) -> String) -> Self {
        if let Some(failure) = self.error.downcast_mut::<Failure>() {
            failure.message = f(&failure.message);
        }
        self
    }

    /// Takes every secret of the exchange out of the message: providers echo keys back.
    pub fn scrubbed(self, secrets: &[Secret]) -> Self {
        self.reword(|m| secrets.iter().fold(m.to_string(), |m, s| s.scrub(&m)))
    }
}

/// Seconds for a message: `120`, `0.5`, `119.4`.
pub fn secs_text(d: Duration) -> String {
    let text = format!("{:.1}", d.as_secs_f64());
    text.strip_suffix(".0").unwrap_or(&text).to_string()
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

pub fn status_failure(status: u16, body: &str, hints: &Hints) -> Failure {
    let said = provider_message(body);
    let said = if said.is_empty() {
        String::new()
    } else {
        format!(": {said}")
    };
    let (kind, what, hint) = match status {
        401 | 403 => (Kind::Auth, "authentication refused", Some(hints.auth)),
        429 => (
            Kind::RateLimited,
            "rate limited",
            Some("wait, or raise --retries"),
        ),
        404 => (Kind::Rejected, "not found", Some(hints.not_found)),
        413 => (Kind::Rejected, "request too large", Some(hints.too_large)),
        500..=599 => (Kind::Server, "server error", Some(hints.server)),
        _ => (Kind::Rejected, "request rejected", None),
    };
    let mut failure = Failure::new(kind, format!("{what} (HTTP {status}){said}"));
    failure.hint = hint.map(str::to_string);
    failure
}

fn timeout_failure(which: ureq::Timeout, conn: &Connection) -> AttemptError {
    let secs = secs_text(conn.timeout);
    let hint = conn.hints.timeout;
    let message = match which {
        ureq::Timeout::Global | ureq::Timeout::PerCall => {
            return AttemptError::fatal(
                Failure::new(
                    Kind::Network,
                    format!(
                        "gave up after {}s in all (the total timeout)",
                        secs_text(conn.total_timeout)
                    ),
                )
                .hint("raise total_timeout (or CELLMAGE_TOTAL_TIMEOUT)"),
            );
        }
        ureq::Timeout::Resolve | ureq::Timeout::Connect => {
            format!("could not connect within {secs}s")
        }
        ureq::Timeout::RecvResponse => format!("no response within {secs}s"),
        ureq::Timeout::PerRead | ureq::Timeout::RecvBody => {
            format!("the answer stalled: no data for {secs}s")
        }
        _ => format!("the request could not be sent within {secs}s"),
    };
    AttemptError::retry(Failure::new(Kind::Network, message).hint(hint))
}

/// A failure while reading the response body.
pub(super) fn read_error(e: &std::io::Error, conn: &Connection) -> AttemptError {
    let timeout = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>())
        .and_then(|u| match u {
            ureq::Error::Timeout(t) => Some(*t),
            _ => None,
        })
        .or((e.kind() == std::io::ErrorKind::TimedOut).then_some(ureq::Timeout::PerRead));
    if let Some(which) = timeout {
        return timeout_failure(which, conn);
    }
    AttemptError::retry(
        Failure::new(
            Kind::Network,
            format!("the connection broke while reading the answer: {e}"),
        )
        .hint("nothing was recorded"),
    )
}

/// A failure before any response arrived.
pub(super) fn transport_error(e: ureq::Error, url: &str, conn: &Connection) -> AttemptError {
    let cannot_connect = |why: &str| {
        AttemptError::retry(
            Failure::new(Kind::Network, format!("cannot connect to {url}: {why}"))
                .hint(conn.hints.connect),
        )
    };
    match e {
        ureq::Error::Timeout(which) => timeout_failure(which, conn),
        ureq::Error::BadUri(_) | ureq::Error::InvalidProxyUrl => {
            AttemptError::fatal(usage(format!("invalid URL {url}: {e}")).hint(conn.hints.url))
        }
        ureq::Error::Http(_) => {
            AttemptError::fatal(usage(format!("cannot build the request to {url}: {e}")))
        }
        ureq::Error::Tls(_) | ureq::Error::Rustls(_) | ureq::Error::TlsRequired => {
            AttemptError::fatal(Failure::new(
                Kind::Network,
                format!("TLS failed for {url}: {e}"),
            ))
        }
        ureq::Error::Protocol(_) | ureq::Error::LargeResponseHeader(..) => {
            AttemptError::fatal(not_the_protocol(
                &format!("the server at {url} did not answer in HTTP"),
                &e.to_string(),
                conn.hints,
            ))
        }
        ureq::Error::HostNotFound => cannot_connect("host not found"),
        ureq::Error::ConnectionFailed => cannot_connect("connection failed"),
        ureq::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => cannot_connect("connection refused"),
            std::io::ErrorKind::TimedOut => timeout_failure(ureq::Timeout::Connect, conn),
            _ => AttemptError::retry(Failure::new(
                Kind::Network,
                format!("the connection to {url} broke before an answer arrived: {io}"),
            )),
        },
        other => cannot_connect(&other.to_string()),
    }
}

/// A response that is not what was asked for: exit 8 with the first bytes of what came.
pub fn not_the_protocol(what: &str, body: &str, hints: &Hints) -> Failure {
    let head: String = body.chars().take(200).collect();
    Failure::new(
        Kind::Server,
        format!("{what}: {}", head.replace(['\n', '\r'], " ")),
    )
    .hint(hints.protocol)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HINTS: Hints = Hints {
        auth: "a",
        not_found: "n",
        too_large: "l",
        server: "s",
        connect: "c",
        url: "u",
        protocol: "p",
        timeout: "t",
    };

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
            assert_eq!(status_failure(status, "", &HINTS).kind, kind, "{status}");
        }
    }

    #[test]
    fn provider_message_is_quoted() {
        let f = status_failure(
            404,
            r#"{"error":{"message":"The model `x` does not exist"}}"#,
            &HINTS,
        );
        assert_eq!(
            f.message,
            "not found (HTTP 404): The model `x` does not exist"
        );
        let f = status_failure(502, "<html>Bad gateway</html>", &HINTS);
        assert!(f.message.ends_with("<html>Bad gateway</html>"));
    }
}
