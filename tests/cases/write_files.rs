//! `--write-files DIR`: blocks with a path above them land under DIR, all or none.

use crate::common::files::{read, tree};
use crate::common::{FakeServer, Reply, TestEnv};

const PROJECT: &str = "Here you go.\n\n### src/app.py\n```python\nprint('app')\n```\n\n`tests/test_app.py`:\n```python\nassert True\n```\n\nMakefile\n```make\nall:\n\ttrue\n```\n\nRun it:\n```sh\nmake\n```\n";

fn stderr_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().collect()
}

#[test]
fn writes_every_named_block_and_still_prints_the_answer() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("out")).unwrap();
    let run = env.run(&["--model", "echo", "--write-files", "out", PROJECT]);
    assert_eq!((run.code, run.stdout.as_str()), (0, PROJECT));
    assert_eq!(
        stderr_lines(&run.stderr),
        [
            "cellmage: wrote out/src/app.py",
            "cellmage: wrote out/tests/test_app.py",
            "cellmage: wrote out/Makefile",
        ]
    );
    assert_eq!(
        tree(&env.path("out")),
        ["Makefile", "src/app.py", "tests/test_app.py"]
    );
    assert_eq!(read(&env.path("out/src/app.py")), "print('app')\n");
    assert_eq!(read(&env.path("out/Makefile")), "all:\n\ttrue\n");
}

#[test]
fn a_missing_dir_is_created() {
    let env = TestEnv::new();
    let run = env.run(&[
        "--model",
        "echo",
        "--write-files",
        "new/dir",
        "a.txt\n```\nA\n```",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(&env.path("new/dir/a.txt")), "A\n");
}

#[test]
fn a_dir_that_is_a_file_is_exit_2_before_any_call() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.write("out", "I am a file\n");
    env.run(&["--write-files", "out", "go"])
        .fails(2, "out is not a directory");
    assert!(server.requests().is_empty());
}

/// Runs `answer` through `--write-files out` (plus `extra`) and asserts exit 2 with
/// `message`, and that `out` holds exactly `before` afterwards.
fn refused(env: &TestEnv, answer: &str, extra: &[&str], message: &str, before: &[&str]) {
    let mut args = vec!["--model", "echo", "--write-files", "out"];
    args.extend_from_slice(extra);
    args.push(answer);
    let run = env.run(&args);
    run.fails(2, message);
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
    assert_eq!(run.stdout, answer.to_string() + "\n");
    assert_eq!(tree(&env.path("out")), before);
}

#[test]
fn an_absolute_path_refuses_the_whole_set() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("out")).unwrap();
    let answer = "ok.txt\n```\nfine\n```\n/tmp/evil.txt\n```\nbad\n```";
    refused(
        &env,
        answer,
        &[],
        "\"/tmp/evil.txt\": absolute paths are not allowed",
        &[],
    );
}

#[test]
fn dot_dot_leaving_dir_refuses_the_whole_set() {
    let env = TestEnv::new();
    std::fs::create_dir(env.path("out")).unwrap();
    let answer = "ok.txt\n```\nfine\n```\n`src/../../escape.txt`\n```\nbad\n```";
    refused(
        &env,
        answer,
        &["--force"],
        "\"..\" leaves the directory",
        &[],
    );
    assert!(!env.path("escape.txt").exists());
}

#[test]
fn dot_dot_staying_inside_is_fine() {
    let env = TestEnv::new();
    let run = env.run(&[
        "--model",
        "echo",
        "--write-files",
        "out",
        "src/../b.txt\n```\nB\n```",
    ]);
    assert_eq!(run.stderr, "cellmage: wrote out/b.txt\n");
    assert_eq!(read(&env.path("out/b.txt")), "B\n");
}

#[cfg(unix)]
#[test]
fn a_symlinked_directory_leading_outside_is_refused() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("out")).unwrap();
    std::fs::create_dir_all(env.path("elsewhere")).unwrap();
    std::os::unix::fs::symlink(env.path("elsewhere"), env.path("out/src")).unwrap();
    let answer = "ok.txt\n```\nfine\n```\nsrc/app.py\n```\nbad\n```";
    refused(&env, answer, &["--force"], "src is a symlink to", &["src"]);
    assert!(tree(&env.path("elsewhere")).is_empty());
}

#[cfg(unix)]
#[test]
fn a_symlinked_file_leading_outside_is_refused_even_with_force() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("out")).unwrap();
    let secret = env.write("secret.txt", "keep\n");
    std::os::unix::fs::symlink(&secret, env.path("out/app.py")).unwrap();
    let answer = "app.py\n```\nbad\n```";
    refused(
        &env,
        answer,
        &["--force"],
        "outside the directory",
        &["app.py"],
    );
    assert_eq!(read(&secret), "keep\n");
}

#[cfg(unix)]
#[test]
fn a_symlink_staying_inside_is_followed() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("out/real")).unwrap();
    std::os::unix::fs::symlink("real", env.path("out/alias")).unwrap();
    let run = env.run(&[
        "--model",
        "echo",
        "--write-files",
        "out",
        "alias/x.txt\n```\nX\n```",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(&env.path("out/real/x.txt")), "X\n");
}

#[test]
fn an_existing_target_needs_force() {
    let env = TestEnv::new();
    env.write("out/a.txt", "old a\n");
    let answer = "b.txt\n```\nnew b\n```\na.txt\n```\nnew a\n```";
    let run = env.run(&["--model", "echo", "--write-files", "out", answer]);
    run.fails(2, "\"a.txt\": the file already exists");
    assert!(run.stderr.contains("--force"));
    assert_eq!(tree(&env.path("out")), ["a.txt"]);
    assert_eq!(read(&env.path("out/a.txt")), "old a\n");

    let run = env.run(&["--model", "echo", "--write-files", "out", "--force", answer]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read(&env.path("out/a.txt")), "new a\n");
    assert_eq!(read(&env.path("out/b.txt")), "new b\n");
}

#[test]
fn no_named_block_is_exit_3() {
    let env = TestEnv::new();
    let run = env.run(&[
        "--model",
        "echo",
        "--write-files",
        "out",
        "Code:\n```\nx\n```",
    ]);
    run.fails(3, "no code block has a file path");
    assert!(!env.path("out").exists());
}

#[test]
fn a_truncated_answer_writes_nothing() {
    let answer = "a.txt\n```\nA\n```\nb.txt\n```\nhalf";
    let server = FakeServer::start(vec![Reply::openai_stream_finish(&[answer], "length")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--write-files", "out", "go"]);
    run.fails(4, "no files written");
    assert_eq!(run.stdout, answer.to_string() + "\n");
    assert!(!env.path("out").exists());
}

#[test]
fn allow_truncated_writes_the_files() {
    let answer = "a.txt\n```\nA\n```\nb.txt\n```\nhalf";
    let server = FakeServer::start(vec![Reply::openai_stream_finish(&[answer], "length")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--write-files", "out", "--allow-truncated", "go"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(tree(&env.path("out")), ["a.txt", "b.txt"]);
    assert_eq!(read(&env.path("out/b.txt")), "half\n");
}

#[test]
fn a_failed_call_writes_nothing() {
    let server = FakeServer::start(vec![Reply::status(500, "boom")]);
    let env = TestEnv::new().with_server(&server);
    env.write("out/a.txt", "old\n");
    let run = env.run(&["--retries", "0", "--write-files", "out", "--force", "go"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert_eq!(tree(&env.path("out")), ["a.txt"]);
    assert_eq!(read(&env.path("out/a.txt")), "old\n");
}

#[test]
fn works_with_extract() {
    let env = TestEnv::new();
    let run = env.run(&["--model", "echo", "-x", "--write-files", "out", PROJECT]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "print('app')\n"));
    assert_eq!(tree(&env.path("out")).len(), 3);
}
