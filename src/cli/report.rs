use std::io::IsTerminal;

use clap::Args;

use super::progress::Progress;
use super::{parse_duration, Context, PlanFlags};
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::{err, out};
use crate::render::{markdown, report, Format};

#[derive(Debug, Args)]
pub(super) struct ReportArgs {
    #[command(flatten)]
    flags: PlanFlags,
    /// How far back to read: 14d, 2w, 36h (the API serves at most 30 days)
    #[arg(long, value_name = "DURATION", default_value = "14d", value_parser = parse_duration)]
    since: std::time::Duration,
    /// Evaluations a gate or rule in dry run needs in the window to be judged
    #[arg(long, value_name = "N", default_value_t = 10)]
    min_evaluations: usize,
    /// The share of its evaluations, in percent, a gate or rule may have blocked and still be
    /// promoted
    #[arg(long, value_name = "PERCENT", default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100))]
    max_block_percent: u32,
    /// Switch the gates and rules recommended for promotion to enforcing in the files,
    /// keeping every comment
    #[arg(long)]
    write: bool,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// With --format markdown: the longest report, in characters (GitHub takes 65536 in a
    /// comment or a pull-request description)
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = super::plan::parse_comment_limit)]
    comment_limit: usize,
}

pub(super) async fn run(args: &ReportArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if args.write && args.flags.files.reads_stdin() {
        return Err(Error::Usage("--write changes the files in place, and standard input is not a file: write the configuration to a file first".into()));
    }
    let desired = args.flags.files.load()?;
    let gates = ops::report::covered(&desired, &args.flags.targets)?;
    let settings =
        ops::report::settings(args.since, crate::model::time::now_ms(), args.min_evaluations, args.max_block_percent)?;
    let connection = ctx.connect(&args.flags.connect).await?;
    let (history, unreadable) = {
        let progress = Progress::status(std::io::stderr().is_terminal());
        let shown = |read: usize| {
            progress.message(format!(
                "reading evaluation history: {}",
                crate::output::plural(read, "gate evaluation", "gate evaluations")
            ))
        };
        ops::report::read_history(&connection.client, &gates, &settings, args.flags.parallelism, &shown).await?
    };
    for item in unreadable.iter().take(5) {
        crate::output::errln!(
            "warning: history item {} could not be read and is not counted: {}",
            crate::escape::quoted(&item.id),
            crate::escape::terminal(&item.why)
        );
    }
    let judged = crate::report::build(&desired, &gates, &history, &settings);
    let written = if args.write { Some(ops::report::write(&desired, &judged)?) } else { None };
    out(&match args.format {
        Format::Text => report::render_text(&judged, ctx.stdout_palette()),
        Format::Markdown => report::render_markdown(&judged, args.comment_limit),
        Format::Json => report::render_json(&judged, written.as_ref()),
    });
    if let Some(written) = &written {
        err(&report::render_written(written));
    }
    Ok(ExitStatus::Success)
}
