//! Trusting a project config. A repository's `.cellmage/config.toml` may choose the model,
//! persona, sampling and aliases freely, but the keys that decide where requests go or
//! which secret or header is sent are held back until the user has trusted that file
//! (`cellmage config trust`, which records its path and content hash in the data dir, as
//! direnv's `allow` does): a changed file is untrusted again. CI opts in with
//! `CELLMAGE_TRUST_PROJECT_CONFIG=1`.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::ConfigFile;
use crate::error::{Failure, usage};

/// The variable with which CI trusts the project config it checked out.
pub const TRUST_VARIABLE: &str = "CELLMAGE_TRUST_PROJECT_CONFIG";

/// The file in the data dir that lists trusted project configs: `SHA256 PATH` lines.
const STORE: &str = "trusted-configs";

/// A project config whose sending-related keys were held back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Untrusted {
    pub path: PathBuf,
    pub keys: Vec<String>,
}

impl Untrusted {
    /// Exit 2, naming the keys and the command that trusts the file.
    pub fn failure(&self) -> Failure {
        usage(format!(
            "the project config {} sets {}, which decide where requests go or what is sent; they are not applied until you trust this file",
            self.path.display(),
            self.keys.join(", ")
        ))
        .hint(format!(
            "read it, then run `cellmage config trust` (CI: set {TRUST_VARIABLE}=1)"
        ))
    }
}

/// The keys of `c` that decide where requests go or which secret or header is sent.
fn sensitive(c: &ConfigFile) -> Vec<String> {
    let mut keys = Vec::new();
    if c.api_base.is_some() {
        keys.push("api_base".to_string());
    }
    if c.api_key_env.is_some() {
        keys.push("api_key_env".to_string());
    }
    keys.extend(c.headers.keys().map(|h| format!("headers.{h}")));
    for (name, m) in &c.models {
        let set = [
            ("base_url", m.base_url.is_some()),
            ("provider", m.provider.is_some()),
            ("api_key_env", m.api_key_env.is_some()),
        ];
        keys.extend(
            set.iter()
                .filter(|(_, on)| *on)
                .map(|(key, _)| format!("models.{name}.{key}")),
        );
    }
    keys
}

/// Removes those keys from `project` (read from `path`) unless the file is trusted, and
/// says what was held back.
pub fn hold_back(
    project: &mut ConfigFile,
    path: &Path,
    data_dir: &Path,
    opted_in: bool,
) -> Option<Untrusted> {
    let keys = sensitive(project);
    if keys.is_empty() || opted_in || is_trusted(path, data_dir) {
        return None;
    }
    project.api_base = None;
    project.api_key_env = None;
    project.headers.clear();
    for m in project.models.values_mut() {
        m.base_url = None;
        m.provider = None;
        m.api_key_env = None;
    }
    Some(Untrusted {
        path: path.to_path_buf(),
        keys,
    })
}

/// A value of `CELLMAGE_TRUST_PROJECT_CONFIG` that opts in.
pub fn opts_in(value: Option<&str>) -> bool {
    matches!(
        value.map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Some("1" | "true" | "yes")
    )
}

/// `SHA256 PATH` for the file as it is now, or `None` when it cannot be read.
fn entry(path: &Path) -> Option<String> {
    let bytes =
        crate::bounded::read_file_at_most(path, crate::bounded::MAX_SETTINGS_FILE_BYTES).ok()??;
    let path = std::fs::canonicalize(path).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    let mut hex = String::new();
    for b in digest.as_ref() {
        let _ = write!(hex, "{b:02x}");
    }
    Some(format!("{hex} {}", path.display()))
}

fn is_trusted(path: &Path, data_dir: &Path) -> bool {
    let Some(entry) = entry(path) else {
        return false;
    };
    std::fs::read_to_string(data_dir.join(STORE))
        .is_ok_and(|text| text.lines().any(|line| line == entry))
}

/// `cellmage config trust`: records the project config at `path` as trusted, replacing an
/// earlier record of the same file. Returns the record's path.
pub fn trust(path: &Path, data_dir: &Path) -> Result<PathBuf> {
    let entry = entry(path).ok_or_else(|| {
        usage(format!("no project config to trust at {}", path.display()))
            .hint("run it inside a project that has .cellmage/config.toml")
    })?;
    let (_, shown) = entry.split_once(' ').unwrap_or_default();
    let store = data_dir.join(STORE);
    let old = std::fs::read_to_string(&store).unwrap_or_default();
    let mut text: String = old
        .lines()
        .filter(|line| line.split_once(' ').map(|(_, p)| p) != Some(shown))
        .map(|line| format!("{line}\n"))
        .collect();
    text.push_str(&entry);
    text.push('\n');
    let failed = |e: std::io::Error| crate::error::io("write", &store, &e);
    std::fs::create_dir_all(data_dir).map_err(failed)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cellmage-")
        .suffix(".tmp")
        .tempfile_in(data_dir)
        .map_err(failed)?;
    tmp.write_all(text.as_bytes()).map_err(failed)?;
    tmp.as_file().sync_all().map_err(failed)?;
    tmp.persist(&store).map_err(|e| failed(e.error))?;
    Ok(PathBuf::from(shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> ConfigFile {
        toml::from_str(text).unwrap()
    }

    #[test]
    fn only_keys_that_decide_the_destination_or_the_secret_are_held_back() {
        let text = "model = \"m\"\npersona = \"p\"\ntemperature = 0.5\napi_base = \"http://x\"\napi_key_env = \"GITHUB_TOKEN\"\n[headers]\nX-Token = \"t\"\n[aliases]\nf = \"m\"\n[models.a]\nbase_url = \"http://y\"\nprovider = \"anthropic\"\napi_key_env = \"K\"\ninput_price = 1.0\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let mut c = config(text);
        let held = hold_back(&mut c, &path, dir.path(), false).unwrap();
        assert_eq!(
            held.keys,
            [
                "api_base",
                "api_key_env",
                "headers.X-Token",
                "models.a.base_url",
                "models.a.provider",
                "models.a.api_key_env"
            ]
        );
        assert_eq!(sensitive(&c), Vec::<String>::new());
        assert_eq!(c.model.as_deref(), Some("m"));
        assert_eq!(c.aliases.len(), 1);
        assert_eq!(c.models["a"].input_price, Some(1.0));

        trust(&path, dir.path()).unwrap();
        let mut c = config(text);
        assert_eq!(hold_back(&mut c, &path, dir.path(), false), None);
        std::fs::write(&path, format!("{text}# changed\n")).unwrap();
        assert!(hold_back(&mut c, &path, dir.path(), false).is_some());
        let mut c = config(text);
        assert_eq!(hold_back(&mut c, &path, dir.path(), true), None);
    }

    #[test]
    fn opting_in() {
        for (value, want) in [
            (Some("1"), true),
            (Some("true"), true),
            (Some("0"), false),
            (None, false),
        ] {
            assert_eq!(opts_in(value), want, "{value:?}");
        }
    }
}
