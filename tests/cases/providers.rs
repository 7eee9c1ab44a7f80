//! The provider registry: names, base URLs and keys as each provider declares them, and the
//! settings resolved once into types (provider, extract selector).

use crate::common::TestEnv;

fn user_config(env: &TestEnv, text: &str) {
    std::fs::write(env.config.join("config.toml"), text).unwrap();
}

#[test]
fn an_unknown_provider_lists_the_registry_wherever_it_is_named() {
    let env = TestEnv::new();
    let run = env.run(&["--provider", "gemini", "-m", "echo", "hi"]);
    run.fails(2, "unknown provider \"gemini\"");
    assert!(
        run.stderr
            .contains("cellmage: hint: use openai, anthropic or echo"),
        "{}",
        run.stderr
    );
    let mut env = TestEnv::new();
    env.set("CELLMAGE_PROVIDER", "nosuch");
    env.run(&["config"]).fails(2, "unknown provider \"nosuch\"");
    let env = TestEnv::new();
    user_config(&env, "provider = \"openia\"\n");
    env.run(&["--dry-run", "hi"])
        .fails(2, "unknown provider \"openia\"");
    let env = TestEnv::new();
    user_config(&env, "[models.m]\nprovider = \"nosuch\"\n");
    env.run(&["-m", "m", "--dry-run", "hi"])
        .fails(2, "unknown provider \"nosuch\"");
    env.run(&["models"]).fails(2, "unknown provider \"nosuch\"");
    env.run(&["config"]).fails(2, "unknown provider \"nosuch\"");
}

#[test]
fn config_shows_each_providers_base_and_key() {
    let mut env = TestEnv::new();
    env.set("ANTHROPIC_API_KEY", "sk-ant-shown-0123456789");
    env.set("CELLMAGE_API_KEY", "");
    env.set("OPENAI_API_KEY", "sk-oai-shown-0123456789");
    let run = env.run(&["config"]);
    let line = |key: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(key))
            .unwrap_or_else(|| panic!("no {key} in {}", run.stdout))
            .to_string()
    };
    assert!(line("api_base").contains("https://api.openai.com/v1"));
    assert!(line("api_key").ends_with("(env OPENAI_API_KEY)"));
    assert!(line("anthropic_base").contains("https://api.anthropic.com"));
    assert!(line("anthropic_key").ends_with("(env ANTHROPIC_API_KEY)"));
    assert!(!run.stdout.contains("shown-0123456789"), "{}", run.stdout);
    assert!(!run.stdout.contains("echo_"), "{}", run.stdout);
}

#[test]
fn api_base_flag_applies_to_every_provider() {
    let env = TestEnv::new();
    let run = env.run(&[
        "--api-base",
        "http://127.0.0.1:9",
        "-m",
        "claude-haiku-4-5",
        "--dry-run",
        "hi",
    ]);
    assert!(
        run.stdout
            .starts_with("POST http://127.0.0.1:9/v1/messages\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn every_providers_base_url_is_checked() {
    let mut env = TestEnv::new();
    env.set("ANTHROPIC_BASE_URL", "api.anthropic.com");
    env.run(&["-m", "echo", "hi"])
        .fails(2, "(from env ANTHROPIC_BASE_URL)");
}

#[test]
fn a_bad_selector_fails_before_anything_else() {
    let env = TestEnv::new();
    env.run(&["-m", "echo", "--dry-run", "-x=0", "hi"])
        .fails(2, "--extract indexes start at 1");
}

#[test]
fn anthropic_gets_max_tokens_from_the_model_else_4096() {
    let env = TestEnv::new();
    let body = |model: &str| {
        let run = env.run(&["-m", model, "--dry-run", "hi"]);
        let json = run.stdout.split_once("\n\n").unwrap().1;
        serde_json::from_str::<serde_json::Value>(json).unwrap()
    };
    assert_eq!(body("claude-3-haiku")["max_tokens"], 4096);
    assert_eq!(body("claude-sonnet-4-5")["max_tokens"], 64000);
    assert_eq!(body("claude-unlisted-9")["max_tokens"], 4096);
    assert!(body("gpt-4o").get("max_tokens").is_none());
}
