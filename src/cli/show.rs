use std::path::PathBuf;

use clap::Args;

use super::context::Context;
use crate::error::{Error, ExitStatus};
use crate::output::out;
use crate::views::Format;
use gatesctl_core::plan::saved::SavedPlan;

#[derive(Debug, Args)]
pub(super) struct ShowArgs {
    /// A plan saved by `gatesctl plan --out`
    #[arg(value_name = "PLAN")]
    plan: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    markdown: super::args::MarkdownArgs,
}

/// Shows a saved plan as it would be applied; nothing is read from the API.
pub(super) fn run(args: &ShowArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    // Bounded, and refused unless a regular file: `show /dev/zero` must not read forever.
    let text = gatesctl_files::read_text(&args.plan)?;
    let saved = SavedPlan::parse(&text).map_err(|reason| Error::BadSavedPlan { path: args.plan.clone(), reason })?;
    let markdown = args.markdown.options(Some(&args.plan));
    out(&crate::views::plan::render(&saved.plan, args.format, ctx.stdout_palette(), &markdown, &[], None, &[]));
    if args.format == Format::Text {
        crate::output::outln!("\nPlanned against {}.", gatesctl_core::escape::terminal(&saved.api));
    }
    Ok(ExitStatus::Success)
}
