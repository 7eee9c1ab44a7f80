//! Provider presets: Gemini through its OpenAI-compatible endpoint, and local servers (no
//! key, no price). Cost is priced for the model that answered, not the one asked for.

use crate::common::{FakeServer, Reply, Run, TestEnv};

/// The status line a `--stats` run printed.
fn status(run: &Run) -> &str {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run.stderr.trim_end()
}

#[test]
fn gemini_is_called_at_its_openai_endpoint_with_its_own_key() {
    let server = FakeServer::start(vec![Reply::openai("hi from gemini")]);
    let mut env = TestEnv::new();
    env.set("GEMINI_API_KEY", "gm-test-key-0123456789");
    env.run(&["-m", "gemini-2.5-flash", "--api-base", &server.url(), "hi"])
        .ok("hi from gemini\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(
        req.header("authorization"),
        Some("Bearer gm-test-key-0123456789")
    );
    assert_eq!(req.json()["model"], "gemini-2.5-flash");
}

#[test]
fn gemini_defaults_to_googles_endpoint_and_wants_its_key() {
    let mut env = TestEnv::new();
    env.set("GEMINI_API_KEY", "gm-test-key-0123456789");
    let run = env.run(&["-m", "gemini-2.5-pro", "--dry-run", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "POST https://generativelanguage.googleapis.com/v1beta/openai/chat/completions\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Authorization: Bearer (redacted)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("gm-test-key"));
    let env = TestEnv::new();
    env.run(&["-m", "gemini-2.5-pro", "hi"])
        .fails(2, "no API key for the Gemini API");
}

#[test]
fn each_local_preset_has_its_default_base_and_sends_no_key() {
    for (preset, base) in [
        ("ollama", "http://localhost:11434/v1"),
        ("llamacpp", "http://localhost:8080/v1"),
        ("lmstudio", "http://localhost:1234/v1"),
        ("vllm", "http://localhost:8000/v1"),
    ] {
        let run = TestEnv::new().run(&["--provider", preset, "-m", "qwen3", "--dry-run", "hi"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let head = run.stdout.split_once("\n\n").unwrap().0;
        assert_eq!(
            head,
            format!("POST {base}/chat/completions\nContent-Type: application/json"),
            "{preset}"
        );
    }
}

#[test]
fn a_local_server_answering_as_another_model_costs_unknown() {
    let server = FakeServer::start(vec![Reply::openai("hi").answering_as("smollm2")]);
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_KEY", "");
    let run = env.run(&[
        "--provider",
        "ollama",
        "--api-base",
        &server.url(),
        "--stats",
        "hi",
    ]);
    assert!(
        status(&run).ends_with("• 11↑/7↓ tokens • cost unknown"),
        "{}",
        run.stderr
    );
    let req = server.request();
    assert_eq!(
        req.header("authorization"),
        None,
        "a local server gets no key"
    );
    assert_eq!(
        req.json()["model"],
        "gpt-4.1-mini",
        "the default model was asked for"
    );
}

#[test]
fn a_local_api_base_with_no_model_is_not_priced_as_the_default_model() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["hi"]).answering_as("smollm2")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "hi"]);
    assert!(status(&run).ends_with("cost unknown"), "{}", run.stderr);
    assert!(!run.stderr.contains('$'), "{}", run.stderr);
}

#[test]
fn a_gateway_relaying_a_known_model_keeps_its_list_price() {
    let server = FakeServer::start(vec![
        Reply::openai("hi").answering_as("openai/gpt-4.1-mini"),
    ]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--stats", "-m", "openai/gpt-4.1-mini", "hi"]);
    // 11 × $0.40/M + 7 × $1.60/M
    assert!(status(&run).ends_with("• $0.000016"), "{}", run.stderr);
}

#[test]
fn a_configured_price_always_wins() {
    let server = FakeServer::start(vec![Reply::openai("hi").answering_as("smollm2:135m")]);
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_KEY", "");
    std::fs::write(
        env.config.join("config.toml"),
        format!(
            "[models.small]\nname = \"smollm2\"\nprovider = \"ollama\"\nbase_url = \"{}\"\ninput_price = 1.0\noutput_price = 2.0\n",
            server.url()
        ),
    )
    .unwrap();
    let run = env.run(&["-m", "small", "--stats", "hi"]);
    // 11 × $1/M + 7 × $2/M = $0.000025
    assert!(status(&run).ends_with("• $0.000025"), "{}", run.stderr);
}
