//! A paid answer is never lost to a local I/O failure: the answer is delivered first (stdout
//! or `-o`), then recorded. An `-o` that cannot be written sends the answer to stdout, exit
//! 11, and records nothing; a conversation that cannot be recorded still has its answer on
//! stdout, exit 11.

use std::path::Path;

use crate::common::{FakeServer, Reply, TestEnv};

const ANSWER: &str = "the-paid-answer-4711";

/// True when some file under `dir` holds `text`.
fn holds(dir: &Path, text: &str) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let path = e.path();
            if path.is_dir() {
                holds(&path, text)
            } else {
                String::from_utf8_lossy(&std::fs::read(&path).unwrap_or_default()).contains(text)
            }
        })
}

#[test]
fn an_unwritable_output_file_sends_the_answer_to_stdout_and_records_nothing() {
    let server = FakeServer::start(vec![Reply::openai(ANSWER)]);
    let env = TestEnv::new().with_server(&server);
    let name = format!("{}.txt", "n".repeat(300));
    let run = env.run(&["--conversation", "work", "-o", &name, "hi"]);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{ANSWER}\n"));
    assert!(
        run.stderr.starts_with("cellmage: error: cannot write"),
        "{}",
        run.stderr
    );
    assert!(!holds(&env.data, ANSWER), "the exchange was recorded");
}

#[cfg(target_os = "linux")]
#[test]
fn a_conversation_that_cannot_be_recorded_still_prints_the_answer() {
    let server = FakeServer::start(vec![Reply::openai(ANSWER)]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_DATA_DIR", "/proc/self/cellmage-data");
    let run = env.run(&["hi"]);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert_eq!(run.stdout, format!("{ANSWER}\n"));
}

#[test]
fn a_full_stdout_is_exit_11_and_records_nothing() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        return; // no /dev/full on this system
    };
    for reply in [Reply::openai_stream(&[ANSWER]), Reply::openai(ANSWER)] {
        let server = FakeServer::start(vec![reply]);
        let env = TestEnv::new().with_server(&server);
        let out = env
            .cmd()
            .args(["--conversation", "work", "hi"])
            .stdout(full.try_clone().unwrap())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(11), "{stderr}");
        assert!(
            stderr.starts_with("cellmage: error: cannot write the answer to stdout"),
            "{stderr}"
        );
        assert!(!holds(&env.data, ANSWER), "the exchange was recorded");
    }
}
