//! Resolving the prompt and the snippets (named snippets, files, directories, globs, stdin)
//! and rendering each snippet as a message of its own.

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::cli::AskArgs;
use crate::error::usage;
use crate::message::{Message, Role};
use crate::settings::Paths;

/// One file read into one snippet refuses anything larger than this.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// All snippets together.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// The prompt and its context, ready for the plan.
#[derive(Debug, Default)]
pub struct Input {
    pub prompt: String,
    pub system_snippets: Vec<Message>,
    pub snippets: Vec<Message>,
}

/// A snippet before rendering: a label (its path) and its text.
#[derive(Debug, PartialEq)]
pub struct Snippet {
    pub label: String,
    pub text: String,
}

/// Reads stdin once, if it is piped; empty stdin counts as none.
pub fn read_stdin(stdin_is_tty: bool) -> Result<Option<String>> {
    if stdin_is_tty {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read stdin: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|_| usage("stdin is not UTF-8 text"))?;
    Ok(Some(text).filter(|t| !t.trim().is_empty()))
}

pub fn gather(ask: &AskArgs, paths: &Paths, stdin_is_tty: bool) -> Result<Input> {
    let wants_stdin = ask.prompt_file.as_deref() == Some(Path::new("-"))
        || ask.snippet.iter().chain(&ask.sys_snippet).any(|s| s == "-");
    let mut stdin = read_stdin(stdin_is_tty && !wants_stdin)?;
    let mut budget = Budget::default();
    let mut render_all =
        |specs: &[String], role: Role, stdin: &mut Option<String>| -> Result<Vec<Message>> {
            let mut out = Vec::new();
            for spec in specs {
                for snippet in resolve(spec, paths, stdin, &mut budget)? {
                    out.push(Message::new(role, render(&snippet)));
                }
            }
            Ok(out)
        };
    let system_snippets = render_all(&ask.sys_snippet, Role::System, &mut stdin)?;
    let mut snippets = render_all(&ask.snippet, Role::User, &mut stdin)?;
    let mut prompt = match &ask.prompt_file {
        Some(path) if path == Path::new("-") => stdin.take().unwrap_or_default(),
        Some(path) => read_text(path)?,
        None => ask.prompt.join(" "),
    };
    if !ask.prompt.is_empty() && ask.prompt_file.is_some() {
        prompt = format!("{prompt}\n\n{}", ask.prompt.join(" "));
    }
    match stdin.take() {
        Some(text) if prompt.trim().is_empty() => prompt = text,
        Some(text) => snippets.push(Message::new(
            Role::User,
            render(&Snippet {
                label: "stdin".into(),
                text,
            }),
        )),
        None => {}
    }
    if prompt.trim().is_empty() {
        return Err(usage("the prompt is empty")
            .hint("give the prompt as words, with --prompt-file, or on stdin")
            .into());
    }
    Ok(Input {
        prompt,
        system_snippets,
        snippets,
    })
}

/// Counts bytes read so that a huge context is refused before it is read.
#[derive(Default)]
struct Budget {
    total: u64,
}

impl Budget {
    fn take(&mut self, path: &Path, len: u64) -> Result<()> {
        if len > MAX_FILE_BYTES {
            return Err(usage(format!(
                "snippet {} is too large ({} MiB; the limit is {} MiB)",
                path.display(),
                len >> 20,
                MAX_FILE_BYTES >> 20
            ))
            .hint("give a smaller file, or a part of it on stdin")
            .into());
        }
        self.total += len;
        if self.total > MAX_TOTAL_BYTES {
            return Err(usage(format!(
                "snippets add up to more than {} MiB (at {})",
                MAX_TOTAL_BYTES >> 20,
                path.display()
            ))
            .into());
        }
        Ok(())
    }
}

fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '[', '{'])
}

/// One `--snippet` argument → the snippets it names, in a stable order.
fn resolve(
    spec: &str,
    paths: &Paths,
    stdin: &mut Option<String>,
    budget: &mut Budget,
) -> Result<Vec<Snippet>> {
    if spec == "-" {
        let text = stdin
            .take()
            .ok_or_else(|| usage("--snippet - was given, but stdin is empty or already used"))?;
        return Ok(vec![Snippet {
            label: "stdin".into(),
            text,
        }]);
    }
    let path = paths.cwd.join(spec);
    if path.is_dir() {
        return read_dir(&path, spec, budget);
    }
    if path.exists() {
        return Ok(vec![read_snippet(&path, spec, budget)?]);
    }
    if let Some(named) = find_named(spec, &paths.snippets_dirs) {
        return Ok(vec![read_snippet(&named, spec, budget)?]);
    }
    if is_glob(spec) {
        return read_glob(spec, &paths.cwd, budget);
    }
    Err(usage(format!("snippet not found: {spec}"))
        .hint("give a file, directory or glob relative to the working directory, or a named snippet (cellmage snippets)")
        .into())
}

/// A named snippet: `NAME` exactly, or `NAME.*`, in the snippet directories.
fn find_named(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
    if name.contains(['/', '\\']) {
        return None;
    }
    dirs.iter().find_map(|dir| {
        let exact = dir.join(name);
        if exact.is_file() {
            return Some(exact);
        }
        let mut matches: Vec<PathBuf> = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.is_file() && p.file_stem().is_some_and(|s| s == name))
            .collect();
        matches.sort();
        matches.into_iter().next()
    })
}

/// Every named snippet: `(name, path)`, first directory wins.
pub fn list_named(dirs: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        for path in files {
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, path));
            }
        }
    }
    found
}

fn read_text(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| usage(format!("{} is not UTF-8 text", path.display())).into())
}

/// Reads a file named explicitly: missing, unreadable or binary is an error.
fn read_snippet(path: &Path, label: &str, budget: &mut Budget) -> Result<Snippet> {
    let meta = std::fs::metadata(path)
        .map_err(|e| usage(format!("cannot read snippet {}: {e}", path.display())))?;
    budget.take(path, meta.len())?;
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read snippet {}: {e}", path.display())))?;
    let text = text_of(bytes).ok_or_else(|| {
        usage(format!("snippet {} is a binary file", path.display()))
            .hint("only text files can be sent as snippets")
    })?;
    Ok(Snippet {
        label: label.to_string(),
        text,
    })
}

/// Text, or `None` for a binary file (a NUL byte, or not UTF-8).
fn text_of(bytes: Vec<u8>) -> Option<String> {
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

fn label_for(root_label: &str, root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    Path::new(root_label)
        .join(rel)
        .to_string_lossy()
        .replace('\\', "/")
}

/// A directory: recursive, .gitignore respected, hidden and binary files skipped, sorted.
fn read_dir(dir: &Path, label: &str, budget: &mut Budget) -> Result<Vec<Snippet>> {
    walk(dir, budget, |path| Some(label_for(label, dir, path)))
}

fn walk(
    dir: &Path,
    budget: &mut Budget,
    label: impl Fn(&Path) -> Option<String>,
) -> Result<Vec<Snippet>> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(dir)
        .require_git(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .build()
    {
        let entry = entry.map_err(|e| usage(format!("cannot read {}: {e}", dir.display())))?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        if let Some(label) = label(entry.path()) {
            files.push((entry.into_path(), label));
        }
    }
    let mut out = Vec::with_capacity(files.len());
    for (path, label) in files {
        let len = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        budget.take(&path, len)?;
        let bytes = std::fs::read(&path)
            .map_err(|e| usage(format!("cannot read snippet {}: {e}", path.display())))?;
        if let Some(text) = text_of(bytes) {
            out.push(Snippet { label, text });
        }
    }
    Ok(out)
}

/// A glob relative to the working directory; matching nothing is an error.
fn read_glob(spec: &str, cwd: &Path, budget: &mut Budget) -> Result<Vec<Snippet>> {
    let glob = globset::GlobBuilder::new(spec)
        .literal_separator(true)
        .build()
        .map_err(|e| usage(format!("invalid glob {spec:?}: {e}")))?
        .compile_matcher();
    let base: PathBuf = Path::new(spec)
        .components()
        .take_while(|c| !is_glob(&c.as_os_str().to_string_lossy()))
        .collect();
    let root = cwd.join(&base);
    let absolute = Path::new(spec).is_absolute();
    let found = if root.is_dir() {
        walk(&root, budget, |path| {
            let rel = if absolute {
                path
            } else {
                path.strip_prefix(cwd).ok()?
            };
            glob.is_match(rel)
                .then(|| rel.to_string_lossy().replace('\\', "/"))
        })?
    } else {
        Vec::new()
    };
    if found.is_empty() {
        return Err(usage(format!("no file matches the snippet glob {spec:?}")).into());
    }
    Ok(found)
}

/// The language tag for a fence, from the file's extension.
pub fn language_of(label: &str) -> &'static str {
    let ext = Path::new(label)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("");
    match ext.to_ascii_lowercase().as_str() {
        "py" | "pyi" => "python",
        "rs" => "rust",
        "js" | "mjs" | "cjs" => "javascript",
        "ts" | "mts" => "typescript",
        "tsx" => "tsx",
        "jsx" => "jsx",
        "go" => "go",
        "java" => "java",
        "kt" | "kts" => "kotlin",
        "c" | "h" => "c",
        "cc" | "cpp" | "cxx" | "hpp" | "hh" => "cpp",
        "cs" => "csharp",
        "rb" => "ruby",
        "php" => "php",
        "swift" => "swift",
        "sh" | "bash" => "bash",
        "zsh" => "zsh",
        "ps1" => "powershell",
        "sql" => "sql",
        "html" | "htm" => "html",
        "css" => "css",
        "json" => "json",
        "yaml" | "yml" => "yaml",
        "toml" => "toml",
        "xml" => "xml",
        "md" | "markdown" => "markdown",
        "ipynb" => "json",
        "diff" | "patch" => "diff",
        "dockerfile" => "dockerfile",
        _ if label.ends_with("Makefile") => "makefile",
        _ if label.ends_with("Dockerfile") => "dockerfile",
        _ => "",
    }
}

/// The fence for a text: one backtick longer than its longest backtick run, at least three.
pub fn fence_for(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

/// A snippet as a message: a header naming its path, then the text in a safe fence.
pub fn render(snippet: &Snippet) -> String {
    let fence = fence_for(&snippet.text);
    let lang = language_of(&snippet.label);
    let body = snippet.text.strip_suffix('\n').unwrap_or(&snippet.text);
    format!("File: {}\n{fence}{lang}\n{body}\n{fence}", snippet.label)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fence_is_longer_than_any_backtick_run() {
        let table = [
            ("plain", 3),
            ("a ``` b", 4),
            ("````` x ``", 6),
            ("`", 3),
            ("", 3),
        ];
        for (text, len) in table {
            assert_eq!(fence_for(text).len(), len, "{text:?}");
        }
    }

    #[test]
    fn render_has_header_language_and_fence() {
        let s = Snippet {
            label: "src/db.py".into(),
            text: "x = 1\n".into(),
        };
        assert_eq!(render(&s), "File: src/db.py\n```python\nx = 1\n```");
        let s = Snippet {
            label: "notes".into(),
            text: "```\ninner\n```".into(),
        };
        assert_eq!(render(&s), "File: notes\n````\n```\ninner\n```\n````");
    }

    #[test]
    fn binary_is_detected() {
        assert!(text_of(b"a\0b".to_vec()).is_none());
        assert!(text_of(vec![0xff, 0xfe, b'a']).is_none());
        assert_eq!(text_of(b"fine".to_vec()).as_deref(), Some("fine"));
    }
}

pub mod adf;
pub mod confluence;
pub mod endpoints;
pub mod github;
pub mod gitlab;
pub mod image;
pub mod jira;
pub mod post;
pub mod remote;
pub mod spec;
pub mod web;
