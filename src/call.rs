//! One call, from persona to recorded answer, for `cellmage` and `cellmage review` alike:
//! plan → schema → `--dry-run` → the provider (validated with a schema) → cost → the
//! receiver (output and status line) → the conversation.

use anyhow::Result;
use serde_json::Value;

use crate::context::Input;
use crate::conversation::{Exchange, Session};
use crate::output::{self, Meta, Printer, StatusLine};
use crate::persona::Persona;
use crate::plan::{self, Plan};
use crate::provider::{self, Answer, Sink};
use crate::schema::{self, Schema};
use crate::settings::{OutputOptions, Settings};

/// What one call is made of, besides its input.
pub struct Call<'a> {
    pub settings: &'a Settings,
    pub persona: Option<&'a Persona>,
    /// The conversation: its history goes into the request, the exchange is recorded in it.
    pub session: &'a Session,
    /// With a schema, the answer is held until it validates (asked for once more if not).
    pub schema: Option<&'a Schema>,
}

/// Where the answer goes as it arrives and once it is complete. Opened only after
/// `--dry-run` is handled, so that its checks (an `-o` directory, say) cost nothing then.
pub trait Receiver: Sink + Sized {
    fn open(output: &OutputOptions) -> Result<Self>;
    /// Shows nothing until the answer is complete (`--schema`).
    fn hold(&mut self);
    /// The complete answer: deliver it, show the status line, fail if it cannot be taken.
    fn finish(self, answer: &Answer, meta: &Meta) -> Result<()>;
}

/// A call's result.
#[derive(Debug)]
pub struct Reply {
    pub answer: Answer,
    /// The validated JSON, when a schema was given and the answer was not cut off.
    pub value: Option<Value>,
    pub cost: Option<f64>,
}

impl Call<'_> {
    /// Makes the call; `None` after `--dry-run`. The exchange is recorded unless the answer
    /// was cut off (and not accepted with `--allow-truncated`).
    pub fn run<R: Receiver>(&self, input: Input) -> Result<Option<Reply>> {
        let history = self.session.history();
        let mut plan = plan::build(self.settings, self.persona, input, history)?;
        if let Some(schema) = self.schema {
            schema::attach(&mut plan.request, plan.endpoint.provider, schema);
        }
        if self.settings.dry_run {
            output::print_dry_run(&provider::describe(&plan.request, &plan.endpoint))?;
            return Ok(None);
        }
        let mut receiver = R::open(&self.settings.output)?;
        let (answer, value) = self.complete(&plan, &mut receiver)?;
        let cost = plan.cost(&answer);
        if !answer.truncated || self.settings.output.allow_truncated {
            self.session.record(&exchange_of(&plan, &answer, cost))?;
        }
        receiver.finish(&answer, &self.meta(&plan, cost))?;
        Ok(Some(Reply {
            answer,
            value,
            cost,
        }))
    }

    /// One provider call, or with a schema a validated one (held until valid).
    fn complete(
        &self,
        plan: &Plan,
        receiver: &mut impl Receiver,
    ) -> Result<(Answer, Option<Value>)> {
        let Some(schema) = self.schema else {
            return Ok((
                provider::complete(&plan.request, &plan.endpoint, receiver)?,
                None,
            ));
        };
        receiver.hold();
        let validated = schema::complete(&plan.request, &plan.endpoint, schema, receiver)?;
        let value = (!validated.answer.truncated).then_some(validated.value);
        Ok((validated.answer, value))
    }

    fn meta(&self, plan: &Plan, cost: Option<f64>) -> Meta {
        Meta {
            conversation: self.session.id().map(str::to_string),
            cost,
            provider: plan.endpoint.provider.name().to_string(),
        }
    }
}

fn exchange_of(plan: &Plan, answer: &Answer, cost: Option<f64>) -> Exchange {
    Exchange {
        time: crate::conversation::now(),
        model: plan.request.model.clone(),
        provider: plan.endpoint.provider.name().to_string(),
        persona: plan.persona.clone(),
        messages: plan.new_messages().to_vec(),
        answer: answer.text.clone(),
        usage: answer.usage,
        finish_reason: answer.finish_reason.clone(),
        cost,
        duration_ms: answer.duration.as_millis() as u64,
    }
}

/// The answer to stdout, `-o`, `-x` or `--write-files`: what `cellmage` does with it.
impl Receiver for Printer {
    fn open(output: &OutputOptions) -> Result<Printer> {
        Printer::new(output)
    }

    fn hold(&mut self) {
        Printer::hold(self)
    }

    fn finish(self, answer: &Answer, meta: &Meta) -> Result<()> {
        Printer::finish(self, answer, meta)
    }
}

/// Nothing shown: the caller uses the answer itself (`cellmage review` renders findings).
/// Only the status line and the cut-off check remain; a cut-off answer accepted with
/// `--allow-truncated` is the caller's to check and warn about.
pub struct Quiet {
    output: OutputOptions,
}

impl Sink for Quiet {
    fn chunk(&mut self, _text: &str) -> std::io::Result<()> {
        Ok(())
    }

    /// Nothing reached the user, so a broken stream can be retried from scratch.
    fn shown(&self) -> bool {
        false
    }
}

impl Receiver for Quiet {
    fn open(output: &OutputOptions) -> Result<Quiet> {
        Ok(Quiet {
            output: output.clone(),
        })
    }

    fn hold(&mut self) {}

    fn finish(self, answer: &Answer, meta: &Meta) -> Result<()> {
        if answer.truncated && !self.output.allow_truncated {
            return Err(output::truncated_failure(&self.output).into());
        }
        if self.output.status_line {
            eprintln!("{}", StatusLine::of(answer, meta).render());
        }
        Ok(())
    }
}
