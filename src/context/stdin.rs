//! `-`: the text piped on stdin (read once, by `gather`).

use anyhow::Result;

use super::{Reader, Snippet, Source};
use crate::error::usage;

pub struct Stdin;

impl Source for Stdin {
    fn kind(&self) -> &'static str {
        "stdin"
    }

    fn claims(&self, spec: &str, _: &Reader<'_>) -> bool {
        spec == "-"
    }

    fn read(&self, _: &str, reader: &mut Reader<'_>) -> Result<Vec<Snippet>> {
        let text = reader
            .stdin
            .take()
            .ok_or_else(|| usage("--snippet - was given, but stdin is empty or already used"))?;
        Ok(vec![Snippet::new(self.kind(), "stdin", text)])
    }
}
