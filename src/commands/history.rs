//! `cellmage history ...`: list, show, export, import and edit saved conversations.

use std::path::Path;
use std::time::SystemTime;

use anyhow::Result;
use serde_json::json;

use super::print;
use crate::cli::{ExportFormat, HistoryCommand, OutputArgs};
use crate::conversation::glance::Glance;
use crate::conversation::markdown::{self, Imported};
use crate::conversation::store::{self, Store};
use crate::conversation::{Conversation, Exchange, format, project};
use crate::error::usage;
use crate::settings::Settings;

pub fn run(action: HistoryCommand, settings: &Settings) -> Result<()> {
    let store = Store::new(&settings.paths.data_dir);
    let here = project::of(&settings.paths.cwd);
    match action {
        HistoryCommand::List { all, limit, json } => {
            list(&store, (!all).then_some(here.as_str()), limit, json)
        }
        HistoryCommand::Show {
            name,
            last,
            delivery,
        } => {
            let name = match name {
                Some(name) => name,
                None => crate::conversation::latest(&store, &here)?,
            };
            let conv = store.load_existing(&name)?;
            let reuse = last || delivery.extract.is_some() || delivery.output.is_some();
            match reuse || delivery.write_files.is_some() {
                true => last_answer(&conv, &delivery),
                false => print(&transcript(&conv)),
            }
        }
        HistoryCommand::Prune {
            older_than,
            keep,
            named,
            all,
        } => prune(
            &store,
            (!all).then_some(here.as_str()),
            older_than,
            keep,
            named,
        ),
        HistoryCommand::Export { name, format } => {
            let conv = store.load_existing(&name)?;
            print(&match format {
                ExportFormat::Md => markdown::export(&conv),
                ExportFormat::Json => format::export_json(&conv),
            })
        }
        HistoryCommand::Import { file, name } => import(&store, &file, name.as_deref(), &here),
        HistoryCommand::Delete { name } => {
            store.delete(&name)?;
            print(&format!("deleted {name}\n"))
        }
        HistoryCommand::Undo { name } => edit(&store, &name, Edit::Undo),
        HistoryCommand::Clear { name } => edit(&store, &name, Edit::Clear),
    }
}

/// One line of `history list`.
struct Row(Vec<String>);

fn cost_text(g: &Glance) -> String {
    match g.cost {
        _ if g.exchanges == 0 => "-".to_string(),
        Some(total) => format!("${total:.6}"),
        None => "unknown".to_string(),
    }
}

fn updated(modified: SystemTime) -> String {
    humantime::format_rfc3339_seconds(modified).to_string()
}

fn row_of(name: &str, modified: SystemTime, g: &Glance, with_project: bool) -> Row {
    let mut cells = vec![
        name.to_string(),
        updated(modified),
        g.exchanges.to_string(),
        g.last
            .as_ref()
            .map_or("-", |e| e.model.as_str())
            .to_string(),
        cost_text(g),
    ];
    if with_project {
        cells.push(g.header.project.clone().unwrap_or_else(|| "-".into()));
    }
    cells.push(
        g.last
            .as_ref()
            .map_or(String::new(), |e| one_line(e.prompt(), 60)),
    );
    Row(cells)
}

fn json_of(name: &str, modified: SystemTime, g: &Glance) -> serde_json::Value {
    json!({
        "name": name,
        "id": g.header.id,
        "project": g.header.project,
        "created": g.header.created,
        "updated": updated(modified),
        "exchanges": g.exchanges,
        "model": g.last.as_ref().map(|e| &e.model),
        "cost": if g.exchanges == 0 { Some(0.0) } else { g.cost },
        "last_prompt": g.last.as_ref().map(Exchange::prompt),
    })
}

/// The first line of `text`, cut to `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let first = text.trim_start().lines().next().unwrap_or_default();
    let more = first.chars().count() > max || text.trim().lines().nth(1).is_some();
    let cut: String = first.chars().take(max).collect();
    if more { format!("{cut}…") } else { cut }
}

fn table(rows: &[Row]) -> String {
    let columns = rows.first().map_or(0, |r| r.0.len());
    let widths: Vec<usize> = (0..columns - 1)
        .map(|c| {
            rows.iter()
                .map(|r| r.0[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        for (c, width) in widths.iter().enumerate() {
            out.push_str(&format!("{:<width$}  ", row.0[c]));
        }
        out.push_str(&row.0[columns - 1]);
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

/// Lists the conversations of `project` (every one with `None`), most recent first, each
/// read by its header, end and a line count; a damaged one is then an error (exit 2) naming
/// its file, after the others have been listed.
fn list(store: &Store, project: Option<&str>, limit: Option<usize>, as_json: bool) -> Result<()> {
    let mut header = vec!["NAME", "UPDATED", "EXCHANGES", "MODEL", "COST"];
    if project.is_none() {
        header.push("PROJECT");
    }
    header.push("LAST PROMPT");
    let mut rows = vec![Row(header.into_iter().map(String::from).collect())];
    let mut objects = Vec::new();
    let mut first_error = None;
    let limit = limit.unwrap_or(usize::MAX);
    for entry in store.entries()? {
        if rows.len() > limit {
            break;
        }
        match store.glance(&entry, project) {
            Ok(Some(g)) => {
                objects.push(json_of(&entry.name, entry.modified, &g));
                rows.push(row_of(&entry.name, entry.modified, &g, project.is_none()));
            }
            Ok(None) => {}
            Err(e) => {
                // listed as invalid, the others as usual; the first error decides the exit
                objects.push(json!({"name": entry.name, "updated": updated(entry.modified), "invalid": e.to_string()}));
                rows.push(invalid_row(&entry.name, entry.modified, rows[0].0.len()));
                first_error.get_or_insert(e);
            }
        }
    }
    if as_json {
        print(&format!("{}\n", serde_json::Value::Array(objects)))?;
    } else if rows.len() > 1 {
        print(&table(&rows))?;
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn invalid_row(name: &str, modified: SystemTime, columns: usize) -> Row {
    let mut cells = vec![name.to_string(), updated(modified), "invalid".to_string()];
    cells.resize(columns - 1, "-".to_string());
    cells.push("(cannot be read: see the error)".to_string());
    Row(cells)
}

/// `history show --last`: the last answer, delivered as a call delivers one (`-x`, `-o`,
/// `--write-files`, the same exit codes), without calling anything.
fn last_answer(conv: &Conversation, delivery: &OutputArgs) -> Result<()> {
    let Some(last) = conv.exchanges.last() else {
        return Err(usage(format!("conversation {} has no exchange", conv.header.name)).into());
    };
    let options = crate::settings::delivery(delivery)?;
    let mut printer = crate::output::Printer::new(&options)?;
    printer.hold();
    let answer = crate::provider::Answer {
        text: last.answer.clone(),
        usage: last.usage,
        finish_reason: last.finish_reason.clone(),
        truncated: false,
        model: last.model.clone(),
        duration: std::time::Duration::from_millis(last.duration_ms),
        retries: 0,
    };
    let meta = crate::output::Meta {
        conversation: Some(conv.header.name.clone()),
        cost: last.cost,
        provider: last.provider.clone(),
    };
    printer.finish(&answer, &meta)
}

/// `history prune`: deletes the conversations of `project` (every one with `None`) last
/// updated before `older_than` and beyond the `keep` most recent; unnamed ones only unless
/// `named`.
fn prune(
    store: &Store,
    project: Option<&str>,
    older_than: Option<String>,
    keep: Option<usize>,
    named: bool,
) -> Result<()> {
    let cutoff = match older_than {
        Some(text) => {
            let age = humantime::parse_duration(&text).map_err(|e| {
                usage(format!("invalid --older-than {text:?}: {e}"))
                    .hint("give a duration such as 30d, 12h or 90min")
            })?;
            Some(
                SystemTime::now()
                    .checked_sub(age)
                    .unwrap_or(SystemTime::UNIX_EPOCH),
            )
        }
        None => None,
    };
    let candidates: Vec<_> = store
        .in_project(project)?
        .into_iter()
        .filter(|(_, h)| h.as_ref().is_ok_and(|h| named || !h.is_named()))
        .collect();
    let mut deleted = 0;
    for (i, (entry, _)) in candidates.iter().enumerate() {
        let beyond = keep.is_none_or(|n| i >= n);
        let old = cutoff.is_none_or(|c| entry.modified < c);
        if beyond && old {
            store.delete(&entry.name)?;
            print(&format!("deleted {}\n", entry.name))?;
            deleted += 1;
        }
    }
    print(&format!(
        "pruned {deleted} conversation{}\n",
        if deleted == 1 { "" } else { "s" }
    ))
}

fn exchange_heading(n: usize, e: &Exchange) -> String {
    let mut parts = vec![format!("exchange {n}"), e.time.clone()];
    match &e.base_url {
        Some(base) => parts.push(format!("{} ({} at {base})", e.model, e.provider)),
        None => parts.push(format!("{} ({})", e.model, e.provider)),
    }
    if let Some(persona) = &e.persona {
        parts.push(format!("persona {persona}"));
    }
    if let Some(u) = e.usage {
        parts.push(format!("{}↑/{}↓ tokens", u.input_tokens, u.output_tokens));
    }
    if let Some(cost) = e.cost {
        parts.push(format!("${cost:.6}"));
    }
    format!("── {} ──\n", parts.join(" · "))
}

/// `history show`: a readable transcript.
fn transcript(conv: &Conversation) -> String {
    let h = &conv.header;
    let mut out = format!(
        "conversation {} (id {}, created {}, {} exchanges)\n",
        h.name,
        h.id,
        h.created,
        conv.exchanges.len()
    );
    for (i, e) in conv.exchanges.iter().enumerate() {
        out.push('\n');
        out.push_str(&exchange_heading(i + 1, e));
        for m in e.history() {
            out.push_str(&format!(
                "\n[{}]\n{}\n",
                m.role.as_str(),
                m.content.trim_end()
            ));
        }
    }
    out
}

fn read_import(file: &Path) -> Result<Imported> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin())
    } else {
        std::fs::read_to_string(file)
    }
    .map_err(|e| usage(format!("cannot read {}: {e}", file.display())))?;
    let parsed = if text.trim_start().starts_with('{') {
        format::import_json(&text)
            .or_else(|e| match format::parse(text.as_bytes()) {
                Ok(Some(conversation)) => Ok(conversation),
                _ => Err(markdown::ImportError::Format(e)),
            })
            .map(|conversation| Imported {
                conversation,
                named: true,
                unanswered: 0,
            })
    } else {
        markdown::import(&text)
    };
    parsed.map_err(|e| usage(format!("cannot import {}: {e}", file.display())).into())
}

/// `history import FILE [--as NAME]`: never replaces an existing conversation. `--as` makes
/// a new conversation (a new id); one without a project joins this one.
fn import(store: &Store, file: &Path, name: Option<&str>, here: &str) -> Result<()> {
    let Imported {
        mut conversation,
        named,
        unanswered,
    } = read_import(file)?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if name.is_some() {
        conversation.header.id = crate::conversation::generate_id();
    }
    conversation
        .header
        .project
        .get_or_insert_with(|| here.to_string());
    let name = match name {
        Some(name) => name.to_string(),
        None if named => conversation.header.name.clone(),
        None => stem.to_string(),
    };
    store::validate_name(&name).map_err(|e| e.context("pass --as NAME"))?;
    conversation.header.name = name.clone();
    let count = conversation.exchanges.len();
    store.rewrite(&name, |existing| match existing {
        Some(_) => Err(
            usage(format!("a conversation named {name:?} already exists"))
                .hint("import it under another name with --as NAME, or delete the old one first")
                .into(),
        ),
        None => Ok(conversation),
    })?;
    if unanswered > 0 {
        eprintln!(
            "cellmage: warning: the last {unanswered} message(s) of {} have no answer and were not imported",
            file.display()
        );
    }
    print(&format!(
        "imported {} as {name}\n",
        crate::text::count(count, "exchange")
    ))
}

enum Edit {
    Undo,
    Clear,
}

/// `history undo` / `history clear`: a rewrite under the lock.
fn edit(store: &Store, name: &str, edit: Edit) -> Result<()> {
    store.load_existing(name)?;
    let mut message = String::new();
    store.rewrite(name, |conv| {
        let mut conv = conv.ok_or_else(|| usage(format!("no conversation named {name:?}")))?;
        let before = conv.exchanges.len();
        match edit {
            Edit::Undo if conv.exchanges.pop().is_none() => {
                return Err(usage(format!("conversation {name} has no exchange to undo")).into());
            }
            Edit::Undo => message = format!("dropped exchange {before} of {name}\n"),
            Edit::Clear => {
                conv.exchanges.clear();
                message = format!(
                    "cleared {name} ({} dropped)\n",
                    crate::text::count(before, "exchange")
                );
            }
        }
        Ok(conv)
    })?;
    print(&message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_cuts_and_marks() {
        let cases = [
            ("short", "short"),
            ("two\nlines", "two…"),
            ("\n  lead", "lead"),
            ("abcdefghij", "abcdefghij"),
            ("abcdefghijk", "abcdefghij…"),
            ("", ""),
        ];
        for (text, want) in cases {
            assert_eq!(one_line(text, 10), want, "{text:?}");
        }
    }

    #[test]
    fn table_aligns_columns() {
        let rows = [
            Row(["NAME", "UPDATED", "N", "MODEL", "COST", "FIRST"]
                .map(String::from)
                .to_vec()),
            Row(["kvstore", "t", "12", "m", "unknown", ""]
                .map(String::from)
                .to_vec()),
        ];
        assert_eq!(
            table(&rows),
            "NAME     UPDATED  N   MODEL  COST     FIRST\nkvstore  t        12  m      unknown\n"
        );
    }
}
