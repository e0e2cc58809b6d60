use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{GlobalArgs, PlanFlags};
use crate::config::DesiredState;
use crate::error::{exit, CliError};
use crate::plan::saved::SavedPlan;
use crate::plan::{self, Plan, PlanOptions};
use crate::remote::{self, Client, RemoteState};
use crate::render::{json, markdown, text, Palette};

#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub flags: PlanFlags,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Save the plan to FILE, to apply exactly it later with `gatesctl apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also delete remote gates in the [manage] scope that no file declares
    #[arg(long)]
    pub prune: bool,
    /// Go past the deletion safety threshold
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

pub fn render(plan: &Plan, format: Format, palette: Palette) -> String {
    match format {
        Format::Text => text::render_plan(plan, palette),
        Format::Json => json::render_plan(plan),
        Format::Markdown => markdown::render_plan(plan),
    }
}

/// Reads the remote state the plan needs and diffs it. Shared by plan, apply and drift.
pub async fn compute(
    client: &Client,
    desired: &DesiredState,
    options: &PlanOptions,
    parallelism: usize,
) -> Result<(Plan, RemoteState), CliError> {
    let remote = remote::fetch(client, parallelism, plan::needs_rules(desired, options)).await?;
    let plan = plan::diff(desired, &remote, options);
    Ok((plan, remote))
}

/// Refuses a plan over the deletion threshold unless forced.
pub fn check_safety(
    plan: &Plan,
    remote: &RemoteState,
    desired: &DesiredState,
    options: &PlanOptions,
    force: bool,
) -> Result<(), CliError> {
    match plan::deletion_check(plan, remote, desired, options) {
        Err(message) if !force => Err(CliError::Refused(message)),
        Err(message) => {
            eprintln!("warning: {message} (going ahead: --force)");
            Ok(())
        }
        Ok(()) => Ok(()),
    }
}

pub fn options(flags: &PlanFlags, prune: bool, desired: &DesiredState) -> PlanOptions {
    if prune && desired.scope.is_empty() {
        eprintln!("note: --prune deletes nothing: no file has a [manage] table saying which services and envs it owns");
    }
    PlanOptions { prune, targets: flags.targets.clone() }
}

pub async fn run(args: &PlanArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    // Validate before any network access: an invalid file never reaches the API.
    let files = args.flags.files.paths()?;
    let desired = crate::config::load(&files)?;
    let options = options(&args.flags, args.prune, &desired);
    let connection = global.connect().await?;
    let (plan, remote) = compute(&connection.client, &desired, &options, args.flags.parallelism).await?;
    check_safety(&plan, &remote, &desired, &options, args.force)?;
    print!("{}", render(&plan, args.format, global.stdout_palette()));
    if let Some(out) = &args.out {
        let targets = options.targets.iter().map(|t| t.text.clone()).collect();
        let saved = SavedPlan::new(&plan, &remote, &desired, connection.target.clone(), files, args.prune, targets);
        let text = serde_json::to_string_pretty(&saved).expect("saved plan serialises") + "\n";
        std::fs::write(out, text)
            .map_err(|e| CliError::Other(format!("cannot write the plan to {}: {e}", out.display())))?;
        eprintln!(
            "Saved the plan to {}. Apply exactly these actions with: gatesctl apply {}",
            out.display(),
            out.display()
        );
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() { exit::CHANGES } else { exit::OK })
}
