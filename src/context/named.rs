//! A named snippet: `NAME` exactly, or `NAME.*`, in the snippet directories (first wins).

use std::path::PathBuf;

use anyhow::Result;

use super::{Reader, Snippet, Source, text};

pub struct Named;

impl Source for Named {
    fn kind(&self) -> &'static str {
        "named"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        find(spec, &reader.paths.snippets_dirs).is_some()
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
        let path = find(spec, &reader.paths.snippets_dirs).unwrap_or_default();
        Ok(vec![text::read_file(
            self.kind(),
            &path,
            spec,
            reader.budget,
        )?])
    }
}

fn find(name: &str, dirs: &[PathBuf]) -> Option<PathBuf> {
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
pub fn list(dirs: &[PathBuf]) -> Vec<(String, PathBuf)> {
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
