//! `cellmage man` and `cellmage man --dir DIR`: man pages generated from the clap definition,
//! one for cellmage and one per subcommand (`cellmage-history-show.1`).

use std::path::Path;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::Cli;

/// Every page: `(file name, roff)`, cellmage.1 first.
pub fn pages() -> Vec<(String, Vec<u8>)> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut out = Vec::new();
    collect(&cmd, &mut out);
    out
}

fn collect(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) {
    let man = clap_mangen::Man::new(cmd.clone())
        .source(format!("cellmage {}", env!("CARGO_PKG_VERSION")))
        .manual("cellmage manual");
    let mut roff = Vec::new();
    man.render(&mut roff).expect("writing to memory");
    out.push((man.get_filename(), roff));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, out);
    }
}

pub fn run(dir: Option<&Path>) -> Result<()> {
    let pages = pages();
    let Some(dir) = dir else {
        return super::print(&String::from_utf8_lossy(&pages[0].1));
    };
    for (name, roff) in pages {
        let path = dir.join(name);
        std::fs::write(&path, roff).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}
