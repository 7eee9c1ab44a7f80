//! The change under review from git: `git diff BASE...HEAD`, the default base, and the new
//! version of a changed file. Git runs in the working directory; its errors are exit 2 with
//! git's own message.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Result;

use crate::error::usage;

/// The branches tried, in order, when no `--base` is given (the remote-tracking ones last,
/// for CI checkouts that have no local default branch).
pub const DEFAULT_BASES: [&str; 5] = [
    "origin/HEAD",
    "main",
    "master",
    "origin/main",
    "origin/master",
];

/// Runs git; a failure is a usage error carrying git's stderr.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            usage(format!("cannot run git: {e}")).hint("install git, or pipe a diff on stdin")
        })?;
    if out.status.success() {
        return Ok(out.stdout);
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let message = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Err(usage(format!("git {}: {message}", args[0])).into())
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

/// The first of `DEFAULT_BASES` that exists.
pub fn default_base(cwd: &Path) -> Result<String> {
    git(cwd, &["rev-parse", "--git-dir"])?;
    DEFAULT_BASES
        .iter()
        .find(|b| resolves(cwd, b))
        .map(|b| b.to_string())
        .ok_or_else(|| {
            usage(format!(
                "cannot find the default branch: none of {} exists",
                DEFAULT_BASES.join(", ")
            ))
            .hint("give --base REF, or pipe a diff on stdin")
            .into()
        })
}

/// `git diff BASE...HEAD`: the change since the merge base, with git's a/ and b/ prefixes
/// whatever the user's config says.
pub fn diff(cwd: &Path, base: &str) -> Result<String> {
    if base.starts_with('-') {
        return Err(usage(format!("--base {base:?} is not a git ref")).into());
    }
    let range = format!("{base}...HEAD");
    let out = git(
        cwd,
        &[
            "diff",
            "--no-color",
            "--no-ext-diff",
            "--find-renames",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &range,
            "--",
        ],
    )?;
    String::from_utf8(out).map_err(|_| usage("git diff is not UTF-8 text").into())
}

/// The file as HEAD has it (paths are relative to the repository's root).
pub fn show_head(cwd: &Path, path: &str) -> Result<Vec<u8>> {
    git(cwd, &["show", &format!("HEAD:{path}")])
}
