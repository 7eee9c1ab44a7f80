//! Secrets (API keys, header values) as a newtype that never prints itself.

use std::fmt;

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; only the transport should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of this secret replaced by `(redacted)`. Values too
    /// short to be a key (under 6 characters) are left alone, lest every `a` be scrubbed.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.chars().count() < 6 {
            return text.to_string();
        }
        text.replace(&self.0, "(redacted)")
    }

    /// A hint that tells keys apart without revealing them: `(redacted, 51 chars)`.
    pub fn describe(&self) -> String {
        format!("(redacted, {} chars)", self.0.chars().count())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_itself() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(
            format!("{s} {s:?} {:?}", Some(&s)),
            "(redacted) (redacted) Some((redacted))"
        );
        assert!(!s.describe().contains("secret"));
    }

    #[test]
    fn scrubs_itself_out_of_text() {
        let s = Secret::new("sk-very-secret");
        assert_eq!(
            s.scrub("key sk-very-secret was wrong: sk-very-secret"),
            "key (redacted) was wrong: (redacted)"
        );
        assert_eq!(Secret::new("a").scrub("a cat"), "a cat");
    }
}
