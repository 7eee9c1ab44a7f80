//! Retries: which failures are tried again, how long cellmage waits, and what it says.

use std::time::{Duration, Instant};

use crate::common::{FakeServer, Reply, TestEnv, refused_url};

fn error_body(message: &str) -> serde_json::Value {
    serde_json::json!({"error": {"message": message, "type": "x"}})
}

#[test]
fn transient_statuses_are_retried_and_then_succeed() {
    for status in [429, 500, 502, 503, 504] {
        let server = FakeServer::start(vec![
            Reply::json(status, error_body("try later")),
            Reply::openai_stream(&["recovered"]),
        ]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["hi"]).ok("recovered\n");
        assert_eq!(server.hits(), 2, "HTTP {status}");
    }
}

#[test]
fn a_connection_closed_before_the_answer_is_retried() {
    let server = FakeServer::start(vec![Reply::Drop, Reply::openai_stream(&["second try"])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("second try\n");
    assert_eq!(server.hits(), 2);
}

#[test]
fn client_errors_are_never_retried() {
    let table = [
        (400, 9, "request rejected (HTTP 400): bad thing"),
        (401, 5, "authentication refused (HTTP 401): bad thing"),
        (403, 5, "authentication refused (HTTP 403): bad thing"),
        (404, 9, "not found (HTTP 404): bad thing"),
        (413, 9, "request too large (HTTP 413): bad thing"),
        (422, 9, "request rejected (HTTP 422): bad thing"),
    ];
    for (status, code, message) in table {
        let server = FakeServer::start(vec![Reply::json(status, error_body("bad thing"))]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["--retries", "5", "hi"]).fails(code, message);
        assert_eq!(server.hits(), 1, "HTTP {status} must not be retried");
    }
}

#[test]
fn the_last_failure_decides_the_exit_code() {
    let table = [
        (
            429,
            6,
            "rate limited (HTTP 429): slow down (after 2 retries)",
        ),
        (
            500,
            8,
            "server error (HTTP 500): slow down (after 2 retries)",
        ),
        (
            503,
            8,
            "server error (HTTP 503): slow down (after 2 retries)",
        ),
    ];
    for (status, code, message) in table {
        let server = FakeServer::start(vec![Reply::json(status, error_body("slow down"))]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["--retries", "2", "hi"]).fails(code, message);
        assert_eq!(server.hits(), 3, "HTTP {status}: one try and two retries");
    }
}

#[test]
fn the_budget_comes_from_the_flag_the_environment_or_the_default() {
    let cases: &[(&[&str], Option<&str>, usize)] = &[
        (&["--retries", "0"], None, 1),
        (&["--retries", "1"], Some("4"), 2),
        (&[], Some("2"), 3),
        (&[], None, 4),
    ];
    for (flags, env_value, hits) in cases {
        let server = FakeServer::start(vec![Reply::json(503, error_body("down"))]);
        let mut env = TestEnv::new().with_server(&server);
        if let Some(v) = env_value {
            env.set("CELLMAGE_RETRIES", v);
        }
        let mut args = flags.to_vec();
        args.push("hi");
        env.run(&args).fails(8, "server error (HTTP 503)");
        assert_eq!(server.hits(), *hits, "{flags:?} {env_value:?}");
    }
}

#[test]
fn each_retry_is_one_line_with_verbose_and_silent_without() {
    let server = FakeServer::start(vec![
        Reply::json(503, error_body("busy")),
        Reply::json(502, error_body("busy")),
        Reply::openai_stream(&["ok"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["-v", "hi"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok\n"),
        "{}",
        run.stderr
    );
    let retries: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("cellmage: retry "))
        .collect();
    assert_eq!(retries.len(), 2, "{}", run.stderr);
    assert!(retries[0].contains("retry 1/3 in "), "{}", retries[0]);
    assert!(retries[0].ends_with("server error (HTTP 503): busy"));
    assert!(retries[1].contains("retry 2/3 in "), "{}", retries[1]);

    let server = FakeServer::start(vec![
        Reply::json(503, error_body("busy")),
        Reply::openai_stream(&["ok"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("ok\n");
    assert_eq!(server.hits(), 2);
}

/// The waits printed with `-v`, in seconds.
fn waits(stderr: &str) -> Vec<f64> {
    stderr
        .lines()
        .filter_map(|l| l.strip_prefix("cellmage: retry "))
        .map(|l| {
            let secs = l.split(" in ").nth(1).unwrap().split('s').next().unwrap();
            secs.parse().unwrap()
        })
        .collect()
}

#[test]
fn backoff_grows_exponentially() {
    let server = FakeServer::start(vec![Reply::json(500, error_body("x"))]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_RETRY_BACKOFF", "0.05");
    let run = env.run(&["-v", "--retries", "3", "hi"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    let w = waits(&run.stderr);
    assert_eq!(w.len(), 3, "{}", run.stderr);
    assert!((0.05..=0.0625).contains(&w[0]), "{w:?}");
    assert!((0.10..=0.125).contains(&w[1]), "{w:?}");
    assert!((0.20..=0.25).contains(&w[2]), "{w:?}");
}

#[test]
fn retry_after_in_seconds_milliseconds_or_a_date_is_honoured() {
    let cases = [
        ("Retry-After", Some("1"), 1.0),
        ("retry-after-ms", Some("300"), 0.3),
        ("Retry-After", None, 1.0),
    ];
    for (header, value, at_least) in cases {
        // `None`: an HTTP date, 2 to 3 seconds from now (dates have whole seconds).
        let value = value.map_or_else(|| httpdate_in(Duration::from_secs(2)), str::to_string);
        let server = FakeServer::start(vec![
            Reply::json(429, error_body("later")).with_header(header, &value),
            Reply::openai_stream(&["done"]),
        ]);
        let env = TestEnv::new().with_server(&server);
        let started = Instant::now();
        let run = env.run(&["-v", "hi"]);
        let took = started.elapsed().as_secs_f64();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(server.hits(), 2);
        assert!(took >= at_least * 0.9, "{header}: {value} took {took}s");
        let w = waits(&run.stderr);
        assert!(w[0] >= at_least * 0.5 && w[0] <= 3.1, "{header}: {w:?}");
    }
}

/// An HTTP date `ahead` from now, whole seconds rounded up.
fn httpdate_in(ahead: Duration) -> String {
    httpdate::fmt_http_date(std::time::SystemTime::now() + ahead + Duration::from_millis(999))
}

#[test]
fn a_wait_longer_than_the_cap_fails_at_once_saying_how_long() {
    let server = FakeServer::start(vec![
        Reply::json(429, error_body("quota")).with_header("Retry-After", "120"),
        Reply::openai_stream(&["never"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let started = Instant::now();
    env.run(&["hi"]).fails(
        6,
        "rate limited (HTTP 429): quota; the provider asked to wait 120s, longer than the 60s cellmage waits",
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(server.hits(), 1);

    let server = FakeServer::start(vec![
        Reply::json(503, error_body("maintenance")).with_header("retry-after-ms", "30000"),
    ]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_RETRY_MAX_WAIT", "5");
    env.run(&["hi"])
        .fails(8, "the provider asked to wait 30s, longer than the 5s");
    assert_eq!(server.hits(), 1);
}

#[test]
fn connection_refused_is_retried_then_exit_7() {
    let mut env = TestEnv::new();
    let url = refused_url();
    env.set("CELLMAGE_API_BASE", &url);
    let run = env.run(&["-v", "--retries", "2", "hi"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(waits(&run.stderr).len(), 2, "{}", run.stderr);
    let last = run
        .stderr
        .lines()
        .rfind(|l| l.starts_with("cellmage: error: "));
    let last = last.unwrap_or_default();
    assert!(
        last.contains(&format!(
            "cannot connect to {url}/chat/completions: connection refused (after 2 retries)"
        )),
        "{last}"
    );
    env.run(&["--retries", "0", "hi"])
        .fails(7, "cannot connect to");
}

#[test]
fn the_retry_count_is_in_json_and_the_status_line() {
    let server = FakeServer::start(vec![
        Reply::json(503, error_body("busy")),
        Reply::json(429, error_body("slow down")),
        Reply::openai_stream(&["fine"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--json", "--stats", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let record: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        (record["retries"].as_u64(), record["answer"].as_str()),
        (Some(2), Some("fine"))
    );
    assert!(run.stderr.contains(" • 2 retries"), "{}", run.stderr);
}
