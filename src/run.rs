//! One invocation, in the order of the design: settings → persona → context → conversation
//! → plan → provider → output → record.

use anyhow::Result;

use crate::cli::Cli;
use crate::conversation::{Exchange, Session};
use crate::output::{Meta, Printer};
use crate::settings::{Env, Settings};
use crate::{commands, context, persona, plan, provider};

pub fn run(cli: Cli) -> Result<()> {
    let env = Env::capture()?;
    let settings = Settings::resolve(&cli.ask, &env)?;
    if let Some(command) = cli.command {
        return commands::dispatch(command, &settings);
    }
    let persona = match &settings.persona {
        Some(spec) => Some(persona::load(&spec.value, &settings.paths.personas_dirs)?),
        None => None,
    };
    let input = context::gather(&cli.ask, &settings.paths, settings.stdin_is_tty)?;
    let session = Session::open(&settings.conversation.value, &settings.paths.data_dir)?;
    let plan = plan::build(&settings, persona.as_ref(), input, session.history())?;
    if settings.dry_run {
        return crate::output::print_dry_run(&provider::describe(&plan.request, &plan.endpoint));
    }
    let mut printer = Printer::new(&settings.output)?;
    let answer = provider::complete(&plan.request, &plan.endpoint, &mut printer)?;
    let cost = cost_of(&plan, &answer);
    if !answer.truncated || settings.output.allow_truncated {
        session.record(&exchange_of(&plan, &answer, cost))?;
    }
    printer.finish(&answer, &meta_of(&plan, &session, cost))
}

fn exchange_of(plan: &plan::Plan, answer: &provider::Answer, cost: Option<f64>) -> Exchange {
    Exchange {
        time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
        model: plan.request.model.clone(),
        provider: plan.endpoint.protocol.name().to_string(),
        persona: plan.persona.clone(),
        messages: plan.new_messages.clone(),
        answer: answer.text.clone(),
        usage: answer.usage,
        finish_reason: answer.finish_reason.clone(),
        cost,
        duration_ms: answer.duration.as_millis() as u64,
    }
}

/// The call's cost from the usage the provider reported and the model's price.
fn cost_of(plan: &plan::Plan, answer: &provider::Answer) -> Option<f64> {
    answer
        .usage
        .and_then(|usage| crate::models::cost(&plan.info, &usage))
}

fn meta_of(plan: &plan::Plan, session: &Session, cost: Option<f64>) -> Meta {
    Meta {
        conversation: session.id().map(str::to_string),
        cost,
        provider: plan.endpoint.protocol.name().to_string(),
    }
}
