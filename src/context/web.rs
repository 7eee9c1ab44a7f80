//! Web pages: which content types are sent and how, and HTML to Markdown.
//!
//! HTML goes through `htmd` (a Turndown-style converter on html5ever, the browsers' parsing
//! algorithm): the page's `<main>` (else its first `<article>`, else `<body>`) is kept with
//! its headings, links, lists, tables and fenced code blocks; scripts, styles, navigation,
//! forms and embedded frames are dropped.

use std::rc::Rc;

use htmd::options::{BulletListMarker, Options};
use htmd::{HtmlToMarkdown, Node};
use markup5ever_rcdom::NodeData;

use super::remote::{ApiRequest, Fetch, Origin, send};
use super::{Reader, Snippet, Source};

/// Any other `http://` or `https://` URL.
pub struct Web;

impl Source for Web {
    fn kind(&self) -> &'static str {
        "web"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        super::net::claims(self, spec, reader)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> anyhow::Result<Vec<Snippet>> {
        let url = spec.split('#').next().unwrap_or(spec);
        let snippet = read(reader.fetch, url)?;
        super::net::taken(vec![snippet], reader)
    }

    fn fetches(&self) -> bool {
        true
    }
}

/// Redirects a web page may take.
pub const MAX_REDIRECTS: u32 = 5;

/// What a web request asks for, most wanted first.
pub const ACCEPT: &str =
    "text/html, text/markdown, text/plain;q=0.9, application/json;q=0.8, text/*;q=0.5";

/// Reads a web page (or text, Markdown, JSON document) as a snippet labelled by its URL.
pub fn read(fetch: &dyn Fetch, url: &str) -> anyhow::Result<Snippet> {
    let origin = Origin {
        service: "web",
        what: url,
        credentials: "",
    };
    let mut request = ApiRequest::get(url, None).header("Accept", ACCEPT);
    request.follow_redirects = MAX_REDIRECTS;
    let response = send(fetch, &request, origin)?;
    let content_type = response.header("content-type");
    let text = match body_kind(content_type.as_deref()) {
        Some(Body::Html) => html_to_markdown(&String::from_utf8_lossy(&response.body)),
        Some(Body::Text) => response.text(url)?,
        None => {
            let ct = content_type.unwrap_or_default();
            return Err(crate::error::usage(format!("web: {url} is {ct}, not text"))
                .hint("pages, Markdown, plain text and JSON can be sent; use --image for images")
                .into());
        }
    };
    Ok(Snippet::new("web", url, text))
}

/// How a response body becomes snippet text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// Converted to Markdown.
    Html,
    /// Sent as it is (`text/*`, Markdown, JSON).
    Text,
}

/// What a `Content-Type` allows: `None` when the type is refused (exit 2). A missing type
/// is treated as text; the bytes must still be UTF-8.
pub fn body_kind(content_type: Option<&str>) -> Option<Body> {
    let Some(ct) = content_type else {
        return Some(Body::Text);
    };
    let mime = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    match mime.as_str() {
        "text/html" | "application/xhtml+xml" => Some(Body::Html),
        "" | "application/json" | "application/markdown" | "application/x-ndjson" => {
            Some(Body::Text)
        }
        m if m.starts_with("text/") || m.ends_with("+json") => Some(Body::Text),
        _ => None,
    }
}

/// Elements whose whole subtree is dropped.
const DROPPED: [&str; 12] = [
    "script", "style", "noscript", "nav", "footer", "aside", "form", "iframe", "svg", "template",
    "button", "head",
];

/// The main content of an HTML page as Markdown, headed by its `<title>` when the content
/// does not start with a heading of its own.
pub fn html_to_markdown(html: &str) -> String {
    let converter = HtmlToMarkdown::builder()
        .options(Options {
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Options::default()
        })
        .skip_tags(DROPPED.to_vec())
        .build();
    let Ok(tree) = converter.html_to_tree(html) else {
        return String::new();
    };
    let root = find(&tree, "main")
        .or_else(|| find(&tree, "article"))
        .or_else(|| find(&tree, "body"))
        .unwrap_or_else(|| tree.clone());
    let markdown = converter.tree_to_markdown(&root);
    let title = find(&tree, "title")
        .map(|t| text_of(&t))
        .unwrap_or_default();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() || markdown.starts_with('#') {
        markdown
    } else {
        format!("# {title}\n\n{markdown}")
    }
}

/// The first element named `name`, depth first.
fn find(node: &Rc<Node>, name: &str) -> Option<Rc<Node>> {
    if let NodeData::Element { name: q, .. } = &node.data
        && &*q.local == name
    {
        return Some(node.clone());
    }
    node.children.borrow().iter().find_map(|c| find(c, name))
}

fn text_of(node: &Rc<Node>) -> String {
    match &node.data {
        NodeData::Text { contents } => contents.borrow().to_string(),
        _ => node.children.borrow().iter().map(text_of).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_converts_html_and_refuses_binary() {
        use crate::context::remote::Response;
        use crate::context::remote::fake::FakeFetch;
        let typed = |ct: &str, body: &str| Response {
            status: 200,
            headers: vec![("Content-Type".into(), ct.into())],
            body: body.as_bytes().to_vec(),
        };
        let fetch = FakeFetch::new(vec![
            (
                "http://w/page",
                typed("text/html", "<main><h1>Hi</h1></main>"),
            ),
            ("http://w/notes.md", typed("text/markdown", "# Notes\n")),
            ("http://w/doc.pdf", typed("application/pdf", "%PDF")),
        ]);
        assert_eq!(read(&fetch, "http://w/page").unwrap().text, "# Hi");
        assert_eq!(read(&fetch, "http://w/notes.md").unwrap().text, "# Notes\n");
        let err = read(&fetch, "http://w/doc.pdf").unwrap_err();
        assert_eq!(
            err.to_string(),
            "web: http://w/doc.pdf is application/pdf, not text"
        );
        assert_eq!(crate::error::classify(&err).0, crate::error::Kind::Usage);
        assert_eq!(
            read(&fetch, "http://w/gone").unwrap_err().to_string(),
            "web: http://w/gone not found (HTTP 404)"
        );
    }

    #[test]
    fn content_type_policy() {
        let table = [
            (Some("text/html; charset=utf-8"), Some(Body::Html)),
            (Some("application/xhtml+xml"), Some(Body::Html)),
            (Some("text/plain"), Some(Body::Text)),
            (Some("text/markdown; charset=UTF-8"), Some(Body::Text)),
            (Some("text/csv"), Some(Body::Text)),
            (Some("application/json"), Some(Body::Text)),
            (Some("application/problem+json"), Some(Body::Text)),
            (None, Some(Body::Text)),
            (Some("application/pdf"), None),
            (Some("image/png"), None),
            (Some("application/octet-stream"), None),
        ];
        for (ct, want) in table {
            assert_eq!(body_kind(ct), want, "{ct:?}");
        }
    }

    #[test]
    fn main_content_keeps_structure_and_drops_chrome() {
        let html = r#"<!doctype html><html><head><title>Guide</title>
            <style>body{color:red}</style><script>track()</script></head>
            <body><nav><a href="/">Home</a> | <a href="/blog">Blog</a></nav>
            <header>Site banner</header>
            <main><h1>Install</h1><p>Use <a href="https://example.org/dl">the download</a>.</p>
            <pre><code class="language-sh">make install
make test</code></pre>
            <ul><li>one</li><li>two</li></ul><script>alert(1)</script></main>
            <footer>© 2026</footer></body></html>"#;
        let md = html_to_markdown(html);
        assert_eq!(
            md,
            "# Install\n\nUse [the download](https://example.org/dl).\n\n```sh\nmake install\nmake test\n```\n\n- one\n- two"
        );
    }

    #[test]
    fn without_main_the_body_is_used_and_the_title_heads_it() {
        let html = "<html><head><title> A\n page </title></head><body><nav>menu</nav><p>Hello <b>you</b></p><aside>ads</aside></body></html>";
        assert_eq!(html_to_markdown(html), "# A page\n\nHello **you**");
    }

    #[test]
    fn an_article_is_preferred_to_the_body() {
        let html = "<body><div>sidebar</div><article><h2>Post</h2><p>text</p></article></body>";
        assert_eq!(html_to_markdown(html), "## Post\n\ntext");
    }
}
