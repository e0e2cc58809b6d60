use std::path::PathBuf;

use clap::Args;

use super::{GlobalArgs, PlanFlags};
use crate::config::DesiredState;
use crate::error::{Error, ExitStatus};
use crate::ops;
use crate::output::{errln, out};
use crate::plan::saved::SavedOptions;
use crate::plan::{Plan, PlanOptions};
use crate::render::{json, markdown, text, Format, Palette};

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
    /// Go past the deletion safety threshold
    #[arg(long)]
    force: bool,
}

pub(super) fn render(plan: &Plan, format: Format, palette: Palette) -> String {
    match format {
        Format::Text => text::render_plan(plan, palette),
        Format::Json => json::render_plan(plan),
        Format::Markdown => markdown::render_plan(plan),
    }
}

pub(super) fn options(flags: &PlanFlags, prune: bool, desired: &DesiredState) -> PlanOptions {
    if prune && desired.scope.is_empty() {
        errln!("note: --prune deletes nothing: no file has a [manage] table saying which services and envs it owns");
    }
    PlanOptions { prune, targets: flags.targets.clone() }
}

pub(super) fn warn(warning: Option<String>) {
    if let Some(w) = warning {
        errln!("warning: {w}");
    }
}

pub(super) async fn run(args: &PlanArgs, global: &GlobalArgs) -> Result<ExitStatus, Error> {
    // Validate before any network access: an invalid file never reaches the API.
    let files = args.flags.files.paths()?;
    let desired = crate::config::load(&files)?;
    let options = options(&args.flags, args.prune, &desired);
    let connection = global.connect().await?;
    let (plan, remote) = ops::plan::compute(&connection.client, &desired, &options, args.flags.parallelism).await?;
    warn(ops::plan::check_safety(&plan, &remote, &desired, &options, args.force)?);
    out(&render(&plan, args.format, global.stdout_palette()));
    if let Some(path) = &args.out {
        let saved_options = SavedOptions {
            prune: args.prune,
            force: args.force,
            targets: options.targets.iter().map(|t| t.text.clone()).collect(),
        };
        ops::saved::save(path, &plan, &desired, connection.target.clone(), &files, saved_options)?;
        errln!(
            "Saved the plan to {}. Apply exactly these actions with: gatesctl apply {}",
            path.display(),
            path.display()
        );
    }
    Ok(if args.detailed_exitcode && !plan.is_empty() { ExitStatus::Changes } else { ExitStatus::Success })
}
