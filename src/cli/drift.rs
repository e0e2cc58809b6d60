use std::io::IsTerminal;

use clap::Args;

use super::args::PlanFlags;
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::ops::drift::DriftRequest;
use crate::output::{errln, out};
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
    let request = DriftRequest {
        desired: &desired,
        options: args.flags.options(&desired, false)?,
        parallelism: args.flags.parallelism,
    };
    let connection = ctx.connect(&args.flags.connect).await?;
    let drifted =
        ops::drift::run(&connection.client, &request, &Reporter::new(std::io::stderr().is_terminal())).await?;
    for key in &drifted.vanished {
        errln!("note: gate {key} was deleted by someone else while gatesctl read it: it counts as missing");
    }
    out(&match args.format {
        Format::Text => drift::render_text(&drifted.items, ctx.stdout_palette()),
        Format::Json => drift::render_json(&drifted.items),
        Format::Markdown => drift::render_markdown(&drifted.items),
    });
    Ok(if drifted.items.is_empty() { ExitStatus::Success } else { ExitStatus::Changes })
}
