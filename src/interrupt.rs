//! Ctrl-C (SIGINT), SIGTERM and SIGHUP (a cancelled CI job, a closed terminal): exit 130 at
//! once, except while a file or conversation is being written, in which case the write
//! finishes (or is rolled back) first. Nothing half-written is left behind, and a child
//! process started on cellmage's behalf (`api_key_cmd`) is killed first.
//! A panic (a bug) likewise ends the process the documented way: one error line, exit 1.

use std::io::Write;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus};
use std::sync::{Mutex, MutexGuard};

use crate::error::Kind;

static CRITICAL: Mutex<()> = Mutex::new(());

/// Children to kill on interrupt, by an id of cellmage's own.
static CHILDREN: Mutex<Vec<(u64, Child)>> = Mutex::new(Vec::new());
static NEXT_CHILD: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Installs the handler for SIGINT, SIGTERM and SIGHUP. A failure to install it is not
/// fatal: the signal then kills the process the default way, which the stores are built to
/// survive as well.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        for (_, child) in children().iter_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _guard = CRITICAL.lock();
        // stderr may be gone (a closed terminal): never panic here.
        let _ = writeln!(
            std::io::stderr(),
            "\ncellmage: error: interrupted; nothing recorded"
        );
        std::process::exit(Kind::Interrupted.exit_code().into());
    });
}

fn children() -> MutexGuard<'static, Vec<(u64, Child)>> {
    CHILDREN
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A child's stdout and stderr, when piped.
pub type Pipes = (Option<ChildStdout>, Option<ChildStderr>);

/// A child process that an interrupt kills before cellmage exits. Dropping it kills the
/// child if it is still running and reaps it.
pub struct Killable(u64);

impl Killable {
    /// Starts `command` with its stdout and stderr taken out. The list stays locked from
    /// before the start until the child is on it, so an interrupt always finds it.
    pub fn spawn(command: &mut Command) -> std::io::Result<(Killable, Pipes)> {
        let mut list = children();
        let mut child = command.spawn()?;
        let pipes = (child.stdout.take(), child.stderr.take());
        let id = NEXT_CHILD.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        list.push((id, child));
        Ok((Killable(id), pipes))
    }

    fn with<T>(&self, f: impl FnOnce(&mut Child) -> T) -> Option<T> {
        children()
            .iter_mut()
            .find(|(id, _)| *id == self.0)
            .map(|(_, child)| f(child))
    }

    /// The exit status if the child has ended (it is then reaped), without waiting.
    pub fn try_wait(&self) -> std::io::Result<Option<ExitStatus>> {
        self.with(Child::try_wait).unwrap_or(Ok(None))
    }
}

impl Drop for Killable {
    fn drop(&mut self) {
        let mut list = children();
        if let Some(at) = list.iter().position(|(id, _)| *id == self.0) {
            // Still holding the list, so an interrupt cannot slip in between.
            let (_, mut child) = list.swap_remove(at);
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

/// Replaces Rust's panic report (exit 101, and a backtrace under `RUST_BACKTRACE`) with one
/// `cellmage: error:` line and exit 1. The message is the panic's own text, in which
/// secrets print as `(redacted)`; no backtrace is printed whatever the environment says.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        eprintln!("{}", panic_line(&message, info.location()));
        eprintln!("cellmage: hint: this is a bug in cellmage; please report it");
        std::process::exit(Kind::Internal.exit_code().into());
    }));
}

fn panic_line(message: &str, at: Option<&std::panic::Location<'_>>) -> String {
    let at = at.map_or(String::new(), |l| format!(" at {}:{}", l.file(), l.line()));
    let message = message.replace(['\n', '\r'], " ");
    format!("cellmage: error: internal error{at}: {message}")
}

/// Holds off Ctrl-C while the guard lives.
pub fn critical() -> MutexGuard<'static, ()> {
    CRITICAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_is_one_line() {
        let secret = crate::secret::Secret::new("sk-in-a-panic");
        let line = panic_line(
            &format!("bad state\nkey {secret:?}"),
            Some(std::panic::Location::caller()),
        );
        assert!(line.starts_with("cellmage: error: internal error at src/interrupt.rs:"));
        assert!(line.ends_with(": bad state key (redacted)"), "{line}");
    }
}
