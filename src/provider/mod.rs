//! Providers: one file per wire protocol, pure body builders and parsers kept apart from the
//! transport (`crate::transport`, reached through `call`).

pub mod anthropic;
pub mod call;
pub mod echo;
pub mod openai;

use std::time::Duration;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::error::usage;
use crate::message::Message;
use crate::secret::Secret;
use crate::settings::{self, KeySource};
use crate::transport::{HeaderValue, retry};

/// The wire protocols cellmage speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    OpenAi,
    Anthropic,
    Echo,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::OpenAi => "openai",
            Protocol::Anthropic => "anthropic",
            Protocol::Echo => "echo",
        }
    }

    pub fn parse(name: &str) -> Result<Protocol> {
        match name {
            "openai" => Ok(Protocol::OpenAi),
            "anthropic" => Ok(Protocol::Anthropic),
            "echo" => Ok(Protocol::Echo),
            other => Err(usage(format!("unknown provider {other:?}"))
                .hint("use openai, anthropic or echo")
                .into()),
        }
    }
}

/// What is sent: the model's wire name, the messages in order, and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub params: Map<String, Value>,
    pub stream: bool,
    /// Structured output (`--schema`): `{name, schema, strict}`, sent by protocols that
    /// support it natively (OpenAI's `response_format`). See `crate::schema::attach`.
    pub schema: Option<Value>,
}

/// Where and how it is sent.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub protocol: Protocol,
    pub base_url: String,
    pub key: Option<KeySource>,
    pub headers: Vec<(String, Secret)>,
    pub timeout: Duration,
    pub total_timeout: Duration,
    pub retry: retry::Policy,
    pub verbose: u8,
}

impl Endpoint {
    /// The API key, running `api_key_cmd` if that is where it comes from. A missing key is
    /// an error only for the hosted OpenAI and Anthropic APIs; local servers need none.
    pub fn key(&self) -> Result<Option<Secret>> {
        match &self.key {
            Some(KeySource::Value(k)) => Ok(Some(k.clone())),
            Some(KeySource::Command(cmd)) => settings::key_from_command(cmd).map(Some),
            None => match self.protocol {
                Protocol::OpenAi if self.base_url.starts_with(settings::DEFAULT_API_BASE) => Err(usage(
                    "no API key for the OpenAI API",
                )
                .hint("set CELLMAGE_API_KEY or OPENAI_API_KEY, or api_key_cmd in the config; --model echo works offline")
                .into()),
                Protocol::Anthropic
                    if self.base_url.starts_with(settings::DEFAULT_ANTHROPIC_BASE) =>
                {
                    Err(usage("no API key for the Anthropic API")
                        .hint("set ANTHROPIC_API_KEY, or api_key_env / api_key_cmd in a [models.NAME] table")
                        .into())
                }
                _ => Ok(None),
            },
        }
    }

    pub fn extra_headers(&self) -> Vec<(String, HeaderValue)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::Secret(v.clone())))
            .collect()
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// A complete answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub text: String,
    pub usage: Option<Usage>,
    pub finish_reason: Option<String>,
    /// Cut off by the token limit.
    pub truncated: bool,
    /// The model that answered, as the provider named it.
    pub model: String,
    pub duration: Duration,
    pub retries: u32,
}

/// Where streamed text goes as it arrives.
pub trait Sink {
    fn chunk(&mut self, text: &str) -> std::io::Result<()>;

    /// Whether text has reached the user (stdout) yet. Until it has, a failed attempt is
    /// retried from scratch; a sink that holds the answer back (`-o`, `-x`, `--json`) says no.
    fn shown(&self) -> bool {
        true
    }
}

/// What a stream has delivered so far.
#[derive(Debug, Default)]
pub struct StreamState {
    pub text: String,
    pub finish_reason: Option<String>,
    pub usage: Option<Usage>,
    pub model: Option<String>,
    /// The protocol's end-of-stream marker arrived.
    pub done: bool,
    /// Some text has been handed to the sink: from here on a failure cannot be retried.
    pub emitted: bool,
}

impl StreamState {
    pub fn push(&mut self, text: &str, sink: &mut dyn Sink) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        self.text.push_str(text);
        self.emitted = true;
        sink.chunk(text)?;
        Ok(())
    }

    /// A stream is complete when the protocol said it ended.
    pub fn complete(&self) -> bool {
        self.done || self.finish_reason.is_some()
    }
}

/// A response that is not the protocol: exit 8 with the first bytes of what came.
pub fn protocol_error(what: &str, body: &str) -> anyhow::Error {
    crate::transport::failure::not_the_protocol(what, body, &call::HINTS).into()
}

pub fn complete(req: &ChatRequest, endpoint: &Endpoint, sink: &mut dyn Sink) -> Result<Answer> {
    match endpoint.protocol {
        Protocol::OpenAi => openai::complete(req, endpoint, sink),
        Protocol::Anthropic => anthropic::complete(req, endpoint, sink),
        Protocol::Echo => echo::complete(req, sink),
    }
}

/// The exact request, secrets redacted, for `--dry-run`: the request line and headers, then
/// the body, serialised straight to the output from the borrowed request (a large context
/// is never copied into an intermediate JSON value or string).
pub struct DryRun<'a> {
    pub head: String,
    body: BodyWriter<'a>,
}

/// Writes a request body to the output.
type BodyWriter<'a> = Box<dyn Fn(&mut dyn std::io::Write) -> serde_json::Result<()> + 'a>;

impl DryRun<'_> {
    /// Writes the head, a blank line, then the body as pretty JSON and a newline.
    pub fn write_to(&self, out: &mut dyn std::io::Write) -> Result<()> {
        out.write_all(self.head.as_bytes())?;
        out.write_all(b"\n")?;
        // io::Error::from keeps a broken pipe a broken pipe (main exits 0 on it)
        (self.body)(out).map_err(std::io::Error::from)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

/// Like a real call, warns on stderr when the key would go out unencrypted to another machine.
pub fn describe<'a>(req: &'a ChatRequest, endpoint: &Endpoint) -> DryRun<'a> {
    if let Some(warning) = call::plain_http_warning(endpoint) {
        eprintln!("{warning}");
    }
    let placeholder = endpoint.key.as_ref().map(|_| Secret::new("(redacted)"));
    let openai_body: BodyWriter<'a> =
        Box::new(move |out| serde_json::to_writer_pretty(out, &openai::body(req)));
    let (url, headers, body) = match endpoint.protocol {
        Protocol::Echo => (
            "echo: (offline, no network)".to_string(),
            Vec::new(),
            openai_body,
        ),
        Protocol::OpenAi => (
            openai::url(&endpoint.base_url),
            openai::headers(endpoint, placeholder.as_ref()),
            openai_body,
        ),
        Protocol::Anthropic => (
            anthropic::url(&endpoint.base_url),
            anthropic::headers(endpoint, placeholder.as_ref()),
            Box::new(move |out: &mut dyn std::io::Write| {
                serde_json::to_writer_pretty(out, &anthropic::body(req))
            }) as BodyWriter<'a>,
        ),
    };
    let mut head = format!("POST {url}\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {}\n", value.redacted()));
    }
    DryRun { head, body }
}
