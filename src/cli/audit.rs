use std::io::IsTerminal;
use std::sync::Mutex;

use clap::Args;

use super::args::{parse_parallelism, ConnectArgs, FileArgs};
use super::context::Context;
use super::progress::Progress;
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::ops::audit::{AuditRequest, Reading};
use crate::output::{errln, out};
use crate::views::{audit, markdown, Format};
use gatesctl_core::text::plural;

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
        return Err(Error::Usage(
            "the files declare no policy: add [[policy]] tables (docs/policy.md), e.g. in policies.toml beside gates.toml"
                .into(),
        ));
    }
    let request = AuditRequest {
        window: ops::report::window(args.since, gatesctl_core::model::time::now_ms())?,
        parallelism: args.parallelism,
        monitor_check: !args.no_monitor_check,
    };
    let connection = ctx.connect(&args.connect).await?;
    let client = connection.client.limited_to(args.parallelism);
    let progress = Progress::status(std::io::stderr().is_terminal());
    let audited = {
        let last = Mutex::new(None::<std::mem::Discriminant<Reading>>);
        let show = |reading: Reading| {
            // A line in CI when the read moves on to something else; the steps between are not.
            let kind = std::mem::discriminant(&reading);
            let milestone = last.lock().unwrap().replace(kind) != Some(kind);
            progress.throttled(reading_text(reading), milestone);
        };
        ops::audit::audit(&client, &desired, &request, &show).await?
    };
    let published = if args.publish_scorecard {
        let total: usize = audited.verdicts.iter().map(|v| v.services.len()).sum();
        let show =
            |posted: usize| progress.throttled(format!("publishing to Scorecards: {posted}/{total} outcomes"), false);
        Some(ops::audit::publish(&client, &audited.verdicts, &show).await?)
    } else {
        None
    };
    drop(progress);
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

fn reading_text(reading: Reading) -> String {
    match reading {
        Reading::Gates(gatesctl_client::Fetched::Gates(n)) => {
            format!("reading remote gates: {}", plural(n, "gate", "gates"))
        }
        Reading::Gates(gatesctl_client::Fetched::Rules { done, total }) => {
            format!("reading rules: {done}/{total} gates")
        }
        Reading::Catalog(n) => format!("reading the Software Catalog: {}", plural(n, "service", "services")),
        Reading::Deployments(p) => format!(
            "reading deployments: {} ({})",
            plural(p.events, "deployment", "deployments"),
            plural(p.requests, "answer", "answers")
        ),
        Reading::Evaluations(n) => format!("reading gate evaluations: {}", plural(n, "evaluation", "evaluations")),
        Reading::Monitors(done, total) => format!("monitor check: {done}/{total}"),
    }
}
