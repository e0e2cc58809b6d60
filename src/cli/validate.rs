use clap::Args;

use super::FileArgs;
use crate::error::{Error, ExitStatus};
use crate::output::outln;

#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    #[command(flatten)]
    files: FileArgs,
}

pub(super) fn run(args: &ValidateArgs) -> Result<ExitStatus, Error> {
    let desired = args.files.load()?;
    let rules: usize = desired.gates.values().map(|g| g.rules.len()).sum();
    outln!("Configuration is valid: {} gates, {} rules.", desired.gates.len(), rules);
    Ok(ExitStatus::Success)
}
