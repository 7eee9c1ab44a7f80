//! The context guard: a request over the model's window less the answer's reservation is
//! refused before anything is sent, naming what takes the room.

use crate::common::{FakeServer, Reply, TestEnv};

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

#[test]
fn trim_history_drops_the_oldest_saved_exchanges_to_fit() {
    // Each exchange is ~160 tokens (a 300-byte prompt and a 300-byte answer); the window is
    // 1000 less 200 for the answer, so beside a ~250-token prompt only three of four fit.
    let long = "x".repeat(300);
    let question = format!("final {}", "q".repeat(1000));
    let answers: Vec<Reply> = (0..5)
        .map(|i| Reply::openai(&format!("{i}{long}")))
        .collect();
    let server = FakeServer::start(answers);
    let env = TestEnv::new();
    tiny_model(&env, &server);
    for i in 0..4 {
        let prompt = format!("{i}{long}");
        env.run(&["-m", "tiny", "--conversation", "kv", &prompt])
            .ok(&format!("{i}{long}\n"));
    }
    let run = env.run(&["-m", "tiny", "--conversation", "kv", &question]);
    run.fails(2, "does not fit");
    assert!(
        run.stderr.contains("history (8 messages)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--trim-history"), "{}", run.stderr);
    assert_eq!(server.requests().len(), 4, "the refused call sent nothing");
    let run = env.run(&[
        "-m",
        "tiny",
        "--conversation",
        "kv",
        "--trim-history",
        &question,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("--trim-history: dropped the 1 oldest of 4 exchanges"),
        "{}",
        run.stderr
    );
    let sent = server.requests().last().unwrap().messages();
    let firsts: Vec<char> = sent.iter().map(|m| m.1.chars().next().unwrap()).collect();
    assert_eq!(
        firsts,
        ['1', '1', '2', '2', '3', '3', 'f'],
        "the newest three exchanges, then the prompt"
    );
}

#[test]
fn cjk_text_counts_about_a_token_a_character() {
    // 300 CJK characters are 900 bytes: about 300 tokens, not 225
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new();
    std::fs::write(
        env.config.join("config.toml"),
        format!(
            "[models.tiny]\nbase_url = \"{}\"\ncontext_window = 280\nmax_output_tokens = 1\n",
            server.url()
        ),
    )
    .unwrap();
    let prompt = "日本語".repeat(100);
    let run = env.run(&["-m", "tiny", &prompt]);
    run.fails(2, "(~304 tokens, estimated)");
    assert_eq!(server.hits(), 0);
}
