use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::args::{report_check, Findings, MarkdownArgs, MonitorCheckArgs, PlanFlags};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
use crate::output::{errln, out, outln};
use crate::views::plan as plan_view;
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

pub(super) fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("warning: {w}");
    }
}

pub(super) async fn run(args: &PlanArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    // Validate before any network access: an invalid file never reaches the API.
    if args.out.is_some() && args.flags.files.reads_stdin() {
        return Err(Usage::OutFromStdin.into());
    }
    let files = args.flags.files.paths()?;
    let desired = args.flags.files.load()?;
    let options = args.flags.options(&desired, args.prune)?;
    let connection = ctx.connect(&args.flags.connect).await?;
    let ((plan, remote), check) = {
        let progress = Reporter::new(std::io::stderr().is_terminal());
        // Side by side, each under the budget of its own rate limit, within one --parallelism.
        let client = &connection.client.limited_to(args.flags.parallelism);
        let (computed, check) = tokio::join!(
            ops::plan::compute(client, &desired, &options, args.flags.parallelism, &progress),
            args.monitors.run(client, &desired, args.flags.parallelism, &progress),
        );
        (computed?, check)
    };
    let policies = ops::policy::plan_changes(&connection.client, &desired, &plan, &remote).await?;
    // The whole plan first, then a refusal naming --force, as octoDNS does.
    let markdown = args.markdown.options(args.out.as_deref());
    out(&crate::views::plan::render(
        &plan,
        args.format,
        ctx.stdout_palette(),
        &markdown,
        &check.diagnostics,
        check.unchecked.as_deref(),
        &policies,
    ));
    if args.format == Format::Text {
        outln!("\nPlanned against {}.", gatesctl_core::escape::terminal(&connection.target));
        report_check(&check, ctx.stdout_palette().enabled, connection.is_sandbox(), Findings::Stdout);
    } else {
        report_check(&check, ctx.stderr_color(), connection.is_sandbox(), Findings::Stderr);
    }
    // The job's summary page gets the plan as a pull-request comment would show it.
    super::ci::step_summary(|| {
        plan_view::markdown::render_plan(&plan, &markdown, &check.diagnostics, check.unchecked.as_deref(), &policies)
    });
    args.monitors.verdict(&check)?;
    warn(ops::plan::check_safety(&plan, &remote, &desired, args.force)?);
    // As a hard-mandatory policy check: the plan is shown, and refused (never saved).
    if let Some(refusal) = ops::policy::refusal(&policies) {
        return Err(refusal);
    }
    if let Some(path) = &args.out {
        let saved_options = SavedOptions {
            prune: args.prune,
            force: args.force,
            targets: options.targets.iter().map(|t| t.text.clone()).collect(),
        };
        let document = crate::views::plan::json::value(&plan);
        ops::saved::save(path, &plan, &desired, connection.target.clone(), &files, saved_options, document)?;
        errln!(
            "Saved the plan to {}. Apply exactly these actions with: gatesctl apply {}",
            gatesctl_core::escape::path(path),
            gatesctl_core::escape::path(path)
        );
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() { ExitStatus::Changes } else { ExitStatus::Success })
}
