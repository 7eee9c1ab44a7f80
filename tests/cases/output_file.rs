//! `-o/--output FILE`: written atomically after a complete answer, never after a failure.

use crate::common::files::{entries, read};
use crate::common::{FakeServer, Reply, TestEnv};

#[test]
fn writes_the_answer_and_prints_nothing() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["all ", "of it"])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["-o", "answer.txt", "go"]).ok("");
    assert_eq!(read(&env.path("answer.txt")), "all of it\n");
    assert_eq!(entries(&env.cwd), ["answer.txt"]);
}

#[test]
fn writes_the_extraction() {
    let env = TestEnv::new();
    env.run(&[
        "--model",
        "echo",
        "-x",
        "-o",
        "gen.py",
        "Hi\n```python\nx = 1\n```\nbye",
    ])
    .ok("");
    assert_eq!(read(&env.path("gen.py")), "x = 1\n");
}

#[cfg(unix)]
#[test]
fn a_new_file_is_world_readable_and_an_old_one_keeps_its_mode() {
    use crate::common::files::mode;
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    env.run(&["--model", "echo", "-o", "new.txt", "one"]).ok("");
    let m = mode(&env.path("new.txt"));
    assert_eq!((m & 0o600, m & !0o644), (0o600, 0), "mode {m:o}");
    let old = env.write("run.sh", "old\n");
    std::fs::set_permissions(&old, std::fs::Permissions::from_mode(0o750)).unwrap();
    env.run(&["--model", "echo", "-o", "run.sh", "new"]).ok("");
    assert_eq!((read(&old), mode(&old)), ("new\n".to_string(), 0o750));
}

#[test]
fn a_missing_directory_is_exit_2_before_any_call() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.run(&["-o", "out/sub/a.txt", "go"])
        .fails(2, "directory out/sub does not exist");
    assert!(server.requests().is_empty());
    assert!(!env.path("out").exists());
}

#[test]
fn mkdir_creates_the_directory() {
    let env = TestEnv::new();
    env.run(&["--model", "echo", "-o", "out/sub/a.txt", "--mkdir", "hello"])
        .ok("");
    assert_eq!(read(&env.path("out/sub/a.txt")), "hello\n");
}

#[test]
fn a_directory_is_not_a_file() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("d")).unwrap();
    env.run(&["--model", "echo", "-o", "d", "x"])
        .fails(2, "is not a file name");
}

#[test]
fn a_server_error_leaves_the_old_file_untouched() {
    let server = FakeServer::start(vec![Reply::status(500, "boom")]);
    let env = TestEnv::new().with_server(&server);
    let file = env.write("keep.txt", "precious\n");
    let run = env.run(&["--retries", "0", "-o", "keep.txt", "go"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(read(&file), "precious\n");
    assert_eq!(entries(&env.cwd), ["keep.txt"]);
}

#[test]
fn an_interrupted_stream_leaves_the_old_file_untouched() {
    let server = FakeServer::start(vec![Reply::raw_sse(&[
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half\"}}]}\n\n",
    ])]);
    let env = TestEnv::new().with_server(&server);
    let file = env.write("keep.txt", "precious\n");
    let run = env.run(&["-o", "keep.txt", "go"]);
    assert_eq!(run.code, 7, "{}", run.stderr);
    assert_eq!(read(&file), "precious\n");
    assert_eq!(entries(&env.cwd), ["keep.txt"]);
}

#[test]
fn a_truncated_answer_is_printed_not_written_and_exits_4() {
    let server = FakeServer::start(vec![Reply::openai_stream_finish(
        &["cut ", "off"],
        "length",
    )]);
    let env = TestEnv::new().with_server(&server);
    let file = env.write("keep.txt", "precious\n");
    let run = env.run(&["-o", "keep.txt", "go"]);
    run.fails(4, "not written to keep.txt");
    assert_eq!(run.stdout, "cut off\n");
    assert_eq!(read(&file), "precious\n");
    assert_eq!(entries(&env.cwd), ["keep.txt"]);
}

#[test]
fn allow_truncated_writes_the_file() {
    let server = FakeServer::start(vec![Reply::openai_finish("cut off", "length")]);
    let env = TestEnv::new().with_server(&server);
    env.write("keep.txt", "precious\n");
    let run = env.run(&["--allow-truncated", "-o", "keep.txt", "go"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""), "{}", run.stderr);
    assert_eq!(read(&env.path("keep.txt")), "cut off\n");
}

#[test]
fn nothing_to_extract_leaves_the_old_file_untouched() {
    let env = TestEnv::new();
    let file = env.write("gen.py", "old = 1\n");
    let run = env.run(&["--model", "echo", "-x", "-o", "gen.py", "no code here"]);
    run.fails(3, "no code blocks");
    assert_eq!(run.stdout, "");
    assert_eq!(read(&file), "old = 1\n");
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_is_written_through() {
    let env = TestEnv::new();
    let real = env.write("real/target.txt", "old\n");
    std::os::unix::fs::symlink(&real, env.path("link.txt")).unwrap();
    env.run(&["--model", "echo", "-o", "link.txt", "new"])
        .ok("");
    assert!(env.path("link.txt").is_symlink());
    assert_eq!(read(&real), "new\n");
}
