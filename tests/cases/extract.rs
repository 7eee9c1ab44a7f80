//! `-x/--extract`: only the selected code reaches stdout; no match is exit 3.

use crate::common::{FakeServer, Reply, TestEnv};

const TWO_BLOCKS: &str = "Intro\n```python\nprint(1)\n```\nBetween\n```sh\nls -l\n```\nOutro";

#[test]
fn first_block_by_default() {
    TestEnv::new()
        .run(&["--model", "echo", "-x", TWO_BLOCKS])
        .ok("print(1)\n");
}

#[test]
fn selectors_last_all_index_and_language() {
    let env = TestEnv::new();
    let cases = [
        ("--extract=first", "print(1)\n"),
        ("--extract=last", "ls -l\n"),
        ("--extract=all", "print(1)\n\nls -l\n"),
        ("--extract=2", "ls -l\n"),
        ("-x=SH", "ls -l\n"),
        ("--extract=bash", "ls -l\n"),
        ("--extract=py", "print(1)\n"),
    ];
    for (flag, want) in cases {
        let run = env.run(&["--model", "echo", flag, TWO_BLOCKS]);
        assert_eq!((run.code, run.stdout.as_str()), (0, want), "{flag}");
    }
}

#[test]
fn no_block_at_all_is_exit_3_without_fallback() {
    let run = TestEnv::new().run(&["--model", "echo", "-x", "just prose, no code"]);
    run.fails(3, "the answer has no code blocks");
    assert_eq!(run.stdout, "");
}

#[test]
fn no_matching_block_says_how_many_there_were() {
    let env = TestEnv::new();
    let run = env.run(&["--model", "echo", "--extract=rust", TWO_BLOCKS]);
    run.fails(
        3,
        "no code block tagged rust to extract: the answer has 2 code blocks (python, sh)",
    );
    assert_eq!(run.stdout, "");
    env.run(&["--model", "echo", "--extract=3", TWO_BLOCKS])
        .fails(3, "no code block number 3");
}

#[test]
fn a_bad_selector_is_a_usage_error_before_any_call() {
    let server = FakeServer::start(vec![Reply::openai("x")]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.run(&["--extract=0", "hi"])
        .fails(2, "indexes start at 1");
    env.run(&["--extract=", "hi"]).fails(2, "needs a selector");
    assert!(server.requests().is_empty());
}

#[test]
fn a_streamed_answer_is_held_and_only_the_code_printed() {
    let server = FakeServer::start(vec![Reply::openai_stream(&[
        "Sure:\n``",
        "`rust\nfn main() {}\n",
        "```\nThat is all.",
    ])]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["-x", "write", "main"]).ok("fn main() {}\n");
}

#[test]
fn longer_fences_hold_shorter_ones_and_tildes_work() {
    let answer = "Docs:\n````markdown\n```python\nx = 1\n```\n````\n~~~toml\n[a]\n~~~\n";
    let server = FakeServer::start(vec![Reply::openai(answer)]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["--no-stream", "--extract=all", "go"])
        .ok("```python\nx = 1\n```\n\n[a]\n");
}

#[test]
fn an_unterminated_last_fence_runs_to_the_end() {
    let server = FakeServer::start(vec![Reply::openai("Code:\n```c\nint x;\nint y;")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["-x", "go"]).ok("int x;\nint y;\n");
}

#[test]
fn crlf_answers_give_lf_code() {
    let server = FakeServer::start(vec![Reply::openai("A:\r\n```py\r\na = 1\r\n```\r\n")]);
    let env = TestEnv::new().with_server(&server);
    env.run(&["-x", "go"]).ok("a = 1\n");
}

#[test]
fn a_truncated_answer_prints_the_extraction_and_exits_4() {
    let server = FakeServer::start(vec![Reply::openai_stream_finish(
        &["```py\nfor i in range(3):\n", "    print("],
        "length",
    )]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["-x", "go"]);
    run.fails(4, "cut off by the token limit");
    assert_eq!(run.stdout, "for i in range(3):\n    print(\n");
}

#[test]
fn allow_truncated_accepts_the_extraction_with_a_warning() {
    let server = FakeServer::start(vec![Reply::openai_finish("```\nhalf\n", "length")]);
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["--no-stream", "-x", "--allow-truncated", "go"]);
    assert_eq!((run.code, run.stdout.as_str()), (0, "half\n"));
    assert!(
        run.stderr
            .contains("cellmage: warning: the answer was cut off"),
        "{}",
        run.stderr
    );
}

#[test]
fn finds_fences_inside_list_items_and_block_quotes() {
    let cases = [
        ("1. Step\n\n    ```bash\n    ls\n    ```\n", "ls\n"),
        ("> ```py\n> x = 1\n> ```\n", "x = 1\n"),
    ];
    for (answer, want) in cases {
        let server = FakeServer::start(vec![Reply::openai(answer)]);
        let env = TestEnv::new().with_server(&server);
        env.run(&["-x", "write it"]).ok(want);
    }
}
