//! Publishing a review on the forge it came from (`review --pr … --post`), as requests.
//!
//! GitHub: line comments go in one pull-request review (`POST /repos/O/R/pulls/N/reviews`,
//! `event: COMMENT`, each comment on `path` + `line` with `side: RIGHT`, the new version:
//! <https://docs.github.com/en/rest/pulls/reviews#create-a-review-for-a-pull-request>); the
//! summary is an issue comment, created once and then edited
//! (<https://docs.github.com/en/rest/issues/comments#create-an-issue-comment>,
//! `#update-an-issue-comment`).
//! GitLab: each line comment is a merge-request discussion positioned on the new line
//! (`position[position_type]=text`, `base_sha`/`start_sha`/`head_sha` from the MR's
//! `diff_refs`, `new_path`, `old_path`, `new_line`:
//! <https://docs.gitlab.com/ee/api/discussions.html#create-a-new-thread-in-the-merge-request-diff>);
//! the summary is a note, created once and then edited
//! (<https://docs.gitlab.com/ee/api/notes.html#create-new-merge-request-note>,
//! `#modify-existing-merge-request-note`).
//!
//! Re-running finds cellmage's summary by [`SUMMARY_MARKER`] and each posted line comment by
//! its finding marker, so nothing is posted twice.

use serde_json::{Value, json};

use super::github::{self, Repo};
use super::gitlab::Project;
use super::remote::{ApiRequest, Method, items, text};

/// Hidden in the summary body.
pub const SUMMARY_MARKER: &str = "<!-- cellmage:review-summary -->";

/// One finding placed on a line of the new version of a file.
#[derive(Clone, Debug, PartialEq)]
pub struct LineComment {
    pub path: String,
    pub line: u64,
    pub body: String,
}

impl LineComment {
    /// `<!-- cellmage:finding:<16 hex> -->`: the same path, line and text give the same key.
    pub fn marker(&self) -> String {
        // FNV-1a, 64 bits: stable across runs and platforms.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in format!("{}\n{}\n{}", self.path, self.line, self.body.trim()).bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        format!("<!-- cellmage:finding:{hash:016x} -->")
    }

    /// The body as posted: the text, then the hidden marker.
    pub fn posted_body(&self) -> String {
        format!("{}\n\n{}", self.body.trim_end(), self.marker())
    }
}

/// The comments not already present among `posted_bodies`.
pub fn unposted<'a>(comments: &'a [LineComment], posted_bodies: &[&str]) -> Vec<&'a LineComment> {
    comments
        .iter()
        .filter(|c| {
            let m = c.marker();
            !posted_bodies.iter().any(|b| b.contains(&m))
        })
        .collect()
}

/// The summary as posted: the text, then the hidden marker.
pub fn summary_body(summary: &str) -> String {
    format!("{}\n\n{SUMMARY_MARKER}", summary.trim_end())
}

/// The id of the first comment or note whose `body` carries the summary marker.
pub fn find_summary(comments: &[Value]) -> Option<u64> {
    comments
        .iter()
        .find(|c| text(c, "/body").contains(SUMMARY_MARKER))
        .and_then(|c| c.get("id").and_then(Value::as_u64))
}

/// The bodies of every note of GitLab discussions (`GET …/discussions`).
pub fn discussion_bodies(discussions: &[Value]) -> Vec<&str> {
    discussions
        .iter()
        .flat_map(|d| items(d, "/notes"))
        .map(|n| text(n, "/body"))
        .collect()
}

impl Repo<'_> {
    fn send(&self, method: Method, path: &str, body: Value) -> ApiRequest {
        let url = format!(
            "{}/repos/{}/{}/{path}",
            self.api.trim_end_matches('/'),
            self.owner,
            self.repo
        );
        ApiRequest::get(url, self.auth)
            .header("Accept", github::JSON)
            .header(github::API_VERSION.0, github::API_VERSION.1)
            .json(method, body)
    }

    /// `POST /repos/O/R/pulls/N/reviews` with the new line comments, on `commit_id` (the
    /// pull request's `head.sha`).
    pub fn create_review(&self, n: u64, commit_id: &str, comments: &[&LineComment]) -> ApiRequest {
        let comments: Vec<Value> = comments
            .iter()
            .map(|c| json!({"path": c.path, "line": c.line, "side": "RIGHT", "body": c.posted_body()}))
            .collect();
        let body = format!(
            "cellmage: {} new finding(s) on this change.",
            comments.len()
        );
        self.send(
            Method::Post,
            &format!("pulls/{n}/reviews"),
            json!({"commit_id": commit_id, "body": body, "event": "COMMENT", "comments": comments}),
        )
    }

    /// `POST /repos/O/R/issues/N/comments`: the summary, the first time.
    pub fn create_summary(&self, n: u64, summary: &str) -> ApiRequest {
        self.send(
            Method::Post,
            &format!("issues/{n}/comments"),
            json!({"body": summary_body(summary)}),
        )
    }

    /// `PATCH /repos/O/R/issues/comments/ID`: the summary, every later time.
    pub fn update_summary(&self, comment_id: u64, summary: &str) -> ApiRequest {
        self.send(
            Method::Patch,
            &format!("issues/comments/{comment_id}"),
            json!({"body": summary_body(summary)}),
        )
    }
}

/// The three SHAs of a merge request's `diff_refs`, which position a diff note.
#[derive(Clone, Debug, PartialEq)]
pub struct DiffRefs {
    pub base_sha: String,
    pub start_sha: String,
    pub head_sha: String,
}

impl DiffRefs {
    pub fn of(mr: &Value) -> Option<DiffRefs> {
        let sha = |k: &str| {
            Some(text(mr, &format!("/diff_refs/{k}")).to_string()).filter(|s| !s.is_empty())
        };
        Some(DiffRefs {
            base_sha: sha("base_sha")?,
            start_sha: sha("start_sha")?,
            head_sha: sha("head_sha")?,
        })
    }
}

impl Project<'_> {
    fn send(&self, method: Method, rest: &str, body: Value) -> ApiRequest {
        let url = format!(
            "{}/projects/{}/{rest}",
            self.api.trim_end_matches('/'),
            super::remote::encode(self.path)
        );
        ApiRequest::get(url, self.auth)
            .header("Accept", "application/json")
            .json(method, body)
    }

    /// `GET …/merge_requests/:iid/discussions`, first page of 100.
    pub fn discussions(&self, iid: u64) -> ApiRequest {
        let mut r = self.send(
            Method::Get,
            &format!("merge_requests/{iid}/discussions?per_page=100"),
            Value::Null,
        );
        r.body = None;
        r
    }

    /// `POST …/merge_requests/:iid/discussions`: one thread on a new line. `old_path` is the
    /// file's path before the change (the same path unless renamed).
    pub fn create_discussion(
        &self,
        iid: u64,
        refs: &DiffRefs,
        old_path: &str,
        c: &LineComment,
    ) -> ApiRequest {
        self.send(
            Method::Post,
            &format!("merge_requests/{iid}/discussions"),
            json!({"body": c.posted_body(), "position": {
                "position_type": "text",
                "base_sha": refs.base_sha, "start_sha": refs.start_sha, "head_sha": refs.head_sha,
                "old_path": old_path, "new_path": c.path, "new_line": c.line,
            }}),
        )
    }

    /// `POST …/merge_requests/:iid/notes`: the summary, the first time.
    pub fn create_summary(&self, iid: u64, summary: &str) -> ApiRequest {
        self.send(
            Method::Post,
            &format!("merge_requests/{iid}/notes"),
            json!({"body": summary_body(summary)}),
        )
    }

    /// `PUT …/merge_requests/:iid/notes/:note_id`: the summary, every later time.
    pub fn update_summary(&self, iid: u64, note_id: u64, summary: &str) -> ApiRequest {
        self.send(
            Method::Put,
            &format!("merge_requests/{iid}/notes/{note_id}"),
            json!({"body": summary_body(summary)}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(line: u64, body: &str) -> LineComment {
        LineComment {
            path: "src/lib.rs".into(),
            line,
            body: body.into(),
        }
    }

    #[test]
    fn markers_are_stable_and_distinct() {
        let a = finding(3, "Unchecked unwrap.");
        assert_eq!(a.marker(), finding(3, "Unchecked unwrap.\n").marker());
        assert_ne!(a.marker(), finding(4, "Unchecked unwrap.").marker());
        assert!(a.marker().starts_with("<!-- cellmage:finding:") && a.marker().len() == 42);
        assert!(
            a.posted_body()
                .starts_with("Unchecked unwrap.\n\n<!-- cellmage:finding:")
        );
    }

    #[test]
    fn reruns_skip_what_was_posted_and_find_the_summary() {
        let (a, b) = (finding(3, "one"), finding(9, "two"));
        let posted = a.posted_body();
        let all = [a.clone(), b.clone()];
        assert_eq!(unposted(&all, &[posted.as_str(), "unrelated"]), vec![&b]);
        let comments = vec![
            json!({"id": 1, "body": "LGTM"}),
            json!({"id": 7, "body": summary_body("2 findings")}),
        ];
        assert_eq!(find_summary(&comments), Some(7));
        assert_eq!(find_summary(&comments[..1]), None);
        let discussions = vec![json!({"id": "d1", "notes": [{"id": 1, "body": posted}]})];
        assert_eq!(unposted(&all, &discussion_bodies(&discussions)), vec![&b]);
    }

    #[test]
    fn github_review_and_summary_requests() {
        let repo = Repo {
            api: "https://api.github.com",
            owner: "o",
            repo: "r",
            auth: None,
        };
        let c = finding(12, "Off by one.");
        let r = repo.create_review(5, "abc123", &[&c]);
        assert_eq!(
            (r.method, r.url.as_str()),
            (
                Method::Post,
                "https://api.github.com/repos/o/r/pulls/5/reviews"
            )
        );
        let body = r.body.unwrap();
        assert_eq!(body["event"], "COMMENT");
        assert_eq!(body["commit_id"], "abc123");
        assert_eq!(body["comments"][0]["path"], "src/lib.rs");
        assert_eq!(body["comments"][0]["line"], 12);
        assert_eq!(body["comments"][0]["side"], "RIGHT");
        let s = repo.create_summary(5, "Summary");
        assert_eq!(s.url, "https://api.github.com/repos/o/r/issues/5/comments");
        assert!(
            s.body.unwrap()["body"]
                .as_str()
                .unwrap()
                .ends_with(SUMMARY_MARKER)
        );
        let u = repo.update_summary(77, "Summary");
        assert_eq!(
            (u.method, u.url.as_str()),
            (
                Method::Patch,
                "https://api.github.com/repos/o/r/issues/comments/77"
            )
        );
    }

    #[test]
    fn gitlab_discussion_and_summary_requests() {
        let p = Project {
            api: "https://gitlab.example.com/api/v4",
            path: "g/p",
            auth: None,
        };
        let mr: Value =
            serde_json::from_str(include_str!("../../tests/data/sources/gitlab-mr.json")).unwrap();
        let refs = DiffRefs::of(&mr).unwrap();
        assert_eq!(refs.head_sha, "2be7ddb704c7b6b83732fdd5b9f09d5a397b5f8f");
        let d = p.create_discussion(1, &refs, "src/lib.rs", &finding(4, "x"));
        assert_eq!(
            d.url,
            "https://gitlab.example.com/api/v4/projects/g%2Fp/merge_requests/1/discussions"
        );
        let pos = &d.body.as_ref().unwrap()["position"];
        assert_eq!(pos["position_type"], "text");
        assert_eq!(pos["base_sha"], "c380d3acebd181f13629a25d2e2acca46ffe1e00");
        assert_eq!(pos["new_path"], "src/lib.rs");
        assert_eq!(pos["new_line"], 4);
        let list = p.discussions(1);
        assert_eq!((list.method, list.body), (Method::Get, None));
        assert!(
            list.url
                .ends_with("/merge_requests/1/discussions?per_page=100")
        );
        let u = p.update_summary(1, 9, "s");
        assert_eq!(
            (u.method, u.url.as_str()),
            (
                Method::Put,
                "https://gitlab.example.com/api/v4/projects/g%2Fp/merge_requests/1/notes/9"
            )
        );
        assert_eq!(
            p.create_summary(1, "s").url,
            "https://gitlab.example.com/api/v4/projects/g%2Fp/merge_requests/1/notes"
        );
    }
}
