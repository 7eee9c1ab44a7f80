//! What a mistake on the command line reads like: clap's whole report on one line, hints
//! that name the subcommand's help, `--` for a prompt that starts with a subcommand's name,
//! the `-x` selector without its `=`, counts in the singular, `-o -`, and `--json` on
//! failure.

use serde_json::{Value, json};

use crate::common::{FakeServer, Reply, Run, TestEnv};

fn hint(run: &Run) -> &str {
    run.stderr
        .lines()
        .find_map(|l| l.strip_prefix("cellmage: hint: "))
        .unwrap_or_default()
}

#[test]
fn clap_errors_keep_their_whole_text_and_name_the_subcommands_help() {
    let env = TestEnv::new();
    let run = env.run(&["history", "export"]);
    run.fails(
        2,
        "the following required arguments were not provided: <NAME>",
    );
    assert_eq!(hint(&run), "see cellmage history export --help");
    let run = env.run(&["review", "--format", "yaml"]);
    run.fails(
        2,
        "invalid value 'yaml' for '--format <FORMAT>' [possible values: markdown, github, sarif, gitlab, json]",
    );
    assert_eq!(hint(&run), "see cellmage review --help");
}

#[test]
fn a_prompt_that_starts_with_a_subcommand_is_told_to_put_dashes_first() {
    let env = TestEnv::new();
    let run = env.run(&["help", "me", "write", "a", "parser"]);
    run.fails(2, "unrecognized subcommand 'me'");
    assert!(
        hint(&run).contains("put -- first: cellmage -- help me write a parser"),
        "{}",
        run.stderr
    );
    let run = env.run(&["models", "are", "great"]);
    assert!(
        hint(&run).contains("cellmage -- models are great"),
        "{}",
        run.stderr
    );
    env.run(&[
        "--model", "echo", "--", "help", "me", "write", "a", "parser",
    ])
    .ok("help me write a parser\n");
}

#[test]
fn x_glued_to_its_selector_points_to_the_equals_form() {
    let run = TestEnv::new().run(&["--model", "echo", "-xpython", "hi"]);
    run.fails(
        2,
        "-xpython: the -x selector is written with an equals sign",
    );
    assert_eq!(hint(&run), "write -x=python");
}

#[test]
fn a_selector_word_after_a_bare_x_warns_that_it_became_the_prompt() {
    let env = TestEnv::new();
    let run = env.run(&["--model", "echo", "-x", "python", "\n```sh\necho hi\n```"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "echo hi\n");
    assert_eq!(
        run.stderr,
        "cellmage: warning: `-x python` takes `python` as the prompt's first word and extracts the first block; to select python write -x=python\n"
    );
    env.run(&["--model", "echo", "-x", "```sh\necho hi\n```"])
        .ok("echo hi\n");
}

#[test]
fn one_code_block_is_singular() {
    let run = TestEnv::new().run(&[
        "--model",
        "echo",
        "--write-files",
        "out",
        "```py\nx = 1\n```",
    ]);
    run.fails(3, "(the answer has 1 code block)");
}

#[test]
fn output_dash_is_stdout() {
    let env = TestEnv::new();
    env.run(&["--model", "echo", "-o", "-", "hi"]).ok("hi\n");
    env.run(&["--model", "echo", "-o", "-", "-x", "```sh\necho hi\n```"])
        .ok("echo hi\n");
    assert!(!env.path("-").exists());
}

/// Stdout holds exactly one JSON object.
fn one_object(run: &Run) -> Value {
    let mut objects = serde_json::Deserializer::from_str(&run.stdout).into_iter::<Value>();
    let first = objects.next().expect("an object").expect("JSON");
    assert!(objects.next().is_none(), "one object: {}", run.stdout);
    first
}

#[test]
fn json_failures_print_one_error_object_too() {
    let server = FakeServer::start(vec![Reply::json(
        401,
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}),
    )]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--json", "--model", "gpt-4.1-mini", "hi"]);
    assert_eq!(run.code, 5, "{}", run.stderr);
    let out = one_object(&run);
    assert_eq!(out["error"]["kind"], "auth");
    assert_eq!(out["error"]["exit_code"], 5);
    assert!(
        out["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Incorrect API key"),
        "{out}"
    );
    assert!(out["error"]["hint"].is_string(), "{out}");
    assert_eq!(out["model"], "gpt-4.1-mini");
    assert_eq!(out["provider"], "openai");
    assert!(
        run.stderr.starts_with("cellmage: error: "),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("cellmage: error:"))
            .count(),
        1
    );
}

#[test]
fn json_failure_after_an_answer_carries_the_answer_usage_and_retries() {
    let env = TestEnv::new();
    let run = env.run(&["--json", "--model", "echo", "-x=rust", "hi"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let out = one_object(&run);
    assert_eq!(out["error"]["kind"], "nothing_to_extract");
    assert_eq!(out["error"]["exit_code"], 3);
    assert_eq!(out["answer"], "hi");
    assert_eq!(out["model"], "echo");
    assert_eq!(out["retries"], 0);
    assert!(out["usage"]["output_tokens"].is_u64(), "{out}");
}

#[test]
fn json_usage_errors_are_objects_too() {
    let run = TestEnv::new().run(&["--json", "--bogus"]);
    assert_eq!(run.code, 2);
    let out = one_object(&run);
    assert_eq!(out["error"]["kind"], "usage");
    assert_eq!(
        out["error"]["message"],
        "unexpected argument '--bogus' found"
    );
    let run = TestEnv::new().run(&[
        "--json",
        "--model",
        "nope-model-xyz",
        "--provider",
        "bogus",
        "hi",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(one_object(&run)["error"]["exit_code"], 2);
}
