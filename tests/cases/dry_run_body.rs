//! `--dry-run` prints the very body that a call sends, and streams it to stdout.

use std::io::Read;
use std::process::Stdio;

use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn dry_run_prints_the_bytes_a_call_sends() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["ok"])]);
    let env = TestEnv::new().with_server(&server);
    env.write("notes.md", "a \"quoted\" line\n\ttabbed ``` fence\n");
    let args = [
        "-t",
        "0.2",
        "--param",
        "seed",
        "7",
        "--snippet",
        "notes.md",
        "explain",
    ];
    let dry = env.run(&[&["--dry-run"][..], &args].concat());
    assert_eq!((dry.code, dry.stderr.as_str()), (0, ""));
    let (head, pretty) = dry.stdout.split_once("\n\n").expect("a blank line");
    assert_eq!(
        head.lines().next(),
        Some(format!("POST {}/chat/completions", server.url()).as_str())
    );
    assert!(head.contains("Authorization: Bearer (redacted)"), "{head}");
    assert!(!dry.stdout.contains("sk-test-key"));
    let printed: serde_json::Value = serde_json::from_str(pretty).expect("JSON body");

    env.run(&args).ok("ok\n");
    assert_eq!(server.request().body, printed.to_string());
}

#[test]
fn dry_run_into_a_closed_pipe_exits_quietly() {
    let env = TestEnv::new();
    env.write("big.txt", &"0123456789abcdef\n".repeat(128 * 1024));
    let mut child = env
        .cmd()
        .args(["--no-history", "--dry-run", "--snippet", "big.txt", "x"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cellmage");
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().expect("wait");
    assert_eq!(&first[..5], b"POST ");
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).as_ref()
        ),
        (Some(0), "")
    );
}
