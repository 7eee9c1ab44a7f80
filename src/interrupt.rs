//! Ctrl-C: exit 130 at once, except while a file or conversation is being written, in which
//! case the write finishes (or is rolled back) first. Nothing half-written is left behind.

use std::sync::{Mutex, MutexGuard};

static CRITICAL: Mutex<()> = Mutex::new(());

/// Installs the handler. A failure to install it is not fatal: Ctrl-C then kills the
/// process the default way, which the stores are built to survive as well.
pub fn install() {
    let _ = ctrlc::set_handler(|| {
        let _guard = CRITICAL.lock();
        eprintln!("\ncellmage: error: interrupted; nothing recorded");
        std::process::exit(130);
    });
}

/// Holds off Ctrl-C while the guard lives.
pub fn critical() -> MutexGuard<'static, ()> {
    CRITICAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
