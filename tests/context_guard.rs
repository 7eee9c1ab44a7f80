//! The context guard: a request over the model's window less the answer's reservation is
//! refused before anything is sent, naming what takes the room.

mod common;

use common::{FakeServer, Reply, TestEnv};

fn tiny_model(env: &TestEnv, server: &FakeServer) {
    std::fs::write(
        env.config.join("config.toml"),
        format!(
            "[models.tiny]\nbase_url = \"{}\"\ncontext_window = 1000\nmax_output_tokens = 200\n",
            server.url()
        ),
    )
    .unwrap();
}

#[test]
fn an_oversized_snippet_is_refused_and_nothing_is_sent() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.write("small.py", "print('hi')\n");
    env.write("big.log", &"0123456789abcde\n".repeat(32_000));
    let run = env.run(&[
        "-m",
        "gpt-4o",
        "--snippet",
        "small.py",
        "--snippet",
        "big.log",
        "summarise",
    ]);
    run.fails(
        2,
        "does not fit gpt-4o's context window of 128000 tokens with 16384 kept for the answer",
    );
    let first = run.stderr.lines().next().unwrap();
    assert!(
        first.contains("largest parts: snippet big.log ~128"),
        "the largest part comes first: {first}"
    );
    assert!(first.contains("snippet small.py ~"), "{first}");
    assert!(first.contains("the prompt ~"), "{first}");
    assert!(run.stdout.is_empty());
    assert_eq!(server.requests().len(), 0, "nothing was sent");
}

#[test]
fn the_reservation_is_max_tokens_else_the_models_maximum_output() {
    let server = FakeServer::start(vec![Reply::openai("fits")]);
    let env = TestEnv::new();
    tiny_model(&env, &server);
    // ~830 tokens: over 1000 - 200, under 1000 - 100.
    env.write("a.txt", &"a".repeat(3300));
    env.run(&["-m", "tiny", "--snippet", "a.txt", "hi"])
        .fails(2, "with 200 kept for the answer");
    assert_eq!(server.requests().len(), 0);
    env.run(&[
        "-m",
        "tiny",
        "--max-tokens",
        "100",
        "--snippet",
        "a.txt",
        "hi",
    ])
    .ok("fits\n");
}

#[test]
fn dry_run_is_guarded_too() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new();
    tiny_model(&env, &server);
    env.write("a.txt", &"a".repeat(5000));
    let run = env.run(&["--dry-run", "-m", "tiny", "--snippet", "a.txt", "hi"]);
    run.fails(2, "does not fit tiny's context window");
    assert!(run.stdout.is_empty());
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn trim_history_cannot_save_a_request_without_history() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new();
    tiny_model(&env, &server);
    env.write("a.txt", &"a".repeat(5000));
    let run = env.run(&["--trim-history", "-m", "tiny", "--snippet", "a.txt", "hi"]);
    run.fails(2, "does not fit tiny's context window");
    assert!(
        !run.stderr.contains("pass --trim-history"),
        "{}",
        run.stderr
    );
    assert_eq!(server.requests().len(), 0);
}

#[test]
fn unknown_windows_are_not_guarded() {
    let server = FakeServer::start(vec![Reply::openai("sent")]);
    let env = TestEnv::new().with_server(&server);
    env.write("big.log", &"0123456789abcde\n".repeat(40_000));
    env.run(&["-m", "llama3", "--snippet", "big.log", "summarise"])
        .ok("sent\n");
    assert!(server.request().body.len() > 640_000);
}

#[test]
fn claude_reserves_its_maximum_output() {
    let server = FakeServer::start(vec![Reply::anthropic("never")]).allow_unused();
    let env = TestEnv::new().with_anthropic_server(&server);
    // 150,000 tokens fit 200,000 but not 200,000 - 64,000.
    env.write("big.txt", &"abc\n".repeat(150_000));
    env.run(&["-m", "claude-sonnet-4-5", "--snippet", "big.txt", "hi"])
        .fails(2, "with 64000 kept for the answer");
    assert_eq!(server.requests().len(), 0);
}
