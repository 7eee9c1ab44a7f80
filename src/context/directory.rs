//! A directory: recursive, .gitignore respected, hidden and binary files skipped, sorted;
//! each file labelled by its path under the directory as given.

use std::path::Path;

use anyhow::Result;

use super::{Reader, Snippet, Source, text};

pub struct Directory;

impl Source for Directory {
    fn kind(&self) -> &'static str {
        "directory"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        reader.paths.cwd.join(spec).is_dir()
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
        let dir = reader.paths.cwd.join(spec);
        text::walk(self.kind(), &dir, reader.budget, |path| {
            let rel = path.strip_prefix(&dir).unwrap_or(path);
            Some(
                Path::new(spec)
                    .join(rel)
                    .to_string_lossy()
                    .replace('\\', "/"),
            )
        })
    }
}
