//! The conversation directory: one JSON Lines file per conversation, a sidecar lock file
//! each, appends under the lock, rewrites by temp file + rename under the lock.
//!
//! Why this survives `make -j` and `kill -9`: an exchange is one line written by a single
//! `write_all` on an `O_APPEND` file while an exclusive lock is held, then fsynced; readers
//! need no lock because a partly written last line is ignored; and before each append the
//! writer cuts such a torn tail away, so it can never end up in the middle of the file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Result;

use super::format::{self, Conversation, Exchange, Header, Tail};
use crate::error::{Failure, usage};

const EXT: &str = "jsonl";
const LOCK_EXT: &str = "lock";
const MAX_NAME: usize = 100;

/// Checks a conversation name: it becomes a file name, so no path separators, no `..`, no
/// leading dot, no control characters, at most 100 bytes.
pub fn validate_name(name: &str) -> Result<()> {
    let bad = if name.is_empty() {
        Some("is empty")
    } else if name.len() > MAX_NAME {
        Some("is longer than 100 bytes")
    } else if name.contains(['/', '\\']) {
        Some("contains a path separator")
    } else if name.starts_with('.') || name.contains("..") {
        Some("starts with a dot or contains \"..\"")
    } else if name.chars().any(char::is_control) {
        Some("contains a control character")
    } else {
        None
    };
    match bad {
        Some(why) => Err(
            usage(format!("invalid conversation name {name:?}: it {why}"))
                .hint("use letters, digits, '-', '_' and '.'")
                .into(),
        ),
        None => Ok(()),
    }
}

/// A conversation file that exists, with its modification time.
pub struct Entry {
    pub name: String,
    pub modified: SystemTime,
}

/// `<data_dir>/conversations/`.
pub struct Store {
    dir: PathBuf,
}

/// An exclusive lock on one conversation, released on drop.
struct Lock {
    _file: File,
}

const HINT: &str = "check the data directory (CELLMAGE_DATA_DIR): free space and permissions";

/// The conversation store could not be changed: a local I/O failure (exit 11: disk full,
/// read-only, permission denied).
fn io_failure(what: &str, path: &Path, err: io::Error) -> anyhow::Error {
    crate::error::io(what, path, &err).hint(HINT).into()
}

/// The conversation store could not be read: a configuration error (exit 2, before any
/// call).
fn read_failure(path: &Path, err: io::Error) -> anyhow::Error {
    usage(format!("cannot read {}: {err}", path.display()))
        .hint(HINT)
        .into()
}

/// A conversation file that cannot be loaded: exit 2, naming the file.
fn damaged(path: &Path, problem: format::Problem) -> anyhow::Error {
    let at = problem
        .line
        .map(|n| format!(" line {n}:"))
        .unwrap_or_default();
    Failure::new(
        crate::error::Kind::Usage,
        format!(
            "invalid conversation file {}:{at} {}",
            path.display(),
            problem.message
        ),
    )
    .hint("the file was left untouched; repair that line, or remove the conversation with `cellmage history delete NAME`")
    .into()
}

impl Store {
    pub fn new(data_dir: &Path) -> Store {
        Store {
            dir: data_dir.join("conversations"),
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{EXT}"))
    }

    fn lock_path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.{LOCK_EXT}"))
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name).is_file()
    }

    /// Creates the directory (and missing parents) private to the user.
    fn ensure_dir(&self) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| io_failure("create", &self.dir, e))
    }

    /// Takes the conversation's lock, waiting for other writers. If the lock file was
    /// removed (by `history delete`) while we waited, takes the new one instead.
    fn lock(&self, name: &str) -> Result<Lock> {
        let path = self.lock_path(name);
        loop {
            let file = private_file(&path, false).map_err(|e| io_failure("open", &path, e))?;
            file.lock().map_err(|e| io_failure("lock", &path, e))?;
            if still_linked(&file, &path) {
                return Ok(Lock { _file: file });
            }
        }
    }

    /// Loads a conversation; `None` when there is no such file.
    pub fn load(&self, name: &str) -> Result<Option<Conversation>> {
        let path = self.path(name);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(read_failure(&path, e)),
        };
        let parsed = format::parse(&bytes).map_err(|p| damaged(&path, p))?;
        Ok(Some(parsed.unwrap_or_else(|| Conversation {
            header: Header::new(name, name, ""),
            exchanges: Vec::new(),
        })))
    }

    /// Like `load`, but a missing conversation is exit 2.
    pub fn load_existing(&self, name: &str) -> Result<Conversation> {
        validate_name(name)?;
        self.load(name)?.ok_or_else(|| {
            usage(format!("no conversation named {name:?}"))
                .hint("see `cellmage history list`")
                .into()
        })
    }

    /// Every conversation file, most recently modified first.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        let read = match fs::read_dir(&self.dir) {
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(read_failure(&self.dir, e)),
        };
        let mut entries: Vec<Entry> = read
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().to_str()?.strip_suffix(".jsonl")?.to_string();
                let meta = e.metadata().ok().filter(|m| m.is_file())?;
                validate_name(&name).ok()?;
                Some(Entry {
                    name,
                    modified: meta.modified().ok()?,
                })
            })
            .collect();
        entries.sort_by(|a, b| (b.modified, &b.name).cmp(&(a.modified, &a.name)));
        Ok(entries)
    }

    /// Appends one exchange, writing `header` first when the file is new or empty.
    pub fn append(&self, header: &Header, exchange: &Exchange) -> Result<()> {
        self.ensure_dir()?;
        let _lock = self.lock(&header.name)?;
        let path = self.path(&header.name);
        let mut file = private_file(&path, true).map_err(|e| io_failure("open", &path, e))?;
        let end = file
            .metadata()
            .and_then(|m| end_of(&mut file, m.len()))
            .map_err(|e| io_failure("read", &path, e))?
            .map_err(|p| damaged(&path, p))?;
        let keep = end.keep;
        let mut text = String::new();
        if end.newline {
            text.push('\n');
        }
        if !end.has_header {
            text.push_str(&format::line(header));
        }
        text.push_str(&format::line(exchange));
        let _critical = crate::interrupt::critical();
        let mut write = || -> io::Result<()> {
            if file.metadata()?.len() != keep {
                file.set_len(keep)?;
            }
            file.write_all(text.as_bytes())?;
            file.sync_data()?;
            if keep == 0 {
                sync_dir(&self.dir)?;
            }
            Ok(())
        };
        write().map_err(|e| io_failure("write", &path, e))
    }

    /// Replaces a conversation by `change(current)` under its lock: temp file, fsync,
    /// rename. `change` sees the loaded conversation (`None` if there is none).
    pub fn rewrite(
        &self,
        name: &str,
        change: impl FnOnce(Option<Conversation>) -> Result<Conversation>,
    ) -> Result<()> {
        self.ensure_dir()?;
        let _lock = self.lock(name)?;
        let conv = change(self.load(name)?)?;
        let path = self.path(name);
        let _critical = crate::interrupt::critical();
        let write = || -> io::Result<()> {
            let mut temp = tempfile::Builder::new()
                .prefix(&format!(".{name}."))
                .tempfile_in(&self.dir)?;
            temp.write_all(format::file_text(&conv).as_bytes())?;
            temp.as_file().sync_all()?;
            temp.persist(&path).map_err(|e| e.error)?;
            sync_dir(&self.dir)
        };
        write().map_err(|e| io_failure("write", &path, e))
    }

    /// Removes a conversation and its lock file.
    pub fn delete(&self, name: &str) -> Result<()> {
        validate_name(name)?;
        if !self.exists(name) {
            self.load_existing(name)?;
        }
        let _lock = self.lock(name)?;
        let _critical = crate::interrupt::critical();
        let path = self.path(name);
        fs::remove_file(&path).map_err(|e| io_failure("remove", &path, e))?;
        let lock_path = self.lock_path(name);
        fs::remove_file(&lock_path).map_err(|e| io_failure("remove", &lock_path, e))?;
        sync_dir(&self.dir).map_err(|e| io_failure("sync", &self.dir, e))
    }
}

/// Opens (creating with mode 0600) a file for reading and, if `append`, appending.
fn private_file(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true).create(true);
    if append {
        opts.append(true);
    } else {
        opts.write(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// True when `file` is still the one at `path` (not unlinked or replaced meanwhile).
fn still_linked(file: &File, path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (file.metadata(), fs::metadata(path)) {
            (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = (file, path);
        true
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Where the next record goes in a conversation file.
#[derive(Debug, PartialEq)]
pub struct End {
    /// The bytes to keep: a torn tail after them is cut.
    pub keep: u64,
    /// The kept bytes end with a complete record that misses its newline.
    pub newline: bool,
    /// The kept bytes hold the header.
    pub has_header: bool,
}

/// Reads the file's header and its end through the versioned format: the last complete
/// line must be a record, and the bytes after it nothing, a record missing its newline, or
/// a strict prefix of one (a torn write). Anything else is a problem: the file is not
/// touched. Reads only the start and the end, so its cost does not grow with the history.
pub fn end_of<F: Read + Seek>(file: &mut F, len: u64) -> io::Result<Result<End, format::Problem>> {
    let bad = |line: Option<usize>, message: String| format::Problem { line, message };
    let Some(last_nl) = rfind_newline(file, len)? else {
        let tail = read_range(file, 0, len)?;
        return Ok(match format::tail_of(&tail, None) {
            Ok(Tail::Whole(_)) => Ok(End {
                keep: len,
                newline: true,
                has_header: true,
            }),
            Ok(_) => Ok(End {
                keep: 0,
                newline: false,
                has_header: false,
            }),
            Err(e) => Err(bad(Some(1), format!("bad header: {e}"))),
        });
    };
    let first_nl = find_newline(file, last_nl)?;
    let version = match format::header_of_line(&read_range(file, 0, first_nl)?) {
        Ok((_, version)) => version,
        Err(e) => return Ok(Err(bad(Some(1), format!("bad header: {e}")))),
    };
    if let Some(prev_nl) = rfind_newline(file, last_nl)?.filter(|&p| p >= first_nl) {
        let line = read_range(file, prev_nl + 1, last_nl)?;
        if !line.iter().all(u8::is_ascii_whitespace)
            && let Err(e) = format::exchange_of_line(version, &line)
        {
            return Ok(Err(bad(
                None,
                format!("the last complete line is not a valid exchange: {e}"),
            )));
        }
    }
    let tail = read_range(file, last_nl + 1, len)?;
    Ok(match format::tail_of(&tail, Some(version)) {
        Ok(Tail::Empty) => Ok(End {
            keep: len,
            newline: false,
            has_header: true,
        }),
        Ok(Tail::Torn) => Ok(End {
            keep: last_nl + 1,
            newline: false,
            has_header: true,
        }),
        Ok(Tail::Whole(_)) => Ok(End {
            keep: len,
            newline: true,
            has_header: true,
        }),
        Err(e) => Err(bad(
            None,
            format!("the last line is {}", format::not_torn(e)),
        )),
    })
}

fn read_range<F: Read + Seek>(file: &mut F, start: u64, end: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0; (end - start) as usize];
    file.seek(SeekFrom::Start(start))?;
    file.read_exact(&mut buf)?;
    Ok(buf)
}

/// The offset of the first `\n`, knowing there is one at or before `limit`.
fn find_newline<F: Read + Seek>(file: &mut F, limit: u64) -> io::Result<u64> {
    const BLOCK: u64 = 8192;
    let mut lo = 0;
    while lo < limit {
        let chunk = read_range(file, lo, (lo + BLOCK).min(limit))?;
        if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
            return Ok(lo + i as u64);
        }
        lo += BLOCK;
    }
    Ok(limit)
}

/// The offset of the last `\n` before `end`, reading backwards in blocks.
fn rfind_newline<F: Read + Seek>(file: &mut F, end: u64) -> io::Result<Option<u64>> {
    const BLOCK: u64 = 8192;
    let mut buf = vec![0; BLOCK as usize];
    let mut hi = end;
    while hi > 0 {
        let lo = hi.saturating_sub(BLOCK);
        let chunk = &mut buf[..(hi - lo) as usize];
        file.seek(SeekFrom::Start(lo))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(Some(lo + i as u64));
        }
        hi = lo;
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversation::format::tests::{conversation, exchange};

    #[test]
    fn names() {
        let ok = [
            "kv",
            "kvstore-2",
            "a.b_c",
            "20250601T142233.123Z-42",
            "日本",
        ];
        for name in ok {
            assert!(validate_name(name).is_ok(), "{name}");
        }
        let long = "x".repeat(101);
        let bad = [
            "", "a/b", "..", "../x", ".hidden", "a..b", "a\\b", "a\nb", &long,
        ];
        for name in bad {
            assert!(validate_name(name).is_err(), "{name:?}");
        }
    }

    /// Counts the bytes read through it.
    struct Counting {
        inner: io::Cursor<Vec<u8>>,
        read: u64,
    }

    impl Read for Counting {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.read += n as u64;
            Ok(n)
        }
    }

    impl Seek for Counting {
        fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
            self.inner.seek(pos)
        }
    }

    fn sound(text: &str) -> (u64, u64) {
        let mut file = Counting {
            inner: io::Cursor::new(text.as_bytes().to_vec()),
            read: 0,
        };
        let end = end_of(&mut file, text.len() as u64).unwrap().unwrap();
        (end.keep, file.read)
    }

    #[test]
    fn only_a_strict_prefix_of_a_record_is_cut() {
        let full = format::file_text(&conversation(2));
        let one = format::file_text(&conversation(1));
        let header = format::file_text(&conversation(0));
        let big = format::line(&exchange("p", &"x".repeat(50_000)));
        let with_big = format!("{header}{big}");
        let cases: Vec<(String, usize, bool, bool)> = vec![
            (full.clone(), full.len(), false, true),
            // a complete record missing only its newline is kept
            (
                full[..full.len() - 1].to_string(),
                full.len() - 1,
                true,
                true,
            ),
            (full[..one.len() + 3].to_string(), one.len(), false, true),
            (header.clone(), header.len(), false, true),
            (
                header[..header.len() - 1].to_string(),
                header.len() - 1,
                true,
                true,
            ),
            (header[..5].to_string(), 0, false, false),
            (String::new(), 0, false, false),
            (with_big.clone(), with_big.len(), false, true),
            (
                with_big[..with_big.len() - 100].to_string(),
                header.len(),
                false,
                true,
            ),
        ];
        for (text, keep, newline, has_header) in cases {
            let mut file = io::Cursor::new(text.as_bytes().to_vec());
            let end = end_of(&mut file, text.len() as u64).unwrap();
            let want = End {
                keep: keep as u64,
                newline,
                has_header,
            };
            assert_eq!(end, Ok(want), "{:?}", &text[..text.len().min(80)]);
        }
    }

    #[test]
    fn a_record_cut_inside_a_character_is_torn() {
        let one = format::file_text(&conversation(1));
        let line = format::line(&exchange("p", "日本"));
        let at = line.find('本').unwrap() + 1;
        let mut bytes = one.as_bytes().to_vec();
        bytes.extend_from_slice(&line.as_bytes()[..at]);
        let len = bytes.len() as u64;
        let end = end_of(&mut io::Cursor::new(bytes), len).unwrap().unwrap();
        assert_eq!(end.keep, one.len() as u64);
    }

    #[test]
    fn anything_else_at_the_end_is_a_problem() {
        let one = format::file_text(&conversation(1));
        let newer_header =
            format::file_text(&conversation(0)).replace("\"version\":1", "\"version\":2");
        let cases = [
            format!("{one}not json"),
            format!("{one}\u{1}\u{7f}garbage"),
            format!("{one}{{\"hello\": 1}}"),
            format!("{one}{{\"time\": 3}}"),
            format!("{one}{{\"other\": "),
            format!("{one}not json\n"),
            newer_header[..newer_header.len() - 1].to_string(),
            newer_header.clone(),
            "hand typed".to_string(),
        ];
        for text in cases {
            let mut file = io::Cursor::new(text.as_bytes().to_vec());
            let end = end_of(&mut file, text.len() as u64).unwrap();
            assert!(end.is_err(), "{text:?}: {end:?}");
        }
    }

    #[test]
    fn checking_the_tail_reads_the_same_whatever_the_history_length() {
        let line = format::line(&exchange("same prompt", "same answer"));
        let header = format::file_text(&conversation(0));
        let read = |n| sound(&format!("{header}{}", line.repeat(n))).1;
        let small = read(100);
        assert_eq!(read(10_000), small);
        let line = line.len() as u64;
        assert!(small < 4 * 8192 + line, "{small}"); // the end, and the header
    }
}
