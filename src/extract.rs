//! The code blocks of an answer and the `-x` selectors.
//!
//! * Fences are found by `markdown::scan` (CommonMark rules, also inside list items and
//!   block quotes).
//! * The language is the first word of the info string, cut at `,`, `{` or `:`
//!   (`rust,ignore` → `rust`, `python {.x}` → `python`); a bare `{.python}` gives `python`.
//! * A block's path is taken from the line just above its opening fence (or the one above
//!   that, when the line in between is blank): a bare path, one in backticks, bold, a list
//!   item, a block quote or a Markdown heading, optionally after `File:` and/or followed by a colon. It
//!   must look like a path: no spaces, and a `/`, a `.ext` or a well-known name such as
//!   `Makefile`.

use crate::error::{Failure, Kind, usage};
use crate::markdown;

/// One fenced code block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The language tag, as written (not lower-cased), if any.
    pub language: Option<String>,
    /// The file path written just above the fence, if any.
    pub path: Option<String>,
    /// The lines between the fences, each ending with `\n`.
    pub content: String,
}

/// Every fenced code block in `text`, in order (found by `markdown::scan`), each with the
/// path named just above it.
pub fn parse(text: &str) -> Vec<Block> {
    let lines = markdown::lines(text);
    // Lines before this index belong to an earlier block and cannot name a path.
    let mut prose_start = 0;
    markdown::scan(text)
        .into_iter()
        .map(|fence| {
            let path = path_above(&lines[prose_start..fence.open]);
            prose_start = fence.next;
            Block {
                language: language(&fence.info),
                path,
                content: fence.content,
            }
        })
        .collect()
}

fn language(info: &str) -> Option<String> {
    let word = info.split_whitespace().next()?;
    let lang = match word.strip_prefix("{.") {
        Some(class) => class,
        None => word,
    };
    let lang = lang.split([',', '{', '}', ':']).next().unwrap_or_default();
    (!lang.is_empty()).then(|| lang.to_string())
}

/// The path named on the last line of `prose`, or on the line before when the last is blank.
fn path_above(prose: &[&str]) -> Option<String> {
    let mut lines = prose.iter().rev();
    let mut line = strip_quotes(lines.next()?);
    if line.trim().is_empty() {
        line = strip_quotes(lines.next()?);
    }
    path_of(line)
}

/// A line without its block-quote markers (`> > x` → `x`).
fn strip_quotes(line: &str) -> &str {
    let mut s = line.strip_suffix('\r').unwrap_or(line);
    while let Some(rest) = s.trim_start().strip_prefix('>') {
        s = rest;
    }
    s
}

/// Extension-less file names that are paths although they have no `/` and no `.ext`.
const BARE_NAMES: &[&str] = &[
    "Makefile",
    "GNUmakefile",
    "makefile",
    "Dockerfile",
    "Containerfile",
    "Justfile",
    "justfile",
    "Gemfile",
    "Rakefile",
    "Procfile",
    "Vagrantfile",
    "Jenkinsfile",
    "LICENSE",
    "README",
];

/// The path a line names, if it names one and nothing else. Heading marks, a list marker,
/// emphasis (`*`), backticks, a `File:`/`Path:` label and a trailing colon are ignored.
pub fn path_of(line: &str) -> Option<String> {
    let unemphasized: String = line.chars().filter(|&c| c != '*').collect();
    let s = unemphasized.trim().trim_start_matches('#').trim_start();
    let s = strip_label(strip_wrappers(strip_list_marker(s)));
    is_path_like(s).then(|| s.to_string())
}

/// `- `, `+ ` or `1. ` / `1) ` at the start of a list item.
fn strip_list_marker(s: &str) -> &str {
    if let Some(rest) = s.strip_prefix("- ").or_else(|| s.strip_prefix("+ ")) {
        return rest.trim_start();
    }
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    match s[digits..]
        .strip_prefix(". ")
        .or_else(|| s[digits..].strip_prefix(") "))
    {
        Some(rest) if digits > 0 => rest.trim_start(),
        _ => s,
    }
}

/// `File: x`, `Filename x`, `path: x` → `x`.
fn strip_label(s: &str) -> &str {
    for label in ["filename", "file", "path"] {
        if let Some(head) = s.get(..label.len())
            && head.eq_ignore_ascii_case(label)
            && s[label.len()..].starts_with([':', ' ', '\t'])
        {
            return strip_wrappers(s[label.len()..].trim_start_matches(':'));
        }
    }
    s
}

/// Strips surrounding `**`, `__`, `*`, `_`, backticks and a trailing colon, repeatedly.
fn strip_wrappers(s: &str) -> &str {
    let mut s = s.trim();
    loop {
        let before = s;
        s = s.strip_suffix(':').unwrap_or(s).trim();
        for w in ["**", "__", "`", "*", "_"] {
            if let Some(inner) = s.strip_prefix(w).and_then(|x| x.strip_suffix(w)) {
                s = inner.trim();
            }
        }
        if s == before {
            return s;
        }
    }
}

fn is_path_like(s: &str) -> bool {
    if s.is_empty() || s.len() > 255 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let forbidden = [
        '`', '*', '<', '>', '|', '"', '?', '\\', ':', ',', ';', '\'', '$', '!',
    ];
    if s.contains(forbidden) || s.contains("](") {
        return false;
    }
    let name = s.rsplit('/').next().unwrap_or(s);
    let has_ext = name.rsplit_once('.').is_some_and(|(stem, ext)| {
        !ext.is_empty()
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
            && (!stem.is_empty() || name.len() > 1)
    });
    has_ext || BARE_NAMES.contains(&name) || (s.contains('/') && !name.is_empty())
}

/// Which blocks `-x` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selector {
    First,
    Last,
    All,
    /// 1-based.
    Index(usize),
    /// The first block tagged with this language (canonical, lower-case).
    Language(String),
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, Failure> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "" => Err(usage("--extract= needs a selector")
                .hint("first, last, all, a 1-based index, or a language such as python")),
            "first" => Ok(Selector::First),
            "last" => Ok(Selector::Last),
            "all" => Ok(Selector::All),
            lower => match lower.parse::<usize>() {
                Ok(0) => Err(usage("--extract indexes start at 1")),
                Ok(n) => Ok(Selector::Index(n)),
                Err(_) => Ok(Selector::Language(canonical_language(lower).to_string())),
            },
        }
    }

    /// The selected code, exactly: one block's contents, or for `all` every block's
    /// contents (trailing blank lines dropped) joined by one blank line.
    pub fn apply(&self, blocks: &[Block]) -> Result<String, Failure> {
        let found = match self {
            Selector::First => blocks.first(),
            Selector::Last => blocks.last(),
            Selector::Index(n) => blocks.get(n - 1),
            Selector::Language(lang) => blocks.iter().find(|b| {
                b.language
                    .as_deref()
                    .is_some_and(|l| canonical_language(&l.to_ascii_lowercase()) == lang)
            }),
            Selector::All if !blocks.is_empty() => return Ok(join_all(blocks)),
            Selector::All => None,
        };
        found
            .map(|b| b.content.clone())
            .ok_or_else(|| self.no_match(blocks))
    }

    fn no_match(&self, blocks: &[Block]) -> Failure {
        let wanted = match self {
            Selector::Index(n) => format!("no code block number {n}"),
            Selector::Language(lang) => format!("no code block tagged {lang}"),
            _ => "no code block".to_string(),
        };
        let had = match blocks.len() {
            0 => "the answer has no code blocks".to_string(),
            1 => format!("the answer has 1 code block ({})", tags(blocks)),
            n => format!("the answer has {n} code blocks ({})", tags(blocks)),
        };
        Failure::new(
            Kind::NothingToExtract,
            format!("{wanted} to extract: {had}"),
        )
    }
}

fn join_all(blocks: &[Block]) -> String {
    let parts: Vec<&str> = blocks
        .iter()
        .map(|b| b.content.trim_end_matches('\n'))
        .filter(|c| !c.is_empty())
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    parts.join("\n\n") + "\n"
}

fn tags(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|b| b.language.as_deref().unwrap_or("untagged"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Common aliases, so `-x py` finds a block tagged `python` and `-x bash` one tagged `sh`.
const ALIASES: &[(&str, &[&str])] = &[
    ("python", &["py", "python3", "py3"]),
    ("javascript", &["js", "node", "mjs", "cjs"]),
    ("typescript", &["ts"]),
    ("shell", &["sh", "bash", "zsh", "shell-session", "console"]),
    ("rust", &["rs"]),
    ("ruby", &["rb"]),
    ("yaml", &["yml"]),
    ("markdown", &["md"]),
    ("cpp", &["c++", "cxx", "hpp"]),
    ("go", &["golang"]),
    ("kotlin", &["kt"]),
    ("powershell", &["ps1", "pwsh"]),
    ("csharp", &["cs", "c#"]),
    ("dockerfile", &["docker"]),
    ("makefile", &["make", "mk"]),
];

/// The canonical name of a lower-case language tag.
pub fn canonical_language(lower: &str) -> &str {
    ALIASES
        .iter()
        .find(|(_, aliases)| aliases.contains(&lower))
        .map_or(lower, |(name, _)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(language: Option<&str>, path: Option<&str>, content: &str) -> Block {
        Block {
            language: language.map(str::to_string),
            path: path.map(str::to_string),
            content: content.to_string(),
        }
    }

    #[test]
    fn parses_fences_the_commonmark_way() {
        let cases: Vec<(&str, &str, Vec<Block>)> = vec![
            ("no blocks", "just prose\nand more\n", vec![]),
            ("empty answer", "", vec![]),
            (
                "simple",
                "Here:\n```python\nprint(1)\n```\nDone.",
                vec![b(Some("python"), None, "print(1)\n")],
            ),
            (
                "prose between two blocks is not swallowed",
                "```\na\n```\nprose\n```\nb\n```\n",
                vec![b(None, None, "a\n"), b(None, None, "b\n")],
            ),
            (
                "four backticks hold three",
                "````markdown\n```python\nx\n```\n````\n",
                vec![b(Some("markdown"), None, "```python\nx\n```\n")],
            ),
            (
                "tilde fence holds backticks",
                "~~~\n```\n~~~\n",
                vec![b(None, None, "```\n")],
            ),
            (
                "tildes close only on tildes, at least as long",
                "~~~~ sh\necho\n~~~\n```\n~~~~~\n",
                vec![b(Some("sh"), None, "echo\n~~~\n```\n")],
            ),
            (
                "closing fence may not carry an info string",
                "```\na\n``` x\n```\n",
                vec![b(None, None, "a\n``` x\n")],
            ),
            (
                "closing fence may have trailing spaces",
                "```\na\n```   \nafter\n",
                vec![b(None, None, "a\n")],
            ),
            (
                "two backticks are not a fence",
                "``\nnot code\n``\n",
                vec![],
            ),
            (
                "backtick info string with a backtick is inline code",
                "``` a`b\nx\n```\n",
                vec![b(None, None, "")],
            ),
            (
                "info string attributes",
                "```rust,ignore\nfn f() {}\n```\n``` python {.numberLines}\nx\n```\n```{.haskell}\ny\n```\n",
                vec![
                    b(Some("rust"), None, "fn f() {}\n"),
                    b(Some("python"), None, "x\n"),
                    b(Some("haskell"), None, "y\n"),
                ],
            ),
            (
                "indented fence strips that indentation",
                "1. step\n   ```sh\n   make\n     indented\n  less\n   ```\n",
                vec![b(Some("sh"), None, "make\n  indented\nless\n")],
            ),
            (
                "four spaces is not a fence",
                "    ```\n    code\n    ```\n",
                vec![],
            ),
            (
                "closing fence indented up to 3 spaces",
                "```\na\n   ```\n",
                vec![b(None, None, "a\n")],
            ),
            (
                "unterminated final fence runs to the end",
                "text\n```python\ndef f():\n    return 1",
                vec![b(Some("python"), None, "def f():\n    return 1\n")],
            ),
            ("unterminated empty fence", "```", vec![b(None, None, "")]),
            ("empty block", "```\n```\n", vec![b(None, None, "")]),
            (
                "CRLF answers give LF content",
                "Intro\r\n```js\r\nlet a;\r\nlet b;\r\n```\r\n",
                vec![b(Some("js"), None, "let a;\nlet b;\n")],
            ),
            (
                "fence in a list item after a blank line",
                "1. Step\n\n    ```bash\n    ls\n    ```\n",
                vec![b(Some("bash"), None, "ls\n")],
            ),
            (
                "fence in a block quote, path above it",
                "> `src/x.py`:\n> ```py\n> x = 1\n> ```\n",
                vec![b(Some("py"), Some("src/x.py"), "x = 1\n")],
            ),
            (
                "blank lines inside are kept",
                "```\na\n\nb\n\n```\n",
                vec![b(None, None, "a\n\nb\n\n")],
            ),
        ];
        for (name, text, want) in cases {
            assert_eq!(parse(text), want, "{name}");
        }
    }

    #[test]
    fn finds_the_path_above_a_fence() {
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("src/app.py", Some("src/app.py")),
            ("`src/app.py`", Some("src/app.py")),
            ("`src/app.py`:", Some("src/app.py")),
            ("src/app.py:", Some("src/app.py")),
            ("### src/app.py", Some("src/app.py")),
            ("## `src/app.py`", Some("src/app.py")),
            ("**src/app.py**", Some("src/app.py")),
            ("**`src/app.py`:**", Some("src/app.py")),
            ("**File: src/app.py**", Some("src/app.py")),
            ("### File: `lib/x.rs`", Some("lib/x.rs")),
            ("**File:** `src/app.py`", Some("src/app.py")),
            ("File `src/app.py`:", Some("src/app.py")),
            ("- `src/app.py`", Some("src/app.py")),
            ("2. **src/app.py**:", Some("src/app.py")),
            ("__init__.py", Some("__init__.py")),
            ("files.txt", Some("files.txt")),
            ("- item one", None),
            ("Path", None),
            ("Makefile", Some("Makefile")),
            ("app.py", Some("app.py")),
            (".gitignore", Some(".gitignore")),
            ("scripts/run", Some("scripts/run")),
            ("Here is the code:", None),
            ("Example:", None),
            ("Run python app.py", None),
            ("", None),
            ("# Title", None),
            ("...", None),
            ("see (app.py)", None),
            ("1.", None),
            ("https://example.com/x.py", None),
            ("[app.py](app.py)", None),
            ("app/[id]/page.tsx", Some("app/[id]/page.tsx")),
        ];
        for (line, want) in cases {
            assert_eq!(path_of(line).as_deref(), want, "{line:?}");
        }
    }

    #[test]
    fn paths_come_from_the_line_just_above_only() {
        let text = "### src/a.py\n```python\na\n```\nsrc/b.py\n\n```python\nb\n```\nsrc/c.py\n\n\n```\nc\n```\n```\nd\n```\n";
        let paths: Vec<_> = parse(text).into_iter().map(|b| b.path).collect();
        assert_eq!(
            paths,
            [Some("src/a.py".into()), Some("src/b.py".into()), None, None]
        );
    }

    #[test]
    fn a_closing_fence_line_is_not_a_path_for_the_next_block() {
        let text = "```\nsrc/x.py\n```\n```\ny\n```\n";
        assert_eq!(parse(text)[1].path, None);
    }

    #[test]
    fn selectors_parse() {
        let cases = [
            ("first", Selector::First),
            ("LAST", Selector::Last),
            ("all", Selector::All),
            ("2", Selector::Index(2)),
            ("Python", Selector::Language("python".into())),
            ("py", Selector::Language("python".into())),
            ("bash", Selector::Language("shell".into())),
            ("haskell", Selector::Language("haskell".into())),
        ];
        for (text, want) in cases {
            assert_eq!(Selector::parse(text).unwrap(), want, "{text}");
        }
        assert_eq!(Selector::parse("0").unwrap_err().kind, Kind::Usage);
        assert_eq!(Selector::parse("").unwrap_err().kind, Kind::Usage);
    }

    #[test]
    fn selectors_pick_blocks() {
        let blocks = vec![
            b(Some("sh"), None, "make\n"),
            b(Some("Python"), None, "print(1)\n\n"),
            b(None, None, ""),
            b(Some("python"), None, "print(2)\n"),
        ];
        let pick = |s: &str| Selector::parse(s).unwrap().apply(&blocks);
        assert_eq!(pick("first").unwrap(), "make\n");
        assert_eq!(pick("last").unwrap(), "print(2)\n");
        assert_eq!(pick("2").unwrap(), "print(1)\n\n");
        assert_eq!(pick("py").unwrap(), "print(1)\n\n");
        assert_eq!(pick("bash").unwrap(), "make\n");
        assert_eq!(pick("all").unwrap(), "make\n\nprint(1)\n\nprint(2)\n");
        let err = pick("5").unwrap_err();
        assert_eq!(err.kind, Kind::NothingToExtract);
        assert!(
            err.message
                .contains("4 code blocks (sh, Python, untagged, python)"),
            "{}",
            err.message
        );
        let err = pick("rust").unwrap_err();
        assert!(err.message.starts_with("no code block tagged rust"));
    }

    #[test]
    fn no_blocks_is_nothing_to_extract() {
        for sel in ["first", "last", "all", "1", "python"] {
            let err = Selector::parse(sel).unwrap().apply(&[]).unwrap_err();
            assert_eq!(err.kind, Kind::NothingToExtract);
            assert!(err.message.ends_with("the answer has no code blocks"));
        }
    }
}
