//! Remote context sources through the real binary: every spec form of the table, against a
//! fake API for each service, reached through the documented variables; each error class.

use crate::common::api::{FakeApi, Route, fixture, typed};
use crate::common::{FakeServer, Reply, TestEnv, refused_url};

/// The user messages the model received.
fn sent(server: &FakeServer) -> String {
    server
        .request()
        .messages()
        .into_iter()
        .map(|(_, content)| content)
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn github_api() -> FakeApi {
    let diff = "diff --git a/file1.txt b/file1.txt\n--- a/file1.txt\n+++ b/file1.txt\n@@ -1 +1,2 @@\n a\n+b\n";
    FakeApi::start(vec![
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347",
            typed(200, "text/plain", diff),
        )
        .when_header("Accept", "application/vnd.github.diff"),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347",
            fixture(200, "github-pull.json"),
        ),
        Route::prefix(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347/comments",
            fixture(200, "github-review-comments.json"),
        ),
        Route::prefix(
            "GET",
            "/repos/octocat/Hello-World/issues/1347/comments",
            fixture(200, "github-issue-comments.json"),
        ),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/issues/1347",
            fixture(200, "github-issue-of-pull.json"),
        ),
        Route::prefix(
            "GET",
            "/repos/octocat/Hello-World/issues/7/comments",
            Reply::json(200, serde_json::json!([])),
        ),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/issues/7",
            fixture(200, "github-issue.json"),
        ),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/contents/src/lib.rs?ref=main",
            typed(
                200,
                "application/vnd.github.raw+json",
                "pub fn answer() -> u32 { 42 }\n",
            ),
        ),
    ])
}

fn github_env(api: &FakeApi, server: &FakeServer) -> TestEnv {
    let mut env = TestEnv::new().with_server(server);
    env.set("GITHUB_API_URL", &api.url());
    env.set("GITHUB_TOKEN", "ghp_secret_token_0123456789");
    env
}

#[test]
fn github_pull_request_by_url_and_by_short_form() {
    for spec in [
        "https://github.com/octocat/Hello-World/pull/1347",
        "gh:octocat/Hello-World#1347",
    ] {
        let api = github_api();
        let server = FakeServer::start(vec![Reply::openai("ok")]);
        let env = github_env(&api, &server);
        env.run(&["--snippet", spec, "review this"]).ok("ok\n");
        let text = sent(&server);
        for want in [
            "File: gh:octocat/Hello-World#1347",
            "# Pull request #1347: Amazing new feature",
            "- Branches: master ← octocat:new-topic",
            "+++ b/file1.txt",
            "Great stuff!",
            "Me too",
        ] {
            assert!(text.contains(want), "{spec}: missing {want:?} in\n{text}");
        }
        for r in api.requests() {
            assert_eq!(
                r.header("Authorization"),
                Some("Bearer ghp_secret_token_0123456789")
            );
        }
    }
}

#[test]
fn github_issue_and_file() {
    let api = github_api();
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = github_env(&api, &server);
    env.run(&[
        "--snippet",
        "https://github.com/octocat/Hello-World/issues/7",
        "--snippet",
        "https://github.com/octocat/Hello-World/blob/main/src/lib.rs",
        "q",
    ])
    .ok("ok\n");
    let text = sent(&server);
    assert!(text.contains("# Issue #1347: Found a bug"), "{text}");
    assert!(text.contains("- Labels: bug"), "{text}");
    assert!(
        text.contains("File: gh:octocat/Hello-World@main/src/lib.rs\n```rust\npub fn answer()"),
        "{text}"
    );
}

#[test]
fn snippets_show_prints_what_a_source_adds_and_never_the_token() {
    let api = github_api();
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = github_env(&api, &server);
    let run = env.run(&["snippets", "show", "gh:octocat/Hello-World#7"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("File: gh:octocat/Hello-World#7\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("# Issue #1347: Found a bug"));
    let verbose = env.run(&["-v", "snippets", "show", "gh:octocat/Hello-World#7"]);
    assert_eq!(verbose.code, 0, "{}", verbose.stderr);
    assert!(
        verbose.stderr.contains("Authorization: Bearer (redacted)"),
        "{}",
        verbose.stderr
    );
    assert!(!verbose.stderr.contains("ghp_secret") && !verbose.stdout.contains("ghp_secret"));
}

#[test]
fn dry_run_fetches_the_sources_and_says_so() {
    let api = github_api();
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let env = github_env(&api, &server);
    let run = env.run(&["--dry-run", "--snippet", "gh:octocat/Hello-World#7", "q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cellmage: dry run: fetching gh:octocat/Hello-World#7"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("Found a bug"), "{}", run.stdout);
    assert!(server.requests().is_empty());
    assert!(api.hits() > 0);
}

#[test]
fn gitlab_merge_request_and_issue_with_nested_groups() {
    let base = "/api/v4/projects/grp%2Fsub%2Fproj";
    let api = FakeApi::start(vec![
        Route::prefix(
            "GET",
            &format!("{base}/merge_requests/1/diffs"),
            fixture(200, "gitlab-diffs.json"),
        ),
        Route::prefix(
            "GET",
            &format!("{base}/merge_requests/1/notes"),
            fixture(200, "gitlab-notes.json"),
        ),
        Route::exact(
            "GET",
            &format!("{base}/merge_requests/1"),
            fixture(200, "gitlab-mr.json"),
        ),
        Route::prefix(
            "GET",
            &format!("{base}/issues/6/notes"),
            fixture(200, "gitlab-notes.json"),
        ),
        Route::exact(
            "GET",
            &format!("{base}/issues/6"),
            fixture(200, "gitlab-issue.json"),
        ),
    ]);
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("GITLAB_URL", "https://gitlab.example.com");
    env.set("CI_API_V4_URL", &format!("{}/api/v4", api.url()));
    env.set("CI_JOB_TOKEN", "job-token-0123456789");
    env.run(&[
        "--snippet",
        "https://gitlab.example.com/grp/sub/proj/-/merge_requests/1",
        "--snippet",
        "gl:grp/sub/proj#6",
        "q",
    ])
    .ok("ok\n");
    let text = sent(&server);
    for want in [
        "File: gl:grp/sub/proj!1",
        "- Branches: test1 → master",
        "+++ b/README",
        "Text of the comment",
        "File: gl:grp/sub/proj#6",
        "# Issue #6: Issues with auth",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("JOB-TOKEN") == Some("job-token-0123456789"))
    );
}

#[test]
fn jira_cloud_issue_by_key_and_browse_url() {
    let api = FakeApi::start(vec![Route::prefix(
        "GET",
        "/rest/api/3/issue/PROJ-123",
        fixture(200, "jira-cloud-issue.json"),
    )]);
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("JIRA_URL", &api.url());
    env.set("JIRA_USER_EMAIL", "me@example.com");
    env.set("JIRA_API_TOKEN", "atlassian-token");
    let browse = format!("{}/browse/PROJ-123", api.url());
    env.run(&["--snippet", "jira:PROJ-123", "--snippet", &browse, "q"])
        .ok("ok\n");
    let text = sent(&server);
    assert_eq!(text.matches("File: jira:PROJ-123").count(), 2, "{text}");
    assert!(text.contains("Steps to **reproduce**"), "{text}");
    assert_eq!(
        api.requests()[0].header("Authorization"),
        Some("Basic bWVAZXhhbXBsZS5jb206YXRsYXNzaWFuLXRva2Vu")
    );
}

#[test]
fn jql_on_server_reads_at_most_jql_max_issues() {
    let api = FakeApi::start(vec![Route::prefix(
        "GET",
        "/rest/api/2/search",
        fixture(200, "jira-server-search.json"),
    )]);
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("JIRA_URL", &api.url());
    env.set("JIRA_PAT", "pat-0123456789");
    env.run(&[
        "--jql-max",
        "3",
        "--snippet",
        "jql:assignee = currentUser()",
        "q",
    ])
    .ok("ok\n");
    assert!(sent(&server).contains("File: jira:DC-7"));
    let r = &api.requests()[0];
    assert!(
        r.path
            .starts_with("/rest/api/2/search?jql=assignee%20%3D%20currentUser%28%29&maxResults=3&"),
        "{}",
        r.path
    );
    assert_eq!(r.header("Authorization"), Some("Bearer pat-0123456789"));
}

#[test]
fn confluence_page_by_id_and_url() {
    let api = FakeApi::start(vec![Route::prefix(
        "GET",
        "/wiki/rest/api/content/98765",
        fixture(200, "confluence-page.json"),
    )]);
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let mut env = TestEnv::new().with_server(&server);
    env.set("JIRA_URL", &api.url());
    env.set("CONFLUENCE_PAT", "cpat-0123456789");
    let url = format!("{}/wiki/spaces/ENG/pages/98765/Deploy+runbook", api.url());
    env.run(&["--snippet", "confluence:98765", "--snippet", &url, "q"])
        .ok("ok\n");
    let text = sent(&server);
    assert_eq!(text.matches("File: confluence:98765").count(), 2, "{text}");
    assert!(
        text.contains("```bash\nmake deploy ENV=prod && echo <done>\n```"),
        "{text}"
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("Authorization") == Some("Bearer cpat-0123456789"))
    );
}

#[test]
fn web_pages_become_markdown_follow_redirects_and_refuse_binary() {
    let api = FakeApi::start(vec![
        Route::exact(
            "GET",
            "/old",
            Reply::status(301, "").with_header("Location", "/page"),
        ),
        Route::exact(
            "GET",
            "/page",
            typed(
                200,
                "text/html; charset=utf-8",
                "<html><head><title>T</title><script>x()</script></head><body><nav>menu</nav><main><h1>Guide</h1><p>See <a href=\"https://example.org\">this</a>.</p></main></body></html>",
            ),
        ),
        Route::exact(
            "GET",
            "/data.json",
            typed(200, "application/json", "{\"a\": 1}"),
        ),
        Route::exact(
            "GET",
            "/file.pdf",
            typed(200, "application/pdf", "%PDF-1.7"),
        ),
    ]);
    let server = FakeServer::start(vec![Reply::openai("ok")]);
    let env = TestEnv::new().with_server(&server);
    let (old, json) = (
        format!("{}/old", api.url()),
        format!("{}/data.json", api.url()),
    );
    env.run(&["--snippet", &old, "--snippet", &json, "q"])
        .ok("ok\n");
    let text = sent(&server);
    assert!(
        text.contains("# Guide\n\nSee [this](https://example.org)."),
        "{text}"
    );
    assert!(!text.contains("menu") && !text.contains("x()"), "{text}");
    assert!(text.contains("{\"a\": 1}"), "{text}");
    let looping = FakeApi::start(vec![Route::exact(
        "GET",
        "/loop",
        Reply::status(302, "").with_header("Location", "/loop"),
    )]);
    let url = format!("{}/loop", looping.url());
    env.run(&["--snippet", &url, "q"])
        .fails(8, "too many redirects");
    assert_eq!(looping.hits(), 6, "the first request and 5 redirects");
    let pdf = format!("{}/file.pdf", api.url());
    env.run(&["--snippet", &pdf, "q"])
        .fails(2, "is application/pdf, not text");
}

#[test]
fn each_error_class_has_its_exit_code() {
    let api = FakeApi::start(vec![
        Route::prefix(
            "GET",
            "/repos/o/r/issues/1",
            Reply::json(401, serde_json::json!({"message": "Bad credentials"})),
        ),
        Route::prefix(
            "GET",
            "/repos/o/r/issues/2",
            Reply::json(
                403,
                serde_json::json!({"message": "API rate limit exceeded"}),
            )
            .with_header("x-ratelimit-remaining", "0"),
        ),
    ]);
    let server = FakeServer::start(vec![Reply::openai("never")]).allow_unused();
    let mut env = TestEnv::new().with_server(&server);
    env.set("GITHUB_API_URL", &api.url());
    let auth = env.run(&["--snippet", "gh:o/r#1", "q"]);
    auth.fails(5, "GitHub refused access to gh:o/r#1 (HTTP 401)");
    assert!(
        auth.stderr.contains("hint: set GITHUB_TOKEN or GH_TOKEN"),
        "{}",
        auth.stderr
    );
    env.run(&["--snippet", "gh:o/r#2", "q"])
        .fails(6, "GitHub rate limit reached");
    env.run(&["--snippet", "gh:o/r#3", "q"])
        .fails(2, "GitHub: gh:o/r#3 not found (HTTP 404)");
    env.run(&["--snippet", "gh:o/r", "q"])
        .fails(2, "bad snippet spec \"gh:o/r\"");
    env.run(&["--snippet", "jira:PROJ-1", "q"])
        .fails(2, "jira:PROJ-1 needs JIRA_URL");
    let mut offline = TestEnv::new().with_server(&server);
    offline.set("GITHUB_API_URL", &refused_url());
    offline.set("CELLMAGE_RETRIES", "0");
    offline
        .run(&["--snippet", "gh:o/r#1", "q"])
        .fails(7, "cannot connect");
    assert!(server.requests().is_empty());
}
