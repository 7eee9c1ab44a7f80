//! The native Anthropic Messages protocol, against a fake server speaking it.

use crate::common::server::anthropic_event;
use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::json;

const KEY: &str = "sk-ant-test-0123456789";

#[test]
fn claude_streams_through_the_messages_api() {
    let server = FakeServer::start(vec![Reply::anthropic_stream(&["Hel", "lo"])]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.write("rules.md", "be terse\n");
    env.write("a.py", "x = 1\n");
    env.run(&[
        "-m",
        "claude-sonnet-4-5",
        "--sys-snippet",
        "rules.md",
        "--snippet",
        "a.py",
        "fix",
        "it",
    ])
    .ok("Hello\n");
    let req = server.request();
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/messages")
    );
    assert_eq!(req.header("x-api-key"), Some(KEY));
    assert_eq!(req.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(req.header("authorization"), None, "no OpenAI key is sent");
    let body = req.json();
    assert_eq!(body["model"], "claude-sonnet-4-5");
    assert_eq!(body["max_tokens"], 64000, "the model's maximum output");
    assert_eq!(body["stream"], true);
    assert_eq!(body["system"], "File: rules.md\n```markdown\nbe terse\n```");
    assert_eq!(
        req.messages(),
        [(
            "user".to_string(),
            "File: a.py\n```python\nx = 1\n```\n\nfix it".to_string()
        )],
        "consecutive user messages are merged"
    );
}

#[test]
fn no_stream_reads_a_whole_message_and_reports_usage() {
    let server = FakeServer::start(vec![
        Reply::anthropic("whole answer").answering_as("claude-haiku-4-5-20251001"),
    ]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let run = env.run(&["-m", "claude-haiku-4-5", "--no-stream", "--stats", "hi"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "whole answer\n"));
    // 13 in at $1/M + 5 out at $5/M = $0.000038
    assert!(
        run.stderr.contains("13↑/5↓ tokens • $0.000038"),
        "{}",
        run.stderr
    );
    let body = server.request().json();
    assert!(body.get("stream").is_none());
    assert_eq!(body["max_tokens"], 64000);
}

#[test]
fn max_tokens_flag_is_sent_and_a_cut_answer_exits_4() {
    let server = FakeServer::start(vec![Reply::anthropic_stream_stop(
        &["cut sh"],
        "max_tokens",
    )]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let run = env.run(&["-m", "claude-opus-4-1", "--max-tokens", "50", "write"]);
    run.fails(4, "cut off by the token limit");
    assert_eq!(run.stdout, "cut sh\n");
    assert_eq!(server.request().json()["max_tokens"], 50);
}

#[test]
fn unknown_claude_models_still_get_max_tokens() {
    let server = FakeServer::start(vec![Reply::anthropic("ok")]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["-m", "claude-future-9", "hi"]).ok("ok\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.json()["max_tokens"], 4096);
}

#[test]
fn an_error_event_in_the_stream_exits_8() {
    let start = anthropic_event(&json!({"type": "message_start", "message": {
        "model": "fake-claude", "usage": {"input_tokens": 3, "output_tokens": 0}}}));
    let error = anthropic_event(&json!({"type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"}}));
    let server = FakeServer::start(vec![Reply::raw_sse(&[&start, &error])]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["-m", "claude-sonnet-4-5", "hi"])
        .fails(8, "Overloaded");
}

#[test]
fn the_hosted_api_needs_an_anthropic_key() {
    // CELLMAGE_API_KEY is set by TestEnv: it is not sent to Anthropic.
    let env = TestEnv::new();
    let run = env.run(&["-m", "claude-sonnet-4-5", "hi"]);
    run.fails(2, "no API key for the Anthropic API");
    assert!(run.stderr.contains("ANTHROPIC_API_KEY"), "{}", run.stderr);
}

#[test]
fn dry_run_and_verbose_redact_the_key() {
    let mut env = TestEnv::new();
    env.set("ANTHROPIC_API_KEY", KEY);
    let run = env.run(&["--dry-run", "-m", "claude-haiku-4-5", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("POST https://api.anthropic.com/v1/messages\n")
    );
    assert!(
        run.stdout.contains("x-api-key: (redacted)\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("anthropic-version: 2023-06-01\n"));
    assert!(!run.stdout.contains(KEY));

    let server = FakeServer::start(vec![Reply::anthropic("ok")]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let run = env.run(&["-v", "-m", "claude-haiku-4-5", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("x-api-key: (redacted)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(KEY));
}

#[test]
fn provider_flag_routes_any_model_through_either_protocol() {
    let server = FakeServer::start(vec![Reply::anthropic("via messages")]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["--provider", "anthropic", "-m", "gpt-4o", "hi"])
        .ok("via messages\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/messages");
    assert_eq!(req.json()["max_tokens"], 16384);

    let server = FakeServer::start(vec![Reply::openai("via gateway")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--provider", "openai", "-m", "claude-sonnet-4-5", "hi"])
        .ok("via gateway\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.json()["model"], "claude-sonnet-4-5");
    assert!(req.json().get("max_tokens").is_none());
}

#[test]
fn config_routes_a_model_through_a_gateway() {
    let server = FakeServer::start(vec![Reply::openai("gateway answer")]);
    let env = TestEnv::new();
    std::fs::write(
        env.config.join("config.toml"),
        format!(
            "[models.sonnet]\nname = \"claude-sonnet-4-5\"\nprovider = \"openai\"\nbase_url = \"{}\"\n",
            server.url()
        ),
    )
    .unwrap();
    env.run(&["-m", "sonnet", "hi"]).ok("gateway answer\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.json()["model"], "claude-sonnet-4-5");
}

#[test]
fn unknown_provider_is_a_usage_error() {
    let env = TestEnv::new();
    env.run(&["--provider", "bard", "hi"])
        .fails(2, "invalid value 'bard' for '--provider <PROVIDER>'");
}

#[test]
fn overloaded_529_is_retried() {
    let overloaded =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    let server = FakeServer::start(vec![
        Reply::json(529, overloaded),
        Reply::anthropic_stream(&["ok"]),
    ]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["-m", "claude-sonnet-4-5", "hi"]).ok("ok\n");
    assert_eq!(server.requests().len(), 2);
}
