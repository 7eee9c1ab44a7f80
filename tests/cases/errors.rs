//! HTTP failures map to the documented exit codes with the provider's own message.

use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::json;

fn error_body(message: &str) -> serde_json::Value {
    json!({"error": {"message": message, "type": "invalid_request_error"}})
}

#[test]
fn statuses_map_to_exit_codes_with_the_providers_message() {
    let table = [
        (401, 5, "Incorrect API key provided"),
        (403, 5, "Forbidden for this project"),
        (400, 9, "max_tokens is too large"),
        (404, 9, "The model `nope` does not exist"),
        (413, 9, "Request too large"),
        (422, 9, "Unprocessable"),
        (429, 6, "Rate limit reached"),
        (500, 8, "The server had an error"),
    ];
    for (status, code, message) in table {
        let server = FakeServer::start(vec![Reply::json(status, error_body(message))]);
        let env = TestEnv::new().with_server(&server);
        let run = env.run(&["--retries", "0", "hi"]);
        run.fails(code, message);
        assert!(
            run.stderr.contains(&format!("HTTP {status}")),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn connection_refused_is_exit_7() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", &format!("http://127.0.0.1:{port}/v1"));
    env.run(&["--retries", "0", "hi"]).fails(7, "refused");
}

#[test]
fn missing_key_for_the_hosted_api_is_exit_2_with_a_hint() {
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_KEY", "");
    let run = env.run(&["hi"]);
    run.fails(2, "no API key");
    assert!(run.stderr.contains("OPENAI_API_KEY"));
}
