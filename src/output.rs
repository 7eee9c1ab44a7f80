//! The answer's way out: streamed to stdout as it arrives, or held for post-processing;
//! the status line and spinner on stderr.

use std::io::Write;

use anyhow::Result;

use crate::error::{Failure, Kind};
use crate::provider::{Answer, Sink};
use crate::settings::OutputOptions;

/// Receives the answer while it streams. Streams to stdout only in plain mode; otherwise
/// holds it (the provider keeps the text) and shows a spinner on a terminal.
pub struct Printer {
    opts: OutputOptions,
    streaming: bool,
    last_byte: Option<u8>,
    received: usize,
}

impl Printer {
    pub fn new(opts: &OutputOptions) -> Printer {
        Printer {
            streaming: opts.extract.is_none() && !opts.json && opts.output.is_none(),
            opts: opts.clone(),
            last_byte: None,
            received: 0,
        }
    }

    fn spin(&mut self) {
        const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        if self.opts.spinner && !self.streaming {
            let frame = FRAMES[(self.received / 16) % FRAMES.len()];
            eprint!("\r{frame} receiving… {} bytes", self.received);
        }
    }

    fn clear_spinner(&self) {
        if self.opts.spinner && !self.streaming && self.received > 0 {
            eprint!("\r\x1b[2K");
        }
    }

    /// Prints the whole answer (when it was not streamed), ending with a newline.
    fn print_plain(&mut self, answer: &Answer) -> Result<()> {
        let mut out = std::io::stdout().lock();
        if !self.streaming {
            out.write_all(answer.text.as_bytes())?;
            self.last_byte = answer.text.as_bytes().last().copied();
        }
        if self.last_byte.is_some_and(|b| b != b'\n') {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }

    /// Everything after the last byte arrived. A truncated answer is printed with a warning
    /// and fails with exit 4 unless `--allow-truncated`.
    pub fn finish(mut self, answer: &Answer, status: &StatusLine) -> Result<()> {
        self.clear_spinner();
        self.print_plain(answer)?;
        if self.opts.status_line {
            eprintln!("{}", status.render());
        }
        if answer.truncated && !self.opts.allow_truncated {
            return Err(truncated_failure().into());
        }
        Ok(())
    }
}

pub fn truncated_failure() -> Failure {
    Failure::new(
        Kind::Truncated,
        "the answer was cut off by the token limit (finish_reason: length)",
    )
    .hint("raise --max-tokens, or pass --allow-truncated to accept it")
}

impl Sink for Printer {
    fn chunk(&mut self, text: &str) -> std::io::Result<()> {
        self.received += text.len();
        if self.streaming {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            self.last_byte = text.as_bytes().last().copied().or(self.last_byte);
        } else {
            self.spin();
        }
        Ok(())
    }
}

/// CellMage's status bar: `✓ model • 1.23s • 10↑/20↓ tokens • $0.0001`.
pub struct StatusLine {
    pub model: String,
    pub seconds: f64,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost: Option<f64>,
    pub retries: u32,
}

impl StatusLine {
    pub fn render(&self) -> String {
        let tokens = match (self.input_tokens, self.output_tokens) {
            (Some(i), Some(o)) => format!("{i}↑/{o}↓ tokens"),
            _ => "tokens unknown".to_string(),
        };
        let cost = match self.cost {
            Some(c) => format!("${c:.6}"),
            None => "cost unknown".to_string(),
        };
        let retries = match self.retries {
            0 => String::new(),
            1 => " • 1 retry".to_string(),
            n => format!(" • {n} retries"),
        };
        format!(
            "✓ {} • {:.2}s • {tokens} • {cost}{retries}",
            self.model, self.seconds
        )
    }
}

/// `--dry-run`: the request as it would be sent, streamed to stdout through a buffer (a
/// large context is never held twice).
pub fn print_dry_run(request: &crate::provider::DryRun<'_>) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    request.write_to(&mut out)?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_matches_cellmage() {
        let s = StatusLine {
            model: "gpt-4.1-mini".into(),
            seconds: 1.234,
            input_tokens: Some(10),
            output_tokens: Some(20),
            cost: Some(0.000123),
            retries: 0,
        };
        assert_eq!(
            s.render(),
            "✓ gpt-4.1-mini • 1.23s • 10↑/20↓ tokens • $0.000123"
        );
        let s = StatusLine {
            cost: None,
            input_tokens: None,
            retries: 2,
            ..s
        };
        assert_eq!(
            s.render(),
            "✓ gpt-4.1-mini • 1.23s • tokens unknown • cost unknown • 2 retries"
        );
    }
}
