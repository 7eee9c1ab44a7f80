//! A file named relative to the working directory (or absolute); binary is an error.

use anyhow::Result;

use super::{Reader, Snippet, Source, text};

pub struct File;

impl Source for File {
    fn kind(&self) -> &'static str {
        "file"
    }

    fn claims(&self, spec: &str, reader: &Reader<'_>) -> bool {
        reader.paths.cwd.join(spec).exists()
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
