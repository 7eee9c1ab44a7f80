//! Unified diffs (git's, or `diff -u`'s) parsed into the changed files and, for each, the
//! line ranges of the new version that the diff shows.

/// A range of lines of the new version shown by one hunk, inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hunk {
    pub start: u64,
    pub end: u64,
}

/// One file of the diff.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileDiff {
    /// The path in the new version (the old path for a deleted file).
    pub path: String,
    pub deleted: bool,
    pub binary: bool,
    pub hunks: Vec<Hunk>,
}

impl FileDiff {
    /// The hunk showing this line of the new version.
    pub fn hunk_of(&self, line: u64) -> Option<Hunk> {
        if self.deleted {
            return None;
        }
        self.hunks
            .iter()
            .copied()
            .find(|h| (h.start..=h.end).contains(&line))
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    pub files: Vec<FileDiff>,
}

impl Diff {
    /// The file with this path; a path as a model may write it (`./x`, `b/x`) is accepted.
    pub fn file(&self, path: &str) -> Option<&FileDiff> {
        let path = path.trim().trim_start_matches("./");
        let find = |p: &str| self.files.iter().find(|f| f.path == p);
        find(path).or_else(|| {
            path.strip_prefix("b/")
                .or_else(|| path.strip_prefix("a/"))
                .and_then(find)
        })
    }
}

/// What the parser is in the middle of.
#[derive(Default)]
struct Parser {
    files: Vec<FileDiff>,
    old_path: Option<String>,
    /// A `diff --git` line opened a file whose `+++` line has not come yet.
    open: bool,
    /// Whether that line showed its paths with prefixes (`a/`, `c/`...), when it could tell.
    prefixed: Option<bool>,
    /// Lines still expected in the current hunk: (old side, new side).
    left: (u64, u64),
}

/// Parses a unified diff. Text that is not a diff yields no files.
pub fn parse(text: &str) -> Diff {
    let mut p = Parser::default();
    for line in text.lines() {
        if p.left != (0, 0) && p.hunk_line(line) {
            continue;
        }
        p.left = (0, 0);
        p.header_line(line);
    }
    Diff { files: p.files }
}

impl Parser {
    fn current(&mut self) -> Option<&mut FileDiff> {
        self.files.last_mut()
    }

    /// A line inside a hunk; false when it is not one (the hunk was shorter than announced).
    fn hunk_line(&mut self, line: &str) -> bool {
        let (old, new) = &mut self.left;
        match line.as_bytes().first() {
            None | Some(b' ') => {
                *old = old.saturating_sub(1);
                *new = new.saturating_sub(1);
            }
            Some(b'-') => *old = old.saturating_sub(1),
            Some(b'+') => *new = new.saturating_sub(1),
            Some(b'\\') => {}
            _ => return false,
        }
        true
    }

    fn header_line(&mut self, line: &str) {
        if let Some(rest) = line.strip_prefix("diff --git ") {
            let (path, prefixed) = git_header_path(rest).unzip();
            self.files.push(FileDiff {
                path: path.unwrap_or_default(),
                ..FileDiff::default()
            });
            self.old_path = None;
            self.open = true;
            self.prefixed = prefixed;
        } else if let Some(rest) = line.strip_prefix("--- ") {
            self.old_path = Some(path_of(rest));
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            self.new_path(path_of(rest));
        } else if let Some(rest) = line.strip_prefix("rename to ") {
            if let Some(f) = self.current() {
                f.path = unquote(rest);
            }
        } else if line.starts_with("deleted file mode") {
            if let Some(f) = self.current() {
                f.deleted = true;
            }
        } else if line.starts_with("Binary files ") || line == "GIT binary patch" {
            if let Some(f) = self.current() {
                f.binary = true;
            }
        } else if let Some((old, new, hunk)) = hunk_header(line) {
            self.left = (old, new);
            if let (Some(f), Some(hunk)) = (self.files.last_mut(), hunk) {
                f.hunks.push(hunk);
            }
        }
    }

    /// `+++ PATH`: completes the file a `diff --git` line opened, or opens one (`diff -u`).
    fn new_path(&mut self, new: String) {
        let old = self.old_path.take().unwrap_or_default();
        if !std::mem::take(&mut self.open) {
            self.files.push(FileDiff::default());
        }
        let (old, new) = match self.prefixed.take() {
            Some(false) => (old, new),
            _ => strip_prefixes(old, new),
        };
        let file = self.files.last_mut().expect("a file was just ensured");
        if new == "/dev/null" {
            file.deleted = true;
            file.path = old;
        } else {
            file.path = new;
        }
    }
}

/// The path of a `---`/`+++` line: unquoted, without a trailing tab and timestamp.
fn path_of(rest: &str) -> String {
    let rest = if rest.starts_with('"') {
        rest
    } else {
        rest.split('\t').next().unwrap_or(rest)
    };
    unquote(rest.trim_end_matches(['\r']))
}

/// The prefixes git puts before paths: `a/` and `b/`, or with `diff.mnemonicPrefix` `c/`
/// (commit), `i/` (index), `w/` (work tree), `o/` (object), `1/` and `2/` (`--no-index`).
const PREFIXES: &[u8] = b"abciwo12";

/// `path` without its git prefix, if it has one.
fn unprefixed(path: &str) -> Option<&str> {
    match path.as_bytes() {
        [p, b'/', ..] if PREFIXES.contains(p) => Some(&path[2..]),
        _ => None,
    }
}

/// Drops git's prefixes (`a/` and `b/`, or mnemonic ones) when both sides carry one (or
/// one side is /dev/null).
fn strip_prefixes(old: String, new: String) -> (String, String) {
    let null = "/dev/null";
    let prefixed = |p: &str| p == null || unprefixed(p).is_some();
    if !(prefixed(&old) || old.is_empty()) || !prefixed(&new) || (old == null && new == null) {
        return (old, new);
    }
    let strip = |p: String| unprefixed(&p).map(str::to_string).unwrap_or(p);
    (strip(old), strip(new))
}

/// The new path of `diff --git OLD NEW` when both halves name the same path (the common
/// case; otherwise the `+++` or `rename to` line says), and whether they carry prefixes
/// (`a/x b/x`, `c/x w/x`) or not (`--no-prefix`: `x x`).
fn git_header_path(rest: &str) -> Option<(String, bool)> {
    let (old, new) = if rest.starts_with('"') {
        let end = closing_quote(rest)?;
        (
            unquote(&rest[..=end]),
            unquote(rest[end + 1..].trim_start()),
        )
    } else {
        let half = rest.len().checked_sub(1)? / 2;
        let new = rest.get(half..)?.strip_prefix(' ')?;
        (rest.get(..half)?.to_string(), new.to_string())
    };
    if old == new {
        return Some((new, false));
    }
    match (unprefixed(&old), unprefixed(&new)) {
        (Some(o), Some(n)) if o == n => Some((n.to_string(), true)),
        _ => None,
    }
}

fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// Git's C-style quoting (`"caf\303\251 \"x\""`) undone; an unquoted path as it is.
fn unquote(s: &str) -> String {
    let Some(inner) = s.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else {
        return s.to_string();
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.bytes().peekable();
    while let Some(b) = chars.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        match chars.next() {
            Some(b'n') => bytes.push(b'\n'),
            Some(b't') => bytes.push(b'\t'),
            Some(b'r') => bytes.push(b'\r'),
            Some(d @ b'0'..=b'7') => {
                let mut value = u32::from(d - b'0');
                for _ in 0..2 {
                    if let Some(&d @ b'0'..=b'7') = chars.peek() {
                        value = value * 8 + u32::from(d - b'0');
                        chars.next();
                    }
                }
                bytes.push(value as u8);
            }
            Some(other) => bytes.push(other),
            None => bytes.push(b'\\'),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// `@@ -a[,b] +c[,d] @@`: the lines each side holds, and the new side's range (none when
/// the hunk only deletes).
fn hunk_header(line: &str) -> Option<(u64, u64, Option<Hunk>)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let span = |s: &str| -> Option<(u64, u64)> {
        match s.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    let ((_, old_len), (start, new_len)) = (span(old)?, span(new)?);
    let hunk = (new_len > 0).then(|| Hunk {
        start,
        end: start + new_len - 1,
    });
    Some((old_len, new_len, hunk))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIT: &str = "\
diff --git a/src/app.py b/src/app.py
index 1111111..2222222 100644
--- a/src/app.py
+++ b/src/app.py
@@ -1,3 +1,4 @@
 import os
+import subprocess
 
 def main():
@@ -10,2 +11,5 @@ def main():
-    old()
+    new()
+--- not a header
++++ not a header either
+    more()
 end
diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 3333333..0000000
--- a/gone.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/old name.rs b/new name.rs
similarity index 90%
rename from old name.rs
rename to new name.rs
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..4444444
Binary files /dev/null and b/logo.png differ
diff --git \"a/caf\\303\\251.txt\" \"b/caf\\303\\251.txt\"
new file mode 100644
--- /dev/null
+++ \"b/caf\\303\\251.txt\"
@@ -0,0 +1 @@
+x
\\ No newline at end of file
";

    #[test]
    fn parses_files_hunks_renames_deletions_and_quoting() {
        let diff = parse(GIT);
        type Summary<'a> = (&'a str, bool, bool, Vec<(u64, u64)>);
        let summary: Vec<Summary> = diff
            .files
            .iter()
            .map(|f| {
                (
                    f.path.as_str(),
                    f.deleted,
                    f.binary,
                    f.hunks.iter().map(|h| (h.start, h.end)).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("src/app.py", false, false, vec![(1, 4), (11, 15)]),
                ("gone.txt", true, false, vec![]),
                ("new name.rs", false, false, vec![]),
                ("logo.png", false, true, vec![]),
                ("café.txt", false, false, vec![(1, 1)]),
            ]
        );
    }

    #[test]
    fn plain_diff_u_and_lookup() {
        let text = "--- kv.py\t2024-01-01 10:00:00\n+++ kv.py\t2024-01-02 10:00:00\n@@ -5 +5,2 @@\n-a\n+b\n+c\n";
        let diff = parse(text);
        assert_eq!(diff.files.len(), 1);
        let file = diff.file("./kv.py").unwrap();
        assert_eq!(file.hunks, [Hunk { start: 5, end: 6 }]);
        assert_eq!(file.hunk_of(6), Some(Hunk { start: 5, end: 6 }));
        assert_eq!(file.hunk_of(7), None);
        let git = parse(GIT);
        assert!(git.file("b/src/app.py").is_some());
        assert!(git.file("src/other.py").is_none());
        assert_eq!(git.file("gone.txt").unwrap().hunk_of(1), None);
    }

    fn paths(text: &str) -> Vec<String> {
        parse(text).files.into_iter().map(|f| f.path).collect()
    }

    #[test]
    fn mnemonic_and_missing_prefixes() {
        let mnemonic = "diff --git c/src/app.py w/src/app.py\n--- c/src/app.py\n+++ w/src/app.py\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(paths(mnemonic), ["src/app.py"]);
        let cached = "diff --git i/new.py w/new.py\nnew file mode 100644\n--- /dev/null\n+++ w/new.py\n@@ -0,0 +1 @@\n+b\n";
        assert_eq!(paths(cached), ["new.py"]);
        let none = "diff --git a/x.py a/x.py\n--- a/x.py\n+++ a/x.py\n@@ -1 +1 @@\n-a\n+b\n";
        assert_eq!(paths(none), ["a/x.py"]);
        let none = "diff --git src/b.py src/b.py\ndeleted file mode 100644\n--- src/b.py\n+++ /dev/null\n@@ -1 +0,0 @@\n-a\n";
        assert_eq!(paths(none), ["src/b.py"]);
    }

    #[test]
    fn non_ascii_paths_never_split_a_character() {
        let renamed = "diff --git a/caf\u{e9}.txt b/na\u{ef}ve-\u{fc}ber.txt\nsimilarity index 90%\nrename from caf\u{e9}.txt\nrename to na\u{ef}ve-\u{fc}ber.txt\n";
        assert_eq!(paths(renamed), ["na\u{ef}ve-\u{fc}ber.txt"]);
        for cut in [
            "diff --git \u{e9}\u{e9} x",
            "diff --git a/\u{e9}",
            "diff --git \u{e9}",
        ] {
            let _ = parse(cut);
        }
    }

    #[test]
    fn text_that_is_not_a_diff_has_no_files() {
        assert!(parse("hello\nworld\n").files.is_empty());
        assert!(parse("").files.is_empty());
    }

    #[test]
    fn hunk_headers() {
        let table = [
            ("@@ -1,3 +1,4 @@", Some((3, 4, Some((1, 4))))),
            ("@@ -7 +7 @@ fn x()", Some((1, 1, Some((7, 7))))),
            ("@@ -3,2 +2,0 @@", Some((2, 0, None))),
            ("@@ nonsense @@", None),
        ];
        for (line, want) in table {
            let got = hunk_header(line).map(|(o, n, h)| (o, n, h.map(|h| (h.start, h.end))));
            assert_eq!(got, want, "{line}");
        }
    }
}
