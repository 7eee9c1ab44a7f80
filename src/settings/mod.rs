//! Merging built-in defaults < user config < project config < environment < flags into one
//! validated `Settings`. This is the only module that reads environment variables; the
//! files it reads are parsed in `config_file`.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Map, Value};

use crate::cli::AskArgs;
use crate::error::usage;
use crate::extract::Selector;
use crate::provider::{self, ProviderRef};
use crate::schema::Schema;
use crate::secret::Secret;

mod config_file;
mod key_command;
mod trust;

pub use key_command::key_from_command;
pub use trust::{TRUST_VARIABLE, Untrusted, trust};

pub use config_file::{ALIAS_FILES, ConfigFile, ModelConfig, RateLimit, load_alias_file};

pub const DEFAULT_MODEL: &str = "gpt-4.1-mini";
pub const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
pub const DEFAULT_TOTAL_TIMEOUT_SECS: f64 = 900.0;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_RETRY_BACKOFF_SECS: f64 = 0.5;
pub const DEFAULT_RETRY_MAX_WAIT_SECS: f64 = 60.0;

/// A snapshot of the process environment, so settings can be unit-tested with tables.
#[derive(Clone, Debug, Default)]
pub struct Env {
    vars: HashMap<String, String>,
    pub cwd: PathBuf,
    pub stderr_is_tty: bool,
    pub stdin_is_tty: bool,
    pub stdout_is_tty: bool,
}

impl Env {
    pub fn capture() -> Result<Env> {
        use std::io::IsTerminal;
        Ok(Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
            cwd: std::env::current_dir().context("cannot read the working directory")?,
            stderr_is_tty: std::io::stderr().is_terminal(),
            stdin_is_tty: std::io::stdin().is_terminal(),
            stdout_is_tty: std::io::stdout().is_terminal(),
        })
    }

    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)], cwd: &Path) -> Env {
        Env {
            vars: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cwd: cwd.to_path_buf(),
            ..Env::default()
        }
    }

    /// A variable's value; set-but-empty counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// The first of several variables that is set, with its name.
    fn first(&self, names: &[&'static str]) -> Option<(&'static str, &str)> {
        names.iter().find_map(|n| self.get(n).map(|v| (*n, v)))
    }

    fn with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.vars
            .iter()
            .filter_map(move |(k, v)| Some((k.strip_prefix(prefix)?, v.as_str())))
    }
}

/// Where a setting's value came from, for `cellmage config`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    UserConfig,
    ProjectConfig,
    Env(String),
    Flag(&'static str),
    Persona(String),
    /// A `[models.NAME]` table.
    Model(String),
    /// The last exchange of the conversation being continued.
    Conversation(String),
}

impl Source {
    /// A flag, or a conversation's own choice carried on by `-c`: above every layer.
    fn is_explicit(&self) -> bool {
        matches!(self, Source::Flag(_) | Source::Conversation(_))
    }

    /// Said on this invocation: a flag or the environment.
    fn said_now(&self) -> bool {
        matches!(self, Source::Flag(_) | Source::Env(_))
    }
}

/// What a conversation's last exchange used, carried on when it is continued.
#[derive(Clone, Debug, Default)]
pub struct Carried {
    pub conversation: String,
    pub model: String,
    pub provider: String,
    pub base_url: Option<String>,
    pub persona: Option<String>,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::UserConfig => f.write_str("user config"),
            Source::ProjectConfig => f.write_str("project config"),
            Source::Env(name) => write!(f, "env {name}"),
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Persona(name) => write!(f, "persona {name}"),
            Source::Model(name) => write!(f, "[models.{name}]"),
            Source::Conversation(name) => write!(f, "conversation {name}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

impl<T> Sourced<T> {
    pub fn new(value: T, source: Source) -> Self {
        Sourced { value, source }
    }
}

/// The one rule for the layers between flags and the environment, as the README orders
/// them (flags > persona front matter > environment > project config > user config >
/// defaults; a `[models.NAME]` table's provider and base URL sit at the same place): the
/// layer's value wins unless a flag set the setting.
pub fn beneath_flags<T>(
    setting: Option<Sourced<T>>,
    layer: Option<Sourced<T>>,
) -> Option<Sourced<T>> {
    match setting {
        Some(s) if s.source.is_explicit() => Some(s),
        setting => layer.or(setting),
    }
}

/// How the key is obtained: a value, or a command run only when a request is sent.
#[derive(Clone, Debug)]
pub enum KeySource {
    Value(Secret),
    Command(String),
}

/// Which conversation a call belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConversationChoice {
    /// No flag: a new conversation.
    New,
    /// `-c`: the most recent one.
    Last,
    /// `--conversation NAME` or `CELLMAGE_CONVERSATION`.
    Named(String),
    /// `--no-history`.
    Off,
}

/// Which calls leave a conversation file (`history` in the config, `CELLMAGE_HISTORY`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HistoryMode {
    /// Every call (the default).
    All,
    /// Only calls in a named conversation (`--conversation`, or `-c` continuing one).
    Named,
    /// None: conversations are still read, nothing is recorded.
    Off,
}

impl std::str::FromStr for HistoryMode {
    type Err = ();
    fn from_str(s: &str) -> std::result::Result<Self, ()> {
        match s {
            "all" => Ok(HistoryMode::All),
            "named" => Ok(HistoryMode::Named),
            "off" => Ok(HistoryMode::Off),
            _ => Err(()),
        }
    }
}

impl fmt::Display for HistoryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HistoryMode::All => "all",
            HistoryMode::Named => "named",
            HistoryMode::Off => "off",
        })
    }
}

/// Where things live.
#[derive(Clone, Debug)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub project_dir: Option<PathBuf>,
    pub cwd: PathBuf,
    pub personas_dirs: Vec<PathBuf>,
    pub snippets_dirs: Vec<PathBuf>,
}

/// What to do with the answer once it has arrived.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    pub extract: Option<Selector>,
    pub output: Option<PathBuf>,
    pub mkdir: bool,
    pub write_files: Option<PathBuf>,
    pub force: bool,
    pub allow_truncated: bool,
    pub json: bool,
    pub status_line: bool,
    pub spinner: bool,
    /// `--show-reasoning`: reasoning text to stderr as it arrives.
    pub show_reasoning: bool,
    pub verbose: u8,
    /// Print the answer as it arrives: stdout is a terminal, or `--stream`.
    pub incremental: bool,
    /// stdout is a terminal.
    pub terminal: bool,
}

/// One provider's base URL and key, as flags, environment and config set them.
#[derive(Clone, Debug)]
pub struct Connection {
    pub provider: ProviderRef,
    /// `--api-base`, the provider's variables, the config's `api_base` (for a provider that
    /// reads it), else its default; `None` for an offline provider.
    pub base: Option<Sourced<String>>,
    pub key: Option<Sourced<KeySource>>,
}

/// Everything one invocation needs to know, validated.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A project config whose sending-related keys are held back until it is trusted.
    pub untrusted: Option<Untrusted>,
    /// The environment variables context sources declare (tokens, endpoints).
    pub source_vars: crate::context::Vars,
    pub model: Sourced<String>,
    pub provider: Option<Sourced<ProviderRef>>,
    /// `--api-base`: beats a `[models.NAME]` table's `base_url`.
    pub api_base_flag: Option<Sourced<String>>,
    /// Every registered provider's connection, in registry order.
    pub connections: Vec<Connection>,
    /// `--schema`, loaded and compiled.
    pub schema: Option<std::sync::Arc<Schema>>,
    pub headers: Vec<(String, Secret)>,
    /// The proxies from `http_proxy`, `https_proxy`, `all_proxy` and `no_proxy` (either
    /// case).
    pub proxies: crate::transport::proxy::Proxies,
    pub persona: Option<Sourced<String>>,
    /// `-s, --system`: a system prompt after the persona's.
    pub system: Option<String>,
    /// The reasoning effort (flags, environment, config; a persona's sits beneath flags).
    pub reasoning: Option<Sourced<provider::Effort>>,
    pub temperature: Option<Sourced<f64>>,
    pub max_tokens: Option<Sourced<u64>>,
    pub params: Map<String, Value>,
    pub stream: Sourced<bool>,
    pub timeout: Sourced<Duration>,
    pub total_timeout: Sourced<Duration>,
    pub retries: Sourced<u32>,
    /// The first retry's wait; doubled each retry.
    pub retry_backoff: Duration,
    /// The longest wait accepted, from backoff or the provider's Retry-After.
    pub retry_max_wait: Duration,
    pub conversation: Sourced<ConversationChoice>,
    pub history: Sourced<HistoryMode>,
    /// Model aliases, merged: user config < alias file < project config < the file named
    /// by `CELLMAGE_MODEL_MAPPINGS_FILE`.
    pub aliases: BTreeMap<String, String>,
    /// `[models.NAME]` tables, user and project merged key by key, keys resolved.
    pub models: BTreeMap<String, ModelConfig>,
    pub paths: Paths,
    pub output: OutputOptions,
    pub dry_run: bool,
    pub trim_history: bool,
    pub stdin_is_tty: bool,
    /// The top-level `rate_limit` (project over user).
    pub rate_limit: Option<RateLimit>,
}

/// The config layers, lowest precedence first.
struct Layers {
    user: ConfigFile,
    project: ConfigFile,
}

impl Layers {
    /// The highest-precedence config value of a key, with its source.
    fn pick<T: Clone>(&self, get: impl Fn(&ConfigFile) -> Option<T>) -> Option<Sourced<T>> {
        get(&self.project)
            .map(|v| Sourced::new(v, Source::ProjectConfig))
            .or_else(|| get(&self.user).map(|v| Sourced::new(v, Source::UserConfig)))
    }
}

/// Flag, else environment, else config: the one precedence rule.
fn layered<T: Clone>(
    flag: Option<(T, &'static str)>,
    env: Option<(T, String)>,
    config: Option<Sourced<T>>,
) -> Option<Sourced<T>> {
    flag.map(|(v, name)| Sourced::new(v, Source::Flag(name)))
        .or_else(|| env.map(|(v, name)| Sourced::new(v, Source::Env(name))))
        .or(config)
}

fn env_parsed<T: std::str::FromStr>(env: &Env, name: &'static str) -> Result<Option<(T, String)>> {
    match env.get(name) {
        None => Ok(None),
        Some(raw) => raw
            .trim()
            .parse()
            .map(|v| Some((v, name.to_string())))
            .map_err(|_| {
                usage(format!(
                    "invalid value {raw:?} in environment variable {name}"
                ))
                .into()
            }),
    }
}

fn env_str(env: &Env, names: &[&'static str]) -> Option<(String, String)> {
    env.first(names)
        .map(|(n, v)| (v.to_string(), n.to_string()))
}

/// `value` seconds; `from` names the config file it came from, if any (see `in_file`).
fn seconds(value: f64, what: &str, from: &str) -> Result<Duration> {
    Duration::try_from_secs_f64(value)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            usage(format!(
                "{what} must be a positive number of seconds, not {value}{from}"
            ))
            .into()
        })
}

/// ` (in FILE)` for a value from a config file, so that an invalid one names its file.
fn in_file(source: &Source, paths: &Paths) -> String {
    let dir = match source {
        Source::UserConfig => Some(&paths.config_dir),
        Source::ProjectConfig => paths.project_dir.as_ref(),
        _ => None,
    };
    dir.map_or(String::new(), |d| {
        format!(" (in {})", d.join("config.toml").display())
    })
}

impl Settings {
    pub fn resolve(ask: &AskArgs, env: &Env) -> Result<Settings> {
        let paths = resolve_paths(env)?;
        let mut layers = Layers {
            user: ConfigFile::load(&paths.config_dir.join("config.toml"))?.unwrap_or_default(),
            project: match &paths.project_dir {
                Some(dir) => ConfigFile::load(&dir.join("config.toml"))?.unwrap_or_default(),
                None => ConfigFile::default(),
            },
        };
        let untrusted = paths.project_dir.as_ref().and_then(|dir| {
            let opted_in = trust::opts_in(env.get(trust::TRUST_VARIABLE));
            let path = dir.join("config.toml");
            trust::hold_back(&mut layers.project, &path, &paths.data_dir, opted_in)
        });
        let model = layered(
            ask.call.model.clone().map(|m| (m, "--model")),
            env_str(env, &["CELLMAGE_DEFAULT_MODEL", "CELLMAGE_MODEL"]),
            layers.pick(|c| c.model.clone()),
        )
        .unwrap_or_else(|| Sourced::new(DEFAULT_MODEL.to_string(), Source::Default));
        let api_base_flag = layered(
            ask.call.api_base.clone().map(|b| (b, "--api-base")),
            None,
            None,
        );
        check_no_project_commands(&layers)?;
        let connections = provider::REGISTRY
            .iter()
            .map(|p| resolve_connection(*p, ask, env, &layers))
            .collect::<Result<Vec<_>>>()?;
        let mut temperature = layered(
            ask.call.temperature.map(|t| (t, "--temperature")),
            env_parsed(env, "CELLMAGE_TEMPERATURE")?,
            layers.pick(|c| c.temperature),
        );
        if let Some(t) = &temperature
            && !(0.0..=2.0).contains(&t.value)
        {
            return Err(usage(format!(
                "temperature must be between 0 and 2, not {}{}",
                t.value,
                in_file(&t.source, &paths)
            ))
            .into());
        }
        temperature = temperature.filter(|t| t.value.is_finite());
        let max_tokens = layered(
            ask.call.max_tokens.map(|t| (t, "--max-tokens")),
            env_parsed(env, "CELLMAGE_MAX_TOKENS")?,
            layers.pick(|c| c.max_tokens),
        );
        if let Some(t) = max_tokens.as_ref().filter(|t| t.value == 0) {
            return Err(usage(format!(
                "max_tokens must be at least 1, not 0{}",
                in_file(&t.source, &paths)
            ))
            .into());
        }
        let timeout = layered(
            ask.call.timeout.map(|t| (t, "--timeout")),
            env_parsed(env, "CELLMAGE_TIMEOUT")?,
            layers.pick(|c| c.timeout),
        )
        .unwrap_or_else(|| Sourced::new(DEFAULT_TIMEOUT_SECS, Source::Default));
        let total_timeout = layered(
            None,
            env_parsed(env, "CELLMAGE_TOTAL_TIMEOUT")?,
            layers.pick(|c| c.total_timeout),
        )
        .unwrap_or_else(|| Sourced::new(DEFAULT_TOTAL_TIMEOUT_SECS, Source::Default));
        Ok(Settings {
            untrusted,
            provider: match layered(
                ask.call.provider.clone().map(|p| (p, "--provider")),
                env_str(env, &["CELLMAGE_PROVIDER"]),
                layers.pick(|c| c.provider.clone()),
            ) {
                Some(p) => Some(Sourced::new(provider::by_name(&p.value)?, p.source)),
                None => None,
            },
            api_base_flag,
            connections,
            schema: match &ask.schema {
                Some(spec) => Some(std::sync::Arc::new(crate::schema::load(spec, &env.cwd)?)),
                None => None,
            },
            headers: resolve_headers(env, &layers),
            proxies: crate::transport::proxy::Proxies::from_vars(|name| env.get(name))?,
            persona: layered(
                ask.persona.clone().map(|p| (p, "--persona")),
                env_str(env, &["CELLMAGE_PERSONA"]),
                layers.pick(|c| c.persona.clone()),
            ),
            system: ask.call.system.clone().filter(|s| !s.trim().is_empty()),
            reasoning: resolve_reasoning(ask, env, &layers)?,
            temperature,
            max_tokens,
            params: resolve_params(&ask.call.param, &layers),
            stream: layered(
                ask.no_stream.then_some((false, "--no-stream")),
                None,
                layers.pick(|c| c.stream),
            )
            .unwrap_or_else(|| Sourced::new(true, Source::Default)),
            timeout: Sourced::new(
                seconds(timeout.value, "timeout", &in_file(&timeout.source, &paths))?,
                timeout.source,
            ),
            total_timeout: Sourced::new(
                seconds(
                    total_timeout.value,
                    "total_timeout",
                    &in_file(&total_timeout.source, &paths),
                )?,
                total_timeout.source,
            ),
            retries: layered(
                ask.call.retries.map(|r| (r, "--retries")),
                env_parsed(env, "CELLMAGE_RETRIES")?,
                layers.pick(|c| c.retries),
            )
            .unwrap_or_else(|| Sourced::new(DEFAULT_RETRIES, Source::Default)),
            retry_backoff: seconds(
                layered(
                    None,
                    env_parsed(env, "CELLMAGE_RETRY_BACKOFF")?,
                    layers.pick(|c| c.retry_backoff),
                )
                .map_or(DEFAULT_RETRY_BACKOFF_SECS, |s| s.value),
                "retry_backoff",
                "",
            )?,
            retry_max_wait: seconds(
                layered(
                    None,
                    env_parsed(env, "CELLMAGE_RETRY_MAX_WAIT")?,
                    layers.pick(|c| c.retry_max_wait),
                )
                .map_or(DEFAULT_RETRY_MAX_WAIT_SECS, |s| s.value),
                "retry_max_wait",
                "",
            )?,
            conversation: resolve_conversation(ask, env),
            history: layered(
                None,
                env_parsed(env, "CELLMAGE_HISTORY")?,
                layers.pick(|c| c.history),
            )
            .unwrap_or_else(|| Sourced::new(HistoryMode::All, Source::Default)),
            aliases: resolve_aliases(env, &layers)?,
            models: resolve_models(env, &layers)?,
            output: OutputOptions {
                allow_truncated: ask.call.allow_truncated,
                json: ask.json,
                status_line: ask.call.stats || (env.stderr_is_tty && !ask.json),
                spinner: env.stderr_is_tty,
                incremental: ask.stream || env.stdout_is_tty,
                terminal: env.stdout_is_tty,
                show_reasoning: ask.call.show_reasoning,
                verbose: ask.call.verbose,
                ..delivery(&ask.delivery)?
            },
            dry_run: ask.call.dry_run,
            trim_history: ask.trim_history,
            stdin_is_tty: env.stdin_is_tty,
            rate_limit: layers.pick(|c| c.rate_limit).map(|s| s.value),
            source_vars: crate::context::Vars::capture(|name| env.get(name)),
            model,
            paths,
        })
    }

    /// Continuing a conversation: its model, provider, base URL and persona, unless a flag
    /// or the environment says otherwise. A model said now takes its own provider and base
    /// URL; a provider said now, its own base URL.
    pub fn carry_on(&mut self, carried: &Carried) {
        let from = || Source::Conversation(carried.conversation.clone());
        // an imported exchange names no provider cellmage knows: nothing to carry on (its
        // persona's prompt, say, is already in its history)
        let Ok(provider) = crate::provider::by_name(&carried.provider) else {
            return;
        };
        if !self.persona.as_ref().is_some_and(|p| p.source.said_now())
            && let Some(persona) = &carried.persona
        {
            self.persona = Some(Sourced::new(persona.clone(), from()));
        }
        if self.model.source.said_now() {
            return;
        }
        self.model = Sourced::new(carried.model.clone(), from());
        if self.provider.as_ref().is_some_and(|p| p.source.said_now()) {
            return;
        }
        self.provider = Some(Sourced::new(provider, from()));
        let base_said = self.api_base_flag.is_some()
            || (self.connection(provider).base.as_ref()).is_some_and(|b| b.source.said_now());
        if let Some(base) = carried.base_url.as_ref().filter(|_| !base_said) {
            self.api_base_flag = Some(Sourced::new(base.clone(), from()));
        }
    }

    /// The client-side rate limits of a model: its table's `rate_limit`, else the top-level
    /// one.
    pub fn rate_limit_for(&self, model: &str) -> crate::budget::ClientLimits {
        let limit = self
            .models
            .get(model)
            .and_then(|m| m.rate_limit)
            .or(self.rate_limit)
            .unwrap_or_default();
        crate::budget::ClientLimits {
            rpm: limit.rpm,
            tpm: limit.tpm,
        }
    }

    /// A provider's connection.
    pub fn connection(&self, provider: ProviderRef) -> &Connection {
        self.connections
            .iter()
            .find(|c| c.provider == provider)
            .expect("every registered provider has a connection")
    }
}

/// Where an answer goes (`-x`, `-o`, `--write-files`), for a call and for `history show
/// --last` alike.
pub fn delivery(args: &crate::cli::OutputArgs) -> Result<OutputOptions> {
    Ok(OutputOptions {
        extract: args.extract.as_deref().map(Selector::parse).transpose()?,
        output: crate::cli::output_file(args.output.as_deref()).map(Path::to_path_buf),
        mkdir: args.mkdir,
        write_files: args.write_files.clone(),
        force: args.force,
        ..OutputOptions::default()
    })
}

/// A provider's base URL and key from the variables it declares, and for a provider that
/// reads them, the config's `api_base`, `api_key_env`, `api_key` and `api_key_cmd`.
fn resolve_connection(
    p: ProviderRef,
    ask: &AskArgs,
    env: &Env,
    layers: &Layers,
) -> Result<Connection> {
    let vars = p.variables();
    let base = layered(
        ask.call.api_base.clone().map(|b| (b, "--api-base")),
        env_str(env, vars.base),
        vars.config
            .then(|| layers.pick(|c| c.api_base.clone()))
            .flatten(),
    )
    .or_else(|| {
        p.default_base()
            .map(|b| Sourced::new(b.to_string(), Source::Default))
    });
    if let Some(base) = &base {
        check_api_base(base)?;
    }
    let key = env
        .first(vars.key)
        .map(|(name, v)| {
            Sourced::new(
                KeySource::Value(Secret::new(v.trim())),
                Source::Env(name.into()),
            )
        })
        .or_else(|| vars.config.then(|| config_key(env, layers)).flatten());
    Ok(Connection {
        provider: p,
        base,
        key,
    })
}

/// The API base must be an absolute http(s) URL with a host.
fn check_api_base(base: &Sourced<String>) -> Result<()> {
    let value = base.value.trim();
    let (scheme, rest) = value.split_once("://").unwrap_or(("", ""));
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let scheme_ok = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    if scheme_ok && !host.is_empty() && !value.contains(char::is_whitespace) {
        return Ok(());
    }
    Err(usage(format!(
        "invalid API base URL {value:?} (from {}): it must start with http:// or https:// and name a host",
        base.source
    ))
    .hint("for example --api-base http://localhost:11434/v1")
    .into())
}

fn resolve_paths(env: &Env) -> Result<Paths> {
    let dirs = directories::ProjectDirs::from("", "", "cellmage");
    let config_dir = env
        .get("CELLMAGE_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs.as_ref().map(|d| d.config_dir().to_path_buf()))
        .ok_or_else(|| usage("cannot find a config directory").hint("set CELLMAGE_CONFIG_DIR"))?;
    let data_dir = env
        .get("CELLMAGE_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs.as_ref().map(|d| d.data_dir().to_path_buf()))
        .ok_or_else(|| usage("cannot find a data directory").hint("set CELLMAGE_DATA_DIR"))?;
    let project_dir = env
        .cwd
        .ancestors()
        .map(|dir| dir.join(".cellmage"))
        .find(|dir| dir.is_dir());
    let extra = |name: &str| -> Vec<PathBuf> {
        env.get(name)
            .map(|list| {
                std::env::split_paths(list)
                    .filter(|p| !p.as_os_str().is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let search = |sub: &str, var: &str| -> Vec<PathBuf> {
        project_dir
            .iter()
            .map(|p| p.join(sub))
            .chain([config_dir.join(sub)])
            .chain(extra(var))
            .collect()
    };
    Ok(Paths {
        personas_dirs: search("personas", "CELLMAGE_PERSONAS_DIRS"),
        snippets_dirs: search("snippets", "CELLMAGE_SNIPPETS_DIRS"),
        cwd: env.cwd.clone(),
        config_dir,
        data_dir,
        project_dir,
    })
}

/// A command is taken only from the user config: a project config comes with the
/// repository, and cloning one must never run code.
fn check_no_project_commands(layers: &Layers) -> Result<()> {
    let in_project_model = layers
        .project
        .models
        .iter()
        .find(|(_, m)| m.api_key_cmd.is_some());
    if let Some((name, _)) = in_project_model {
        return Err(no_project_command(&format!("[models.{name}] api_key_cmd")).into());
    }
    if layers.project.api_key_cmd.is_some() {
        return Err(no_project_command("api_key_cmd").into());
    }
    Ok(())
}

/// The config's key, below the provider's variables: a variable named by `api_key_env`,
/// `api_key`, or (user config only) `api_key_cmd`.
fn config_key(env: &Env, layers: &Layers) -> Option<Sourced<KeySource>> {
    let from_env = |name: &str, source: Source| {
        env.get(name)
            .map(|v| Sourced::new(KeySource::Value(Secret::new(v.trim())), source))
    };
    layers
        .pick(|c| c.api_key_env.clone())
        .and_then(|named| from_env(&named.value, Source::Env(named.value.clone())))
        .or_else(|| {
            layers
                .pick(|c| c.api_key.clone())
                .map(|k| Sourced::new(KeySource::Value(Secret::new(k.value)), k.source))
        })
        .or_else(|| {
            (layers.user.api_key_cmd.clone())
                .map(|cmd| Sourced::new(KeySource::Command(cmd), Source::UserConfig))
        })
}

/// Aliases from every source, later ones winning: user config, the nearest CellMage alias
/// file, project config, then `CELLMAGE_MODEL_MAPPINGS_FILE`.
fn resolve_aliases(env: &Env, layers: &Layers) -> Result<BTreeMap<String, String>> {
    let mut aliases = layers.user.aliases.clone();
    let found = env
        .cwd
        .ancestors()
        .flat_map(|dir| ALIAS_FILES.iter().map(move |f| dir.join(f)))
        .find(|path| path.is_file());
    if let Some(path) = found {
        aliases.extend(load_alias_file(&path)?);
    }
    aliases.extend(layers.project.aliases.clone());
    if let Some(path) = env.get("CELLMAGE_MODEL_MAPPINGS_FILE") {
        aliases.extend(load_alias_file(Path::new(path))?);
    }
    Ok(aliases)
}

fn no_project_command(what: &str) -> crate::error::Failure {
    usage(format!(
        "{what} is not allowed in a project config (.cellmage/config.toml)"
    ))
    .hint("move it to the user config (see `cellmage config` for config_dir)")
}

/// `[models.NAME]` tables, project keys over user keys, with each key source resolved
/// (`api_key_env` read now; `api_key_cmd` run only when a request is sent) and each
/// `provider` found in the registry.
fn resolve_models(env: &Env, layers: &Layers) -> Result<BTreeMap<String, ModelConfig>> {
    let mut models = layers.user.models.clone();
    for (name, over) in &layers.project.models {
        let merged = models.remove(name).unwrap_or_default().merged(over);
        models.insert(name.clone(), merged);
    }
    for (name, model) in models.iter_mut() {
        model.key = match (&model.api_key_env, &model.api_key_cmd) {
            (Some(var), _) => env
                .get(var)
                .map(|k| KeySource::Value(Secret::new(k.trim()))),
            (None, Some(cmd)) => Some(KeySource::Command(cmd.clone())),
            (None, None) => None,
        };
        model.provider_entry = model
            .provider
            .as_deref()
            .map(provider::by_name)
            .transpose()?;
        if let Some(limit) = &model.token_limit
            && provider::TokenLimit::from_param(limit).is_none()
        {
            return Err(
                usage(format!("invalid token_limit {limit:?} in [models.{name}]"))
                    .hint("use max_tokens or max_completion_tokens")
                    .into(),
            );
        }
    }
    Ok(models)
}

/// `--reasoning`, `CELLMAGE_REASONING`, the config's `reasoning`.
fn resolve_reasoning(
    ask: &AskArgs,
    env: &Env,
    layers: &Layers,
) -> Result<Option<Sourced<provider::Effort>>> {
    if let Some(e) = ask.call.reasoning {
        return Ok(Some(Sourced::new(e, Source::Flag("--reasoning"))));
    }
    let Some(raw) = layered(
        None,
        env_str(env, &["CELLMAGE_REASONING"]),
        layers.pick(|c| c.reasoning.clone()),
    ) else {
        return Ok(None);
    };
    match provider::Effort::parse(&raw.value) {
        Some(e) => Ok(Some(Sourced::new(e, raw.source))),
        None => Err(usage(format!(
            "reasoning must be low, medium or high, not {:?} (from {})",
            raw.value, raw.source
        ))
        .into()),
    }
}

/// `CELLMAGE_HEADER_X_TEAM=a` becomes `X-Team: a`; environment beats config.
fn resolve_headers(env: &Env, layers: &Layers) -> Vec<(String, Secret)> {
    let mut headers: BTreeMap<String, (String, Secret)> = BTreeMap::new();
    let from_config = layers.user.headers.iter().chain(&layers.project.headers);
    let from_env: Vec<(String, &str)> = env
        .with_prefix("CELLMAGE_HEADER_")
        .map(|(k, v)| (k.replace('_', "-"), v))
        .collect();
    for (name, value) in from_config
        .map(|(k, v)| (k.clone(), v.as_str()))
        .chain(from_env)
    {
        headers.insert(name.to_ascii_lowercase(), (name, Secret::new(value)));
    }
    headers.into_values().collect()
}

/// Config `[params]`, then `--param KEY VALUE` pairs (VALUE as JSON when it parses).
fn resolve_params(flags: &[String], layers: &Layers) -> Map<String, Value> {
    let mut params = layers.user.params.clone();
    params.extend(layers.project.params.clone());
    for pair in flags.chunks(2) {
        if let [key, value] = pair {
            let value =
                serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.clone()));
            params.insert(key.clone(), value);
        }
    }
    params
}

fn resolve_conversation(ask: &AskArgs, env: &Env) -> Sourced<ConversationChoice> {
    if ask.no_history {
        Sourced::new(ConversationChoice::Off, Source::Flag("--no-history"))
    } else if ask.continue_last {
        Sourced::new(ConversationChoice::Last, Source::Flag("--continue"))
    } else if let Some(name) = &ask.conversation {
        Sourced::new(
            ConversationChoice::Named(name.clone()),
            Source::Flag("--conversation"),
        )
    } else if let Some(name) = env.get("CELLMAGE_CONVERSATION") {
        Sourced::new(
            ConversationChoice::Named(name.to_string()),
            Source::Env("CELLMAGE_CONVERSATION".into()),
        )
    } else {
        Sourced::new(ConversationChoice::New, Source::Default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn resolve(args: &[&str], env: &[(&str, &str)], files: &[(&str, &str)]) -> Settings {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let cfg = dir.path().join("cfg");
        let data = dir.path().join("data");
        let mut vars = vec![
            ("CELLMAGE_CONFIG_DIR", cfg.to_str().unwrap()),
            ("CELLMAGE_DATA_DIR", data.to_str().unwrap()),
        ];
        vars.extend_from_slice(env);
        let cwd = dir.path().join("proj/sub");
        std::fs::create_dir_all(&cwd).unwrap();
        let cli =
            crate::cli::Cli::parse_from(std::iter::once("cellmage").chain(args.iter().copied()));
        Settings::resolve(&cli.ask, &Env::from_pairs(&vars, &cwd)).unwrap()
    }

    fn openai(s: &Settings) -> &Connection {
        s.connection(&crate::provider::openai::OPENAI)
    }

    fn anthropic(s: &Settings) -> &Connection {
        s.connection(&crate::provider::anthropic::Anthropic)
    }

    #[test]
    fn model_precedence_flag_env_project_user_default() {
        let user = ("cfg/config.toml", "model = \"user\"");
        let project = ("proj/.cellmage/config.toml", "model = \"project\"");
        let env = [("CELLMAGE_DEFAULT_MODEL", "env")];
        type Case<'a> = (
            &'a [&'a str],
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str)],
            &'a str,
            Source,
        );
        let table: &[Case] = &[
            (&[], &[], &[], DEFAULT_MODEL, Source::Default),
            (&[], &[], &[user], "user", Source::UserConfig),
            (&[], &[], &[user, project], "project", Source::ProjectConfig),
            (
                &[],
                &env,
                &[user, project],
                "env",
                Source::Env("CELLMAGE_DEFAULT_MODEL".into()),
            ),
            (
                &["-m", "flag"],
                &env,
                &[user, project],
                "flag",
                Source::Flag("--model"),
            ),
        ];
        for (args, env, files, want, source) in table {
            let s = resolve(args, env, files);
            assert_eq!(s.model.value, *want);
            assert_eq!(&s.model.source, source);
        }
    }

    #[test]
    fn layers_below_flags_beat_everything_else() {
        let persona = || Some(Sourced::new("p", Source::Persona("coder".into())));
        let table: &[(Option<Sourced<&str>>, &str)] = &[
            (Some(Sourced::new("f", Source::Flag("--model"))), "f"),
            (
                Some(Sourced::new("e", Source::Env("CELLMAGE_MODEL".into()))),
                "p",
            ),
            (Some(Sourced::new("u", Source::UserConfig)), "p"),
            (Some(Sourced::new("d", Source::Default)), "p"),
            (None, "p"),
        ];
        for (setting, want) in table {
            let got = beneath_flags(setting.clone(), persona()).unwrap();
            assert_eq!(got.value, *want, "{setting:?}");
        }
        let kept = beneath_flags(Some(Sourced::new("e", Source::Default)), None);
        assert_eq!(kept.unwrap().value, "e");
    }

    #[test]
    fn key_sources_in_order() {
        let s = resolve(
            &[],
            &[("OPENAI_API_KEY", "b"), ("CELLMAGE_API_KEY", "a")],
            &[],
        );
        match openai(&s).key.clone().unwrap() {
            Sourced {
                value: KeySource::Value(k),
                source,
            } => {
                assert_eq!(k.expose(), "a");
                assert_eq!(source, Source::Env("CELLMAGE_API_KEY".into()));
            }
            other => panic!("{other:?}"),
        }
        let s = resolve(&[], &[], &[("cfg/config.toml", "api_key_cmd = \"echo k\"")]);
        assert!(matches!(
            openai(&s).key.clone().unwrap().value,
            KeySource::Command(_)
        ));
        assert!(openai(&resolve(&[], &[], &[])).key.is_none());
        // the config's own keys are the OpenAI-compatible provider's only
        assert!(anthropic(&s).key.is_none());
    }

    #[test]
    fn api_base_must_be_an_http_url() {
        let check = |v: &str| check_api_base(&Sourced::new(v.to_string(), Source::Default));
        for good in [
            "https://api.openai.com/v1",
            "http://localhost:11434/v1",
            "HTTP://127.0.0.1:8080",
            "http://[::1]:8080/v1",
        ] {
            assert!(check(good).is_ok(), "{good}");
        }
        for bad in [
            "localhost:8080/v1",
            "ftp://host/v1",
            "",
            "http://",
            "https:///v1",
            "api.openai.com",
            "http://host name/v1",
        ] {
            let err = check(bad).unwrap_err();
            assert_eq!(
                crate::error::classify(&err).0,
                crate::error::Kind::Usage,
                "{bad}"
            );
        }
    }

    #[test]
    fn debug_output_never_holds_the_key() {
        let s = resolve(
            &[],
            &[
                ("CELLMAGE_API_KEY", "sk-debug-visible-123"),
                ("CELLMAGE_HEADER_X_TOKEN", "tok-debug-visible-456"),
            ],
            &[],
        );
        let text = format!("{s:?} {s:#?}");
        assert!(!text.contains("debug-visible"), "{text}");
    }

    #[test]
    fn params_are_json_when_they_parse() {
        let s = resolve(
            &[
                "--param", "top_p", "0.5", "--param", "stop", "END", "--param", "seed", "[1]",
            ],
            &[],
            &[("cfg/config.toml", "[params]\ntop_p = 0.9\nuser = \"me\"")],
        );
        assert_eq!(s.params["top_p"], serde_json::json!(0.5));
        assert_eq!(s.params["stop"], serde_json::json!("END"));
        assert_eq!(s.params["seed"], serde_json::json!([1]));
        assert_eq!(s.params["user"], serde_json::json!("me"));
    }

    #[test]
    fn headers_from_env_beat_config() {
        let s = resolve(
            &[],
            &[("CELLMAGE_HEADER_X_TEAM", "env")],
            &[(
                "cfg/config.toml",
                "[headers]\nX-Team = \"cfg\"\nX-Other = \"o\"",
            )],
        );
        let h: Vec<(String, String)> = s
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), v.expose().to_string()))
            .collect();
        assert_eq!(
            h,
            [
                ("X-Other".into(), "o".into()),
                ("X-TEAM".into(), "env".into())
            ]
        );
    }

    #[test]
    fn conversation_choice() {
        assert_eq!(
            resolve(&[], &[], &[]).conversation.value,
            ConversationChoice::New
        );
        assert_eq!(
            resolve(&["-c"], &[], &[]).conversation.value,
            ConversationChoice::Last
        );
        let named = ConversationChoice::Named("kv".into());
        assert_eq!(
            resolve(&[], &[("CELLMAGE_CONVERSATION", "kv")], &[])
                .conversation
                .value,
            named
        );
        assert_eq!(
            resolve(&["--no-history"], &[("CELLMAGE_CONVERSATION", "kv")], &[])
                .conversation
                .value,
            ConversationChoice::Off
        );
    }

    #[test]
    fn alias_files_are_cellmage_yaml_pairs() {
        let dir = tempfile::tempdir().unwrap();
        type Pairs = &'static [(&'static str, &'static str)];
        let table: &[(&str, Option<Pairs>)] = &[
            ("", Some(&[])),
            ("# only a comment\n", Some(&[])),
            (
                "g4: gpt-4\nc3h: claude-3-haiku\n",
                Some(&[("c3h", "claude-3-haiku"), ("g4", "gpt-4")]),
            ),
            ("v: 4\n", Some(&[("v", "4")])),
            ("- a\n", None),
            ("a: [1, 2]\n", None),
            ("a: b: c\n", None),
        ];
        for (text, want) in table {
            let path = dir.path().join("m.yml");
            std::fs::write(&path, text).unwrap();
            let got = load_alias_file(&path).ok();
            let want = want.map(|pairs| {
                pairs
                    .iter()
                    .map(|(a, b)| (a.to_string(), b.to_string()))
                    .collect::<BTreeMap<_, _>>()
            });
            assert_eq!(got, want, "{text:?}");
        }
    }

    #[test]
    fn model_tables_merge_key_by_key_and_resolve_keys() {
        let s = resolve(
            &[],
            &[("MY_KEY", "k1")],
            &[
                (
                    "cfg/config.toml",
                    "[models.a]\nname = \"gpt-4o\"\napi_key_env = \"MY_KEY\"\ninput_price = 1.0\n[models.b]\napi_key_cmd = \"echo k\"\n",
                ),
                (
                    "proj/.cellmage/config.toml",
                    "[models.a]\ninput_price = 2.0\n[models.a.params]\ntop_p = 0.5\n",
                ),
            ],
        );
        let a = &s.models["a"];
        assert_eq!(a.name.as_deref(), Some("gpt-4o"));
        assert_eq!(a.input_price, Some(2.0));
        assert_eq!(a.params["top_p"], serde_json::json!(0.5));
        assert!(matches!(&a.key, Some(KeySource::Value(k)) if k.expose() == "k1"));
        assert!(matches!(&s.models["b"].key, Some(KeySource::Command(c)) if c == "echo k"));
        let base = |s: &Settings| anthropic(s).base.clone().unwrap();
        assert_eq!(base(&s).value, crate::provider::anthropic::DEFAULT_BASE);
        let s = resolve(
            &[],
            &[
                ("ANTHROPIC_BASE_URL", "http://gw"),
                ("ANTHROPIC_API_KEY", "ak"),
            ],
            &[],
        );
        assert_eq!(base(&s).value, "http://gw");
        assert!(anthropic(&s).key.is_some());
        assert!(openai(&s).key.is_none());
    }

    #[test]
    fn project_paths_come_first() {
        let s = resolve(&[], &[], &[("proj/.cellmage/config.toml", "")]);
        assert!(s.paths.personas_dirs[0].ends_with("proj/.cellmage/personas"));
        assert!(s.paths.personas_dirs[1].ends_with("cfg/personas"));
    }
}
