//! Secrets: the API key (and secret headers) never appear in stdout, stderr at any
//! verbosity, `--dry-run`, `cellmage config`, error messages or files; `api_key_cmd`; the
//! plain-http warning. Every run here has RUST_BACKTRACE=full set.

use std::path::Path;

use crate::common::{FakeServer, Reply, Run, TestEnv};
use serde_json::json;

const KEY: &str = "sk-DISTINCTIVE-7f3a9c1e5b";
const HEADER_SECRET: &str = "team-token-DISTINCT-99x";

fn env_with_key(server: Option<&FakeServer>) -> TestEnv {
    let mut env = match server {
        Some(s) => TestEnv::new().with_server(s),
        None => TestEnv::new(),
    };
    env.set("CELLMAGE_API_KEY", KEY)
        .set("CELLMAGE_HEADER_X_TEAM_TOKEN", HEADER_SECRET)
        .set("RUST_BACKTRACE", "full");
    env
}

fn assert_clean(run: &Run) {
    for secret in [KEY, HEADER_SECRET, "7f3a9c1e5b"] {
        assert!(!run.stdout.contains(secret), "stdout leaks: {}", run.stdout);
        assert!(!run.stderr.contains(secret), "stderr leaks: {}", run.stderr);
    }
}

fn assert_no_file_holds_the_key(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            assert_no_file_holds_the_key(&path);
        } else {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            assert!(!text.contains(KEY), "{} holds the key", path.display());
        }
    }
}

#[test]
fn a_call_at_every_verbosity_never_prints_the_key() {
    for flags in [&[][..], &["-v"], &["-vv"], &["--stats"]] {
        let server = FakeServer::start(vec![Reply::openai_stream(&["fine"])]);
        let env = env_with_key(Some(&server));
        let mut args = flags.to_vec();
        args.extend(["--conversation", "keys", "hi"]);
        let run = env.run(&args);
        assert_eq!(
            (run.code, run.stdout.as_str()),
            (0, "fine\n"),
            "{}",
            run.stderr
        );
        assert_clean(&run);
        let req = server.request();
        assert_eq!(req.header("authorization"), Some(&*format!("Bearer {KEY}")));
        assert_eq!(req.header("x-team-token"), Some(HEADER_SECRET));
        if !flags.is_empty() && flags[0].starts_with("-v") {
            assert!(run.stderr.contains("> Authorization: Bearer (redacted)"));
            assert!(run.stderr.contains("> X-TEAM-TOKEN: (redacted)"));
        }
        assert_no_file_holds_the_key(&env.data);
        assert_no_file_holds_the_key(&env.cwd);
    }
}

#[test]
fn dry_run_and_config_redact_the_key() {
    let env = env_with_key(None);
    let run = env.run(&["--dry-run", "--api-base", "http://127.0.0.1:9/v1", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("Authorization: Bearer (redacted)\n"));
    assert!(run.stdout.contains("X-TEAM-TOKEN: (redacted)\n"));
    assert_eq!(run.stderr, "");
    assert_clean(&run);

    let run = env.run(&["config"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("(redacted, 25 chars)"),
        "{}",
        run.stdout
    );
    assert_clean(&run);
}

#[test]
fn a_key_echoed_back_by_the_provider_is_scrubbed_from_errors() {
    let echoed = format!("Incorrect API key provided: {KEY}. Header {HEADER_SECRET}.");
    let cases = [
        (Reply::json(401, json!({"error": {"message": echoed}})), 5),
        (Reply::html(502, &format!("<p>{echoed}</p>")), 8),
        (Reply::html(200, &format!("<p>{echoed}</p>")), 8),
        (
            Reply::raw_sse(&[&format!(
                "data: {}\n\n",
                json!({"error": {"message": echoed}})
            )]),
            8,
        ),
        (
            Reply::raw_sse(&[&format!("data: not json {echoed}\n\n")]),
            8,
        ),
    ];
    for (reply, code) in cases {
        for verbose in [false, true] {
            let server = FakeServer::start(vec![reply.clone()]);
            let env = env_with_key(Some(&server));
            let args: &[&str] = if verbose {
                &["-vv", "--retries", "0", "hi"]
            } else {
                &["--retries", "0", "hi"]
            };
            let run = env.run(args);
            assert_eq!(run.code, code, "{}", run.stderr);
            assert!(run.stderr.contains("(redacted)"), "{}", run.stderr);
            assert_clean(&run);
        }
    }
}

#[test]
fn a_key_with_a_line_break_is_refused_without_being_shown() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let mut env = env_with_key(Some(&server));
    env.set("CELLMAGE_API_KEY", "sk-DISTINCTIVE\n7f3a9c1e5b");
    let run = env.run(&["hi"]);
    run.fails(2, "the API key contains a line break or control character");
    assert_clean(&run);
    assert!(!run.stderr.contains("sk-DISTINCTIVE"));
    assert_eq!(server.hits(), 0);
}

fn key_cmd_env(server: &FakeServer, cmd: &str) -> TestEnv {
    let mut env = TestEnv::new().with_server(server);
    env.set("CELLMAGE_API_KEY", "")
        .set("RUST_BACKTRACE", "full");
    std::fs::write(
        env.config.join("config.toml"),
        format!("api_key_cmd = {}\n", toml_string(cmd)),
    )
    .unwrap();
    env
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[test]
fn api_key_cmd_supplies_the_key_from_its_first_line() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["ok"])]);
    let env = key_cmd_env(&server, &format!("printf '%s\\nuser: me\\n' {KEY}"));
    let run = env.run(&["-vv", "hi"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, "ok\n"),
        "{}",
        run.stderr
    );
    assert_clean(&run);
    assert_eq!(
        server.request().header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
}

#[test]
fn api_key_cmd_is_not_run_for_dry_run_or_config() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = key_cmd_env(&server, "touch ran; echo k");
    assert_eq!(env.run(&["--dry-run", "hi"]).code, 0);
    let run = env.run(&["config"]);
    assert!(
        run.stdout.contains("(from api_key_cmd, not run)"),
        "{}",
        run.stdout
    );
    assert!(!env.path("ran").exists());
}

#[test]
fn a_failing_api_key_cmd_is_exit_2() {
    let cases = [
        (
            "echo 'entry not found' >&2; exit 3",
            "api_key_cmd failed (exit status: 3): entry not found",
        ),
        ("true", "api_key_cmd printed no key"),
        (
            "no-such-password-manager-xyz",
            "api_key_cmd failed (exit status: 127)",
        ),
    ];
    for (cmd, message) in cases {
        let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
        let env = key_cmd_env(&server, cmd);
        env.run(&["hi"]).fails(2, message);
        assert_eq!(server.hits(), 0);
    }
}

#[test]
fn api_key_cmd_in_a_project_config_is_refused() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_API_KEY", "");
    env.write(
        ".cellmage/config.toml",
        "api_key_cmd = 'touch pwned; echo k'\n",
    );
    env.run(&["hi"]).fails(
        2,
        "api_key_cmd is not allowed in a project config (.cellmage/config.toml)",
    );
    assert!(!env.path("pwned").exists());
    env.write(
        ".cellmage/config.toml",
        "[models.m]\napi_key_cmd = 'touch pwned; echo k'\n",
    );
    env.run(&["-m", "m", "hi"]).fails(
        2,
        "[models.m] api_key_cmd is not allowed in a project config",
    );
    assert!(!env.path("pwned").exists());
}

#[test]
fn plain_http_to_another_host_warns_once_before_the_key_goes_out() {
    let env = env_with_key(None);
    let run = env.run(&[
        "--dry-run",
        "--api-base",
        "http://llm.example.com:8000/v1",
        "hi",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        "cellmage: warning: the API key is sent unencrypted (http://) to llm.example.com; use https:// for any host but this machine\n"
    );
    assert!(
        run.stdout
            .starts_with("POST http://llm.example.com:8000/v1/chat/completions\n")
    );
    assert_clean(&run);

    for base in [
        "https://llm.example.com/v1",
        "http://localhost:11434/v1",
        "http://127.0.0.1:8080/v1",
    ] {
        let run = env.run(&["--dry-run", "--api-base", base, "hi"]);
        assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{base}");
    }
    let mut keyless = TestEnv::new();
    keyless.set("CELLMAGE_API_KEY", "");
    let run = keyless.run(&["--dry-run", "--api-base", "http://llm.example.com/v1", "hi"]);
    assert_eq!(
        (run.code, run.stderr.as_str()),
        (0, ""),
        "no key, no warning"
    );
}
