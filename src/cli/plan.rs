use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::args::{report_check, Findings, MarkdownArgs, MonitorCheckArgs, PlanFlags};
use super::context::{Connection, Context};
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
use crate::ops::plan::{PlanRequest, Planned};
use crate::output::{errln, out, outln};
use crate::views::plan::{self as plan_view, MarkdownOptions};
use crate::views::Format;
use gatesctl_core::plan::saved::SavedOptions;

#[derive(Debug, Args)]
pub(super) struct PlanArgs {
    #[command(flatten)]
    flags: PlanFlags,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    detailed_exitcode: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Save the plan to FILE, to apply exactly it later with `gatesctl apply FILE`
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Also delete remote gates in the [manage] scope that no file declares
    #[arg(long)]
    prune: bool,
    /// Go past the safety thresholds of [safety]
    #[arg(long)]
    force: bool,
    #[command(flatten)]
    markdown: MarkdownArgs,
    #[command(flatten)]
    monitors: MonitorCheckArgs,
}

fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("warning: {w}");
    }
}

pub(super) async fn run(args: &PlanArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    // Checked before any network access: an invalid file never reaches the API.
    if args.out.is_some() && args.flags.files.reads_stdin() {
        return Err(Usage::OutFromStdin.into());
    }
    let files = args.flags.files.paths()?;
    let desired = args.flags.files.load()?;
    let request = PlanRequest {
        desired: &desired,
        options: args.flags.options(&desired, args.prune)?,
        parallelism: args.flags.parallelism,
        monitors: args.monitors.mode(),
        force: args.force,
    };
    let connection = ctx.connect(&args.flags.connect).await?;
    let planned = ops::plan::run(&connection.client, &request, &Reporter::new(std::io::stderr().is_terminal())).await?;
    // The whole plan first, then a refusal naming --force, as octoDNS does.
    let markdown = args.markdown.options(args.out.as_deref());
    show(&planned, args.format, &markdown, &connection, ctx);
    warn(planned.verdict(&request)?);
    // As a hard-mandatory policy check: the plan is shown, and refused (never saved).
    if let Some(refusal) = ops::policy::refusal(&planned.policies) {
        return Err(refusal);
    }
    if let Some(path) = &args.out {
        let saved_options = SavedOptions {
            prune: args.prune,
            force: args.force,
            targets: request.options.targets.iter().map(|t| t.text.clone()).collect(),
        };
        let document = plan_view::json::value(&planned.plan);
        let target = connection.target.clone();
        ops::saved::save(path, &planned.plan, &desired, target, &files, saved_options, document)?;
        let shown = gatesctl_core::escape::path(path);
        errln!("Saved the plan to {shown}. Apply exactly these actions with: gatesctl apply {shown}");
    }
    Ok(if args.detailed_exitcode && !planned.plan.is_empty() { ExitStatus::Changes } else { ExitStatus::Success })
}

/// The plan in its format on stdout, the monitor check's findings with it (text) or on stderr,
/// and the job's summary page.
fn show(planned: &Planned, format: Format, markdown: &MarkdownOptions, connection: &Connection, ctx: &Context<'_>) {
    let Planned { plan, check, policies, .. } = planned;
    let unchecked = check.unchecked.as_deref();
    out(&plan_view::render(plan, format, ctx.stdout_palette(), markdown, &check.diagnostics, unchecked, policies));
    if format == Format::Text {
        outln!("\nPlanned against {}.", gatesctl_core::escape::terminal(&connection.target));
        report_check(check, ctx.stdout_palette().enabled, connection.is_sandbox(), Findings::Stdout);
    } else {
        report_check(check, ctx.stderr_color(), connection.is_sandbox(), Findings::Stderr);
    }
    // The job's summary page gets the plan as a pull-request comment would show it.
    super::ci::step_summary(|| {
        plan_view::markdown::render_plan(plan, markdown, &check.diagnostics, unchecked, policies)
    });
}
