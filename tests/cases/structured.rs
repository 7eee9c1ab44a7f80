//! Structured output everywhere: OpenAI's strict mode gets the schema's strict form (or
//! `strict: false`), servers that refuse `json_schema` get the forms they take, and
//! Anthropic gets the schema as a forced tool call.

use std::time::Duration;

use crate::common::server::anthropic_event;
use crate::common::{FakeServer, Recorded, Reply, TestEnv};
use serde_json::{Value, json};

/// An ordinary schema: `age` is optional and objects are not closed.
const LOOSE: &str = r#"{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name"]}"#;

fn response_format(req: &Recorded) -> Value {
    req.json()["response_format"].clone()
}

/// OpenAI's 400 for a schema strict mode refuses, as its API sends it.
fn openai_invalid_schema() -> Reply {
    Reply::json(
        400,
        json!({"error": {"message": "Invalid schema for response_format 'response': In context=(), 'minLength' is not permitted.",
            "type": "invalid_request_error", "param": "response_format", "code": null}}),
    )
}

/// llama-cpp-python 0.3.16 refusing `json_schema`: its request model takes only `text`
/// and `json_object` (with a `schema`).
fn llama_cpp_refusal() -> Reply {
    Reply::json(
        400,
        json!({"detail": [{"type": "literal_error", "loc": ["body", "response_format", "type"],
            "msg": "Input should be 'text' or 'json_object'", "input": "json_schema",
            "ctx": {"expected": "'text' or 'json_object'"}}]}),
    )
}

#[test]
fn an_ordinary_schema_is_sent_in_its_strict_form_and_validated_as_given() {
    let server = FakeServer::start(vec![Reply::openai(r#"{"name":"Ada","age":null}"#)]);
    let env = TestEnv::new().with_server(&server);
    // the null standing for the absent age is dropped; the original schema validates it
    env.run(&["--schema", LOOSE, "who"])
        .ok("{\"name\":\"Ada\"}\n");
    assert_eq!(
        response_format(&server.request()),
        json!({"type": "json_schema", "json_schema": {"name": "response", "strict": true,
            "schema": {"type": "object", "additionalProperties": false,
                "properties": {"name": {"type": "string"}, "age": {"type": ["integer", "null"]}},
                "required": ["name", "age"]}}})
    );
}

#[test]
fn a_schema_strict_mode_cannot_express_is_sent_non_strict() {
    let schema = r#"{"type":"object","properties":{"name":{"type":"string","minLength":2}}}"#;
    let server = FakeServer::start(vec![Reply::openai(r#"{"name":"Ada"}"#)]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--schema", schema, "who"])
        .ok("{\"name\":\"Ada\"}\n");
    let format = response_format(&server.request());
    assert_eq!(format["json_schema"]["strict"], false);
    assert_eq!(
        format["json_schema"]["schema"],
        serde_json::from_str::<Value>(schema).unwrap()
    );
}

#[test]
fn a_refused_strict_schema_is_sent_again_non_strict() {
    let server = FakeServer::start(vec![
        openai_invalid_schema(),
        Reply::openai(r#"{"name":"Ada"}"#),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--schema", LOOSE, "who"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "{\"name\":\"Ada\"}\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("json_schema without strict mode"),
        "{}",
        run.stderr
    );
    let requests = server.requests();
    assert_eq!(response_format(&requests[0])["json_schema"]["strict"], true);
    assert_eq!(
        response_format(&requests[1])["json_schema"]["strict"],
        false
    );
}

#[test]
fn a_server_that_refuses_json_schema_gets_json_object_with_the_schema() {
    let server = FakeServer::start(vec![
        llama_cpp_refusal(),
        Reply::openai(r#"{"name":"Ada","age":36}"#),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--schema", LOOSE, "who"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"name\":\"Ada\",\"age\":36}\n");
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one fallback, nothing else");
    assert_eq!(
        response_format(&requests[1]),
        json!({"type": "json_object", "schema": serde_json::from_str::<Value>(LOOSE).unwrap()})
    );
    // nothing is remembered: the next invocation asks for json_schema again
    let server = FakeServer::start(vec![Reply::openai(r#"{"name":"Bo"}"#)]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--schema", LOOSE, "who"])
        .ok("{\"name\":\"Bo\"}\n");
    assert_eq!(response_format(&server.request())["type"], "json_schema");
}

#[test]
fn the_last_fallback_is_json_object_with_the_schema_in_a_system_message() {
    let server = FakeServer::start(vec![
        llama_cpp_refusal(),
        Reply::json(
            400,
            json!({"error": {"message": "response_format: unknown field schema"}}),
        ),
        Reply::openai(r#"{"name":"Ada"}"#),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--schema", LOOSE, "who"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let last = &server.requests()[2];
    assert_eq!(response_format(last), json!({"type": "json_object"}));
    let messages = last.messages();
    assert_eq!(messages[0].0, "system");
    assert!(messages[0].1.contains("\"age\""), "{}", messages[0].1);
}

#[test]
fn other_rejections_are_not_retried_in_another_form() {
    let server = FakeServer::start(vec![Reply::json(
        400,
        json!({"error": {"message": "max_tokens is too large", "type": "invalid_request_error"}}),
    )]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--schema", LOOSE, "who"])
        .fails(9, "max_tokens is too large");
    assert_eq!(server.hits(), 1);
}

#[test]
fn review_works_on_a_server_that_refuses_json_schema() {
    let findings = json!({"summary": "Fine.", "findings": []});
    let server = FakeServer::start(vec![
        llama_cpp_refusal(),
        Reply::openai(&findings.to_string()),
    ]);
    let env = TestEnv::new().with_server(&server);
    let diff = "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n";
    let run = env.run_stdin(&["review", "--format", "json"], diff);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        response_format(&server.requests()[1])["type"],
        "json_object"
    );
}

#[test]
fn schema_and_param_response_format_send_one_key_and_the_param_wins() {
    let env = TestEnv::new();
    let run = env.run(&[
        "--dry-run",
        "--schema",
        LOOSE,
        "--param",
        "response_format",
        r#"{"type":"json_object"}"#,
        "who",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.matches("\"response_format\"").count(),
        1,
        "{}",
        run.stdout
    );
    let body: Value =
        serde_json::from_str(&run.stdout[run.stdout.find("\n\n").unwrap()..]).unwrap();
    assert_eq!(body["response_format"], json!({"type": "json_object"}));
}

fn tool_answer(input: Value) -> Reply {
    Reply::json(
        200,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "response", "input": input}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 20, "output_tokens": 8}}),
    )
}

#[test]
fn anthropic_gets_the_schema_as_a_forced_tool_call() {
    let server = FakeServer::start(vec![tool_answer(json!({"name": "Ada", "age": 36}))]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&[
        "-m",
        "claude-sonnet-4-5",
        "--no-stream",
        "--schema",
        LOOSE,
        "who",
    ])
    .ok("{\"name\":\"Ada\",\"age\":36}\n");
    let body = server.request().json();
    assert_eq!(
        body["tool_choice"],
        json!({"type": "tool", "name": "response"})
    );
    assert_eq!(body["tools"][0]["name"], "response");
    assert_eq!(
        body["tools"][0]["input_schema"],
        serde_json::from_str::<Value>(LOOSE).unwrap()
    );
}

#[test]
fn a_streamed_tool_call_is_read_from_its_input_json_deltas() {
    let events = [
        json!({"type": "message_start", "message": {"id": "msg_1", "type": "message",
            "role": "assistant", "model": "claude-sonnet-4-5", "content": [],
            "stop_reason": null, "usage": {"input_tokens": 20, "output_tokens": 1}}}),
        json!({"type": "content_block_start", "index": 0, "content_block":
            {"type": "tool_use", "id": "toolu_1", "name": "response", "input": {}}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": ""}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": "{\"name\": \"A"}}),
        json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "input_json_delta", "partial_json": "da\"}"}}),
        json!({"type": "content_block_stop", "index": 0}),
        json!({"type": "message_delta", "delta": {"stop_reason": "tool_use",
            "stop_sequence": null}, "usage": {"output_tokens": 9}}),
        json!({"type": "message_stop"}),
    ];
    let server = FakeServer::start(vec![Reply::Sse {
        events: events
            .iter()
            .map(|e| (Duration::ZERO, anthropic_event(e)))
            .collect(),
    }]);
    let env = TestEnv::new().with_anthropic_server(&server);
    env.run(&["-m", "claude-sonnet-4-5", "--schema", LOOSE, "who"])
        .ok("{\"name\": \"Ada\"}\n");
}
