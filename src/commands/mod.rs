//! The subcommands: each prints what it is asked for, from the rooms that own the data.

mod batch;
pub mod completions;
mod config;
mod history;
mod man;
mod personas;

use std::io::Write;

use anyhow::Result;

use crate::cli::{Command, ConfigCommand, SnippetsCommand};
use crate::settings::Settings;

pub fn dispatch(command: Command, settings: &Settings) -> Result<()> {
    match command {
        Command::Personas { action } => personas::run(action, settings),
        Command::Snippets { action } => match action {
            None | Some(SnippetsCommand::List) => personas::snippets(settings),
            Some(SnippetsCommand::Show { spec }) => print(&crate::context::show(&spec, settings)?),
        },
        Command::Models => config::models(settings),
        Command::Config { action: None } => config::run(settings),
        Command::Config {
            action: Some(ConfigCommand::Trust),
        } => config::trust(settings),
        Command::Completions { shell, dir } => completions::run(shell, dir.as_deref()),
        Command::Man { dir } => man::run(dir.as_deref()),
        Command::History(action) => history::run(action, settings),
        Command::Review(args) => crate::review::run(&args, settings),
        Command::Batch(action) => batch::run(action, settings),
    }
}

/// Writes text to stdout, so that a closed pipe ends the command quietly.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}
