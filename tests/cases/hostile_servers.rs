//! Servers that redirect, cut streams, send control sequences or bytes that are not UTF-8,
//! time out the request, or cannot be resolved: each ends with the documented exit code and
//! a message that is safe to print.

use std::time::Duration;

use cellmage::error::{Kind, classify};
use cellmage::secret::Secret;
use cellmage::transport::{self, Connection, HeaderValue, Hints, Request, retry};
use serde_json::json;

use crate::common::{FakeServer, Reply, TestEnv};

fn redirect(status: u16, to: &str) -> Reply {
    Reply::status(status, "").with_header("Location", to)
}

#[test]
fn an_api_call_never_follows_a_redirect_and_names_its_target() {
    for status in [301, 302, 307, 308] {
        let elsewhere = FakeServer::start(vec![Reply::openai("stolen")]).allow_unused();
        let target = format!("{}/chat/completions", elsewhere.url());
        let server = FakeServer::start(vec![redirect(status, &target)]);
        let mut env = TestEnv::new().with_server(&server);
        env.set("CELLMAGE_HEADER_X_Tenant_Secret", "tenant-secret-123");
        let run = env.run(&["--retries", "2", "hi"]);
        run.fails(8, &target);
        assert!(run.stderr.contains("--api-base"), "{}", run.stderr);
        assert!(
            !run.stderr.contains("is the server running"),
            "{}",
            run.stderr
        );
        assert_eq!(server.hits(), 1, "a redirect is not retried");
        assert_eq!(elsewhere.hits(), 0, "HTTP {status} was followed");
    }
}

#[test]
fn an_anthropic_key_never_follows_a_redirect() {
    let elsewhere = FakeServer::start(vec![Reply::anthropic("stolen")]).allow_unused();
    let server = FakeServer::start(vec![redirect(307, &elsewhere.root_url())]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["-m", "claude-sonnet-4-5", "--retries", "0", "hi"])
        .fails(8, "redirects (HTTP 307)");
    assert_eq!(elsewhere.hits(), 0);
}

static HINTS: Hints = Hints {
    auth: "a",
    not_found: "n",
    too_large: "l",
    server: "s",
    connect: "c",
    url: "check the URL",
    protocol: "p",
    timeout: "t",
};

fn connection() -> Connection {
    Connection {
        timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(20),
        retry: retry::Policy {
            retries: 2,
            base: Duration::from_millis(10),
            max_wait: Duration::from_secs(1),
        },
        verbose: 0,
        hints: &HINTS,
        proxies: Default::default(),
        gate: None,
    }
}

fn secret_get(url: String) -> Request {
    let secret = |v: &str| HeaderValue::Secret(Secret::new(v));
    Request::get(
        url,
        vec![
            ("Authorization".into(), secret("Bearer tok-123456")),
            ("x-api-key".into(), HeaderValue::Plain("key-123456".into())),
            ("X-Custom-Secret".into(), secret("custom-123456")),
            ("Accept".into(), HeaderValue::Plain("text/html".into())),
        ],
    )
}

#[test]
fn a_followed_redirect_keeps_secrets_only_on_the_same_origin() {
    let other = FakeServer::start(vec![Reply::status(200, "page")]);
    let server = FakeServer::start(vec![
        redirect(302, "/moved"),
        redirect(301, &format!("{}/final", other.root_url())),
    ]);
    let request = secret_get(format!("{}/start", server.root_url())).following_redirects(5);
    let got = transport::fetch(&request, &connection(), 1024).unwrap();
    assert_eq!(got.body, b"page");
    let same = server.requests();
    assert_eq!(same[1].path, "/moved");
    assert_eq!(same[1].header("authorization"), Some("Bearer tok-123456"));
    assert_eq!(same[1].header("x-custom-secret"), Some("custom-123456"));
    let cross = other.request();
    assert_eq!(cross.path, "/final");
    for name in ["authorization", "x-api-key", "x-custom-secret"] {
        assert_eq!(cross.header(name), None, "{name} reached another origin");
    }
    assert_eq!(cross.header("accept"), Some("text/html"));
}

#[test]
fn too_many_redirects_fail_without_retrying() {
    let server = FakeServer::start(vec![redirect(302, "/again")]);
    let request = secret_get(format!("{}/start", server.root_url())).following_redirects(9);
    let err = transport::fetch(&request, &connection(), 1024).unwrap_err();
    assert_eq!(classify(&err).0, Kind::Server);
    assert!(err.to_string().contains("more than 5"), "{err}");
    assert_eq!(server.hits(), 6);
}

const HOSTILE: &str = "\u{1b}[2J\u{1b}]0;owned\u{7}bad\0news\rcellmage: fine\u{9b}31m";

fn assert_escaped(stderr: &str) {
    for c in ['\u{1b}', '\u{7}', '\0', '\r', '\u{9b}'] {
        assert!(!stderr.contains(c), "raw {c:?} in {stderr:?}");
    }
    assert!(stderr.contains("\\x1b[2J"), "{stderr}");
    assert!(stderr.contains("\\x07bad\\x00news\\x0d"), "{stderr}");
}

#[test]
fn control_sequences_in_error_bodies_are_shown_escaped() {
    let cases = [
        (Reply::json(400, json!({"error": {"message": HOSTILE}})), 9),
        (Reply::html(502, HOSTILE), 8),
        (Reply::json(200, json!({"error": {"message": HOSTILE}})), 8),
        (Reply::html(200, HOSTILE), 8),
        (
            Reply::raw_sse(&[&format!(
                "data: {}\n\n",
                json!({"error": {"message": HOSTILE}})
            )]),
            8,
        ),
    ];
    for (reply, code) in cases {
        let server = FakeServer::start(vec![reply]);
        let env = TestEnv::new().with_server(&server);
        let run = env.run(&["--retries", "0", "hi"]);
        assert_eq!(run.code, code, "{}", run.stderr);
        assert_escaped(&run.stderr);
    }
}

const CUT: &[u8] = b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel";

#[test]
fn an_event_cut_at_the_end_of_a_stream_is_a_retryable_break() {
    let server = FakeServer::start(vec![Reply::sse_bytes(CUT)]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--retries", "0", "hi"])
        .fails(7, "the stream ended before the answer was complete");
    let server = FakeServer::start(vec![
        Reply::sse_bytes(CUT),
        Reply::openai_stream(&["Hello"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--retries", "1", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim_end(), "Hello");
    assert_eq!(server.hits(), 2);
}

#[test]
fn a_whole_body_that_is_not_utf8_is_exit_8() {
    let mut body = br#"{"choices":[{"index":0,"message":{"role":"assistant","content":"a"#.to_vec();
    body.extend_from_slice(b"\xff\xfe");
    body.extend_from_slice(br#""},"finish_reason":"stop"}]}"#);
    let mut raw = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    let server = FakeServer::start(vec![Reply::Raw(raw)]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--no-stream", "--retries", "0", "hi"]);
    run.fails(8, "the response is not UTF-8");
}

#[test]
fn http_408_is_a_timeout_and_is_retried() {
    let server = FakeServer::start(vec![Reply::status(408, "Request Timeout")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--retries", "0", "hi"]);
    run.fails(7, "HTTP 408");
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    let server = FakeServer::start(vec![
        Reply::status(408, "Request Timeout"),
        Reply::openai("done"),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--retries", "1", "hi"]).ok("done\n");
}

#[test]
fn an_unresolvable_host_says_so() {
    // `.invalid` is reserved (RFC 6761): it never resolves.
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", "https://api.nowhere.invalid/v1");
    let run = env.run(&["--retries", "0", "hi"]);
    run.fails(7, "cannot resolve host api.nowhere.invalid");
    assert!(run.stderr.contains("DNS"), "{}", run.stderr);
}
