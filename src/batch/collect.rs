//! Collecting a batch: the results are downloaded once into `NAME.results.jsonl`, then read
//! line by line; each job without a done marker is finished by the caller's `finish` (which
//! writes its output as the single call would) and then marked done. After a crash the
//! same steps skip what was marked. Jobs the provider returned nothing for, in a batch that
//! expired or was cancelled, are marked so.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader, Write};

use anyhow::{Context, Result};

use super::api::{BatchApi, Http};
use super::state::{Done, JobEntry, JobStatus, Record, Store};
use super::summary::Summary;
use super::{Outcome, Phase, RemoteBatch};

/// Downloads the results unless a complete copy is already kept; the file is written
/// through a temporary name, so a crash never leaves half a copy under the real one.
pub fn fetch_results(
    store: &Store,
    record: &Record,
    api: &dyn BatchApi,
    http: &dyn Http,
    batch: &RemoteBatch,
) -> Result<()> {
    let path = store.results_path(&record.name);
    if path.is_file() {
        return Ok(());
    }
    let bytes = api.results(http, batch)?;
    let partial = path.with_extension("partial");
    let mut file = fs::File::create(&partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    file.write_all(&bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    fs::rename(&partial, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Finishes every job not yet marked done from the kept results; `phase` is the batch's
/// final phase (what a job missing from the results became). Returns the summary.
pub fn collect(
    store: &Store,
    record: &Record,
    api: &dyn BatchApi,
    phase: Phase,
    finish: &mut dyn FnMut(&JobEntry, Outcome) -> Done,
) -> Result<Summary> {
    let mut done = store.done(&record.name)?;
    let jobs: HashMap<&str, &JobEntry> = record.jobs.iter().map(|j| (j.id.as_str(), j)).collect();
    let path = store.results_path(&record.name);
    let mut seen = HashSet::new();
    if path.is_file() {
        let file =
            fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        for line in BufReader::new(file).lines() {
            let line = line.with_context(|| format!("cannot read {}", path.display()))?;
            if line.trim().is_empty() {
                continue;
            }
            let result = api.parse_result_line(&line)?;
            seen.insert(result.custom_id.clone());
            let Some(job) = jobs.get(result.custom_id.as_str()) else {
                continue; // not one of ours: ignored
            };
            if done.contains_key(&job.id) {
                continue;
            }
            let mark = finish(job, result.outcome);
            store.mark_done(&record.name, &mark)?;
            done.insert(mark.id.clone(), mark);
        }
    }
    if phase.is_final() {
        let missing = match phase {
            Phase::Cancelled => Some(JobStatus::Cancelled),
            Phase::Expired => Some(JobStatus::Expired),
            Phase::Failed | Phase::Ended => Some(JobStatus::Failed),
            Phase::Running | Phase::Cancelling => None,
        };
        for job in &record.jobs {
            if let Some(status) = missing
                && !seen.contains(&job.id)
                && !done.contains_key(&job.id)
            {
                let mark = Done {
                    id: job.id.clone(),
                    status,
                    reason: (status == JobStatus::Failed)
                        .then(|| "the provider returned no result for it".to_string()),
                    cost: None,
                    input_tokens: 0,
                    output_tokens: 0,
                };
                store.mark_done(&record.name, &mark)?;
                done.insert(mark.id.clone(), mark);
            }
        }
    }
    Ok(Summary::of(&record.jobs, &done))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::openai;
    use crate::batch::state::{Mode, Submit};

    fn record(ids: &[&str]) -> Record {
        Record {
            version: Record::VERSION,
            name: "n".into(),
            created: "2026-12-02T18:00:00Z".into(),
            jobs_file: "J".into(),
            cwd: "/".into(),
            mode: Mode::Provider {
                provider: "openai".into(),
                base_url: "http://x/v1".into(),
            },
            submit: Submit::Created {
                batch_id: "b".into(),
            },
            remote_status: None,
            jobs: ids
                .iter()
                .map(|id| JobEntry {
                    id: id.to_string(),
                    model: "m".into(),
                    args: Vec::new(),
                })
                .collect(),
        }
    }

    fn ok_line(id: &str) -> String {
        format!(
            "{{\"id\":\"r\",\"custom_id\":\"{id}\",\"response\":{{\"status_code\":200,\"body\":{{\"choices\":[]}}}},\"error\":null}}\n"
        )
    }

    fn written(job: &JobEntry, outcome: Outcome) -> Done {
        Done {
            id: job.id.clone(),
            status: match outcome {
                Outcome::Succeeded(_) => JobStatus::Written,
                Outcome::Expired => JobStatus::Expired,
                Outcome::Cancelled => JobStatus::Cancelled,
                Outcome::Errored(_) => JobStatus::Failed,
            },
            reason: None,
            cost: Some(0.1),
            input_tokens: 1,
            output_tokens: 1,
        }
    }

    #[test]
    fn resumes_after_a_crash_and_marks_missing_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let rec = record(&["a", "b", "c", "d"]);
        store.save(&rec).unwrap();
        let results = [ok_line("a"), ok_line("b"), ok_line("c"), ok_line("zz")].concat();
        std::fs::write(store.results_path("n"), results).unwrap();
        // the first collect "crashes" while finishing b
        let mut finished = Vec::new();
        let crash = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            collect(
                &store,
                &rec,
                &openai::Api,
                Phase::Expired,
                &mut |job, outcome| {
                    assert_ne!(job.id, "b", "crash");
                    finished.push(job.id.clone());
                    written(job, outcome)
                },
            )
        }));
        assert!(crash.is_err());
        assert_eq!(finished, ["a"]);
        // the second skips a, finishes b and c, and marks d (missing) expired
        let mut again = Vec::new();
        let summary = collect(
            &store,
            &rec,
            &openai::Api,
            Phase::Expired,
            &mut |job, outcome| {
                again.push(job.id.clone());
                written(job, outcome)
            },
        )
        .unwrap();
        assert_eq!(again, ["b", "c"]);
        assert_eq!((summary.written, summary.total), (3, 4));
        assert_eq!(summary.problems[0].0, "d");
        assert_eq!(summary.problems[0].1, JobStatus::Expired);
        // a third finishes nothing
        let summary = collect(&store, &rec, &openai::Api, Phase::Expired, &mut |_, _| {
            panic!("nothing left")
        })
        .unwrap();
        assert_eq!(summary.written, 3);
    }

    #[test]
    fn a_running_batch_marks_nothing_missing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let rec = record(&["a"]);
        let summary = collect(&store, &rec, &openai::Api, Phase::Running, &mut |_, _| {
            panic!("no results")
        })
        .unwrap();
        assert_eq!(summary.pending, 1);
    }
}
