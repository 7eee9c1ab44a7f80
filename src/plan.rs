//! Assembling the request: persona system prompt + system snippets + history + snippets +
//! prompt (each file once: `context::once`); model, provider and parameter resolution; the
//! context-window guard.

use anyhow::Result;
use serde_json::{Value, json};

use crate::context::Input;
use crate::error::usage;
use crate::message::{Message, Role};
use crate::models::{self, ModelInfo};
use crate::persona::Persona;
use crate::provider::{self, Capabilities, ChatRequest, Effort, Endpoint, ProviderRef};
use crate::settings::{KeySource, Settings, Source, Sourced, beneath_flags};
use crate::transport::retry;

/// What one call will do.
#[derive(Debug)]
pub struct Plan {
    pub request: ChatRequest,
    pub endpoint: Endpoint,
    /// What the registry and config know about the model: window, prices.
    pub info: ModelInfo,
    /// What the model can do, as the provider serves it (the registry's, then its table's).
    pub capabilities: Capabilities,
    pub persona: Option<String>,
}

impl Plan {
    /// The messages this call adds to the conversation: the request's last ones. (Counted
    /// from the end, so a system message inserted near the front leaves them in place.)
    pub fn new_messages(&self) -> &[Message] {
        let messages = &self.request.messages;
        &messages[messages.len() - self.request.new_count..]
    }

    /// The call's cost from the usage the provider reported and the price of the model
    /// that answered (`models::priced_as`).
    pub fn cost(&self, answer: &crate::provider::Answer) -> Option<f64> {
        let priced = models::priced_as(&self.info, self.capabilities, &answer.model);
        answer.usage.and_then(|usage| models::cost(&priced, &usage))
    }
}

/// The persona's model, in its place in the precedence.
fn model_of(settings: &Settings, persona: Option<&Persona>) -> Sourced<String> {
    let from_persona = persona.and_then(|p| {
        let model = p.model.clone()?;
        Some(Sourced::new(model, Source::Persona(p.name.clone())))
    });
    beneath_flags(Some(settings.model.clone()), from_persona)
        .unwrap_or_else(|| settings.model.clone())
}

/// The provider: `--provider`, else the model's own table, else `CELLMAGE_PROVIDER` and the
/// config's `provider`, else what the model's name implies.
fn provider_of(settings: &Settings, info: &ModelInfo) -> ProviderRef {
    let from_table = info
        .provider
        .filter(|_| info.origin == "config")
        .map(|p| Sourced::new(p, Source::Model(info.name.clone())));
    beneath_flags(settings.provider.clone(), from_table)
        .map_or_else(|| models::provider_of(info), |p| p.value)
}

/// Where the request goes: `--api-base`, else the model's `base_url`, else the provider's
/// own base (its variables, the config, its default).
fn base_of(settings: &Settings, info: &ModelInfo, provider: ProviderRef) -> String {
    let from_table =
        (info.base_url.clone()).map(|b| Sourced::new(b, Source::Model(info.name.clone())));
    let base = beneath_flags(settings.api_base_flag.clone(), from_table)
        .or_else(|| settings.connection(provider).base.clone());
    base.map(|b| b.value).unwrap_or_default()
}

/// The key: the model's own (`api_key_env`/`api_key_cmd`), else the protocol's.
fn key_of(
    settings: &Settings,
    info: &ModelInfo,
    provider: ProviderRef,
) -> Result<Option<KeySource>> {
    if let Some(key) = &info.key {
        return Ok(Some(key.clone()));
    }
    if let Some(var) = &info.key_env {
        return Err(usage(format!(
            "the environment variable {var} (api_key_env of model {}) is not set",
            info.name
        ))
        .hint(format!(
            "export {var}=..., or change [models.{}] in the config",
            info.name
        ))
        .into());
    }
    let key = &settings.connection(provider).key;
    Ok(key.as_ref().map(|k| k.value.clone()))
}

/// Request parameters: the model's defaults, persona front matter (its temperature
/// included, unless `--temperature` beats it), then config/`--param`, then the named
/// settings. What the model takes is decided after (`provider::fit_params`).
fn params_of(
    settings: &Settings,
    persona: Option<&Persona>,
    info: &ModelInfo,
) -> serde_json::Map<String, Value> {
    let mut params = info.params.clone();
    params.extend(persona.map(|p| p.params.clone()).unwrap_or_default());
    let from_persona = persona.and_then(|p| {
        let t = p.temperature?;
        Some(Sourced::new(t, Source::Persona(p.name.clone())))
    });
    let temperature = beneath_flags(settings.temperature.clone(), from_persona);
    let persona_won = temperature
        .as_ref()
        .is_some_and(|t| matches!(t.source, Source::Persona(_)));
    if let Some(t) = temperature.as_ref().filter(|_| persona_won) {
        params.insert("temperature".into(), json!(t.value));
    }
    params.extend(settings.params.clone());
    if let Some(t) = temperature.filter(|_| !persona_won) {
        params.insert("temperature".into(), json!(t.value));
    }
    if let Some(n) = &settings.max_tokens {
        params.insert("max_tokens".into(), json!(n.value));
    }
    params
}

/// The reasoning effort: `--reasoning`, else the persona's `reasoning` key, else
/// `CELLMAGE_REASONING` and the config's `reasoning`. A persona's key is taken out of the
/// request parameters, where front matter puts it.
fn reasoning_of(
    settings: &Settings,
    persona: Option<&Persona>,
    params: &mut serde_json::Map<String, Value>,
) -> Result<Option<Effort>> {
    let from_persona = match (params.remove("reasoning"), persona) {
        (Some(v), Some(p)) => {
            let effort = v.as_str().and_then(Effort::parse).ok_or_else(|| {
                usage(format!(
                    "persona {}: reasoning must be low, medium or high, not {v}",
                    p.name
                ))
            })?;
            Some(Sourced::new(effort, Source::Persona(p.name.clone())))
        }
        (Some(v), None) => {
            params.insert("reasoning".into(), v);
            None
        }
        (None, _) => None,
    };
    Ok(beneath_flags(settings.reasoning.clone(), from_persona).map(|e| e.value))
}

/// The tokens kept for the answer: the request's own limit, else the model's maximum output.
fn reservation(params: &serde_json::Map<String, Value>, info: &ModelInfo) -> u64 {
    ["max_tokens", "max_completion_tokens", "max_output_tokens"]
        .iter()
        .find_map(|k| params.get(*k).and_then(Value::as_u64))
        .or(info.max_output_tokens)
        .unwrap_or(0)
}

/// The request's messages in order, grouped as the guard reports them.
struct Parts {
    /// The persona's system prompt, `--system`, then system snippets.
    head: Vec<Message>,
    history: Vec<Message>,
    /// Snippets, then the prompt (last).
    new: Vec<Message>,
}

impl Parts {
    /// Every message in order, moved rather than copied (a large context exists once).
    fn into_messages(self) -> Vec<Message> {
        let mut all = self.head;
        all.extend(self.history);
        all.extend(self.new);
        all
    }

    fn tokens(&self) -> u64 {
        models::estimate_messages(self.head.iter().chain(&self.history).chain(&self.new))
    }

    /// Each part's name and estimated tokens, largest first.
    fn contributors(&self, persona: Option<&str>) -> Vec<(String, u64)> {
        let snippet = |kind: &str, m: &Message| {
            let name = match m.label() {
                Some(path) => format!("{kind} {path}"),
                None => kind.to_string(),
            };
            (name, models::estimate_message(m))
        };
        let mut out: Vec<(String, u64)> = Vec::new();
        let has_persona = persona.is_some() && !self.head.is_empty();
        for (i, m) in self.head.iter().enumerate() {
            if i == 0 && has_persona {
                let name = format!("persona {}", persona.unwrap_or_default());
                out.push((name, models::estimate_message(m)));
            } else if m.label().is_none() {
                out.push(("--system".into(), models::estimate_message(m)));
            } else {
                out.push(snippet("system snippet", m));
            }
        }
        if !self.history.is_empty() {
            let n = self.history.len();
            let name = format!("history ({n} message{})", if n == 1 { "" } else { "s" });
            out.push((name, models::estimate_messages(&self.history)));
        }
        if let Some((prompt, snippets)) = self.new.split_last() {
            out.extend(snippets.iter().map(|m| snippet("snippet", m)));
            out.push(("the prompt".into(), models::estimate_message(prompt)));
        }
        out.sort_by_key(|part| std::cmp::Reverse(part.1));
        out
    }
}

/// The history split into exchanges, oldest first: each runs up to and including an
/// assistant message.
fn exchanges(history: &[Message]) -> Vec<&[Message]> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, m) in history.iter().enumerate() {
        if m.role == Role::Assistant {
            out.push(&history[start..=i]);
            start = i + 1;
        }
    }
    if start < history.len() {
        out.push(&history[start..]);
    }
    out
}

/// Drops the oldest `n` exchanges, keeping their system messages in place.
fn drop_exchanges(history: &[Message], n: usize) -> Vec<Message> {
    exchanges(history)
        .iter()
        .enumerate()
        .flat_map(|(i, ex)| ex.iter().filter(move |m| i >= n || m.role == Role::System))
        .cloned()
        .collect()
}

/// Removes the fewest oldest exchanges that make the parts fit `budget` tokens; returns how
/// many were dropped, or `None` when even dropping them all does not fit.
fn trim_to_fit(parts: &mut Parts, budget: u64) -> Option<usize> {
    let full = std::mem::take(&mut parts.history);
    let total = exchanges(&full).len();
    for n in 0..=total {
        parts.history = drop_exchanges(&full, n);
        if parts.tokens() <= budget {
            return Some(n);
        }
    }
    None
}

/// The context guard: the estimated request must fit the model's window less the tokens
/// kept for the answer. Unknown windows are not guarded. With `--trim-history` the oldest
/// exchanges go first (never system messages, never this call's messages).
fn guard(
    parts: &mut Parts,
    info: &ModelInfo,
    reserve: u64,
    settings: &Settings,
    persona: Option<&str>,
) -> Result<()> {
    let Some(window) = info.context_window else {
        return Ok(());
    };
    let budget = window.saturating_sub(reserve);
    let estimate = parts.tokens();
    if estimate <= budget {
        return Ok(());
    }
    let trimmable = exchanges(&parts.history).len();
    if settings.trim_history
        && trimmable > 0
        && let Some(dropped) = trim_to_fit(parts, budget)
    {
        eprintln!(
            "cellmage: --trim-history: dropped the {dropped} oldest of {trimmable} exchanges to fit {}'s context window",
            info.name
        );
        return Ok(());
    }
    Err(over_window(
        parts,
        info,
        window,
        reserve,
        estimate,
        persona,
        settings.trim_history,
    )
    .into())
}

fn over_window(
    parts: &Parts,
    info: &ModelInfo,
    window: u64,
    reserve: u64,
    estimate: u64,
    persona: Option<&str>,
    trimmed: bool,
) -> crate::error::Failure {
    let largest: Vec<String> = parts
        .contributors(persona)
        .into_iter()
        .take(3)
        .map(|(name, tokens)| format!("{name} ~{tokens}"))
        .collect();
    let after = if trimmed { " even without history" } else { "" };
    let hint = if !parts.history.is_empty() && !trimmed {
        "send fewer or smaller snippets, pass --trim-history to drop old exchanges, lower --max-tokens, or pick a model with a larger window"
    } else {
        "send fewer or smaller snippets, lower --max-tokens, or pick a model with a larger window (cellmage models)"
    };
    usage(format!(
        "the request (~{estimate} tokens, estimated){after} does not fit {}'s context window of {window} tokens with {reserve} kept for the answer; largest parts: {}",
        info.name,
        largest.join(", ")
    ))
    .hint(hint)
}

mod images {
    //! Images in the request: loaded for a continued conversation, refused before sending
    //! when the model has no vision or an image is over the provider's limit (exit 2).

    use anyhow::Result;

    use crate::error::usage;
    use crate::message::Message;
    use crate::models::ModelInfo;
    use crate::provider::ProviderRef;
    use crate::settings::Settings;

    pub fn check(
        history: &mut [Message],
        new: &[Message],
        settings: &Settings,
        provider: ProviderRef,
        info: &ModelInfo,
    ) -> Result<()> {
        for image in history.iter_mut().flat_map(|m| m.images.iter_mut()) {
            crate::context::attach::fill(image, &settings.paths.data_dir)?;
        }
        let all = || history.iter().chain(new).flat_map(|m| &m.images);
        if all().next().is_none() {
            return Ok(());
        }
        if !provider.model_capabilities(&info.wire_name).vision {
            return Err(usage(format!("{} does not take images", info.name))
                .hint("pick a model with vision, or leave out --image")
                .into());
        }
        if let Some(limit) = provider.max_image_bytes()
            && let Some(big) = all().find(|i| i.encoded_len() > limit)
        {
            return Err(usage(format!(
                "image {} is too large for {} ({} KiB as base64; the limit is {} KiB)",
                big.name,
                provider.title(),
                big.encoded_len() >> 10,
                limit >> 10
            ))
            .hint("send a smaller or more compressed image")
            .into());
        }
        Ok(())
    }
}

pub fn build(
    settings: &Settings,
    persona: Option<&Persona>,
    input: Input,
    history: &[Message],
) -> Result<Plan> {
    let model = model_of(settings, persona);
    let info = models::lookup(&model.value, &settings.aliases, &settings.models)?;
    let provider = provider_of(settings, &info);
    let mut new_messages = input.snippets;
    let mut prompt = Message::new(Role::User, input.prompt);
    prompt.images = input.images;
    new_messages.push(prompt);
    let mut history = history.to_vec();
    images::check(&mut history, &new_messages, settings, provider, &info)?;
    crate::context::once::send_each_once(&mut history, &mut new_messages);
    let mut parts = Parts {
        head: persona
            .filter(|p| !p.system.is_empty())
            .map(|p| Message::new(Role::System, p.system.clone()))
            .into_iter()
            .chain(
                settings
                    .system
                    .clone()
                    .map(|s| Message::new(Role::System, s)),
            )
            .chain(input.system_snippets)
            .collect(),
        history,
        new: new_messages,
    };
    let capabilities = info.capabilities(provider);
    let mut params = params_of(settings, persona, &info);
    let reasoning = reasoning_of(settings, persona, &mut params)?;
    let notes = provider::fit_params(
        provider,
        &info.wire_name,
        capabilities,
        &mut params,
        reasoning,
        info.max_output_tokens,
    );
    if settings.output.verbose > 0 {
        for note in notes {
            eprintln!("cellmage: note: {}: {note}", info.wire_name);
        }
    }
    let persona_name = persona
        .filter(|p| !p.system.is_empty())
        .map(|p| p.name.as_str());
    guard(
        &mut parts,
        &info,
        reservation(&params, &info),
        settings,
        persona_name,
    )?;
    let new_count = parts.new.len();
    let endpoint = Endpoint {
        provider,
        base_url: base_of(settings, &info, provider),
        key: key_of(settings, &info, provider)?,
        headers: settings.headers.clone(),
        timeout: settings.timeout.value,
        total_timeout: settings.total_timeout.value,
        retry: retry::Policy {
            retries: settings.retries.value,
            base: settings.retry_backoff,
            max_wait: settings.retry_max_wait,
        },
        verbose: settings.output.verbose,
        proxies: settings.proxies.clone(),
        rate: Some(crate::budget::RateConfig {
            dir: settings.paths.data_dir.join("budget"),
            limits: settings.rate_limit_for(&info.name),
            show_wait: settings.output.spinner,
        }),
    };
    Ok(Plan {
        request: ChatRequest {
            model: info.wire_name.clone(),
            messages: parts.into_messages(),
            params,
            stream: settings.stream.value,
            new_count,
            schema: None,
        },
        endpoint,
        info,
        capabilities,
        persona: persona.map(|p| p.name.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(role: Role, text: &str) -> Message {
        Message::new(role, text)
    }

    fn history() -> Vec<Message> {
        vec![
            m(Role::System, "imported system"),
            m(Role::User, "q1"),
            m(Role::Assistant, "a1"),
            m(Role::User, "q2"),
            m(Role::Assistant, "a2"),
            m(Role::User, "q3"),
            m(Role::Assistant, "a3"),
        ]
    }

    #[test]
    fn exchanges_end_at_each_answer() {
        let h = history();
        let ex = exchanges(&h);
        assert_eq!(ex.len(), 3);
        assert_eq!(ex[0].len(), 3);
        assert_eq!(ex[2][0].content, "q3");
    }

    #[test]
    fn dropping_keeps_system_messages() {
        let h = history();
        let contents = |v: Vec<Message>| v.into_iter().map(|m| m.content).collect::<Vec<_>>();
        assert_eq!(
            contents(drop_exchanges(&h, 2)),
            ["imported system", "q3", "a3"]
        );
        assert_eq!(contents(drop_exchanges(&h, 3)), ["imported system"]);
        assert_eq!(contents(drop_exchanges(&h, 0)).len(), 7);
    }

    #[test]
    fn trims_the_fewest_oldest_exchanges() {
        let long = "x".repeat(400);
        let mut parts = Parts {
            head: vec![m(Role::System, "persona")],
            history: vec![
                m(Role::User, &long),
                m(Role::Assistant, &long),
                m(Role::User, "short"),
                m(Role::Assistant, "short"),
            ],
            new: vec![m(Role::User, "prompt")],
        };
        let fits_after_one = parts.tokens() - 2 * (100 + models::MESSAGE_OVERHEAD_TOKENS);
        assert_eq!(trim_to_fit(&mut parts, fits_after_one), Some(1));
        assert_eq!(parts.history.len(), 2);
        let mut parts = Parts {
            history: vec![m(Role::User, "q"), m(Role::Assistant, "a")],
            ..parts
        };
        assert_eq!(trim_to_fit(&mut parts, 1), None);
    }

    #[test]
    fn contributors_name_snippets_history_and_prompt() {
        let parts = Parts {
            head: vec![
                m(Role::System, "be brief"),
                crate::context::Snippet::new("file", "rules.md", "r").into_message(Role::System),
            ],
            history: vec![m(Role::User, "q"), m(Role::Assistant, &"a".repeat(80))],
            new: vec![
                crate::context::Snippet::new("file", "src/big.py", "y".repeat(400))
                    .into_message(Role::User),
                // a text that merely looks like a rendered snippet names no file
                m(Role::User, "File: not/a/label.py\n```\nz\n```"),
                m(Role::User, "why?"),
            ],
        };
        let names: Vec<String> = parts
            .contributors(Some("coder"))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "snippet src/big.py",
                "history (2 messages)",
                "system snippet rules.md",
                "snippet",
                "persona coder",
                "the prompt",
            ]
        );
    }

    #[test]
    fn reservation_prefers_the_request_limit() {
        let info = ModelInfo {
            max_output_tokens: Some(500),
            ..ModelInfo::default()
        };
        let mut params = serde_json::Map::new();
        assert_eq!(reservation(&params, &info), 500);
        params.insert("max_tokens".into(), json!(10));
        assert_eq!(reservation(&params, &info), 10);
        assert_eq!(
            reservation(&serde_json::Map::new(), &ModelInfo::default()),
            0
        );
    }
}
