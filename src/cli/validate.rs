use clap::Args;

use super::{FileArgs, GlobalArgs};
use crate::error::{exit, CliError};

#[derive(Debug, Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub files: FileArgs,
}

pub fn run(args: &ValidateArgs, _global: &GlobalArgs) -> Result<i32, CliError> {
    let desired = args.files.load()?;
    let rules: usize = desired.gates.values().map(|g| g.rules.len()).sum();
    println!("Configuration is valid: {} gates, {} rules.", desired.gates.len(), rules);
    Ok(exit::OK)
}
