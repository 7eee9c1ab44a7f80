//! Jira: the requests for an issue or a JQL search, and their Markdown.
//!
//! Cloud uses REST v3 with Basic auth (email + API token), descriptions and comments in ADF:
//! <https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/#api-rest-api-3-issue-issueidorkey-get>,
//! search by `GET /rest/api/3/search/jql` (`jql`, `maxResults`, `fields`; `nextPageToken`
//! pages): <https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get>,
//! <https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/>.
//! Server/Data Center uses REST v2 (`/rest/api/2/issue/{key}`, `/rest/api/2/search`) with a
//! personal access token as `Authorization: Bearer`, descriptions as wiki-markup strings:
//! <https://docs.atlassian.com/software/jira/docs/api/REST/latest/>,
//! <https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html>.

use std::fmt::Write as _;

use serde_json::Value;

use super::endpoints::Endpoints;
use super::spec::Remote;
use super::{Reader, Snippet, Source};

/// Jira issues (`jira:KEY`, browse URLs) and searches (`jql:QUERY`).
pub struct Jira;

impl Source for Jira {
    fn kind(&self) -> &'static str {
        "jira"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        super::net::claims(self, spec, reader)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> anyhow::Result<Vec<Snippet>> {
        let e = Endpoints::of(reader.vars);
        let remote = super::net::parse(spec, &e)?;
        let Some(base) = e.hosts.jira.as_deref() else {
            return Err(crate::error::usage(format!("{spec} needs JIRA_URL"))
                .hint("set JIRA_URL to the Jira site, e.g. https://acme.atlassian.net")
                .into());
        };
        let (flavour, auth) = match &e.jira_auth {
            Some((f, a)) => (*f, Some(a)),
            None => (Flavour::Cloud, None),
        };
        let site = Site {
            base,
            flavour,
            auth,
        };
        let snippets = match &remote {
            Remote::JiraIssue(key) => vec![read_issue(reader.fetch, &site, key)?],
            Remote::Jql(query) => read_jql(reader.fetch, &site, query, reader.jql_max)?,
            _ => unreachable!("claimed by kind"),
        };
        super::net::taken(snippets, reader)
    }

    fn variables(&self) -> &'static [&'static str] {
        &["JIRA_URL", "JIRA_USER_EMAIL", "JIRA_API_TOKEN", "JIRA_PAT"]
    }

    fn fetches(&self) -> bool {
        true
    }
}
use super::adf;
use super::remote::{ApiRequest, Auth, Fetch, Origin, encode, items, section, send, text};

/// What to set when Jira refuses.
pub const CREDENTIALS: &str =
    "JIRA_USER_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Server/Data Center)";

/// Reads one issue as a snippet labelled `jira:KEY`.
pub fn read_issue(fetch: &dyn Fetch, site: &Site, key: &str) -> anyhow::Result<Snippet> {
    let label = format!("jira:{key}");
    let origin = Origin {
        service: "Jira",
        what: &label,
        credentials: CREDENTIALS,
    };
    let issue = send(fetch, &site.issue(key), origin)?.json(&label)?;
    Ok(Snippet::new("jira", label, render_issue(&issue)))
}

/// Reads the first `max` issues matching `jql`, one snippet each; none matching is an error.
pub fn read_jql(
    fetch: &dyn Fetch,
    site: &Site,
    jql: &str,
    max: u32,
) -> anyhow::Result<Vec<Snippet>> {
    let what = format!("jql:{jql}");
    let origin = Origin {
        service: "Jira",
        what: &what,
        credentials: CREDENTIALS,
    };
    let response = send(fetch, &site.search(jql, max), origin)?.json(&what)?;
    let snippets: Vec<Snippet> = search_issues(&response)
        .iter()
        .take(max as usize)
        .map(|issue| {
            Snippet::new(
                "jira",
                format!("jira:{}", text(issue, "/key")),
                render_issue(issue),
            )
        })
        .collect();
    if snippets.is_empty() {
        return Err(crate::error::usage(format!("Jira: {what} matched no issue")).into());
    }
    Ok(snippets)
}

/// The fields asked for: what the Markdown shows, nothing more.
pub const FIELDS: &str = "summary,issuetype,status,priority,assignee,reporter,description,comment";

/// Which API a Jira site speaks, decided by the credentials given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// `JIRA_USER_EMAIL` + `JIRA_API_TOKEN`: REST v3.
    Cloud,
    /// `JIRA_PAT`: REST v2.
    Server,
}

impl Flavour {
    fn version(self) -> u8 {
        match self {
            Flavour::Cloud => 3,
            Flavour::Server => 2,
        }
    }
}

/// One Jira site.
#[derive(Clone, Debug)]
pub struct Site<'a> {
    /// `JIRA_URL` (no trailing slash).
    pub base: &'a str,
    pub flavour: Flavour,
    pub auth: Option<&'a Auth>,
}

impl Site<'_> {
    fn api(&self) -> String {
        format!(
            "{}/rest/api/{}",
            self.base.trim_end_matches('/'),
            self.flavour.version()
        )
    }

    /// `GET /rest/api/{3|2}/issue/{key}?fields=…`.
    pub fn issue(&self, key: &str) -> ApiRequest {
        let url = format!("{}/issue/{}?fields={}", self.api(), encode(key), FIELDS);
        ApiRequest::get(url, self.auth).header("Accept", "application/json")
    }

    /// The first `max` issues matching `jql`: `GET /rest/api/3/search/jql` on Cloud,
    /// `GET /rest/api/2/search` on Server/DC.
    pub fn search(&self, jql: &str, max: u32) -> ApiRequest {
        let path = match self.flavour {
            Flavour::Cloud => "search/jql",
            Flavour::Server => "search",
        };
        let url = format!(
            "{}/{path}?jql={}&maxResults={max}&fields={FIELDS}",
            self.api(),
            encode(jql)
        );
        ApiRequest::get(url, self.auth).header("Accept", "application/json")
    }
}

/// The issues of a search response (both flavours keep them in `issues`).
pub fn search_issues(response: &Value) -> &[Value] {
    items(response, "/issues")
}

/// An issue: summary, type, status, priority, assignee, reporter, description, comments.
pub fn render_issue(issue: &Value) -> String {
    let name = |p: &str| match text(issue, p) {
        "" => "(none)",
        s => s,
    };
    let mut out = format!(
        "# {}: {}\n\n- Type: {}\n- Status: {}\n- Priority: {}\n- Assignee: {}\n- Reporter: {}\n",
        text(issue, "/key"),
        text(issue, "/fields/summary"),
        name("/fields/issuetype/name"),
        name("/fields/status/name"),
        name("/fields/priority/name"),
        match text(issue, "/fields/assignee/displayName") {
            "" => "Unassigned",
            s => s,
        },
        name("/fields/reporter/displayName"),
    );
    let description = issue.pointer("/fields/description").unwrap_or(&Value::Null);
    section(&mut out, "Description", &adf::to_markdown(description));
    let mut comments = String::new();
    for c in items(issue, "/fields/comment/comments") {
        let _ = write!(
            comments,
            "**{}** ({}):\n\n{}\n\n",
            text(c, "/author/displayName"),
            text(c, "/created"),
            adf::to_markdown(c.get("body").unwrap_or(&Value::Null)).trim_end()
        );
    }
    section(&mut out, "Comments", &comments);
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
    fn cloud_and_server_requests() {
        let basic = Auth::Basic {
            user: "me@example.com".into(),
            token: Secret::new("t"),
        };
        let cloud = Site {
            base: "https://acme.atlassian.net/",
            flavour: Flavour::Cloud,
            auth: Some(&basic),
        };
        assert_eq!(
            cloud.issue("PROJ-1").url,
            format!("https://acme.atlassian.net/rest/api/3/issue/PROJ-1?fields={FIELDS}")
        );
        assert_eq!(
            cloud.search("project = PROJ", 10).url,
            format!(
                "https://acme.atlassian.net/rest/api/3/search/jql?jql=project%20%3D%20PROJ&maxResults=10&fields={FIELDS}"
            )
        );
        let pat = Auth::Bearer(Secret::new("p"));
        let server = Site {
            base: "https://jira.example.com",
            flavour: Flavour::Server,
            auth: Some(&pat),
        };
        assert!(
            server
                .issue("A-1")
                .url
                .starts_with("https://jira.example.com/rest/api/2/issue/A-1?")
        );
        assert!(
            server
                .search("x", 3)
                .url
                .starts_with("https://jira.example.com/rest/api/2/search?jql=x&maxResults=3&")
        );
        assert_eq!(server.issue("A-1").auth.unwrap().header().1, "Bearer p");
    }

    #[test]
    fn read_issue_and_jql() {
        use crate::context::remote::fake::{FakeFetch, fixture, ok};
        let fetch = FakeFetch::new(vec![
            (
                "http://j/rest/api/3/issue/PROJ-123?",
                ok(&fixture("jira-cloud-issue.json")),
            ),
            (
                "http://j/rest/api/3/search/jql?jql=project%20%3D%20PROJ&",
                ok(&fixture("jira-cloud-search.json")),
            ),
            (
                "http://j/rest/api/3/search/jql?jql=none&",
                ok(r#"{"issues": [], "isLast": true}"#),
            ),
        ]);
        let site = Site {
            base: "http://j",
            flavour: Flavour::Cloud,
            auth: None,
        };
        let s = read_issue(&fetch, &site, "PROJ-123").unwrap();
        assert_eq!(s.label, "jira:PROJ-123");
        let all = read_jql(&fetch, &site, "project = PROJ", 10).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].label, "jira:PROJ-123");
        assert_eq!(
            read_jql(&fetch, &site, "none", 10).unwrap_err().to_string(),
            "Jira: jql:none matched no issue"
        );
        let err = read_issue(&fetch, &site, "NOPE-1").unwrap_err();
        assert_eq!(err.to_string(), "Jira: jira:NOPE-1 not found (HTTP 404)");
    }

    #[test]
    fn cloud_issue_renders_adf() {
        let md = render_issue(&fixture("jira-cloud-issue.json"));
        for want in [
            "# PROJ-123: Login fails with SSO",
            "- Type: Bug",
            "- Status: In Progress",
            "- Priority: High",
            "- Assignee: Mia Krystof",
            "- Reporter: Emma Richards",
            "## Description\n\nSteps to **reproduce**:\n\n- open `/login`",
            "**Mia Krystof** (2021-01-17T12:34:00.000+0000):\n\nFixed in [build 42](https://ci.example.com/42)",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
    }

    #[test]
    fn server_issue_keeps_wiki_markup_and_search_lists_issues() {
        let search = fixture("jira-server-search.json");
        let issues = search_issues(&search);
        assert_eq!(issues.len(), 1);
        let md = render_issue(&issues[0]);
        assert!(md.contains("# DC-7: Disk full on build agent"), "{md}");
        assert!(md.contains("- Assignee: Unassigned"), "{md}");
        assert!(md.contains("h2. Impact"), "{md}");
        assert!(md.contains("**Jane Admin**"), "{md}");
        assert_eq!(search_issues(&fixture("jira-cloud-search.json")).len(), 1);
    }
}
