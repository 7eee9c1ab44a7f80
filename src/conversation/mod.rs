//! The on-disk conversation store: versioned format (`format`), locking and atomic append
//! (`store`), Markdown export and import (`markdown`), and the `Session` one call uses.

pub mod format;
pub mod markdown;
pub mod store;
pub mod v1;

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::SystemTime;

use anyhow::Result;

pub use format::{Conversation, Exchange, Header};
pub use store::Store;

use crate::error::usage;
use crate::message::Message;
use crate::settings::ConversationChoice;

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
}

/// The conversation one call belongs to.
pub struct Session {
    /// `None` for `--no-history`.
    target: Option<Target>,
    history: Vec<Message>,
}

impl Session {
    /// Loads the chosen conversation's history. Creates nothing: the file appears with
    /// the first recorded exchange.
    pub fn open(choice: &ConversationChoice, data_dir: &Path) -> Result<Session> {
        let store = Store::new(data_dir);
        let (name, id) = match choice {
            ConversationChoice::Off => {
                return Ok(Session {
                    target: None,
                    history: Vec::new(),
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
            ConversationChoice::Last => (latest(&store)?, generate_id()),
        };
        let history = match store.load(&name)? {
            Some(conv) => conv.exchanges.iter().flat_map(Exchange::history).collect(),
            None => Vec::new(),
        };
        Ok(Session {
            target: Some(Target { store, name, id }),
            history,
        })
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
        t.store
            .append(&Header::new(&t.id, &t.name, &now()), exchange)
    }
}

fn latest(store: &Store) -> Result<String> {
    match store.entries()?.into_iter().next() {
        Some(entry) => Ok(entry.name),
        None => Err(usage("there is no conversation to continue")
            .hint("start one without -c, or name one with --conversation NAME")
            .into()),
    }
}
