//! `cellmage review`: a temporary git repository, the fake server answering findings
//! (including ones outside the diff, and malformed ones), every output format, the gate.

use std::path::Path;
use std::process::Command;

use crate::common::{FakeServer, Recorded, Reply, Run, TestEnv};
use serde_json::{Value, json};

/// Runs git in `dir` with an isolated HOME and no system or global config.
pub(super) fn git(env: &TestEnv, dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub(super) fn numbered(lines: usize, changed: Option<usize>) -> String {
    (1..=lines)
        .map(|n| match changed {
            Some(c) if c == n => {
                "query = \"SELECT * FROM users WHERE name = '\" + name + \"'\"\n".to_string()
            }
            _ => format!("line {n}\n"),
        })
        .collect()
}

/// A repository with `main` (app.py, notes.txt) and a checked-out branch `feature` that
/// changes app.py line 10: the diff's hunk shows lines 7-13 of the new app.py.
pub(super) fn repo(env: &TestEnv, base_branch: &str) {
    let dir = &env.cwd;
    git(env, dir, &["init", "-q", "-b", base_branch]);
    env.write("app.py", &numbered(20, None));
    env.write("notes.txt", "notes\n");
    git(env, dir, &["add", "."]);
    git(env, dir, &["commit", "-q", "-m", "base"]);
    git(env, dir, &["checkout", "-q", "-b", "feature"]);
    env.write("app.py", &numbered(20, Some(10)));
    git(env, dir, &["commit", "-q", "-am", "change"]);
}

fn finding(file: &str, line: u64, end: Value, severity: &str, title: &str) -> Value {
    json!({"file": file, "line": line, "end_line": end, "severity": severity,
           "category": "security", "title": title,
           "explanation": "User input reaches SQL: 100% exploitable,\nsee OWASP.",
           "suggested_fix": "cursor.execute(\"SELECT * FROM users WHERE name = %s\", (name,))"})
}

/// Two findings on the change (one with an end line past its hunk), two off it.
pub(super) fn findings() -> Value {
    json!({"summary": "Not safe to merge: SQL injection.", "findings": [
        finding("app.py", 10, json!(40), "high", "SQL injection, via name"),
        finding("app.py", 2, json!(null), "critical", "Invented problem on an unchanged line"),
        finding("b/app.py", 12, json!(null), "low", "Prefer parameters"),
        finding("nowhere.py", 1, json!(null), "critical", "A file not in the change"),
    ]})
}

pub(super) fn answer(v: &Value) -> Reply {
    Reply::openai(&v.to_string())
}

fn setup(replies: Vec<Reply>) -> (FakeServer, TestEnv) {
    let server = FakeServer::start(replies);
    let env = TestEnv::new().with_server(&server);
    repo(&env, "main");
    (server, env)
}

/// The content of the request's n-th message.
fn message(req: &Recorded, n: usize) -> String {
    req.messages()[n].1.clone()
}

fn succeeded(run: &Run) -> &Run {
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    run
}

#[test]
fn the_request_has_the_persona_the_diff_and_the_findings_schema() {
    let (server, env) = setup(vec![answer(&findings())]);
    let run = env.run(&["review", "--format", "json", "focus", "on", "SQL"]);
    succeeded(&run);
    assert_eq!(
        run.stderr,
        "cellmage: review: 2 findings (1 high, 1 low); 2 findings outside the change dropped\n"
    );
    let req = server.request();
    let messages = req.messages();
    assert_eq!(messages[0].0, "system");
    assert!(
        messages[0]
            .1
            .starts_with("You are a meticulous senior code reviewer.")
    );
    let (role, diff) = &messages[1];
    assert_eq!(role, "user");
    assert!(
        diff.starts_with("File: changes.diff\n```diff\ndiff --git a/app.py b/app.py\n"),
        "{diff}"
    );
    assert!(diff.contains("\n+query = \"SELECT"), "{diff}");
    assert!(!diff.contains("notes.txt"));
    let prompt = &messages.last().unwrap().1;
    assert!(prompt.starts_with("Review the change in the diff `changes.diff` above."));
    assert!(prompt.ends_with("Further instructions: focus on SQL"));
    let format = &req.json()["response_format"];
    assert_eq!(format["type"], "json_schema");
    assert_eq!(format["json_schema"]["name"], "review_findings");
    assert_eq!(format["json_schema"]["strict"], true);
    assert_eq!(
        format["json_schema"]["schema"]["properties"]["findings"]["items"]["required"],
        json!([
            "file",
            "line",
            "end_line",
            "severity",
            "category",
            "title",
            "explanation",
            "suggested_fix"
        ])
    );
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["dropped"], 2);
    assert_eq!(out["model"], "fake-model");
    assert_eq!(out["summary"], "Not safe to merge: SQL injection.");
    let kept: Vec<(&str, u64, Value, &str, bool)> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap(),
                f["line"].as_u64().unwrap(),
                f["end_line"].clone(),
                f["severity"].as_str().unwrap(),
                f["outside_diff"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [
            ("app.py", 10, json!(13), "high", false),
            ("app.py", 12, Value::Null, "low", false),
        ]
    );
    assert_eq!(
        out["counts"],
        json!({"critical": 0, "high": 1, "medium": 0, "low": 1, "info": 0})
    );
}

#[test]
fn keep_outside_marks_instead_of_dropping_and_they_never_gate() {
    let (_server, env) = setup(vec![answer(&findings())]);
    let run = env.run(&[
        "review",
        "--format",
        "json",
        "--keep-outside",
        "--fail-on",
        "critical",
    ]);
    succeeded(&run);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["dropped"], 0);
    let marked: Vec<(&str, bool)> = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["title"].as_str().unwrap(),
                f["outside_diff"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        marked,
        [
            ("SQL injection, via name", false),
            ("Prefer parameters", false),
            ("Invented problem on an unchanged line", true),
            ("A file not in the change", true),
        ]
    );
    assert!(
        run.stderr
            .contains("2 findings outside the change, kept and marked")
    );
}

#[test]
fn markdown_is_a_pr_comment_grouped_by_severity() {
    let (_server, env) = setup(vec![answer(&findings())]);
    let run = env.run(&["review"]);
    succeeded(&run);
    let md = &run.stdout;
    assert!(md.starts_with("## cellmage review\n\nNot safe to merge: SQL injection.\n\n**2 findings (1 high, 1 low); 2 findings outside the change dropped**\n\n### High (1)\n\n#### SQL injection, via name\n\n`app.py` line 10-13 · high · security\n"), "{md}");
    assert!(md.contains("**Suggested fix:**\n\n```python\ncursor.execute("));
    assert!(md.find("### High (1)").unwrap() < md.find("### Low (1)").unwrap());
    assert!(!md.contains("Invented problem"));
    assert!(md.ends_with("<sub>Reviewed by cellmage with fake-model.</sub>\n"));
}

#[test]
fn github_annotations_are_escaped_workflow_commands() {
    let (_server, env) = setup(vec![answer(&findings())]);
    let run = env.run(&["review", "--format", "github"]);
    succeeded(&run);
    let fix = "cursor.execute(\"SELECT * FROM users WHERE name = %25s\", (name,))";
    let message = format!(
        "User input reaches SQL: 100%25 exploitable,%0Asee OWASP.%0A%0ASuggested fix:%0A{fix}"
    );
    assert_eq!(
        run.stdout,
        format!(
            "::error file=app.py,line=10,endLine=13,title=[high security] SQL injection%2C via name::{message}\n\
             ::notice file=app.py,line=12,title=[low security] Prefer parameters::{message}\n\
             ::notice title=cellmage review::2 findings outside the change dropped\n"
        )
    );
}

#[test]
fn sarif_validates_against_the_sarif_2_1_0_schema() {
    let (_server, env) = setup(vec![answer(&findings())]);
    for extra in [&[][..], &["--keep-outside"][..]] {
        let mut args = vec!["review", "--format", "sarif"];
        args.extend_from_slice(extra);
        let run = env.run(&args);
        succeeded(&run);
        let sarif: Value = serde_json::from_str(&run.stdout).unwrap();
        let schema_text = include_str!("../data/sarif-2.1.0-rtm.5.json");
        let schema: Value = serde_json::from_str(schema_text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
        assert_eq!(sarif["version"], "2.1.0");
        let run0 = &sarif["runs"][0];
        assert_eq!(run0["tool"]["driver"]["name"], "cellmage");
        let results = run0["results"].as_array().unwrap();
        let first = &results[0];
        assert_eq!(first["ruleId"], "cellmage/security");
        assert_eq!(first["level"], "error");
        assert_eq!(
            first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "app.py"
        );
        assert_eq!(
            first["locations"][0]["physicalLocation"]["region"],
            json!({"startLine": 10, "endLine": 13})
        );
        assert_eq!(results[1]["level"], "note");
        if extra.is_empty() {
            assert_eq!(results.len(), 2);
            assert_eq!(run0["properties"]["droppedFindings"], 2);
        } else {
            assert_eq!(results.len(), 4);
            assert_eq!(results[3]["kind"], "review");
        }
    }
}

#[test]
fn a_sarif_schema_violation_is_caught_by_the_test_schema() {
    // the vendored schema is strict enough to fail a wrong document
    let schema: Value =
        serde_json::from_str(include_str!("../data/sarif-2.1.0-rtm.5.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let good = json!({"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}},
        "results": [{"level": "error", "message": {"text": "x"}}]}]});
    assert!(validator.is_valid(&good));
    let mut bad = good.clone();
    bad["runs"][0]["results"][0]["level"] = json!("fatal");
    assert!(!validator.is_valid(&bad));
    let mut bad = good;
    bad["runs"][0]["results"][0]["locations"] =
        json!([{"physicalLocation": {"region": {"startLine": 0}}}]);
    assert!(!validator.is_valid(&bad));
}

#[test]
fn gitlab_code_quality_report() {
    let (_server, env) = setup(vec![answer(&findings())]);
    let run = env.run(&["review", "--format", "gitlab"]);
    succeeded(&run);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let issues = report.as_array().unwrap();
    assert_eq!(issues.len(), 2);
    let first = &issues[0];
    assert_eq!(first["check_name"], "cellmage/security");
    assert_eq!(first["severity"], "critical");
    assert_eq!(issues[1]["severity"], "minor");
    assert_eq!(
        first["location"],
        json!({"path": "app.py", "lines": {"begin": 10, "end": 13}})
    );
    assert!(
        first["description"]
            .as_str()
            .unwrap()
            .starts_with("SQL injection, via name: User input")
    );
    let fp = first["fingerprint"].as_str().unwrap();
    assert!(fp.len() == 32 && fp != issues[1]["fingerprint"].as_str().unwrap());
    // the same review gives the same fingerprints
    let again: Value =
        serde_json::from_str(&env.run(&["review", "--format", "gitlab"]).stdout).unwrap();
    assert_eq!(again[0]["fingerprint"], first["fingerprint"]);
}

#[test]
fn the_gate_exits_10_at_or_above_the_threshold_and_still_reports() {
    let (_server, env) = setup(vec![answer(&findings())]);
    let table: &[(&str, i32)] = &[
        ("never", 0),
        ("critical", 0), // the critical findings were off the change
        ("high", 10),
        ("medium", 10),
        ("low", 10),
    ];
    for (threshold, code) in table {
        let run = env.run(&["review", "--format", "github", "--fail-on", threshold]);
        assert_eq!(run.code, *code, "--fail-on {threshold}: {}", run.stderr);
        assert!(
            run.stdout.starts_with("::error file=app.py,line=10"),
            "{}",
            run.stdout
        );
        if *code == 10 {
            let want = if *threshold == "low" {
                "2 findings"
            } else {
                "1 finding"
            };
            assert!(
                run.stderr.ends_with(&format!(
                    "cellmage: error: {want} at or above {threshold} (--fail-on {threshold})\n"
                )),
                "{}",
                run.stderr
            );
        }
    }
}

#[test]
fn output_file_is_written_and_the_default_base_is_found() {
    let (server, env) = setup(vec![answer(&findings())]);
    env.write("out/old.sarif", "old");
    let run = env.run(&[
        "review",
        "--format",
        "sarif",
        "-o",
        "out/old.sarif",
        "--fail-on",
        "high",
    ]);
    assert_eq!(run.code, 10, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let written: Value =
        serde_json::from_str(&std::fs::read_to_string(env.path("out/old.sarif")).unwrap()).unwrap();
    assert_eq!(written["version"], "2.1.0");
    let leftovers: Vec<_> = std::fs::read_dir(env.path("out")).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "temp files left behind");
    assert!(server.request().messages()[1].1.contains("+query"));
}

#[test]
fn a_malformed_answer_is_retried_once_then_exit_8() {
    let (server, env) = setup(vec![
        Reply::openai("Looks good to me!"),
        answer(&findings()),
    ]);
    let run = env.run(&["review", "--format", "json"]);
    succeeded(&run);
    assert!(
        run.stderr
            .starts_with("cellmage: warning: the answer is not JSON"),
        "{}",
        run.stderr
    );
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let retry = requests[1].messages();
    assert_eq!(
        retry[retry.len() - 2],
        ("assistant".into(), "Looks good to me!".into())
    );
    assert!(retry.last().unwrap().1.contains("the answer is not JSON"));

    let bad =
        json!({"summary": "s", "findings": [{"file": "app.py", "line": 10, "severity": "urgent"}]});
    let (server, env) = setup(vec![answer(&bad)]);
    env.write("report.md", "previous");
    let run = env.run(&["review", "-o", "report.md", "--fail-on", "low"]);
    assert_eq!(run.code, 8, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cellmage: error: the answer does not match the schema"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(after one retry)"));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(
        std::fs::read_to_string(env.path("report.md")).unwrap(),
        "previous"
    );
}

#[test]
fn a_diff_on_stdin_is_reviewed_with_full_files_from_the_working_directory() {
    let server = FakeServer::start(vec![answer(&findings())]);
    let env = TestEnv::new().with_server(&server);
    env.write("app.py", &numbered(20, Some(10)));
    let diff = "--- app.py\t2024-01-01\n+++ app.py\t2024-01-02\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+query = 1\n line 11\n";
    let run = env.run_stdin(&["review", "--format", "json", "--full-files"], diff);
    succeeded(&run);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    // the hunk shows lines 9-11: line 12 is now off the change
    assert_eq!(out["findings"].as_array().unwrap().len(), 1);
    assert_eq!(out["findings"][0]["end_line"], 11);
    assert_eq!(out["dropped"], 3);
    let req = server.request();
    let file = message(&req, 1);
    assert!(
        file.starts_with("File: app.py\n```python\nline 1\n"),
        "{file}"
    );
    assert!(message(&req, 2).starts_with("File: changes.diff\n```diff\n--- app.py"));
}

#[test]
fn full_files_in_git_mode_are_the_head_versions() {
    let (server, env) = setup(vec![answer(&findings())]);
    env.write("app.py", "uncommitted\n");
    succeeded(&env.run(&["review", "--full-files", "--base", "main"]));
    let req = server.request();
    let file = message(&req, 1);
    assert!(
        file.starts_with("File: app.py\n```python\nline 1\n"),
        "{file}"
    );
    assert!(file.contains("\nquery = \"SELECT"));
    assert!(message(&req, 2).starts_with("File: changes.diff\n"));
}

#[test]
fn another_persona_can_review() {
    let (server, env) = setup(vec![answer(&findings())]);
    succeeded(&env.run(&["review", "-p", "security_reviewer", "--format", "json"]));
    let system = &server.request().messages()[0].1;
    assert!(!system.starts_with("You are a meticulous senior code reviewer."));
    assert!(system.to_lowercase().contains("security"), "{system}");
}

#[test]
fn git_problems_say_what_to_do() {
    let server = FakeServer::start(vec![answer(&findings())]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    let run = env.run(&["review"]);
    run.fails(
        2,
        "is not inside a git repository, so there is no change to review",
    );
    assert!(
        run.stderr.contains(
            "cellmage: hint: run cellmage review in a git checkout, or pipe a unified diff"
        ),
        "{}",
        run.stderr
    );
    env.run(&["review", "--worktree"])
        .fails(2, "not inside a git repository");
    repo(&env, "trunk");
    let run = env.run(&["review"]);
    run.fails(
        2,
        "cannot find the default branch: none of origin/HEAD, main, master, origin/main, origin/master exists",
    );
    assert!(
        run.stderr.contains("git fetch origin main"),
        "{}",
        run.stderr
    );
    let run = env.run(&["review", "--base", "origin/develop"]);
    run.fails(
        2,
        "--base origin/develop: no such branch, tag or commit in this repository",
    );
    assert!(
        run.stderr
            .contains("cellmage: hint: fetch it first (git fetch origin develop;"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("fatal:"), "{}", run.stderr);
    env.run(&["review", "--base=--output=x"])
        .fails(2, "is not a git ref");
    env.run_stdin(&["review"], "this is not a diff\n")
        .fails(2, "not a unified diff");
    assert!(server.requests().is_empty());
}

#[test]
fn worktree_reviews_uncommitted_changes_with_the_working_files() {
    let (server, env) = setup(vec![answer(&findings())]);
    env.write("notes.txt", "notes\nuncommitted line\n");
    succeeded(&env.run(&["review", "--worktree", "--full-files", "--format", "json"]));
    let req = server.request();
    let file = message(&req, 1);
    assert!(file.starts_with("File: notes.txt\n"), "{file}");
    assert!(file.contains("uncommitted line"), "{file}");
    let diff = message(&req, 2);
    assert!(diff.contains("+uncommitted line"), "{diff}");
    assert!(
        !diff.contains("SELECT"),
        "the committed change is not reviewed: {diff}"
    );
}

#[test]
fn staged_reviews_only_what_the_next_commit_holds() {
    let (server, env) = setup(vec![answer(&findings())]);
    env.write("notes.txt", "notes\nstaged line\n");
    git(&env, &env.cwd, &["add", "notes.txt"]);
    env.write("notes.txt", "notes\nstaged line\nunstaged line\n");
    succeeded(&env.run(&["review", "--staged", "--full-files", "--format", "json"]));
    let req = server.request();
    let file = message(&req, 1);
    assert!(
        file.contains("staged line") && !file.contains("unstaged"),
        "{file}"
    );
    let diff = message(&req, 2);
    assert!(
        diff.contains("+staged line") && !diff.contains("unstaged"),
        "{diff}"
    );
    env.run(&["review", "--staged", "--worktree"])
        .fails(2, "cannot be used with");
}

#[test]
fn an_empty_change_needs_no_call() {
    let server = FakeServer::start(vec![answer(&findings())]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    repo(&env, "main");
    let run = env.run(&[
        "review",
        "--base",
        "HEAD",
        "--format",
        "json",
        "--fail-on",
        "low",
    ]);
    succeeded(&run);
    assert!(
        run.stderr
            .starts_with("cellmage: review: the change is empty; nothing to review\n")
    );
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(out["findings"], json!([]));
    assert!(server.requests().is_empty());
}

#[test]
fn dry_run_prints_the_request_without_calling() {
    let server = FakeServer::start(vec![answer(&findings())]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    repo(&env, "main");
    let run = env.run(&["review", "--dry-run"]);
    succeeded(&run);
    assert!(run.stdout.contains("\"response_format\": {"));
    assert!(run.stdout.contains("File: changes.diff"));
    assert!(run.stdout.contains("Bearer (redacted)"));
    assert!(server.requests().is_empty());
}

#[test]
fn a_ci_checkout_without_a_local_default_branch_uses_origin_main() {
    let (server, env) = setup(vec![answer(&findings())]);
    git(
        &env,
        &env.cwd,
        &["update-ref", "refs/remotes/origin/main", "main"],
    );
    git(&env, &env.cwd, &["branch", "-q", "-D", "main"]);
    succeeded(&env.run(&["review", "--format", "json"]));
    assert!(message(&server.request(), 1).contains("\n+query = \"SELECT"));
}
