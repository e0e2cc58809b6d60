//! `gatesctl completions SHELL` and `gatesctl man`: both generated from the one command
//! definition, so they never fall behind a flag.

use clap::Args;

use crate::error::{Error, ExitStatus};
use crate::output::out;

#[derive(Debug, Args)]
pub(super) struct CompletionsArgs {
    /// The shell to complete in
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

pub(super) fn run(args: &CompletionsArgs, mut command: clap::Command) -> Result<ExitStatus, Error> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "gatesctl", &mut script);
    out(&String::from_utf8_lossy(&script));
    Ok(ExitStatus::Success)
}

pub(super) fn man(command: clap::Command) -> Result<ExitStatus, Error> {
    let mut page = Vec::new();
    // The release alone: the page is the same for every target and commit.
    clap_mangen::Man::new(command.version(env!("CARGO_PKG_VERSION"))).render(&mut page).map_err(Error::ManPage)?;
    out(&String::from_utf8_lossy(&page));
    Ok(ExitStatus::Success)
}
