//! Prompt sources: words, --prompt-file, piped stdin as a snippet or as the prompt.

use crate::common::{FakeServer, Reply, TestEnv};

fn server() -> FakeServer {
    FakeServer::start(vec![Reply::openai("ok")])
}

fn pair(role: &str, content: &str) -> (String, String) {
    (role.to_string(), content.to_string())
}

#[test]
fn words_are_joined_by_spaces() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.run(&["write", "a", "parser"]).ok("ok\n");
    assert_eq!(
        server.request().messages(),
        [pair("user", "write a parser")]
    );
}

#[test]
fn prompt_file_and_prompt_file_from_stdin() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.write("p.txt", "from a file\n");
    env.run(&["--prompt-file", "p.txt"]).ok("ok\n");
    env.run_stdin(&["--prompt-file", "-"], "from stdin")
        .ok("ok\n");
    let reqs = server.requests();
    assert_eq!(reqs[0].messages(), [pair("user", "from a file\n")]);
    assert_eq!(reqs[1].messages(), [pair("user", "from stdin")]);
}

#[test]
fn piped_stdin_is_a_snippet_before_the_prompt() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.run_stdin(&["check", "this"], "diff --git a b\n")
        .ok("ok\n");
    assert_eq!(
        server.request().messages(),
        [
            pair("user", "File: stdin\n```\ndiff --git a b\n```"),
            pair("user", "check this")
        ]
    );
}

#[test]
fn stdin_alone_is_the_prompt() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.run_stdin(&[], "explain closures").ok("ok\n");
    assert_eq!(
        server.request().messages(),
        [pair("user", "explain closures")]
    );
}

#[test]
fn empty_stdin_counts_as_no_stdin() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.run_stdin(&["hi"], "").ok("ok\n");
    assert_eq!(server.request().messages(), [pair("user", "hi")]);
}

#[test]
fn empty_prompt_is_exit_2_and_sends_nothing() {
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.run(&[]).fails(2, "the prompt is empty");
    env.run_stdin(&["   "], "  \n")
        .fails(2, "the prompt is empty");
    env.write("empty.txt", "");
    env.run(&["--prompt-file", "empty.txt"])
        .fails(2, "the prompt is empty");
    assert!(server.requests().is_empty());
}

#[test]
fn missing_prompt_file_names_it() {
    let env = TestEnv::new();
    env.run(&["--prompt-file", "nope.txt"]).fails(2, "nope.txt");
}

#[test]
fn a_prompt_starting_with_a_subcommand_name_follows_a_double_dash() {
    let server = server();
    let env = TestEnv::new().with_server(&server);
    env.run(&["--", "review", "this", "code"]).ok("ok\n");
    assert_eq!(
        server.request().messages(),
        [pair("user", "review this code")]
    );
}
