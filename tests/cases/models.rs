//! Model choice: aliases (config and CellMage alias files), `[models.NAME]` tables,
//! resolution order, and `cellmage models`.

use crate::common::{FakeServer, Reply, Run, TestEnv};

/// The model a `--dry-run` would send.
fn sent_model(run: &Run) -> String {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let json = &run.stdout[run.stdout.find("\n\n").expect("blank line") + 2..];
    let body: serde_json::Value = serde_json::from_str(json).expect("dry-run body");
    body["model"].as_str().unwrap().to_string()
}

fn user_config(env: &TestEnv, text: &str) {
    std::fs::write(env.config.join("config.toml"), text).unwrap();
}

#[test]
fn alias_sources_in_precedence_order() {
    let mut env = TestEnv::new();
    let ask = |env: &TestEnv| sent_model(&env.run(&["--dry-run", "-m", "fast", "hi"]));
    assert_eq!(ask(&env), "fast", "no alias: the name is the model");
    user_config(&env, "[aliases]\nfast = \"from-user\"\n");
    assert_eq!(ask(&env), "from-user");
    std::fs::write(
        env.root().join("cellmage_models.yml"),
        "fast: from-parent-yml\n",
    )
    .unwrap();
    assert_eq!(
        ask(&env),
        "from-parent-yml",
        "alias files beat the user config"
    );
    env.write(".config/cellmage_models.yml", "fast: from-yml\n");
    assert_eq!(ask(&env), "from-yml", "the nearest alias file wins");
    env.write(
        ".cellmage/config.toml",
        "[aliases]\nfast = \"from-project\"\n",
    );
    assert_eq!(
        ask(&env),
        "from-project",
        "project config beats alias files"
    );
    let mapping = env.write("mappings.yml", "# CellMage mappings\nfast: from-env-file\n");
    env.set("CELLMAGE_MODEL_MAPPINGS_FILE", mapping.to_str().unwrap());
    assert_eq!(ask(&env), "from-env-file");
    assert_eq!(
        sent_model(&env.run(&["--dry-run", "-m", "gpt-4o", "hi"])),
        "gpt-4o"
    );
}

#[test]
fn model_precedence_flag_persona_env_project_user() {
    let mut env = TestEnv::new();
    let ask = |env: &TestEnv, args: &[&str]| {
        let mut all = vec!["--dry-run"];
        all.extend_from_slice(args);
        all.push("hi");
        sent_model(&env.run(&all))
    };
    assert_eq!(ask(&env, &[]), "gpt-4.1-mini", "the default");
    user_config(&env, "default_model = \"user-model\"\n");
    assert_eq!(ask(&env, &[]), "user-model");
    env.write(".cellmage/config.toml", "model = \"project-model\"\n");
    assert_eq!(ask(&env, &[]), "project-model");
    env.set("CELLMAGE_DEFAULT_MODEL", "env-model");
    assert_eq!(ask(&env, &[]), "env-model");
    env.write(
        ".cellmage/personas/coder.md",
        "---\nname: coder\nmodel: smart\n---\nYou write code.\n",
    );
    env.write(".cellmage/config.toml", "[aliases]\nsmart = \"gpt-4.1\"\n");
    assert_eq!(
        ask(&env, &["-p", "coder"]),
        "gpt-4.1",
        "persona, through an alias"
    );
    assert_eq!(
        ask(&env, &["-p", "coder", "-m", "o3"]),
        "o3",
        "the flag wins"
    );
}

#[test]
fn a_models_table_sets_name_endpoint_key_and_params() {
    let server = FakeServer::start(vec![Reply::openai("local answer")]);
    let mut env = TestEnv::new();
    env.set("LOCAL_KEY", "sk-local-999");
    user_config(
        &env,
        &format!(
            "[aliases]\nl = \"local\"\n\n[models.local]\nname = \"qwen2.5-coder:7b\"\nbase_url = \"{}\"\napi_key_env = \"LOCAL_KEY\"\ncontext_window = 32768\n[models.local.params]\ntemperature = 0.1\nnum_ctx = 32768\n",
            server.url()
        ),
    );
    env.run(&["-m", "l", "-t", "0.3", "hi"])
        .ok("local answer\n");
    let req = server.request();
    assert_eq!(req.path, "/v1/chat/completions");
    assert_eq!(req.header("authorization"), Some("Bearer sk-local-999"));
    let body = req.json();
    assert_eq!(body["model"], "qwen2.5-coder:7b");
    assert_eq!(body["num_ctx"], 32768, "the model's default params");
    assert_eq!(body["temperature"], 0.3, "flags beat the model's params");
}

#[test]
fn a_models_table_key_may_come_from_a_command() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new();
    user_config(
        &env,
        &format!(
            "[models.vault]\nname = \"gpt-4o\"\nbase_url = \"{}\"\napi_key_cmd = \"echo sk-from-cmd\"\n",
            server.url()
        ),
    );
    env.run(&["-m", "vault", "hi"]).ok("ok\n");
    assert_eq!(
        server.request().header("authorization"),
        Some("Bearer sk-from-cmd")
    );
}

#[test]
fn an_unset_api_key_env_is_named() {
    let env = TestEnv::new();
    user_config(
        &env,
        "[models.work]\nname = \"gpt-4o\"\napi_key_env = \"WORK_OPENAI_KEY\"\n",
    );
    env.run(&["-m", "work", "hi"])
        .fails(2, "WORK_OPENAI_KEY (api_key_env of model work) is not set");
}

#[test]
fn project_tables_override_user_tables_key_by_key() {
    let env = TestEnv::new();
    user_config(
        &env,
        "[models.m]\nname = \"gpt-4o\"\ninput_price = 1.0\noutput_price = 2.0\n",
    );
    env.write(".cellmage/config.toml", "[models.m]\noutput_price = 3.0\n");
    let run = env.run(&["models"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("m (gpt-4o)"))
        .expect("the configured model is listed");
    let cols: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "m", "(gpt-4o)", "openai", "128000", "16384", "1.00", "3.00", "config"
        ]
    );
}

#[test]
fn models_lists_registry_config_and_aliases() {
    let env = TestEnv::new();
    user_config(
        &env,
        "[aliases]\nfast = \"gpt-4.1-mini\"\n\n[models.llama3]\nbase_url = \"http://127.0.0.1:1/v1\"\n",
    );
    env.write("cellmage_models.yml", "c3h: claude-3-haiku\n");
    let run = env.run(&["models"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let cols = |name: &str| -> Vec<String> {
        let line = run
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not in\n{}", run.stdout));
        line.split_whitespace().map(str::to_string).collect()
    };
    assert_eq!(
        cols("MODEL"),
        [
            "MODEL", "PROVIDER", "WINDOW", "MAX", "OUT", "IN", "$/M", "OUT", "$/M", "FROM"
        ]
    );
    assert_eq!(
        cols("gpt-4.1-mini"),
        [
            "gpt-4.1-mini",
            "openai",
            "1047576",
            "32768",
            "0.40",
            "1.60",
            "built-in"
        ]
    );
    assert_eq!(
        cols("claude-sonnet-4-5"),
        [
            "claude-sonnet-4-5",
            "anthropic",
            "200000",
            "64000",
            "3.00",
            "15.00",
            "built-in"
        ]
    );
    assert_eq!(
        cols("llama3"),
        ["llama3", "openai", "-", "-", "-", "-", "config"],
        "unknown values are shown as -"
    );
    assert_eq!(cols("fast"), ["fast", "gpt-4.1-mini"]);
    assert_eq!(cols("c3h"), ["c3h", "claude-3-haiku"]);
}

#[test]
fn broken_alias_files_and_tables_are_config_errors() {
    let env = TestEnv::new();
    env.write(".cellmage_models.yml", "- just\n- a list\n");
    env.run(&["--dry-run", "hi"])
        .fails(2, "invalid model alias file");
    let env = TestEnv::new();
    user_config(&env, "[models.x]\ncontext = 5\n");
    env.run(&["--dry-run", "hi"])
        .fails(2, "invalid config file");
    let mut env = TestEnv::new();
    env.set("CELLMAGE_MODEL_MAPPINGS_FILE", "/nonexistent/map.yml");
    env.run(&["--dry-run", "hi"])
        .fails(2, "cannot read model alias file /nonexistent/map.yml");
    let env = TestEnv::new();
    user_config(&env, "[aliases]\na = \"b\"\nb = \"a\"\n");
    env.run(&["-m", "a", "--dry-run", "hi"])
        .fails(2, "model aliases form a loop: a -> b -> a");
}
