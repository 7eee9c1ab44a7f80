//! The answer's way out: streamed to stdout as it arrives, or held for post-processing
//! (`-x`, `-o`, `--json`) and delivered whole; files written from it; the status line and
//! spinner on stderr.
//!
//! Delivery rules: `-o` and `--write-files` are written only when the call succeeds
//! (complete answer, or `--allow-truncated`; a match for `-x`; every path accepted). On any
//! failure `-o` is left untouched and what would have gone to it goes to stdout instead,
//! then the failure's exit code follows.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Value, json};

use crate::error::{Failure, Kind};
use crate::extract::{self, Block, Selector};
use crate::files;
use crate::provider::{Answer, Sink};
use crate::settings::OutputOptions;

/// What output needs to know about the call beyond the answer itself.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub conversation: Option<String>,
    pub cost: Option<f64>,
    pub provider: String,
}

/// Receives the answer while it streams. Streams to stdout only in plain mode; otherwise
/// holds it (the provider keeps the text) and shows a spinner on a terminal.
pub struct Printer {
    opts: OutputOptions,
    selector: Option<Selector>,
    streaming: bool,
    last_byte: Option<u8>,
    received: usize,
}

impl Printer {
    /// Checks what can be checked before the call (the `-o` directory, the `--write-files`
    /// directory; the selector was parsed with the settings), so a bad flag costs no tokens.
    pub fn new(opts: &OutputOptions) -> Result<Printer> {
        let selector = opts.extract.clone();
        if let Some(file) = &opts.output {
            files::check_output(file, opts.mkdir)?;
        }
        if let Some(dir) = &opts.write_files {
            files::check_dir(dir)?;
        }
        Ok(Printer {
            streaming: opts.extract.is_none() && !opts.json && opts.output.is_none(),
            opts: opts.clone(),
            selector,
            last_byte: None,
            received: 0,
        })
    }

    /// Holds the answer until it is complete (`--schema`: only a validated answer is shown).
    pub fn hold(&mut self) {
        self.streaming = false;
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

    /// Everything after the last byte arrived: extraction, files, the output itself, the
    /// status line, and the exit code of whatever failed.
    pub fn finish(self, answer: &Answer, meta: &Meta) -> Result<()> {
        self.clear_spinner();
        let blocks = extract::parse(&answer.text);
        let blocked = answer.truncated && !self.opts.allow_truncated;
        let (extracted, mut failure) = match self.selector.as_ref().map(|s| s.apply(&blocks)) {
            Some(Ok(code)) => (Some(code), None),
            Some(Err(f)) => (None, Some(anyhow::Error::new(f))),
            None => (None, None),
        };
        if blocked {
            failure = Some(truncated_failure(&self.opts).into());
        }
        let mut written = Vec::new();
        if let (Some(dir), None) = (&self.opts.write_files, &failure) {
            match write_blocks(dir, &blocks, self.opts.force) {
                Ok(w) => written = w,
                Err(e) => failure = Some(e),
            }
        }
        let text = self.render(answer, &blocks, extracted.as_deref(), &written, meta);
        match (&self.opts.output, &failure) {
            (Some(file), None) => files::write_output(file, text.as_bytes(), self.opts.mkdir)?,
            _ => self.emit(&text)?,
        }
        if self.opts.status_line {
            eprintln!("{}", StatusLine::of(answer, meta).render());
        }
        if answer.truncated && !blocked {
            eprintln!(
                "cellmage: warning: the answer was cut off by the token limit; accepted (--allow-truncated)"
            );
        }
        failure.map_or(Ok(()), Err)
    }

    /// What goes to stdout (or `-o`): the JSON record, the extraction, or the answer.
    fn render(
        &self,
        answer: &Answer,
        blocks: &[Block],
        extracted: Option<&str>,
        written: &[PathBuf],
        meta: &Meta,
    ) -> String {
        if self.opts.json {
            let record = json_record(answer, blocks, extracted, written, meta);
            return format!("{record}\n");
        }
        if self.selector.is_some() {
            return extracted.unwrap_or_default().to_string();
        }
        let mut text = answer.text.clone();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text
    }

    /// Writes `text` to stdout; in streaming mode the answer is there already and only a
    /// missing final newline is added.
    fn emit(&self, text: &str) -> Result<()> {
        let mut out = std::io::stdout().lock();
        if !self.streaming {
            out.write_all(text.as_bytes())?;
        } else if self.last_byte.is_some_and(|b| b != b'\n') {
            out.write_all(b"\n")?;
        }
        out.flush()?;
        Ok(())
    }
}

/// `--write-files`: the blocks that have a path, written under DIR, each listed on stderr.
fn write_blocks(dir: &Path, blocks: &[Block], force: bool) -> Result<Vec<PathBuf>> {
    let named: Vec<(&str, &str)> = blocks
        .iter()
        .filter_map(|b| Some((b.path.as_deref()?, b.content.as_str())))
        .collect();
    if named.is_empty() {
        return Err(Failure::new(
            Kind::NothingToExtract,
            format!(
                "--write-files: no code block has a file path on the line above it (the answer has {} code blocks)",
                blocks.len()
            ),
        )
        .hint("ask for each file as a path line followed by a fenced block")
        .into());
    }
    files::write_set(dir, &named, force, |path| {
        eprintln!("cellmage: wrote {}", path.display());
    })
}

/// The `--json` record.
fn json_record(
    answer: &Answer,
    blocks: &[Block],
    extracted: Option<&str>,
    written: &[PathBuf],
    meta: &Meta,
) -> Value {
    let blocks: Vec<Value> = blocks
        .iter()
        .map(|b| json!({"language": b.language, "path": b.path, "content": b.content}))
        .collect();
    let written: Vec<String> = written.iter().map(|p| p.display().to_string()).collect();
    json!({
        "answer": answer.text,
        "blocks": blocks,
        "extracted": extracted,
        "files_written": written,
        "model": answer.model,
        "provider": meta.provider,
        "usage": answer.usage.map(|u| json!({"input_tokens": u.input_tokens, "output_tokens": u.output_tokens})),
        "cost": meta.cost,
        "finish_reason": answer.finish_reason,
        "truncated": answer.truncated,
        "duration_ms": answer.duration.as_millis() as u64,
        "retries": answer.retries,
        "conversation": meta.conversation,
    })
}

/// Exit 4: the answer was cut off. Says what was therefore not written.
pub fn truncated_failure(opts: &OutputOptions) -> Failure {
    let mut message =
        "the answer was cut off by the token limit (finish_reason: length)".to_string();
    if let Some(file) = &opts.output {
        message.push_str(&format!("; not written to {}", file.display()));
    }
    if opts.write_files.is_some() {
        message.push_str("; no files written");
    }
    Failure::new(Kind::Truncated, message)
        .hint("raise --max-tokens, or pass --allow-truncated to accept it")
}

impl Sink for Printer {
    fn shown(&self) -> bool {
        self.streaming && self.last_byte.is_some()
    }

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
    pub fn of(answer: &Answer, meta: &Meta) -> StatusLine {
        StatusLine {
            model: answer.model.clone(),
            seconds: answer.duration.as_secs_f64(),
            input_tokens: answer.usage.map(|u| u.input_tokens),
            output_tokens: answer.usage.map(|u| u.output_tokens),
            cost: meta.cost,
            retries: answer.retries,
        }
    }

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
