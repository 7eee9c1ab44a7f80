//! What goes on the wire: model, parameters, headers; the offline echo model.

use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::json;

#[test]
fn model_temperature_max_tokens_and_params() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&[
        "-m",
        "my-local-model",
        "-t",
        "0.4",
        "--max-tokens",
        "300",
        "--param",
        "seed",
        "42",
        "--param",
        "stop",
        "[\"END\"]",
        "--param",
        "user",
        "ci bot",
        "hi",
    ])
    .ok("ok\n");
    let body = server.request().json();
    assert_eq!(body["model"], "my-local-model");
    assert_eq!(body["temperature"], 0.4);
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["seed"], 42);
    assert_eq!(body["stop"], json!(["END"]));
    assert_eq!(body["user"], "ci bot");
}

#[test]
fn extra_headers_from_the_environment() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_HEADER_X_TEAM", "platform");
    env.run(&["hi"]).ok("ok\n");
    assert_eq!(server.request().header("x-team"), Some("platform"));
}

#[test]
fn no_key_is_fine_for_a_local_server() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_API_KEY", "");
    env.run(&["hi"]).ok("ok\n");
    assert_eq!(server.request().header("authorization"), None);
}

#[test]
fn openai_api_key_and_base_are_honoured() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_KEY", "")
        .set("OPENAI_API_KEY", "sk-openai")
        .set("OPENAI_API_BASE", &server.url());
    env.run(&["hi"]).ok("ok\n");
    assert_eq!(
        server.request().header("authorization"),
        Some("Bearer sk-openai")
    );
}

#[test]
fn config_file_sets_model_and_params() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    std::fs::write(
        env.config.join("config.toml"),
        "model = \"from-user\"\n[params]\ntop_p = 0.5\n",
    )
    .unwrap();
    env.write(".cellmage/config.toml", "model = \"from-project\"\n");
    env.run(&["hi"]).ok("ok\n");
    let body = server.request().json();
    assert_eq!(
        (body["model"].as_str(), body["top_p"].as_f64()),
        (Some("from-project"), Some(0.5))
    );
}

#[test]
fn echo_model_answers_offline_with_the_prompt() {
    let env = TestEnv::new();
    env.run(&["--model", "echo", "hello", "there"])
        .ok("hello there\n");
    let run = env.run(&["--model", "echo", "--stats", "hi"]);
    assert_eq!(run.code, 0);
    assert!(run.stderr.starts_with("✓ echo • "), "{}", run.stderr);
}

#[test]
fn stats_prints_cellmages_status_line() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["a"])]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "hi"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "a\n"));
    assert!(run.stderr.starts_with("✓ fake-model • "), "{}", run.stderr);
    assert!(run.stderr.contains("11↑/7↓ tokens"), "{}", run.stderr);
}

#[test]
fn system_flag_comes_after_the_persona_and_before_system_snippets() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("rules.md", "be terse");
    env.write(
        ".cellmage/personas/p.md",
        "---\ndescription: d\n---\nYou are P.\n",
    );
    env.run(&[
        "-p",
        "p",
        "-s",
        "Answer in French.",
        "--sys-snippet",
        "rules.md",
        "hi",
    ])
    .ok("ok\n");
    let messages = server.request().messages();
    let roles: Vec<&str> = messages.iter().map(|(r, _)| r.as_str()).collect();
    assert_eq!(roles, ["system", "system", "system", "user"]);
    assert_eq!(messages[0].1, "You are P.");
    assert_eq!(messages[1].1, "Answer in French.");
    assert!(messages[2].1.contains("be terse"), "{messages:?}");
}

#[test]
fn review_takes_a_system_prompt_too() {
    let diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n";
    let run = TestEnv::new().run_stdin(&["review", "-s", "Focus on naming.", "--dry-run"], diff);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let body: serde_json::Value =
        serde_json::from_str(run.stdout.split_once("\n\n").unwrap().1).unwrap();
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(
        messages[1],
        json!({"role": "system", "content": "Focus on naming."})
    );
}
