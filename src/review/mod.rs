//! `cellmage review`: the change (git's diff, or one on stdin) and optionally the changed
//! files go to the reviewer persona with the built-in findings schema; one call (plus at
//! most one schema retry); findings are checked against the diff, rendered in the chosen
//! format, and gated with `--fail-on`.

pub mod diff;
pub mod findings;
pub mod format;
pub mod git;

use std::path::Path;

use anyhow::Result;

use crate::call::{Call, Quiet};
use crate::cli::{AskArgs, FailOn, ReviewArgs};
use crate::context::{self, Input, Snippet};
use crate::conversation::Session;
use crate::error::{Failure, Kind, usage};
use crate::message::{Message, Role};
use crate::settings::Settings;
use crate::{persona, schema};

use diff::Diff;
use findings::Report;

/// Where the diff came from.
enum Origin {
    Git,
    Stdin,
}

/// The change under review.
struct Change {
    text: String,
    origin: Origin,
}

pub fn run(args: &ReviewArgs, settings: &Settings) -> Result<()> {
    let change = gather(args, settings)?;
    let diff = diff::parse(&change.text);
    if diff.files.is_empty() && !change.text.trim().is_empty() {
        return Err(usage("the input is not a unified diff")
            .hint("pipe the output of git diff, or give --base REF")
            .into());
    }
    let report = if diff.files.is_empty() {
        eprintln!("cellmage: review: the change is empty; nothing to review");
        Report {
            summary: "The change is empty: nothing to review.".into(),
            ..Report::default()
        }
    } else {
        match ask(args, settings, &change, &diff)? {
            Some(report) => report,
            None => return Ok(()),
        }
    };
    eprintln!("cellmage: review: {}", format::summary_line(&report));
    deliver(
        args.output.as_deref(),
        &format::render(args.format, &report),
    )?;
    gate(&report, args.fail_on)
}

/// A diff piped on stdin (when no `--base` is given), else `git diff BASE...HEAD`.
fn gather(args: &ReviewArgs, settings: &Settings) -> Result<Change> {
    let piped = match args.base {
        None => crate::context::read_stdin(settings.stdin_is_tty)?,
        Some(_) => None,
    };
    if let Some(text) = piped {
        return Ok(Change {
            text,
            origin: Origin::Stdin,
        });
    }
    let cwd = &settings.paths.cwd;
    let base = match &args.base {
        Some(base) => base.clone(),
        None => git::default_base(cwd)?,
    };
    Ok(Change {
        text: git::diff(cwd, &base)?,
        origin: Origin::Git,
    })
}

const PROMPT: &str = "\
Review the change in the diff `changes.diff` above. Report every problem you can point to \
as a finding: `file` is the path as the diff names it (without a/ or b/), `line` and \
`end_line` are lines of the new version of the file, on lines the diff shows (inside a \
hunk); `severity` is critical, high, medium, low or info; `title` is one line; \
`explanation` says what is wrong and why it matters; `suggested_fix` is replacement code \
for those lines or a precise instruction (null if there is none). Put your verdict in \
`summary`. An empty list of findings is a valid answer: do not invent problems.";

/// The review's context and prompt: the changed files (with `--full-files`), the user's
/// snippets, the diff, then the instructions.
fn input(args: &ReviewArgs, settings: &Settings, change: &Change, diff: &Diff) -> Result<Input> {
    let mut prompt = PROMPT.to_string();
    if !args.instructions.is_empty() {
        prompt.push_str(&format!(
            "\n\nFurther instructions: {}",
            args.instructions.join(" ")
        ));
    }
    let ask = AskArgs {
        prompt: vec![prompt],
        snippet: args.snippet.clone(),
        ..AskArgs::default()
    };
    let mut input = context::gather(&ask, &settings.paths, &settings.source_vars, true)?;
    let mut snippets: Vec<Message> = if args.full_files {
        full_files(settings, change, diff)
    } else {
        Vec::new()
    };
    snippets.append(&mut input.snippets);
    snippets
        .push(Snippet::new("diff", "changes.diff", change.text.clone()).into_message(Role::User));
    input.snippets = snippets;
    Ok(input)
}

/// The new version of every changed text file; unreadable or binary ones are skipped with
/// a warning.
fn full_files(settings: &Settings, change: &Change, diff: &Diff) -> Vec<Message> {
    let cwd = &settings.paths.cwd;
    let mut out = Vec::new();
    for file in diff.files.iter().filter(|f| !f.deleted && !f.binary) {
        let bytes = match change.origin {
            Origin::Git => git::show_head(cwd, &file.path),
            Origin::Stdin => read_limited(&cwd.join(&file.path)),
        };
        let text = bytes.ok().and_then(|b| {
            (b.len() as u64 <= context::MAX_FILE_BYTES && !b.contains(&0))
                .then(|| String::from_utf8(b).ok())
                .flatten()
        });
        match text {
            Some(text) => out.push(Snippet::new("file", &file.path, text).into_message(Role::User)),
            None => eprintln!(
                "cellmage: warning: --full-files: skipped {} (unreadable, binary or too large)",
                file.path
            ),
        }
    }
    out
}

fn read_limited(path: &Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path)?.len();
    if len > context::MAX_FILE_BYTES {
        return Err(usage(format!("{} is too large", path.display())).into());
    }
    Ok(std::fs::read(path)?)
}

/// The one call (plus at most one schema retry), with no conversation; `None` after
/// `--dry-run`.
fn ask(
    args: &ReviewArgs,
    settings: &Settings,
    change: &Change,
    diff: &Diff,
) -> Result<Option<Report>> {
    let spec = settings
        .persona
        .as_ref()
        .map_or("code_reviewer", |p| p.value.as_str());
    let persona = persona::load(spec, &settings.paths.personas_dirs)?;
    let schema = schema::compile("review_findings".into(), findings::schema())
        .map_err(|e| Failure::new(Kind::Internal, e.to_string()))?;
    let input = input(args, settings, change, diff)?;
    let session = Session::open(&settings.conversation.value, &settings.paths.data_dir)?;
    let call = Call {
        settings,
        persona: Some(&persona),
        session: &session,
        schema: Some(&schema),
    };
    let Some(reply) = call.run::<Quiet>(input)? else {
        return Ok(None);
    };
    let value = match reply.value {
        Some(value) => value,
        None => accept_truncated(&schema, &reply.answer.text)?,
    };
    let answer: findings::Answer = serde_json::from_value(value)
        .map_err(|e| Failure::new(Kind::Server, format!("the findings cannot be read: {e}")))?;
    Ok(Some(findings::check(
        answer,
        diff,
        args.keep_outside,
        Some(reply.answer.model),
    )))
}

/// A cut-off answer accepted with `--allow-truncated`: usable only if its findings are
/// complete all the same.
fn accept_truncated(schema: &schema::Schema, text: &str) -> Result<serde_json::Value> {
    let value = schema.check(text).map_err(|e| {
        Failure::new(
            Kind::Truncated,
            format!(
                "the answer was cut off by the token limit before its findings were complete: {e}"
            ),
        )
        .hint("raise --max-tokens")
    })?;
    eprintln!(
        "cellmage: warning: the answer was cut off by the token limit; accepted (--allow-truncated)"
    );
    Ok(value)
}

/// The report to stdout, or to `-o FILE` atomically (temp file + fsync + rename).
fn deliver(output: Option<&Path>, text: &str) -> Result<()> {
    let Some(path) = output else {
        return crate::commands::print(text);
    };
    crate::files::write_output(path, text.as_bytes(), false)
}

/// `--fail-on`: exit 10 when findings on the change at or above the threshold remain.
fn gate(report: &Report, threshold: FailOn) -> Result<()> {
    let failing = report.failing(threshold);
    if failing == 0 {
        return Ok(());
    }
    let name = format!("{threshold:?}").to_lowercase();
    Err(Failure::new(
        Kind::Gate,
        format!(
            "{failing} finding{} at or above {name} (--fail-on {name})",
            if failing == 1 { "" } else { "s" }
        ),
    )
    .into())
}
