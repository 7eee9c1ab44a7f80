//! The spinner on stderr while an answer is awaited or held: a thread that redraws on a
//! timer (a reasoning model can think for minutes before its first byte) and at once when
//! bytes arrive. Stopping it clears its line before anything else is written there.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const TICK: Duration = Duration::from_millis(100);

pub struct Spinner {
    received: Arc<AtomicUsize>,
    wake: Option<Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Spinner {
    /// Starts drawing after `delay` without news (at once for a held answer).
    pub fn start(delay: Duration) -> Spinner {
        let received = Arc::new(AtomicUsize::new(0));
        let (wake, news) = mpsc::channel::<()>();
        let bytes = received.clone();
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut drawn = false;
            let mut frame = 0usize;
            loop {
                match news.recv_timeout(TICK) {
                    Err(RecvTimeoutError::Disconnected) => break,
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                }
                if started.elapsed() < delay {
                    continue;
                }
                frame += 1;
                drawn = true;
                eprint!("\r{}", line(frame, bytes.load(Ordering::Relaxed), started));
            }
            if drawn {
                eprint!("\r\x1b[2K");
            }
        });
        Spinner {
            received,
            wake: Some(wake),
            thread: Some(thread),
        }
    }

    /// Bytes arrived: redraw now.
    pub fn received(&self, bytes: usize) {
        self.received.fetch_add(bytes, Ordering::Relaxed);
        if let Some(wake) = &self.wake {
            let _ = wake.send(());
        }
    }

    /// Stops the thread and clears the line it drew.
    pub fn stop(&mut self) {
        self.wake.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `⠙ waiting… 3s` before the first byte, `⠹ receiving… 120 bytes` after.
fn line(frame: usize, bytes: usize, started: Instant) -> String {
    let spin = FRAMES[frame % FRAMES.len()];
    match bytes {
        0 => format!("{spin} waiting… {}s", started.elapsed().as_secs()),
        n => format!("{spin} receiving… {n} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_says_waiting_then_receiving() {
        let t = Instant::now();
        assert!(line(1, 0, t).contains("waiting… 0s"));
        assert!(line(2, 42, t).ends_with("receiving… 42 bytes"));
    }

    #[test]
    fn it_stops_promptly_and_twice() {
        let mut s = Spinner::start(Duration::from_secs(3600));
        s.received(3);
        let begun = Instant::now();
        s.stop();
        s.stop();
        assert!(begun.elapsed() < Duration::from_secs(1));
    }
}
