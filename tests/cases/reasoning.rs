//! Reasoning models: the parameters they refuse are not sent (the fake refuses them as
//! OpenAI does), `--reasoning` becomes `reasoning_effort` or Claude's extended thinking, and
//! reasoning text never reaches the answer, the extraction, the files or the record.

use crate::common::server::{anthropic_event, sse};
use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::{Value, json};

const DIFF: &str = "\
diff --git a/app.py b/app.py
--- a/app.py
+++ b/app.py
@@ -1,2 +1,2 @@
 line 1
-line 2
+line two
";

#[test]
fn a_reasoning_model_gets_max_completion_tokens_and_no_temperature() {
    let server = FakeServer::start(vec![Reply::reasoning_model(Reply::openai("ok"))]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&[
        "-m",
        "o3",
        "-p",
        "coder",
        "-t",
        "0.2",
        "--max-tokens",
        "500",
        "--param",
        "top_p",
        "0.9",
        "--reasoning",
        "high",
        "-v",
        "hi",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok\n"),
        "{}",
        run.stderr
    );
    let body = server.request().json();
    assert_eq!(body["max_completion_tokens"], 500);
    assert_eq!(body["reasoning_effort"], "high");
    for refused in ["max_tokens", "temperature", "top_p"] {
        assert!(body.get(refused).is_none(), "{refused} sent: {body}");
    }
    assert!(
        run.stderr.contains(
            "cellmage: note: o3: not sent, as the model refuses them: temperature, top_p"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("cellmage: note: o3: max_tokens sent as max_completion_tokens"),
        "{}",
        run.stderr
    );
}

#[test]
fn without_verbose_nothing_is_said_and_review_works_on_gpt_5() {
    let findings = json!({"summary": "Fine.", "findings": []});
    let server = FakeServer::start(vec![Reply::reasoning_model(Reply::openai(
        &findings.to_string(),
    ))]);
    let env = TestEnv::new().with_server(&server);
    // the built-in code_reviewer persona sets a temperature
    let run = env.run_stdin(&["review", "--format", "json", "-m", "gpt-5"], DIFF);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("note"), "{}", run.stderr);
    assert!(server.request().json().get("temperature").is_none());
}

#[test]
fn the_refusing_fake_refuses_what_openai_refuses() {
    let server = FakeServer::start(vec![Reply::reasoning_model(Reply::openai("ok"))]);
    let env = TestEnv::new().with_server(&server);
    // a name the registry does not know as a reasoning model keeps its temperature
    let run = env.run(&[
        "-m",
        "my-o3-deployment",
        "-t",
        "0.2",
        "--retries",
        "0",
        "hi",
    ]);
    assert_ne!(run.code, 0);
    assert!(
        run.stderr.contains("Unsupported parameter: 'temperature'"),
        "{}",
        run.stderr
    );
    // and a [models.NAME] table can say it is one
    std::fs::write(
        env.config.join("config.toml"),
        "[models.my-o3-deployment]\ntemperature = false\ntoken_limit = \"max_completion_tokens\"\nreasoning = true\n",
    )
    .unwrap();
    let run = env.run(&[
        "-m",
        "my-o3-deployment",
        "-t",
        "0.2",
        "--max-tokens",
        "9",
        "hi",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok\n"),
        "{}",
        run.stderr
    );
    let body = server.requests()[1].json();
    assert_eq!(body["max_completion_tokens"], 9);
}

/// An OpenAI-compatible stream whose deltas carry reasoning (`reasoning_content`, as DeepSeek
/// and vLLM send it, or `reasoning`, as OpenRouter does) before the answer.
fn reasoning_stream(field: &str) -> Reply {
    let events: Vec<String> = vec![
        sse(
            &json!({"model": "deepseek-reasoner", "choices": [{"index": 0, "delta": {"role": "assistant", "content": null, field: "Think: "}}]}),
        ),
        sse(&json!({"choices": [{"index": 0, "delta": {field: "```python\nwrong = 1\n```\n"}}]})),
        sse(
            &json!({"choices": [{"index": 0, "delta": {"content": "Here:\n```python\nright = 2\n```\n"}}]}),
        ),
        sse(&json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})),
        "data: [DONE]\n\n".to_string(),
    ];
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    Reply::raw_sse(&refs)
}

#[test]
fn reasoning_deltas_never_reach_the_answer_the_code_or_the_record() {
    for field in ["reasoning_content", "reasoning"] {
        let server = FakeServer::start(vec![reasoning_stream(field), reasoning_stream(field)]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["--conversation", "t", "hi"])
            .ok("Here:\n```python\nright = 2\n```\n");
        let run = env.run(&["--conversation", "t", "-x", "--write-files", "out", "again"]);
        assert_eq!(run.stdout, "right = 2\n", "{}", run.stderr);
        assert!(!run.stderr.contains("Think"), "{}", run.stderr);
        let second = server.requests()[1].json();
        let history = second["messages"].to_string();
        assert!(
            !history.contains("Think") && !history.contains("wrong"),
            "{history}"
        );
        let shown = env.run(&["history", "show", "t"]);
        assert!(!shown.stdout.contains("Think"), "{}", shown.stdout);
    }
}

#[test]
fn show_reasoning_prints_it_on_stderr_only() {
    let server = FakeServer::start(vec![reasoning_stream("reasoning_content")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--show-reasoning", "-x", "hi"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "right = 2\n"));
    assert!(
        run.stderr.starts_with("Think: ```python\nwrong = 1"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_whole_response_keeps_its_reasoning_apart() {
    let reply = Reply::json(
        200,
        json!({"model": "deepseek-reasoner", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": "answer", "reasoning_content": "musing"}}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 2}}),
    );
    let server = FakeServer::start(vec![reply]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--no-stream", "--show-reasoning", "hi"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "answer\n"));
    assert_eq!(run.stderr, "musing\n");
}

fn thinking_stream() -> Reply {
    let events: Vec<String> = [
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message", "role": "assistant",
            "model": "claude-sonnet-4-5-20250929", "content": [], "stop_reason": null,
            "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "Let me see: "}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "x = 0 first."}}),
        json!({"type": "content_block_delta", "index": 0, "delta": {"type": "signature_delta", "signature": "EqQBCgIYAhIM"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "content_block_start", "index": 1, "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 1, "delta": {"type": "text_delta", "text": "x = 1"}}),
        json!({"type": "content_block_stop", "index": 1}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 30}}),
        json!({"type": "message_stop"}),
    ]
    .iter()
    .map(anthropic_event)
    .collect();
    let refs: Vec<&str> = events.iter().map(String::as_str).collect();
    Reply::raw_sse(&refs)
}

#[test]
fn claude_thinks_with_a_budget_and_its_thinking_stays_out_of_the_answer() {
    let server = FakeServer::start(vec![thinking_stream()]);
    let env = TestEnv::new().with_anthropic_server(&server);
    let run = env.run(&[
        "-m",
        "claude-sonnet-4-5",
        "-p",
        "coder",
        "--reasoning",
        "medium",
        "--max-tokens",
        "1000",
        "--show-reasoning",
        "hi",
    ]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "x = 1\n"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr, "Let me see: x = 0 first.\n");
    let body = server.request().json();
    assert_eq!(
        body["thinking"],
        json!({"type": "enabled", "budget_tokens": 8192})
    );
    assert_eq!(body["max_tokens"], 8192 + 1000, "above the budget");
    assert!(body.get("temperature").is_none(), "{body}");
}

#[test]
fn newer_claude_models_think_adaptively_with_an_effort() {
    let server = FakeServer::start(vec![Reply::anthropic("ok")]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&[
        "-m",
        "claude-opus-5-5",
        "-t",
        "0.3",
        "--reasoning",
        "high",
        "hi",
    ])
    .ok("ok\n");
    let body = server.request().json();
    assert_eq!(body["thinking"], json!({"type": "adaptive"}));
    assert_eq!(body["output_config"], json!({"effort": "high"}));
    assert!(body.get("temperature").is_none(), "{body}");
    assert_eq!(body["max_tokens"], 128_000);
}

#[test]
fn a_whole_claude_message_drops_its_thinking_block() {
    let reply = Reply::json(
        200,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "thinking", "thinking": "hmm", "signature": "sig"},
                        {"type": "text", "text": "done"}],
            "stop_reason": "end_turn", "usage": {"input_tokens": 3, "output_tokens": 2}}),
    );
    let server = FakeServer::start(vec![reply]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&[
        "-m",
        "claude-sonnet-4-5",
        "--no-stream",
        "--reasoning",
        "low",
        "hi",
    ])
    .ok("done\n");
    assert_eq!(server.request().json()["thinking"]["budget_tokens"], 2048);
}

#[test]
fn reasoning_comes_from_a_persona_or_the_config_beneath_the_flag() {
    let env = TestEnv::new();
    env.write(
        ".cellmage/personas/thinker.md",
        "---\nreasoning: low\n---\nThink.\n",
    );
    std::fs::write(env.config.join("config.toml"), "reasoning = \"medium\"\n").unwrap();
    let effort = |args: &[&str]| -> Value {
        let mut all = vec!["-m", "o4-mini", "--dry-run"];
        all.extend_from_slice(args);
        let run = env.run(&all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let body = run.stdout.split_once("\n\n").unwrap().1;
        serde_json::from_str::<Value>(body).unwrap()["reasoning_effort"].clone()
    };
    assert_eq!(effort(&["hi"]), "medium");
    assert_eq!(effort(&["-p", "thinker", "hi"]), "low");
    assert_eq!(
        effort(&["-p", "thinker", "--reasoning", "high", "hi"]),
        "high"
    );
    let run = env.run(&["--reasoning", "huge", "hi"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
