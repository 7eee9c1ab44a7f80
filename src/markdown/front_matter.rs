//! YAML front matter: `---`, the YAML, then a line `---`, at the very start of a file.
//! LF and CRLF files alike; a leading byte-order mark is ignored.

/// A file split at its front matter.
#[derive(Debug, PartialEq, Eq)]
pub struct FrontMatter<'a> {
    /// The YAML between the two `---` lines, line endings as written.
    pub yaml: &'a str,
    /// Everything after the closing `---` line.
    pub body: &'a str,
    /// How many lines the front matter took, both `---` lines included.
    pub lines: usize,
}

/// Splits the front matter off `text`; `None` when it does not start with one (no opening
/// `---` line, or no closing one).
pub fn split_front_matter(text: &str) -> Option<FrontMatter<'_>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---")
        .and_then(|r| r.strip_prefix('\n').or_else(|| r.strip_prefix("\r\n")))?;
    let mut offset = 0;
    for (i, line) in rest.split_inclusive('\n').enumerate() {
        if line.trim_end() == "---" {
            return Some(FrontMatter {
                yaml: &rest[..offset],
                body: &rest[offset + line.len()..],
                lines: i + 2,
            });
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    type Split<'a> = Option<(&'a str, &'a str, usize)>;

    #[test]
    fn splits_lf_and_crlf_front_matter() {
        let cases: &[(&str, Split)] = &[
            (
                "---\nname: x\n---\nbody\n",
                Some(("name: x\n", "body\n", 3)),
            ),
            ("---\n---\nbody", Some(("", "body", 2))),
            (
                "---\r\nname: x\r\n---\r\nbody\r\n",
                Some(("name: x\r\n", "body\r\n", 3)),
            ),
            ("\u{feff}---\na: 1\n---\n", Some(("a: 1\n", "", 3))),
            (
                "---\na: 1\n---\nbody\n---\nmore",
                Some(("a: 1\n", "body\n---\nmore", 3)),
            ),
            ("---\na: 1\n---   \nb", Some(("a: 1\n", "b", 3))),
            ("--- not front matter\nbody", None),
            ("---\nname: x\nno closing line", None),
            ("body\n---\nx\n---\n", None),
            ("", None),
        ];
        for (text, want) in cases {
            let got = split_front_matter(text).map(|f| (f.yaml, f.body, f.lines));
            assert_eq!(got, *want, "{text:?}");
        }
    }
}
