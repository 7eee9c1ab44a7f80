//! `--schema`: structured output sent as `response_format`, validated locally, retried once.

use crate::common::{FakeServer, Recorded, Reply, TestEnv};
use serde_json::{Value, json};

const PERSON: &str = r#"{"title": "person", "type": "object",
  "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
  "required": ["name", "age"], "additionalProperties": false}"#;

fn response_format(req: &Recorded) -> Value {
    req.json()["response_format"].clone()
}

#[test]
fn the_schema_is_sent_as_response_format_and_the_answer_printed() {
    let server = FakeServer::start(vec![Reply::openai(r#"{"name":"Ada","age":36}"#)]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--schema", PERSON, "describe Ada Lovelace"])
        .ok("{\"name\":\"Ada\",\"age\":36}\n");
    let schema: Value = serde_json::from_str(PERSON).unwrap();
    assert_eq!(
        response_format(&server.request()),
        json!({"type": "json_schema",
               "json_schema": {"name": "person", "schema": schema, "strict": true}})
    );
}

#[test]
fn a_schema_file_names_the_schema_and_a_fenced_answer_is_unwrapped() {
    let server = FakeServer::start(vec![Reply::openai_stream(&[
        "```json\n{\"name\":",
        "\"Bo\",\"age\":1}\n```",
    ])]);
    let env = TestEnv::new().with_server(&server);
    env.write(
        "schemas/pet.json",
        r#"{"type":"object","required":["name"]}"#,
    );
    env.run(&["--schema", "schemas/pet.json", "a pet"])
        .ok("{\"name\":\"Bo\",\"age\":1}\n");
    assert_eq!(
        response_format(&server.request())["json_schema"]["name"],
        "pet"
    );
}

#[test]
fn a_bad_answer_is_asked_for_once_more_with_the_error() {
    let server = FakeServer::start(vec![
        Reply::openai(r#"{"name":"Ada","age":-3}"#),
        Reply::openai(r#"{"name":"Ada","age":36}"#),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--schema", PERSON, "describe Ada"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "{\"name\":\"Ada\",\"age\":36}\n");
    assert!(
        run.stderr
            .starts_with("cellmage: warning: the answer does not match the schema: at /age:"),
        "{}",
        run.stderr
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let retry = requests[1].messages();
    assert_eq!(retry.len(), 3);
    assert_eq!(
        retry[1],
        ("assistant".into(), r#"{"name":"Ada","age":-3}"#.into())
    );
    assert_eq!(retry[2].0, "user");
    assert!(retry[2].1.contains("at /age:"), "{}", retry[2].1);
    assert_eq!(response_format(&requests[1]), response_format(&requests[0]));
}

#[test]
fn two_bad_answers_fail_with_exit_8_and_print_nothing() {
    let server = FakeServer::start(vec![
        Reply::openai("Sure! Here is the JSON you asked for."),
        Reply::openai(r#"{"name":"Ada"}"#),
    ]);
    let env = TestEnv::new().with_server(&server);
    let out = env.path("person.json");
    std::fs::write(&out, "old").unwrap();
    let run = env.run(&["--schema", PERSON, "-o", "person.json", "describe Ada"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(
        lines[0].contains("the answer is not JSON"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("cellmage: error: the answer does not match the schema")
            && lines[1].contains("\"age\" is a required property")
            && lines[1].ends_with("(after one retry)"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "old");
}

#[test]
fn an_unusable_schema_is_a_usage_error_before_any_call() {
    let server = FakeServer::start(vec![Reply::openai("{}")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.write("broken.json", "{not json");
    let cases: &[(&str, &str)] = &[
        ("missing.json", "cannot read schema"),
        ("broken.json", "is not JSON"),
        (r#"{"type": 12}"#, "not a valid JSON Schema"),
    ];
    for (spec, message) in cases {
        env.run(&["--schema", spec, "hi"]).fails(2, message);
    }
    assert!(server.requests().is_empty());
}

#[test]
fn dry_run_shows_response_format_and_echo_answers_a_minimal_valid_object() {
    let env = TestEnv::new();
    let run = env.run(&["--dry-run", "--schema", PERSON, "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("\"response_format\": {"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\"type\": \"json_schema\""));
    // echo answers with the smallest object the schema accepts, which passes validation
    env.run(&["--model", "echo", "--schema", PERSON, "describe E"])
        .ok("{\"name\":\"\",\"age\":0}\n");
    let run = env.run(&["--model", "echo", "--dry-run", "--schema", PERSON, "x"]);
    assert!(
        run.stdout.contains("\"response_format\": {"),
        "{}",
        run.stdout
    );
}
