//! `cellmage review` on piped diffs in git's other shapes: mnemonic prefixes (`c/`, `w/`,
//! `i/`), `--no-prefix`, and non-ASCII renamed paths.

use std::process::Command;

use super::review::{answer, findings, numbered, repo};
use crate::common::{FakeServer, TestEnv};
use serde_json::{Value, json};

/// `git diff` with these options in the test repository (isolated from any git config).
fn diff(env: &TestEnv, options: &[&str]) -> String {
    let out = Command::new("git")
        .args(options)
        .current_dir(&env.cwd)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &env.home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("run git");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// The review of `diff` on stdin as JSON: (kept finding lines, dropped count).
fn review(env: &TestEnv, diff: &str) -> (Vec<(String, u64)>, u64) {
    let run = env.run_stdin(&["review", "--format", "json"], diff);
    assert_eq!(run.code, 0, "stderr: {}", run.stderr);
    let out: Value = serde_json::from_str(&run.stdout).unwrap();
    let kept = out["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    (kept, out["dropped"].as_u64().unwrap())
}

#[test]
fn mnemonic_and_missing_prefixes_keep_the_findings_on_the_change() {
    let shapes: [&[&str]; 4] = [
        &["diff", "main...feature"],
        &["-c", "diff.mnemonicPrefix=true", "diff", "main...feature"],
        &["diff", "--no-prefix", "main...feature"],
        &["-c", "diff.noprefix=true", "diff", "main", "feature"],
    ];
    for options in shapes {
        let server = FakeServer::start(vec![answer(&findings())]);
        let env = TestEnv::new().with_server(&server);
        repo(&env, "main");
        let text = diff(&env, options);
        let (kept, dropped) = review(&env, &text);
        assert_eq!(kept.len(), 2, "{options:?}: {kept:?}\n{text}");
        assert_eq!(dropped, 2, "{options:?}");
    }
    // the work tree against the index, and the index against HEAD, with mnemonic prefixes
    for (options, staged) in [
        (&["-c", "diff.mnemonicPrefix=true", "diff"][..], false),
        (
            &["-c", "diff.mnemonicPrefix=true", "diff", "--cached"][..],
            true,
        ),
    ] {
        let server = FakeServer::start(vec![answer(&findings())]);
        let env = TestEnv::new().with_server(&server);
        repo(&env, "main");
        env.write(
            "app.py",
            &numbered(20, Some(3)).replace("line 10\n", "changed 10\n"),
        );
        if staged {
            super::review::git(&env, &env.cwd, &["add", "app.py"]);
        }
        let text = diff(&env, options);
        assert!(
            text.contains(if staged {
                "+++ i/app.py"
            } else {
                "+++ w/app.py"
            }),
            "{text}"
        );
        let (kept, _) = review(&env, &text);
        assert!(!kept.is_empty(), "{options:?}: {kept:?}\n{text}");
    }
}

#[test]
fn a_non_ascii_renamed_path_is_reviewed() {
    let server = FakeServer::start(vec![answer(&json!({"summary": "ok", "findings": [
        {"file": "日本語.py", "line": 10, "end_line": null, "severity": "low",
         "category": "style", "title": "Name", "explanation": "x", "suggested_fix": "y"},
    ]}))]);
    let env = TestEnv::new().with_server(&server);
    let text = "diff --git a/x.py b/日本語.py\nsimilarity index 90%\nrename from x.py\nrename to 日本語.py\n--- a/x.py\n+++ b/日本語.py\n@@ -9,3 +9,3 @@\n line 9\n-line 10\n+query = 1\n line 11\n";
    let (kept, dropped) = review(&env, text);
    assert_eq!((kept, dropped), (vec![("日本語.py".to_string(), 10)], 0));
}
