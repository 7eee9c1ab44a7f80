//! Reading with a size limit that is checked by reading, never by file metadata: a device
//! (`/dev/zero`), a pipe (`<(yes)`), a FIFO or a growing file report no useful size, so at
//! most `limit + 1` bytes are read and more is refused.

use std::io::{self, Read};
use std::path::Path;

/// Limit for files a user keeps as settings: config, alias and persona files.
pub const MAX_SETTINGS_FILE_BYTES: u64 = 1024 * 1024;

/// What was read, or `None` when there is more than `limit` bytes.
pub fn read_at_most(reader: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// A file's bytes, or `None` when it holds more than `limit`.
pub fn read_file_at_most(path: &Path, limit: u64) -> io::Result<Option<Vec<u8>>> {
    read_at_most(std::fs::File::open(path)?, limit)
}

/// A settings file (config, alias file, persona) as UTF-8 text: `Ok(None)` when missing; an
/// error naming the file when unreadable, larger than 1 MiB or not UTF-8.
pub fn read_settings_file(path: &Path, what: &str) -> anyhow::Result<Option<String>> {
    let failed =
        |why: String| crate::error::usage(format!("cannot read {what} {}: {why}", path.display()));
    let bytes = match read_file_at_most(path, MAX_SETTINGS_FILE_BYTES) {
        Ok(Some(bytes)) => bytes,
        Ok(None) => {
            return Err(
                failed(format!("larger than {} MiB", MAX_SETTINGS_FILE_BYTES >> 20)).into(),
            );
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(failed(e.to_string()).into()),
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| failed("not UTF-8 text".to_string()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_checked_by_reading() {
        assert_eq!(read_at_most(&b"abc"[..], 3).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(read_at_most(&b"abcd"[..], 3).unwrap(), None);
        assert_eq!(read_at_most(io::repeat(b'y'), 1000).unwrap(), None);
        let zero = read_file_at_most(Path::new("/dev/zero"), 4096);
        assert!(matches!(zero, Ok(None) | Err(_)));
    }
}
