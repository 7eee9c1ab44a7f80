//! Fenced code blocks, found the CommonMark way, also inside list items and block quotes.
//!
//! * A fence is 3+ backticks or 3+ tildes, indented by at most 3 spaces within its
//!   container. It closes at a line of the same character, at least as long, indented at
//!   most 3 spaces, with nothing but spaces after it; so a ```` fence holds ``` fences. An
//!   unclosed fence runs to the end of the text, or of the block quote holding it.
//! * Containers: a block quote (`> `) holds the lines that start with `>`; a list item
//!   (`- `, `* `, `+ `, `1. `, `1) `) holds the lines indented at least to its content
//!   column, and blank lines. Inside an open fence a list item is lenient: a line indented
//!   less stays in the block with its spaces removed (answers are often sloppy there).
//! * The opening fence's indentation (up to that many spaces) is removed from each content
//!   line, as CommonMark does. A CR before a line feed is ignored when reading fences and
//!   dropped from `content`.

use std::ops::Range;

/// One fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fence {
    /// The info string after the opening fence, trimmed.
    pub info: String,
    /// The lines between the fences, containers and indentation removed, each ending
    /// with `\n`.
    pub content: String,
    /// The opening fence's line (an index into `lines(text)`).
    pub open: usize,
    /// The content's lines, as written (an index range into `lines(text)`).
    pub body: Range<usize>,
    /// The first line after the block (after its closing fence, when it has one).
    pub next: usize,
    /// A closing fence was found.
    pub closed: bool,
}

/// The lines of `text` as the scanner numbers them: split at `\n`, a final newline ending
/// the last line rather than starting an empty one. A CR before `\n` stays in the line.
pub fn lines(text: &str) -> Vec<&str> {
    let text = text.strip_suffix('\n').unwrap_or(text);
    if text.is_empty() {
        return Vec::new();
    }
    text.split('\n').collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Container {
    Quote,
    /// A list item whose content starts at this column (relative to its container).
    Item(usize),
}

/// An opening fence: its character, length and indentation, and the info string.
struct Opening<'a> {
    ch: u8,
    len: usize,
    indent: usize,
    info: &'a str,
}

/// Every fenced code block in `text`, in order.
pub fn scan(text: &str) -> Vec<Fence> {
    let lines = lines(text);
    let mut fences = Vec::new();
    let mut stack: Vec<Container> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].strip_suffix('\r').unwrap_or(lines[i]);
        let (matched, rest) = enter(line, &stack, false);
        stack.truncate(matched);
        let rest = open_containers(rest, &mut stack);
        let Some(opening) = opening_fence(rest) else {
            i += 1;
            continue;
        };
        let depth = stack.len();
        let mut content = String::new();
        let mut j = i + 1;
        let mut closed = false;
        while j < lines.len() {
            let line = lines[j].strip_suffix('\r').unwrap_or(lines[j]);
            let (matched, rest) = enter(line, &stack, true);
            if matched < depth {
                break; // its container ended
            }
            if closes(rest, &opening) {
                closed = true;
                break;
            }
            content.push_str(strip_indent(rest, opening.indent));
            content.push('\n');
            j += 1;
        }
        fences.push(Fence {
            info: opening.info.to_string(),
            content,
            open: i,
            body: i + 1..j,
            next: if closed { j + 1 } else { j },
            closed,
        });
        i = if closed { j + 1 } else { j };
    }
    fences
}

fn leading_spaces(s: &str) -> usize {
    s.len() - s.trim_start_matches(' ').len()
}

/// Walks `line` through the open containers: how many of them it continues, and the text
/// inside the innermost one it continues.
fn enter<'a>(line: &'a str, stack: &[Container], in_fence: bool) -> (usize, &'a str) {
    let mut rest = line;
    for (n, container) in stack.iter().enumerate() {
        match container {
            Container::Quote => match quote_marker(rest) {
                Some(inner) => rest = inner,
                None => return (n, rest),
            },
            Container::Item(col) => {
                let spaces = leading_spaces(rest);
                if rest.trim().is_empty() {
                    rest = "";
                } else if spaces >= *col {
                    rest = &rest[*col..];
                } else if in_fence {
                    rest = &rest[spaces..];
                } else {
                    return (n, rest);
                }
            }
        }
    }
    (stack.len(), rest)
}

/// Opens the block quotes and list items that start `rest`; returns the text inside them.
fn open_containers<'a>(mut rest: &'a str, stack: &mut Vec<Container>) -> &'a str {
    loop {
        if let Some(inner) = quote_marker(rest) {
            stack.push(Container::Quote);
            rest = inner;
        } else if let Some(col) = list_marker(rest) {
            stack.push(Container::Item(col));
            rest = rest.get(col..).unwrap_or("");
        } else {
            return rest;
        }
    }
}

/// The text after a block-quote marker (up to 3 spaces, `>`, one optional space).
fn quote_marker(s: &str) -> Option<&str> {
    let indent = leading_spaces(s);
    let after = s.get(indent..)?.strip_prefix('>').filter(|_| indent <= 3)?;
    Some(after.strip_prefix(' ').unwrap_or(after))
}

/// The content column of a list item starting `s` (`- x` → 2, `10. x` → 4), if it is one.
fn list_marker(s: &str) -> Option<usize> {
    let indent = leading_spaces(s);
    if indent > 3 {
        return None;
    }
    let rest = &s[indent..];
    let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let marker = match rest.as_bytes().first()? {
        b'-' | b'+' | b'*' => 1,
        _ if (1..=9).contains(&digits) && rest[digits..].starts_with(['.', ')']) => digits + 1,
        _ => return None,
    };
    let after = &rest[marker..];
    if after.is_empty() || after.trim().is_empty() {
        return Some(indent + marker + 1);
    }
    let spaces = leading_spaces(after);
    match spaces {
        0 => None,
        1..=4 => Some(indent + marker + spaces),
        _ => Some(indent + marker + 1),
    }
}

/// Up to 3 spaces, then the fence run; `None` when the line is not an opening fence.
fn opening_fence(line: &str) -> Option<Opening<'_>> {
    let indent = leading_spaces(line);
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let ch = *rest.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = rest.len() - rest.trim_start_matches(ch as char).len();
    let info = rest[len..].trim();
    // A backtick fence's info string may not contain a backtick (that is inline code).
    if len < 3 || (ch == b'`' && info.contains('`')) {
        return None;
    }
    Some(Opening {
        ch,
        len,
        indent,
        info,
    })
}

fn closes(line: &str, fence: &Opening) -> bool {
    let indent = leading_spaces(line);
    if indent > 3 {
        return false;
    }
    let rest = &line[indent..];
    let run = rest.len() - rest.trim_start_matches(fence.ch as char).len();
    run >= fence.len && rest[run..].trim_matches([' ', '\t']).is_empty()
}

/// Removes up to `indent` leading spaces.
fn strip_indent(line: &str, indent: usize) -> &str {
    &line[leading_spaces(line).min(indent)..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (info, content, closed) of every fence.
    fn found(text: &str) -> Vec<Found> {
        scan(text)
            .into_iter()
            .map(|f| (f.info, f.content, f.closed))
            .collect()
    }

    type Found = (String, String, bool);

    fn f(info: &str, content: &str, closed: bool) -> Found {
        (info.to_string(), content.to_string(), closed)
    }

    #[test]
    fn finds_fences_the_commonmark_way() {
        let cases: Vec<(&str, &str, Vec<Found>)> = vec![
            ("none", "prose\nmore\n", vec![]),
            ("empty text", "", vec![]),
            ("simple", "a\n```py\nx\n```\nb", vec![f("py", "x\n", true)]),
            (
                "longer fence holds shorter",
                "````md\n```py\nx\n```\n````\n",
                vec![f("md", "```py\nx\n```\n", true)],
            ),
            (
                "tilde holds backticks",
                "~~~\n```\n~~~\n",
                vec![f("", "```\n", true)],
            ),
            (
                "closing needs the same char, as long",
                "~~~~ sh\necho\n~~~\n```\n~~~~~\n",
                vec![f("sh", "echo\n~~~\n```\n", true)],
            ),
            (
                "closing fence has no info string",
                "```\na\n``` x\n```\n",
                vec![f("", "a\n``` x\n", true)],
            ),
            ("two backticks", "``\nx\n``\n", vec![]),
            (
                "inline code is not a fence",
                "``` a`b\nx\n```\n",
                vec![f("", "", false)],
            ),
            (
                "four spaces is code, not a fence",
                "    ```\n    x\n    ```\n",
                vec![],
            ),
            (
                "unclosed runs to the end",
                "```py\nx",
                vec![f("py", "x\n", false)],
            ),
            (
                "unclosed, final newline",
                "```\nx\n",
                vec![f("", "x\n", false)],
            ),
            (
                "CRLF",
                "```js\r\na;\r\n```\r\n",
                vec![f("js", "a;\n", true)],
            ),
            (
                "list item, blank line, 4-space fence",
                "1. Step\n\n    ```bash\n    ls\n    ```\n",
                vec![f("bash", "ls\n", true)],
            ),
            (
                "list item fence indented to its column",
                "1. step\n   ```sh\n   make\n     indented\n  less\n   ```\n",
                vec![f("sh", "make\n  indented\nless\n", true)],
            ),
            (
                "fence on the list item's own line",
                "- ```sh\n  ls\n  ```\n",
                vec![f("sh", "ls\n", true)],
            ),
            (
                "nested list items",
                "- a\n  - b\n\n      ```rs\n      x\n      ```\n",
                vec![f("rs", "x\n", true)],
            ),
            (
                "after the list, four spaces is code again",
                "- a\n\nprose\n\n    ```\n    x\n    ```\n",
                vec![],
            ),
            (
                "block quote",
                "> ```py\n> x = 1\n> ```\n",
                vec![f("py", "x = 1\n", true)],
            ),
            (
                "block quote without the optional space",
                ">```py\n>x = 1\n>```\n",
                vec![f("py", "x = 1\n", true)],
            ),
            (
                "a fence ends with its block quote",
                "> ```py\n> x = 1\nafter\n```\ny\n```\n",
                vec![f("py", "x = 1\n", false), f("", "y\n", true)],
            ),
            (
                "list item in a block quote",
                "> 1. run\n>\n>    ```sh\n>    ls\n>    ```\n",
                vec![f("sh", "ls\n", true)],
            ),
            (
                "list markers inside a fence are content",
                "```\n- a\n> b\n```\n",
                vec![f("", "- a\n> b\n", true)],
            ),
            (
                "emphasis is not a list",
                "**File:**\n```\nx\n```\n",
                vec![f("", "x\n", true)],
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(found(text), want, "{name}");
        }
    }

    #[test]
    fn reports_where_each_fence_is() {
        let text = "a\n```\nx\ny\n```\nb\n~~~\nz";
        let got: Vec<_> = scan(text)
            .into_iter()
            .map(|f| (f.open, f.body, f.next))
            .collect();
        assert_eq!(got, [(1, 2..4, 5), (6, 7..8, 8)]);
        assert_eq!(lines("a\nb\n"), ["a", "b"]);
        assert_eq!(lines("a\r\n\n"), ["a\r", ""]);
    }
}
