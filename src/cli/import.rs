use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::progress::{self, Progress};
use super::{ConnectArgs, Context};
use crate::error::{Error, ExitStatus};
use crate::model::{GateFilter, NamePatterns};
use crate::ops::import::{self, FileFormat};
use crate::output::{errln, out};

#[derive(Debug, Args)]
pub(super) struct ImportArgs {
    /// Only these services (exact names or globs); repeatable
    #[arg(long = "service", value_name = "SERVICE")]
    services: Vec<String>,
    /// Only these envs (exact names or globs); repeatable
    #[arg(long = "env", value_name = "ENV")]
    envs: Vec<String>,
    /// File format; default: from the -o extension, else toml
    #[arg(long, value_enum)]
    format: Option<FileFormat>,
    /// Write to FILE instead of standard output
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Overwrite FILE if it exists
    #[arg(long)]
    force: bool,
    /// Requests in flight at once
    #[arg(long, default_value_t = crate::remote::DEFAULT_PARALLELISM, value_parser = super::parse_parallelism)]
    parallelism: usize,
    #[command(flatten)]
    connect: ConnectArgs,
}

fn patterns(list: &[String], flag: &str) -> Result<NamePatterns, Error> {
    NamePatterns::parse(list.iter().map(String::as_str))
        .map_err(|(text, reason)| Error::Usage(format!("--{flag} {text:?}: {reason}")))
}

pub(super) async fn run(args: &ImportArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let format = args.format.unwrap_or_else(|| {
        match args.output.as_ref().and_then(|p| p.extension()).and_then(|e| e.to_str()) {
            Some("yaml" | "yml") => FileFormat::Yaml,
            _ => FileFormat::Toml,
        }
    });
    if let Some(path) = &args.output {
        if path.exists() && !args.force {
            return Err(Error::Refused(format!("{} exists; pass --force to overwrite it", path.display())));
        }
    }
    let filter = GateFilter {
        services: patterns(&args.services, "service")?,
        envs: patterns(&args.envs, "env")?,
        identifiers: NamePatterns::default(),
    };
    let connection = ctx.connect(&args.connect).await?;
    let (remote, warnings) = {
        let progress = Progress::bar(std::io::stderr().is_terminal());
        let reading = progress::reading(&progress);
        import::read(&connection.client, &filter, args.parallelism, &reading).await?
    };
    for w in warnings {
        errln!("warning: {w}");
    }
    let text = import::serialise(&import::file_spec(&remote), format, &connection.target)
        .map_err(|e| Error::Usage(format!("cannot write the file: {e}")))?;
    match &args.output {
        None => out(&text),
        Some(path) => {
            std::fs::write(path, text).map_err(|source| Error::Write { path: path.clone(), source })?;
            let rules: usize = remote.rules.values().map(Vec::len).sum();
            errln!("Imported {} gates and {rules} rules into {}.", remote.gates.len(), path.display());
        }
    }
    Ok(ExitStatus::Success)
}
