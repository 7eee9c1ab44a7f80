//! The core: prompt in, answer out, against a fake OpenAI-compatible server.

use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn streams_the_answer_and_sends_the_prompt() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["Hello", ", world"])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["say", "hello"]).ok("Hello, world\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some("Bearer sk-test-key-0123456789")
    );
    let body = req.json();
    assert_eq!(body["model"], "gpt-4.1-mini");
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(
        req.messages(),
        [("user".to_string(), "say hello".to_string())]
    );
}

#[test]
fn no_stream_reads_a_whole_response() {
    let server = FakeServer::start(vec![Reply::openai("whole answer")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--no-stream", "hi"]).ok("whole answer\n");
    assert!(server.request().json().get("stream").is_none());
}
