//! Persona files in CellMage's format: Markdown with optional YAML front matter (`name`,
//! `description`, `model`, `temperature`, any other key = a request parameter); the body is
//! the system prompt. Built-ins are compiled in from `personas/*.md`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use serde_json::{Map, Value};

use crate::error::usage;

/// The personas that ship inside the binary.
pub const BUILTINS: &[(&str, &str)] = &[
    ("coder", include_str!("../personas/coder.md")),
    (
        "code_reviewer",
        include_str!("../personas/code_reviewer.md"),
    ),
    (
        "security_reviewer",
        include_str!("../personas/security_reviewer.md"),
    ),
    ("test_writer", include_str!("../personas/test_writer.md")),
    ("documenter", include_str!("../personas/documenter.md")),
];

/// Where a persona was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    Builtin,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(path) => write!(f, "{}", path.display()),
            Origin::Builtin => f.write_str("built-in"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Persona {
    pub name: String,
    pub description: Option<String>,
    pub model: Option<String>,
    pub temperature: Option<f64>,
    /// Every other front-matter key, sent as a request parameter.
    pub params: Map<String, Value>,
    /// The system prompt.
    pub system: String,
    pub origin: Origin,
    /// The file as written, for `personas show`.
    pub source_text: String,
}

/// Splits `---\nYAML\n---\nbody` into front matter and body; no front matter → all body.
fn split_front_matter(text: &str) -> (Option<&str>, &str) {
    match crate::markdown::split_front_matter(text) {
        Some(front) => (Some(front.yaml), front.body),
        None => (None, text.strip_prefix('\u{feff}').unwrap_or(text)),
    }
}

/// Parses a persona file's text. `fallback_name` is used when the front matter has no name.
pub fn parse(text: &str, fallback_name: &str, origin: Origin) -> Result<Persona> {
    let (front, body) = split_front_matter(text);
    let mut fields: Map<String, Value> = match front.map(str::trim).filter(|f| !f.is_empty()) {
        None => Map::new(),
        Some(yaml) => match serde_norway::from_str::<Value>(yaml) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(_) => {
                return Err(
                    usage(format!("persona {origin}: front matter is not a mapping")).into(),
                );
            }
            Err(e) => {
                return Err(usage(format!("persona {origin}: invalid front matter: {e}")).into());
            }
        },
    };
    let text_field = |fields: &mut Map<String, Value>, key: &str| match fields.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let name = text_field(&mut fields, "name").unwrap_or_else(|| fallback_name.to_string());
    let description = text_field(&mut fields, "description");
    let model = text_field(&mut fields, "model");
    let temperature = match fields.remove("temperature") {
        None | Some(Value::Null) => None,
        Some(v) => Some(v.as_f64().ok_or_else(|| {
            usage(format!(
                "persona {origin}: temperature must be a number, not {v}"
            ))
        })?),
    };
    Ok(Persona {
        name,
        description,
        model,
        temperature,
        params: fields,
        system: body.trim().to_string(),
        origin,
        source_text: text.to_string(),
    })
}

fn looks_like_path(spec: &str) -> bool {
    spec.contains(std::path::MAIN_SEPARATOR) || spec.contains('/') || spec.ends_with(".md")
}

/// Finds a persona by name (search dirs, then built-ins) or by path.
pub fn load(spec: &str, dirs: &[PathBuf]) -> Result<Persona> {
    if looks_like_path(spec) {
        let path = Path::new(spec);
        return read_file(path, &file_stem(path));
    }
    for dir in dirs {
        let path = dir.join(format!("{spec}.md"));
        if path.is_file() {
            return read_file(&path, spec);
        }
    }
    if let Some((name, text)) = BUILTINS.iter().find(|(name, _)| *name == spec) {
        return parse(text, name, Origin::Builtin);
    }
    let known: Vec<String> = list(dirs).into_iter().map(|p| p.0).collect();
    Err(usage(format!("unknown persona {spec:?}"))
        .hint(format!("known personas: {}", known.join(", ")))
        .into())
}

fn file_stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn read_file(path: &Path, name: &str) -> Result<Persona> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| usage(format!("cannot read persona file {}: {e}", path.display())))?;
    parse(&text, name, Origin::File(path.to_path_buf()))
}

/// Every persona a name can reach, first match wins: `(name, origin)`.
pub fn list(dirs: &[PathBuf]) -> Vec<(String, Origin)> {
    let mut found: Vec<(String, Origin)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
        files.sort();
        for path in files
            .into_iter()
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
        {
            let name = file_stem(&path);
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, Origin::File(path)));
            }
        }
    }
    for (name, _) in BUILTINS {
        if !found.iter().any(|(n, _)| n == name) {
            found.push((name.to_string(), Origin::Builtin));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cellmage_persona_file_loads_unchanged() {
        let text = "---\nname: Python Expert\ndescription: An expert\nmodel: gpt-4o\ntemperature: 0.2\ntop_p: 0.9\nmax_tokens: 500\n---\nYou are a Python expert.\n\nBe concise.\n";
        let p = parse(text, "python_expert", Origin::Builtin).unwrap();
        assert_eq!(p.name, "Python Expert");
        assert_eq!(p.description.as_deref(), Some("An expert"));
        assert_eq!(p.model.as_deref(), Some("gpt-4o"));
        assert_eq!(p.temperature, Some(0.2));
        assert_eq!(p.params["top_p"], serde_json::json!(0.9));
        assert_eq!(p.params["max_tokens"], serde_json::json!(500));
        assert_eq!(p.system, "You are a Python expert.\n\nBe concise.");
    }

    #[test]
    fn front_matter_edge_cases() {
        let cases: &[(&str, Option<&str>, &str)] = &[
            ("just a body", None, "just a body"),
            ("---\n---\nbody", Some(""), "body"),
            (
                "---\r\nname: x\r\n---\r\nbody\r\n",
                Some("name: x\r\n"),
                "body\r\n",
            ),
            (
                "--- not front matter\nbody",
                None,
                "--- not front matter\nbody",
            ),
            (
                "---\nname: x\nno closing line",
                None,
                "---\nname: x\nno closing line",
            ),
            (
                "---\na: 1\n---\nbody\n---\nmore",
                Some("a: 1\n"),
                "body\n---\nmore",
            ),
        ];
        for (text, front, body) in cases {
            let (f, b) = split_front_matter(text);
            assert_eq!((f, b), (*front, *body), "{text:?}");
        }
    }

    #[test]
    fn bad_front_matter_is_a_usage_error() {
        for text in [
            "---\n: [\n---\nx",
            "---\n- a list\n---\nx",
            "---\ntemperature: hot\n---\nx",
        ] {
            let err = parse(text, "p", Origin::Builtin).unwrap_err();
            assert_eq!(
                crate::error::classify(&err).0,
                crate::error::Kind::Usage,
                "{text}"
            );
        }
    }

    #[test]
    fn builtins_parse_and_have_a_system_prompt() {
        for (name, text) in BUILTINS {
            let p = parse(text, name, Origin::Builtin).unwrap();
            assert!(p.system.len() > 200, "{name}");
            assert!(p.description.is_some(), "{name}");
        }
    }
}
