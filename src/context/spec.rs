//! Which remote item a spec names: web pages, GitHub pull requests, issues and files,
//! GitLab merge requests and issues (nested groups), Jira issues and JQL searches,
//! Confluence pages, recognised against the configured web hosts.

/// The web hosts a spec is recognised against (no trailing slash), as configured.
#[derive(Clone, Debug, PartialEq)]
pub struct Hosts {
    /// `GITHUB_SERVER_URL`, default `https://github.com`.
    pub github: String,
    /// `GITLAB_URL` / `CI_SERVER_URL`, default `https://gitlab.com`.
    pub gitlab: String,
    /// `JIRA_URL`, if set.
    pub jira: Option<String>,
    /// `CONFLUENCE_URL`, default `JIRA_URL` + `/wiki`, if either is set.
    pub confluence: Option<String>,
}

impl Default for Hosts {
    fn default() -> Self {
        Hosts {
            github: "https://github.com".into(),
            gitlab: "https://gitlab.com".into(),
            jira: None,
            confluence: None,
        }
    }
}

/// What a GitHub spec names.
#[derive(Clone, Debug, PartialEq)]
pub enum GitHubItem {
    /// `gh:O/R#N`: a pull request or an issue, told apart by the issue's `pull_request` key.
    Number(u64),
    Pull(u64),
    Issue(u64),
    Blob {
        reference: String,
        path: String,
    },
}

/// What a GitLab spec names.
#[derive(Clone, Debug, PartialEq)]
pub enum GitLabItem {
    MergeRequest(u64),
    Issue(u64),
}

/// A spec that names something remote.
#[derive(Clone, Debug, PartialEq)]
pub enum Remote {
    /// Any other `http://` or `https://` URL (without its `#fragment`).
    Web(String),
    GitHub {
        owner: String,
        repo: String,
        item: GitHubItem,
    },
    /// `project` is the full path, nested groups included (`group/sub/project`).
    GitLab {
        project: String,
        item: GitLabItem,
    },
    JiraIssue(String),
    Jql(String),
    Confluence(String),
}

impl Remote {
    /// The snippet label: short, stable, and ending in the file name for a blob so that the
    /// fence gets its language.
    pub fn label(&self) -> String {
        match self {
            Remote::Web(url) => url.clone(),
            Remote::GitHub { owner, repo, item } => match item {
                GitHubItem::Number(n) | GitHubItem::Pull(n) | GitHubItem::Issue(n) => {
                    format!("gh:{owner}/{repo}#{n}")
                }
                GitHubItem::Blob { reference, path } => {
                    format!("gh:{owner}/{repo}@{reference}/{path}")
                }
            },
            Remote::GitLab { project, item } => match item {
                GitLabItem::MergeRequest(n) => format!("gl:{project}!{n}"),
                GitLabItem::Issue(n) => format!("gl:{project}#{n}"),
            },
            Remote::JiraIssue(key) => format!("jira:{key}"),
            Remote::Jql(query) => format!("jql:{query}"),
            Remote::Confluence(id) => format!("confluence:{id}"),
        }
    }
}

impl Remote {
    /// The source that reads it.
    pub fn kind(&self) -> &'static str {
        match self {
            Remote::Web(_) => "web",
            Remote::GitHub { .. } => "github",
            Remote::GitLab { .. } => "gitlab",
            Remote::JiraIssue(_) | Remote::Jql(_) => "jira",
            Remote::Confluence(_) => "confluence",
        }
    }
}

/// The kind of source a spec is for, malformed or not (`gh:oops` is still GitHub's to
/// refuse); `None` for a spec that is not remote.
pub fn kind_of(spec: &str, hosts: &Hosts) -> Option<&'static str> {
    match parse(spec, hosts) {
        Ok(remote) => remote.map(|r| r.kind()),
        Err(_) => match spec.split_once(':').map(|(p, _)| p) {
            Some("gh") => Some("github"),
            Some("gl") => Some("gitlab"),
            Some("jira" | "jql") => Some("jira"),
            Some("confluence") => Some("confluence"),
            _ => None,
        },
    }
}

/// Why a spec that looks remote cannot be used.
#[derive(Debug, PartialEq)]
pub struct BadSpec(pub String);

/// Which remote item `spec` names: `Ok(None)` when it is not a remote spec at all (a path,
/// a glob, a named snippet), an error when it looks remote but is malformed.
pub fn parse(spec: &str, hosts: &Hosts) -> Result<Option<Remote>, BadSpec> {
    let bad = |why: &str| Err(BadSpec(format!("{spec:?}: {why}")));
    if let Some(rest) = spec.strip_prefix("gh:") {
        let Some((repo, n)) = rest.rsplit_once('#') else {
            return bad("expected gh:OWNER/REPO#NUMBER");
        };
        let (Some((owner, repo)), Some(n)) = (repo.split_once('/'), number(n)) else {
            return bad("expected gh:OWNER/REPO#NUMBER");
        };
        if !is_name(owner) || !is_name(repo) {
            return bad("expected gh:OWNER/REPO#NUMBER");
        }
        return Ok(Some(github(owner, repo, GitHubItem::Number(n))));
    }
    if let Some(rest) = spec.strip_prefix("gl:") {
        let (project, item) = match (rest.rsplit_once('!'), rest.rsplit_once('#')) {
            (Some((p, n)), _) => (p, number(n).map(GitLabItem::MergeRequest)),
            (None, Some((p, n))) => (p, number(n).map(GitLabItem::Issue)),
            (None, None) => (rest, None),
        };
        return match item {
            Some(item) if is_project(project) => Ok(Some(Remote::GitLab {
                project: project.to_string(),
                item,
            })),
            _ => bad("expected gl:GROUP/PROJECT!NUMBER or gl:GROUP/PROJECT#NUMBER"),
        };
    }
    if let Some(key) = spec.strip_prefix("jira:") {
        return match is_issue_key(key) {
            true => Ok(Some(Remote::JiraIssue(key.to_string()))),
            false => bad("expected jira:KEY-123"),
        };
    }
    if let Some(query) = spec.strip_prefix("jql:") {
        return match query.trim().is_empty() {
            true => bad("the JQL query is empty"),
            false => Ok(Some(Remote::Jql(query.trim().to_string()))),
        };
    }
    if let Some(id) = spec.strip_prefix("confluence:") {
        return match number(id) {
            Some(_) => Ok(Some(Remote::Confluence(id.to_string()))),
            None => bad("expected confluence:PAGE_ID (digits)"),
        };
    }
    if !(spec.starts_with("https://") || spec.starts_with("http://")) {
        return Ok(None);
    }
    let url = spec.split('#').next().unwrap_or(spec);
    if let Some(path) = under(url, &hosts.github) {
        return Ok(Some(
            github_url(path).unwrap_or_else(|| Remote::Web(url.into())),
        ));
    }
    if let Some(path) = under(url, &hosts.gitlab) {
        return Ok(Some(
            gitlab_url(path).unwrap_or_else(|| Remote::Web(url.into())),
        ));
    }
    // Confluence first: its default host is under the Jira host.
    if let Some(id) = hosts
        .confluence
        .as_deref()
        .and_then(|h| under(url, h))
        .and_then(confluence_url)
    {
        return Ok(Some(Remote::Confluence(id)));
    }
    if let Some(key) = hosts
        .jira
        .as_deref()
        .and_then(|h| under(url, h))
        .and_then(|p| p.strip_prefix("browse/"))
        .map(|k| k.split(['?', '/']).next().unwrap_or(k))
        .filter(|k| is_issue_key(k))
    {
        return Ok(Some(Remote::JiraIssue(key.to_string())));
    }
    Ok(Some(Remote::Web(url.to_string())))
}

fn github(owner: &str, repo: &str, item: GitHubItem) -> Remote {
    Remote::GitHub {
        owner: owner.into(),
        repo: repo.into(),
        item,
    }
}

/// `O/R/pull/N[/files]`, `O/R/issues/N`, `O/R/blob/REF/PATH`.
fn github_url(path: &str) -> Option<Remote> {
    let path = path.split('?').next()?;
    let parts: Vec<&str> = path.split('/').collect();
    let [owner, repo, kind, rest @ ..] = parts.as_slice() else {
        return None;
    };
    let item = match (*kind, rest) {
        ("pull", [n, ..]) => GitHubItem::Pull(number(n)?),
        ("issues", [n, ..]) => GitHubItem::Issue(number(n)?),
        ("blob", [reference, path @ ..]) if !path.is_empty() => GitHubItem::Blob {
            reference: reference.to_string(),
            path: path.join("/"),
        },
        _ => return None,
    };
    Some(github(owner, repo, item))
}

/// `G/S/P/-/merge_requests/N`, `G/S/P/-/issues/N`.
fn gitlab_url(path: &str) -> Option<Remote> {
    let path = path.split('?').next()?;
    let (project, rest) = path.split_once("/-/")?;
    let mut parts = rest.split('/');
    let kind = parts.next()?;
    let n = number(parts.next()?)?;
    let item = match kind {
        "merge_requests" => GitLabItem::MergeRequest(n),
        "issues" => GitLabItem::Issue(n),
        _ => return None,
    };
    is_project(project).then(|| Remote::GitLab {
        project: project.into(),
        item,
    })
}

/// Cloud `spaces/KEY/pages/ID[/Title]`, Server/DC `pages/viewpage.action?pageId=ID`.
fn confluence_url(path: &str) -> Option<String> {
    if let Some(query) = path.strip_prefix("pages/viewpage.action?") {
        return query
            .split('&')
            .find_map(|kv| kv.strip_prefix("pageId="))
            .filter(|id| number(id).is_some())
            .map(str::to_string);
    }
    let parts: Vec<&str> = path.split(['/', '?']).collect();
    match parts.as_slice() {
        ["spaces", _, "pages", id, ..] => number(id).map(|_| id.to_string()),
        _ => None,
    }
}

/// The part of `url` after `host/`, when `url` is under `host` (scheme and host compared
/// without case; a trailing slash on the host is ignored).
fn under<'a>(url: &'a str, host: &str) -> Option<&'a str> {
    let host = host.trim_end_matches('/');
    let head = url.get(..host.len())?;
    let rest = url.get(host.len()..)?;
    (head.eq_ignore_ascii_case(host) && rest.starts_with('/')).then(|| &rest[1..])
}

fn number(s: &str) -> Option<u64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn is_project(path: &str) -> bool {
    let mut parts = path.split('/');
    path.contains('/') && parts.all(is_name)
}

/// `KEY-123`: an upper-case project key (letter first) and a number.
fn is_issue_key(key: &str) -> bool {
    let Some((project, n)) = key.rsplit_once('-') else {
        return false;
    };
    project.starts_with(|c: char| c.is_ascii_uppercase())
        && project
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        && number(n).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Hosts {
        Hosts {
            github: "https://ghe.example.com".into(),
            gitlab: "https://gitlab.example.com/".into(),
            jira: Some("https://acme.atlassian.net".into()),
            confluence: Some("https://acme.atlassian.net/wiki".into()),
        }
    }

    fn p(spec: &str) -> Option<Remote> {
        parse(spec, &hosts()).unwrap()
    }

    fn gh(item: GitHubItem) -> Option<Remote> {
        Some(github("octo", "hello.rs", item))
    }

    fn gl(project: &str, item: GitLabItem) -> Option<Remote> {
        Some(Remote::GitLab {
            project: project.into(),
            item,
        })
    }

    #[test]
    fn every_form_of_the_table_parses() {
        use GitHubItem::*;
        let table = [
            ("gh:octo/hello.rs#12", gh(Number(12))),
            (
                "https://ghe.example.com/octo/hello.rs/pull/12",
                gh(Pull(12)),
            ),
            (
                "https://ghe.example.com/octo/hello.rs/pull/12/files#diff-1",
                gh(Pull(12)),
            ),
            (
                "https://ghe.example.com/octo/hello.rs/issues/7",
                gh(Issue(7)),
            ),
            (
                "https://ghe.example.com/octo/hello.rs/blob/v1.2/src/lib.rs",
                gh(Blob {
                    reference: "v1.2".into(),
                    path: "src/lib.rs".into(),
                }),
            ),
            (
                "gl:grp/sub/proj!5",
                gl("grp/sub/proj", GitLabItem::MergeRequest(5)),
            ),
            ("gl:grp/proj#9", gl("grp/proj", GitLabItem::Issue(9))),
            (
                "https://gitlab.example.com/grp/sub/proj/-/merge_requests/5/diffs",
                gl("grp/sub/proj", GitLabItem::MergeRequest(5)),
            ),
            (
                "https://gitlab.example.com/grp/proj/-/issues/9",
                gl("grp/proj", GitLabItem::Issue(9)),
            ),
            ("jira:PROJ-123", Some(Remote::JiraIssue("PROJ-123".into()))),
            (
                "https://acme.atlassian.net/browse/AB2-9?focusedCommentId=1",
                Some(Remote::JiraIssue("AB2-9".into())),
            ),
            (
                "jql: project = PROJ ORDER BY created DESC",
                Some(Remote::Jql("project = PROJ ORDER BY created DESC".into())),
            ),
            ("confluence:98765", Some(Remote::Confluence("98765".into()))),
            (
                "https://acme.atlassian.net/wiki/spaces/ENG/pages/98765/Runbook",
                Some(Remote::Confluence("98765".into())),
            ),
            (
                "https://acme.atlassian.net/wiki/pages/viewpage.action?pageId=98765",
                Some(Remote::Confluence("98765".into())),
            ),
            (
                "https://example.org/docs/page.html#intro",
                Some(Remote::Web("https://example.org/docs/page.html".into())),
            ),
            (
                "http://ghe.example.com/octo/hello.rs/pull/12",
                Some(Remote::Web(
                    "http://ghe.example.com/octo/hello.rs/pull/12".into(),
                )),
            ),
            (
                "https://ghe.example.com/octo/hello.rs",
                Some(Remote::Web("https://ghe.example.com/octo/hello.rs".into())),
            ),
            (
                "https://ghe.example.com.evil.org/octo/r/pull/1",
                Some(Remote::Web(
                    "https://ghe.example.com.evil.org/octo/r/pull/1".into(),
                )),
            ),
            ("src/main.rs", None),
            ("docs/*.md", None),
            ("-", None),
            ("review", None),
        ];
        for (spec, want) in table {
            assert_eq!(p(spec), want, "{spec}");
        }
    }

    #[test]
    fn kinds_route_malformed_specs_to_their_source() {
        assert_eq!(kind_of("gh:oops", &hosts()), Some("github"));
        assert_eq!(kind_of("jql:", &hosts()), Some("jira"));
        assert_eq!(kind_of("confluence:98765", &hosts()), Some("confluence"));
        assert_eq!(kind_of("https://example.org/", &hosts()), Some("web"));
        assert_eq!(kind_of("src/main.rs", &hosts()), None);
    }

    #[test]
    fn default_hosts_are_github_and_gitlab_dot_com() {
        let h = Hosts::default();
        assert!(matches!(
            parse("https://github.com/o/r/pull/1", &h),
            Ok(Some(Remote::GitHub { .. }))
        ));
        assert!(matches!(
            parse("https://gitlab.com/g/p/-/issues/1", &h),
            Ok(Some(Remote::GitLab { .. }))
        ));
        // Without JIRA_URL a browse link is just a web page.
        assert!(matches!(
            parse("https://acme.atlassian.net/browse/A-1", &h),
            Ok(Some(Remote::Web(_)))
        ));
    }

    #[test]
    fn malformed_remote_specs_are_errors() {
        for spec in [
            "gh:octo#1",
            "gh:octo/r#x",
            "gh:octo/r",
            "gl:proj!5",
            "gl:grp/proj",
            "gl:grp/proj!",
            "jira:proj-1",
            "jira:PROJ",
            "jql:  ",
            "confluence:abc",
        ] {
            let err = parse(spec, &hosts()).unwrap_err();
            assert!(err.0.contains(spec), "{spec}: {err:?}");
        }
    }

    #[test]
    fn labels_are_short_and_keep_the_file_name_last() {
        let label = |s| p(s).unwrap().label();
        assert_eq!(
            label("https://ghe.example.com/octo/hello.rs/pull/3"),
            "gh:octo/hello.rs#3"
        );
        assert_eq!(
            label("https://ghe.example.com/o/r/blob/main/a/b.py"),
            "gh:o/r@main/a/b.py"
        );
        assert_eq!(
            label("https://gitlab.example.com/g/s/p/-/merge_requests/2"),
            "gl:g/s/p!2"
        );
        assert_eq!(label("gl:g/p#4"), "gl:g/p#4");
        assert_eq!(label("jira:A-1"), "jira:A-1");
        assert_eq!(label("confluence:5"), "confluence:5");
    }
}
