//! Remote context sources as data: which spec names which remote item, the requests a source
//! makes (method, URL, headers, credentials), and how an API's status and headers classify a
//! failure. Nothing here touches the network; the transport sends what these functions build.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Failure, Kind, usage};
use crate::secret::Secret;

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

/// HTTP methods the sources use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
}

/// How a request proves who it is. The secret is exposed only by [`Auth::header`].
#[derive(Clone, Debug, PartialEq)]
pub enum Auth {
    /// `Authorization: Bearer TOKEN` (GitHub, Jira/Confluence PATs).
    Bearer(Secret),
    /// `Authorization: Basic base64(USER:TOKEN)` (Atlassian Cloud email + API token).
    Basic { user: String, token: Secret },
    /// A header of its own (`PRIVATE-TOKEN`, `JOB-TOKEN` for GitLab).
    Header { name: &'static str, token: Secret },
}

impl Auth {
    /// The header name and value; only the transport should call this.
    pub fn header(&self) -> (String, String) {
        use base64::Engine as _;
        match self {
            Auth::Bearer(t) => ("Authorization".into(), format!("Bearer {}", t.expose())),
            Auth::Basic { user, token } => {
                let raw = format!("{user}:{}", token.expose());
                let encoded = base64::engine::general_purpose::STANDARD.encode(raw);
                ("Authorization".into(), format!("Basic {encoded}"))
            }
            Auth::Header { name, token } => (name.to_string(), token.expose().to_string()),
        }
    }

    /// The secret, for redaction.
    pub fn secret(&self) -> &Secret {
        match self {
            Auth::Bearer(t) | Auth::Basic { token: t, .. } | Auth::Header { token: t, .. } => t,
        }
    }
}

/// One request, fully described.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiRequest {
    pub method: Method,
    pub url: String,
    /// Headers other than the credentials.
    pub headers: Vec<(String, String)>,
    pub auth: Option<Auth>,
    pub body: Option<Value>,
}

impl ApiRequest {
    pub fn get(url: impl Into<String>, auth: Option<&Auth>) -> ApiRequest {
        ApiRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            auth: auth.cloned(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> ApiRequest {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn json(mut self, method: Method, body: Value) -> ApiRequest {
        self.method = method;
        self.body = Some(body);
        self
    }
}

/// The `rel="next"` target of an RFC 8288 `Link` header, as GitHub and GitLab paginate:
/// <https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api>,
/// <https://docs.gitlab.com/ee/api/rest/#pagination-link-header>.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params
            .split(';')
            .any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        is_next.then(|| target.to_string())
    })
}

/// What a failed API response means, as the exit codes distinguish it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// 401, or 403 that is not a rate limit: exit 5, naming the variable to set.
    Auth,
    /// 404 (and 410): exit 2, naming the source.
    NotFound,
    /// 429, or GitHub's 403 with `x-ratelimit-remaining: 0`: exit 6.
    RateLimited,
    /// Anything else (5xx after retries, unexpected statuses).
    Other,
}

/// Classifies a non-success status. GitHub signals an exhausted primary rate limit with 403
/// (or 429) and `x-ratelimit-remaining: 0`, a secondary one with 403 and `retry-after`:
/// <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit>.
pub fn classify(status: u16, header: impl Fn(&str) -> Option<String>) -> ErrorClass {
    let exhausted = header("x-ratelimit-remaining").is_some_and(|v| v.trim() == "0")
        || header("retry-after").is_some();
    match status {
        429 => ErrorClass::RateLimited,
        403 if exhausted => ErrorClass::RateLimited,
        401 | 403 => ErrorClass::Auth,
        404 | 410 => ErrorClass::NotFound,
        _ => ErrorClass::Other,
    }
}

/// A response as the sources need it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Response {
    pub status: u16,
    /// Names as received; look them up with [`Response::header`].
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// A header value, the name compared without case.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }

    pub fn json(&self, what: &str) -> anyhow::Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Failure::new(
                Kind::Server,
                format!("{what}: the response is not JSON ({e})"),
            )
            .into()
        })
    }

    pub fn text(&self, what: &str) -> anyhow::Result<String> {
        String::from_utf8(self.body.clone())
            .map_err(|_| usage(format!("{what}: the response is not UTF-8 text")).into())
    }
}

/// Sends one request: the transport (timeouts, retries, proxies, TLS, redaction) behind a
/// trait, so the sources are tested without a socket. A response with any status is `Ok`;
/// `Err` is for failures that have no response (network, already classified).
pub trait Fetch {
    fn fetch(&self, request: &ApiRequest) -> anyhow::Result<Response>;
}

/// Who a failed request was for: the source's name in messages and what to set on 401/403.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    /// `GitHub`, `GitLab`, `Jira`, `Confluence`, `web`.
    pub service: &'a str,
    /// The spec or label, as the user wrote it.
    pub what: &'a str,
    /// The variables that carry credentials, in the words of the hint.
    pub credentials: &'a str,
}

/// Sends `request` and turns a non-success status into the error of its class: auth (exit 5,
/// naming the variables), not found (exit 2, naming the source), rate limited (exit 6),
/// server (exit 8), other rejections (exit 9).
pub fn send(fetch: &dyn Fetch, request: &ApiRequest, origin: Origin) -> anyhow::Result<Response> {
    let response = fetch.fetch(request)?;
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    let status = response.status;
    let (service, what) = (origin.service, origin.what);
    let (no_login, check) = match origin.credentials {
        "" => (
            "cellmage sends no credentials to plain web pages".to_string(),
            "check the URL".to_string(),
        ),
        vars => (
            format!("set {vars}"),
            format!("check the spec; a private one needs {vars}"),
        ),
    };
    let failure = match classify(status, |h| response.header(h)) {
        ErrorClass::Auth => Failure::new(
            Kind::Auth,
            format!("{service} refused access to {what} (HTTP {status})"),
        )
        .hint(no_login),
        ErrorClass::NotFound => {
            usage(format!("{service}: {what} not found (HTTP {status})")).hint(check)
        }
        ErrorClass::RateLimited => Failure::new(
            Kind::RateLimited,
            format!("{service} rate limit reached while reading {what} (HTTP {status})"),
        )
        .hint("wait and retry"),
        ErrorClass::Other if status >= 500 => Failure::new(
            Kind::Server,
            format!("{service} failed while reading {what} (HTTP {status})"),
        ),
        ErrorClass::Other => Failure::new(
            Kind::Rejected,
            format!("{service} rejected the request for {what} (HTTP {status})"),
        ),
    };
    Err(failure.into())
}

/// Every item of a paginated JSON array, following `Link: rel="next"` up to `max_pages`.
pub fn send_all(
    fetch: &dyn Fetch,
    first: ApiRequest,
    origin: Origin,
    max_pages: usize,
) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut request = first;
    for _ in 0..max_pages {
        let response = send(fetch, &request, origin)?;
        match response.json(origin.what)? {
            Value::Array(page) => out.extend(page),
            _ => {
                return Err(Failure::new(
                    Kind::Server,
                    format!("{}: {}: expected a JSON array", origin.service, origin.what),
                )
                .into());
            }
        }
        match response.header("link").as_deref().and_then(next_link) {
            Some(next) => request.url = next,
            None => break,
        }
    }
    Ok(out)
}

/// Pages followed for one list of comments, notes or diffs (100 items each).
pub const MAX_PAGES: usize = 10;

/// A fake [`Fetch`] for unit tests: routes by URL prefix, records what it was asked.
#[cfg(test)]
pub mod fake {
    use std::cell::RefCell;

    use super::*;

    pub struct FakeFetch {
        pub routes: Vec<(String, Response)>,
        pub seen: RefCell<Vec<ApiRequest>>,
    }

    pub fn ok(body: &str) -> Response {
        Response {
            status: 200,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn status(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: b"{}".to_vec(),
        }
    }

    pub fn fixture(name: &str) -> String {
        let path = format!("{}/tests/data/sources/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(path).unwrap()
    }

    impl FakeFetch {
        pub fn new(routes: Vec<(&str, Response)>) -> FakeFetch {
            FakeFetch {
                routes: routes
                    .into_iter()
                    .map(|(u, r)| (u.to_string(), r))
                    .collect(),
                seen: RefCell::new(Vec::new()),
            }
        }
    }

    impl Fetch for FakeFetch {
        fn fetch(&self, request: &ApiRequest) -> anyhow::Result<Response> {
            self.seen.borrow_mut().push(request.clone());
            let accept = request
                .headers
                .iter()
                .find(|(k, _)| k == "Accept")
                .map(|(_, v)| v.as_str());
            Ok(self
                .routes
                .iter()
                .find(|(prefix, _)| match prefix.split_once(" accept:") {
                    Some((p, a)) => request.url.starts_with(p) && accept == Some(a),
                    None => request.url.starts_with(prefix.as_str()),
                })
                .map(|(_, r)| r.clone())
                .unwrap_or_else(|| status(404)))
        }
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters: a path segment that holds
/// slashes (a GitLab project path) or a query value (JQL).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A JSON string field, or "" when missing or null.
pub fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// A JSON field that is an array, or an empty slice.
pub fn items<'a>(v: &'a Value, pointer: &str) -> &'a [Value] {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// `text` with a trailing newline, or `(none)` when blank: Markdown sections never run
/// into each other.
pub fn section(out: &mut String, heading: &str, body: &str) {
    let body = body.trim_end();
    let body = if body.trim().is_empty() {
        "(none)"
    } else {
        body
    };
    let _ = write!(out, "\n## {heading}\n\n{body}\n");
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

    #[test]
    fn auth_headers() {
        let basic = Auth::Basic {
            user: "me@example.com".into(),
            token: Secret::new("tok"),
        };
        // base64("me@example.com:tok")
        assert_eq!(
            basic.header(),
            (
                "Authorization".into(),
                "Basic bWVAZXhhbXBsZS5jb206dG9r".into()
            )
        );
        assert_eq!(Auth::Bearer(Secret::new("t")).header().1, "Bearer t");
        let job = Auth::Header {
            name: "JOB-TOKEN",
            token: Secret::new("j"),
        };
        assert_eq!(job.header(), ("JOB-TOKEN".into(), "j".into()));
        let leaky = Auth::Basic {
            user: "me".into(),
            token: Secret::new("s3cr3t-value"),
        };
        assert!(!format!("{leaky:?}").contains("s3cr3t"));
    }

    #[test]
    fn link_header_next() {
        let link = r#"<https://api.github.com/repositories/1/issues?page=2>; rel="next", <https://api.github.com/repositories/1/issues?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/issues?page=2")
        );
        assert_eq!(next_link(r#"<https://x/?page=1>; rel="prev""#), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn failures_are_classified() {
        let none = |_: &str| None;
        let exhausted = |h: &str| (h == "x-ratelimit-remaining").then(|| "0".to_string());
        let remaining = |h: &str| (h == "x-ratelimit-remaining").then(|| "4999".to_string());
        assert_eq!(classify(401, none), ErrorClass::Auth);
        assert_eq!(classify(403, remaining), ErrorClass::Auth);
        assert_eq!(classify(403, exhausted), ErrorClass::RateLimited);
        assert_eq!(classify(429, none), ErrorClass::RateLimited);
        assert_eq!(classify(404, none), ErrorClass::NotFound);
        assert_eq!(classify(500, none), ErrorClass::Other);
    }

    #[test]
    fn send_maps_statuses_to_exit_kinds() {
        use fake::{FakeFetch, ok, status};
        let origin = Origin {
            service: "GitHub",
            what: "gh:o/r#1",
            credentials: "GITHUB_TOKEN or GH_TOKEN",
        };
        let mut limited = status(403);
        limited
            .headers
            .push(("X-RateLimit-Remaining".into(), "0".into()));
        let fetch = FakeFetch::new(vec![
            ("http://x/ok", ok("[1]")),
            ("http://x/401", status(401)),
            ("http://x/403", limited),
            ("http://x/500", status(500)),
            ("http://x/422", status(422)),
        ]);
        let kind = |path: &str| {
            let err = send(
                &fetch,
                &ApiRequest::get(format!("http://x/{path}"), None),
                origin,
            )
            .unwrap_err();
            let (kind, hint) = crate::error::classify(&err);
            (kind, format!("{err}"), hint.map(str::to_string))
        };
        assert!(send(&fetch, &ApiRequest::get("http://x/ok", None), origin).is_ok());
        let (k, msg, hint) = kind("401");
        assert_eq!(k, Kind::Auth);
        assert_eq!(msg, "GitHub refused access to gh:o/r#1 (HTTP 401)");
        assert_eq!(hint.as_deref(), Some("set GITHUB_TOKEN or GH_TOKEN"));
        assert_eq!(kind("403").0, Kind::RateLimited);
        let (k, msg, _) = kind("404");
        assert_eq!(
            (k, msg.as_str()),
            (Kind::Usage, "GitHub: gh:o/r#1 not found (HTTP 404)")
        );
        assert_eq!(kind("500").0, Kind::Server);
        assert_eq!(kind("422").0, Kind::Rejected);
    }

    #[test]
    fn send_all_follows_link_headers() {
        use fake::{FakeFetch, ok};
        let mut first = ok("[1, 2]");
        first.headers.push((
            "Link".into(),
            "<http://x/p2>; rel=\"next\", <http://x/p2>; rel=\"last\"".into(),
        ));
        let fetch = FakeFetch::new(vec![("http://x/p1", first), ("http://x/p2", ok("[3]"))]);
        let origin = Origin {
            service: "GitHub",
            what: "w",
            credentials: "c",
        };
        let all = send_all(&fetch, ApiRequest::get("http://x/p1", None), origin, 5).unwrap();
        assert_eq!(all, vec![Value::from(1), Value::from(2), Value::from(3)]);
        let one = send_all(&fetch, ApiRequest::get("http://x/p1", None), origin, 1).unwrap();
        assert_eq!(one.len(), 2);
    }

    #[test]
    fn encoding_keeps_only_unreserved() {
        assert_eq!(encode("grp/sub/proj"), "grp%2Fsub%2Fproj");
        assert_eq!(
            encode("project = A ORDER BY x"),
            "project%20%3D%20A%20ORDER%20BY%20x"
        );
        assert_eq!(encode("a-b_c.d~"), "a-b_c.d~");
    }
}
