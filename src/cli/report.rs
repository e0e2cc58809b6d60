use std::io::IsTerminal;

use clap::Args;

use super::args::PlanFlags;
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
use crate::ops::report::ReportRequest;
use crate::output::errln;
use crate::output::{err, out};
use crate::views::{markdown, report, Format};
use gatesctl_core::model::GateKey;
use gatesctl_core::plan::Target;
use gatesctl_core::report::ReportSettings;
use gatesctl_files::wire::ReportSpec;
use gatesctl_files::DesiredState;

#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    #[command(flatten)]
    flags: PlanFlags,
    /// How far back to read: 14d, 2w, 36h (the API serves at most 30 days)
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = super::args::parse_since)]
    since: std::time::Duration,
    /// Evaluations a gate or rule in dry run needs, counted under today's configuration with
    /// rule results [default: the files' [report], else 10]
    #[arg(long, value_name = "N", value_parser = threshold("min_evaluations"))]
    min_evaluations: Option<u32>,
    /// Distinct days those evaluations must fall on [default: the files' [report], else 5]
    #[arg(long, value_name = "N", value_parser = threshold("min_days"))]
    min_days: Option<u32>,
    /// Distinct versions they must have deployed; 0 for unversioned deploys [default: the
    /// files' [report], else 3]
    #[arg(long, value_name = "N", value_parser = threshold("min_versions"))]
    min_versions: Option<u32>,
    /// The newest evaluations that must all have passed [default: the files' [report], else 3]
    #[arg(long, value_name = "N", value_parser = threshold("clean_streak"))]
    clean_streak: Option<u32>,
    /// The share of its evaluations, in percent, a gate or rule may have blocked and still be
    /// promoted [default: the files' [report], else 0]
    #[arg(long, value_name = "PERCENT", value_parser = threshold("max_block_percent"))]
    max_block_percent: Option<u32>,
    /// Do not check that monitor rules watch something (a rule watching nothing is never
    /// promoted; without the check it is judged on its history alone)
    #[arg(long)]
    no_monitor_check: bool,
    /// Do not read the deployments' failures (DORA metrics): no efficacy, and every would-be
    /// block counts against promotion
    #[arg(long)]
    no_dora: bool,
    /// Switch the gates and rules recommended for promotion to enforcing in the files,
    /// keeping every comment
    #[arg(long)]
    write: bool,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// With --format markdown: the longest report, in characters (GitHub takes 65536 in a
    /// comment or a pull-request description)
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = super::args::parse_comment_limit)]
    comment_limit: usize,
}

/// A threshold flag, in the range a `[report]` table takes.
fn threshold(key: &'static str) -> impl Fn(&str) -> Result<u32, String> + Clone {
    move |text: &str| {
        let (_, min, max) = ReportSpec::RANGES.into_iter().find(|(k, _, _)| *k == key).expect("a known key");
        match text.trim().parse::<u32>() {
            Ok(0) if key == "min_evaluations" => {
                Err("a recommendation needs evidence: give 1 or more (10 by default)".into())
            }
            Ok(v) if (min..=max).contains(&v) => Ok(v),
            _ => Err(format!("expected a whole number from {min} to {max}")),
        }
    }
}

impl ReportArgs {
    fn thresholds(&self) -> ReportSpec {
        ReportSpec {
            min_evaluations: self.min_evaluations,
            min_days: self.min_days,
            min_versions: self.min_versions,
            clean_streak: self.clean_streak,
            max_block_percent: self.max_block_percent,
        }
    }
}

pub(super) async fn run(args: &ReportArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if args.write && args.flags.files.reads_stdin() {
        return Err(Usage::WriteToStdin.into());
    }
    let desired = args.flags.files.load()?;
    let request = ReportRequest {
        desired: &desired,
        gates: covered(&desired, &args.flags.targets)?,
        settings: ReportSettings { window: super::args::window(args.since)?, flags: args.thresholds() },
        parallelism: args.flags.parallelism,
        monitor_check: !args.no_monitor_check,
        dora: !args.no_dora,
        write: args.write,
    };
    let connection = ctx.connect(&args.flags.connect).await?;
    let reported =
        ops::report::run(&connection.client, &request, &Reporter::new(std::io::stderr().is_terminal())).await?;
    super::warn_unreadable(&reported.unreadable, "history item");
    for warning in &reported.warnings {
        errln!("warning: {warning}");
    }
    let (judged, written) = (&reported.report, reported.written.as_ref());
    out(&match args.format {
        Format::Text => report::render_text(judged, ctx.stdout_palette()),
        Format::Markdown => report::render_markdown(judged, args.comment_limit),
        Format::Json => report::render_json(judged, written),
    });
    if let Some(written) = written {
        err(&report::render_written(written, judged));
    }
    Ok(ExitStatus::Success)
}

/// The declared gates the report covers: all, or those the targets match (each target must
/// match one).
fn covered<'a>(desired: &'a DesiredState, targets: &[Target]) -> Result<Vec<&'a GateKey>, Error> {
    if let Some(target) = targets.iter().find(|t| !desired.gates.keys().any(|k| t.matches(k))) {
        return Err(Usage::ReportTarget(target.text.clone()).into());
    }
    Ok(desired.gates.keys().filter(|k| targets.is_empty() || targets.iter().any(|t| t.matches(k))).collect())
}
