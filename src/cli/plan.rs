use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::progress::{self, Progress};
use super::{Context, PlanFlags};
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::{errln, out, outln};
use crate::views::Format;
use crate::views::{markdown, plan as plan_view};
use gatesctl_client::Client;
use gatesctl_core::monitor_check::MonitorCheck;
use gatesctl_core::plan::saved::SavedOptions;
use gatesctl_files::DesiredState;

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

/// How a Markdown plan fits a pull-request comment.
#[derive(Debug, Args)]
pub(super) struct MarkdownArgs {
    /// With --format markdown: the longest comment, in characters (GitHub refuses more than 65536);
    /// a longer plan keeps its summary and points to the full plan
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = parse_comment_limit)]
    comment_limit: usize,
    /// With --format markdown: where a capped comment points for the full plan [default: the
    /// GitHub Actions run, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID]
    #[arg(long, value_name = "URL")]
    details_url: Option<String>,
}

pub(super) fn parse_comment_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1000..=1_000_000).contains(&n) => Ok(n),
        _ => Err("expected a number of characters from 1000 to 1000000".into()),
    }
}

impl MarkdownArgs {
    pub(super) fn options(&self, saved: Option<&std::path::Path>) -> plan_view::MarkdownOptions {
        plan_view::MarkdownOptions::for_run(self.comment_limit, self.details_url.clone(), saved)
    }
}

/// The check of monitor queries that `plan` and `validate --online` make.
#[derive(Debug, Args)]
pub(super) struct MonitorCheckArgs {
    /// Do not search the monitors of each monitor rule's query (see --strict)
    #[arg(long)]
    pub(super) no_monitor_check: bool,
    /// Exit 1 when the monitor check finds a problem: a query matching no monitor (the rule
    /// watches nothing) or more than 50 (it fails every evaluation), a monitor or group of
    /// monitor_ids that does not exist; without it these are warnings
    #[arg(long, conflicts_with = "no_monitor_check")]
    pub(super) strict: bool,
}

impl MonitorCheckArgs {
    /// Searches the monitors of the declared queries, unless told not to.
    pub(super) async fn run(
        &self,
        client: &Client,
        desired: &DesiredState,
        parallelism: usize,
        progress: &(dyn Fn(usize, usize) + Sync),
    ) -> MonitorCheck {
        if self.no_monitor_check {
            return MonitorCheck::default();
        }
        ops::monitors::check(client, desired, parallelism, progress).await.strict_if(self.strict)
    }

    /// With --strict, the problems found end the command.
    pub(super) fn verdict(&self, check: &MonitorCheck) -> Result<(), Error> {
        ops::monitors::verdict(check, self.strict)
    }
}

/// Where the monitor check's findings go: with a text plan, into it (`plan > plan.txt` keeps
/// them); otherwise to stderr.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Findings {
    Stdout,
    Stderr,
}

/// What the monitor check found, where `to` says; its warnings on stderr, and its findings as
/// annotations too under GitHub Actions.
pub(super) fn report_check(check: &MonitorCheck, color: bool, sandbox: bool, to: Findings) {
    let shown = crate::views::monitor_check::render(check, color, sandbox);
    let text =
        if to == Findings::Stdout && !check.diagnostics.is_empty() { format!("\n{}", shown.text) } else { shown.text };
    match to {
        Findings::Stdout => out(&text),
        Findings::Stderr => crate::output::err(&text),
    }
    super::ci::annotate(&check.diagnostics);
    for warning in shown.warnings {
        errln!("{warning}");
    }
}

pub(super) fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("warning: {w}");
    }
}

pub(super) async fn run(args: &PlanArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    // Validate before any network access: an invalid file never reaches the API.
    if args.out.is_some() && args.flags.files.reads_stdin() {
        return Err(Error::Usage(
            "--out saves a plan to apply against the files it was made from, and standard input cannot be read again: write the configuration to a file first".into(),
        ));
    }
    let files = args.flags.files.paths()?;
    let desired = args.flags.files.load()?;
    let options = ops::plan::options(&desired, args.flags.targets.clone(), args.prune)?;
    let connection = ctx.connect(&args.flags.connect).await?;
    let ((plan, remote), check) = {
        let progress = Progress::bar(std::io::stderr().is_terminal());
        let reads = progress::Reads::new(&progress);
        let (reading, checking) = (reads.reading(), reads.checking());
        // Side by side, each under the budget of its own rate limit, within one --parallelism.
        let client = &connection.client.limited_to(args.flags.parallelism);
        let (computed, check) = tokio::join!(
            ops::plan::compute(client, &desired, &options, args.flags.parallelism, &reading),
            args.monitors.run(client, &desired, args.flags.parallelism, &checking),
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
