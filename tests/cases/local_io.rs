//! Local I/O failures after a successful call — writing `-o`, `--write-files`, `review -o`,
//! recording the conversation — are exit 11, not a usage error. The tests provoke them in
//! ways that fail even for root: a file name longer than the system allows, and Linux's
//! `/proc`, where no file can be created.

use crate::common::{FakeServer, Reply, TestEnv};

/// Longer than any file system's name limit (255 bytes).
fn too_long() -> String {
    format!("{}.txt", "n".repeat(300))
}

#[test]
fn output_file_that_cannot_be_written_is_exit_11() {
    let server = FakeServer::start(vec![Reply::openai("answer")]);
    let env = TestEnv::new().with_server(&server);
    let name = too_long();
    env.run(&["-o", &name, "hi"])
        .fails(11, "cellmage: error: cannot write");
}

#[cfg(target_os = "linux")]
#[test]
fn write_files_that_cannot_be_written_is_exit_11() {
    let server = FakeServer::start(vec![Reply::openai("src/a.py\n```python\nx = 1\n```\n")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--write-files", "/proc/self", "hi"]);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert!(
        run.stderr.contains("cellmage: error: cannot write"),
        "{}",
        run.stderr
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_conversation_store_that_cannot_be_written_is_exit_11() {
    let server = FakeServer::start(vec![Reply::openai("answer")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CELLMAGE_DATA_DIR", "/proc/self/cellmage-data");
    let run = env.run(&["hi"]);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cellmage: error: cannot create /proc/self/cellmage-data"),
        "{}",
        run.stderr
    );
}

#[test]
fn review_output_that_cannot_be_written_is_exit_11() {
    let body = serde_json::json!({"summary": "fine", "findings": []}).to_string();
    let server = FakeServer::start(vec![Reply::openai(&body)]);
    let env = TestEnv::new().with_server(&server);
    let diff =
        "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n";
    let name = too_long();
    let run = env.run_stdin(&["review", "-o", &name], diff);
    assert_eq!(run.code, 11, "{}", run.stderr);
    assert!(
        run.stderr.contains("cellmage: error: cannot write"),
        "{}",
        run.stderr
    );
}
