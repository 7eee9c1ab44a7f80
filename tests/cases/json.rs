//! `--json`: one object on stdout with the answer, blocks and the call's facts.

use crate::common::files::read;
use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::{Value, json};

const ANSWER: &str = "Plan:\n### src/a.py\n```python\na = 1\n```\n```\nplain\n```\n";

fn parse(stdout: &str) -> Value {
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout}");
    serde_json::from_str(stdout).expect("stdout is JSON")
}

#[test]
fn the_record_has_every_field() {
    let server = FakeServer::start(vec![
        Reply::openai_stream(&[ANSWER]).answering_as("gpt-4.1-mini-2025-04-14"),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--json", "--conversation", "kv", "go"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let mut v = parse(&run.stdout);
    assert!(v["duration_ms"].is_u64(), "{v}");
    v["duration_ms"] = json!(0);
    assert_eq!(
        v,
        json!({
            "answer": ANSWER,
            "blocks": [
                {"language": "python", "path": "src/a.py", "content": "a = 1\n"},
                {"language": null, "path": null, "content": "plain\n"},
            ],
            "extracted": null,
            "files_written": [],
            "model": "gpt-4.1-mini-2025-04-14",
            "provider": "openai",
            "usage": {"input_tokens": 11, "output_tokens": 7,
                      "cached_input_tokens": 0, "cache_write_tokens": 0},
            "cost": 0.0000156,
            "finish_reason": "stop",
            "truncated": false,
            "duration_ms": 0,
            "retries": 0,
            "conversation": "kv",
        })
    );
}

#[test]
fn keys_come_in_a_stable_order() {
    let run = TestEnv::new().run(&["--model", "echo", "--json", "hi"]);
    let v = parse(&run.stdout);
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "answer",
            "blocks",
            "extracted",
            "files_written",
            "model",
            "provider",
            "usage",
            "cost",
            "finish_reason",
            "truncated",
            "duration_ms",
            "retries",
            "conversation"
        ]
    );
    assert_eq!(v["provider"], "echo");
    assert_eq!(v["blocks"], json!([]));
}

#[test]
fn retries_are_counted() {
    let server = FakeServer::start(vec![Reply::status(503, "busy"), Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--json", "--retries", "2", "--no-stream", "go"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(parse(&run.stdout)["retries"], 1);
}

#[test]
fn with_extract_the_record_carries_the_extraction() {
    let run = TestEnv::new().run(&["--model", "echo", "--json", "--extract=last", ANSWER]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(parse(&run.stdout)["extracted"], "plain\n");
}

#[test]
fn with_extract_and_no_match_the_record_is_printed_and_exit_is_3() {
    let run = TestEnv::new().run(&["--model", "echo", "--json", "--extract=rust", ANSWER]);
    run.fails(3, "no code block tagged rust");
    let v = parse(&run.stdout);
    assert_eq!(v["extracted"], Value::Null);
    assert_eq!(v["answer"], ANSWER);
}

#[test]
fn a_truncated_answer_is_printed_as_json_and_exits_4() {
    let server = FakeServer::start(vec![Reply::openai_finish("half an ans", "length")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--json", "--no-stream", "go"]);
    run.fails(4, "cut off by the token limit");
    let v = parse(&run.stdout);
    assert_eq!(
        (v["truncated"].clone(), v["finish_reason"].clone()),
        (json!(true), json!("length"))
    );
}

#[test]
fn written_files_are_listed() {
    let env = TestEnv::new();
    let run = env.run(&["--model", "echo", "--json", "--write-files", "out", ANSWER]);
    assert_eq!(run.stderr, "cellmage: wrote out/src/a.py\n");
    assert_eq!(parse(&run.stdout)["files_written"], json!(["out/src/a.py"]));
    assert_eq!(read(&env.path("out/src/a.py")), "a = 1\n");
}

#[test]
fn with_output_the_record_goes_to_the_file() {
    let env = TestEnv::new();
    env.run(&["--model", "echo", "--json", "-o", "rec.json", "hello"])
        .ok("");
    assert_eq!(parse(&read(&env.path("rec.json")))["answer"], "hello");
}
