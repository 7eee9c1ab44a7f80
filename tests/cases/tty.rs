//! On a terminal: the status line shows without --stats, and a held answer (-x, -o) shows a
//! spinner on stderr while stdout gets only the final extraction. Runs the real binary under
//! util-linux `script`, which gives it a pseudo-terminal.

use std::process::Command;
use std::time::Duration;

use crate::common::{FakeServer, Reply, TestEnv};

/// Runs cellmage with these arguments on a pseudo-terminal; returns what the terminal showed.
pub fn on_a_tty(env: &TestEnv, args: &[&str]) -> (i32, String) {
    let inner = env.cmd();
    let mut line = String::from(inner.get_program().to_str().unwrap());
    for arg in args {
        line.push_str(&format!(" '{}'", arg.replace('\'', r"'\''")));
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
