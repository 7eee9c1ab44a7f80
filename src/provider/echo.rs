//! The offline `echo` model: answers with the prompt it was given, streamed like a real one,
//! so the whole pipeline (persona, snippets, history, output) can be tried with no network.

use std::time::Instant;

use anyhow::Result;
use serde_json::Value;

use super::{
    Answer, Capabilities, ChatRequest, Endpoint, ModelSpec, Provider, Sink, StreamState, Usage,
    call::Whole, openai, protocol_error,
};
use crate::message::Role;
use crate::secret::Secret;

/// The offline provider.
pub struct Echo;

impl Provider for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }
    fn title(&self) -> &'static str {
        "echo"
    }
    fn default_base(&self) -> Option<&'static str> {
        None
    }
    fn models(&self) -> &'static [ModelSpec] {
        // no window, and free
        &[ModelSpec {
            names: &["echo"],
            window: None,
            max_output: None,
            input_price: 0.0,
            output_price: 0.0,
        }]
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            offline: true,
            ..Capabilities::default()
        }
    }
    fn url(&self, _base: &str) -> String {
        "echo: (offline, no network)".into()
    }
    fn headers(
        &self,
        _: &Endpoint,
        _: Option<&Secret>,
    ) -> Vec<(String, crate::transport::HeaderValue)> {
        Vec::new()
    }
    /// What would be sent: the OpenAI body.
    fn write_body(
        &self,
        req: &ChatRequest,
        out: &mut dyn std::io::Write,
        pretty: bool,
    ) -> serde_json::Result<()> {
        super::write_json(out, &openai::body(req), pretty)
    }
    fn parse_response(&self, v: &Value) -> Result<Whole> {
        Err(protocol_error("echo reads no responses", &v.to_string()))
    }
    fn apply_event(&self, _: &mut StreamState, data: &str, _: &mut dyn Sink) -> Result<()> {
        Err(protocol_error("echo reads no streams", data))
    }
    fn complete(&self, req: &ChatRequest, _: &Endpoint, sink: &mut dyn Sink) -> Result<Answer> {
        complete(req, sink)
    }
}

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
