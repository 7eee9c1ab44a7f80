//! How a failure reaches the user: one `cellmage: error:` line and an optional hint on
//! stderr, the exit code, and with `--json` one JSON object on stdout as well, so a CI step
//! parses one shape whatever happened. clap's own reports are folded into the same form.

use serde_json::{Map, Value, json};

use crate::call::Known;
use crate::error::{self, Kind};

/// A failure as it is reported.
#[derive(Debug, PartialEq)]
pub struct Report {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl Report {
    /// The error chain on one line (as `{err:#}` would, without the empty facts context).
    pub fn of(err: &anyhow::Error) -> Report {
        let (kind, hint) = error::classify(err);
        let message = err
            .chain()
            .map(|e| e.to_string())
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        Report {
            kind,
            message,
            hint: hint.map(str::to_string),
        }
    }

    /// Prints the report on stderr (and with `--json` on stdout); returns the exit code.
    pub fn emit(&self, json: bool, known: Option<&Known>) -> u8 {
        if json {
            let _ = crate::commands::print(&format!("{}\n", self.json(known)));
        }
        eprintln!("cellmage: error: {}", self.message);
        if let Some(hint) = &self.hint {
            eprintln!("cellmage: hint: {hint}");
        }
        self.kind.exit_code()
    }

    /// `{"error": {kind, exit_code, message, hint}, model, provider, usage, retries, …}`:
    /// the success record's names for whatever is known about the call.
    pub fn json(&self, known: Option<&Known>) -> Value {
        let mut object = Map::new();
        object.insert("error".into(), self.error_value());
        if let Some(known) = known {
            let usage = known
                .usage
                .map(|u| json!({"input_tokens": u.input_tokens, "output_tokens": u.output_tokens}));
            let facts = [
                ("model", json!(known.model)),
                ("provider", json!(known.provider)),
                ("answer", json!(known.answer)),
                ("usage", json!(usage)),
                ("cost", json!(known.cost)),
                ("retries", json!(known.retries)),
            ];
            for (name, value) in facts.into_iter().filter(|(_, v)| !v.is_null()) {
                object.insert(name.into(), value);
            }
        }
        Value::Object(object)
    }

    /// The `error` member: `{kind, exit_code, message, hint}`.
    pub fn error_value(&self) -> Value {
        json!({
            "kind": kind_name(self.kind),
            "exit_code": self.kind.exit_code(),
            "message": self.message,
            "hint": self.hint,
        })
    }
}

/// Marks a failure whose `--json` record (with its `error` member) is already on stdout.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        Ok(())
    }
}

/// `RateLimited` → `rate_limited`.
fn kind_name(kind: Kind) -> String {
    let mut out = String::new();
    for (i, c) in format!("{kind:?}").chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// clap's report → a usage report: the error with everything clap said about it (the missing
/// arguments, the possible values) on one line, and as the hint clap's tips, a `--` for a
/// prompt that starts with a subcommand's name, or the help of the command at fault.
pub fn clap(err: &clap::Error, args: &[String]) -> Report {
    let text = err.render().to_string();
    let mut lines = text.lines();
    let mut message = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .trim_end()
        .to_string();
    let mut tips = Vec::new();
    for line in lines.map(str::trim) {
        if let Some(tip) = line.strip_prefix("tip: ") {
            tips.push(tip.to_string());
        } else if line.starts_with("Usage: ") {
            break;
        } else if !line.is_empty() && !line.starts_with("For more information") {
            message.push(' ');
            message.push_str(line);
        }
    }
    if let Some(hint) = prompt_hint(err, args) {
        tips.push(hint);
    }
    if tips.is_empty() {
        tips.push(format!("see {} --help", command_path(args)));
    }
    Report {
        kind: Kind::Usage,
        message,
        hint: Some(tips.join("; ")),
    }
}

/// The (sub)command the arguments reach: `cellmage history show`.
fn command_path(args: &[String]) -> String {
    let mut command = <crate::cli::Cli as clap::CommandFactory>::command();
    let mut path = vec!["cellmage".to_string()];
    for arg in args.iter().skip(1).take_while(|a| *a != "--") {
        match command.find_subcommand(arg) {
            Some(sub) => {
                path.push(arg.clone());
                command = sub.clone();
            }
            None if arg.starts_with('-') => {}
            None => break,
        }
    }
    path.join(" ")
}

/// `cellmage help me write a parser`: a prompt whose first word names a subcommand.
fn prompt_hint(err: &clap::Error, args: &[String]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue};
    let offending = [ContextKind::InvalidSubcommand, ContextKind::InvalidArg]
        .into_iter()
        .find_map(|kind| match err.get(kind)? {
            ContextValue::String(word) => Some(word.clone()),
            _ => None,
        })?;
    if offending.starts_with('-') {
        return None;
    }
    let first = args.iter().skip(1).position(|a| !a.starts_with('-'))? + 1;
    let word = &args[first];
    let command = <crate::cli::Cli as clap::CommandFactory>::command();
    let is_subcommand = word == "help"
        || command
            .get_subcommands()
            .any(|s| s.get_name() == word.as_str());
    (is_subcommand && args.len() > first + 1).then(|| {
        let mut fixed = args[1..first].to_vec();
        fixed.push("--".into());
        fixed.extend(args[first..].iter().cloned());
        format!(
            "`{word}` is a subcommand; for a prompt that starts with it, put -- first: cellmage {}",
            fixed.join(" ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn report(args: &[&str]) -> Report {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        let err = crate::cli::Cli::try_parse_from(&args).unwrap_err();
        clap(&err, &args)
    }

    #[test]
    fn clap_reports_keep_their_whole_text() {
        let r = report(&["cellmage", "history", "export"]);
        assert_eq!(
            r.message,
            "the following required arguments were not provided: <NAME>"
        );
        assert_eq!(
            r.hint.as_deref(),
            Some("see cellmage history export --help")
        );
        let r = report(&["cellmage", "review", "--format", "yaml"]);
        assert!(
            r.message.contains("[possible values: markdown, github"),
            "{}",
            r.message
        );
        let r = report(&["cellmage", "--tmperature", "1"]);
        assert_eq!(
            r.hint.as_deref(),
            Some("a similar argument exists: '--temperature'")
        );
    }

    #[test]
    fn a_prompt_starting_with_a_subcommand_gets_the_dashes() {
        let r = report(&["cellmage", "help", "me", "write", "a", "parser"]);
        assert!(
            r.hint
                .as_deref()
                .unwrap()
                .contains("cellmage -- help me write a parser"),
            "{r:?}"
        );
    }

    #[test]
    fn kinds_are_snake_case() {
        assert_eq!(kind_name(Kind::RateLimited), "rate_limited");
        assert_eq!(kind_name(Kind::Usage), "usage");
    }
}
