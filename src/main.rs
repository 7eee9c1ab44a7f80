//! cellmage: call an LLM from a shell, a Makefile or a CI job.

use std::process::ExitCode;

use cellmage::call::Known;
use cellmage::commands::completions;
use cellmage::report::{self, Report};
use cellmage::{args, cli, error, interrupt, run};
use clap::{CommandFactory, Parser};

fn main() -> ExitCode {
    interrupt::install_panic_hook();
    clap_complete::CompleteEnv::with_factory(cli::Cli::command)
        .var(completions::VAR)
        .complete();
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let json = argv
        .iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json");
    if let Some(report) = args::misuse(&argv) {
        return ExitCode::from(report.emit(json, None));
    }
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return clap_exit(&err, &argv, json),
    };
    for warning in args::warnings(&argv) {
        eprintln!("{warning}");
    }
    let json = cli.command.is_none() && cli.ask.json;
    interrupt::install();
    match run::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) if error::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let json = json && err.downcast_ref::<report::Reported>().is_none();
            ExitCode::from(Report::of(&err).emit(json, err.downcast_ref::<Known>()))
        }
    }
}

/// Help and version as clap prints them; a bad command line as one `cellmage: error:` line
/// (exit 2) and a hint.
fn clap_exit(err: &clap::Error, argv: &[String], json: bool) -> ExitCode {
    use clap::error::ErrorKind;
    if !err.use_stderr() || err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let _ = err.print();
        return ExitCode::from(err.exit_code().clamp(0, 255) as u8);
    }
    ExitCode::from(report::clap(err, argv).emit(json, None))
}
