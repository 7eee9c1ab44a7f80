//! Prompt caching: Anthropic requests carry `cache_control` breakpoints; cached and
//! cache-write tokens from both providers are shown, priced at the cache prices, and
//! recorded.

use crate::common::server::anthropic_event;
use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::{Value, json};
use std::time::Duration;

/// An OpenAI chat completion whose usage says how much of the prompt was cached, as
/// `prompt_tokens_details.cached_tokens` reports it.
fn openai_cached(model: &str, prompt: u64, cached: u64) -> Reply {
    Reply::json(
        200,
        json!({"id": "chatcmpl-1", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": 10,
                      "total_tokens": prompt + 10,
                      "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
                      "completion_tokens_details": {"reasoning_tokens": 0}}}),
    )
}

#[test]
fn openai_cached_tokens_are_shown_priced_and_recorded() {
    let server = FakeServer::start(vec![openai_cached("gpt-4.1-mini", 100_000, 80_000)]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "-m", "gpt-4.1-mini", "--no-stream", "hello"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // 20,000 × $0.40/M + 80,000 × $0.10/M + 10 × $1.60/M = $0.016016
    assert!(
        run.stderr
            .contains("100000↑/10↓ tokens (80000 cached) • $0.016016"),
        "{}",
        run.stderr
    );
    let run = env.run(&["--json", "-c", "-m", "gpt-4.1-mini", "again"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["usage"]["cached_input_tokens"], 80_000);
    assert_eq!(v["usage"]["cache_write_tokens"], 0);
    let record = std::fs::read_dir(env.data.join("conversations"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(record).unwrap();
    let exchange: Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
    assert_eq!(exchange["usage"]["cached_input_tokens"], 80_000);
    assert!((exchange["cost"].as_f64().unwrap() - 0.016016).abs() < 1e-9);
}

/// An Anthropic stream whose usage reports cache reads and writes, as `message_start`
/// carries them.
fn anthropic_cached(read: u64, written: u64) -> Reply {
    let events = [
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": null, "usage": {"input_tokens": 50,
            "cache_creation_input_tokens": written, "cache_read_input_tokens": read,
            "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "ok"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "end_turn",
            "stop_sequence": null}, "usage": {"output_tokens": 10}}),
        json!({"type": "message_stop"}),
    ];
    Reply::Sse {
        events: events
            .iter()
            .map(|e| (Duration::ZERO, anthropic_event(e)))
            .collect(),
    }
}

#[test]
fn anthropic_requests_carry_breakpoints_and_cache_usage_is_priced() {
    let server = FakeServer::start(vec![
        anthropic_cached(0, 13_000),
        anthropic_cached(13_000, 20),
    ]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.write("rules.md", &"Keep every line short.\n".repeat(300));
    env.write("big.py", &"x = 1  # a line of the module\n".repeat(1500));
    let args = [
        "--stats",
        "-m",
        "claude-sonnet-4-5",
        "--sys-snippet",
        "rules.md",
        "--snippet",
        "big.py",
        "--conversation",
        "work",
        "explain",
    ];
    let first = env.run(&args);
    assert_eq!(first.code, 0, "{}", first.stderr);
    // 50 × $3/M + 13,000 × $3.75/M + 10 × $15/M = $0.049050
    assert!(
        first
            .stderr
            .contains("13050↑/10↓ tokens (0 cached, 13000 to cache) • $0.049050"),
        "{}",
        first.stderr
    );
    let second = env.run(&args);
    // 50 × $3/M + 13,000 × $0.30/M + 20 × $3.75/M + 10 × $15/M = $0.004275
    assert!(
        second
            .stderr
            .contains("13070↑/10↓ tokens (13000 cached, 20 to cache) • $0.004275"),
        "{}",
        second.stderr
    );
    let requests = server.requests();
    let mark = json!({"type": "ephemeral"});
    let one = requests[0].json();
    assert_eq!(
        one["system"][0]["cache_control"], mark,
        "after the system snippets"
    );
    assert_eq!(
        one["messages"][0]["content"][0]["cache_control"], mark,
        "after the snippet"
    );
    assert_eq!(one["messages"][0]["content"][1]["text"], "explain");
    let two = requests[1].json();
    assert_eq!(two["system"], one["system"]);
    // the first call's user turn is sent as it was, so its cached prefix is read
    assert_eq!(
        two["messages"][0]["content"][0]["text"],
        one["messages"][0]["content"][0]["text"]
    );
    assert_eq!(two["messages"][1]["role"], "assistant");
    assert_eq!(
        two["messages"][1]["content"][0]["cache_control"], mark,
        "after the history"
    );
    let breakpoints = two.to_string().matches("\"cache_control\"").count();
    assert!(breakpoints <= 4, "{breakpoints} breakpoints");
}
