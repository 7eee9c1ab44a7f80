//! `cellmage personas [list|show NAME]` and `cellmage snippets`.

use anyhow::Result;

use super::print;
use crate::cli::PersonasCommand;
use crate::settings::Settings;
use crate::{context, persona};

pub fn run(action: Option<PersonasCommand>, settings: &Settings) -> Result<()> {
    let dirs = &settings.paths.personas_dirs;
    match action.unwrap_or(PersonasCommand::List) {
        PersonasCommand::List => {
            let mut out = String::new();
            for (name, origin) in persona::list(dirs) {
                let description = persona::load(&name, dirs)
                    .ok()
                    .and_then(|p| p.description)
                    .unwrap_or_default();
                out.push_str(&format!("{name:<20} {description}  [{origin}]\n"));
            }
            print(&out)
        }
        PersonasCommand::Show { name } => {
            let p = persona::load(&name, dirs)?;
            let mut text = p.source_text;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            print(&text)
        }
    }
}

pub fn snippets(settings: &Settings) -> Result<()> {
    let mut out = String::new();
    for (name, path) in context::list_named(&settings.paths.snippets_dirs) {
        out.push_str(&format!("{name:<30} {}\n", path.display()));
    }
    print(&out)
}
