//! The change under review from git: `git diff BASE...HEAD`, the uncommitted or staged
//! changes, the default base, and the new version of a changed file. Git runs in the working
//! directory; when it cannot give the change, the error (exit 2) says what to do instead of
//! repeating git's own text.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::Result;

use crate::error::{Failure, usage};

/// The branches tried, in order, when no `--base` is given (the remote-tracking ones last,
/// for CI checkouts that have no local default branch).
pub const DEFAULT_BASES: [&str; 5] = [
    "origin/HEAD",
    "main",
    "master",
    "origin/main",
    "origin/master",
];

/// Which change git is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Range {
    /// `git diff BASE...HEAD`: the branch since its merge base with BASE.
    Since(String),
    /// `git diff HEAD`: every uncommitted change to tracked files.
    Worktree,
    /// `git diff --cached`: what the next commit would hold.
    Staged,
}

const PIPE_HINT: &str =
    "or pipe a unified diff: git diff … | cellmage review, diff -u old new | cellmage review";

/// Runs git; only failing to start it is an error here.
fn run(cwd: &Path, args: &[&str]) -> Result<Output> {
    Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            usage(format!("cannot run git: {e}"))
                .hint("install git, or pipe a diff on stdin")
                .into()
        })
}

/// git's stderr on one line.
fn stderr_line(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs git; a failure is a usage error carrying git's stderr.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = run(cwd, args)?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    Err(usage(format!("git {}: {}", args[0], stderr_line(&out))).into())
}

fn resolves(cwd: &Path, rev: &str) -> bool {
    git(
        cwd,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{rev}^{{commit}}"),
        ],
    )
    .is_ok()
}

/// Fails, saying what to do, when the working directory is not in a git repository.
fn ensure_repository(cwd: &Path) -> Result<()> {
    if run(cwd, &["rev-parse", "--git-dir"])?.status.success() {
        return Ok(());
    }
    Err(usage(format!(
        "{} is not inside a git repository, so there is no change to review",
        cwd.display()
    ))
    .hint(format!(
        "run cellmage review in a git checkout, {PIPE_HINT}"
    ))
    .into())
}

/// The first of `DEFAULT_BASES` that exists.
pub fn default_base(cwd: &Path) -> Result<String> {
    ensure_repository(cwd)?;
    DEFAULT_BASES
        .iter()
        .find(|b| resolves(cwd, b))
        .map(|b| b.to_string())
        .ok_or_else(|| {
            usage(format!(
                "cannot find the default branch: none of {} exists",
                DEFAULT_BASES.join(", ")
            ))
            .hint(format!(
                "give --base REF (fetch it first in a CI checkout: git fetch origin main), review --worktree, {PIPE_HINT}"
            ))
            .into()
        })
}

/// The diff of `range`, with git's a/ and b/ prefixes whatever the user's config says.
pub fn diff(cwd: &Path, range: &Range) -> Result<String> {
    ensure_repository(cwd)?;
    let spec = match range {
        Range::Since(base) => {
            check_base(cwd, base)?;
            format!("{base}...HEAD")
        }
        Range::Worktree => {
            if !resolves(cwd, "HEAD") {
                return Err(usage("--worktree: the repository has no commit yet")
                    .hint("use --staged to review what the first commit would hold")
                    .into());
            }
            "HEAD".to_string()
        }
        Range::Staged => "--cached".to_string(),
    };
    let args = [
        "diff",
        "--no-color",
        "--no-ext-diff",
        "--find-renames",
        "--src-prefix=a/",
        "--dst-prefix=b/",
        &spec,
        "--",
    ];
    let out = run(cwd, &args)?;
    if !out.status.success() {
        let mut failure = usage(format!("git diff {spec} failed: {}", stderr_line(&out)));
        if let Range::Since(base) = range {
            failure = failure.hint(format!(
                "a shallow clone may lack the merge base of {base} and HEAD: fetch more history (git fetch --unshallow, or fetch-depth: 0 in actions/checkout)"
            ));
        }
        return Err(failure.into());
    }
    String::from_utf8(out.stdout).map_err(|_| usage("git diff is not UTF-8 text").into())
}

/// `--base REF` must name a commit here.
fn check_base(cwd: &Path, base: &str) -> Result<()> {
    if base.starts_with('-') {
        return Err(usage(format!("--base {base:?} is not a git ref")).into());
    }
    if resolves(cwd, base) {
        return Ok(());
    }
    Err(unknown_base(base).into())
}

fn unknown_base(base: &str) -> Failure {
    let fetch = match base.split_once('/') {
        Some((remote, branch)) => format!("git fetch {remote} {branch}"),
        None => format!("git fetch origin {base}, then --base origin/{base}"),
    };
    usage(format!(
        "--base {base}: no such branch, tag or commit in this repository"
    ))
    .hint(format!(
        "fetch it first ({fetch}; in CI, fetch-depth: 0 in actions/checkout), or check the name with git branch -a"
    ))
}

/// The new version of a changed file (its path relative to the repository's root): as HEAD
/// has it, as the index has it, or as the working tree has it.
pub fn new_version(cwd: &Path, range: &Range, path: &str) -> Result<Vec<u8>> {
    match range {
        Range::Since(_) => git(cwd, &["show", &format!("HEAD:{path}")]),
        Range::Staged => git(cwd, &["show", &format!(":{path}")]),
        Range::Worktree => Ok(std::fs::read(toplevel(cwd)?.join(path))?),
    }
}

fn toplevel(cwd: &Path) -> Result<PathBuf> {
    let out = git(cwd, &["rev-parse", "--show-toplevel"])?;
    Ok(PathBuf::from(String::from_utf8_lossy(&out).trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_base_says_how_to_fetch_it() {
        let hint = unknown_base("origin/main").hint.unwrap();
        assert!(hint.contains("git fetch origin main"), "{hint}");
        let hint = unknown_base("develop").hint.unwrap();
        assert!(hint.contains("git fetch origin develop"), "{hint}");
    }
}
