//! `cellmage review --pr` (the change fetched from GitHub or GitLab) and `--post` (line
//! comments and a summary published there; a second run updates the summary and repeats
//! no line comment).

use cellmage::context::post::{LineComment, SUMMARY_MARKER};
use serde_json::json;

use crate::common::api::{FakeApi, Route, fixture, typed};
use crate::common::{FakeServer, Reply, TestEnv};

const DIFF: &str = "diff --git a/app.py b/app.py\n--- a/app.py\n+++ b/app.py\n@@ -1,2 +1,3 @@\n import os\n+q = \"SELECT \" + name\n print(q)\n";

fn findings() -> Reply {
    Reply::openai(
        &json!({"summary": "Unsafe to merge.", "findings": [
            {"file": "app.py", "line": 2, "end_line": null, "severity": "high", "category": "security",
             "title": "SQL injection", "explanation": "name reaches SQL.", "suggested_fix": null}
        ]})
        .to_string(),
    )
}

/// The body cellmage posts for the finding above, hidden marker included.
fn posted() -> String {
    LineComment {
        path: "app.py".into(),
        line: 2,
        body: "**high**: SQL injection\n\nname reaches SQL.".into(),
    }
    .posted_body()
}

fn summary() -> String {
    format!("an older summary\n\n{SUMMARY_MARKER}")
}

#[test]
fn github_pull_request_reviewed_and_posted_twice_idempotently() {
    let api = FakeApi::start(vec![
        Route::exact("GET", "/repos/o/r/pulls/5", typed(200, "text/plain", DIFF))
            .when_header("Accept", "application/vnd.github.diff"),
        Route::exact(
            "GET",
            "/repos/o/r/pulls/5",
            fixture(200, "github-pull.json"),
        ),
        Route::prefix(
            "GET",
            "/repos/o/r/pulls/5/comments",
            Reply::json(200, json!([])),
        )
        .then(Reply::json(
            200,
            json!([{"id": 10, "body": posted(), "path": "app.py", "line": 2}]),
        )),
        Route::exact(
            "POST",
            "/repos/o/r/pulls/5/reviews",
            Reply::json(200, json!({"id": 80})),
        ),
        Route::prefix(
            "GET",
            "/repos/o/r/issues/5/comments",
            Reply::json(200, json!([])),
        )
        .then(Reply::json(200, json!([{"id": 77, "body": summary()}]))),
        Route::exact(
            "POST",
            "/repos/o/r/issues/5/comments",
            Reply::json(201, json!({"id": 77})),
        ),
        Route::exact(
            "PATCH",
            "/repos/o/r/issues/comments/77",
            Reply::json(200, json!({"id": 77})),
        ),
    ]);
    let server = FakeServer::start(vec![findings()]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("GITHUB_API_URL", &api.url());
    env.set("GITHUB_TOKEN", "ghp_token_0123456789");
    for _ in 0..2 {
        let run = env.run(&["review", "--pr", "https://github.com/o/r/pull/5", "--post"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(run.stdout.contains("SQL injection"), "{}", run.stdout);
    }
    // The model saw the fetched diff.
    assert!(server.requests()[0].body.contains("SELECT"));
    let writes: Vec<(String, String)> = api
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| (r.method.clone(), r.path.clone()))
        .collect();
    assert_eq!(
        writes,
        [
            ("POST".to_string(), "/repos/o/r/pulls/5/reviews".to_string()),
            (
                "POST".to_string(),
                "/repos/o/r/issues/5/comments".to_string()
            ),
            (
                "PATCH".to_string(),
                "/repos/o/r/issues/comments/77".to_string()
            ),
        ]
    );
    let review = api.requests_to("/repos/o/r/pulls/5/reviews")[0].json();
    assert_eq!(review["event"], "COMMENT");
    assert_eq!(
        review["commit_id"],
        "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    );
    assert_eq!(review["comments"][0]["path"], "app.py");
    assert_eq!(review["comments"][0]["line"], 2);
    assert_eq!(review["comments"][0]["side"], "RIGHT");
    assert_eq!(review["comments"][0]["body"], posted());
    let patch = api.requests_to("/repos/o/r/issues/comments/77")[0].json();
    assert!(patch["body"].as_str().unwrap().ends_with(SUMMARY_MARKER));
    assert!(patch["body"].as_str().unwrap().contains("Unsafe to merge."));
}

#[test]
fn gitlab_merge_request_posted_twice_idempotently() {
    let base = "/api/v4/projects/g%2Fp/merge_requests/1";
    let diffs = json!([{"old_path": "app.py", "new_path": "app.py", "a_mode": "100644", "b_mode": "100644",
        "diff": "@@ -1,2 +1,3 @@\n import os\n+q = \"SELECT \" + name\n print(q)\n",
        "new_file": false, "renamed_file": false, "deleted_file": false}]);
    let api = FakeApi::start(vec![
        Route::prefix("GET", &format!("{base}/diffs"), Reply::json(200, diffs)),
        Route::prefix(
            "GET",
            &format!("{base}/discussions"),
            Reply::json(200, json!([])),
        )
        .then(Reply::json(
            200,
            json!([{"id": "d1", "notes": [{"id": 3, "body": posted()}]}]),
        )),
        Route::exact(
            "POST",
            &format!("{base}/discussions"),
            Reply::json(201, json!({"id": "d1"})),
        ),
        Route::prefix("GET", &format!("{base}/notes"), Reply::json(200, json!([])))
            .then(Reply::json(200, json!([{"id": 9, "body": summary()}]))),
        Route::exact(
            "POST",
            &format!("{base}/notes"),
            Reply::json(201, json!({"id": 9})),
        ),
        Route::exact(
            "PUT",
            &format!("{base}/notes/9"),
            Reply::json(200, json!({"id": 9})),
        ),
        Route::exact("GET", base, fixture(200, "gitlab-mr.json")),
    ]);
    let server = FakeServer::start(vec![findings()]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("CI_API_V4_URL", &format!("{}/api/v4", api.url()));
    env.set("GITLAB_TOKEN", "glpat-0123456789");
    for _ in 0..2 {
        let run = env.run(&["review", "--pr", "gl:g/p!1", "--post"]);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let writes: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        writes,
        [
            format!("POST {base}/discussions"),
            format!("POST {base}/notes"),
            format!("PUT {base}/notes/9"),
        ]
    );
    let thread = api
        .requests_to(&format!("{base}/discussions"))
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap()
        .json();
    let pos = &thread["position"];
    assert_eq!(pos["position_type"], "text");
    assert_eq!(pos["head_sha"], "2be7ddb704c7b6b83732fdd5b9f09d5a397b5f8f");
    assert_eq!(
        (pos["new_path"].as_str(), pos["new_line"].as_u64()),
        (Some("app.py"), Some(2))
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("PRIVATE-TOKEN") == Some("glpat-0123456789"))
    );
}

#[test]
fn pr_takes_only_pull_or_merge_requests_and_post_needs_pr() {
    let server = FakeServer::start(vec![findings()]).allow_unused();
    let env = TestEnv::new().with_server(&server);
    env.run(&["review", "--pr", "jira:A-1"])
        .fails(2, "not a pull or merge request");
    let run = env.run(&["review", "--post"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
