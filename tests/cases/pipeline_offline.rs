//! Trying cellmage with no network: the `echo` model shows what would have been sent,
//! answers `--schema` and `cellmage review` with a minimal valid object; `--no-stdin` keeps
//! a call inside `while read` from eating the loop's input; `cellmage config` reads as words.

use crate::common::TestEnv;

#[test]
fn echo_lists_the_persona_snippets_history_and_prompt() {
    let env = TestEnv::new();
    env.write("notes.md", "# Notes\nsome text\n");
    env.run(&["--model", "echo", "--conversation", "t", "first"])
        .ok("first\n");
    let run = env.run(&[
        "--model",
        "echo",
        "-p",
        "coder",
        "--snippet",
        "notes.md",
        "--conversation",
        "t",
        "summarise this file",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.starts_with(
            "echo: nothing was sent; the request would hold:\n- system prompt (persona) ("
        ),
        "{out}"
    );
    assert!(out.contains("\n- snippet notes.md ("), "{out}");
    assert!(out.contains(" bytes, ~"), "{out}");
    assert!(out.contains("\n- history: 1 exchange (~"), "{out}");
    assert!(out.ends_with("tokens):\n\nsummarise this file\n"), "{out}");
}

#[test]
fn echo_answers_a_schema_with_a_minimal_valid_object() {
    let schema = r#"{"type":"object","required":["name","age"],"properties":{"name":{"type":"string"},"age":{"type":"integer","minimum":1}}}"#;
    TestEnv::new()
        .run(&["--model", "echo", "--schema", schema, "describe Ada"])
        .ok("{\"name\":\"\",\"age\":1}\n");
}

#[test]
fn review_with_echo_runs_the_whole_review_offline() {
    let env = TestEnv::new();
    let diff = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,1 +1,1 @@\n-x = 1\n+x = 2\n";
    let run = env.run_stdin(&["review", "--model", "echo", "--format", "json"], diff);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["findings"], serde_json::json!([]), "{out}");
}

#[test]
fn no_stdin_leaves_the_loops_input_alone() {
    let env = TestEnv::new();
    let bin = env!("CARGO_BIN_EXE_cellmage");
    let script = format!(
        "printf 'one\\ntwo\\nthree\\n' | while read w; do '{bin}' --model echo --no-stdin \"$w\"; done"
    );
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c").arg(&script);
    for (k, v) in env.cmd().get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    let got = sh.current_dir(&env.cwd).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&got.stdout), "one\ntwo\nthree\n");
    // without it, the first call takes the rest of the list as a snippet
    let script = script.replace(" --no-stdin", "");
    let mut sh = std::process::Command::new("sh");
    sh.arg("-c").arg(&script);
    for (k, v) in env.cmd().get_envs() {
        if let Some(v) = v {
            sh.env(k, v);
        }
    }
    let got = sh.current_dir(&env.cwd).output().unwrap();
    let text = String::from_utf8_lossy(&got.stdout);
    assert!(text.contains("snippet stdin"), "{text}");
    assert!(!text.contains("\nthree\n\n"), "{text}");
}

#[test]
fn no_stdin_refuses_a_dash() {
    let env = TestEnv::new();
    env.run_stdin(
        &["--model", "echo", "--no-stdin", "--snippet", "-", "hi"],
        "x",
    )
    .fails(2, "`-` reads stdin, which --no-stdin turns off");
    env.run_stdin(&["--model", "echo", "--no-stdin", "hi"], "piped")
        .ok("hi\n");
}

#[test]
fn config_reads_as_words_and_shows_what_aliases_resolve_to() {
    let mut env = TestEnv::new();
    std::fs::write(
        env.config.join("config.toml"),
        "[aliases]\nfast = \"mini\"\nmini = \"gpt-4.1-mini\"\n",
    )
    .unwrap();
    env.set("CELLMAGE_MODEL", "fast");
    let run = env.run(&["config"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains("model            fast → gpt-4.1-mini "),
        "{out}"
    );
    assert!(out.contains("provider         openai "), "{out}");
    assert!(out.contains("(from the model)"), "{out}");
    assert!(
        out.contains("conversation     a new one for each call "),
        "{out}"
    );
    assert!(out.contains("stream           yes "), "{out}");
    assert!(
        out.contains("alias            fast → mini → gpt-4.1-mini\n"),
        "{out}"
    );
    assert!(!out.contains("New"), "{out}");
}
