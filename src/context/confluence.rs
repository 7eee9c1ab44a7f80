//! Confluence: the request for a page and its Markdown.
//!
//! `GET {CONFLUENCE_URL}/rest/api/content/{id}?expand=body.storage,version,space`, the same
//! path on Cloud (<https://developer.atlassian.com/cloud/confluence/rest/v1/api-group-content/#api-wiki-rest-api-content-id-get>)
//! and on Server/Data Center (<https://docs.atlassian.com/ConfluenceServer/rest/latest/>).
//! The body is in storage format, XHTML with `ac:`/`ri:` elements
//! (<https://confluence.atlassian.com/doc/confluence-storage-format-790796544.html>): code
//! and noformat macros become fenced code blocks, other macros keep their text.

use serde_json::Value;

use super::endpoints::Endpoints;
use super::spec::Remote;
use super::{Reader, Snippet, Source};

/// Confluence pages (`confluence:ID`, page URLs).
pub struct Confluence;

impl Source for Confluence {
    fn kind(&self) -> &'static str {
        "confluence"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        super::net::claims(self, spec, reader)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> anyhow::Result<Vec<Snippet>> {
        let e = Endpoints::of(reader.vars);
        let Remote::Confluence(id) = super::net::parse(spec, &e)? else {
            unreachable!("claimed by kind")
        };
        let Some(base) = e.hosts.confluence.as_deref() else {
            return Err(
                crate::error::usage(format!("{spec} needs CONFLUENCE_URL or JIRA_URL"))
                    .hint("set CONFLUENCE_URL, e.g. https://acme.atlassian.net/wiki")
                    .into(),
            );
        };
        let site = Site {
            base,
            auth: e.confluence_auth.as_ref(),
        };
        let snippet = read(reader.fetch, &site, &id)?;
        super::net::taken(vec![snippet], reader)
    }

    fn variables(&self) -> &'static [&'static str] {
        &[
            "CONFLUENCE_URL",
            "CONFLUENCE_USER_EMAIL",
            "CONFLUENCE_API_TOKEN",
            "CONFLUENCE_PAT",
        ]
    }

    fn fetches(&self) -> bool {
        true
    }
}
use super::remote::{ApiRequest, Auth, Fetch, Origin, send, text};

/// What to set when Confluence refuses.
pub const CREDENTIALS: &str =
    "CONFLUENCE_USER_EMAIL and CONFLUENCE_API_TOKEN (default: the Jira pair) or CONFLUENCE_PAT";

/// Reads one page as a snippet labelled `confluence:ID`.
pub fn read(fetch: &dyn Fetch, site: &Site, id: &str) -> anyhow::Result<Snippet> {
    let label = format!("confluence:{id}");
    let origin = Origin {
        service: "Confluence",
        what: &label,
        credentials: CREDENTIALS,
    };
    let page = send(fetch, &site.page(id), origin)?.json(&label)?;
    Ok(Snippet::new(
        "confluence",
        label,
        render_page(&page, site.base),
    ))
}
use super::web::html_to_markdown;

/// One Confluence site.
#[derive(Clone, Debug)]
pub struct Site<'a> {
    /// `CONFLUENCE_URL`, default `JIRA_URL` + `/wiki` (no trailing slash).
    pub base: &'a str,
    pub auth: Option<&'a Auth>,
}

impl Site<'_> {
    /// `GET /rest/api/content/{id}?expand=body.storage,version,space`.
    pub fn page(&self, id: &str) -> ApiRequest {
        let url = format!(
            "{}/rest/api/content/{id}?expand=body.storage,version,space",
            self.base.trim_end_matches('/')
        );
        ApiRequest::get(url, self.auth).header("Accept", "application/json")
    }
}

/// A page: title, space, version, URL, then the body as Markdown.
pub fn render_page(page: &Value, base: &str) -> String {
    let version = page
        .pointer("/version/number")
        .and_then(Value::as_u64)
        .unwrap_or_default();
    let webui = text(page, "/_links/webui");
    let url = match (text(page, "/_links/base"), webui) {
        (_, "") => String::new(),
        ("", path) => format!("{}{path}", base.trim_end_matches('/')),
        (site, path) => format!("{site}{path}"),
    };
    let body = storage_to_markdown(text(page, "/body/storage/value"));
    format!(
        "# {}\n\n- Space: {} ({})\n- Version: {version}\n- URL: {url}\n\n{}\n",
        text(page, "/title"),
        text(page, "/space/name"),
        text(page, "/space/key"),
        if body.trim().is_empty() {
            "(empty page)"
        } else {
            body.trim_end()
        },
    )
}

/// Storage format to Markdown: code macros become `<pre><code>`, CDATA becomes escaped
/// text, and the rest goes through the HTML converter.
pub fn storage_to_markdown(storage: &str) -> String {
    html_to_markdown(&code_macros(storage))
}

fn code_macros(storage: &str) -> String {
    const OPEN: &str = "<ac:structured-macro";
    const CLOSE: &str = "</ac:structured-macro>";
    let mut out = String::with_capacity(storage.len());
    let mut rest = storage;
    while let Some(at) = rest.find(OPEN) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let head_end = tail.find('>').map_or(tail.len(), |i| i + 1);
        let head = &tail[..head_end];
        let is_code = head.contains("ac:name=\"code\"") || head.contains("ac:name=\"noformat\"");
        match (is_code, tail.find(CLOSE)) {
            (true, Some(end)) => {
                let inner = &tail[head_end..end];
                let language = between(
                    inner,
                    "<ac:parameter ac:name=\"language\">",
                    "</ac:parameter>",
                )
                .unwrap_or("");
                let code = between(inner, "<![CDATA[", "]]>").unwrap_or("");
                out.push_str(&format!(
                    "<pre><code class=\"language-{}\">{}</code></pre>",
                    escape(language.trim()),
                    escape(code)
                ));
                rest = &tail[end + CLOSE.len()..];
            }
            _ => {
                out.push_str(head);
                rest = &tail[head_end..];
            }
        }
    }
    out.push_str(rest);
    cdata(&out)
}

/// Any remaining `<![CDATA[…]]>` (link bodies, plain-text macros) as escaped text.
fn cdata(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("<![CDATA[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 9..];
        let end = tail.find("]]>").unwrap_or(tail.len());
        out.push_str(&escape(&tail[..end]));
        rest = tail.get(end + 3..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
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
    fn page_request() {
        let pat = Auth::Bearer(Secret::new("c"));
        let site = Site {
            base: "https://acme.atlassian.net/wiki/",
            auth: Some(&pat),
        };
        let r = site.page("98765");
        assert_eq!(
            r.url,
            "https://acme.atlassian.net/wiki/rest/api/content/98765?expand=body.storage,version,space"
        );
        assert_eq!(r.auth.unwrap().header().1, "Bearer c");
    }

    #[test]
    fn read_a_page() {
        use crate::context::remote::fake::{FakeFetch, fixture, ok};
        let fetch = FakeFetch::new(vec![(
            "http://c/wiki/rest/api/content/98765?",
            ok(&fixture("confluence-page.json")),
        )]);
        let site = Site {
            base: "http://c/wiki",
            auth: None,
        };
        let s = read(&fetch, &site, "98765").unwrap();
        assert_eq!(s.label, "confluence:98765");
        assert!(s.text.starts_with("# Deploy runbook"), "{}", s.text);
        assert!(read(&fetch, &site, "1").is_err());
    }

    #[test]
    fn page_renders_storage_format() {
        let md = render_page(
            &fixture("confluence-page.json"),
            "https://acme.atlassian.net/wiki",
        );
        for want in [
            "# Deploy runbook",
            "- Space: Engineering (ENG)",
            "- Version: 7",
            "- URL: https://acme.atlassian.net/wiki/spaces/ENG/pages/98765/Deploy+runbook",
            "## Steps",
            "1. Tag the release",
            "```bash\nmake deploy ENV=prod && echo <done>\n```",
            "Ask in the channel first.",
            "see [the dashboard](https://grafana.example.com)",
            "Previous page",
        ] {
            assert!(md.contains(want), "missing {want:?} in\n{md}");
        }
    }
}
