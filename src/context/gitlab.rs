//! GitLab REST v4: the requests for a merge request or an issue, and their Markdown.
//!
//! Documented at <https://docs.gitlab.com/ee/api/>: merge requests
//! (`merge_requests.html#get-single-mr`, `#list-merge-request-diffs`, which replaces the
//! deprecated `/changes` since 15.7), issues (`issues.html#single-project-issue`), notes
//! (`notes.html#list-all-merge-request-notes`), project paths URL-encoded
//! (`rest/#namespaced-paths`), `PRIVATE-TOKEN` / `JOB-TOKEN` headers
//! (`rest/authentication.html`), pagination by `Link` header and `per_page` up to 100.

use std::fmt::Write as _;

use serde_json::Value;

use super::endpoints::Endpoints;
use super::spec::Remote;
use super::{Reader, Snippet, Source};

/// Merge requests and issues on GitLab.
pub struct GitLab;

impl Source for GitLab {
    fn kind(&self) -> &'static str {
        "gitlab"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        super::net::claims(self, spec, reader)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> anyhow::Result<Vec<Snippet>> {
        let e = Endpoints::of(reader.vars);
        let remote = super::net::parse(spec, &e)?;
        let Remote::GitLab { project, item } = &remote else {
            unreachable!("claimed by kind")
        };
        let project = Project {
            api: &e.gitlab_api,
            path: project,
            auth: e.gitlab_auth.as_ref(),
        };
        let snippet = read(reader.fetch, &project, item, &remote.label())?;
        super::net::taken(vec![snippet], reader)
    }

    fn variables(&self) -> &'static [&'static str] {
        &[
            "GITLAB_TOKEN",
            "CI_JOB_TOKEN",
            "CI_API_V4_URL",
            "GITLAB_URL",
            "CI_SERVER_URL",
        ]
    }

    fn fetches(&self) -> bool {
        true
    }
}
use super::remote::{
    ApiRequest, Auth, Fetch, MAX_PAGES, Origin, encode, items, section, send, send_all, text,
};
use super::spec::GitLabItem;

/// What to set when GitLab refuses.
pub const CREDENTIALS: &str = "GITLAB_TOKEN (CI_JOB_TOKEN in a CI job)";

/// Reads a merge request (with its diffs and notes) or an issue (with its notes).
pub fn read(
    fetch: &dyn Fetch,
    project: &Project,
    item: &GitLabItem,
    label: &str,
) -> anyhow::Result<Snippet> {
    let origin = Origin {
        service: "GitLab",
        what: label,
        credentials: CREDENTIALS,
    };
    let json = |r: ApiRequest| send(fetch, &r, origin)?.json(label);
    let list = |r: ApiRequest| send_all(fetch, r, origin, MAX_PAGES);
    let text = match *item {
        GitLabItem::MergeRequest(n) => render_merge_request(
            &json(project.merge_request(n))?,
            &list(project.diffs(n))?,
            &list(project.merge_request_notes(n))?,
        ),
        GitLabItem::Issue(n) => {
            render_issue(&json(project.issue(n))?, &list(project.issue_notes(n))?)
        }
    };
    Ok(Snippet::new("gitlab", label, text))
}

/// The token variables and the header each is sent in.
pub const TOKENS: [(&str, &str); 2] = [
    ("GITLAB_TOKEN", "PRIVATE-TOKEN"),
    ("CI_JOB_TOKEN", "JOB-TOKEN"),
];

/// A project on one API host.
#[derive(Clone, Debug)]
pub struct Project<'a> {
    /// `CI_API_V4_URL`, or `GITLAB_URL` + `/api/v4` (no trailing slash).
    pub api: &'a str,
    /// The full path, nested groups included.
    pub path: &'a str,
    pub auth: Option<&'a Auth>,
}

impl Project<'_> {
    fn get(&self, rest: &str) -> ApiRequest {
        let url = format!(
            "{}/projects/{}/{rest}",
            self.api.trim_end_matches('/'),
            encode(self.path)
        );
        ApiRequest::get(url, self.auth).header("Accept", "application/json")
    }

    /// `GET /projects/:id/merge_requests/:iid`.
    pub fn merge_request(&self, iid: u64) -> ApiRequest {
        self.get(&format!("merge_requests/{iid}"))
    }

    /// `GET /projects/:id/merge_requests/:iid/diffs`, first page of 100.
    pub fn diffs(&self, iid: u64) -> ApiRequest {
        self.get(&format!("merge_requests/{iid}/diffs?per_page=100"))
    }

    /// `GET /projects/:id/merge_requests/:iid/notes`, oldest first, first page of 100.
    pub fn merge_request_notes(&self, iid: u64) -> ApiRequest {
        self.get(&format!(
            "merge_requests/{iid}/notes?sort=asc&order_by=created_at&per_page=100"
        ))
    }

    /// `GET /projects/:id/issues/:iid`.
    pub fn issue(&self, iid: u64) -> ApiRequest {
        self.get(&format!("issues/{iid}"))
    }

    /// `GET /projects/:id/issues/:iid/notes`, oldest first, first page of 100.
    pub fn issue_notes(&self, iid: u64) -> ApiRequest {
        self.get(&format!(
            "issues/{iid}/notes?sort=asc&order_by=created_at&per_page=100"
        ))
    }
}

/// The diffs endpoint gives each file's hunks without the `---`/`+++` header: rebuilt here
/// into one unified diff.
pub fn unified_diff(diffs: &[Value]) -> String {
    let mut out = String::new();
    for d in diffs {
        let (old, new) = (text(d, "/old_path"), text(d, "/new_path"));
        let flag = |k: &str| d.get(k).and_then(Value::as_bool) == Some(true);
        let from = if flag("new_file") {
            "/dev/null".to_string()
        } else {
            format!("a/{old}")
        };
        let to = if flag("deleted_file") {
            "/dev/null".to_string()
        } else {
            format!("b/{new}")
        };
        let _ = write!(out, "diff --git a/{old} b/{new}\n--- {from}\n+++ {to}\n");
        let hunks = text(d, "/diff");
        out.push_str(hunks);
        if !hunks.is_empty() && !hunks.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// A merge request: title, state, author, source → target, description, diffs, notes.
pub fn render_merge_request(mr: &Value, diffs: &[Value], notes: &[Value]) -> String {
    let draft = mr.get("draft").and_then(Value::as_bool) == Some(true);
    let mut out = format!(
        "# Merge request !{}: {}\n\n- State: {}{}\n- Author: @{}\n- Branches: {} → {}\n- URL: {}\n",
        mr.get("iid").and_then(Value::as_u64).unwrap_or_default(),
        text(mr, "/title"),
        text(mr, "/state"),
        if draft { " (draft)" } else { "" },
        text(mr, "/author/username"),
        text(mr, "/source_branch"),
        text(mr, "/target_branch"),
        text(mr, "/web_url"),
    );
    section(&mut out, "Description", text(mr, "/description"));
    let diff = unified_diff(diffs);
    let fence = super::fence_for(&diff);
    section(
        &mut out,
        "Diff",
        &format!("{fence}diff\n{}\n{fence}", diff.trim_end()),
    );
    section(&mut out, "Notes", &notes_md(notes));
    out
}

/// An issue: title, state, labels, author, description, notes.
pub fn render_issue(issue: &Value, notes: &[Value]) -> String {
    let labels: Vec<&str> = items(issue, "/labels")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let mut out = format!(
        "# Issue #{}: {}\n\n- State: {}\n- Labels: {}\n- Author: @{}\n- URL: {}\n",
        issue.get("iid").and_then(Value::as_u64).unwrap_or_default(),
        text(issue, "/title"),
        text(issue, "/state"),
        if labels.is_empty() {
            "(none)".to_string()
        } else {
            labels.join(", ")
        },
        text(issue, "/author/username"),
        text(issue, "/web_url"),
    );
    section(&mut out, "Description", text(issue, "/description"));
    section(&mut out, "Notes", &notes_md(notes));
    out
}

/// User notes (system notes such as "changed the description" are left out); a note on a
/// diff line says where.
fn notes_md(notes: &[Value]) -> String {
    let mut out = String::new();
    for n in notes
        .iter()
        .filter(|n| n.get("system").and_then(Value::as_bool) != Some(true))
    {
        let place = match (
            text(n, "/position/new_path"),
            n.pointer("/position/new_line").and_then(Value::as_u64),
        ) {
            ("", _) => String::new(),
            (path, Some(line)) => format!(" on `{path}` line {line}"),
            (path, None) => format!(" on `{path}`"),
        };
        let _ = write!(
            out,
            "**@{}** ({}){place}:\n\n{}\n\n",
            text(n, "/author/username"),
            text(n, "/created_at"),
            text(n, "/body").trim_end()
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
    fn requests_encode_nested_group_paths() {
        let auth = Auth::Header {
            name: "PRIVATE-TOKEN",
            token: Secret::new("glpat-x"),
        };
        let p = Project {
            api: "https://gitlab.example.com/api/v4/",
            path: "grp/sub/proj",
            auth: Some(&auth),
        };
        assert_eq!(
            p.merge_request(5).url,
            "https://gitlab.example.com/api/v4/projects/grp%2Fsub%2Fproj/merge_requests/5"
        );
        assert_eq!(
            p.diffs(5).url,
            "https://gitlab.example.com/api/v4/projects/grp%2Fsub%2Fproj/merge_requests/5/diffs?per_page=100"
        );
        assert!(
            p.merge_request_notes(5)
                .url
                .ends_with("/merge_requests/5/notes?sort=asc&order_by=created_at&per_page=100")
        );
        assert!(
            p.issue(9)
                .url
                .ends_with("/projects/grp%2Fsub%2Fproj/issues/9")
        );
        assert!(p.issue_notes(9).url.contains("/issues/9/notes?"));
        assert_eq!(
            p.issue(9).auth.unwrap().header(),
            ("PRIVATE-TOKEN".into(), "glpat-x".into())
        );
    }

    #[test]
    fn read_fetches_the_merge_request_its_diffs_and_notes() {
        use crate::context::remote::fake::{FakeFetch, fixture, ok};
        let base = "http://gl/api/v4/projects/g%2Fs%2Fp";
        let fetch = FakeFetch::new(vec![
            (
                &format!("{base}/merge_requests/1/diffs"),
                ok(&fixture("gitlab-diffs.json")),
            ),
            (
                &format!("{base}/merge_requests/1/notes"),
                ok(&fixture("gitlab-notes.json")),
            ),
            (
                &format!("{base}/merge_requests/1"),
                ok(&fixture("gitlab-mr.json")),
            ),
            (&format!("{base}/issues/6/notes"), ok("[]")),
            (
                &format!("{base}/issues/6"),
                ok(&fixture("gitlab-issue.json")),
            ),
        ]);
        let p = Project {
            api: "http://gl/api/v4",
            path: "g/s/p",
            auth: None,
        };
        let s = read(&fetch, &p, &GitLabItem::MergeRequest(1), "gl:g/s/p!1").unwrap();
        assert!(
            s.text.contains("+++ b/VERSION") && s.text.contains("Text of the comment"),
            "{}",
            s.text
        );
        let s = read(&fetch, &p, &GitLabItem::Issue(6), "gl:g/s/p#6").unwrap();
        assert!(s.text.contains("## Notes\n\n(none)"), "{}", s.text);
        let err = read(&fetch, &p, &GitLabItem::Issue(5), "gl:g/s/p#5").unwrap_err();
        assert_eq!(err.to_string(), "GitLab: gl:g/s/p#5 not found (HTTP 404)");
    }

    #[test]
    fn merge_request_renders_every_part() {
        let md = render_merge_request(
            &fixture("gitlab-mr.json"),
            fixture("gitlab-diffs.json").as_array().unwrap(),
            fixture("gitlab-notes.json").as_array().unwrap(),
        );
        for want in [
            "# Merge request !1: test1",
            "- State: merged",
            "- Author: @admin",
            "- Branches: test1 → master",
            "## Description\n\nfixed login page css paddings",
            "```diff\ndiff --git a/README b/README\n--- a/README\n+++ b/README\n@@ -1 +1 @@\n-Title\n+README\n",
            "--- /dev/null\n+++ b/VERSION\n",
            "**@pipin** (2013-10-02T09:56:03Z):\n\nText of the comment",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
        assert!(!md.contains("closed"), "system notes are left out:\n{md}");
    }

    #[test]
    fn issue_renders_labels_and_notes() {
        let md = render_issue(
            &fixture("gitlab-issue.json"),
            fixture("gitlab-notes.json").as_array().unwrap(),
        );
        for want in [
            "# Issue #6: Issues with auth",
            "- State: opened",
            "- Labels: bug",
            "- Author: @alexander",
            "Ratione dolores corrupti mollitia soluta quia.",
            "Text of the comment",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
    }
}
