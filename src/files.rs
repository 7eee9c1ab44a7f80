//! Files written from an answer: `-o FILE` (one file) and `--write-files DIR` (a set, each
//! path checked before any is written). Every file is written whole or not at all: a temp
//! file in the same directory, fsync, rename, while Ctrl-C waits.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use anyhow::Result;

use crate::error::{Failure, usage};

/// The directory a file lives in (`.` for a bare name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// Replaces `path` with `bytes`: temp file beside it, fsync, rename. An existing file keeps
/// its permissions; a new one gets 0644 (less the umask). On failure the temp file is
/// removed and `path` is untouched. The caller holds `interrupt::critical()`.
fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let existing = fs::metadata(path).ok().map(|m| m.permissions());
    let mut builder = tempfile::Builder::new();
    builder.prefix(".cellmage-").suffix(".tmp");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Some(perms) = existing {
        tmp.as_file().set_permissions(perms)?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // Make the rename itself durable; not every filesystem lets a directory be synced.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// A failed write: exit 11 (local I/O failure).
fn write_failure(path: &Path, err: io::Error) -> Failure {
    crate::error::io("write", path, &err)
}

/// `-o`, before the call: FILE must not be a directory, and its directory must exist
/// unless `--mkdir`, so a bad path fails before any tokens are spent.
pub fn check_output(path: &Path, mkdir: bool) -> Result<()> {
    if path.file_name().is_none() || path.is_dir() {
        return Err(usage(format!("--output {} is not a file name", path.display())).into());
    }
    let dir = parent_dir(path);
    match fs::metadata(dir) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(usage(format!("--output: {} is not a directory", dir.display())).into()),
        Err(e) if e.kind() == io::ErrorKind::NotFound && mkdir => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(usage(format!(
            "--output: directory {} does not exist",
            dir.display()
        ))
        .hint("create it first, or pass --mkdir")
        .into()),
        Err(e) => Err(usage(format!("--output: cannot use {}: {e}", dir.display())).into()),
    }
}

/// `-o`, after a complete answer: writes FILE atomically, creating its directory first
/// with `--mkdir`. An existing symlink is written through (the link stays).
pub fn write_output(path: &Path, bytes: &[u8], mkdir: bool) -> Result<()> {
    check_output(path, mkdir)?;
    let target = match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
        }
        _ => path.to_path_buf(),
    };
    let _guard = crate::interrupt::critical();
    if mkdir {
        let dir = parent_dir(&target);
        fs::create_dir_all(dir).map_err(|e| write_failure(dir, e))?;
    }
    replace(&target, bytes).map_err(|e| write_failure(path, e))?;
    Ok(())
}

/// `--write-files`, before the call: DIR, if it exists, must be a directory.
pub fn check_dir(dir: &Path) -> Result<()> {
    match fs::metadata(dir) {
        Ok(m) if !m.is_dir() => Err(usage(format!(
            "--write-files: {} is not a directory",
            dir.display()
        ))
        .into()),
        _ => Ok(()),
    }
}

/// One file of a set, checked: where it is written and how it is shown.
struct Planned<'a> {
    dest: PathBuf,
    shown: PathBuf,
    content: &'a str,
}

/// `--write-files`: writes each `(path, content)` under `dir` (created if missing, with
/// subdirectories). Every path is checked first; if any is refused, nothing is written.
/// `on_written` is told each file as it lands. Returns the written paths as `dir/path`.
pub fn write_set(
    dir: &Path,
    files: &[(&str, &str)],
    force: bool,
    mut on_written: impl FnMut(&Path),
) -> Result<Vec<PathBuf>> {
    let planned = plan_set(dir, files, force)?;
    let _guard = crate::interrupt::critical();
    let mut written = Vec::new();
    for file in planned {
        let parent = parent_dir(&file.dest);
        fs::create_dir_all(parent).map_err(|e| write_failure(parent, e))?;
        replace(&file.dest, file.content.as_bytes()).map_err(|e| write_failure(&file.shown, e))?;
        on_written(&file.shown);
        written.push(file.shown);
    }
    Ok(written)
}

fn refuse(dir: &Path, path: &str, why: &str) -> Failure {
    usage(format!(
        "--write-files {}: refusing {path:?}: {why}; nothing was written",
        dir.display()
    ))
}

fn plan_set<'a>(dir: &Path, files: &[(&str, &'a str)], force: bool) -> Result<Vec<Planned<'a>>> {
    check_dir(dir)?;
    let root = match fs::canonicalize(dir) {
        Ok(root) => Some(root),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(write_failure(dir, e).into()),
    };
    let mut seen = BTreeSet::new();
    let mut planned = Vec::new();
    for (raw, content) in files {
        let rel = normalize(raw).map_err(|why| refuse(dir, raw, why))?;
        if !seen.insert(rel.clone()) {
            return Err(refuse(dir, raw, "the answer gives this path twice").into());
        }
        let (dest, exists) = match &root {
            Some(root) => resolve_inside(root, &rel).map_err(|why| refuse(dir, raw, &why))?,
            None => (dir.join(&rel), false),
        };
        if exists && !force {
            return Err(refuse(dir, raw, "the file already exists")
                .hint("pass --force to replace existing files")
                .into());
        }
        planned.push(Planned {
            dest,
            shown: dir.join(&rel),
            content,
        });
    }
    for rel in &seen {
        if rel.ancestors().skip(1).any(|a| seen.contains(a)) {
            let raw = rel.to_string_lossy();
            return Err(refuse(dir, &raw, "a parent of it is also a file in the answer").into());
        }
    }
    Ok(planned)
}

/// A relative path with `.` and `..` resolved lexically; absolute paths and `..` that
/// leave the directory are refused.
fn normalize(raw: &str) -> Result<PathBuf, &'static str> {
    let path = Path::new(raw);
    if path.has_root() || raw.starts_with('~') {
        return Err("absolute paths are not allowed");
    }
    let mut parts: Vec<&std::ffi::OsStr> = Vec::new();
    for comp in path.components() {
        match comp {
            Component::Normal(c) => parts.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop().ok_or("\"..\" leaves the directory")?;
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed");
            }
        }
    }
    if parts.is_empty() {
        return Err("it names no file");
    }
    Ok(parts.iter().collect())
}

/// Walks `rel` from the canonical `root`, following symlinks only while they stay inside
/// it. Returns where to write and whether a file is there already; refuses a path through
/// a symlink leading outside (or nowhere), a file where a directory is needed, and a
/// directory as target.
fn resolve_inside(root: &Path, rel: &Path) -> Result<(PathBuf, bool), String> {
    let comps: Vec<_> = rel.components().collect();
    let mut at = root.to_path_buf();
    for (i, comp) in comps.iter().enumerate() {
        at.push(comp);
        let shown = || {
            rel.iter()
                .take(i + 1)
                .collect::<PathBuf>()
                .display()
                .to_string()
        };
        let mut meta = match fs::symlink_metadata(&at) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((comps[i + 1..].iter().fold(at, |p, c| p.join(c)), false));
            }
            Err(e) => return Err(format!("cannot check {}: {e}", shown())),
        };
        if meta.file_type().is_symlink() {
            let real = fs::canonicalize(&at)
                .map_err(|_| format!("{} is a symlink to nowhere", shown()))?;
            if !real.starts_with(root) {
                return Err(format!(
                    "{} is a symlink to {}, outside the directory",
                    shown(),
                    real.display()
                ));
            }
            meta = fs::metadata(&real).map_err(|e| format!("cannot check {}: {e}", shown()))?;
            at = real;
        }
        let last = i + 1 == comps.len();
        if !last && !meta.is_dir() {
            return Err(format!("{} is not a directory", shown()));
        }
        if last && meta.is_dir() {
            return Err("it is a directory".to_string());
        }
    }
    Ok((at, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_keeps_paths_inside() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("src/app.py", Ok("src/app.py")),
            ("./src/./app.py", Ok("src/app.py")),
            ("src/../app.py", Ok("app.py")),
            ("a/b/../../c", Ok("c")),
            ("../app.py", Err("\"..\" leaves the directory")),
            ("src/../../app.py", Err("\"..\" leaves the directory")),
            ("/etc/passwd", Err("absolute paths are not allowed")),
            ("~/x", Err("absolute paths are not allowed")),
            (".", Err("it names no file")),
            ("a/..", Err("it names no file")),
        ];
        for (raw, want) in cases {
            let got = normalize(raw);
            let got = got.as_ref().map(|p| p.to_str().unwrap()).map_err(|e| *e);
            assert_eq!(got, *want, "{raw}");
        }
    }

    #[test]
    fn replace_writes_whole_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        replace(&path, b"one\n").unwrap();
        replace(&path, b"two\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two\n");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn replace_keeps_an_existing_files_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        fs::write(&path, "old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o750)).unwrap();
        replace(&path, b"new").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o750);
    }

    #[test]
    fn a_set_with_one_bad_path_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = [("ok.txt", "x\n"), ("../bad.txt", "y\n")];
        assert!(write_set(dir.path(), &files, false, |_| {}).is_err());
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_file_cannot_also_be_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let files = [("a", "x\n"), ("a/b.txt", "y\n")];
        let err = write_set(dir.path(), &files, false, |_| {}).unwrap_err();
        assert!(err.to_string().contains("a parent of it"), "{err}");
        let files = [("a.txt", "x\n"), ("./a.txt", "y\n")];
        let err = write_set(dir.path(), &files, false, |_| {}).unwrap_err();
        assert!(err.to_string().contains("twice"), "{err}");
    }
}
