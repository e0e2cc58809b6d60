use std::io::IsTerminal;

use clap::Args;

use super::args::PlanFlags;
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::out;
use crate::views::{drift, Format};

#[derive(Debug, Args)]
pub(super) struct DriftArgs {
    #[command(flatten)]
    flags: PlanFlags,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(super) async fn run(args: &DriftArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let desired = args.flags.files.load()?;
    let options = args.flags.options(&desired, false)?;
    let connection = ctx.connect(&args.flags.connect).await?;
    let (plan, remote) = {
        let progress = Reporter::new(std::io::stderr().is_terminal());
        let query = if options.targets.is_empty() {
            gatesctl_client::GateQuery::default()
        } else {
            gatesctl_core::plan::list_query(&desired, &options)
        };
        ops::plan::compute_over(&connection.client, &desired, &options, &query, args.flags.parallelism, &progress)
            .await?
    };
    for key in &plan.vanished {
        crate::output::errln!(
            "note: gate {key} was deleted by someone else while gatesctl read it: it counts as missing"
        );
    }
    let items = gatesctl_core::plan::drift::classify(&plan, &remote, &desired);
    out(&match args.format {
        Format::Text => drift::render_text(&items, ctx.stdout_palette()),
        Format::Json => drift::render_json(&items),
        Format::Markdown => drift::render_markdown(&items),
    });
    Ok(if items.is_empty() { ExitStatus::Success } else { ExitStatus::Changes })
}
