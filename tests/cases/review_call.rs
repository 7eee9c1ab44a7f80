//! `cellmage review` makes its call through the same pipeline as `cellmage`, with the same
//! connection and sampling flags: a diff on stdin, the fake server answering findings.

use std::time::Duration;

use crate::common::{FakeServer, Reply, Run, TestEnv};
use serde_json::{Value, json};

const DIFF: &str = "\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
 line 1
-line 2
+query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"
";

fn findings() -> Value {
    json!({"summary": "Not safe to merge.", "findings": [
        {"file": "app.py", "line": 2, "end_line": null, "severity": "high",
         "category": "security", "title": "SQL injection", "explanation": "User input reaches SQL.",
         "suggested_fix": null}
    ]})
}

fn review(env: &TestEnv, args: &[&str]) -> Run {
    let mut all = vec!["review", "--format", "json"];
    all.extend_from_slice(args);
    env.run_stdin(&all, DIFF)
}

fn succeeded(run: &Run) -> Value {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("a JSON report")
}

#[test]
fn review_help_lists_the_shared_call_flags() {
    let run = TestEnv::new().run(&["review", "--help"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for flag in [
        "--api-base <URL>",
        "--provider <PROVIDER>",
        "--timeout <SECS>",
        "--retries <N>",
        "-t, --temperature <T>",
        "--param <KEY> <VALUE>",
        "--max-tokens <N>",
        "-m, --model <MODEL>",
        "--allow-truncated",
        "--dry-run",
        "--stats",
        "-v, --verbose",
    ] {
        assert!(run.stdout.contains(flag), "{flag} missing:\n{}", run.stdout);
    }
}

#[test]
fn api_base_flag_points_review_at_the_server() {
    let server = FakeServer::start(vec![Reply::openai(&findings().to_string())]);
    let env = TestEnv::new();
    let report = succeeded(&review(&env, &["--api-base", &server.url()]));
    assert_eq!(report["findings"][0]["title"], "SQL injection");
    assert_eq!(server.request().path, "/v1/chat/completions");
}

#[test]
fn provider_flag_routes_review_through_anthropic() {
    let server = FakeServer::start(vec![Reply::anthropic(&findings().to_string())]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let report = succeeded(&review(&env, &["--provider", "anthropic", "-m", "gpt-4o"]));
    assert_eq!(report["findings"][0]["severity"], "high");
    let req = server.request();
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.json()["model"], "gpt-4o");
}

#[test]
fn temperature_and_params_reach_the_request_body() {
    let server = FakeServer::start(vec![Reply::openai(&findings().to_string())]);
    let env = TestEnv::new().with_server(&server);
    succeeded(&review(
        &env,
        &[
            "-t", "0.25", "--param", "seed", "7", "--param", "user", "ci",
        ],
    ));
    let body = server.request().json();
    assert_eq!(body["temperature"], 0.25);
    assert_eq!(body["seed"], 7);
    assert_eq!(body["user"], "ci");
}

#[test]
fn retries_flag_sets_the_review_retry_budget() {
    let error = json!({"error": {"message": "try later", "type": "x"}});
    let server = FakeServer::start(vec![
        Reply::json(500, error.clone()),
        Reply::openai(&findings().to_string()),
    ]);
    let env = TestEnv::new().with_server(&server);
    succeeded(&review(&env, &["--retries", "1"]));
    assert_eq!(server.hits(), 2);

    let server = FakeServer::start(vec![Reply::json(500, error)]);
    let env = TestEnv::new().with_server(&server);
    review(&env, &["--retries", "0"]).fails(8, "HTTP 500");
    assert_eq!(server.hits(), 1);
}

#[test]
fn timeout_flag_bounds_the_review_call() {
    let late = Reply::openai(&findings().to_string()).after(Duration::from_secs(60));
    let server = FakeServer::start(vec![late]);
    let env = TestEnv::new().with_server(&server);
    review(&env, &["--timeout", "1", "--retries", "0"]).fails(7, "no response within 1s");
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_cut_off_review_is_exit_4_unless_allowed_and_complete() {
    let cut = || Reply::openai_finish(&findings().to_string(), "length");
    let server = FakeServer::start(vec![cut()]);
    let env = TestEnv::new().with_server(&server);
    review(&env, &[]).fails(4, "cut off by the token limit");

    let server = FakeServer::start(vec![cut()]);
    let env = TestEnv::new().with_server(&server);
    let run = review(&env, &["--allow-truncated"]);
    let report = succeeded(&run);
    assert_eq!(report["findings"][0]["title"], "SQL injection");
    assert!(
        run.stderr.contains("accepted (--allow-truncated)"),
        "{}",
        run.stderr
    );

    let server = FakeServer::start(vec![Reply::openai_finish(
        "{\"summary\": \"Not saf",
        "length",
    )]);
    let env = TestEnv::new().with_server(&server);
    review(&env, &["--allow-truncated"]).fails(
        4,
        "cut off by the token limit before its findings were complete",
    );
}

#[test]
fn a_non_protocol_answer_hints_at_api_base_which_review_accepts() {
    let server = FakeServer::start(vec![Reply::html(200, "<html>a login page</html>")]);
    let env = TestEnv::new().with_server(&server);
    let run = review(&env, &[]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(run.stderr.contains("--api-base"), "{}", run.stderr);
}

#[test]
fn a_review_loads_and_records_no_conversation() {
    let server = FakeServer::start(vec![Reply::openai(&findings().to_string())]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_CONVERSATION", "kv");
    let run = review(&env, &["--stats"]);
    succeeded(&run);
    assert!(run.stderr.contains("✓ fake-model • "), "{}", run.stderr);
    assert_eq!(server.request().messages().len(), 3, "system, diff, prompt");
    assert!(
        !env.data.join("conversations").exists(),
        "nothing recorded under {}",
        env.data.display()
    );
}

#[test]
fn a_review_stream_cut_short_is_retried_since_nothing_was_shown() {
    let text = findings().to_string();
    let (head, tail) = text.split_at(20);
    let server = FakeServer::start(vec![
        Reply::cut_stream(&[head]),
        Reply::openai_stream(&[head, tail]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let report = succeeded(&review(&env, &[]));
    assert_eq!(report["findings"][0]["title"], "SQL injection");
    assert_eq!(server.hits(), 2);
}
