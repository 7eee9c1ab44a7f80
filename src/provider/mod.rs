//! Providers: one file per provider, registered by one line in [`REGISTRY`]. Each declares
//! what the rest of cellmage needs to know (name, default base URL, key and base variables,
//! model-name prefixes, built-in models and prices, capabilities) and builds and parses its
//! own requests; the transport (`crate::transport`, reached through `call`) is shared. Nothing outside a provider's file matches
//! on which provider it is: callers ask the trait.

pub mod anthropic;
pub mod call;
pub mod echo;
pub mod gemini;
pub mod llamacpp;
pub mod lmstudio;
pub mod ollama;
pub mod openai;
pub mod vllm;

use std::time::Duration;

use anyhow::Result;
use serde_json::{Map, Value};

use crate::error::usage;
use crate::message::Message;
use crate::secret::Secret;
use crate::settings::{self, KeySource};
use crate::transport::{HeaderValue, retry};

/// Every provider, in the order `cellmage config` and `cellmage models` list them. The first
/// is the one for model names no provider claims (an OpenAI-compatible server). Adding a
/// provider: a new file (implementing [`Provider`], or for a server that speaks OpenAI's
/// protocol one `openai::Compatible` value), its `mod` line, and one line here.
pub static REGISTRY: &[&'static dyn Provider] = &[
    &openai::OPENAI,
    &anthropic::Anthropic,
    &gemini::GEMINI,
    &ollama::OLLAMA,
    &llamacpp::LLAMACPP,
    &lmstudio::LMSTUDIO,
    &vllm::VLLM,
    &echo::Echo,
];

/// A provider as the registry holds it.
pub type ProviderRef = &'static dyn Provider;

/// The environment variables a provider's key and base URL come from, first set wins.
#[derive(Clone, Copy, Debug, Default)]
pub struct Variables {
    pub key: &'static [&'static str],
    pub base: &'static [&'static str],
    /// The config's own `api_base`, `api_key_env`, `api_key` and `api_key_cmd` (below the
    /// variables) apply to this provider. (`--api-base` applies to every provider.)
    pub config: bool,
}

/// What a provider, or one of its models, can do. Plain data: a provider declares it, a
/// model may differ (`Provider::model_capabilities`), and a `[models.NAME]` table may
/// override any of it (`models::CapabilityOverrides`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Images in messages.
    pub vision: bool,
    /// Native structured output: the body carries `ChatRequest.schema` (OpenAI's
    /// `response_format`, Anthropic's forced tool call); otherwise the schema travels as a
    /// system instruction.
    pub json_schema: bool,
    /// How the server takes structured output.
    pub structured: StructuredDialect,
    /// A reasoning model: takes a reasoning effort (`--reasoning`).
    pub reasoning: bool,
    /// Takes sampling parameters (temperature, top_p, penalties, logprobs); OpenAI's
    /// reasoning models refuse them.
    pub temperature: bool,
    /// The name of the answer's token limit on the wire.
    pub token_limit: TokenLimit,
    /// Prompt caching (cached input is billed at a lower price).
    pub prompt_caching: bool,
    /// The API refuses a request without `max_tokens` (see [`max_tokens_default`]).
    pub requires_max_tokens: bool,
    /// A server on the user's own machine: no key and no price (a configured price wins).
    pub local: bool,
    /// Answers with no network and no key.
    pub offline: bool,
}

impl Capabilities {
    /// A plain chat model: sampling parameters, `max_tokens`, nothing else.
    pub const CHAT: Capabilities = Capabilities {
        vision: false,
        json_schema: false,
        structured: StructuredDialect::Prompt,
        reasoning: false,
        temperature: true,
        token_limit: TokenLimit::MaxTokens,
        prompt_caching: false,
        requires_max_tokens: false,
        local: false,
        offline: false,
    };

    /// An OpenAI reasoning model's capabilities (o-series, gpt-5 family): a reasoning
    /// effort, `max_completion_tokens`, no sampling parameters.
    pub const fn openai_reasoning(self) -> Capabilities {
        Capabilities {
            reasoning: true,
            temperature: false,
            token_limit: TokenLimit::MaxCompletionTokens,
            ..self
        }
    }
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities::CHAT
    }
}

/// How a server takes structured output (`--schema`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StructuredDialect {
    /// `response_format: {type: "json_schema", json_schema: {name, schema, strict}}`.
    JsonSchema,
    /// `response_format: {type: "json_object", schema}` (llama.cpp's server and
    /// llama-cpp-python take the schema beside `json_object`).
    JsonObjectSchema,
    /// No native structured output: the schema travels as a system instruction.
    Prompt,
}

/// The request parameter that bounds the answer's tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenLimit {
    MaxTokens,
    /// OpenAI's reasoning models refuse `max_tokens`.
    MaxCompletionTokens,
}

impl TokenLimit {
    pub fn param(self) -> &'static str {
        match self {
            TokenLimit::MaxTokens => "max_tokens",
            TokenLimit::MaxCompletionTokens => "max_completion_tokens",
        }
    }

    pub fn from_param(name: &str) -> Option<TokenLimit> {
        [TokenLimit::MaxTokens, TokenLimit::MaxCompletionTokens]
            .into_iter()
            .find(|t| t.param() == name)
    }
}

/// How long a reasoning model thinks (`--reasoning`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Effort {
    Low,
    Medium,
    High,
}

impl Effort {
    pub fn as_str(self) -> &'static str {
        match self {
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }

    pub fn parse(text: &str) -> Option<Effort> {
        [Effort::Low, Effort::Medium, Effort::High]
            .into_iter()
            .find(|e| e.as_str() == text.trim())
    }
}

/// The sampling parameters OpenAI's reasoning models refuse (OpenAI's reasoning guide,
/// "unsupported parameters"; as read 2026-12-02).
pub const SAMPLING_PARAMS: &[&str] = &[
    "temperature",
    "top_p",
    "presence_penalty",
    "frequency_penalty",
    "logprobs",
    "top_logprobs",
    "logit_bias",
];

/// One built-in model: its names (the first is the one listed), context window and maximum
/// output in tokens, and USD prices per million input and output tokens.
#[derive(Debug)]
pub struct ModelSpec {
    pub names: &'static [&'static str],
    pub window: Option<u64>,
    pub max_output: Option<u64>,
    pub input_price: f64,
    pub output_price: f64,
}

/// USD per million input tokens read from and written to a provider's prompt cache.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CachePrices {
    pub read: f64,
    pub write: f64,
}

/// A hosted model with a known window, output limit and `(input, output)` prices.
pub const fn model(
    names: &'static [&'static str],
    window: u64,
    max_output: u64,
    (input_price, output_price): (f64, f64),
) -> ModelSpec {
    ModelSpec {
        names,
        window: Some(window),
        max_output: Some(max_output),
        input_price,
        output_price,
    }
}

/// A provider: what it declares, and how it builds and reads its requests.
pub trait Provider: Sync {
    /// The name `--provider`, config and the record use.
    fn name(&self) -> &'static str;
    /// The name people know the API by, for messages ("the OpenAI API").
    fn title(&self) -> &'static str;
    /// Where requests go when nothing else says; `None` for an offline provider.
    fn default_base(&self) -> Option<&'static str>;
    fn variables(&self) -> Variables {
        Variables::default()
    }
    /// Model names that belong to this provider (`claude-`).
    fn model_prefixes(&self) -> &'static [&'static str] {
        &[]
    }
    fn models(&self) -> &'static [ModelSpec] {
        &[]
    }
    fn capabilities(&self) -> Capabilities;
    /// What a model's input tokens cost when read from or written to the prompt cache;
    /// the input price unless the provider discounts them.
    fn cache_prices(&self, model: &ModelSpec) -> CachePrices {
        CachePrices {
            read: model.input_price,
            write: model.input_price,
        }
    }
    /// One model's capabilities, where a model differs from its provider (a reasoning model
    /// that takes `max_completion_tokens` and no temperature); the provider's by default.
    fn model_capabilities(&self, _model: &str) -> Capabilities {
        self.capabilities()
    }
    /// The largest image the API accepts, base64 included; `None`: no known limit.
    fn max_image_bytes(&self) -> Option<usize> {
        None
    }
    /// Puts a reasoning effort on a reasoning model's request; returns the parameters it had
    /// to drop. OpenAI's protocol takes `reasoning_effort`.
    fn apply_reasoning(
        &self,
        _model: &str,
        effort: Effort,
        params: &mut Map<String, Value>,
    ) -> Vec<String> {
        params.insert("reasoning_effort".into(), Value::from(effort.as_str()));
        Vec::new()
    }
    /// The reasoning text of a whole (non-streaming) response, which is never the answer.
    fn parse_reasoning(&self, _v: &Value) -> Option<String> {
        None
    }
    /// The hint when the hosted API is called with no key.
    fn missing_key_hint(&self) -> &'static str {
        ""
    }
    /// Who the key is for, in the authentication hint ("for Claude").
    fn key_for(&self) -> Option<&'static str> {
        None
    }
    /// The provider's batch API (`cellmage batch`), if it has one; without, batches run
    /// with `--local`.
    fn batch(&self) -> Option<&'static dyn crate::batch::api::BatchApi> {
        None
    }
    /// The request URL from the base URL.
    fn url(&self, base: &str) -> String;
    /// The request headers, `key` being the real key or a redacted placeholder.
    fn headers(&self, endpoint: &Endpoint, key: Option<&Secret>) -> Vec<(String, HeaderValue)>;
    /// Writes the request body, byte for byte what is sent (`pretty` for `--dry-run`).
    fn write_body(
        &self,
        req: &ChatRequest,
        out: &mut dyn std::io::Write,
        pretty: bool,
    ) -> serde_json::Result<()>;
    /// A whole (non-streaming) response.
    fn parse_response(&self, v: &Value) -> Result<call::Whole>;
    /// Applies one streamed event to the stream state.
    fn apply_event(&self, state: &mut StreamState, data: &str, sink: &mut dyn Sink) -> Result<()>;

    /// The call itself, through the shared transport.
    fn complete(
        &self,
        req: &ChatRequest,
        endpoint: &Endpoint,
        sink: &mut dyn Sink,
    ) -> Result<Answer> {
        let key = endpoint.key()?;
        let mut body = Vec::new();
        self.write_body(req, &mut body, false)?;
        let exchange = crate::transport::Request::post(
            self.url(&endpoint.base_url),
            self.headers(endpoint, key.as_ref()),
            String::from_utf8(body)?,
        );
        let outcome = call::call(
            &exchange,
            endpoint,
            sink,
            &mut |state, event, sink| self.apply_event(state, &event.data, sink),
            &|v| self.parse_response(v),
            &|v| self.parse_reasoning(v),
        )?;
        Ok(outcome.into_answer(&req.model))
    }
}

impl std::fmt::Debug for dyn Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn Provider {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

/// The provider of a name; an unknown name is a usage error listing the registry.
pub fn by_name(name: &str) -> Result<ProviderRef> {
    REGISTRY
        .iter()
        .copied()
        .find(|p| p.name() == name)
        .ok_or_else(|| {
            usage(format!("unknown provider {name:?}"))
                .hint(format!("use {}", names_list()))
                .into()
        })
}

/// `--provider`'s possible values, from the registry (for `--help` and completions).
pub fn names_parser() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(REGISTRY.iter().map(|p| p.name()))
}

/// `openai, anthropic or echo`.
fn names_list() -> String {
    let names: Vec<&str> = REGISTRY.iter().map(|p| p.name()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The provider a model name implies when nothing names one: the provider whose prefix it
/// has, else the first in the registry.
pub fn for_model_name(name: &str) -> ProviderRef {
    REGISTRY
        .iter()
        .copied()
        .find(|p| p.model_prefixes().iter().any(|pre| name.starts_with(pre)))
        .unwrap_or(REGISTRY[0])
}

/// Whether a model name belongs to a family: `o3` holds `o3`, `o3-mini`, `o3-2025-04-16` and
/// a gateway's `openai/o3`; `gpt-5` holds `gpt-5.1` and `gpt-5-mini`, not `gpt-50`.
pub fn in_family(model: &str, family: &str) -> bool {
    let model = model.rsplit('/').next().unwrap_or(model);
    model
        .strip_prefix(family)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
}

/// Every built-in model with its provider.
pub fn builtin_models() -> impl Iterator<Item = (ProviderRef, &'static ModelSpec)> {
    REGISTRY
        .iter()
        .flat_map(|p| p.models().iter().map(move |m| (*p, m)))
}

/// Writes a body compactly, or pretty for `--dry-run`.
pub fn write_json<T: serde::Serialize>(
    out: &mut dyn std::io::Write,
    value: &T,
    pretty: bool,
) -> serde_json::Result<()> {
    if pretty {
        serde_json::to_writer_pretty(out, value)
    } else {
        serde_json::to_writer(out, value)
    }
}

/// The one parameter policy, applied to a request's parameters for a model with these
/// capabilities: the token limit under the name the model takes (a default where the
/// provider requires one), no sampling parameters for a model that refuses them, and the
/// reasoning effort where the model reasons. Returns a note on each change, for `-v`.
pub fn fit_params(
    provider: ProviderRef,
    model: &str,
    caps: Capabilities,
    params: &mut Map<String, Value>,
    reasoning: Option<Effort>,
    max_output: Option<u64>,
) -> Vec<String> {
    let mut notes = Vec::new();
    let limit = caps.token_limit.param();
    if caps.token_limit == TokenLimit::MaxCompletionTokens
        && let Some(n) = params.remove("max_tokens")
    {
        notes.push(format!(
            "max_tokens sent as {limit} (the model refuses max_tokens)"
        ));
        params.entry(limit).or_insert(n);
    }
    if !params.contains_key(limit)
        && let Some(n) = max_tokens_default(caps, max_output)
    {
        params.insert(limit.into(), Value::from(n));
    }
    let mut dropped: Vec<String> = Vec::new();
    if !caps.temperature {
        dropped.extend(
            SAMPLING_PARAMS
                .iter()
                .filter(|k| params.remove(**k).is_some())
                .map(|k| k.to_string()),
        );
    }
    match reasoning {
        Some(effort) if caps.reasoning => dropped.extend(provider.apply_reasoning(model, effort, params)),
        Some(effort) => notes.push(format!(
            "--reasoning {} not sent: the model does not reason (set reasoning = true in its [models.NAME] table if it does)",
            effort.as_str()
        )),
        None => {}
    }
    if !dropped.is_empty() {
        notes.push(format!(
            "not sent, as the model refuses them: {}",
            dropped.join(", ")
        ));
    }
    notes
}

/// `max_tokens` when the request names none and the provider requires one.
pub const DEFAULT_MAX_TOKENS: u64 = 4096;

/// The one `max_tokens` policy: a provider that requires it gets the model's maximum
/// output, else [`DEFAULT_MAX_TOKENS`]; other providers get none unless asked.
pub fn max_tokens_default(caps: Capabilities, max_output: Option<u64>) -> Option<u64> {
    caps.requires_max_tokens
        .then(|| max_output.unwrap_or(DEFAULT_MAX_TOKENS))
}

/// The authentication hint: every provider's key variables.
pub fn key_hint() -> &'static str {
    static HINT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HINT.get_or_init(|| {
        let keys: Vec<String> = REGISTRY
            .iter()
            .filter(|p| !p.variables().key.is_empty())
            .map(|p| {
                let vars = p.variables().key.join(" / ");
                match p.key_for() {
                    Some(who) => format!("{vars} for {who}"),
                    None => vars,
                }
            })
            .collect();
        format!("check the key: {}, or api_key_cmd", keys.join(", "))
    })
}

/// What is sent: the model's wire name, the messages in order, and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct ChatRequest {
    pub model: String,
    pub messages: Vec<Message>,
    pub params: Map<String, Value>,
    pub stream: bool,
    /// How many of the last messages this call adds (its snippets and prompt, and a
    /// schema retry's two); the messages before them are the system prompt and history.
    pub new_count: usize,
    /// Structured output (`--schema`), sent by protocols that support it natively. See
    /// `crate::schema::attach`.
    pub schema: Option<StructuredOutput>,
}

/// A schema as the request carries it.
#[derive(Clone, Debug, PartialEq)]
pub struct StructuredOutput {
    /// The name the provider is told (`[A-Za-z0-9_-]{1,64}`).
    pub name: String,
    /// The schema as given.
    pub schema: Value,
    /// The same meaning in the form OpenAI's strict mode accepts, when one exists.
    pub strict: Option<Value>,
    pub form: Form,
}

/// How a chat-completions server is asked for JSON: the forms cellmage falls back through,
/// in order, when a server refuses one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// `{"type": "json_schema", "json_schema": {name, schema, strict}}`, strict when the
    /// schema has a strict form.
    JsonSchema,
    /// The same, `strict: false` (a server refused the strict form).
    JsonSchemaLoose,
    /// `{"type": "json_object", "schema": …}`, as llama-cpp-python takes it.
    JsonObjectSchema,
    /// `{"type": "json_object"}`, the schema in a system message.
    JsonObject,
}

/// Where and how it is sent.
#[derive(Clone, Debug)]
pub struct Endpoint {
    pub provider: ProviderRef,
    pub base_url: String,
    pub key: Option<KeySource>,
    pub headers: Vec<(String, Secret)>,
    pub timeout: Duration,
    pub total_timeout: Duration,
    pub retry: retry::Policy,
    pub verbose: u8,
    /// Which proxy carries which URL.
    pub proxies: crate::transport::proxy::Proxies,
    /// The shared rate budget's directory and client-side limits; `None`: no budget.
    pub rate: Option<crate::budget::RateConfig>,
}

impl Endpoint {
    /// The API key, running `api_key_cmd` if that is where it comes from. A missing key is
    /// an error only for a hosted API that takes one; local servers need none.
    pub fn key(&self) -> Result<Option<Secret>> {
        match &self.key {
            Some(KeySource::Value(k)) => Ok(Some(k.clone())),
            Some(KeySource::Command(cmd)) => {
                settings::key_from_command(cmd, self.timeout).map(Some)
            }
            None => {
                let p = self.provider;
                let hosted = p
                    .default_base()
                    .is_some_and(|base| self.base_url.starts_with(base));
                if hosted && !p.variables().key.is_empty() {
                    return Err(usage(format!("no API key for the {} API", p.title()))
                        .hint(p.missing_key_hint())
                        .into());
                }
                Ok(None)
            }
        }
    }

    pub fn extra_headers(&self) -> Vec<(String, HeaderValue)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.clone(), HeaderValue::Secret(v.clone())))
            .collect()
    }
}

/// Tokens a call used. `input_tokens` counts every input token, those read from and
/// written to the provider's prompt cache included; the two cache counts say how many of
/// them were which (OpenAI reports reads only: `prompt_tokens_details.cached_tokens`;
/// Anthropic both: `cache_read_input_tokens`, `cache_creation_input_tokens`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cached_input_tokens: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cache_write_tokens: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Usage {
    pub fn new(input_tokens: u64, output_tokens: u64) -> Usage {
        Usage {
            input_tokens,
            output_tokens,
            ..Usage::default()
        }
    }

    /// Both calls' tokens (a schema's corrective retry).
    pub fn plus(self, other: Usage) -> Usage {
        Usage {
            input_tokens: self.input_tokens + other.input_tokens,
            output_tokens: self.output_tokens + other.output_tokens,
            cached_input_tokens: self.cached_input_tokens + other.cached_input_tokens,
            cache_write_tokens: self.cache_write_tokens + other.cache_write_tokens,
        }
    }
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

    /// Reasoning or thinking text as it arrives: never part of the answer (shown on stderr
    /// with `--show-reasoning`).
    fn reasoning(&mut self, _text: &str) -> std::io::Result<()> {
        Ok(())
    }

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
    /// Reasoning or thinking text, kept apart from the answer.
    pub reasoning: String,
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

    /// Reasoning text: to the sink's reasoning, never to the answer.
    pub fn think(&mut self, text: &str, sink: &mut dyn Sink) -> Result<()> {
        if text.is_empty() {
            return Ok(());
        }
        self.reasoning.push_str(text);
        sink.reasoning(text)?;
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
    endpoint.provider.complete(req, endpoint, sink)
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
    let provider = endpoint.provider;
    let url = provider.url(&endpoint.base_url);
    let headers = provider.headers(endpoint, placeholder.as_ref());
    let body: BodyWriter<'a> = Box::new(move |out| provider.write_body(req, out, true));
    let mut head = format!("POST {url}\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {}\n", value.redacted()));
    }
    DryRun { head, body }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_is_consistent() {
        let mut names: Vec<&str> = REGISTRY.iter().map(|p| p.name()).collect();
        names.dedup();
        assert_eq!(
            names,
            [
                "openai",
                "anthropic",
                "gemini",
                "ollama",
                "llamacpp",
                "lmstudio",
                "vllm",
                "echo"
            ]
        );
        let mut models: Vec<&str> = builtin_models()
            .flat_map(|(_, m)| m.names.iter().copied())
            .collect();
        let count = models.len();
        models.sort_unstable();
        models.dedup();
        assert_eq!(models.len(), count, "a model name is listed twice");
        for p in REGISTRY {
            let caps = p.capabilities();
            assert_eq!(p.default_base().is_none(), caps.offline, "{}", p.name());
            assert!(by_name(p.name()).is_ok_and(|q| q == *p));
        }
        assert!(by_name("gemini").is_ok());
        assert!(by_name("bard").is_err());
    }

    #[test]
    fn model_names_pick_a_provider_by_prefix_else_the_first() {
        assert_eq!(for_model_name("claude-next").name(), "anthropic");
        assert_eq!(for_model_name("llama3").name(), "openai");
        assert_eq!(for_model_name("gemini-2.5-pro").name(), "gemini");
        assert_eq!(
            names_list(),
            "openai, anthropic, gemini, ollama, llamacpp, lmstudio, vllm or echo"
        );
    }

    #[test]
    fn max_tokens_only_where_required() {
        assert_eq!(
            max_tokens_default(anthropic::Anthropic.capabilities(), Some(10)),
            Some(10)
        );
        assert_eq!(
            max_tokens_default(anthropic::Anthropic.capabilities(), None),
            Some(DEFAULT_MAX_TOKENS)
        );
        assert_eq!(
            max_tokens_default(openai::OPENAI.capabilities(), Some(10)),
            None
        );
    }

    /// A local-server preset as a new file would declare it: no key, no price.
    static LOCAL: openai::Compatible = openai::Compatible {
        name: "local",
        title: "local server",
        default_base: Some("http://localhost:11434/v1"),
        variables: Variables {
            key: &[],
            base: &["LOCAL_HOST"],
            config: false,
        },
        model_prefixes: &[],
        models: &[],
        capabilities: Capabilities {
            local: true,
            ..Capabilities::CHAT
        },
        reasoning_models: &[],
        missing_key_hint: "",
        key_for: None,
    };

    fn endpoint(provider: ProviderRef) -> Endpoint {
        Endpoint {
            provider,
            base_url: provider.default_base().unwrap_or_default().to_string(),
            key: None,
            headers: Vec::new(),
            timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(1),
            retry: retry::Policy {
                retries: 0,
                base: Duration::from_secs(1),
                max_wait: Duration::from_secs(1),
            },
            verbose: 0,
            proxies: Default::default(),
            rate: None,
        }
    }

    #[test]
    fn only_a_hosted_api_that_takes_a_key_needs_one() {
        assert!(endpoint(&LOCAL).key().unwrap().is_none());
        assert!(endpoint(&echo::Echo).key().unwrap().is_none());
        let err = endpoint(&openai::OPENAI).key().unwrap_err();
        assert_eq!(err.to_string(), "no API key for the OpenAI API");
        let err = endpoint(&anthropic::Anthropic).key().unwrap_err();
        assert_eq!(err.to_string(), "no API key for the Anthropic API");
        let mut elsewhere = endpoint(&openai::OPENAI);
        elsewhere.base_url = "http://127.0.0.1:8080/v1".into();
        assert!(elsewhere.key().unwrap().is_none());
        assert_eq!(
            LOCAL.url("http://localhost:11434/v1/"),
            "http://localhost:11434/v1/chat/completions"
        );
    }

    #[test]
    fn reasoning_models_take_max_completion_tokens_and_no_sampling() {
        let caps = openai::OPENAI.model_capabilities("o3-mini-2025-01-31");
        assert!(caps.reasoning && !caps.temperature);
        assert!(openai::OPENAI.model_capabilities("gpt-5.1").reasoning);
        assert!(!openai::OPENAI.model_capabilities("gpt-4.1").reasoning);
        assert!(!openai::OPENAI.model_capabilities("o30").reasoning);
        let mut params: Map<String, Value> =
            serde_json::from_str(r#"{"temperature":0.2,"top_p":0.9,"max_tokens":100,"seed":1}"#)
                .unwrap();
        let notes = fit_params(
            &openai::OPENAI,
            "o3",
            caps,
            &mut params,
            Some(Effort::High),
            None,
        );
        assert_eq!(
            Value::Object(params),
            serde_json::json!({"seed": 1, "max_completion_tokens": 100, "reasoning_effort": "high"})
        );
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[1].ends_with("temperature, top_p"), "{notes:?}");
        // a chat model keeps its parameters and is told nothing of reasoning
        let mut params: Map<String, Value> =
            serde_json::from_str(r#"{"temperature":0.2}"#).unwrap();
        let chat = openai::OPENAI.model_capabilities("gpt-4.1");
        let notes = fit_params(
            &openai::OPENAI,
            "gpt-4.1",
            chat,
            &mut params,
            Some(Effort::Low),
            None,
        );
        assert_eq!(
            Value::Object(params),
            serde_json::json!({"temperature": 0.2})
        );
        assert!(notes[0].contains("does not reason"), "{notes:?}");
    }

    #[test]
    fn claude_thinks_within_max_tokens_and_without_temperature() {
        let caps = anthropic::Anthropic.model_capabilities("claude-sonnet-4-5");
        let mut params: Map<String, Value> =
            serde_json::from_str(r#"{"temperature":0.2,"max_tokens":1000}"#).unwrap();
        fit_params(
            &anthropic::Anthropic,
            "claude-sonnet-4-5",
            caps,
            &mut params,
            Some(Effort::Medium),
            None,
        );
        assert_eq!(
            Value::Object(params),
            serde_json::json!({"max_tokens": 9192,
                "thinking": {"type": "enabled", "budget_tokens": 8192}})
        );
        assert!(
            !anthropic::Anthropic
                .model_capabilities("claude-3-5-haiku-latest")
                .reasoning
        );
        // newer models think adaptively and refuse a budget
        let mut params: Map<String, Value> = serde_json::from_str(r#"{"top_k":5}"#).unwrap();
        let notes = fit_params(
            &anthropic::Anthropic,
            "claude-opus-5-5",
            caps,
            &mut params,
            Some(Effort::Low),
            Some(128_000),
        );
        assert_eq!(
            Value::Object(params),
            serde_json::json!({"max_tokens": 128_000, "thinking": {"type": "adaptive"},
                "output_config": {"effort": "low"}})
        );
        assert!(notes[0].ends_with("top_k"), "{notes:?}");
    }

    #[test]
    fn the_key_hint_names_every_providers_variables() {
        assert_eq!(
            key_hint(),
            "check the key: CELLMAGE_API_KEY / OPENAI_API_KEY, ANTHROPIC_API_KEY for Claude, GEMINI_API_KEY for Gemini, or api_key_cmd"
        );
    }
}
