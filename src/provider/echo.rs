//! The offline `echo` model: answers with the prompt it was given, streamed like a real one,
//! so the whole pipeline (persona, snippets, history, output) can be tried with no network.

use std::time::Instant;

use anyhow::Result;

use super::{Answer, ChatRequest, Sink, Usage};
use crate::message::Role;

pub fn complete(req: &ChatRequest, sink: &mut dyn Sink) -> Result<Answer> {
    let started = Instant::now();
    let text = req
        .messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .map(|m| m.content.clone())
        .unwrap_or_default();
    let mut start = 0;
    for (i, _) in text.match_indices('\n') {
        sink.chunk(&text[start..=i])?;
        start = i + 1;
    }
    sink.chunk(&text[start..])?;
    let input: usize = req.messages.iter().map(|m| m.content.len()).sum();
    Ok(Answer {
        usage: Some(Usage {
            input_tokens: crate::models::estimate_tokens_len(input),
            output_tokens: crate::models::estimate_tokens_len(text.len()),
        }),
        text,
        finish_reason: Some("stop".into()),
        truncated: false,
        model: "echo".into(),
        duration: started.elapsed(),
        retries: 0,
    })
}
