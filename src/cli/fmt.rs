use std::path::PathBuf;

use clap::Args;

use crate::error::{Error, ExitStatus, Usage};
use crate::output::{err, errln, out};
use gatesctl_files::fmt;

#[derive(Debug, Args)]
pub(super) struct FmtArgs {
    /// Files to format (.toml, .yaml, .yml), or - for standard input (written to standard
    /// output) [default: gates.toml, gates.yaml or gates.yml, and policies.toml beside it]
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Change nothing: exit 1, with the diff, when a file is not formatted
    #[arg(long)]
    check: bool,
    /// The format of standard input (-)
    #[arg(long, value_enum, value_name = "FORMAT")]
    format_in: Option<super::args::FileFormat>,
}

/// A unified diff, its removed lines red and added ones green when the palette colours.
fn coloured(diff: &str, palette: crate::views::Palette) -> String {
    diff.lines()
        .map(|line| {
            let painted = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => palette.bold(line),
                Some(b'-') => palette.delete(line),
                Some(b'+') => palette.create(line),
                Some(b'@') => palette.dim(line),
                _ => line.to_string(),
            };
            painted + "\n"
        })
        .collect()
}

pub(super) fn run(args: &FmtArgs, ctx: &super::Context<'_>) -> Result<ExitStatus, Error> {
    let paths = if args.files.is_empty() {
        gatesctl_files::resolve_paths(&[], std::path::Path::new("."))?
            .into_iter()
            .map(|p| p.strip_prefix(".").map(PathBuf::from).unwrap_or(p))
            .collect()
    } else {
        args.files.clone()
    };
    if args.format_in.is_some() && !paths.iter().any(|p| gatesctl_files::is_stdin(p)) {
        return Err(Usage::FormatInWithoutStdin { stdin: "-" }.into());
    }
    let mut unformatted = 0;
    let mut failed = 0;
    for path in &paths {
        let file = if gatesctl_files::is_stdin(path) {
            gatesctl_files::read_stdin(args.format_in.map(Into::into))?
        } else {
            gatesctl_files::read_file(path)?
        };
        let shown = gatesctl_core::escape::path(path);
        let formatted = match fmt::format(&file) {
            Ok(text) => file.as_stored(&text),
            Err(e) => {
                errln!("error: {shown}: {e}");
                failed += 1;
                continue;
            }
        };
        let before = file.as_stored(file.text());
        if gatesctl_files::is_stdin(path) && !args.check {
            out(&formatted);
            continue;
        }
        if formatted == before {
            continue;
        }
        unformatted += 1;
        if args.check {
            let diff = similar::TextDiff::from_lines(&before, &formatted);
            let text = diff.unified_diff().header(&shown, &format!("{shown} (formatted)")).to_string();
            out(&coloured(&text, ctx.stdout_palette()));
            errln!("would reformat {shown}");
        } else {
            use gatesctl_fs::write::{replace_read_file, ReplaceError};
            match replace_read_file(path, before.as_bytes(), formatted.as_bytes()) {
                Ok(()) => out(&format!("{shown}\n")),
                Err(ReplaceError::Io(source)) => return Err(Error::Write { path: path.clone(), source }),
                Err(refused) => {
                    errln!("error: {shown}: {refused}");
                    failed += 1;
                }
            }
        }
    }
    if failed > 0 {
        return Ok(ExitStatus::Error);
    }
    if args.check && unformatted > 0 {
        err(&format!(
            "{} not formatted: run `gatesctl fmt` to format {}\n",
            gatesctl_core::text::plural(unformatted, "file", "files"),
            if unformatted == 1 { "it" } else { "them" }
        ));
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}
