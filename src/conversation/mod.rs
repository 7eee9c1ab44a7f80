//! The on-disk conversation store: versioned format (`format`), locking and atomic append
//! (`store`), Markdown export and import (`markdown`), and the `Session` one call uses.

pub mod format;
pub mod glance;
pub mod markdown;
pub mod project;
pub mod store;
pub mod v1;
pub mod v2;

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use anyhow::Result;

pub use format::{Conversation, Exchange, Header};
pub use store::Store;

use crate::error::usage;
use crate::message::Message;
use crate::settings::{Carried, ConversationChoice, HistoryMode, Settings};

/// The current time as recorded in files: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

/// A fresh conversation name: time, process id and a counter, so that parallel processes
/// (and several calls in one process) never pick the same one.
pub fn generate_id() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let stamp: String = now().chars().filter(|c| !matches!(c, '-' | ':')).collect();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{stamp}-{}-{n}", std::process::id())
}

/// Where a call's exchange goes.
struct Target {
    store: Store,
    name: String,
    /// The header id if this call creates the conversation.
    id: String,
    project: String,
}

/// The conversation one call belongs to.
pub struct Session {
    /// `None` for `--no-history`.
    target: Option<Target>,
    history: Vec<Message>,
    /// What the last exchange used, when an existing conversation is continued.
    carried: Option<Carried>,
}

impl Session {
    /// Loads the chosen conversation's history. Creates nothing: the file appears with
    /// the first recorded exchange, unless the `history` setting records nothing for it.
    pub fn open(settings: &Settings) -> Result<Session> {
        let store = Store::new(&settings.paths.data_dir);
        let project = project::of(&settings.paths.cwd);
        let (name, id) = match &settings.conversation.value {
            ConversationChoice::Off => {
                return Ok(Session {
                    target: None,
                    history: Vec::new(),
                    carried: None,
                });
            }
            ConversationChoice::New => {
                let id = generate_id();
                (id.clone(), id)
            }
            ConversationChoice::Named(name) => {
                store::validate_name(name)?;
                (name.clone(), generate_id())
            }
            ConversationChoice::Last => (latest(&store, &project)?, generate_id()),
        };
        let (history, carried) = match store.load(&name)? {
            Some(conv) => {
                warn_if_foreign(&conv.header, &project);
                let carried = conv.exchanges.last().map(|e| Carried {
                    conversation: name.clone(),
                    model: e.model.clone(),
                    provider: e.provider.clone(),
                    base_url: e.base_url.clone(),
                    persona: e.persona.clone(),
                });
                let history = conv
                    .exchanges
                    .into_iter()
                    .flat_map(Exchange::into_history)
                    .collect();
                (history, carried)
            }
            None => (Vec::new(), None),
        };
        let recorded = match settings.history.value {
            HistoryMode::All => true,
            HistoryMode::Named => settings.conversation.value != ConversationChoice::New,
            HistoryMode::Off => false,
        };
        Ok(Session {
            target: recorded.then_some(Target {
                store,
                name,
                id,
                project,
            }),
            history,
            carried,
        })
    }

    /// What the conversation's last exchange used (model, provider, base URL, persona).
    pub fn carried(&self) -> Option<&Carried> {
        self.carried.as_ref()
    }

    /// The messages of the earlier exchanges, oldest first.
    pub fn history(&self) -> &[Message] {
        &self.history
    }

    /// The conversation's name (`None` with `--no-history`).
    pub fn id(&self) -> Option<&str> {
        self.target.as_ref().map(|t| t.name.as_str())
    }

    /// Appends one complete exchange.
    pub fn record(&self, exchange: &Exchange) -> Result<()> {
        let Some(t) = &self.target else {
            return Ok(());
        };
        let header = Header {
            project: Some(t.project.clone()),
            ..Header::new(&t.id, &t.name, &now())
        };
        t.store.append(&header, exchange)
    }
}

/// The most recently updated conversation of `project`.
pub fn latest(store: &Store, project: &str) -> Result<String> {
    let found = store.in_project(Some(project))?;
    match found.into_iter().find(|(_, header)| header.is_ok()) {
        Some((entry, _)) => Ok(entry.name),
        None => Err(
            usage(format!("there is no conversation in this project ({project})"))
                .hint("start one without -c, or name one with --conversation NAME; `cellmage history list --all` shows every project's")
                .into(),
        ),
    }
}

/// A conversation of another project still works, with one warning.
fn warn_if_foreign(header: &Header, project: &str) {
    if let Some(theirs) = header.project.as_deref().filter(|p| *p != project) {
        eprintln!(
            "cellmage: warning: conversation {} belongs to project {theirs}, not to this one ({project})",
            header.name
        );
    }
}
