//! `cellmage config`: every resolved setting and where it came from; `cellmage models`.

use std::fmt::Display;

use anyhow::Result;

use super::print;
use crate::models;
use crate::settings::{Connection, ConversationChoice, KeySource, Settings, Sourced};

fn line<T: Display>(out: &mut String, key: &str, value: Option<&Sourced<T>>) {
    match value {
        Some(s) => out.push_str(&format!(
            "{key:<16} {:<40} ({})\n",
            s.value.to_string(),
            s.source
        )),
        None => out.push_str(&format!("{key:<16} {:<40} (not set)\n", "-")),
    }
}

pub fn run(s: &Settings) -> Result<()> {
    let mut out = String::new();
    let info = models::lookup(&s.model.value, &s.aliases, &s.models).ok();
    let model = match &info {
        Some(info) if info.name != s.model.value => format!("{} → {}", s.model.value, info.name),
        _ => s.model.value.clone(),
    };
    line(
        &mut out,
        "model",
        Some(&Sourced::new(model, s.model.source.clone())),
    );
    match (&s.provider, &info) {
        (Some(p), _) => line(
            &mut out,
            "provider",
            Some(&Sourced::new(p.value.name(), p.source.clone())),
        ),
        (None, Some(info)) => out.push_str(&format!(
            "{:<16} {:<40} (from the model)\n",
            "provider",
            models::provider_of(info).name()
        )),
        (None, None) => line::<&str>(&mut out, "provider", None),
    }
    for connection in s.connections.iter().filter(|c| c.base.is_some()) {
        connection_lines(&mut out, connection);
    }
    line(&mut out, "persona", s.persona.as_ref());
    line(&mut out, "temperature", s.temperature.as_ref());
    let reasoning =
        (s.reasoning.as_ref()).map(|r| Sourced::new(r.value.as_str(), r.source.clone()));
    line(&mut out, "reasoning", reasoning.as_ref());
    line(&mut out, "max_tokens", s.max_tokens.as_ref());
    let stream = if s.stream.value {
        "yes"
    } else {
        "no (--no-stream)"
    };
    line(
        &mut out,
        "stream",
        Some(&Sourced::new(stream, s.stream.source.clone())),
    );
    let secs = |d: &Sourced<std::time::Duration>| {
        Sourced::new(format!("{}s", d.value.as_secs_f64()), d.source.clone())
    };
    line(&mut out, "timeout", Some(&secs(&s.timeout)));
    line(&mut out, "total_timeout", Some(&secs(&s.total_timeout)));
    line(&mut out, "retries", Some(&s.retries));
    let conversation = Sourced::new(
        match &s.conversation.value {
            ConversationChoice::New => "a new one for each call".to_string(),
            ConversationChoice::Last => "the most recent one (--continue)".to_string(),
            ConversationChoice::Named(name) => name.clone(),
            ConversationChoice::Off => "none: nothing loaded or recorded".to_string(),
        },
        s.conversation.source.clone(),
    );
    line(&mut out, "conversation", Some(&conversation));
    line(&mut out, "history", Some(&s.history));
    for (name, value) in &s.headers {
        out.push_str(&format!("{:<16} {name}: {value}\n", "header"));
    }
    for (name, value) in &s.params {
        out.push_str(&format!("{:<16} {name} = {value}\n", "param"));
    }
    for (alias, target) in &s.aliases {
        let resolved = models::resolve_alias(alias, &s.aliases).unwrap_or_else(|e| format!("{e}"));
        let chain = if resolved == *target {
            target.clone()
        } else {
            format!("{target} → {resolved}")
        };
        out.push_str(&format!("{:<16} {alias} → {chain}\n", "alias"));
    }
    let p = &s.paths;
    out.push_str(&format!(
        "{:<16} {}\n",
        "config_dir",
        p.config_dir.display()
    ));
    out.push_str(&format!("{:<16} {}\n", "data_dir", p.data_dir.display()));
    let project = p
        .project_dir
        .as_ref()
        .map(|d| d.display().to_string())
        .unwrap_or("-".into());
    out.push_str(&format!("{:<16} {project}\n", "project_dir"));
    if let Some(u) = &s.untrusted {
        for key in &u.keys {
            out.push_str(&format!(
                "{:<16} {key} (project config, untrusted: not applied; cellmage config trust)\n",
                "untrusted"
            ));
        }
    }
    for dir in &p.personas_dirs {
        out.push_str(&format!("{:<16} {}\n", "personas_dir", dir.display()));
    }
    for dir in &p.snippets_dirs {
        out.push_str(&format!("{:<16} {}\n", "snippets_dir", dir.display()));
    }
    print(&out)
}

/// `cellmage config trust`: trusts the project config as it is now.
pub fn trust(s: &Settings) -> Result<()> {
    let Some(dir) = &s.paths.project_dir else {
        return Err(crate::error::usage("no project config to trust here")
            .hint("run it inside a project that has .cellmage/config.toml")
            .into());
    };
    let path = crate::settings::trust(&dir.join("config.toml"), &s.paths.data_dir)?;
    print(&format!("trusted {}\n", path.display()))
}

/// A provider's base URL and key (never the key itself): `api_base`/`api_key` for the
/// provider that reads the config's own keys, `NAME_base`/`NAME_key` for the others.
fn connection_lines(out: &mut String, c: &Connection) {
    let prefix = if c.provider.variables().config {
        "api"
    } else {
        c.provider.name()
    };
    line(out, &format!("{prefix}_base"), c.base.as_ref());
    let vars = c.provider.variables();
    if vars.key.is_empty() && !vars.config {
        return; // a local server takes no key
    }
    let key = c.key.as_ref().map(|k| {
        let shown = match &k.value {
            KeySource::Value(secret) => secret.describe(),
            KeySource::Command(_) => "(from api_key_cmd, not run)".to_string(),
        };
        Sourced::new(shown, k.source.clone())
    });
    line(out, &format!("{prefix}_key"), key.as_ref());
}

/// A price or a count, or `-` when unknown.
fn known<T: Display>(value: Option<T>) -> String {
    value.map_or("-".to_string(), |v| v.to_string())
}

/// `cellmage models`: every configured and built-in model with its provider, context
/// window, maximum output and prices (USD per million tokens), then the aliases.
pub fn models(s: &Settings) -> Result<()> {
    let mut out = format!(
        "{:<24} {:<10} {:>9} {:>9} {:>8} {:>8}  {}\n",
        "MODEL", "PROVIDER", "WINDOW", "MAX OUT", "IN $/M", "OUT $/M", "FROM"
    );
    for m in models::all(&s.models)? {
        let provider = models::provider_of(&m);
        let name = if m.wire_name == m.name {
            m.name.clone()
        } else {
            format!("{} ({})", m.name, m.wire_name)
        };
        out.push_str(&format!(
            "{name:<24} {:<10} {:>9} {:>9} {:>8} {:>8}  {}\n",
            provider.name(),
            known(m.context_window),
            known(m.max_output_tokens),
            known(m.input_price.map(|p| format!("{p:.2}"))),
            known(m.output_price.map(|p| format!("{p:.2}"))),
            m.origin
        ));
    }
    if !s.aliases.is_empty() {
        out.push_str("\nALIAS                    MODEL\n");
    }
    for (alias, model) in &s.aliases {
        out.push_str(&format!("{alias:<24} {model}\n"));
    }
    print(&out)
}
