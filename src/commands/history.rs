//! `cellmage history ...`: list, show, export, import and edit saved conversations.

use std::path::Path;

use anyhow::Result;

use super::print;
use crate::cli::{ExportFormat, HistoryCommand};
use crate::conversation::markdown::{self, Imported};
use crate::conversation::store::{self, Store};
use crate::conversation::{Conversation, Exchange, format};
use crate::error::usage;
use crate::settings::Settings;

pub fn run(action: HistoryCommand, settings: &Settings) -> Result<()> {
    let store = Store::new(&settings.paths.data_dir);
    match action {
        HistoryCommand::List => list(&store),
        HistoryCommand::Show { name } => print(&transcript(&store.load_existing(&name)?)),
        HistoryCommand::Export { name, format } => {
            let conv = store.load_existing(&name)?;
            print(&match format {
                ExportFormat::Md => markdown::export(&conv),
                ExportFormat::Json => format::export_json(&conv),
            })
        }
        HistoryCommand::Import { file, name } => import(&store, &file, name.as_deref()),
        HistoryCommand::Delete { name } => {
            store.delete(&name)?;
            print(&format!("deleted {name}\n"))
        }
        HistoryCommand::Undo { name } => edit(&store, &name, Edit::Undo),
        HistoryCommand::Clear { name } => edit(&store, &name, Edit::Clear),
    }
}

/// One line of `history list`.
struct Row([String; 6]);

fn row_of(name: &str, modified: std::time::SystemTime, conv: &Conversation) -> Row {
    let exchanges = &conv.exchanges;
    let cost = match exchanges.iter().map(|e| e.cost).sum::<Option<f64>>() {
        _ if exchanges.is_empty() => "-".to_string(),
        Some(total) => format!("${total:.6}"),
        None => "unknown".to_string(),
    };
    Row([
        name.to_string(),
        humantime::format_rfc3339_seconds(modified).to_string(),
        exchanges.len().to_string(),
        exchanges
            .last()
            .map_or("-", |e| e.model.as_str())
            .to_string(),
        cost,
        exchanges
            .first()
            .map_or(String::new(), |e| one_line(e.prompt(), 60)),
    ])
}

/// The first line of `text`, cut to `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let first = text.trim_start().lines().next().unwrap_or_default();
    let more = first.chars().count() > max || text.trim().lines().nth(1).is_some();
    let cut: String = first.chars().take(max).collect();
    if more { format!("{cut}…") } else { cut }
}

fn table(rows: &[Row]) -> String {
    let widths: Vec<usize> = (0..5)
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
        out.push_str(&row.0[5]);
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

/// Lists every readable conversation, most recent first; a damaged one is then an error
/// (exit 2) naming its file, after the others have been listed.
fn list(store: &Store) -> Result<()> {
    let header = [
        "NAME",
        "UPDATED",
        "EXCHANGES",
        "MODEL",
        "COST",
        "FIRST PROMPT",
    ];
    let mut rows = vec![Row(header.map(String::from))];
    let mut first_error = None;
    for entry in store.entries()? {
        match store.load(&entry.name) {
            Ok(Some(conv)) => rows.push(row_of(&entry.name, entry.modified, &conv)),
            Ok(None) => {}
            Err(e) => {
                // listed as invalid, the others as usual; the first error decides the exit
                rows.push(invalid_row(&entry.name, entry.modified));
                first_error.get_or_insert(e);
            }
        }
    }
    if rows.len() > 1 {
        print(&table(&rows))?;
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn invalid_row(name: &str, modified: std::time::SystemTime) -> Row {
    Row([
        name.to_string(),
        humantime::format_rfc3339_seconds(modified).to_string(),
        "invalid".to_string(),
        "-".to_string(),
        "-".to_string(),
        "(cannot be read: see the error)".to_string(),
    ])
}

fn exchange_heading(n: usize, e: &Exchange) -> String {
    let mut parts = vec![format!("exchange {n}"), e.time.clone()];
    parts.push(format!("{} ({})", e.model, e.provider));
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

/// `history import FILE [--as NAME]`: never replaces an existing conversation.
fn import(store: &Store, file: &Path, name: Option<&str>) -> Result<()> {
    let Imported {
        mut conversation,
        named,
        unanswered,
    } = read_import(file)?;
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
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
    print(&format!("imported {count} exchanges as {name}\n"))
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
                message = format!("cleared {name} ({before} exchanges dropped)\n");
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
            Row(["NAME", "UPDATED", "N", "MODEL", "COST", "FIRST"].map(String::from)),
            Row(["kvstore", "t", "12", "m", "unknown", ""].map(String::from)),
        ];
        assert_eq!(
            table(&rows),
            "NAME     UPDATED  N   MODEL  COST     FIRST\nkvstore  t        12  m      unknown\n"
        );
    }
}
