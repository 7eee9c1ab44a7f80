//! Atlassian Document Format (Jira Cloud REST v3 descriptions and comments) to Markdown.
//!
//! Node and mark types as documented at
//! <https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/>:
//! block nodes (paragraph, heading, bulletList, orderedList, listItem, codeBlock,
//! blockquote, rule, panel, table, mediaSingle), inline nodes (text, hardBreak, mention,
//! emoji, inlineCard, date, status) and marks (strong, em, code, strike, link).
//! Unknown nodes keep their text.

use serde_json::Value;

use super::remote::{items, text};

/// The Markdown of an ADF document (or of a plain string, as Server/DC v2 returns).
pub fn to_markdown(doc: &Value) -> String {
    match doc {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        _ => {
            let mut out = String::new();
            blocks(items(doc, "/content"), "", &mut out);
            out.trim_end().to_string()
        }
    }
}

/// Block nodes, each line prefixed (for quotes and list continuation), separated by blank lines.
fn blocks(nodes: &[Value], prefix: &str, out: &mut String) {
    for node in nodes {
        let start = out.len();
        block(node, prefix, out);
        if out.len() > start && !out.ends_with("\n\n") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
    }
}

fn push_lines(text: &str, prefix: &str, out: &mut String) {
    for line in text.lines() {
        out.push_str(prefix);
        out.push_str(line);
        out.push('\n');
    }
}

fn block(node: &Value, prefix: &str, out: &mut String) {
    let children = items(node, "/content");
    match text(node, "/type") {
        "paragraph" => push_lines(&inlines(children), prefix, out),
        "heading" => {
            let level = node
                .pointer("/attrs/level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6);
            let hashes = "#".repeat(level as usize);
            push_lines(&format!("{hashes} {}", inlines(children)), prefix, out);
        }
        "codeBlock" => {
            let code: String = children.iter().map(|c| text(c, "/text")).collect();
            let fence = super::fence_for(&code);
            let lang = text(node, "/attrs/language");
            push_lines(
                &format!("{fence}{lang}\n{}\n{fence}", code.trim_end_matches('\n')),
                prefix,
                out,
            );
        }
        "blockquote" | "panel" => {
            let mut inner = String::new();
            blocks(children, "", &mut inner);
            push_lines(inner.trim_end(), &format!("{prefix}> "), out);
        }
        "bulletList" | "orderedList" => {
            let start = node
                .pointer("/attrs/order")
                .and_then(Value::as_u64)
                .unwrap_or(1);
            for (i, item) in children.iter().enumerate() {
                let marker = match text(node, "/type") {
                    "orderedList" => format!("{}. ", start + i as u64),
                    _ => "- ".to_string(),
                };
                let mut inner = String::new();
                blocks(items(item, "/content"), "", &mut inner);
                let indent = " ".repeat(marker.len());
                for (n, line) in inner.trim_end().lines().enumerate() {
                    let lead = if n == 0 {
                        marker.as_str()
                    } else if line.is_empty() {
                        ""
                    } else {
                        &indent
                    };
                    out.push_str(prefix);
                    out.push_str(lead);
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        "rule" => push_lines("---", prefix, out),
        "table" => table(children, prefix, out),
        "mediaSingle" | "mediaGroup" | "media" => {}
        _ if children.is_empty() => push_lines(&inline(node), prefix, out),
        _ => blocks(children, prefix, out),
    }
}

fn table(rows: &[Value], prefix: &str, out: &mut String) {
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = items(row, "/content")
            .iter()
            .map(|cell| {
                let mut inner = String::new();
                blocks(items(cell, "/content"), "", &mut inner);
                inner.trim().replace('\n', " ").replace('|', "\\|")
            })
            .collect();
        push_lines(&format!("| {} |", cells.join(" | ")), prefix, out);
        if i == 0 {
            push_lines(&format!("|{}", " --- |".repeat(cells.len())), prefix, out);
        }
    }
}

fn inlines(nodes: &[Value]) -> String {
    nodes.iter().map(inline).collect()
}

fn inline(node: &Value) -> String {
    match text(node, "/type") {
        "text" => marked(text(node, "/text"), items(node, "/marks")),
        "hardBreak" => "  \n".to_string(),
        "mention" => {
            let name = text(node, "/attrs/text");
            if name.starts_with('@') {
                name.to_string()
            } else {
                format!("@{name}")
            }
        }
        "emoji" => {
            let t = text(node, "/attrs/text");
            if t.is_empty() {
                text(node, "/attrs/shortName").to_string()
            } else {
                t.to_string()
            }
        }
        "inlineCard" | "blockCard" => {
            let url = text(node, "/attrs/url");
            format!("<{url}>")
        }
        "status" => format!("[{}]", text(node, "/attrs/text")),
        "date" => text(node, "/attrs/timestamp").to_string(),
        _ => inlines(items(node, "/content")),
    }
}

fn marked(s: &str, marks: &[Value]) -> String {
    let mut out = s.to_string();
    let mut link = None;
    for mark in marks {
        out = match text(mark, "/type") {
            "strong" => format!("**{out}**"),
            "em" => format!("*{out}*"),
            "strike" => format!("~~{out}~~"),
            "code" => format!("`{out}`"),
            "link" => {
                link = Some(text(mark, "/attrs/href").to_string());
                out
            }
            _ => out,
        };
    }
    match link {
        Some(href) => format!("[{out}]({href})"),
        None => out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> Value {
        json!({"type": "text", "text": s})
    }

    #[test]
    fn the_documented_example_converts() {
        // The "Hello world" document of the ADF structure page.
        let doc = json!({"version": 1, "type": "doc", "content": [
            {"type": "paragraph", "content": [{"type": "text", "text": "Hello "},
             {"type": "text", "text": "world", "marks": [{"type": "strong"}]}]}]});
        assert_eq!(to_markdown(&doc), "Hello **world**");
    }

    #[test]
    fn blocks_and_marks() {
        let doc = json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [t("Steps")]},
            {"type": "orderedList", "attrs": {"order": 1}, "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [t("Run")]},
                    {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [t("make test")]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "docs", "marks": [{"type": "link", "attrs": {"href": "https://x.org"}}]},
                    {"type": "hardBreak"},
                    {"type": "mention", "attrs": {"id": "1", "text": "@Ann"}}]}]}]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "x", "marks": [{"type": "code"}]}]}]}]},
            {"type": "blockquote", "content": [{"type": "paragraph", "content": [t("quoted")]}]},
            {"type": "rule"},
            {"type": "table", "content": [
                {"type": "tableRow", "content": [
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [t("a")]}]},
                    {"type": "tableHeader", "content": [{"type": "paragraph", "content": [t("b")]}]}]},
                {"type": "tableRow", "content": [
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [t("1")]}]},
                    {"type": "tableCell", "content": [{"type": "paragraph", "content": [t("2|3")]}]}]}]}
        ]});
        let want = "## Steps\n\n1. Run\n\n   ```bash\n   make test\n   ```\n2. [docs](https://x.org)  \n   @Ann\n\n- `x`\n\n> quoted\n\n---\n\n| a | b |\n| --- | --- |\n| 1 | 2\\|3 |";
        assert_eq!(to_markdown(&doc), want);
    }

    #[test]
    fn server_strings_and_null_pass_through() {
        assert_eq!(
            to_markdown(&json!("h1. Wiki *markup*")),
            "h1. Wiki *markup*"
        );
        assert_eq!(to_markdown(&Value::Null), "");
    }
}
