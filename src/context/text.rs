//! Reading files as snippet text: the text/binary check, one file named explicitly, and a
//! directory walk (.gitignore respected, hidden and binary files skipped, sorted).

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{Budget, Snippet};
use crate::error::usage;

/// Text, or `None` for a binary file (a NUL byte, or not UTF-8).
pub fn text_of(bytes: Vec<u8>) -> Option<String> {
    if bytes.iter().take(8192).any(|b| *b == 0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// A whole file as UTF-8 text (the prompt file): unreadable or not UTF-8 is an error.
pub fn read_text(path: &Path) -> Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    String::from_utf8(bytes)
        .map_err(|_| usage(format!("{} is not UTF-8 text", path.display())).into())
}

/// Reads a file named explicitly: missing, unreadable or binary is an error.
pub fn read_file(
    kind: &'static str,
    path: &Path,
    label: &str,
    budget: &mut Budget,
) -> Result<Snippet> {
    let meta = std::fs::metadata(path)
        .map_err(|e| usage(format!("cannot read snippet {}: {e}", path.display())))?;
    budget.take(path, meta.len())?;
    let bytes = std::fs::read(path)
        .map_err(|e| usage(format!("cannot read snippet {}: {e}", path.display())))?;
    let text = text_of(bytes).ok_or_else(|| {
        usage(format!("snippet {} is a binary file", path.display()))
            .hint("only text files can be sent as snippets")
    })?;
    Ok(Snippet::new(kind, label, text))
}

/// Every text file under `dir` that `label` names (`None` leaves it out), in order.
pub fn walk(
    kind: &'static str,
    dir: &Path,
    budget: &mut Budget,
    label: impl Fn(&Path) -> Option<String>,
) -> Result<Vec<Snippet>> {
    let mut files: Vec<(PathBuf, String)> = Vec::new();
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
            out.push(Snippet::new(kind, label, text));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_is_detected() {
        assert!(text_of(b"a\0b".to_vec()).is_none());
        assert!(text_of(vec![0xff, 0xfe, b'a']).is_none());
        assert_eq!(text_of(b"fine".to_vec()).as_deref(), Some("fine"));
    }
}
