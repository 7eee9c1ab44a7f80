//! --dry-run, -v and `cellmage config`: what would be sent and resolved, secrets redacted.

use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn dry_run_prints_the_exact_request_and_sends_nothing() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--dry-run", "-m", "m1", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let url = format!("POST {}/chat/completions\n", server.url());
    assert!(run.stdout.starts_with(&url), "{}", run.stdout);
    assert!(run.stdout.contains("Authorization: Bearer (redacted)\n"));
    assert!(!run.stdout.contains("sk-test-key"));
    let body = run.stdout.split_once("\n\n").unwrap().1;
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["model"], "m1");
    assert!(server.requests().is_empty());
}

#[test]
fn verbose_logs_the_exchange_redacted() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["-v", "hi"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "ok\n"));
    assert!(
        run.stderr.contains("cellmage: > POST http://127.0.0.1"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("cellmage: > Authorization: Bearer (redacted)")
    );
    assert!(run.stderr.contains("cellmage: < 200"));
    assert!(!run.stderr.contains("sk-test-key"));
}

#[test]
fn config_shows_each_setting_and_its_source_with_the_key_redacted() {
    let mut env = TestEnv::new();
    env.set("CELLMAGE_DEFAULT_MODEL", "gpt-4o");
    std::fs::write(env.config.join("config.toml"), "temperature = 0.3\n").unwrap();
    let run = env.run(&["config"]);
    assert_eq!(run.code, 0);
    let line = |key: &str| {
        run.stdout
            .lines()
            .find(|l| l.starts_with(key))
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        line("model").contains("gpt-4o") && line("model").contains("(env CELLMAGE_DEFAULT_MODEL)")
    );
    assert!(line("temperature").contains("0.3") && line("temperature").contains("(user config)"));
    assert!(
        line("api_key").contains("(redacted, 22 chars)")
            && line("api_key").contains("(env CELLMAGE_API_KEY)")
    );
    assert!(!run.stdout.contains("sk-test-key"));
}

#[test]
fn invalid_config_is_exit_2_naming_the_file() {
    let env = TestEnv::new();
    std::fs::write(env.config.join("config.toml"), "model = [unclosed").unwrap();
    env.run(&["--model", "echo", "hi"])
        .fails(2, "invalid config file");
}
