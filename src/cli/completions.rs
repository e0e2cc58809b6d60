//! `gatesctl completions SHELL`: generated from the one command definition, so it never
//! falls behind a flag.

use clap::Args;

use crate::error::{Error, ExitStatus};
use crate::output::out;

#[derive(Debug, Args)]
pub(super) struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The command as `--help` shows it: without what is hidden (datadog-ci's alias and its
/// hidden flags), which the completion generators would otherwise offer.
fn shown(command: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(command.get_name().to_string());
    if let Some(about) = command.get_about() {
        out = out.about(about.clone());
    }
    for alias in command.get_visible_aliases() {
        out = out.visible_alias(alias.to_string());
    }
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        out = out.arg(arg.clone());
    }
    for sub in command.get_subcommands().filter(|s| !s.is_hide_set()) {
        out = out.subcommand(shown(sub));
    }
    out
}

pub(super) fn run(args: &CompletionsArgs, command: clap::Command) -> Result<ExitStatus, Error> {
    let mut command = shown(&command);
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "gatesctl", &mut script);
    out(&String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}
