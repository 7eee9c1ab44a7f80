//! The error kinds and their exit codes: the one table users, the README and `--help` rely on.

use std::fmt;

/// What went wrong, as far as the exit code is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A bug in cellmage.
    Internal,
    /// Bad flag, missing/unreadable/binary snippet, unknown persona, invalid config or
    /// conversation file, empty prompt, prompt over the context window.
    Usage,
    /// No matching code block in the answer.
    NothingToExtract,
    /// The answer was cut off by the token limit.
    Truncated,
    /// 401/403: authentication or permission refused.
    Auth,
    /// 429 still after the last retry.
    RateLimited,
    /// Cannot connect, timed out, stream interrupted.
    Network,
    /// 5xx after the last retry, a response that is not the protocol, or an answer that
    /// does not match `--schema` after one retry.
    Server,
    /// 400/404/413/422: request rejected by the provider.
    Rejected,
    /// `cellmage review --fail-on`: a finding at or above the threshold remains.
    Gate,
    /// Writing an output file or the conversation store failed: disk full, read-only,
    /// permission denied. (Reading a file the user named is `Usage`.)
    Io,
    /// `cellmage batch collect`: some jobs failed, expired, were cancelled or cut off.
    Batch,
    /// Ctrl-C, SIGTERM or SIGHUP.
    Interrupted,
}

/// The exit-code table, in the order it is documented.
pub const TABLE: &[(u8, &str)] = &[
    (0, "success"),
    (1, "internal error (a bug)"),
    (
        2,
        "usage or configuration error: bad flag, missing/unreadable/binary snippet, unknown persona, invalid config or conversation file, empty prompt, prompt over the context window",
    ),
    (
        3,
        "nothing to extract: no matching code block in the answer",
    ),
    (
        4,
        "answer truncated (finish_reason: length); --allow-truncated makes it 0",
    ),
    (5, "authentication or permission refused (401/403)"),
    (6, "rate limited, still after the last retry (429)"),
    (7, "network: cannot connect, timed out, stream interrupted"),
    (
        8,
        "server error after the last retry (5xx), a response that is not the protocol, or an answer that still does not match --schema after one retry",
    ),
    (9, "request rejected by the provider (400/404/413/422)"),
    (
        10,
        "review gate: cellmage review found findings at or above --fail-on (the report is still written)",
    ),
    (
        11,
        "local I/O failure: cannot write an output file or the conversation store (disk full, read-only, permission denied)",
    ),
    (
        12,
        "batch incomplete: cellmage batch collect (or submit --local) wrote some jobs, but others failed, expired, were cancelled or cut off (each is listed with its reason)",
    ),
    (
        130,
        "interrupted (Ctrl-C, SIGTERM, SIGHUP); nothing recorded",
    ),
];

impl Kind {
    pub fn exit_code(self) -> u8 {
        match self {
            Kind::Internal => 1,
            Kind::Usage => 2,
            Kind::NothingToExtract => 3,
            Kind::Truncated => 4,
            Kind::Auth => 5,
            Kind::RateLimited => 6,
            Kind::Network => 7,
            Kind::Server => 8,
            Kind::Rejected => 9,
            Kind::Gate => 10,
            Kind::Io => 11,
            Kind::Batch => 12,
            Kind::Interrupted => 130,
        }
    }
}

/// An error with a kind, a message and an optional hint. Anything else that reaches `main`
/// is an internal error.
#[derive(Debug)]
pub struct Failure {
    pub kind: Kind,
    pub message: String,
    pub hint: Option<String>,
}

impl Failure {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Failure {
            kind,
            message: message.into(),
            hint: None,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Shorthand for a usage error (exit 2).
pub fn usage(message: impl Into<String>) -> Failure {
    Failure::new(Kind::Usage, message)
}

/// Shorthand for a local I/O failure (exit 11): `what` failed on `path`.
pub fn io(what: &str, path: &std::path::Path, err: &std::io::Error) -> Failure {
    Failure::new(Kind::Io, format!("cannot {what} {}: {err}", path.display()))
}

/// The exit kind and hint of an error chain: the first `Failure` in it decides.
pub fn classify(err: &anyhow::Error) -> (Kind, Option<&str>) {
    err.chain()
        .find_map(|e| e.downcast_ref::<Failure>())
        .map(|f| (f.kind, f.hint.as_deref()))
        .unwrap_or((Kind::Internal, None))
}

/// True when the chain holds a broken pipe: the reader went away, which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The exit-code table as text, for `--help` and the README.
/// Each meaning is wrapped at 88 columns, continuation lines indented under it.
pub fn table_text() -> String {
    let mut out = Vec::new();
    for (code, meaning) in TABLE {
        let mut line = format!("  {code:>3} ");
        for word in meaning.split(' ') {
            if line.len() + 1 + word.len() > 88 {
                out.push(line);
                line = " ".repeat(6);
            }
            line.push(' ');
            line.push_str(word);
        }
        out.push(line);
    }
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_in_the_table() {
        let kinds = [
            Kind::Internal,
            Kind::Usage,
            Kind::NothingToExtract,
            Kind::Truncated,
            Kind::Auth,
            Kind::RateLimited,
            Kind::Network,
            Kind::Server,
            Kind::Rejected,
            Kind::Gate,
            Kind::Io,
            Kind::Interrupted,
        ];
        for kind in kinds {
            assert!(
                TABLE.iter().any(|(c, _)| *c == kind.exit_code()),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn classify_finds_the_failure_under_context() {
        let err = anyhow::Error::new(usage("bad")).context("while reading");
        assert_eq!(classify(&err).0, Kind::Usage);
        assert_eq!(classify(&anyhow::anyhow!("x")).0, Kind::Internal);
    }
}
