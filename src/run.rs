//! One invocation, in the order of the design: settings → persona → context → conversation
//! → plan → provider → output → record.

use anyhow::Result;

use crate::cli::Cli;
use crate::conversation::{Exchange, Session};
use crate::output::{Meta, Printer};
use crate::settings::{Env, Settings};
use crate::{commands, context, persona, plan, provider, schema};

pub fn run(cli: Cli) -> Result<()> {
    let env = Env::capture()?;
    let settings = Settings::resolve(&cli.ask_args(), &env)?;
    if let Some(command) = cli.command {
        return commands::dispatch(command, &settings);
    }
    let persona = match &settings.persona {
        Some(spec) => Some(persona::load(&spec.value, &settings.paths.personas_dirs)?),
        None => None,
    };
    let schema = settings.schema.as_deref();
    let input = context::gather(&cli.ask, &settings.paths, settings.stdin_is_tty)?;
    let session = Session::open(&settings.conversation.value, &settings.paths.data_dir)?;
    let mut plan = plan::build(&settings, persona.as_ref(), input, session.history())?;
    if let Some(schema) = schema {
        schema::attach(&mut plan.request, plan.endpoint.provider, schema);
    }
    if settings.dry_run {
        return crate::output::print_dry_run(&provider::describe(&plan.request, &plan.endpoint));
    }
    let mut printer = Printer::new(&settings.output)?;
    let answer = call(&plan, schema, &mut printer)?;
    let cost = plan.cost(&answer);
    if !answer.truncated || settings.output.allow_truncated {
        session.record(&exchange_of(&plan, &answer, cost))?;
    }
    printer.finish(&answer, &meta_of(&plan, &session, cost))
}

fn exchange_of(plan: &plan::Plan, answer: &provider::Answer, cost: Option<f64>) -> Exchange {
    Exchange {
        time: humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string(),
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

/// One call, or with `--schema` a validated one (held until valid, retried once).
fn call(
    plan: &plan::Plan,
    schema: Option<&schema::Schema>,
    printer: &mut Printer,
) -> Result<provider::Answer> {
    match schema {
        Some(schema) => {
            printer.hold();
            Ok(schema::complete(&plan.request, &plan.endpoint, schema, printer)?.answer)
        }
        None => provider::complete(&plan.request, &plan.endpoint, printer),
    }
}

fn meta_of(plan: &plan::Plan, session: &Session, cost: Option<f64>) -> Meta {
    Meta {
        conversation: session.id().map(str::to_string),
        cost,
        provider: plan.endpoint.provider.name().to_string(),
    }
}
