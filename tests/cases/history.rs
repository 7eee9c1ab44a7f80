//! `cellmage history`: list, show, export, import (ours and CellMage's), delete, undo, clear.

use crate::common::{FakeServer, Reply, TestEnv};

fn file(env: &TestEnv, name: &str) -> std::path::PathBuf {
    env.data.join("conversations").join(format!("{name}.jsonl"))
}

/// Records one exchange per prompt with the offline echo model (answer = prompt).
fn record(env: &TestEnv, name: &str, prompts: &[&str]) {
    for (i, prompt) in prompts.iter().enumerate() {
        let path = format!("prompt-{name}-{i}.txt");
        env.write(&path, prompt);
        let run = env.run(&[
            "--model",
            "echo",
            "--conversation",
            name,
            "--prompt-file",
            &path,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

const TRICKY: &str = "# A heading\n\n---\n\n```python\nprint('x')\n```\n\n````\n```\n````\n**You:**\n---\ntrailing spaces   \n\n";

#[test]
fn list_shows_each_conversation() {
    let env = TestEnv::new();
    env.run(&["history", "list"]).ok("");
    record(
        &env,
        "kv",
        &["write a key-value store\nwith TTL", "add type hints"],
    );
    record(&env, "other", &["hello"]);
    let run = env.run(&["history", "list"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert!(lines[0].starts_with("NAME"), "{}", lines[0]);
    assert!(lines[0].contains("UPDATED") && lines[0].contains("FIRST PROMPT"));
    let kv = lines.iter().find(|l| l.starts_with("kv ")).unwrap();
    let cols: Vec<&str> = kv
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(cols[0], "kv");
    assert!(cols[1].ends_with('Z'), "{kv}");
    assert_eq!(
        &cols[2..],
        ["2", "echo", "$0.000000", "write a key-value store…"]
    );
}

#[test]
fn list_reports_a_damaged_file_after_the_good_ones() {
    let env = TestEnv::new();
    record(&env, "good", &["hello"]);
    std::fs::write(file(&env, "bad"), "not a header\n{}\n").unwrap();
    let run = env.run(&["history", "list"]);
    assert!(
        run.stdout.lines().any(|l| l.starts_with("good ")),
        "{}",
        run.stdout
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains(&file(&env, "bad").display().to_string()),
        "{}",
        run.stderr
    );
}

#[test]
fn show_prints_a_transcript() {
    let env = TestEnv::new();
    record(&env, "kv", &["first question", "second question"]);
    let run = env.run(&["history", "show", "kv"]);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""));
    let out = &run.stdout;
    assert!(out.starts_with("conversation kv (id "), "{out}");
    assert!(out.contains("2 exchanges"), "{out}");
    assert!(out.contains("── exchange 1 · "), "{out}");
    assert!(out.contains("echo (echo)"), "{out}");
    let first = out.find("[user]\nfirst question\n").unwrap();
    let answer = out.find("[assistant]\nfirst question\n").unwrap();
    let second = out.find("[user]\nsecond question\n").unwrap();
    assert!(first < answer && answer < second, "{out}");
}

#[test]
fn unknown_names_are_usage_errors() {
    let env = TestEnv::new();
    for cmd in ["show", "export", "delete", "undo", "clear"] {
        env.run(&["history", cmd, "missing"])
            .fails(2, "no conversation named \"missing\"");
    }
    env.run(&["history", "show", "../x"])
        .fails(2, "invalid conversation name");
}

fn round_trip(format: &str) {
    let env = TestEnv::new();
    record(
        &env,
        "kv",
        &[TRICKY, "no trailing newline", "\n\nleading blank lines"],
    );
    let original = std::fs::read(file(&env, "kv")).unwrap();
    let export = env.run(&["history", "export", "kv", "--format", format]);
    assert_eq!((export.code, export.stderr.as_str()), (0, ""));
    let path = env.write(&format!("kv.{format}"), &export.stdout);

    env.run(&["history", "delete", "kv"]).ok("deleted kv\n");
    assert!(!file(&env, "kv").exists());
    env.run(&["history", "import", path.to_str().unwrap()])
        .ok("imported 3 exchanges as kv\n");
    assert_eq!(std::fs::read(file(&env, "kv")).unwrap(), original);

    env.run(&["history", "import", path.to_str().unwrap(), "--as", "copy"])
        .ok("imported 3 exchanges as copy\n");
    let again = env.run(&["history", "export", "copy", "--format", format]);
    assert_eq!(again.stdout, export.stdout.replace("kv", "copy"));
}

#[test]
fn markdown_export_then_import_round_trips_exactly() {
    round_trip("md");
}

#[test]
fn json_export_then_import_round_trips_exactly() {
    round_trip("json");
}

#[test]
fn markdown_export_is_readable() {
    let env = TestEnv::new();
    record(&env, "kv", &["make a function"]);
    let out = env.run(&["history", "export", "kv"]).stdout;
    assert!(
        out.starts_with("---\nformat: cellmage-conversation\nversion: 1\n"),
        "{out}"
    );
    assert!(
        out.contains("\n**You:**\n\n```\nmake a function\n```\n"),
        "{out}"
    );
    assert!(
        out.contains("\n**assistant:**\n\n```\nmake a function\n```\n"),
        "{out}"
    );
}

#[test]
fn import_refuses_to_overwrite() {
    let env = TestEnv::new();
    record(&env, "kv", &["one"]);
    let export = env.run(&["history", "export", "kv"]).stdout;
    let path = env.write("kv.md", &export);
    let before = std::fs::read(file(&env, "kv")).unwrap();
    env.run(&["history", "import", path.to_str().unwrap()])
        .fails(2, "a conversation named \"kv\" already exists");
    assert_eq!(std::fs::read(file(&env, "kv")).unwrap(), before);
    env.run(&["history", "import", "nothing-here.md"])
        .fails(2, "cannot read nothing-here.md");
    let junk = env.write("junk.md", "just some notes\n");
    env.run(&["history", "import", junk.to_str().unwrap()])
        .fails(2, "no conversation found");
}

const CELLMAGE: &str = "---
model_name: gpt-4o
persona_name: coder
saved_at: '2025-05-07T10:11:12.000000'
session_id: 3f2a9c
total_messages: 5
total_tokens: 321
turns: 2
---

# Conversation on May 07, 2025

**system:**

You are a careful coder.

---

**You:**

Write a function.

**Assistant:**

```python
def f():
    pass
```
---
that line above is content

---

**You:**

Now add a docstring.

**assistant:**

Done.

---
";

#[test]
fn imports_cellmage_notebook_markdown_and_continues_it() {
    let server = FakeServer::start(vec![Reply::openai_stream(&["more"])]);
    let env = TestEnv::new().with_server(&server);
    let path = env.write("notebook-session.md", CELLMAGE);
    env.run(&["history", "import", path.to_str().unwrap()])
        .ok("imported 2 exchanges as notebook-session\n");
    env.run(&["--conversation", "notebook-session", "and tests"])
        .ok("more\n");
    let sent = server.request().messages();
    let pair = |r: &str, c: &str| (r.to_string(), c.to_string());
    assert_eq!(
        sent,
        [
            pair("system", "You are a careful coder."),
            pair("user", "Write a function."),
            pair(
                "assistant",
                "```python\ndef f():\n    pass\n```\n---\nthat line above is content"
            ),
            pair("user", "Now add a docstring."),
            pair("assistant", "Done."),
            pair("user", "and tests"),
        ]
    );
    let json = env.run(&["history", "export", "notebook-session", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["id"], "3f2a9c");
    assert_eq!(value["exchanges"][0]["model"], "gpt-4o");
    assert_eq!(value["exchanges"][0]["persona"], "coder");
}

#[test]
fn undo_drops_the_last_exchange_and_clear_keeps_the_conversation() {
    let env = TestEnv::new();
    record(&env, "kv", &["one", "two", "three"]);
    env.run(&["history", "undo", "kv"])
        .ok("dropped exchange 3 of kv\n");
    let json = env
        .run(&["history", "export", "kv", "--format", "json"])
        .stdout;
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    let answers: Vec<&str> = value["exchanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["answer"].as_str().unwrap())
        .collect();
    assert_eq!(answers, ["one", "two"]);

    env.run(&["history", "clear", "kv"])
        .ok("cleared kv (2 exchanges dropped)\n");
    assert!(file(&env, "kv").exists());
    env.run(&["history", "undo", "kv"])
        .fails(2, "conversation kv has no exchange to undo");
    record(&env, "kv", &["fresh"]);
    let show = env.run(&["history", "show", "kv"]).stdout;
    assert!(show.contains("1 exchanges"), "{show}");
    assert!(!show.contains("[user]\none\n"), "{show}");
}

#[test]
fn delete_removes_the_conversation_and_its_lock() {
    let env = TestEnv::new();
    record(&env, "kv", &["one"]);
    record(&env, "keep", &["two"]);
    env.run(&["history", "delete", "kv"]).ok("deleted kv\n");
    let left: Vec<String> = std::fs::read_dir(env.data.join("conversations"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut left = left;
    left.sort();
    assert_eq!(left, ["keep.jsonl", "keep.lock"]);
    env.run(&["-c", "--model", "echo", "next"]).ok("next\n");
    assert!(!file(&env, "kv").exists());
}

#[test]
fn imports_a_cellmage_export_with_crlf_line_endings() {
    let env = TestEnv::new();
    let path = env.write("crlf-session.md", &CELLMAGE.replace('\n', "\r\n"));
    env.run(&["history", "import", path.to_str().unwrap()])
        .ok("imported 2 exchanges as crlf-session\n");
    let json = env.run(&["history", "export", "crlf-session", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["id"], "3f2a9c");
    assert_eq!(value["exchanges"][0]["model"], "gpt-4o");
    assert_eq!(value["exchanges"][1]["answer"], "Done.");
    assert_eq!(
        value["exchanges"][0]["messages"][1]["content"],
        "Write a function."
    );
}
