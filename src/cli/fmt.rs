use std::path::PathBuf;

use clap::Args;

use super::args::FileArgs;
use crate::error::{Error, ExitStatus};
use crate::ops::fmt::{FmtRequest, Formatted};
use crate::output::{err, errln, out};

#[derive(Debug, Args)]
pub(super) struct FmtArgs {
    #[command(flatten)]
    files: FileArgs,
    /// Files to format, as -f takes them (pre-commit passes them this way); standard input
    /// (-) is written to standard output
    #[arg(value_name = "FILE")]
    more_files: Vec<PathBuf>,
    /// Change nothing: exit 1, with the diff, when a file is not formatted
    #[arg(long)]
    check: bool,
}

pub(super) fn run(args: &FmtArgs, ctx: &super::Context<'_>) -> Result<ExitStatus, Error> {
    let request = FmtRequest {
        paths: args.files.paths_with(&args.more_files)?,
        format_in: args.files.format_in.map(Into::into),
        check: args.check,
    };
    let (mut unformatted, mut failed) = (0, 0);
    for (path, formatted) in crate::ops::fmt::run(&request)? {
        let shown = gatesctl_core::escape::path(&path);
        match formatted {
            Formatted::Unchanged => {}
            Formatted::Stdout(text) => out(&text),
            Formatted::Written => out(&format!("{shown}\n")),
            Formatted::WouldChange { before, after } => {
                unformatted += 1;
                out(&crate::views::fmt::render_diff(&shown, &before, &after, ctx.stdout_palette()));
                errln!("would reformat {shown}");
            }
            Formatted::Failed(why) => {
                failed += 1;
                errln!("error: {shown}: {why}");
            }
        }
    }
    if failed > 0 {
        return Ok(ExitStatus::Error);
    }
    if unformatted > 0 {
        err(&format!(
            "{} not formatted: run `gatesctl fmt` to format {}\n",
            gatesctl_core::text::plural(unformatted, "file", "files"),
            if unformatted == 1 { "it" } else { "them" }
        ));
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
