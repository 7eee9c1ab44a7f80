//! Shell completions: `cellmage completions SHELL` prints a small script that asks
//! `cellmage` itself for the candidates at each Tab (`CELLMAGE_COMPLETE=SHELL cellmage -- …`,
//! clap_complete's dynamic engine). Flags, subcommands and fixed values come from the clap
//! definition; personas, models, aliases, conversations and providers from the user's own
//! files and config, listed by the rooms that own them.

use std::ffi::OsStr;
use std::path::Path;

use anyhow::{Context, Result};
use clap_complete::engine::{CompletionCandidate, PathCompleter, ValueCompleter};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::{AskArgs, Shell};
use crate::conversation::Store;
use crate::settings::{Env, Settings};
use crate::{models, persona};

/// The variable that turns an invocation into a completion request.
pub const VAR: &str = "CELLMAGE_COMPLETE";

/// Every shell, with the conventional file name of its script.
const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "cellmage.bash"),
    (Shell::Zsh, "_cellmage"),
    (Shell::Fish, "cellmage.fish"),
    (Shell::Elvish, "cellmage.elv"),
    (Shell::Powershell, "_cellmage.ps1"),
];

fn completer(shell: Shell) -> &'static dyn EnvCompleter {
    match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Elvish => &Elvish,
        Shell::Powershell => &Powershell,
    }
}

/// The completion script for one shell: it calls `cellmage` from PATH at each Tab.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    completer(shell)
        .write_registration(VAR, "cellmage", "cellmage", "cellmage", &mut out)
        .expect("writing to memory");
    out
}

pub fn run(shell: Option<Shell>, dir: Option<&Path>) -> Result<()> {
    if let Some(dir) = dir {
        for (shell, name) in SHELLS {
            let path = dir.join(name);
            std::fs::write(&path, script(shell))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        return Ok(());
    }
    let shell = shell.context("no shell given")?;
    super::print(&String::from_utf8_lossy(&script(shell)))
}

/// The settings as this directory and environment resolve them; none when they are broken
/// (a completion then offers nothing rather than an error).
fn settings() -> Option<Settings> {
    let env = Env::capture().ok()?;
    Settings::resolve(&AskArgs::default(), &env).ok()
}

fn matching(current: &OsStr, names: Vec<CompletionCandidate>) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    names
        .into_iter()
        .filter(|c| c.get_value().to_string_lossy().starts_with(&*current))
        .collect()
}

/// `-p`: persona names, or a path once the word looks like one.
pub fn personas(current: &OsStr) -> Vec<CompletionCandidate> {
    let text = current.to_string_lossy();
    if text.contains('/') || text.starts_with('.') || text.starts_with('~') {
        return PathCompleter::any().complete(current);
    }
    matching(current, persona_names())
}

/// `personas show NAME`: persona names.
pub fn persona_names() -> Vec<CompletionCandidate> {
    let Some(settings) = settings() else {
        return Vec::new();
    };
    persona::list(&settings.paths.personas_dirs)
        .into_iter()
        .map(|(name, origin)| CompletionCandidate::new(name).help(Some(origin.to_string().into())))
        .collect()
}

/// `-m`: model names and aliases.
pub fn model_names() -> Vec<CompletionCandidate> {
    let Some(settings) = settings() else {
        return Vec::new();
    };
    let mut out: Vec<CompletionCandidate> = models::all(&settings.models)
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let provider = models::provider_of(&m).name();
            CompletionCandidate::new(m.name).help(Some(provider.into()))
        })
        .collect();
    out.extend(settings.aliases.iter().map(|(alias, model)| {
        CompletionCandidate::new(alias).help(Some(format!("alias of {model}").into()))
    }));
    out
}

/// `--provider`: the providers of the registry.
pub fn provider_names() -> Vec<CompletionCandidate> {
    crate::provider::REGISTRY
        .iter()
        .map(|p| CompletionCandidate::new(p.name()))
        .collect()
}

/// `--conversation` and `history show|export|undo|clear|delete`: saved conversations, most
/// recent first.
pub fn conversation_names() -> Vec<CompletionCandidate> {
    let Some(settings) = settings() else {
        return Vec::new();
    };
    Store::new(&settings.paths.data_dir)
        .entries()
        .unwrap_or_default()
        .into_iter()
        .map(|e| CompletionCandidate::new(e.name))
        .collect()
}
