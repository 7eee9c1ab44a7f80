//! Ctrl-C: exit 130 at once, except while a file or conversation is being written, in which
//! case the write finishes (or is rolled back) first. Nothing half-written is left behind.
//! A panic (a bug) likewise ends the process the documented way: one error line, exit 1.

use std::sync::{Mutex, MutexGuard};

use crate::error::Kind;

static CRITICAL: Mutex<()> = Mutex::new(());

/// Installs the handler. A failure to install it is not fatal: Ctrl-C then kills the
/// process the default way, which the stores are built to survive as well.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let _guard = CRITICAL.lock();
        eprintln!("\ncellmage: error: interrupted; nothing recorded");
        std::process::exit(Kind::Interrupted.exit_code().into());
    });
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
