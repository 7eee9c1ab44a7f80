//! Resolving the prompt and the snippets, and rendering each snippet as a message of its own.
//!
//! Each kind of `--snippet` argument is a [`Source`] in its own file, registered by one line
//! in [`SOURCES`]; the first source that claims an argument reads it. The shared parts: the
//! size budget (`budget`), the text/binary check and file reading (`text`), and rendering as
//! `File: label` + a safe fence (`render`).

mod budget;
mod directory;
mod file;
mod glob;
mod named;
mod render;
mod stdin;
mod text;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use anyhow::Result;

use crate::cli::AskArgs;
use crate::error::usage;
use crate::message::{Message, Origin, Role};
use crate::secret::Secret;
use crate::settings::Paths;

pub use budget::{Budget, MAX_FILE_BYTES, MAX_TOTAL_BYTES};
pub use named::list as list_named;
pub use render::{fence_for, language_of};

/// The sources, in the order they are asked to claim a `--snippet` argument.
pub static SOURCES: &[&dyn Source] = &[
    &stdin::Stdin,
    &directory::Directory,
    &file::File,
    &named::Named,
    &glob::Glob,
];

/// One kind of snippet argument.
pub trait Source: Sync {
    /// The kind recorded with each snippet it reads (`file`, `glob`, …).
    fn kind(&self) -> &'static str;
    /// Whether this source reads `spec`; the first source that claims it does.
    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool;
    /// The snippets `spec` names, in a stable order, each taken from the budget.
    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>>;
    /// The environment variables this source reads (tokens, endpoints). Settings captures
    /// them into [`Reader::vars`]; a source never reads the environment itself.
    fn variables(&self) -> &'static [&'static str] {
        &[]
    }
}

/// What a source reads with: the paths, stdin (taken at most once), the shared size
/// budget, and the variables sources declared.
pub struct Reader<'a> {
    pub paths: &'a Paths,
    pub stdin: &'a mut Option<String>,
    pub budget: &'a mut Budget,
    pub vars: &'a Vars,
}

/// The environment variables the sources declared, captured by settings (the one reader
/// of the environment); secrets stay redacted in Debug output.
#[derive(Clone, Debug, Default)]
pub struct Vars(BTreeMap<&'static str, Secret>);

impl Vars {
    /// Every variable a registered source declares.
    pub fn declared() -> impl Iterator<Item = &'static str> {
        SOURCES.iter().flat_map(|s| s.variables().iter().copied())
    }

    /// Captures the declared variables through `lookup` (settings passes its environment).
    pub fn capture<'e>(lookup: impl Fn(&str) -> Option<&'e str>) -> Vars {
        Vars::capture_names(Vars::declared(), lookup)
    }

    fn capture_names<'e>(
        names: impl Iterator<Item = &'static str>,
        lookup: impl Fn(&str) -> Option<&'e str>,
    ) -> Vars {
        Vars(
            names
                .filter_map(|name| Some((name, Secret::new(lookup(name)?))))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.0.get(name)
    }
}

/// The prompt and its context, ready for the plan.
#[derive(Debug, Default)]
pub struct Input {
    pub prompt: String,
    pub system_snippets: Vec<Message>,
    pub snippets: Vec<Message>,
}

/// A snippet before rendering: the source that read it, a label (its path) and its text.
#[derive(Debug, PartialEq)]
pub struct Snippet {
    pub kind: &'static str,
    pub label: String,
    pub text: String,
}

impl Snippet {
    pub fn new(kind: &'static str, label: impl Into<String>, text: impl Into<String>) -> Self {
        Snippet {
            kind,
            label: label.into(),
            text: text.into(),
        }
    }

    /// The message sent for it: rendered text, with the label kept as data beside it.
    pub fn into_message(self, role: Role) -> Message {
        let content = render::render(&self.label, &self.text);
        let origin = Origin {
            kind: self.kind.to_string(),
            label: self.label,
        };
        Message::snippet(role, content, origin)
    }
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

pub fn gather(ask: &AskArgs, paths: &Paths, vars: &Vars, stdin_is_tty: bool) -> Result<Input> {
    let wants_stdin = ask.prompt_file.as_deref() == Some(Path::new("-"))
        || ask.snippet.iter().chain(&ask.sys_snippet).any(|s| s == "-");
    let mut stdin = read_stdin(stdin_is_tty && !wants_stdin)?;
    let mut budget = Budget::default();
    let mut render_all =
        |specs: &[String], role: Role, stdin: &mut Option<String>| -> Result<Vec<Message>> {
            let mut reader = Reader {
                paths,
                stdin,
                budget: &mut budget,
                vars,
            };
            let mut out = Vec::new();
            for spec in specs {
                for snippet in resolve(spec, &mut reader)? {
                    out.push(snippet.into_message(role));
                }
            }
            Ok(out)
        };
    let system_snippets = render_all(&ask.sys_snippet, Role::System, &mut stdin)?;
    let mut snippets = render_all(&ask.snippet, Role::User, &mut stdin)?;
    let mut prompt = match &ask.prompt_file {
        Some(path) if path == Path::new("-") => stdin.take().unwrap_or_default(),
        Some(path) => text::read_text(path)?,
        None => ask.prompt.join(" "),
    };
    if !ask.prompt.is_empty() && ask.prompt_file.is_some() {
        prompt = format!("{prompt}\n\n{}", ask.prompt.join(" "));
    }
    match stdin.take() {
        Some(text) if prompt.trim().is_empty() => prompt = text,
        Some(text) => snippets.push(Snippet::new("stdin", "stdin", text).into_message(Role::User)),
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

/// One `--snippet` argument → the snippets it names: the first source that claims it reads it.
fn resolve(spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
    match SOURCES.iter().find(|s| s.claims(spec, reader)) {
        Some(source) => source.read(spec, reader),
        None => Err(usage(format!("snippet not found: {spec}"))
            .hint("give a file, directory or glob relative to the working directory, or a named snippet (cellmage snippets)")
            .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_message_carries_its_label_as_data() {
        let m = Snippet::new("file", "src/db.py", "x = 1\n").into_message(Role::User);
        assert_eq!(m.content, "File: src/db.py\n```python\nx = 1\n```");
        assert_eq!(m.label(), Some("src/db.py"));
        assert_eq!(m.snippet.unwrap().kind, "file");
    }

    #[test]
    fn only_declared_variables_are_captured_and_they_stay_secret() {
        let env = [("GITHUB_TOKEN", "ghp_1"), ("HOME", "/home/u")];
        let lookup = |n: &str| env.iter().find(|(k, _)| *k == n).map(|(_, v)| *v);
        let vars = Vars::capture_names(["GITHUB_TOKEN", "GITLAB_TOKEN"].into_iter(), lookup);
        assert_eq!(vars.get("GITHUB_TOKEN").map(Secret::expose), Some("ghp_1"));
        assert!(vars.get("GITLAB_TOKEN").is_none() && vars.get("HOME").is_none());
        assert!(!format!("{vars:?}").contains("ghp_1"));
        assert_eq!(
            Vars::declared().count(),
            0,
            "no source reads a variable yet"
        );
    }

    #[test]
    fn sources_are_asked_in_the_documented_order() {
        let kinds: Vec<&str> = SOURCES.iter().map(|s| s.kind()).collect();
        assert_eq!(kinds, ["stdin", "directory", "file", "named", "glob"]);
    }
}
