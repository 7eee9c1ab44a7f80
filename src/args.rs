//! Checks on the raw arguments that the clap definition cannot express: the `-x` selector
//! written without its `=`.

use crate::error::Kind;
use crate::extract;
use crate::report::Report;

/// Short flags that take no value, which may follow `-x` in one cluster (`-xc`).
const BARE_SHORTS: &str = "cvx";
/// Short flags that take a value, which may end a cluster (`-xo FILE`).
const VALUE_SHORTS: &str = "mopt";

/// The arguments before `--`.
fn options(args: &[String]) -> impl Iterator<Item = (usize, &str)> {
    args.iter()
        .enumerate()
        .skip(1)
        .map(|(i, a)| (i, a.as_str()))
        .take_while(|(_, a)| *a != "--")
}

/// `-xpython`: clap reads `-x -p ython`; say how to write it.
pub fn misuse(args: &[String]) -> Option<Report> {
    options(args).find_map(|(_, arg)| {
        let rest = arg.strip_prefix("-x")?;
        let cluster = rest.chars().all(|c| BARE_SHORTS.contains(c))
            || (rest.len() == 1 && VALUE_SHORTS.contains(rest))
            || rest.starts_with('=');
        (!cluster).then(|| Report {
            kind: Kind::Usage,
            message: format!("{arg}: the -x selector is written with an equals sign"),
            hint: Some(format!("write -x={rest}")),
        })
    })
}

/// `-x python "write fib"`: a bare `-x` takes no value, so the selector-like word became the
/// prompt's first word. Warnings, printed before the call.
pub fn warnings(args: &[String]) -> Vec<String> {
    options(args)
        .filter(|(_, a)| matches!(*a, "-x" | "--extract"))
        .filter_map(|(i, flag)| {
            let word = args.get(i + 1)?;
            selector_like(word).then(|| {
                format!(
                    "cellmage: warning: `{flag} {word}` takes `{word}` as the prompt's first word and extracts the first block; to select {word} write {flag}={word}"
                )
            })
        })
        .collect()
}

/// A word that reads as an `-x` selector: first, last, all, a number or a known language.
fn selector_like(word: &str) -> bool {
    const LANGUAGES: &[&str] = &[
        "python",
        "javascript",
        "typescript",
        "shell",
        "rust",
        "ruby",
        "yaml",
        "markdown",
        "cpp",
        "c",
        "go",
        "java",
        "kotlin",
        "swift",
        "php",
        "csharp",
        "sql",
        "json",
        "toml",
        "html",
        "css",
        "lua",
        "dockerfile",
        "makefile",
        "powershell",
        "diff",
        "text",
    ];
    /// Language names that are also common first words of a prompt.
    const WORDS: &[&str] = &[
        "go", "make", "console", "node", "shell", "docker", "text", "diff",
    ];
    let lower = word.to_lowercase();
    if WORDS.contains(&lower.as_str()) {
        return false;
    }
    matches!(lower.as_str(), "first" | "last" | "all")
        || (!lower.is_empty() && lower.chars().all(|c| c.is_ascii_digit()))
        || LANGUAGES.contains(&extract::canonical_language(&lower))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn x_glued_to_a_word_points_to_the_equals_form() {
        let r = misuse(&args("cellmage -xpython hi")).unwrap();
        assert_eq!(r.hint.as_deref(), Some("write -x=python"));
        for fine in [
            "cellmage -x hi",
            "cellmage -xc hi",
            "cellmage -xo f.py hi",
            "cellmage -x=python hi",
            "cellmage -- -xpython",
        ] {
            assert!(misuse(&args(fine)).is_none(), "{fine}");
        }
    }

    #[test]
    fn a_selector_word_after_a_bare_x_warns() {
        assert_eq!(warnings(&args("cellmage -x python write fib")).len(), 1);
        assert_eq!(warnings(&args("cellmage -x last refine")).len(), 1);
        assert_eq!(warnings(&args("cellmage -x py write fib")).len(), 1);
        assert!(warnings(&args("cellmage -x write fib")).is_empty());
        assert!(warnings(&args("cellmage -x go")).is_empty());
        assert!(warnings(&args("cellmage -x make a parser")).is_empty());
        assert!(warnings(&args("cellmage -x=python write")).is_empty());
    }
}
