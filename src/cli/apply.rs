use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Args;

use super::{GlobalArgs, PlanFlags};
use crate::apply::{self, Outcome, Status};
use crate::error::{exit, CliError};
use crate::plan::saved::SavedPlan;
use crate::plan::Plan;
use crate::remote::{self, Client};
use crate::render::{text, Palette};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A plan saved by `gatesctl plan --out`: applied exactly, without asking, if still current
    #[arg(value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Apply without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    pub auto_approve: bool,
    /// Also delete remote gates in the [manage] scope that no file declares
    #[arg(long)]
    pub prune: bool,
    /// Go past the deletion safety threshold
    #[arg(long)]
    pub force: bool,
}

fn confirm() -> Result<bool, CliError> {
    print!("\nDo you want to perform these actions? Only 'yes' will be accepted: ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| CliError::Other(format!("cannot read the answer: {e}")))?;
    Ok(answer.trim() == "yes")
}

fn outcome_line(o: &Outcome, p: Palette) -> String {
    match &o.status {
        Status::Done => format!("  {} {}: {}", p.create("✓"), o.gate, o.action),
        Status::Failed(e) => format!("  {} {}: {}: {e}", p.delete("✗"), o.gate, o.action),
        Status::Skipped(why) => format!("  {} {}: {} skipped: {why}", p.dim("-"), o.gate, o.action),
    }
}

/// Progress while applying: each result as it lands on stdout, and on stderr a live bar on
/// a terminal, or a plain line every few seconds in CI.
struct Progress {
    total: usize,
    live: bool,
    palette: Palette,
    state: Mutex<(usize, usize, Instant)>,
}

const CI_PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    fn landed(&self, o: &Outcome) {
        let mut state = self.state.lock().unwrap();
        state.0 += 1;
        if matches!(o.status, Status::Failed(_)) {
            state.1 += 1;
        }
        let (done, failed) = (state.0, state.1);
        if self.live {
            eprint!("\r\x1b[2K");
        }
        println!("{}", outcome_line(o, self.palette));
        let line = format!("{done}/{} actions done, {failed} failed", self.total);
        if self.live {
            let width = 30;
            let filled = done * width / self.total.max(1);
            eprint!("[{}{}] {line}", "#".repeat(filled), "-".repeat(width - filled));
            std::io::stderr().flush().ok();
        } else if state.2.elapsed() >= CI_PROGRESS_EVERY || done == self.total {
            state.2 = Instant::now();
            eprintln!("progress: {line}");
        }
    }
}

fn action_count(plan: &Plan) -> usize {
    plan.gates
        .iter()
        .map(|g| g.rules.len() + usize::from(!matches!(g.action, crate::plan::GateAction::Keep { .. })))
        .sum()
}

/// Runs the actions and reports them as they land, then every failure again at the end.
async fn execute(client: &Client, plan: &Plan, parallelism: usize, palette: Palette) -> Result<i32, CliError> {
    println!("\nApplying…");
    let progress = Arc::new(Progress {
        total: action_count(plan),
        live: std::io::stderr().is_terminal(),
        palette,
        state: Mutex::new((0, 0, Instant::now())),
    });
    let reporter = Arc::clone(&progress);
    let report = apply::apply(client, plan, parallelism, move |o| reporter.landed(o)).await;
    if progress.live {
        eprintln!();
    }
    println!(
        "\nApply {}: {} succeeded, {} failed, {} skipped.",
        if report.is_success() { "complete" } else { "incomplete" },
        report.succeeded(),
        report.failed(),
        report.skipped()
    );
    if report.is_success() {
        return Ok(exit::OK);
    }
    println!("\nFailures:");
    for o in report.outcomes.iter().filter(|o| !matches!(o.status, Status::Done)) {
        println!("{}", outcome_line(o, palette));
    }
    Err(CliError::ApplyFailed { failed: report.failed(), skipped: report.skipped() })
}

pub async fn run(args: &ApplyArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    if let Some(path) = &args.plan {
        return apply_saved(path, args, global).await;
    }
    let desired = args.flags.files.load()?;
    let options = super::plan::options(&args.flags, args.prune, &desired);
    let connection = global.connect().await?;
    let palette = global.stdout_palette();
    let (plan, remote) = super::plan::compute(&connection.client, &desired, &options, args.flags.parallelism).await?;
    super::plan::check_safety(&plan, &remote, &desired, &options, args.force)?;
    print!("{}", text::render_plan(&plan, palette));
    if plan.is_empty() {
        return Ok(exit::OK);
    }
    if !args.auto_approve {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::Refused(
                "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve".into(),
            ));
        }
        if !confirm()? {
            println!("Apply cancelled; nothing was changed.");
            return Ok(exit::ERROR);
        }
    }
    execute(&connection.client, &plan, args.flags.parallelism, palette).await
}

/// Applies a saved plan after checking that neither the files nor the remote state it was
/// computed from have moved. It was reviewed when it was made, so nothing is asked.
async fn apply_saved(path: &PathBuf, args: &ApplyArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    if !args.flags.files.files.is_empty() || !args.flags.targets.is_empty() || args.prune {
        return Err(CliError::Other(
            "a saved plan carries its own files, targets and --prune: do not pass them with PLAN".into(),
        ));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Other(format!("cannot read the saved plan {}: {e}", path.display())))?;
    let saved = SavedPlan::parse(&text).map_err(|e| CliError::Other(format!("{}: {e}", path.display())))?;
    let desired = crate::config::load(&saved.files)?;
    let connection = global.connect().await?;
    let palette = global.stdout_palette();
    // Re-read only what the plan's actions depend on.
    let in_plan = |k: &crate::model::GateKey| saved.remote.contains_key(&k.to_string());
    let remote = remote::fetch(&connection.client, args.flags.parallelism, in_plan).await?;
    let problems = saved.staleness(&desired, &remote, &connection.target);
    if !problems.is_empty() {
        let list: Vec<String> = problems.iter().map(|p| format!("  - {p}")).collect();
        return Err(CliError::Refused(format!(
            "the saved plan {} is stale and was not applied (was it applied already?):\n{}\nRun `gatesctl plan --out {}` again and review the new plan.",
            path.display(),
            list.join("\n"),
            path.display()
        )));
    }
    print!("{}", text::render_plan(&saved.plan, palette));
    if saved.plan.is_empty() {
        return Ok(exit::OK);
    }
    execute(&connection.client, &saved.plan, args.flags.parallelism, palette).await
}
