use clap::Args;

use super::{FileArgs, GlobalArgs};
use crate::config::DesiredState;
use crate::error::{exit, CliError};
use crate::plan::{self, Plan};
use crate::remote::{self, Client};
use crate::render::text;

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Requests in flight at once when reading rules
    #[arg(long, default_value_t = remote::DEFAULT_PARALLELISM, value_parser = super::parse_parallelism)]
    pub parallelism: usize,
}

/// Reads the remote state the configuration needs and diffs it. Shared by plan and apply.
pub async fn compute(
    client: &Client,
    desired: &DesiredState,
    parallelism: usize,
) -> Result<Plan, CliError> {
    let remote = remote::fetch(client, parallelism, plan::needs_rules(desired)).await?;
    Ok(plan::diff(desired, &remote))
}

pub async fn run(args: &PlanArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    // Validate before any network access: an invalid file never reaches the API.
    let desired = args.files.load()?;
    let connection = global.connect().await?;
    let plan = compute(&connection.client, &desired, args.parallelism).await?;
    print!("{}", text::render_plan(&plan, global.stdout_palette()));
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        exit::CHANGES
    } else {
        exit::OK
    })
}
