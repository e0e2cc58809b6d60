use clap::Args;

use super::{GlobalArgs, PlanFlags};
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::out;
use crate::plan::PlanOptions;
use crate::render::{drift, Format};

#[derive(Debug, Args)]
pub(super) struct DriftArgs {
    #[command(flatten)]
    flags: PlanFlags,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(super) async fn run(args: &DriftArgs, global: &GlobalArgs) -> Result<ExitStatus, Error> {
    let desired = args.flags.files.load()?;
    let options = PlanOptions { prune: false, targets: args.flags.targets.clone() };
    let connection = global.connect().await?;
    let (plan, _) = ops::plan::compute(&connection.client, &desired, &options, args.flags.parallelism).await?;
    let items = ops::drift::classify(&plan, &desired);
    out(&match args.format {
        Format::Text => drift::render_text(&items, global.stdout_palette()),
        Format::Json => drift::render_json(&items),
        Format::Markdown => drift::render_markdown(&items),
    });
    Ok(if items.is_empty() { ExitStatus::Success } else { ExitStatus::Changes })
}
