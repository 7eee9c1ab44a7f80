//! cellmage: call an LLM from a shell, a Makefile or a CI job.

use std::process::ExitCode;

use cellmage::{cli, error, interrupt, run};
use clap::Parser;

fn main() -> ExitCode {
    interrupt::install_panic_hook();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err),
    };
    interrupt::install();
    match run::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let (kind, hint) = error::classify(&err);
            eprintln!("cellmage: error: {err:#}");
            if let Some(hint) = hint {
                eprintln!("cellmage: hint: {hint}");
            }
            ExitCode::from(kind.exit_code())
        }
    }
}

/// Help and version as clap prints them; a bad command line as one `cellmage: error:` line
/// (exit 2) with clap's tip, if any, as the hint.
fn clap_exit(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if !err.use_stderr() || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = err.print();
        return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
    }
    let (message, hint) = usage_lines(&err.render().to_string());
    eprintln!("cellmage: error: {message}");
    eprintln!("cellmage: hint: {hint}");
    ExitCode::from(error::Kind::Usage.exit_code())
}

/// clap's report → (the error, a hint).
fn usage_lines(report: &str) -> (String, String) {
    let message = report
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let tips: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            l.strip_prefix("tip: ")
                .or_else(|| l.strip_prefix('[').and_then(|l| l.strip_suffix(']')))
        })
        .collect();
    let hint = if tips.is_empty() {
        "see cellmage --help".to_string()
    } else {
        tips.join("; ")
    };
    (message, hint)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_reports_become_one_error_line_and_a_hint() {
        let report = "error: unexpected argument '-5' found\n\n  tip: to pass '-5' as a value, use '-- -5'\n\nUsage: cellmage [OPTIONS]\n\nFor more information, try '--help'.\n";
        assert_eq!(
            usage_lines(report),
            (
                "unexpected argument '-5' found".to_string(),
                "to pass '-5' as a value, use '-- -5'".to_string()
            )
        );
        let (message, hint) = usage_lines("error: a value is required\n");
        assert_eq!(
            (message.as_str(), hint.as_str()),
            ("a value is required", "see cellmage --help")
        );
    }
}
