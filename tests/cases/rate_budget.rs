//! The shared rate budget: processes calling one provider with one key share what the
//! server's headers say, a 429's Retry-After, and the configured `rate_limit`.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::common::rate_limited::{Flavour, RateLimitedServer};
use crate::common::{FakeServer, Reply, TestEnv};

/// 64 invocations at once against a server that allows 10 requests per 2 s: every one
/// succeeds and the server sees almost no 429 (the minimum wall time is 12.8 s).
#[test]
fn sixty_four_processes_share_the_budget() {
    let server = RateLimitedServer::start(Flavour::OpenAi, 10, Duration::from_secs(2));
    let mut env = TestEnv::new();
    env.set("CELLMAGE_API_BASE", &server.server.url());
    let started = Instant::now();
    let children: Vec<_> = (0..64)
        .map(|i| {
            env.cmd()
                .args(["--retries", "2", &format!("call {i}")])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    let codes: Vec<(i32, String)> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            (
                out.status.code().unwrap_or(-1),
                String::from_utf8_lossy(&out.stderr).into_owned(),
            )
        })
        .collect();
    let elapsed = started.elapsed();
    let failed: Vec<&(i32, String)> = codes.iter().filter(|(c, _)| *c != 0).collect();
    assert!(
        failed.is_empty(),
        "{} failed: {:?}",
        failed.len(),
        failed.first()
    );
    assert_eq!(server.ok(), 64);
    assert!(
        server.limited() <= 5,
        "{} answers were 429",
        server.limited()
    );
    eprintln!(
        "64 processes, 10 per 2 s: {:.1} s, {} × 429",
        elapsed.as_secs_f64(),
        server.limited()
    );
}

/// A 429 with Retry-After holds the next process too, which says so with -v.
#[test]
fn a_cooldown_is_shared_between_processes() {
    let server = FakeServer::start(vec![
        Reply::json(
            429,
            serde_json::json!({"error": {"message": "slow down", "type": "rate_limit_error"}}),
        )
        .with_header("Retry-After", "2"),
        Reply::openai("fine"),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--retries", "0", "hi"])
        .fails(6, "rate limited (HTTP 429)");
    let started = Instant::now();
    let run = env.run(&["-v", "--retries", "0", "hi"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "fine\n");
    assert!(
        run.stderr.contains("rate budget: waiting")
            && run.stderr.contains("the server asked to retry later"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() >= Duration::from_millis(900));
    assert_eq!(server.hits(), 2);
}

/// `rate_limit = { rpm = N }` holds calls to a server that sends no headers; a call whose
/// budget frees up only after its total timeout fails at once with exit 6, unsent.
#[test]
fn configured_rpm_is_enforced_across_processes() {
    for (config, model_table) in [
        ("rate_limit = { rpm = 2 }\n", false),
        (
            "[models.local]\nname = \"fake-model\"\nrate_limit = { rpm = 2, tpm = 100000 }\n",
            true,
        ),
    ] {
        let server = FakeServer::start(vec![Reply::openai("ok")]);
        let mut env = TestEnv::new().with_server(&server);
        env.set("CELLMAGE_TOTAL_TIMEOUT", "5");
        std::fs::write(env.config.join("config.toml"), config).unwrap();
        let args: &[&str] = if model_table {
            &["-m", "local", "hi"]
        } else {
            &["hi"]
        };
        env.run(args).ok("ok\n");
        env.run(args).ok("ok\n");
        let started = Instant::now();
        env.run(args).fails(6, "the rate budget frees up only in");
        assert!(started.elapsed() < Duration::from_secs(4));
        assert_eq!(server.hits(), 2, "{config}");
    }
}

/// The budget's file is named by a hash and holds no key.
#[test]
fn the_budget_file_holds_no_key() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["hi"]).ok("ok\n");
    let files: Vec<_> = std::fs::read_dir(env.data.join("budget"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("openai-") && name.ends_with(".json"),
        "{name}"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(
        !text.contains("sk-test-key") && !name.contains("sk-test"),
        "{text}"
    );
}

/// On a terminal, a wait for the budget shows as it counts down, then is cleared.
#[test]
fn a_wait_shows_on_a_terminal() {
    let server = FakeServer::start(vec![
        Reply::json(
            429,
            serde_json::json!({"error": {"message": "slow down", "type": "rate_limit_error"}}),
        )
        .with_header("Retry-After", "1"),
        Reply::openai("fine"),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--retries", "0", "hi"]).fails(6, "rate limited");
    let (code, screen) = super::tty::on_a_tty(&env, &["--retries", "0", "hi"]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("waiting for the rate budget: ")
            && screen.contains("the server asked to retry later"),
        "{screen}"
    );
    assert!(screen.contains("fine"), "{screen}");
}
