//! Cost: reported usage times the registry's (or the config's) price, in the status line;
//! an unknown price is shown as unknown, never as $0.

use crate::common::{FakeServer, Reply, Run, TestEnv};

/// The status line a `--stats` run printed.
fn status(run: &Run) -> &str {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let line = run.stderr.trim_end();
    assert!(line.starts_with("✓ "), "{line}");
    line
}

#[test]
fn status_line_shows_the_cost_of_the_reported_usage() {
    let server = FakeServer::start(vec![
        Reply::openai_stream(&["hi"]).answering_as("gpt-4.1-mini-2025-04-14"),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "-m", "gpt-4.1-mini", "hello"]);
    assert_eq!(run.stdout, "hi\n");
    // 11 input tokens at $0.40/M + 7 output tokens at $1.60/M = $0.0000156
    assert!(
        status(&run).ends_with(" • 11↑/7↓ tokens • $0.000016"),
        "{}",
        run.stderr
    );
    assert!(status(&run).starts_with("✓ gpt-4.1-mini-2025-04-14 • "));
}

#[test]
fn dated_model_names_find_their_price() {
    let server = FakeServer::start(vec![Reply::openai("hi").answering_as("gpt-4.1-2025-04-14")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "-m", "gpt-4.1-2025-04-14", "hello"]);
    // 11 × $2/M + 7 × $8/M = $0.000078
    assert!(status(&run).ends_with("• $0.000078"), "{}", run.stderr);
}

#[test]
fn unknown_price_is_unknown_not_zero() {
    let server = FakeServer::start(vec![Reply::openai("hi")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "-m", "llama3", "hello"]);
    assert!(
        status(&run).ends_with("• 11↑/7↓ tokens • cost unknown"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains('$'));
}

#[test]
fn config_prices_override_and_extend_the_registry() {
    let server = FakeServer::start(vec![Reply::openai("hi")]);
    let env = TestEnv::new().with_server(&server);
    std::fs::write(
        env.config.join("config.toml"),
        "[models.llama3]\ninput_price = 2.0\noutput_price = 4.0\n\n[models.gpt-4o]\ninput_price = 0.0\noutput_price = 1.0\n",
    )
    .unwrap();
    let run = env.run(&["--stats", "-m", "llama3", "hello"]);
    // 11 × $2/M + 7 × $4/M = $0.00005
    assert!(status(&run).ends_with("• $0.000050"), "{}", run.stderr);
    let run = env.run(&["--stats", "-m", "gpt-4o", "hello"]);
    // 11 × $0/M + 7 × $1/M = $0.000007
    assert!(status(&run).ends_with("• $0.000007"), "{}", run.stderr);
}

#[test]
fn the_offline_echo_model_is_free() {
    let env = TestEnv::new();
    let run = env.run(&["--stats", "-m", "echo", "hello there"]);
    assert_eq!(run.stdout, "hello there\n");
    assert!(status(&run).ends_with("• $0.000000"), "{}", run.stderr);
}
