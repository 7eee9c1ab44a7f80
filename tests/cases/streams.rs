//! Streams that end wrong and 200 responses that are not the protocol: never exit 0 with
//! half an answer, retry only while nothing has been printed.

use crate::common::server::sse;
use crate::common::{FakeServer, Reply, TestEnv};
use serde_json::json;

const INCOMPLETE: &str = "the stream ended before the answer was complete";

#[test]
fn a_cut_before_any_text_is_retried_and_succeeds() {
    let server = FakeServer::start(vec![
        Reply::cut_stream(&[]),
        Reply::openai_stream(&["whole ", "answer"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("whole answer\n");
    assert_eq!(server.hits(), 2);
}

#[test]
fn with_stream_a_cut_after_text_is_exit_7_and_not_retried() {
    let server = FakeServer::start(vec![
        Reply::cut_stream(&["half an ", "ans"]),
        Reply::openai_stream(&["never sent"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stream", "hi"]);
    run.fails(7, INCOMPLETE);
    assert_eq!(
        run.stdout, "half an ans",
        "what was streamed stays streamed"
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_cut_is_exit_7_after_the_last_retry() {
    let server = FakeServer::start(vec![Reply::cut_stream(&[])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--retries", "1", "hi"]).fails(
        7,
        &format!("{INCOMPLETE} (no finish reason or end marker) (after 1 retry)"),
    );
    assert_eq!(server.hits(), 2);
}

#[test]
fn a_finish_reason_without_done_is_a_complete_answer() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        &sse(&json!({"choices": [{"delta": {"content": "all"}}]})),
        &sse(&json!({"choices": [{"delta": {}, "finish_reason": "stop"}]})),
    ])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("all\n");
}

#[test]
fn a_malformed_chunk_is_exit_8_quoting_it() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        &sse(&json!({"choices": [{"delta": {"content": "a"}}]})),
        "data: {\"choices\": [oops\n\n",
        "data: [DONE]\n\n",
    ])]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["hi"]);
    run.fails(
        8,
        "the stream sent a chunk that is not JSON: {\"choices\": [oops",
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_malformed_chunk_before_any_text_is_not_retried_either() {
    let server = FakeServer::start(vec![
        Reply::raw_sse(&["data: <html>\n\n"]),
        Reply::openai_stream(&["never"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"])
        .fails(8, "the stream sent a chunk that is not JSON: <html>");
    assert_eq!(server.hits(), 1);
}

#[test]
fn an_error_inside_the_stream_is_exit_8_with_the_providers_message() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        &sse(&json!({"choices": [{"delta": {"content": "par"}}]})),
        &sse(&json!({"error": {"message": "Overloaded, try again", "type": "server_error"}})),
    ])]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stream", "hi"]);
    run.fails(8, "the provider reported an error: Overloaded, try again");
    assert_eq!(run.stdout, "par");
}

#[test]
fn a_stream_with_no_answer_at_all_is_exit_8() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        &sse(&json!({"id": "x", "object": "something.else"})),
        "data: [DONE]\n\n",
    ])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"])
        .fails(8, "the stream ended without an answer");
}

#[test]
fn a_stream_that_is_not_utf8_is_exit_8() {
    let server = FakeServer::start(vec![Reply::sse_bytes(
        b"data: {\"choices\": [{\"delta\": {\"content\": \"\xff\xfe\"}}]}\n\n",
    )]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).fails(8, "the stream is not UTF-8");
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_200_that_is_not_the_protocol_is_exit_8_with_the_first_bytes() {
    let page = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let cases: Vec<(Reply, String)> = vec![
        (
            Reply::html(200, page),
            format!("the response is not JSON: {page}"),
        ),
        (
            Reply::json(200, json!({"choices": []})),
            "the response has no choices: {\"choices\":[]}".into(),
        ),
        (
            Reply::json(200, json!({"object": "list", "data": []})),
            "the response has no choices: {\"object\":\"list\",\"data\":[]}".into(),
        ),
        (Reply::status(200, ""), "the response is empty".into()),
        (
            Reply::json(200, json!({"error": {"message": "quota exceeded"}})),
            "the provider reported an error: quota exceeded".into(),
        ),
    ];
    for (reply, message) in cases {
        for stream in [true, false] {
            let server = FakeServer::start(vec![reply.clone()]);
            let env = TestEnv::new().with_server(&server);
            let args: &[&str] = if stream {
                &["hi"]
            } else {
                &["--no-stream", "hi"]
            };
            let run = env.run(args);
            run.fails(8, &message);
            assert_eq!(run.stdout, "");
            assert_eq!(server.hits(), 1, "not retried: {message}");
        }
    }
}

#[test]
fn a_long_html_body_is_quoted_only_by_its_head() {
    let page = format!("<html>{}</html>", "x".repeat(10_000));
    let server = FakeServer::start(vec![Reply::html(200, &page)]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["hi"]);
    run.fails(8, "the response is not JSON: <html>xxx");
    assert!(run.stderr.len() < 600, "{}", run.stderr.len());
}

#[test]
fn a_server_that_ignores_stream_true_still_works() {
    let server = FakeServer::start(vec![Reply::openai("whole")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("whole\n");
}

#[test]
fn a_chunked_stream_dropped_mid_chunk_is_exit_7() {
    let event = sse(&json!({"choices": [{"delta": {"content": "partial"}}]}));
    let mut bytes =
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
            .to_vec();
    bytes.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
    bytes.extend_from_slice(b"400\r\ndata: {\"cho");
    let server = FakeServer::start(vec![Reply::Raw(bytes), Reply::openai_stream(&["never"])]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stream", "hi"]);
    run.fails(7, "the connection broke while reading the answer");
    assert_eq!(run.stdout, "partial");
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_reader_that_goes_away_ends_the_call_quietly() {
    use std::io::Read;
    let pieces: Vec<String> = (0..40).map(|i| format!("piece {i}\n")).collect();
    let pieces: Vec<&str> = pieces.iter().map(String::as_str).collect();
    let server = FakeServer::start(vec![Reply::slow_stream(
        &pieces,
        std::time::Duration::from_millis(20),
    )]);
    let env = TestEnv::new().with_server(&server);
    let mut child = env
        .cmd()
        .arg("hi")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 5];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(&first, b"piece");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_cut_after_text_is_retried_when_nothing_was_shown_yet() {
    // With -x the answer is held back until it is complete, so a cut costs nothing.
    let server = FakeServer::start(vec![
        Reply::cut_stream(&["```python\nfirst = "]),
        Reply::openai_stream(&["```python\nsecond = 2\n```\n"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["-x", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("second = 2"), "{}", run.stdout);
    assert!(!run.stdout.contains("first"), "{}", run.stdout);
    assert_eq!(server.hits(), 2);
}

#[test]
fn into_a_pipe_a_cut_after_text_is_retried_invisibly() {
    let server = FakeServer::start(vec![
        Reply::cut_stream(&["half an ", "ans"]),
        Reply::openai_stream(&["the whole ", "answer"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["hi"]);
    run.ok("the whole answer\n");
    assert_eq!(server.hits(), 2);
}

#[test]
fn into_a_pipe_a_failed_stream_leaves_stdout_empty() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        &sse(&json!({"choices": [{"delta": {"content": "par"}}]})),
        &sse(&json!({"error": {"message": "Overloaded, try again", "type": "server_error"}})),
    ])]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["hi"]);
    run.fails(8, "the provider reported an error: Overloaded, try again");
    assert_eq!(run.stdout, "");
}

#[test]
fn stream_conflicts_with_no_stream() {
    let env = TestEnv::new();
    env.run(&["--stream", "--no-stream", "hi"])
        .fails(2, "cannot be used with");
}
