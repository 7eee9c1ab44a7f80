//! Remote requests as data: the method, URL, headers and credentials a source sends, the
//! response it gets back through a [`Fetch`] (the transport), and how an API's status and
//! headers become the exit code of the failure. Nothing here touches the network.

use std::fmt::Write as _;

use serde_json::Value;

use crate::error::{Failure, Kind, usage};
use crate::secret::Secret;

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
    /// Redirects to follow: 0 for APIs, a few for web pages.
    pub follow_redirects: u32,
}

impl ApiRequest {
    pub fn get(url: impl Into<String>, auth: Option<&Auth>) -> ApiRequest {
        ApiRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            auth: auth.cloned(),
            body: None,
            follow_redirects: 0,
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
        ErrorClass::Other if (300..400).contains(&status) => Failure::new(
            Kind::Rejected,
            format!("{service}: {what} redirects too often or elsewhere (HTTP {status})"),
        )
        .hint("give the final URL"),
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
