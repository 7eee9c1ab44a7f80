//! The remote sources' requests, sent to the path-routing fake API, and the canned bodies of
//! each API rendered: the requests land on the documented routes with the documented
//! headers, pagination follows `Link`, and failures classify as the exit codes need.

use cellmage::context::remote::{ApiRequest, Auth, ErrorClass, classify, next_link};
use cellmage::context::{confluence, github, gitlab, jira, web};
use cellmage::secret::Secret;

use crate::common::Reply;
use crate::common::api::{FakeApi, Route, fixture, typed};

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

fn send(req: &ApiRequest) -> Response {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let mut rb = agent.get(&req.url);
    for (k, v) in &req.headers {
        rb = rb.header(k.as_str(), v.as_str());
    }
    if let Some(auth) = &req.auth {
        let (k, v) = auth.header();
        rb = rb.header(k.as_str(), v.as_str());
    }
    let mut resp = rb.call().expect("fake API reachable");
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    Response {
        status: resp.status().as_u16(),
        headers,
        body: resp.body_mut().read_to_string().unwrap(),
    }
}

#[test]
fn github_pull_request_json_diff_and_paged_comments() {
    let diff = "diff --git a/file1.txt b/file1.txt\n--- a/file1.txt\n+++ b/file1.txt\n@@ -1 +1,2 @@\n a\n+b\n";
    let api = FakeApi::start(vec![
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347",
            typed(200, "text/plain; charset=utf-8", diff),
        )
        .when_header("Accept", github::DIFF),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347",
            fixture(200, "github-pull.json"),
        ),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/issues/1347/comments?per_page=100",
            Reply::json(200, serde_json::json!([])),
        ),
        Route::exact(
            "GET",
            "/repos/octocat/Hello-World/pulls/1347/comments?per_page=100",
            fixture(200, "github-review-comments.json"),
        ),
    ]);
    let token = Auth::Bearer(Secret::new("ghp_test_token_123"));
    let repo = github::Repo {
        api: &api.url(),
        owner: "octocat",
        repo: "Hello-World",
        auth: Some(&token),
    };
    let pr = send(&repo.pull(1347));
    let diff_text = send(&repo.pull_diff(1347));
    let comments = send(&repo.issue_comments(1347));
    let reviews = send(&repo.review_comments(1347));
    assert_eq!(
        [pr.status, diff_text.status, comments.status, reviews.status],
        [200; 4]
    );
    let md = github::render_pull(
        &pr.json(),
        &diff_text.body,
        comments.json().as_array().unwrap(),
        reviews.json().as_array().unwrap(),
    );
    assert!(
        md.contains("# Pull request #1347: Amazing new feature"),
        "{md}"
    );
    assert!(
        md.contains("```diff\ndiff --git a/file1.txt b/file1.txt"),
        "{md}"
    );
    assert!(
        md.contains("on `file1.txt` line 2:\n\nGreat stuff!"),
        "{md}"
    );
    for r in api.requests() {
        assert_eq!(r.header("Authorization"), Some("Bearer ghp_test_token_123"));
        assert_eq!(r.header("X-GitHub-Api-Version"), Some("2022-11-28"));
    }
    let accepts: Vec<_> = api
        .requests_to("/repos/octocat/Hello-World/pulls/1347")
        .iter()
        .filter(|r| !r.path.contains("comments"))
        .map(|r| r.header("Accept").unwrap().to_string())
        .collect();
    assert_eq!(accepts, [github::JSON, github::DIFF]);
}

#[test]
fn github_pagination_and_rate_limit() {
    let api = FakeApi::start(vec![
        Route::exact("GET", "/repos/o/r/issues/1/comments?per_page=100", fixture(200, "github-issue-comments.json")),
        Route::prefix("GET", "/repos/o/r/issues/2", Reply::json(403, serde_json::json!({
            "message": "API rate limit exceeded for 127.0.0.1.",
            "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
        })).with_header("x-ratelimit-remaining", "0").with_header("x-ratelimit-reset", "1700000000")),
        Route::prefix("GET", "/repos/o/r/issues/3", Reply::json(401, serde_json::json!({
            "message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"
        }))),
    ]);
    let url = api.url();
    let repo = github::Repo {
        api: &url,
        owner: "o",
        repo: "r",
        auth: None,
    };
    // A Link header as GitHub sends it leads to the next page.
    let link = format!("<{url}/repos/o/r/issues/1/comments?per_page=100>; rel=\"next\"");
    assert_eq!(next_link(&link), Some(repo.issue_comments(1).url));
    assert_eq!(send(&repo.issue_comments(1)).status, 200);
    let limited = send(&repo.issue(2));
    assert_eq!(
        classify(limited.status, |h| limited.header(h)),
        ErrorClass::RateLimited
    );
    let denied = send(&repo.issue(3));
    assert_eq!(
        classify(denied.status, |h| denied.header(h)),
        ErrorClass::Auth
    );
    let missing = send(&repo.issue(4));
    assert_eq!(
        classify(missing.status, |h| missing.header(h)),
        ErrorClass::NotFound
    );
}

#[test]
fn gitlab_merge_request_with_nested_groups() {
    let base = "/api/v4/projects/grp%2Fsub%2Fproj/merge_requests/1";
    let api = FakeApi::start(vec![
        Route::exact("GET", base, fixture(200, "gitlab-mr.json")),
        Route::exact(
            "GET",
            &format!("{base}/diffs?per_page=100"),
            fixture(200, "gitlab-diffs.json"),
        ),
        Route::prefix(
            "GET",
            &format!("{base}/notes"),
            fixture(200, "gitlab-notes.json"),
        ),
    ]);
    let token = Auth::Header {
        name: "JOB-TOKEN",
        token: Secret::new("job-token-value"),
    };
    let api_base = format!("{}/api/v4", api.url());
    let project = gitlab::Project {
        api: &api_base,
        path: "grp/sub/proj",
        auth: Some(&token),
    };
    let (mr, diffs, notes) = (
        send(&project.merge_request(1)),
        send(&project.diffs(1)),
        send(&project.merge_request_notes(1)),
    );
    assert_eq!([mr.status, diffs.status, notes.status], [200; 3]);
    let md = gitlab::render_merge_request(
        &mr.json(),
        diffs.json().as_array().unwrap(),
        notes.json().as_array().unwrap(),
    );
    assert!(md.contains("- Branches: test1 → master"), "{md}");
    assert!(md.contains("+++ b/README\n@@ -1 +1 @@"), "{md}");
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("JOB-TOKEN") == Some("job-token-value"))
    );
}

#[test]
fn jira_cloud_issue_and_search() {
    let api = FakeApi::start(vec![
        Route::prefix(
            "GET",
            "/rest/api/3/issue/PROJ-123",
            fixture(200, "jira-cloud-issue.json"),
        ),
        Route::prefix(
            "GET",
            "/rest/api/3/search/jql",
            fixture(200, "jira-cloud-search.json"),
        ),
    ]);
    let auth = Auth::Basic {
        user: "me@example.com".into(),
        token: Secret::new("atlassian-token"),
    };
    let url = api.url();
    let site = jira::Site {
        base: &url,
        flavour: jira::Flavour::Cloud,
        auth: Some(&auth),
    };
    let issue = send(&site.issue("PROJ-123"));
    assert!(jira::render_issue(&issue.json()).contains("- Status: In Progress"));
    let search = send(&site.search("project = PROJ", 10));
    assert_eq!(jira::search_issues(&search.json()).len(), 1);
    let reqs = api.requests();
    assert!(
        reqs[1]
            .path
            .starts_with("/rest/api/3/search/jql?jql=project%20%3D%20PROJ&maxResults=10&fields=")
    );
    // base64("me@example.com:atlassian-token")
    assert_eq!(
        reqs[0].header("Authorization"),
        Some("Basic bWVAZXhhbXBsZS5jb206YXRsYXNzaWFuLXRva2Vu")
    );
}

#[test]
fn jira_server_search_and_confluence_page() {
    let api = FakeApi::start(vec![
        Route::prefix(
            "GET",
            "/rest/api/2/search",
            fixture(200, "jira-server-search.json"),
        ),
        Route::exact(
            "GET",
            "/wiki/rest/api/content/98765?expand=body.storage,version,space",
            fixture(200, "confluence-page.json"),
        ),
    ]);
    let pat = Auth::Bearer(Secret::new("pat-value"));
    let url = api.url();
    let site = jira::Site {
        base: &url,
        flavour: jira::Flavour::Server,
        auth: Some(&pat),
    };
    let search = send(&site.search("assignee = currentUser()", 5));
    assert!(jira::render_issue(&jira::search_issues(&search.json())[0]).contains("h2. Impact"));
    let wiki = format!("{url}/wiki");
    let page = send(
        &confluence::Site {
            base: &wiki,
            auth: Some(&pat),
        }
        .page("98765"),
    );
    let md = confluence::render_page(&page.json(), &wiki);
    assert!(
        md.contains("```bash\nmake deploy ENV=prod && echo <done>\n```"),
        "{md}"
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| r.header("Authorization") == Some("Bearer pat-value"))
    );
}

#[test]
fn web_page_types() {
    let api = FakeApi::start(vec![
        Route::exact(
            "GET",
            "/page",
            typed(
                200,
                "text/html; charset=utf-8",
                "<title>T</title><main><h1>Doc</h1><p>x</p></main><nav>n</nav>",
            ),
        ),
        Route::exact(
            "GET",
            "/data.json",
            typed(200, "application/json", "{\"a\":1}"),
        ),
        Route::exact(
            "GET",
            "/file.pdf",
            typed(200, "application/pdf", "%PDF-1.7"),
        ),
    ]);
    let get = |path: &str| send(&ApiRequest::get(format!("{}{path}", api.url()), None));
    let page = get("/page");
    assert_eq!(
        web::body_kind(page.header("content-type").as_deref()),
        Some(web::Body::Html)
    );
    assert_eq!(web::html_to_markdown(&page.body), "# Doc\n\nx");
    let json = get("/data.json");
    assert_eq!(
        web::body_kind(json.header("content-type").as_deref()),
        Some(web::Body::Text)
    );
    let pdf = get("/file.pdf");
    assert_eq!(web::body_kind(pdf.header("content-type").as_deref()), None);
}
