//! Submitting a batch: the steps of `state::Submit`, each recorded before and after its
//! provider call, so that a crash anywhere resumes without a second provider batch: a lost
//! upload answer is found by its unique file name, a lost create answer by the uploaded
//! file (OpenAI) or by creation time and request count (Anthropic).

use anyhow::Result;
use serde_json::Value;

use super::api::{BatchApi, Http};
use super::state::{Record, Step, Store, Submit};

/// Runs the remaining steps; the provider batch id. A record already `Created` makes no
/// call. `nonce` makes the upload's file name unique; `now_ms` is the clock.
pub fn submit(
    store: &Store,
    record: &mut Record,
    api: &dyn BatchApi,
    http: &dyn Http,
    requests: &[(String, Value)],
    nonce: &str,
    now_ms: &dyn Fn() -> u64,
) -> Result<String> {
    loop {
        let step = record.submit.next(api.uploads(), &record.name, nonce);
        record.submit = match step {
            Step::Done { batch_id } => return Ok(batch_id),
            Step::Upload { filename } => {
                record.submit = Submit::Uploading {
                    filename: filename.clone(),
                };
                store.save(record)?;
                Submit::Uploaded {
                    file_id: api.upload(http, &filename, requests)?,
                }
            }
            Step::FindUpload { filename } => {
                let file_id = match api.find_upload(http, &filename)? {
                    Some(id) => id,
                    None => api.upload(http, &filename, requests)?,
                };
                Submit::Uploaded { file_id }
            }
            Step::Create { file_id } => {
                let since_ms = now_ms();
                record.submit = Submit::Creating {
                    file_id: file_id.clone(),
                    since_ms,
                };
                store.save(record)?;
                let batch = api.create(http, &record.name, file_id.as_deref(), requests)?;
                record.remote_status = Some(batch.status);
                Submit::Created { batch_id: batch.id }
            }
            Step::FindCreated { file_id, since_ms } => {
                let total = requests.len() as u64;
                let batch = match api.find_created(http, file_id.as_deref(), since_ms, total)? {
                    Some(b) => b,
                    None => api.create(http, &record.name, file_id.as_deref(), requests)?,
                };
                record.remote_status = Some(batch.status);
                Submit::Created { batch_id: batch.id }
            }
        };
        store.save(record)?;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use anyhow::anyhow;
    use serde_json::json;

    use super::*;
    use crate::batch::state::{JobEntry, Mode};
    use crate::batch::{Counts, Phase, RemoteBatch, ResultLine};

    /// An in-memory batch API whose next call can fail after its effect (a crash after the
    /// provider acted, before the answer was recorded) or before it.
    #[derive(Default)]
    struct Fake {
        uploads: bool,
        files: Mutex<Vec<String>>,
        batches: Mutex<Vec<(String, Option<String>)>>,
        crash_after: Mutex<Option<&'static str>>,
        crash_before: Mutex<Option<&'static str>>,
        calls: Mutex<Vec<&'static str>>,
    }

    impl Fake {
        fn call(&self, what: &'static str, effect: impl FnOnce()) -> Result<()> {
            self.calls.lock().unwrap().push(what);
            if *self.crash_before.lock().unwrap() == Some(what) {
                *self.crash_before.lock().unwrap() = None;
                return Err(anyhow!("connection refused"));
            }
            effect();
            if *self.crash_after.lock().unwrap() == Some(what) {
                *self.crash_after.lock().unwrap() = None;
                return Err(anyhow!("killed"));
            }
            Ok(())
        }
    }

    fn remote(id: &str) -> RemoteBatch {
        RemoteBatch {
            id: id.into(),
            status: "in_progress".into(),
            phase: Phase::Running,
            counts: Counts::default(),
            output_file_id: None,
            error_file_id: None,
            results_url: None,
        }
    }

    impl BatchApi for Fake {
        fn provider(&self) -> &'static str {
            "fake"
        }
        fn uploads(&self) -> bool {
            self.uploads
        }
        fn upload(&self, _: &dyn Http, filename: &str, _: &[(String, Value)]) -> Result<String> {
            self.call("upload", || {
                self.files.lock().unwrap().push(filename.into())
            })?;
            Ok(format!("file-{}", self.files.lock().unwrap().len()))
        }
        fn find_upload(&self, _: &dyn Http, filename: &str) -> Result<Option<String>> {
            self.call("find_upload", || ())?;
            let files = self.files.lock().unwrap();
            Ok(files
                .iter()
                .position(|f| f == filename)
                .map(|i| format!("file-{}", i + 1)))
        }
        fn create(
            &self,
            _: &dyn Http,
            _: &str,
            file_id: Option<&str>,
            _: &[(String, Value)],
        ) -> Result<RemoteBatch> {
            let id = format!("batch-{}", self.batches.lock().unwrap().len() + 1);
            let entry = (id.clone(), file_id.map(str::to_string));
            self.call("create", || self.batches.lock().unwrap().push(entry))?;
            Ok(remote(&id))
        }
        fn find_created(
            &self,
            _: &dyn Http,
            file_id: Option<&str>,
            _: u64,
            _: u64,
        ) -> Result<Option<RemoteBatch>> {
            self.call("find_created", || ())?;
            let batches = self.batches.lock().unwrap();
            let found = match file_id {
                Some(f) => batches.iter().find(|(_, b)| b.as_deref() == Some(f)),
                None => batches.last(),
            };
            Ok(found.map(|(id, _)| remote(id)))
        }
        fn retrieve(&self, _: &dyn Http, id: &str) -> Result<RemoteBatch> {
            Ok(remote(id))
        }
        fn cancel(&self, _: &dyn Http, id: &str) -> Result<RemoteBatch> {
            Ok(remote(id))
        }
        fn results(&self, _: &dyn Http, _: &RemoteBatch) -> Result<Vec<u8>> {
            Ok(Vec::new())
        }
        fn parse_result_line(&self, _: &str) -> Result<ResultLine> {
            Err(anyhow!("unused"))
        }
    }

    struct NoHttp;
    impl Http for NoHttp {
        fn get(&self, _: &str) -> Result<Vec<u8>> {
            unreachable!()
        }
        fn post_json(&self, _: &str, _: &Value) -> Result<Value> {
            unreachable!()
        }
        fn post_bytes(&self, _: &str, _: &str, _: Vec<u8>) -> Result<Value> {
            unreachable!()
        }
    }

    fn record() -> Record {
        Record {
            version: Record::VERSION,
            name: "n".into(),
            created: "2026-12-02T18:00:00Z".into(),
            jobs_file: "J".into(),
            cwd: "/".into(),
            mode: Mode::Provider {
                provider: "fake".into(),
                base_url: "http://x".into(),
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

    /// Submits, "crashing" as the fake says, then resumes from the saved record.
    fn run(fake: &Fake) -> (String, Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let requests = vec![("a".to_string(), json!({"model": "m"}))];
        let mut rec = record();
        store.save(&rec).unwrap();
        let clock = || 1000;
        let first = submit(&store, &mut rec, fake, &NoHttp, &requests, "x1", &clock);
        let id = match first {
            Ok(id) => id,
            Err(_) => {
                // a new process: only what was saved survives
                let mut rec = store.load("n").unwrap().unwrap();
                submit(&store, &mut rec, fake, &NoHttp, &requests, "x2", &clock).unwrap()
            }
        };
        (id, store, dir)
    }

    #[test]
    fn openai_style_crash_after_upload_reuses_the_file() {
        let fake = Fake {
            uploads: true,
            ..Fake::default()
        };
        *fake.crash_after.lock().unwrap() = Some("upload");
        let (id, store, _dir) = run(&fake);
        assert_eq!(id, "batch-1");
        assert_eq!(fake.files.lock().unwrap().len(), 1, "uploaded once");
        assert_eq!(
            *fake.calls.lock().unwrap(),
            ["upload", "find_upload", "create"]
        );
        assert_eq!(
            store.load("n").unwrap().unwrap().submit,
            Submit::Created {
                batch_id: "batch-1".into()
            }
        );
    }

    #[test]
    fn crash_after_create_never_makes_a_second_batch() {
        for uploads in [true, false] {
            let fake = Fake {
                uploads,
                ..Fake::default()
            };
            *fake.crash_after.lock().unwrap() = Some("create");
            let (id, _, _dir) = run(&fake);
            assert_eq!(id, "batch-1");
            assert_eq!(fake.batches.lock().unwrap().len(), 1, "uploads: {uploads}");
            assert_eq!(fake.calls.lock().unwrap().last(), Some(&"find_created"));
        }
    }

    #[test]
    fn a_call_that_never_reached_the_provider_is_made_again() {
        let fake = Fake {
            uploads: true,
            ..Fake::default()
        };
        *fake.crash_before.lock().unwrap() = Some("create");
        let (id, _, _dir) = run(&fake);
        assert_eq!(id, "batch-1");
        assert_eq!(
            *fake.calls.lock().unwrap(),
            ["upload", "create", "find_created", "create"]
        );
    }

    #[test]
    fn a_created_record_makes_no_call() {
        let fake = Fake::default();
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let mut rec = record();
        rec.submit = Submit::Created {
            batch_id: "b".into(),
        };
        let id = submit(&store, &mut rec, &fake, &NoHttp, &[], "n", &|| 0).unwrap();
        assert_eq!(id, "b");
        assert!(fake.calls.lock().unwrap().is_empty());
    }
}
