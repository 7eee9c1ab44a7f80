//! The size budget: one snippet, and all snippets together, are refused before they are read
//! when too large.

use std::path::Path;

use anyhow::Result;

use crate::error::usage;

/// One file read into one snippet refuses anything larger than this.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// All snippets together.
pub const MAX_TOTAL_BYTES: u64 = 128 * 1024 * 1024;

/// Counts bytes read so that a huge context is refused before it is read.
#[derive(Debug, Default)]
pub struct Budget {
    total: u64,
}

impl Budget {
    /// Takes `len` bytes for the snippet `what` (a path, later a URL), or refuses it.
    pub fn take(&mut self, what: &Path, len: u64) -> Result<()> {
        if len > MAX_FILE_BYTES {
            return Err(usage(format!(
                "snippet {} is too large ({} MiB; the limit is {} MiB)",
                what.display(),
                len >> 20,
                MAX_FILE_BYTES >> 20
            ))
            .hint("give a smaller file, or a part of it on stdin")
            .into());
        }
        self.total += len;
        if self.total > MAX_TOTAL_BYTES {
            return Err(usage(format!(
                "snippets add up to more than {} MiB (at {})",
                MAX_TOTAL_BYTES >> 20,
                what.display()
            ))
            .into());
        }
        Ok(())
    }
}
