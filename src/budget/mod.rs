//! The shared rate budget: processes calling the same provider with the same key share one
//! small state file in the data directory (`budget/<provider>-<hash>.json`, the hash of
//! provider, base URL and key: never the key). Each decision is read-modify-write under an
//! exclusive `File::lock` on that file; the operating system drops the lock when a process
//! dies, and grants lapse at their holder's deadline or when its process is gone, so a
//! killed process never leaves the budget locked or reserved.
//!
//! The budget is advisory: a damaged state file counts as an empty one, and callers go on
//! without the budget if the file cannot be used at all.

pub mod gate;
pub mod headers;
pub mod state;

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

pub use gate::{Gate, Pass, RateConfig};
pub use headers::{Learnt, Window};
pub use state::{ClientLimits, Decision, Reason, State};

/// Which budget: provider, base URL and the key (hashed at once, never stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BudgetKey {
    provider: String,
    stem: String,
}

impl BudgetKey {
    pub fn new(provider: &str, base_url: &str, key: &str) -> BudgetKey {
        let mut hash = Sha256::new();
        for part in [provider, base_url.trim_end_matches('/'), key] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
        let hex: String = hash.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let provider: String = provider
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        BudgetKey {
            stem: format!("{provider}-{hex}"),
            provider,
        }
    }

    /// The state file's name, without directory.
    pub fn file_name(&self) -> String {
        format!("{}.json", self.stem)
    }
}

/// A grant to send one request; give it back with [`Budget::observe`] or
/// [`Budget::release`]. Dropped without either, it lapses at its deadline.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub struct Ticket(u64);

/// A wait the budget asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Wait {
    pub until: SystemTime,
    pub reason: Reason,
}

impl Wait {
    /// How long from now (zero if already past).
    pub fn remaining(&self) -> Duration {
        self.until
            .duration_since(SystemTime::now())
            .unwrap_or_default()
    }
}

/// What `acquire` ended with.
#[derive(Debug, PartialEq, Eq)]
pub enum Acquired {
    Go(Ticket),
    /// The budget frees up only after the deadline: this wait was not started.
    PastDeadline(Wait),
}

/// One shared budget, opened by one process.
#[derive(Clone, Debug)]
pub struct Budget {
    path: PathBuf,
    limits: ClientLimits,
    pid: u32,
}

/// The longest single sleep while waiting: others' answers may free the budget sooner.
const NAP: Duration = Duration::from_millis(250);

fn ms(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

fn time(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// True while process `pid` exists (where that can be seen; elsewhere grants lapse only at
/// their deadline).
fn alive(pid: u32) -> bool {
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
}

impl Budget {
    /// The budget for `key` in `dir`; the directory (private to the user) and the file are
    /// made at the first decision, not before.
    pub fn open(dir: &Path, key: &BudgetKey, limits: ClientLimits) -> io::Result<Budget> {
        Ok(Budget {
            path: dir.join(key.file_name()),
            limits,
            pid: std::process::id(),
        })
    }

    /// Runs `change` on the state under the file's exclusive lock and writes it back.
    fn with_state<T>(&self, change: impl FnOnce(&mut State) -> T) -> io::Result<T> {
        let mut opts = OpenOptions::new();
        opts.read(true).write(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut file: File = match opts.open(&self.path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
                if let Some(dir) = self.path.parent() {
                    builder.create(dir)?;
                }
                opts.open(&self.path)?
            }
            other => other?,
        };
        file.lock()?;
        let mut text = String::new();
        file.read_to_string(&mut text)?;
        let mut state: State = serde_json::from_str(&text)
            .ok()
            .filter(|s: &State| s.version == State::VERSION)
            .unwrap_or_else(|| State {
                version: State::VERSION,
                ..State::default()
            });
        let out = change(&mut state);
        let text = serde_json::to_string(&state).map_err(io::Error::other)?;
        // overwrite, then cut the tail: truncating to zero first would make some file
        // systems (ext4's auto_da_alloc) flush the file on close, at a millisecond's cost
        file.seek(SeekFrom::Start(0))?;
        file.write_all(text.as_bytes())?;
        file.set_len(text.len() as u64)?;
        Ok(out)
    }

    /// One decision: a ticket held until `hold_until` at the latest, or a wait.
    pub fn try_acquire(
        &self,
        tokens: u64,
        hold_until: SystemTime,
    ) -> io::Result<Result<Ticket, Wait>> {
        let now = ms(SystemTime::now());
        let decision = self
            .with_state(|s| s.decide(now, tokens, self.limits, self.pid, ms(hold_until), &alive))?;
        Ok(match decision {
            Decision::Go(id) => Ok(Ticket(id)),
            Decision::Wait { until_ms, reason } => Err(Wait {
                until: time(until_ms),
                reason,
            }),
        })
    }

    /// Waits for budget for a request of about `tokens` tokens, telling `on_wait` of each
    /// wait before it starts; gives up (without sleeping) when the budget frees up only
    /// after `deadline`. The ticket is held until `deadline` at the latest.
    pub fn acquire(
        &self,
        tokens: u64,
        deadline: SystemTime,
        mut on_wait: impl FnMut(&Wait),
    ) -> io::Result<Acquired> {
        loop {
            match self.try_acquire(tokens, deadline)? {
                Ok(ticket) => return Ok(Acquired::Go(ticket)),
                Err(wait) if wait.until > deadline => return Ok(Acquired::PastDeadline(wait)),
                Err(wait) => {
                    on_wait(&wait);
                    std::thread::sleep(wait.remaining().min(NAP));
                }
            }
        }
    }

    /// Hands the ticket back with the answer's headers: the limits they report become
    /// everyone's.
    pub fn observe<'a>(
        &self,
        ticket: Ticket,
        headers: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> io::Result<Learnt> {
        let now = headers::now_ms();
        let learnt = headers::parse(headers, now);
        self.with_state(|s| s.settle(ticket.0, Some(learnt), now))?;
        Ok(learnt)
    }

    /// Hands the ticket back when no answer came (connection failed, interrupted).
    pub fn release(&self, ticket: Ticket) -> io::Result<()> {
        self.with_state(|s| s.settle(ticket.0, None, headers::now_ms()))
    }

    /// No process sends before `until` (a 429 with Retry-After).
    pub fn cooldown(&self, until: SystemTime) -> io::Result<()> {
        self.with_state(|s| s.cool_down(ms(until)))
    }

    /// The state as it is now, for `-v` and tests.
    pub fn snapshot(&self) -> io::Result<State> {
        self.with_state(|s| s.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(dir: &Path, limits: ClientLimits) -> Budget {
        Budget::open(
            dir,
            &BudgetKey::new("openai", "http://x/v1", "sk-secret"),
            limits,
        )
        .unwrap()
    }

    #[test]
    fn key_names_a_file_without_the_key() {
        let a = BudgetKey::new("openai", "https://api.openai.com/v1", "sk-secret-1");
        let b = BudgetKey::new("openai", "https://api.openai.com/v1/", "sk-secret-1");
        let c = BudgetKey::new("openai", "https://api.openai.com/v1", "sk-secret-2");
        assert_eq!(a, b);
        assert_ne!(a.file_name(), c.file_name());
        assert!(a.file_name().starts_with("openai-"));
        assert!(!a.file_name().contains("secret"));
        assert_eq!(a.file_name().len(), "openai-".len() + 32 + ".json".len());
    }

    #[test]
    fn processes_share_the_state() {
        let dir = tempfile::tempdir().unwrap();
        let one = budget(dir.path(), ClientLimits::default());
        let two = budget(dir.path(), ClientLimits::default());
        let far = SystemTime::now() + Duration::from_secs(60);
        let ticket = one.try_acquire(10, far).unwrap().unwrap();
        // the probe is under way: the other waits
        assert_eq!(
            two.try_acquire(10, far).unwrap().unwrap_err().reason,
            Reason::Probe
        );
        one.observe(
            ticket,
            [
                ("x-ratelimit-limit-requests", "2"),
                ("x-ratelimit-remaining-requests", "1"),
                ("x-ratelimit-reset-requests", "20s"),
            ],
        )
        .unwrap();
        let t2 = two.try_acquire(10, far).unwrap().unwrap();
        let wait = one.try_acquire(10, far).unwrap().unwrap_err();
        assert_eq!(wait.reason, Reason::Requests);
        assert!(wait.remaining() > Duration::from_secs(15));
        two.release(t2).unwrap();
        // past the deadline: no sleep, an answer at once
        let soon = SystemTime::now() + Duration::from_secs(1);
        let started = std::time::Instant::now();
        let out = one.acquire(10, soon, |_| {}).unwrap();
        assert!(matches!(out, Acquired::PastDeadline(_)));
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn cooldown_is_seen_by_all() {
        let dir = tempfile::tempdir().unwrap();
        let one = budget(dir.path(), ClientLimits::default());
        let two = budget(dir.path(), ClientLimits::default());
        one.cooldown(SystemTime::now() + Duration::from_millis(300))
            .unwrap();
        let mut waits = 0;
        let far = SystemTime::now() + Duration::from_secs(60);
        let started = std::time::Instant::now();
        let got = two.acquire(1, far, |w| {
            assert_eq!(w.reason, Reason::Cooldown);
            waits += 1;
        });
        assert!(matches!(got.unwrap(), Acquired::Go(_)));
        assert!(waits >= 1);
        assert!(started.elapsed() >= Duration::from_millis(250));
    }

    #[test]
    fn a_damaged_file_counts_as_empty() {
        let dir = tempfile::tempdir().unwrap();
        let b = budget(dir.path(), ClientLimits::default());
        std::fs::write(&b.path, "{ torn").unwrap();
        let far = SystemTime::now() + Duration::from_secs(60);
        assert!(b.try_acquire(1, far).unwrap().is_ok());
        assert_eq!(b.snapshot().unwrap().reservations.len(), 1);
    }

    #[test]
    fn a_dead_holder_frees_the_probe() {
        let dir = tempfile::tempdir().unwrap();
        let b = budget(dir.path(), ClientLimits::default());
        // a reservation by a process that does not exist (pid beyond the kernel's range)
        b.with_state(|s| {
            s.reservations.push(state::Reservation {
                id: 99,
                pid: u32::MAX - 1,
                tokens: 1,
                expires_ms: u64::MAX,
            })
        })
        .unwrap();
        let far = SystemTime::now() + Duration::from_secs(60);
        if cfg!(target_os = "linux") {
            assert!(b.try_acquire(1, far).unwrap().is_ok());
        }
    }

    /// Prints the cost of one uncontended acquire + observe (`cargo test --release
    /// budget_cost -- --nocapture --ignored`).
    #[test]
    #[ignore]
    fn budget_cost() {
        let dir = tempfile::tempdir().unwrap();
        let b = budget(dir.path(), ClientLimits::default());
        let far = SystemTime::now() + Duration::from_secs(600);
        let ticket = b.try_acquire(1, far).unwrap().unwrap();
        b.observe(ticket, [("content-type", "x")]).unwrap();
        let n = 2000;
        let started = std::time::Instant::now();
        for _ in 0..n {
            let Acquired::Go(t) = b.acquire(100, far, |_| {}).unwrap() else {
                panic!()
            };
            b.observe(t, [("x-ratelimit-limit-requests", "1000000")])
                .unwrap();
        }
        let per = started.elapsed() / n;
        println!("acquire + observe, uncontended: {per:?} per call");
    }
}
