//! `--local`: the jobs run as ordinary calls, `workers` at a time (each call waits for the
//! shared rate budget as any call does), with the same done markers as a provider batch, so
//! a run after a crash does only what is left.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Result;

use super::state::{Done, JobEntry, Record, Store};
use super::summary::Summary;

/// Runs every job without a done marker through `run` on `workers` threads; each result is
/// marked done as soon as it is known. Returns the summary of the whole batch.
pub fn run_local(
    store: &Store,
    record: &Record,
    workers: usize,
    run: &(dyn Fn(&JobEntry) -> Done + Sync),
) -> Result<Summary> {
    let done = store.done(&record.name)?;
    let todo: Vec<&JobEntry> = record
        .jobs
        .iter()
        .filter(|j| !done.contains_key(&j.id))
        .collect();
    let next = AtomicUsize::new(0);
    let marks = Mutex::new(done);
    let failure: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, todo.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = todo.get(i) else { break };
                    if failure.lock().unwrap().is_some() {
                        break;
                    }
                    let mark = run(job);
                    let mut marks = marks.lock().unwrap();
                    if let Err(e) = store.mark_done(&record.name, &mark) {
                        failure.lock().unwrap().get_or_insert(e);
                        break;
                    }
                    marks.insert(mark.id.clone(), mark);
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().unwrap() {
        return Err(e);
    }
    Ok(Summary::of(&record.jobs, &marks.into_inner().unwrap()))
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;
    use crate::batch::state::{JobStatus, Mode, Submit};

    fn record(n: usize) -> Record {
        Record {
            version: Record::VERSION,
            name: "l".into(),
            created: "2026-12-02T18:00:00Z".into(),
            jobs_file: "J".into(),
            cwd: "/".into(),
            mode: Mode::Local { workers: 4 },
            submit: Submit::Prepared,
            remote_status: None,
            jobs: (0..n)
                .map(|i| JobEntry {
                    id: format!("j{i}"),
                    model: "m".into(),
                    args: Vec::new(),
                })
                .collect(),
        }
    }

    fn ok(job: &JobEntry) -> Done {
        Done {
            id: job.id.clone(),
            status: JobStatus::Written,
            reason: None,
            cost: Some(0.0),
            input_tokens: 1,
            output_tokens: 1,
        }
    }

    #[test]
    fn workers_run_in_parallel_and_a_rerun_does_what_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        let rec = record(8);
        store.save(&rec).unwrap();
        store.mark_done("l", &ok(&rec.jobs[0])).unwrap();
        let ran = AtomicUsize::new(0);
        let started = Instant::now();
        let summary = run_local(&store, &rec, 4, &|job| {
            ran.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(100));
            ok(job)
        })
        .unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 7);
        assert!(summary.all_written());
        // 7 jobs of 100 ms on 4 workers: two rounds, not seven
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
        let summary = run_local(&store, &rec, 4, &|_| panic!("nothing left")).unwrap();
        assert_eq!(summary.written, 8);
    }
}
