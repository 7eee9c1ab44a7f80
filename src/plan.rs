//! Assembling the request: persona system prompt + system snippets + history + snippets +
//! prompt; model, provider and parameter resolution.

use anyhow::Result;
use serde_json::{Value, json};

use crate::context::Input;
use crate::message::{Message, Role};
use crate::persona::Persona;
use crate::provider::{ChatRequest, Endpoint, Protocol, retry};
use crate::settings::{Settings, Source, Sourced};

/// What one call will do.
#[derive(Debug)]
pub struct Plan {
    pub request: ChatRequest,
    pub endpoint: Endpoint,
    /// The model as the user named it (before alias resolution).
    pub model: Sourced<String>,
    /// The messages this call adds to the conversation (snippets and prompt).
    pub new_messages: Vec<Message>,
    pub persona: Option<String>,
}

/// Flags beat the persona's front matter; the persona beats environment and config.
fn model_of(settings: &Settings, persona: Option<&Persona>) -> Sourced<String> {
    match (
        persona.and_then(|p| p.model.clone()),
        &settings.model.source,
    ) {
        (Some(model), source) if !matches!(source, Source::Flag(_)) => Sourced::new(
            model,
            Source::Persona(persona.map(|p| p.name.clone()).unwrap_or_default()),
        ),
        _ => settings.model.clone(),
    }
}

fn protocol_of(settings: &Settings, wire_model: &str) -> Result<Protocol> {
    match &settings.provider {
        Some(p) => Protocol::parse(&p.value),
        None if wire_model == "echo" => Ok(Protocol::Echo),
        None => Ok(Protocol::OpenAi),
    }
}

/// Request parameters: persona front matter, then config/`--param`, then the named flags.
fn params_of(settings: &Settings, persona: Option<&Persona>) -> serde_json::Map<String, Value> {
    let mut params = persona.map(|p| p.params.clone()).unwrap_or_default();
    let persona_temp = persona.and_then(|p| p.temperature);
    if let Some(t) = persona_temp {
        params.insert("temperature".into(), json!(t));
    }
    params.extend(settings.params.clone());
    if let Some(t) = &settings.temperature {
        if matches!(t.source, Source::Flag(_)) || persona_temp.is_none() {
            params.insert("temperature".into(), json!(t.value));
        }
    }
    if let Some(n) = &settings.max_tokens {
        params.insert("max_tokens".into(), json!(n.value));
    }
    params
}

pub fn build(
    settings: &Settings,
    persona: Option<&Persona>,
    input: Input,
    history: &[Message],
) -> Result<Plan> {
    let model = model_of(settings, persona);
    let wire_model = crate::models::resolve_alias(&model.value, &settings.aliases).to_string();
    let protocol = protocol_of(settings, &wire_model)?;
    let mut new_messages = input.snippets;
    new_messages.push(Message::new(Role::User, input.prompt));
    let messages: Vec<Message> = persona
        .filter(|p| !p.system.is_empty())
        .map(|p| Message::new(Role::System, p.system.clone()))
        .into_iter()
        .chain(input.system_snippets)
        .chain(history.iter().cloned())
        .chain(new_messages.iter().cloned())
        .collect();
    let endpoint = Endpoint {
        protocol,
        base_url: settings.api_base.value.clone(),
        key: settings.api_key.as_ref().map(|k| k.value.clone()),
        headers: settings.headers.clone(),
        timeout: settings.timeout.value,
        total_timeout: settings.total_timeout.value,
        retry: retry::Policy {
            retries: settings.retries.value,
            base: settings.retry_backoff,
            max_wait: settings.retry_max_wait,
        },
        verbose: settings.output.verbose,
    };
    Ok(Plan {
        request: ChatRequest {
            model: wire_model,
            messages,
            params: params_of(settings, persona),
            stream: settings.stream.value,
            schema: None,
        },
        endpoint,
        model,
        new_messages,
        persona: persona.map(|p| p.name.clone()),
    })
}
