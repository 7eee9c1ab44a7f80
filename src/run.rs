//! One invocation, in the order of the design: settings → persona → context → conversation
//! → the call (plan → provider → output → record).

use anyhow::Result;

use crate::call::Call;
use crate::cli::Cli;
use crate::conversation::Session;
use crate::output::Printer;
use crate::settings::{Env, Settings};
use crate::{commands, context, persona};

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
    let input = context::gather(
        &cli.ask,
        &settings.paths,
        &settings.source_vars,
        settings.stdin_is_tty,
    )?;
    let session = Session::open(&settings.conversation.value, &settings.paths.data_dir)?;
    let call = Call {
        settings: &settings,
        persona: persona.as_ref(),
        session: &session,
        schema: settings.schema.as_deref(),
    };
    call.run::<Printer>(input)?;
    Ok(())
}
