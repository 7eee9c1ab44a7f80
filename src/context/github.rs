//! GitHub REST: the requests for a pull request, an issue or a file, and their Markdown.
//!
//! Documented at <https://docs.github.com/en/rest>: pulls
//! (`/rest/pulls/pulls#get-a-pull-request`, custom media type `application/vnd.github.diff`
//! for the unified diff), review comments (`/rest/pulls/comments`), issues
//! (`/rest/issues/issues#get-an-issue`: a pull request is an issue with a `pull_request`
//! key), issue comments (`/rest/issues/comments`), contents
//! (`/rest/repos/contents#get-repository-content` with `application/vnd.github.raw+json`),
//! pagination by the `Link` header (`per_page` up to 100).

use std::fmt::Write as _;

use serde_json::Value;

use super::endpoints::Endpoints;
use super::spec::Remote;
use super::{Reader, Snippet, Source};

/// Pull requests, issues and files on GitHub.
pub struct GitHub;

impl Source for GitHub {
    fn kind(&self) -> &'static str {
        "github"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        super::net::claims(self, spec, reader)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> anyhow::Result<Vec<Snippet>> {
        let e = Endpoints::of(reader.vars);
        let remote = super::net::parse(spec, &e)?;
        let Remote::GitHub { owner, repo, item } = &remote else {
            unreachable!("claimed by kind")
        };
        let repo = Repo {
            api: &e.github_api,
            owner,
            repo,
            auth: e.github_auth.as_ref(),
        };
        let snippet = read(reader.fetch, &repo, item, &remote.label())?;
        super::net::taken(vec![snippet], reader)
    }

    fn variables(&self) -> &'static [&'static str] {
        &[
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "GITHUB_API_URL",
            "GITHUB_SERVER_URL",
        ]
    }

    fn fetches(&self) -> bool {
        true
    }
}
use super::remote::{
    ApiRequest, Auth, Fetch, MAX_PAGES, Origin, encode, items, section, send, send_all, text,
};
use super::spec::GitHubItem;

/// Sent with every request, as the docs recommend.
pub const API_VERSION: (&str, &str) = ("X-GitHub-Api-Version", "2022-11-28");
pub const JSON: &str = "application/vnd.github+json";
pub const DIFF: &str = "application/vnd.github.diff";
pub const RAW: &str = "application/vnd.github.raw+json";

/// The token variables, in order of preference.
pub const TOKEN_VARS: [&str; 2] = ["GITHUB_TOKEN", "GH_TOKEN"];

/// A repository on one API host.
#[derive(Clone, Debug)]
pub struct Repo<'a> {
    /// `GITHUB_API_URL`, default `https://api.github.com` (no trailing slash).
    pub api: &'a str,
    pub owner: &'a str,
    pub repo: &'a str,
    pub auth: Option<&'a Auth>,
}

impl Repo<'_> {
    fn get(&self, path: &str, accept: &str) -> ApiRequest {
        let url = format!(
            "{}/repos/{}/{}/{path}",
            self.api.trim_end_matches('/'),
            self.owner,
            self.repo
        );
        ApiRequest::get(url, self.auth)
            .header("Accept", accept)
            .header(API_VERSION.0, API_VERSION.1)
    }

    /// `GET /repos/O/R/issues/N`: an issue, or the issue side of a pull request.
    pub fn issue(&self, n: u64) -> ApiRequest {
        self.get(&format!("issues/{n}"), JSON)
    }

    /// `GET /repos/O/R/issues/N/comments`, first page of 100 (follow `Link: rel="next"`).
    pub fn issue_comments(&self, n: u64) -> ApiRequest {
        self.get(&format!("issues/{n}/comments?per_page=100"), JSON)
    }

    /// `GET /repos/O/R/pulls/N`.
    pub fn pull(&self, n: u64) -> ApiRequest {
        self.get(&format!("pulls/{n}"), JSON)
    }

    /// `GET /repos/O/R/pulls/N` with `Accept: application/vnd.github.diff`: the unified diff.
    pub fn pull_diff(&self, n: u64) -> ApiRequest {
        self.get(&format!("pulls/{n}"), DIFF)
    }

    /// `GET /repos/O/R/pulls/N/comments`: review comments, first page of 100.
    pub fn review_comments(&self, n: u64) -> ApiRequest {
        self.get(&format!("pulls/{n}/comments?per_page=100"), JSON)
    }

    /// `GET /repos/O/R/contents/PATH?ref=REF` as raw bytes.
    pub fn blob(&self, reference: &str, path: &str) -> ApiRequest {
        let path: Vec<String> = path.split('/').map(encode).collect();
        self.get(
            &format!("contents/{}?ref={}", path.join("/"), encode(reference)),
            RAW,
        )
    }
}

/// What to set when GitHub refuses.
pub const CREDENTIALS: &str = "GITHUB_TOKEN or GH_TOKEN";

/// Reads one GitHub item as a snippet labelled `label`: a pull request (its JSON, diff,
/// issue comments and review comments), an issue with its comments, or a file at a ref.
pub fn read(
    fetch: &dyn Fetch,
    repo: &Repo,
    item: &GitHubItem,
    label: &str,
) -> anyhow::Result<Snippet> {
    let origin = Origin {
        service: "GitHub",
        what: label,
        credentials: CREDENTIALS,
    };
    let json = |r: ApiRequest| send(fetch, &r, origin)?.json(label);
    let list = |r: ApiRequest| send_all(fetch, r, origin, MAX_PAGES);
    let pull = |n: u64| -> anyhow::Result<String> {
        let pr = json(repo.pull(n))?;
        let diff = send(fetch, &repo.pull_diff(n), origin)?.text(label)?;
        Ok(render_pull(
            &pr,
            &diff,
            &list(repo.issue_comments(n))?,
            &list(repo.review_comments(n))?,
        ))
    };
    let text = match item {
        GitHubItem::Pull(n) => pull(*n)?,
        GitHubItem::Number(n) | GitHubItem::Issue(n) => {
            let issue = json(repo.issue(*n))?;
            if is_pull(&issue) && matches!(item, GitHubItem::Number(_)) {
                pull(*n)?
            } else {
                render_issue(&issue, &list(repo.issue_comments(*n))?)
            }
        }
        GitHubItem::Blob { reference, path } => {
            send(fetch, &repo.blob(reference, path), origin)?.text(label)?
        }
    };
    Ok(Snippet::new("github", label, text))
}

/// Whether an issue response is the issue side of a pull request.
pub fn is_pull(issue: &Value) -> bool {
    issue.get("pull_request").is_some_and(|p| !p.is_null())
}

/// A pull request: title, state, author, base ← head, body, the diff, then the issue
/// comments and the review comments (each on its file and line).
pub fn render_pull(pr: &Value, diff: &str, comments: &[Value], reviews: &[Value]) -> String {
    let merged = pr.get("merged").and_then(Value::as_bool) == Some(true);
    let state = match (text(pr, "/state"), merged) {
        (_, true) => "merged".to_string(),
        (s, _) if pr.get("draft").and_then(Value::as_bool) == Some(true) => format!("{s} (draft)"),
        (s, _) => s.to_string(),
    };
    let mut out = format!(
        "# Pull request #{}: {}\n\n- State: {state}\n- Author: @{}\n- Branches: {} ← {}\n- URL: {}\n",
        pr.get("number").and_then(Value::as_u64).unwrap_or_default(),
        text(pr, "/title"),
        text(pr, "/user/login"),
        text(pr, "/base/ref"),
        text(pr, "/head/label"),
        text(pr, "/html_url"),
    );
    section(&mut out, "Description", text(pr, "/body"));
    let fence = super::fence_for(diff);
    section(
        &mut out,
        "Diff",
        &format!("{fence}diff\n{}\n{fence}", diff.trim_end()),
    );
    section(
        &mut out,
        "Comments",
        &comments_md(comments, |_| String::new()),
    );
    let on_line = |c: &Value| {
        let line = c
            .get("line")
            .or_else(|| c.get("original_line"))
            .and_then(Value::as_u64);
        match line {
            Some(l) => format!(" on `{}` line {l}", text(c, "/path")),
            None => format!(" on `{}`", text(c, "/path")),
        }
    };
    section(&mut out, "Review comments", &comments_md(reviews, on_line));
    out
}

/// An issue: title, state, labels, author, body, comments.
pub fn render_issue(issue: &Value, comments: &[Value]) -> String {
    let labels: Vec<&str> = items(issue, "/labels")
        .iter()
        .map(|l| {
            l.get("name")
                .and_then(Value::as_str)
                .or(l.as_str())
                .unwrap_or("")
        })
        .collect();
    let mut out = format!(
        "# Issue #{}: {}\n\n- State: {}\n- Labels: {}\n- Author: @{}\n- URL: {}\n",
        issue
            .get("number")
            .and_then(Value::as_u64)
            .unwrap_or_default(),
        text(issue, "/title"),
        text(issue, "/state"),
        if labels.is_empty() {
            "(none)".to_string()
        } else {
            labels.join(", ")
        },
        text(issue, "/user/login"),
        text(issue, "/html_url"),
    );
    section(&mut out, "Description", text(issue, "/body"));
    section(
        &mut out,
        "Comments",
        &comments_md(comments, |_| String::new()),
    );
    out
}

/// `**@login** (date) where:` then the body, for each comment.
fn comments_md(comments: &[Value], place: impl Fn(&Value) -> String) -> String {
    let mut out = String::new();
    for c in comments {
        let _ = write!(
            out,
            "**@{}** ({}){}:\n\n{}\n\n",
            text(c, "/user/login"),
            text(c, "/created_at"),
            place(c),
            text(c, "/body").trim_end()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn fixture(name: &str) -> Value {
        let path = format!("{}/tests/data/sources/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn requests_follow_the_docs() {
        let auth = Auth::Bearer(Secret::new("ghp_x"));
        let repo = Repo {
            api: "https://api.github.com/",
            owner: "octo",
            repo: "hello",
            auth: Some(&auth),
        };
        let r = repo.pull_diff(3);
        assert_eq!(r.url, "https://api.github.com/repos/octo/hello/pulls/3");
        assert!(r.headers.contains(&("Accept".into(), DIFF.into())));
        assert!(
            r.headers
                .contains(&("X-GitHub-Api-Version".into(), "2022-11-28".into()))
        );
        assert_eq!(r.auth.unwrap().header().1, "Bearer ghp_x");
        assert_eq!(
            repo.review_comments(3).url,
            "https://api.github.com/repos/octo/hello/pulls/3/comments?per_page=100"
        );
        assert_eq!(
            repo.issue_comments(3).url,
            "https://api.github.com/repos/octo/hello/issues/3/comments?per_page=100"
        );
        let blob = repo.blob("release/1.0", "src/a b.rs");
        assert_eq!(
            blob.url,
            "https://api.github.com/repos/octo/hello/contents/src/a%20b.rs?ref=release%2F1.0"
        );
        assert!(blob.headers.contains(&("Accept".into(), RAW.into())));
    }

    #[test]
    fn read_resolves_a_number_to_a_pull_request() {
        use crate::context::remote::fake::{FakeFetch, fixture, ok};
        let fetch = FakeFetch::new(vec![
            (
                "http://gh/repos/o/r/issues/1347/comments",
                ok(&fixture("github-issue-comments.json")),
            ),
            (
                "http://gh/repos/o/r/issues/1347",
                ok(&fixture("github-issue-of-pull.json")),
            ),
            ("http://gh/repos/o/r/issues/7/comments", ok("[]")),
            (
                "http://gh/repos/o/r/issues/7",
                ok(&fixture("github-issue.json")),
            ),
            (
                "http://gh/repos/o/r/pulls/1347/comments",
                ok(&fixture("github-review-comments.json")),
            ),
            (
                "http://gh/repos/o/r/pulls/1347 accept:application/vnd.github.diff",
                ok("+added\n"),
            ),
            (
                "http://gh/repos/o/r/pulls/1347",
                ok(&fixture("github-pull.json")),
            ),
            (
                "http://gh/repos/o/r/contents/src/lib.rs?ref=main",
                ok("fn main() {}\n"),
            ),
        ]);
        let repo = Repo {
            api: "http://gh",
            owner: "o",
            repo: "r",
            auth: None,
        };
        let s = read(&fetch, &repo, &GitHubItem::Number(1347), "gh:o/r#1347").unwrap();
        assert_eq!(s.label, "gh:o/r#1347");
        assert!(
            s.text.contains("# Pull request #1347") && s.text.contains("+added"),
            "{}",
            s.text
        );
        assert!(
            s.text.contains("Great stuff!") && s.text.contains("Me too"),
            "{}",
            s.text
        );
        let s = read(&fetch, &repo, &GitHubItem::Number(7), "gh:o/r#7").unwrap();
        assert!(
            s.text.starts_with("# Issue #1347: Found a bug"),
            "{}",
            s.text
        );
        let blob = GitHubItem::Blob {
            reference: "main".into(),
            path: "src/lib.rs".into(),
        };
        assert_eq!(
            read(&fetch, &repo, &blob, "gh:o/r@main/src/lib.rs")
                .unwrap()
                .text,
            "fn main() {}\n"
        );
        let err = read(&fetch, &repo, &GitHubItem::Pull(9), "gh:o/r#9").unwrap_err();
        assert_eq!(err.to_string(), "GitHub: gh:o/r#9 not found (HTTP 404)");
    }

    #[test]
    fn pull_renders_every_part() {
        let pr = fixture("github-pull.json");
        let md = render_pull(
            &pr,
            "diff --git a/src/lib.rs b/src/lib.rs\n+fn x() {}\n",
            fixture("github-issue-comments.json").as_array().unwrap(),
            fixture("github-review-comments.json").as_array().unwrap(),
        );
        for want in [
            "# Pull request #1347: Amazing new feature",
            "- State: open",
            "- Author: @octocat",
            "- Branches: master ← octocat:new-topic",
            "## Description\n\nPlease pull these awesome changes in!",
            "```diff\ndiff --git a/src/lib.rs b/src/lib.rs\n+fn x() {}\n```",
            "**@octocat** (2011-04-14T16:00:49Z):\n\nMe too",
            "on `file1.txt` line 2:\n\nGreat stuff!",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        assert!(is_pull(&fixture("github-issue-of-pull.json")));
        assert!(!is_pull(&fixture("github-issue.json")));
    }

    #[test]
    fn issue_renders_labels_and_comments() {
        let md = render_issue(
            &fixture("github-issue.json"),
            fixture("github-issue-comments.json").as_array().unwrap(),
        );
        for want in [
            "# Issue #1347: Found a bug",
            "- State: open",
            "- Labels: bug",
            "## Description\n\nI'm having a problem with this.",
            "Me too",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        let empty = render_issue(&serde_json::json!({"title": "t", "body": null}), &[]);
        assert!(empty.contains("## Description\n\n(none)"));
        assert!(empty.contains("## Comments\n\n(none)"));
    }
}
