use std::io::IsTerminal;

use clap::Args;

use super::args::{parse_parallelism, ConnectArgs, FileArgs};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::ops::coverage::CoverageRequest;
use crate::output::{errln, out};
use crate::views::coverage;
use crate::views::{markdown, Format};

#[derive(Debug, Args)]
pub(super) struct CoverageArgs {
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    connect: ConnectArgs,
    /// How far back to look: 14d, 2w, 36h (at most 30 days)
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = super::args::parse_since)]
    since: std::time::Duration,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Requests in flight at once
    #[arg(long, default_value_t = gatesctl_client::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    parallelism: usize,
    /// With --format markdown: the longest document, in characters
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = super::args::parse_comment_limit)]
    comment_limit: usize,
}

pub(super) async fn run(args: &CoverageArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let desired = args.files.load()?;
    let window = super::args::window(args.since)?;
    let request = CoverageRequest { desired: &desired, window, parallelism: args.parallelism };
    let connection = ctx.connect(&args.connect).await?;
    let measured =
        ops::coverage::run(&connection.client, &request, &Reporter::new(std::io::stderr().is_terminal())).await?;
    super::warn_unreadable(&measured.unreadable, "item");
    for w in &measured.warnings {
        errln!("warning: {w}");
    }
    let (coverage, unreadable) = (&measured.coverage, measured.unreadable.len());
    out(&match args.format {
        Format::Text => coverage::render_text(coverage, window, unreadable),
        Format::Markdown => coverage::render_markdown(coverage, window, unreadable, args.comment_limit),
        Format::Json => coverage::render_json(coverage, window, unreadable),
    });
    Ok(ExitStatus::Success)
}
