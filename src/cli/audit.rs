use std::io::IsTerminal;

use clap::Args;

use super::args::{parse_parallelism, ConnectArgs, FileArgs};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
use crate::ops::audit::AuditRequest;
use crate::output::{errln, out};
use crate::views::{audit, markdown, Format};

#[derive(Debug, Args)]
pub(super) struct AuditArgs {
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    connect: ConnectArgs,
    /// How far back to read deployments and evaluations: 30d, 2w, 36h (at most 30 days)
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = super::args::parse_since)]
    since: std::time::Duration,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Requests in flight at once
    #[arg(long, default_value_t = gatesctl_client::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    parallelism: usize,
    /// Do not search the monitors of monitor rules: `monitor-rule` then asks only that a gate
    /// has one, not that it watches something
    #[arg(long)]
    no_monitor_check: bool,
    /// Write each policy as a custom rule of the "Deployment gates" scorecard (found by name,
    /// created or updated, never duplicated) and post every service's outcome
    #[arg(long)]
    publish_scorecard: bool,
    /// With --format markdown: the longest document, in characters
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = super::args::parse_comment_limit)]
    comment_limit: usize,
}

pub(super) async fn run(args: &AuditArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let desired = args.files.load()?;
    if desired.policies.is_empty() {
        return Err(Usage::NoPolicy.into());
    }
    let request = AuditRequest {
        desired: &desired,
        window: super::args::window(args.since)?,
        parallelism: args.parallelism,
        monitor_check: !args.no_monitor_check,
        publish: args.publish_scorecard,
    };
    let connection = ctx.connect(&args.connect).await?;
    let (audited, published) =
        ops::audit::run(&connection.client, &request, &Reporter::new(std::io::stderr().is_terminal())).await?;
    super::warn_unreadable(&audited.unreadable, "item");
    for w in &audited.warnings {
        errln!("warning: {w}");
    }
    let found = gatesctl_core::policy::diagnostics(&audited.verdicts);
    super::ci::annotate(&found);
    out(&match args.format {
        Format::Text => audit::render_text(&audited, published.as_ref(), ctx.stdout_palette()),
        Format::Markdown => audit::render_markdown(&audited, published.as_ref(), args.comment_limit),
        Format::Json => audit::render_json(&audited, published.as_ref()),
    });
    super::ci::step_summary(|| audit::render_markdown(&audited, published.as_ref(), args.comment_limit));
    Ok(if audited.errors() > 0 { ExitStatus::Failure } else { ExitStatus::Success })
}
