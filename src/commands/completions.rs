//! `cellmage completions SHELL` and `cellmage completions --dir DIR`.

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;
use clap_complete::{Generator, Shell as Gen};

use crate::cli::{Cli, Shell};

fn generator(shell: Shell) -> Gen {
    match shell {
        Shell::Bash => Gen::Bash,
        Shell::Zsh => Gen::Zsh,
        Shell::Fish => Gen::Fish,
        Shell::Elvish => Gen::Elvish,
        Shell::Powershell => Gen::PowerShell,
    }
}

/// The completion script for one shell.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(generator(shell), &mut Cli::command(), "cellmage", &mut out);
    out
}

pub fn run(shell: Option<Shell>, dir: Option<&Path>) -> Result<()> {
    if let Some(dir) = dir {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::Elvish,
            Shell::Powershell,
        ] {
            let path = dir.join(generator(shell).file_name("cellmage"));
            std::fs::write(&path, script(shell))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(());
    }
    let shell = shell.context("no shell given")?;
    super::print(&String::from_utf8_lossy(&script(shell)))
}
