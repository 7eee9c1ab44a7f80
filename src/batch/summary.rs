//! What `collect` (and `status`) report: how many jobs ended how, the cost at batch prices,
//! and each job that did not succeed with its reason; and the pace of `wait`'s polls.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::state::{Done, JobEntry, JobStatus};

/// The jobs of a batch by outcome.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Summary {
    pub total: usize,
    pub written: usize,
    /// Jobs with no done marker yet.
    pub pending: usize,
    /// `(id, status, reason)` of each job that ended without its output.
    pub problems: Vec<(String, JobStatus, String)>,
    /// USD at batch prices; `None` when a price is unknown for some job.
    pub cost: Option<f64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl Summary {
    /// The summary of `jobs` from their done markers, in job order.
    pub fn of(jobs: &[JobEntry], done: &HashMap<String, Done>) -> Summary {
        let mut s = Summary {
            total: jobs.len(),
            cost: Some(0.0),
            ..Summary::default()
        };
        for job in jobs {
            let Some(d) = done.get(&job.id) else {
                s.pending += 1;
                continue;
            };
            s.input_tokens += d.input_tokens;
            s.output_tokens += d.output_tokens;
            // a job that ran without a known cost makes the total unknown
            if d.status == JobStatus::Written || d.input_tokens + d.output_tokens > 0 {
                s.cost = s.cost.zip(d.cost).map(|(a, b)| a + b);
            }
            if d.status == JobStatus::Written {
                s.written += 1;
            } else {
                let reason = d.reason.clone().unwrap_or_else(|| default_reason(d.status));
                s.problems.push((d.id.clone(), d.status, reason));
            }
        }
        s
    }

    /// Every job written.
    pub fn all_written(&self) -> bool {
        self.written == self.total
    }

    /// The human summary: one line of counts, then one line per job without output.
    pub fn text(&self) -> String {
        let cost = match self.cost {
            Some(c) => format!("${c:.4} at batch prices"),
            None => "cost unknown".into(),
        };
        let mut out = format!(
            "{} of {} jobs written, {} failed, {} pending; {} tokens in, {} out; {cost}\n",
            self.written,
            self.total,
            self.problems.len(),
            self.pending,
            self.input_tokens,
            self.output_tokens
        );
        for (id, status, reason) in &self.problems {
            out.push_str(&format!("  {id}: {}: {reason}\n", status_word(*status)));
        }
        out
    }

    /// The `--json` summary.
    pub fn json(&self) -> Value {
        let problems: Vec<Value> = self
            .problems
            .iter()
            .map(|(id, status, reason)| {
                json!({"id": id, "status": status_word(*status), "reason": reason})
            })
            .collect();
        json!({
            "total": self.total,
            "written": self.written,
            "failed": self.problems.len(),
            "pending": self.pending,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost,
            "problems": problems,
        })
    }
}

fn status_word(status: JobStatus) -> &'static str {
    match status {
        JobStatus::Written => "written",
        JobStatus::Failed => "failed",
        JobStatus::Truncated => "truncated",
        JobStatus::NothingToExtract => "nothing to extract",
        JobStatus::Cancelled => "cancelled",
        JobStatus::Expired => "expired",
    }
}

fn default_reason(status: JobStatus) -> String {
    match status {
        JobStatus::Truncated => "the answer was cut off by the token limit".into(),
        JobStatus::NothingToExtract => "no matching code block in the answer".into(),
        JobStatus::Cancelled => "the batch was cancelled before the job ran".into(),
        JobStatus::Expired => "the batch's 24 h window passed before the job ran".into(),
        JobStatus::Written | JobStatus::Failed => "failed".into(),
    }
}

/// The pause before poll number `attempt` (0-based) of `wait`: `first`, doubling, at most
/// `max`.
pub fn poll_delay(attempt: u32, first: Duration, max: Duration) -> Duration {
    first
        .checked_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
        .unwrap_or(max)
        .min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(id: &str) -> JobEntry {
        JobEntry {
            id: id.into(),
            model: "m".into(),
            args: Vec::new(),
        }
    }

    fn done(id: &str, status: JobStatus, cost: Option<f64>) -> (String, Done) {
        (
            id.into(),
            Done {
                id: id.into(),
                status,
                reason: None,
                cost,
                input_tokens: 10,
                output_tokens: 5,
            },
        )
    }

    #[test]
    fn counts_cost_and_problems() {
        let jobs = [job("a"), job("b"), job("c"), job("d")];
        let marks: HashMap<_, _> = [
            done("a", JobStatus::Written, Some(0.25)),
            done("b", JobStatus::Expired, Some(0.0)),
            done("c", JobStatus::Written, Some(0.5)),
        ]
        .into();
        let s = Summary::of(&jobs, &marks);
        assert_eq!((s.total, s.written, s.pending), (4, 2, 1));
        assert_eq!(s.cost, Some(0.75));
        assert!(!s.all_written());
        assert_eq!(
            s.text(),
            "2 of 4 jobs written, 1 failed, 1 pending; 30 tokens in, 15 out; $0.7500 at batch prices\n  b: expired: the batch's 24 h window passed before the job ran\n"
        );
        assert_eq!(s.json()["problems"][0]["status"], "expired");
        let unknown: HashMap<_, _> = [done("a", JobStatus::Written, None)].into();
        assert_eq!(Summary::of(&[job("a")], &unknown).cost, None);
        assert!(Summary::of(&[job("a")], &unknown).all_written());
    }

    #[test]
    fn polls_back_off() {
        let (first, max) = (Duration::from_secs(1), Duration::from_secs(60));
        let delays: Vec<u64> = (0..8)
            .map(|a| poll_delay(a, first, max).as_secs())
            .collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(poll_delay(200, first, max), max);
    }
}
