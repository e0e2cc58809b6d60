use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::Args;

use super::args::PlanFlags;
use super::context::{Connection, Context};
use super::progress::{Applied, Reporter};
use crate::error::{Error, ExitStatus, Usage};
use crate::ops::{self, apply::Source};
use crate::output::{err, errln, out};
use crate::views::apply::{render_json, render_text_summary};
use crate::views::plan::text;
use crate::views::{Format, Palette};
use gatesctl_core::plan::Plan;

#[derive(Debug, Args)]
pub(super) struct ApplyArgs {
    /// A plan saved by `gatesctl plan --out`: applied exactly, without asking, if still current
    #[arg(value_name = "PLAN")]
    plan: Option<PathBuf>,
    #[command(flatten)]
    flags: PlanFlags,
    /// Apply without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    auto_approve: bool,
    /// Also delete remote gates in the [manage] scope that no file declares
    #[arg(long)]
    prune: bool,
    /// Go past the deletion safety threshold
    #[arg(long)]
    force: bool,
    /// Output format: text, or json (what was done, once done, on stdout; the plan and the
    /// progress go to stderr)
    #[arg(long, value_parser = Format::text_or_json(), default_value = "text")]
    format: Format,
}

/// Asks on the terminal; beside a JSON document, on stderr.
fn confirm(json: bool) -> Result<bool, Error> {
    let question = "\nDo you want to perform these actions? Only 'yes' will be accepted: ";
    if json {
        err(question);
    } else {
        out(question);
    }
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).map_err(Error::Answer)?;
    Ok(answer.trim() == "yes")
}

pub(super) async fn run(args: &ApplyArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let json = args.format == Format::Json;
    // Text for people on stdout; beside a JSON document, everything else on stderr.
    let palette = if json { Palette::PLAIN } else { ctx.stdout_palette() };
    let say = |text: &str| if json { err(text) } else { out(text) };
    // Read only when the plan is computed here: a saved plan carries its own.
    let (desired, options);
    let source = match &args.plan {
        Some(_) if !args.flags.files.files.is_empty() || !args.flags.targets.is_empty() || args.prune => {
            return Err(Usage::SavedPlanWithFiles.into())
        }
        Some(path) => Source::Saved(path),
        None => {
            desired = args.flags.files.load()?;
            options = args.flags.options(&desired, args.prune)?;
            Source::Files { desired: &desired, options: &options, force: args.force }
        }
    };
    let connection = ctx.connect(&args.flags.connect).await?;
    let reporter = Reporter::new(std::io::stderr().is_terminal());
    let ready =
        ops::apply::prepare(&connection.client, &connection.target, source, args.flags.parallelism, &reporter).await?;
    drop(reporter);
    say(&(text::render_plan(&ready.plan, palette) + &crate::views::policy::render_text(&ready.policies, palette)));
    for note in &ready.notes {
        errln!("{note}");
    }
    if let Some(refusal) = ready.refused {
        return Err(refusal);
    }
    if ready.plan.is_empty() {
        if json {
            out(&render_json(&crate::ops::apply::outcome::Report::default(), &connection.target, false));
        }
        return Ok(ExitStatus::Success);
    }
    if ops::apply::must_ask(&ready, args.auto_approve, std::io::stdin().is_terminal())? && !confirm(json)? {
        errln!("Apply cancelled; nothing was changed.");
        return Ok(ExitStatus::Failure);
    }

    execute(&connection, &ready.plan, args.flags.parallelism, json, palette).await
}

/// Applies the plan, each result shown as it lands, the count on stderr; a signal lets the
/// gates begun finish and starts no other.
async fn execute(
    connection: &Connection,
    plan: &Plan,
    parallelism: usize,
    json: bool,
    palette: Palette,
) -> Result<ExitStatus, Error> {
    let say = |text: &str| if json { err(text) } else { out(text) };
    say("\nApplying…\n");
    let lines = if json { Applied::Stderr } else { Applied::Stdout(palette) };
    let report = {
        let progress = Reporter::new(std::io::stderr().is_terminal()).applying(lines);
        super::interrupt::graceful(true);
        let report =
            ops::apply::execute::apply(&connection.client, plan, parallelism, &super::interrupt::STOP, &progress).await;
        super::interrupt::graceful(false);
        report
    };
    let stopped = super::interrupt::received();
    if json {
        out(&render_json(&report, &connection.target, stopped.is_some()));
    } else {
        out(&render_text_summary(&report, stopped.is_some(), palette));
    }
    if stopped.is_some() && !report.is_success() {
        errln!("Stopped before the end: run `gatesctl apply` again to finish; nothing done is done twice.");
    }
    ops::apply::conclude(&report, stopped)
}
