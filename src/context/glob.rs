//! A glob relative to the working directory (`*`, `?`, `[…]`, `{…}`); matching nothing is
//! an error.

use std::path::{Path, PathBuf};

use anyhow::Result;

use super::{Reader, Snippet, Source, text};
use crate::error::usage;

pub struct Glob;

fn is_glob(spec: &str) -> bool {
    spec.contains(['*', '?', '[', '{'])
}

impl Source for Glob {
    fn kind(&self) -> &'static str {
        "glob"
    }

    fn claims(&self, spec: &str, _: &Reader<'_>) -> bool {
        is_glob(spec)
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
        let cwd = &reader.paths.cwd;
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
            text::walk(self.kind(), &root, reader.budget, |path| {
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
}
