//! Each file once: when a conversation carries several copies of a snippet with the same
//! label, one is sent in full and the others as a one-line stub naming it. The copy sent
//! in full is the earliest of the copies that match the newest, so that a snippet sent
//! again unchanged leaves the earlier request a prefix of the new one (a provider's prompt
//! cache reads it); a changed snippet is sent in full where it is new, and its older
//! versions become stubs. Stdin has no stable identity and is always sent as it is.

use std::collections::BTreeMap;

use crate::message::Message;

/// The stub for a copy older than the one sent in full.
pub fn older(label: &str) -> String {
    format!("File: {label} (an older version; the current one is below)")
}

/// The stub for a copy that repeats the one sent in full above it. It is what the record
/// keeps for that copy (the record keeps what was sent), and is read back as a copy of
/// the one before it.
pub fn unchanged(label: &str) -> String {
    format!("File: {label} (unchanged; the same content is above)")
}

/// Stubs the repeated snippets of the history and of this call's messages, in place.
pub fn send_each_once(history: &mut [Message], new: &mut [Message]) {
    let mut copies: BTreeMap<String, Vec<&mut Message>> = BTreeMap::new();
    for m in history.iter_mut().chain(new.iter_mut()) {
        if let Some(origin) = m.snippet.as_ref().filter(|o| o.kind != "stdin") {
            copies.entry(origin.label.clone()).or_default().push(m);
        }
    }
    for (label, mut copies) in copies {
        if copies.len() < 2 {
            continue;
        }
        let repeat = unchanged(&label);
        // what each copy stands for: a recorded "unchanged" stub is the copy before it
        let mut contents: Vec<String> = Vec::with_capacity(copies.len());
        for m in &copies {
            let content = match contents.last() {
                Some(before) if m.content == repeat => before.clone(),
                _ => m.content.clone(),
            };
            contents.push(content);
        }
        let newest = contents.last().cloned().unwrap_or_default();
        let run = contents.iter().rev().take_while(|c| **c == newest).count();
        let kept = copies.len() - run;
        for (i, m) in copies.iter_mut().enumerate() {
            if i < kept {
                m.content = older(&label);
            } else if i > kept {
                m.content = repeat.clone();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Snippet;
    use crate::message::Role;

    fn file(label: &str, text: &str) -> Message {
        Snippet::new("file", label, text).into_message(Role::User)
    }

    fn contents(messages: &[Message]) -> Vec<&str> {
        messages.iter().map(|m| m.content.as_str()).collect()
    }

    #[test]
    fn an_unchanged_file_is_sent_once_where_it_first_was() {
        let v1 = file("a.py", "x = 1\n");
        let mut history = vec![v1.clone(), Message::new(Role::User, "q1")];
        let mut new = vec![v1.clone(), file("b.py", "y\n")];
        send_each_once(&mut history, &mut new);
        assert_eq!(contents(&history), [v1.content.as_str(), "q1"]);
        assert_eq!(new[0].content, unchanged("a.py"));
        assert_eq!(new[0].label(), Some("a.py"));
        assert_eq!(new[1].content, file("b.py", "y\n").content);
        // recorded as a stub, read back as the copy before it
        let mut history = vec![v1.clone(), new[0].clone()];
        let mut again = vec![v1.clone()];
        send_each_once(&mut history, &mut again);
        assert_eq!(history[0].content, v1.content);
        assert_eq!(again[0].content, unchanged("a.py"));
    }

    #[test]
    fn a_changed_file_is_sent_where_it_is_new_and_older_copies_are_stubs() {
        let v1 = file("a.py", "x = 1\n");
        let v2 = file("a.py", "x = 2\n");
        let mut history = vec![v1.clone(), v1.clone(), Message::new(Role::User, "q")];
        let mut new = vec![v2.clone()];
        send_each_once(&mut history, &mut new);
        assert_eq!(
            contents(&history),
            [older("a.py").as_str(), &older("a.py"), "q"]
        );
        assert_eq!(new[0].content, v2.content);
    }

    #[test]
    fn stdin_and_plain_messages_are_left_alone() {
        let stdin = Snippet::new("stdin", "stdin", "data").into_message(Role::User);
        let mut history = vec![stdin.clone(), Message::new(Role::User, "q")];
        let mut new = vec![stdin.clone(), Message::new(Role::User, "q")];
        send_each_once(&mut history, &mut new);
        assert_eq!(history[0], stdin);
        assert_eq!(new[0], stdin);
    }
}
