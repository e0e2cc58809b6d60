use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::sync::Mutex;

use clap::Args;

use super::progress::{self, Progress};
use super::{Context, PlanFlags};
use crate::apply::{self, Outcome, Status};
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::{errln, out, outln};
use crate::plan::Plan;
use crate::remote::Client;
use crate::render::{text, Format, Palette};

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
        crate::output::err(question);
    } else {
        out(question);
    }
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Terminal(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

fn outcome_line(o: &Outcome, p: Palette) -> String {
    let line = match &o.status {
        Status::Done => format!("  {} {}: {}", p.create("✓"), o.gate, o.action),
        Status::Failed(e) => format!("  {} {}: {}: {e}", p.delete("✗"), o.gate, o.action),
        Status::Skipped(why) => format!("  {} {}: {} skipped: {why}", p.dim("-"), o.gate, o.action),
        Status::NotStarted => format!("  {} {}: {} not started", p.dim("-"), o.gate, o.action),
    };
    match &o.note {
        Some(note) => format!("{line} ({note})"),
        None => line,
    }
}

/// How an apply speaks: the text for people as it goes, or one JSON document at the end.
struct Speech<'a> {
    format: Format,
    palette: Palette,
    /// The API applied to, for the JSON document.
    api: &'a str,
}

impl Speech<'_> {
    /// The plan: on stdout in text, on stderr beside a JSON document.
    fn plan(&self, plan: &Plan) {
        match self.format {
            Format::Json => crate::output::err(&text::render_plan(plan, Palette::PLAIN)),
            _ => out(&text::render_plan(plan, self.palette)),
        }
    }

    /// Nothing to apply: the JSON document says so too.
    fn nothing(&self) {
        if self.format == Format::Json {
            out(&crate::render::apply::render_json(&apply::Report::default(), self.api, false));
        }
    }
}

/// Runs the actions and reports them as they land, then every failure again at the end.
async fn execute(client: &Client, plan: &Plan, parallelism: usize, speech: &Speech<'_>) -> Result<ExitStatus, Error> {
    let json = speech.format == Format::Json;
    let palette = speech.palette;
    if !json {
        outln!("\nApplying…");
    }
    let total = plan.action_count();
    let landed = Mutex::new(0);
    let progress = Progress::bar(std::io::stderr().is_terminal());
    super::interrupt::graceful(true);
    let report = apply::apply(client, plan, parallelism, &super::interrupt::STOP, |o| {
        // Each result as it lands on stdout (stderr beside JSON); the count on stderr.
        if json {
            crate::output::err(&format!("{}\n", outcome_line(o, Palette::PLAIN)));
        } else {
            progress.stdout_line(&outcome_line(o, palette));
        }
        let mut done = landed.lock().unwrap();
        *done += 1;
        progress.set("applying", *done, total);
    })
    .await;
    super::interrupt::graceful(false);
    drop(progress);
    let stopped = super::interrupt::received();
    if json {
        out(&crate::render::apply::render_json(&report, speech.api, stopped.is_some()));
    } else {
        let verdict = match (stopped, report.is_success()) {
            (Some(_), _) => "stopped",
            (None, true) => "complete",
            (None, false) => "incomplete",
        };
        let not_started = report.not_started();
        outln!(
            "\nApply {verdict}: {} succeeded, {} failed, {} skipped{}.",
            report.succeeded(),
            report.failed(),
            report.skipped(),
            if not_started > 0 { format!(", {not_started} not started") } else { String::new() }
        );
        outln!("  {}.", crate::render::apply::by_kind(&report));
    }
    if report.is_success() {
        return Ok(ExitStatus::Success);
    }
    if !json {
        outln!("\nNot done:");
        for o in report.outcomes.iter().filter(|o| !matches!(o.status, Status::Done)) {
            outln!("{}", outcome_line(o, palette));
        }
    }
    if let Some(status) = stopped {
        errln!("Stopped before the end: run `gatesctl apply` again to finish; nothing done is done twice.");
        return Ok(status);
    }
    Err(Error::ApplyFailed { failed: report.failed(), skipped: report.skipped() })
}

pub(super) async fn run(args: &ApplyArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if let Some(path) = &args.plan {
        return apply_saved(path, args, ctx).await;
    }
    let desired = args.flags.files.load()?;
    let options = ops::plan::options(&desired, args.flags.targets.clone(), args.prune)?;
    let connection = ctx.connect(&args.flags.connect).await?;
    let speech = Speech { format: args.format, palette: ctx.stdout_palette(), api: &connection.target };
    let (plan, remote) = {
        let progress = Progress::bar(std::io::stderr().is_terminal());
        let reading = progress::reading(&progress);
        ops::plan::compute(&connection.client, &desired, &options, args.flags.parallelism, &reading).await?
    };
    speech.plan(&plan);
    super::plan::warn(ops::plan::check_safety(&plan, &remote, &desired, args.force)?);
    if plan.is_empty() {
        speech.nothing();
        return Ok(ExitStatus::Success);
    }
    if !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(Error::Refused(
                "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve".into(),
            ));
        }
        if !confirm(args.format == Format::Json)? {
            errln!("Apply cancelled; nothing was changed.");
            return Ok(ExitStatus::Failure);
        }
    }
    execute(&connection.client, &plan, args.flags.parallelism, &speech).await
}

/// Applies a saved plan after checking that neither the files nor the remote state it was
/// computed from have moved. It was reviewed when it was made, so nothing is asked.
async fn apply_saved(path: &std::path::Path, args: &ApplyArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if !args.flags.files.files.is_empty() || !args.flags.targets.is_empty() || args.prune {
        return Err(Error::Usage(
            "a saved plan carries its own files, targets and --prune: do not pass them with PLAN".into(),
        ));
    }
    let connection = ctx.connect(&args.flags.connect).await?;
    let speech = Speech { format: args.format, palette: ctx.stdout_palette(), api: &connection.target };
    let (plan, options, warning) = {
        let progress = Progress::bar(std::io::stderr().is_terminal());
        let reading = progress::reading(&progress);
        ops::saved::verify(path, &connection.client, &connection.target, args.flags.parallelism, &reading).await?
    };
    // The options are not signed: say them, so a log shows a plan saved with --prune for what it is.
    let mut flags: Vec<String> = options.targets.iter().map(|t| format!("--target {t}")).collect();
    flags.extend(options.prune.then(|| "--prune".to_string()));
    flags.extend(options.force.then(|| "--force".to_string()));
    if !flags.is_empty() {
        errln!("The saved plan {} was made with {}.", path.display(), flags.join(" "));
    }
    super::plan::warn(warning);
    speech.plan(&plan);
    if plan.is_empty() {
        speech.nothing();
        return Ok(ExitStatus::Success);
    }
    execute(&connection.client, &plan, args.flags.parallelism, &speech).await
}
