//! cellmage: call an LLM from a shell, a Makefile or a CI job.

mod cli;
mod commands;
mod context;
mod conversation;
mod error;
mod interrupt;
mod message;
mod models;
mod output;
mod persona;
mod plan;
mod provider;
mod run;
mod secret;
mod settings;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    interrupt::install();
    interrupt::install_panic_hook();
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
