//! Conversations belong to projects (the git top level, else the working directory); `-c`,
//! `history list` and `history prune` work per project; `history show` reuses an answer;
//! the `history` setting decides which calls leave a file.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Run, TestEnv};

/// Two projects: `repo` (a git top level, calls run in its `src/`) and `plain`.
fn two_projects() -> (TestEnv, PathBuf, PathBuf) {
    let env = TestEnv::new();
    let repo = env.root().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::create_dir_all(repo.join("src")).unwrap();
    let plain = env.root().join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    (env, repo, plain)
}

fn run_in(env: &TestEnv, dir: &Path, args: &[&str]) -> Run {
    Run::from(env.cmd().current_dir(dir).args(args).output().unwrap())
}

/// `history list --json` as values.
fn listed(env: &TestEnv, dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["history", "list", "--json"];
    args.extend_from_slice(extra);
    let run = run_in(env, dir, &args);
    assert_eq!((run.code, run.stderr.as_str()), (0, ""), "{}", run.stdout);
    serde_json::from_str::<Value>(&run.stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn pause() {
    // modification times order the conversations
    std::thread::sleep(std::time::Duration::from_millis(20));
}

#[test]
fn continue_and_list_stay_in_the_project() {
    let (env, repo, plain) = two_projects();
    let src = repo.join("src");
    run_in(&env, &src, &["-m", "echo", "in the repo"]).ok("in the repo\n");
    pause();
    run_in(&env, &plain, &["-m", "echo", "elsewhere"]).ok("elsewhere\n");
    pause();
    // -c in the repo continues the repo's conversation, not the more recent one
    run_in(&env, &repo, &["-c", "-m", "echo", "again"]).ok_ending("\nagain\n");
    let here = listed(&env, &src, &[]);
    assert_eq!(here.len(), 1, "{here:?}");
    assert_eq!(here[0]["exchanges"], 2);
    assert_eq!(here[0]["last_prompt"], "again");
    assert_eq!(here[0]["project"], repo.to_str().unwrap());
    assert_eq!(listed(&env, &plain, &[])[0]["last_prompt"], "elsewhere");
    let all = listed(&env, &plain, &["--all"]);
    assert_eq!(all.len(), 2);
    assert_eq!(listed(&env, &plain, &["--all", "-n", "1"]).len(), 1);
    let table = run_in(&env, &plain, &["history", "list", "--all"]);
    assert!(table.stdout.starts_with("NAME "), "{}", table.stdout);
    assert!(table.stdout.contains("PROJECT"), "{}", table.stdout);
    assert!(
        table.stdout.contains(repo.to_str().unwrap()),
        "{}",
        table.stdout
    );
    let only = run_in(&env, &plain, &["history", "list"]);
    assert!(!only.stdout.contains("PROJECT"), "{}", only.stdout);
    // a project with no conversation has nothing to continue
    let empty = env.root().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    run_in(&env, &empty, &["-c", "-m", "echo", "x"])
        .fails(2, "there is no conversation in this project");
}

#[test]
fn a_named_conversation_from_another_project_works_and_warns() {
    let (env, repo, plain) = two_projects();
    run_in(&env, &repo, &["-m", "echo", "--conversation", "kv", "one"]).ok("one\n");
    run_in(&env, &repo, &["-m", "echo", "--conversation", "kv", "two"]).ok_ending("\ntwo\n");
    let run = run_in(
        &env,
        &plain,
        &["-m", "echo", "--conversation", "kv", "three"],
    );
    assert!(
        run.code == 0 && run.stdout.ends_with("\nthree\n"),
        "{run:?}"
    );
    let warnings: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(warnings.len(), 1, "{}", run.stderr);
    assert!(
        warnings[0].starts_with("cellmage: warning: conversation kv belongs to project"),
        "{}",
        run.stderr
    );
    assert_eq!(listed(&env, &repo, &[])[0]["exchanges"], 3);
}

const ANSWER: &str = "Here:\n\nsrc/a.py\n```python\nprint('a')\n```\n\nand\n\n```sh\nls\n```\n";

#[test]
fn show_reuses_the_last_answer_as_a_call_would() {
    let env = TestEnv::new();
    env.write("prompt.md", "first");
    env.run(&[
        "-m",
        "echo",
        "--conversation",
        "kv",
        "--prompt-file",
        "prompt.md",
    ]);
    env.write("prompt.md", ANSWER);
    env.run(&["-m", "echo", "--prompt-file", "prompt.md"]);
    // no name: the latest conversation of the project
    let run = env.run(&["history", "show"]);
    assert!(run.stdout.contains("1 exchanges"), "{}", run.stdout);
    env.run(&["history", "show", "--last"]).ok(ANSWER);
    env.run(&["history", "show", "kv", "--last"]).ok("first\n");
    env.run(&["history", "show", "--last", "-x=sh"]).ok("ls\n");
    env.run(&["history", "show", "--last", "-x=rust"])
        .fails(3, "");
    env.run(&["history", "show", "--last", "-x=python", "-o", "out/a.py"])
        .fails(2, "");
    env.run(&[
        "history",
        "show",
        "--last",
        "-x=python",
        "-o",
        "out/a.py",
        "--mkdir",
    ])
    .ok("");
    assert_eq!(
        std::fs::read_to_string(env.path("out/a.py")).unwrap(),
        "print('a')\n"
    );
    let run = env.run(&["history", "show", "--last", "--write-files", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(env.path("src/a.py")).unwrap(),
        "print('a')\n"
    );
    env.run(&["history", "show", "--last", "--write-files", "."])
        .fails(2, "");
    env.run(&["history", "show", "--last", "--write-files", ".", "--force"]);
}

fn names(env: &TestEnv, extra: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = listed(env, &env.cwd, extra)
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn prune_removes_old_unnamed_conversations() {
    let env = TestEnv::new();
    env.run(&["-m", "echo", "--conversation", "keep-me", "named"]);
    for i in 0..3 {
        pause();
        env.run(&["-m", "echo", &format!("one-off {i}")]);
    }
    assert_eq!(names(&env, &[]).len(), 4);
    let run = env.run(&["history", "prune", "--keep", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.ends_with("pruned 2 conversations\n"),
        "{}",
        run.stdout
    );
    assert_eq!(names(&env, &[]).len(), 2);
    env.run(&["history", "prune", "--older-than", "1h"])
        .ok("pruned 0 conversations\n");
    pause();
    let run = env.run(&["history", "prune", "--older-than", "1ms", "--named"]);
    assert!(
        run.stdout.ends_with("pruned 2 conversations\n"),
        "{}",
        run.stdout
    );
    assert!(names(&env, &[]).is_empty());
    env.run(&["history", "prune", "--older-than", "soon"])
        .fails(2, "invalid --older-than");
    let run = env.run(&["history", "prune"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn the_history_setting_decides_what_is_recorded() {
    let mut env = TestEnv::new();
    std::fs::write(env.config.join("config.toml"), "history = \"named\"\n").unwrap();
    env.run(&["-m", "echo", "one-off"]).ok("one-off\n");
    env.run(&["-m", "echo", "--conversation", "kv", "kept"])
        .ok("kept\n");
    assert_eq!(names(&env, &[]), ["kv"]);
    let json = env.run(&["-m", "echo", "--json", "x"]);
    let value: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["conversation"], Value::Null);
    env.set("CELLMAGE_HISTORY", "off");
    env.run(&["-m", "echo", "--conversation", "kv", "not kept"])
        .ok_ending("\nnot kept\n");
    assert_eq!(listed(&env, &env.cwd, &[])[0]["exchanges"], 1);
    let config = env.run(&["config"]).stdout;
    assert!(
        config.lines().any(|l| l.starts_with("history")
            && l.contains("off")
            && l.contains("CELLMAGE_HISTORY")),
        "{config}"
    );
    env.set("CELLMAGE_HISTORY", "sometimes");
    env.run(&["-m", "echo", "x"]).fails(2, "CELLMAGE_HISTORY");
}
