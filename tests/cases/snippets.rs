//! Snippets: files, directories, globs, named snippets, stdin; rendering and errors.

use crate::common::{FakeServer, Reply, TestEnv};

fn contents(server: &FakeServer) -> Vec<(String, String)> {
    server.requests().last().unwrap().messages()
}

#[test]
fn a_file_is_its_own_message_with_header_and_language_fence() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("db.py", "def get():\n    return 1\n");
    env.run(&["--snippet", "db.py", "add caching"]).ok("ok\n");
    assert_eq!(
        contents(&server),
        [
            (
                "user".into(),
                "File: db.py\n```python\ndef get():\n    return 1\n```".into()
            ),
            ("user".into(), "add caching".into())
        ]
    );
}

#[test]
fn fence_is_longer_than_backticks_inside() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("README.md", "```sh\nmake\n```\n");
    env.run(&["--snippet", "README.md", "x"]).ok("ok\n");
    assert_eq!(
        contents(&server)[0].1,
        "File: README.md\n````markdown\n```sh\nmake\n```\n````"
    );
}

#[test]
fn order_is_persona_sys_snippets_snippets_prompt() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("rules.md", "be strict");
    env.write("a.rs", "fn a() {}");
    env.run(&[
        "-p",
        "code_reviewer",
        "--sys-snippet",
        "rules.md",
        "--snippet",
        "a.rs",
        "review",
    ])
    .ok("ok\n");
    let roles: Vec<String> = contents(&server).into_iter().map(|m| m.0).collect();
    assert_eq!(roles, ["system", "system", "user", "user"]);
    assert_eq!(
        contents(&server)[1].1,
        "File: rules.md\n```markdown\nbe strict\n```"
    );
}

#[test]
fn a_directory_respects_gitignore_and_skips_hidden_and_binary_files() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("proj/.gitignore", "build/\n*.log\n");
    env.write("proj/src/b.py", "b");
    env.write("proj/src/a.py", "a");
    env.write("proj/build/out.py", "ignored");
    env.write("proj/x.log", "ignored");
    env.write("proj/.secret", "hidden");
    std::fs::write(env.path("proj/img.bin"), b"\x89PNG\0\0").unwrap();
    env.run(&["--snippet", "proj", "x"]).ok("ok\n");
    let headers: Vec<String> = contents(&server)
        .iter()
        .map(|m| m.1.lines().next().unwrap().to_string())
        .collect();
    assert_eq!(headers, ["File: proj/src/a.py", "File: proj/src/b.py", "x"]);
}

#[test]
fn a_glob_and_a_named_snippet() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.write("src/one.rs", "1");
    env.write("src/two.rs", "2");
    env.write("src/three.py", "3");
    std::fs::create_dir_all(env.config.join("snippets")).unwrap();
    std::fs::write(env.config.join("snippets/style.md"), "use tabs").unwrap();
    env.run(&["--snippet", "src/*.rs", "--snippet", "style", "x"])
        .ok("ok\n");
    let headers: Vec<String> = contents(&server)
        .iter()
        .map(|m| m.1.lines().next().unwrap().to_string())
        .collect();
    assert_eq!(
        headers,
        ["File: src/one.rs", "File: src/two.rs", "File: style", "x"]
    );
    let run = env.run(&["snippets"]);
    assert!(run.stdout.starts_with("style.md"), "{}", run.stdout);
}

#[test]
fn dash_reads_stdin_as_a_snippet() {
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    env.run_stdin(&["--snippet", "-", "summarise"], "log line\n")
        .ok("ok\n");
    assert_eq!(contents(&server)[0].1, "File: stdin\n```\nlog line\n```");
}

#[test]
fn missing_binary_or_unmatched_snippets_are_exit_2_and_send_nothing() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    std::fs::write(env.path("blob.bin"), b"a\0b").unwrap();
    env.run(&["--snippet", "missing.py", "x"])
        .fails(2, "snippet not found: missing.py");
    env.run(&["--snippet", "blob.bin", "x"])
        .fails(2, "blob.bin is a binary file");
    env.run(&["--snippet", "nothing/*.zz", "x"])
        .fails(2, "no file matches");
    assert!(server.requests().is_empty());
}
