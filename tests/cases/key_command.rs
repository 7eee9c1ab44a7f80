//! `api_key_cmd` is bounded by `--timeout` and killed on interrupt: exit 2 (or 130), no
//! child left running, no request sent.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::interrupt::signal;
use crate::common::{FakeServer, Reply, TestEnv};

/// A key command that records its pid and then hangs as that same process.
const HANGS: &str = "echo $$ > key.pid; exec sleep 1000";

fn env_with(server: &FakeServer, cmd: &str) -> TestEnv {
    let mut env = TestEnv::new().with_server(server);
    env.set("CELLMAGE_API_KEY", "");
    let cmd = toml::Value::String(cmd.to_string());
    std::fs::write(
        env.config.join("config.toml"),
        format!("api_key_cmd = {cmd}\n"),
    )
    .unwrap();
    env
}

/// The pid the key command wrote, once it has.
fn key_pid(env: &TestEnv) -> Option<String> {
    let text = std::fs::read_to_string(env.path("key.pid")).ok()?;
    Some(text.trim().to_string()).filter(|p| !p.is_empty())
}

/// True while a process with this pid exists and is not a zombie.
fn running(pid: &str) -> bool {
    match std::fs::read_to_string(Path::new("/proc").join(pid).join("stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim()
            .starts_with('Z'),
        Err(_) => false,
    }
}

fn assert_gone(pid: &str) {
    let started = Instant::now();
    while running(pid) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the api_key_cmd process {pid} is still running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_hanging_api_key_cmd_is_stopped_at_the_timeout() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = env_with(&server, HANGS);
    let started = Instant::now();
    let run = env.run(&["--timeout", "1", "hi"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    run.fails(2, "api_key_cmd did not finish within 1s; it was stopped");
    assert!(run.stderr.contains("--timeout"), "{}", run.stderr);
    assert_gone(&key_pid(&env).expect("the command ran"));
    assert_eq!(server.hits(), 0);
}

#[test]
fn an_interrupt_kills_the_api_key_cmd() {
    for name in ["INT", "TERM", "HUP"] {
        let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
        let env = env_with(&server, HANGS);
        let child = env
            .cmd()
            .arg("hi")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (code, _, stderr) = signal(child, name, |_| key_pid(&env).is_some());
        assert_eq!(code, 130, "SIG{name}: {stderr}");
        assert_gone(&key_pid(&env).unwrap());
        assert_eq!(server.hits(), 0);
    }
}
