use std::io::{BufRead, IsTerminal, Write};

use clap::Args;

use super::{FileArgs, GlobalArgs};
use crate::apply::{self, Outcome, Status};
use crate::error::{exit, CliError};
use crate::remote;
use crate::render::{text, Palette};

#[derive(Debug, Args)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub files: FileArgs,
    /// Apply without asking; required when stdin is not a terminal (CI)
    #[arg(long)]
    pub auto_approve: bool,
    /// Requests in flight at once when reading rules and applying gates
    #[arg(long, default_value_t = remote::DEFAULT_PARALLELISM, value_parser = super::parse_parallelism)]
    pub parallelism: usize,
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

pub async fn run(args: &ApplyArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    let desired = args.files.load()?;
    let connection = global.connect().await?;
    let palette = global.stdout_palette();
    let plan = super::plan::compute(&connection.client, &desired, args.parallelism).await?;
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
    println!("\nApplying…");
    let report = apply::apply(&connection.client, &plan, args.parallelism, move |o| {
        println!("{}", outcome_line(o, palette))
    })
    .await;
    println!(
        "\nApply {}: {} succeeded, {} failed, {} skipped.",
        if report.is_success() {
            "complete"
        } else {
            "incomplete"
        },
        report.succeeded(),
        report.failed(),
        report.skipped()
    );
    if report.is_success() {
        return Ok(exit::OK);
    }
    println!("\nFailures:");
    for o in report
        .outcomes
        .iter()
        .filter(|o| !matches!(o.status, Status::Done))
    {
        println!("{}", outcome_line(o, palette));
    }
    Err(CliError::ApplyFailed {
        failed: report.failed(),
        skipped: report.skipped(),
    })
}
