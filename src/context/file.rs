//! A file named relative to the working directory (or absolute); binary is an error.

use anyhow::Result;

use super::{Reader, Snippet, Source, text};

pub struct File;

impl Source for File {
    fn kind(&self) -> &'static str {
        "file"
    }

    /// Anything the name reaches, even when it cannot be read (a symlink loop, a
    /// directory without permission), so the error says why rather than "not found"; a
    /// dangling symlink reaches nothing.
    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        match std::fs::metadata(reader.paths.cwd.join(spec)) {
            Ok(_) => true,
            Err(e) => e.kind() != std::io::ErrorKind::NotFound,
        }
    }

    fn read(&self, spec: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
        let path = reader.paths.cwd.join(spec);
        Ok(vec![text::read_file(
            self.kind(),
            &path,
            spec,
            reader.budget,
        )?])
    }
}
