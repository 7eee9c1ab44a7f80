//! `review --pr SPEC`: the change of a GitHub pull request or GitLab merge request, fetched
//! from the API; `--post`: the result published there, as line comments on the new version
//! plus one summary that later runs update (requests built in `context::post`).

use anyhow::Result;

use super::findings::Report;
use crate::context::endpoints::Endpoints;
use crate::context::post::{self, DiffRefs, LineComment};
use crate::context::remote::{MAX_PAGES, Origin, send, send_all};
use crate::context::spec::{self, GitHubItem, GitLabItem, Remote};
use crate::context::{github, gitlab, net};
use crate::error::usage;
use crate::settings::Settings;

/// A change on a forge, fetched.
pub struct Pull {
    remote: Remote,
    label: String,
    /// The unified diff.
    pub diff: String,
    /// GitHub: the head commit the review is on.
    head_sha: String,
    /// GitLab: the SHAs that position a diff note, and each new path's old path.
    refs: Option<DiffRefs>,
    old_paths: Vec<(String, String)>,
}

/// Fetches the change `spec` names.
pub fn fetch(spec: &str, settings: &Settings) -> Result<Pull> {
    let e = Endpoints::of(&settings.source_vars);
    let remote = match spec::parse(spec, &e.hosts) {
        Ok(Some(
            r @ (Remote::GitHub {
                item: GitHubItem::Pull(_) | GitHubItem::Number(_),
                ..
            }
            | Remote::GitLab {
                item: GitLabItem::MergeRequest(_),
                ..
            }),
        )) => r,
        _ => {
            return Err(usage(format!("--pr {spec}: not a pull or merge request"))
                .hint("give a GitHub pull request (URL or gh:OWNER/REPO#N) or a GitLab merge request (URL or gl:GROUP/PROJECT!N)")
                .into());
        }
    };
    let conn = net::connection(settings);
    let fetch = net::Net(&conn);
    let label = remote.label();
    let mut pull = Pull {
        label: label.clone(),
        diff: String::new(),
        head_sha: String::new(),
        refs: None,
        old_paths: Vec::new(),
        remote: remote.clone(),
    };
    match &remote {
        Remote::GitHub { owner, repo, item } => {
            let n = number(item);
            let repo = repo_of(&e, owner, repo);
            let origin = github_origin(&label);
            let pr = send(&fetch, &repo.pull(n), origin)?.json(&label)?;
            pull.head_sha = crate::context::remote::text(&pr, "/head/sha").to_string();
            pull.diff = send(&fetch, &repo.pull_diff(n), origin)?.text(&label)?;
        }
        Remote::GitLab {
            project,
            item: GitLabItem::MergeRequest(iid),
        } => {
            let project = project_of(&e, project);
            let origin = gitlab_origin(&label);
            let mr = send(&fetch, &project.merge_request(*iid), origin)?.json(&label)?;
            pull.refs = DiffRefs::of(&mr);
            let diffs = send_all(&fetch, project.diffs(*iid), origin, MAX_PAGES)?;
            pull.old_paths = diffs
                .iter()
                .map(|d| {
                    let t = |k: &str| crate::context::remote::text(d, k).to_string();
                    (t("/new_path"), t("/old_path"))
                })
                .collect();
            pull.diff = gitlab::unified_diff(&diffs);
        }
        _ => unreachable!("matched above"),
    }
    Ok(pull)
}

/// Publishes the report: new line comments, and the summary created or updated.
pub fn publish(pull: &Pull, report: &Report, settings: &Settings) -> Result<()> {
    let e = Endpoints::of(&settings.source_vars);
    let conn = net::connection(settings);
    let fetch = net::Net(&conn);
    let comments: Vec<LineComment> = report
        .findings
        .iter()
        .filter(|c| !c.outside)
        .map(|c| {
            let f = &c.finding;
            let mut body = format!(
                "**{}**: {}\n\n{}",
                f.severity.name(),
                f.title,
                f.explanation
            );
            if let Some(fix) = &f.suggested_fix {
                body.push_str(&format!("\n\nSuggested fix:\n\n```\n{fix}\n```"));
            }
            LineComment {
                path: f.file.clone(),
                line: f.line,
                body,
            }
        })
        .collect();
    let summary = format!(
        "**cellmage review**: {}\n\n{}",
        super::format::summary_line(report),
        report.summary
    );
    let label = &pull.label;
    let posted = match &pull.remote {
        Remote::GitHub { owner, repo, item } => {
            let n = number(item);
            let repo = repo_of(&e, owner, repo);
            let origin = github_origin(label);
            let existing = send_all(&fetch, repo.review_comments(n), origin, MAX_PAGES)?;
            let bodies: Vec<&str> = existing
                .iter()
                .map(|c| crate::context::remote::text(c, "/body"))
                .collect();
            let new = post::unposted(&comments, &bodies);
            if !new.is_empty() {
                send(&fetch, &repo.create_review(n, &pull.head_sha, &new), origin)?;
            }
            let notes = send_all(&fetch, repo.issue_comments(n), origin, MAX_PAGES)?;
            let request = match post::find_summary(&notes) {
                Some(id) => repo.update_summary(id, &summary),
                None => repo.create_summary(n, &summary),
            };
            send(&fetch, &request, origin)?;
            new.len()
        }
        Remote::GitLab {
            project,
            item: GitLabItem::MergeRequest(iid),
        } => {
            let project = project_of(&e, project);
            let origin = gitlab_origin(label);
            let discussions = send_all(&fetch, project.discussions(*iid), origin, MAX_PAGES)?;
            let new = post::unposted(&comments, &post::discussion_bodies(&discussions));
            if let Some(refs) = &pull.refs {
                for c in &new {
                    let old = pull
                        .old_paths
                        .iter()
                        .find(|(n, _)| *n == c.path)
                        .map_or(c.path.as_str(), |(_, o)| o.as_str());
                    send(
                        &fetch,
                        &project.create_discussion(*iid, refs, old, c),
                        origin,
                    )?;
                }
            }
            let notes = send_all(&fetch, project.merge_request_notes(*iid), origin, MAX_PAGES)?;
            let request = match post::find_summary(&notes) {
                Some(id) => project.update_summary(*iid, id, &summary),
                None => project.create_summary(*iid, &summary),
            };
            send(&fetch, &request, origin)?;
            new.len()
        }
        _ => unreachable!("fetch only returns pulls and merge requests"),
    };
    eprintln!(
        "cellmage: review: posted {posted} new line comment{} and the summary on {label}",
        if posted == 1 { "" } else { "s" }
    );
    Ok(())
}

fn number(item: &GitHubItem) -> u64 {
    match item {
        GitHubItem::Pull(n) | GitHubItem::Number(n) | GitHubItem::Issue(n) => *n,
        GitHubItem::Blob { .. } => unreachable!("not a pull request"),
    }
}

fn repo_of<'a>(e: &'a Endpoints, owner: &'a str, repo: &'a str) -> github::Repo<'a> {
    github::Repo {
        api: &e.github_api,
        owner,
        repo,
        auth: e.github_auth.as_ref(),
    }
}

fn project_of<'a>(e: &'a Endpoints, path: &'a str) -> gitlab::Project<'a> {
    gitlab::Project {
        api: &e.gitlab_api,
        path,
        auth: e.gitlab_auth.as_ref(),
    }
}

fn github_origin(label: &str) -> Origin<'_> {
    Origin {
        service: "GitHub",
        what: label,
        credentials: github::CREDENTIALS,
    }
}

fn gitlab_origin(label: &str) -> Origin<'_> {
    Origin {
        service: "GitLab",
        what: label,
        credentials: gitlab::CREDENTIALS,
    }
}
