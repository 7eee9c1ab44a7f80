//! The local record of a batch, in the data directory (`batches/`):
//! * `NAME.json`: the record (jobs, provider, how far submission got), rewritten by temp
//!   file + fsync + rename before and after each provider call, so a crash leaves either
//!   the old or the new record;
//! * `NAME.done`: one JSON line appended per finished job (its done marker), so `collect`
//!   after a crash skips what was written and costs no rewrite of the record per job;
//! * `NAME.results.jsonl`: the downloaded results, kept so a resumed `collect` does not
//!   download them again;
//! * `NAME.lock`: held by the command working on the batch (submit, collect, cancel), so
//!   two never interleave; the operating system drops it when a process dies.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::error::{Failure, Kind, usage};

/// Where the jobs go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Mode {
    /// A provider batch (`provider` is the registry name: `openai`, `anthropic`).
    Provider { provider: String, base_url: String },
    /// Ordinary calls with `workers` workers through the shared rate budget.
    Local { workers: usize },
}

/// How far submission got. Each step is recorded before the provider call it names, and
/// the next one after it, so a crash is resumed at the right call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Submit {
    /// Requests built and checked; nothing sent.
    Prepared,
    /// The requests file is being uploaded under this (unique) file name.
    Uploading { filename: String },
    /// Uploaded as this file.
    Uploaded { file_id: String },
    /// The batch is being created (from `file_id`, for OpenAI); `since_ms` is the time just
    /// before the create call.
    Creating {
        file_id: Option<String>,
        since_ms: u64,
    },
    /// Created.
    Created { batch_id: String },
}

/// The provider call that submission needs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Upload the requests file under this name (OpenAI).
    Upload { filename: String },
    /// Look for an upload of this name whose answer was lost; upload again if none.
    FindUpload { filename: String },
    /// Create the batch.
    Create { file_id: Option<String> },
    /// Look for a batch whose create answer was lost; create again if none.
    FindCreated {
        file_id: Option<String>,
        since_ms: u64,
    },
    /// Nothing left: the batch exists.
    Done { batch_id: String },
}

impl Submit {
    /// The next call for a provider that uploads a file first (`uploads`) or not.
    pub fn next(&self, uploads: bool, name: &str, nonce: &str) -> Step {
        match self {
            Submit::Prepared if uploads => Step::Upload {
                filename: format!("cellmage-{name}-{nonce}.jsonl"),
            },
            Submit::Prepared => Step::Create { file_id: None },
            Submit::Uploading { filename } => Step::FindUpload {
                filename: filename.clone(),
            },
            Submit::Uploaded { file_id } => Step::Create {
                file_id: Some(file_id.clone()),
            },
            Submit::Creating { file_id, since_ms } => Step::FindCreated {
                file_id: file_id.clone(),
                since_ms: *since_ms,
            },
            Submit::Created { batch_id } => Step::Done {
                batch_id: batch_id.clone(),
            },
        }
    }
}

/// One job of the record: its id and what the request was built from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobEntry {
    pub id: String,
    pub model: String,
    /// The job as `cellmage` arguments: how it is resolved again at collect time.
    #[serde(default)]
    pub args: Vec<String>,
}

/// How a job ended, as its done marker says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Answered and written.
    Written,
    /// The provider answered with an error, or writing the output failed.
    Failed,
    /// The answer was cut off by the token limit.
    Truncated,
    /// Nothing to extract.
    NothingToExtract,
    /// Cancelled before it ran.
    Cancelled,
    /// The window passed before it ran.
    Expired,
}

/// A job's done marker: one line of `NAME.done`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Done {
    pub id: String,
    pub status: JobStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<f64>,
    #[serde(default)]
    pub input_tokens: u64,
    #[serde(default)]
    pub output_tokens: u64,
}

/// `NAME.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub version: u32,
    pub name: String,
    /// RFC 3339, when submitted.
    pub created: String,
    pub jobs_file: PathBuf,
    /// The working directory relative outputs are resolved against.
    pub cwd: PathBuf,
    pub mode: Mode,
    pub submit: Submit,
    /// The provider's last word on the batch (`in_progress`, `ended`, ...).
    #[serde(default)]
    pub remote_status: Option<String>,
    pub jobs: Vec<JobEntry>,
}

impl Record {
    pub const VERSION: u32 = 1;

    pub fn batch_id(&self) -> Option<&str> {
        match &self.submit {
            Submit::Created { batch_id } => Some(batch_id),
            _ => None,
        }
    }
}

/// The `batches/` directory of the data directory.
pub struct Store {
    dir: PathBuf,
}

/// The lock of one batch, released on drop (or by the OS when the process dies).
pub struct BatchLock {
    _file: File,
}

const MAX_NAME: usize = 100;

/// Checks a batch name: it becomes a file name.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(usage(format!("invalid batch name {name:?}"))
            .hint("use letters, digits, '-', '_' and '.', not starting with a dot")
            .into())
    }
}

fn io_error(what: &str, path: &Path, e: io::Error) -> anyhow::Error {
    Failure::new(
        Kind::Usage,
        format!("cannot {what} {}: {e}", path.display()),
    )
    .into()
}

impl Store {
    pub fn new(data_dir: &Path) -> Store {
        Store {
            dir: data_dir.join("batches"),
        }
    }

    fn path(&self, name: &str, ext: &str) -> PathBuf {
        self.dir.join(format!("{name}.{ext}"))
    }

    pub fn results_path(&self, name: &str) -> PathBuf {
        self.path(name, "results.jsonl")
    }

    fn ensure_dir(&self) -> Result<()> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(&self.dir)
            .map_err(|e| io_error("create", &self.dir, e))
    }

    /// Takes the batch's lock, waiting for another command working on it.
    pub fn lock(&self, name: &str) -> Result<BatchLock> {
        self.ensure_dir()?;
        let path = self.path(name, "lock");
        let file = private(&path, false).map_err(|e| io_error("open", &path, e))?;
        file.lock().map_err(|e| io_error("lock", &path, e))?;
        Ok(BatchLock { _file: file })
    }

    pub fn exists(&self, name: &str) -> bool {
        self.path(name, "json").is_file()
    }

    /// The record; `None` when there is no such batch.
    pub fn load(&self, name: &str) -> Result<Option<Record>> {
        let path = self.path(name, "json");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        let record: Record = serde_json::from_str(&text)
            .map_err(|e| usage(format!("damaged batch record {}: {e}", path.display())))?;
        if record.version != Record::VERSION {
            return Err(usage(format!(
                "{}: batch record version {} is not supported",
                path.display(),
                record.version
            ))
            .into());
        }
        Ok(Some(record))
    }

    /// Replaces the record: temp file, fsync, rename, fsync of the directory.
    pub fn save(&self, record: &Record) -> Result<()> {
        self.ensure_dir()?;
        let path = self.path(&record.name, "json");
        let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)
            .map_err(|e| io_error("create a file in", &self.dir, e))?;
        let text = serde_json::to_vec_pretty(record).context("encoding the batch record")?;
        tmp.write_all(&text)
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| io_error("write", tmp.path(), e))?;
        tmp.persist(&path)
            .map_err(|e| io_error("write", &path, e.error))?;
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| io_error("sync", &self.dir, e))?;
        Ok(())
    }

    /// Appends one job's done marker (fsynced: it vouches for a written output).
    pub fn mark_done(&self, name: &str, done: &Done) -> Result<()> {
        let path = self.path(name, "done");
        let mut file = private(&path, true).map_err(|e| io_error("open", &path, e))?;
        let mut line = serde_json::to_string(done).context("encoding a done marker")?;
        line.push('\n');
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_data())
            .map_err(|e| io_error("write", &path, e))
    }

    /// The done markers by job id (a later marker wins; a torn last line is ignored).
    pub fn done(&self, name: &str) -> Result<HashMap<String, Done>> {
        let path = self.path(name, "done");
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io_error("read", &path, e)),
        };
        Ok(text
            .lines()
            .filter_map(|l| serde_json::from_str::<Done>(l).ok())
            .map(|d| (d.id.clone(), d))
            .collect())
    }

    /// The names of all batches, sorted.
    pub fn names(&self) -> Result<Vec<String>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(e) => e,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("read", &self.dir, e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let stem = name.strip_suffix(".json")?;
                (!stem.ends_with(".results")).then(|| stem.to_string())
            })
            .collect();
        names.sort();
        Ok(names)
    }
}

/// Opens (creating with mode 0600) a file for writing or appending.
fn private(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.create(true);
    if append {
        opts.append(true);
    } else {
        opts.write(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str) -> Record {
        Record {
            version: Record::VERSION,
            name: name.into(),
            created: "2026-12-02T18:00:00Z".into(),
            jobs_file: "JOBS.jsonl".into(),
            cwd: "/w".into(),
            mode: Mode::Provider {
                provider: "openai".into(),
                base_url: "http://x/v1".into(),
            },
            submit: Submit::Prepared,
            remote_status: None,
            jobs: vec![JobEntry {
                id: "a".into(),
                model: "m".into(),
                args: Vec::new(),
            }],
        }
    }

    #[test]
    fn submit_steps_resume_where_the_crash_was() {
        let s = Submit::Prepared;
        assert_eq!(
            s.next(true, "n", "123"),
            Step::Upload {
                filename: "cellmage-n-123.jsonl".into()
            }
        );
        assert_eq!(s.next(false, "n", "123"), Step::Create { file_id: None });
        let uploading = Submit::Uploading {
            filename: "f".into(),
        };
        assert_eq!(
            uploading.next(true, "n", "x"),
            Step::FindUpload {
                filename: "f".into()
            }
        );
        let uploaded = Submit::Uploaded {
            file_id: "file-1".into(),
        };
        assert_eq!(
            uploaded.next(true, "n", "x"),
            Step::Create {
                file_id: Some("file-1".into())
            }
        );
        let creating = Submit::Creating {
            file_id: None,
            since_ms: 5,
        };
        assert_eq!(
            creating.next(false, "n", "x"),
            Step::FindCreated {
                file_id: None,
                since_ms: 5
            }
        );
        let created = Submit::Created {
            batch_id: "b".into(),
        };
        assert_eq!(
            created.next(true, "n", "x"),
            Step::Done {
                batch_id: "b".into()
            }
        );
    }

    #[test]
    fn record_round_trip_done_markers_and_list() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        assert!(store.load("n").unwrap().is_none());
        assert!(store.names().unwrap().is_empty());
        let _lock = store.lock("n").unwrap();
        let mut r = record("n");
        store.save(&r).unwrap();
        r.submit = Submit::Created {
            batch_id: "batch_1".into(),
        };
        store.save(&r).unwrap();
        let back = store.load("n").unwrap().unwrap();
        assert_eq!(back, r);
        assert_eq!(back.batch_id(), Some("batch_1"));
        let done = |id: &str, status| Done {
            id: id.into(),
            status,
            reason: None,
            cost: Some(0.5),
            input_tokens: 1,
            output_tokens: 2,
        };
        store.mark_done("n", &done("a", JobStatus::Failed)).unwrap();
        store
            .mark_done("n", &done("a", JobStatus::Written))
            .unwrap();
        // a torn last line (a crash mid-append) is ignored
        let mut f = private(&store.path("n", "done"), true).unwrap();
        f.write_all(b"{\"id\":\"b\",\"sta").unwrap();
        let marks = store.done("n").unwrap();
        assert_eq!(marks.len(), 1);
        assert_eq!(marks["a"].status, JobStatus::Written);
        std::fs::write(store.results_path("n"), "").unwrap();
        store.save(&record("m")).unwrap();
        assert_eq!(store.names().unwrap(), ["m", "n"]);
    }

    #[test]
    fn names_and_versions() {
        for good in ["nightly", "tests-2026.12_01"] {
            assert!(validate_name(good).is_ok(), "{good}");
        }
        for bad in ["", ".x", "a/b", "a b", &"x".repeat(101)] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut r = record("v");
        r.version = 99;
        store.save(&r).unwrap();
        let err = format!("{:#}", store.load("v").unwrap_err());
        assert!(err.contains("version 99"), "{err}");
    }
}
