//! `cellmage config`: every resolved setting and where it came from; `cellmage models`.

use std::fmt::Display;

use anyhow::Result;

use super::print;
use crate::models;
use crate::settings::{Connection, KeySource, Settings, Sourced};

fn line<T: Display>(out: &mut String, key: &str, value: Option<&Sourced<T>>) {
    match value {
        Some(s) => out.push_str(&format!(
            "{key:<16} {:<40} ({})\n",
            s.value.to_string(),
            s.source
        )),
        None => out.push_str(&format!("{key:<16} {:<40} (unset)\n", "-")),
    }
}

pub fn run(s: &Settings) -> Result<()> {
    let mut out = String::new();
    line(&mut out, "model", Some(&s.model));
    let provider = (s.provider.as_ref()).map(|p| Sourced::new(p.value.name(), p.source.clone()));
    line(&mut out, "provider", provider.as_ref());
    for connection in s.connections.iter().filter(|c| c.base.is_some()) {
        connection_lines(&mut out, connection);
    }
    line(&mut out, "persona", s.persona.as_ref());
    line(&mut out, "temperature", s.temperature.as_ref());
    line(&mut out, "max_tokens", s.max_tokens.as_ref());
    line(&mut out, "stream", Some(&s.stream));
    let secs = |d: &Sourced<std::time::Duration>| {
        Sourced::new(format!("{}s", d.value.as_secs_f64()), d.source.clone())
    };
    line(&mut out, "timeout", Some(&secs(&s.timeout)));
    line(&mut out, "total_timeout", Some(&secs(&s.total_timeout)));
    line(&mut out, "retries", Some(&s.retries));
    let conversation = Sourced::new(
        format!("{:?}", s.conversation.value),
        s.conversation.source.clone(),
    );
    line(&mut out, "conversation", Some(&conversation));
    for (name, value) in &s.headers {
        out.push_str(&format!("{:<16} {name}: {value}\n", "header"));
    }
    for (name, value) in &s.params {
        out.push_str(&format!("{:<16} {name} = {value}\n", "param"));
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
    for dir in &p.personas_dirs {
        out.push_str(&format!("{:<16} {}\n", "personas_dir", dir.display()));
    }
    for dir in &p.snippets_dirs {
        out.push_str(&format!("{:<16} {}\n", "snippets_dir", dir.display()));
    }
    print(&out)
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
