//! On a terminal: the status line shows without --stats, and a held answer (-x, -o) shows a
//! spinner on stderr while stdout gets only the final extraction. Runs the real binary under
//! util-linux `script`, which gives it a pseudo-terminal.

use std::process::Command;
use std::time::Duration;

use crate::common::{FakeServer, Reply, TestEnv};

/// Runs cellmage with these arguments on a pseudo-terminal; returns what the terminal showed.
pub fn on_a_tty(env: &TestEnv, args: &[&str]) -> (i32, String) {
    on_a_tty_reading(env, args, None)
}

/// Like `on_a_tty`, with stdin read from a file in the working directory.
fn on_a_tty_reading(env: &TestEnv, args: &[&str], stdin: Option<&str>) -> (i32, String) {
    let inner = env.cmd();
    let mut line = String::from(inner.get_program().to_str().unwrap());
    for arg in args {
        line.push_str(&format!(" '{}'", arg.replace('\'', r"'\''")));
    }
    if let Some(file) = stdin {
        line.push_str(&format!(" < '{file}'"));
    }
    let mut cmd = Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"])
        .env_clear()
        .current_dir(&env.cwd);
    for (k, v) in inner.get_envs() {
        if let Some(v) = v {
            cmd.env(k, v);
        }
    }
    let out = cmd.output().expect("run script (util-linux)");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn slow_stream(pieces: &[&str]) -> Reply {
    match Reply::openai_stream(pieces) {
        Reply::Sse { events } => Reply::Sse {
            events: events
                .into_iter()
                .map(|(_, e)| (Duration::from_millis(20), e))
                .collect(),
        },
        other => other,
    }
}

#[test]
fn a_held_answer_shows_a_spinner_and_only_the_extraction_lands() {
    let server = FakeServer::start(vec![slow_stream(&[
        "Here:\n",
        "```python\n",
        "x = 1\n",
        "```\n",
    ])]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["-x", "-o", "out.py", "write it"]);
    assert_eq!(code, 0, "{screen}");
    assert!(
        screen.contains("receiving…"),
        "no spinner on the terminal: {screen:?}"
    );
    assert!(
        !screen.contains("Here:"),
        "the answer itself must not be shown: {screen:?}"
    );
    assert!(
        screen.contains("✓ fake-model • "),
        "status line on a terminal: {screen:?}"
    );
    assert_eq!(
        std::fs::read_to_string(env.path("out.py")).unwrap(),
        "x = 1\n"
    );
}

#[test]
fn a_streamed_answer_shows_no_spinner() {
    let server = FakeServer::start(vec![slow_stream(&["plain ", "answer"])]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["hi"]);
    assert_eq!(code, 0, "{screen}");
    assert!(screen.starts_with("plain answer"), "{screen:?}");
    assert!(!screen.contains("receiving…"), "{screen:?}");
}

#[test]
fn a_broken_stream_error_starts_on_a_new_line() {
    let server = FakeServer::start(vec![Reply::cut_stream(&["half an ", "ans"])]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["hi"]);
    assert_eq!(code, 7, "{screen}");
    assert!(
        screen.starts_with("half an ans\r\ncellmage: error: "),
        "{screen:?}"
    );
}

#[test]
fn a_truncated_or_failed_call_shows_a_cross() {
    let server = FakeServer::start(vec![
        Reply::openai_stream_finish(&["cut"], "length"),
        Reply::openai_stream(&["no code here"]),
    ]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["hi"]);
    assert_eq!(code, 4, "{screen}");
    assert!(screen.contains("✗ fake-model • "), "{screen:?}");
    assert!(!screen.contains('✓'), "{screen:?}");
    let (code, screen) = on_a_tty(&env, &["-x", "hi"]);
    assert_eq!(code, 3, "{screen}");
    assert!(screen.contains("✗ fake-model • "), "{screen:?}");
}

#[test]
fn the_spinner_ticks_while_the_model_thinks_before_its_first_byte() {
    let server = FakeServer::start(vec![
        Reply::openai_stream(&["```python\n", "x = 1\n", "```\n"])
            .after(Duration::from_millis(600)),
    ]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["-x", "think hard"]);
    assert_eq!(code, 0, "{screen}");
    let ticks = screen.matches("waiting… 0s").count();
    assert!(
        ticks >= 3,
        "the spinner must tick with no bytes arriving: {screen:?}"
    );
    assert!(
        screen.contains("\r\x1b[2K"),
        "the spinner clears its line: {screen:?}"
    );
    assert!(screen.contains("x = 1"), "{screen:?}");
}

#[test]
fn a_streamed_answer_that_is_slow_to_start_shows_the_spinner_until_it_does() {
    let server = FakeServer::start(vec![
        Reply::openai_stream(&["plain ", "answer"]).after(Duration::from_millis(1500)),
    ]);
    let env = TestEnv::new().with_server(&server);
    let (code, screen) = on_a_tty(&env, &["hi"]);
    assert_eq!(code, 0, "{screen}");
    let (before, after) = screen.split_once("plain answer").expect("the answer");
    assert!(before.contains("waiting… 1s"), "{screen:?}");
    assert!(
        before.ends_with("\r\x1b[2K"),
        "cleared before the answer: {screen:?}"
    );
    assert!(!after.contains("waiting"), "{screen:?}");
}

#[test]
fn a_review_shows_the_spinner_while_it_waits() {
    let findings = serde_json::json!({"summary": "Fine.", "findings": []});
    let server = FakeServer::start(vec![
        Reply::openai(&findings.to_string()).after(Duration::from_millis(400)),
    ]);
    let env = TestEnv::new().with_server(&server);
    env.write(
        "change.diff",
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x\n+y\n",
    );
    let (code, screen) =
        on_a_tty_reading(&env, &["review", "--format", "json"], Some("change.diff"));
    assert_eq!(code, 0, "{screen}");
    let (before, after) = screen.split_once("{").expect("the report");
    assert!(before.contains("waiting… 0s"), "{screen:?}");
    assert!(
        before.contains("\r\x1b[2K"),
        "cleared before the report: {screen:?}"
    );
    assert!(!after.contains("waiting"), "{screen:?}");
}
