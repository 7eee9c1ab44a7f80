//! The transport as a context source will use it: `GET url with headers → status, headers,
//! body (bounded)`, with the providers' retries, timeouts, redaction and exit kinds.

use std::time::Duration;

use cellmage::error::{Kind, classify};
use cellmage::secret::Secret;
use cellmage::transport::{self, Connection, HeaderValue, Hints, Request, retry};

use crate::common::{FakeServer, Reply};

static HINTS: Hints = Hints {
    auth: "check GITHUB_TOKEN",
    not_found: "check the issue number",
    too_large: "too large",
    server: "try again later",
    connect: "check the network",
    url: "check the URL",
    protocol: "is this the API?",
    timeout: "raise --timeout",
};

fn connection(retries: u32) -> Connection {
    Connection {
        timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(20),
        retry: retry::Policy {
            retries,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(5),
        },
        verbose: 0,
        hints: &HINTS,
        proxies: Default::default(),
        gate: None,
    }
}

fn get(server: &FakeServer, token: &str) -> Request {
    Request::get(
        format!("{}/repos/o/r/issues/1", server.root_url()),
        vec![
            (
                "Authorization".into(),
                HeaderValue::Secret(Secret::new(format!("Bearer {token}"))),
            ),
            (
                "Accept".into(),
                HeaderValue::Plain("application/vnd.github+json".into()),
            ),
        ],
    )
}

#[test]
fn a_get_returns_status_headers_and_a_bounded_body() {
    let server = FakeServer::start(vec![
        Reply::status(200, "0123456789").with_header("ETag", "\"abc\""),
    ]);
    let got = transport::fetch(&get(&server, "ghp_1"), &connection(0), 4).unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"0123");
    assert!(
        got.headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("etag") && v == "\"abc\"")
    );
    let req = &server.requests()[0];
    assert_eq!(req.method, "GET");
    assert_eq!(req.path, "/repos/o/r/issues/1");
    assert_eq!(req.header("authorization"), Some("Bearer ghp_1"));
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    assert!(req.body.is_empty());
}

#[test]
fn a_rate_limit_is_retried_after_the_wait_the_server_asks() {
    let server = FakeServer::start(vec![
        Reply::status(429, "{\"message\":\"slow down\"}").with_header("Retry-After", "0"),
        Reply::status(200, "ok"),
    ]);
    let got = transport::fetch(&get(&server, "t"), &connection(2), 1024).unwrap();
    assert_eq!(got.body, b"ok");
    assert_eq!(server.hits(), 2);
}

#[test]
fn statuses_keep_their_exit_kinds_and_echoed_tokens_are_scrubbed() {
    let table = [
        (401, Kind::Auth, 5),
        (403, Kind::Auth, 5),
        (429, Kind::RateLimited, 6),
        (500, Kind::Server, 8),
        (404, Kind::Rejected, 9),
    ];
    for (status, kind, code) in table {
        let body = "{\"message\":\"Bad credentials: ghp_secret123\"}";
        let server = FakeServer::start(vec![Reply::status(status, body)]);
        let err =
            transport::fetch(&get(&server, "ghp_secret123"), &connection(0), 1024).unwrap_err();
        let (got, hint) = classify(&err);
        assert_eq!((got, got.exit_code()), (kind, code), "{status}");
        let text = err.to_string();
        assert!(!text.contains("ghp_secret123"), "{text}");
        assert!(text.contains(&format!("(HTTP {status})")), "{text}");
        if status == 401 {
            assert_eq!(hint, Some("check GITHUB_TOKEN"));
            assert!(text.ends_with("Bad credentials: (redacted)"), "{text}");
        }
    }
}

#[test]
fn no_server_is_a_network_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let req = Request::get(format!("http://127.0.0.1:{port}/x"), vec![]);
    let err = transport::fetch(&req, &connection(0), 16).unwrap_err();
    let (kind, hint) = classify(&err);
    assert_eq!(kind.exit_code(), 7, "{err}");
    assert_eq!(hint, Some("check the network"));
}
