use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::args::{ConnectArgs, FileFormat};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops::import;
use crate::output::{errln, out};
use gatesctl_core::model::{GateFilter, NamePatterns};
use gatesctl_core::text::plural;

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
    #[arg(long, default_value_t = gatesctl_client::DEFAULT_PARALLELISM, value_parser = super::args::parse_parallelism)]
    parallelism: usize,
    /// Import the datadog_deployment_gate resources of a Terraform state or saved plan, as
    /// `terraform show -json` prints it (or a terraform.tfstate), instead of reading the API;
    /// then print what stops Terraform from managing them
    #[arg(long, value_name = "FILE")]
    from_terraform: Option<PathBuf>,
    /// With --from-terraform: print `removed` blocks (Terraform 1.7+) instead of `terraform
    /// state rm` commands
    #[arg(long, requires = "from_terraform")]
    removed_blocks: bool,
    #[command(flatten)]
    connect: ConnectArgs,
}

fn patterns(list: &[String], flag: &'static str) -> Result<NamePatterns, Error> {
    NamePatterns::parse(list.iter().map(String::as_str))
        .map_err(|(text, reason)| Usage::BadPattern { flag, text, reason }.into())
}

pub(super) async fn run(args: &ImportArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let format = gatesctl_files::import::output_format(args.format.map(Into::into), args.output.as_deref());
    if let Some(path) = args.output.as_ref().filter(|p| p.exists() && !args.force) {
        return Err(Error::Refused(format!(
            "{} exists; pass --force to overwrite it",
            gatesctl_core::escape::path(path)
        )));
    }
    let filter = GateFilter {
        services: patterns(&args.services, "service")?,
        envs: patterns(&args.envs, "env")?,
        identifiers: NamePatterns::default(),
    };
    let imported = match &args.from_terraform {
        Some(_) if args.connect.merged(ctx.connect)?.is_set() => return Err(Usage::TerraformOffline.into()),
        Some(path) => import::from_terraform(path, &filter, format, args.removed_blocks)?,
        None => {
            let connection = ctx.connect(&args.connect).await?;
            let progress = Reporter::new(std::io::stderr().is_terminal());
            import::from_api(&connection.client, &connection.target, &filter, format, args.parallelism, &progress)
                .await?
        }
    };
    for w in &imported.warnings {
        errln!("warning: {w}");
    }
    deliver(&imported, args.output.as_deref())?;
    Ok(ExitStatus::Success)
}

/// The file to stdout, or written to `output`; and from Terraform, the way out of it, which
/// takes stdout once the file does not.
fn deliver(imported: &import::Imported, output: Option<&std::path::Path>) -> Result<(), Error> {
    let what = format!("{} and {}", plural(imported.gates, "gate", "gates"), plural(imported.rules, "rule", "rules"));
    let from = if imported.removal.is_some() { format!(" from {}", imported.source) } else { String::new() };
    match output {
        None => {
            out(&imported.text);
            if let Some(removal) = &imported.removal {
                errln!("Imported {what}{from}.\n");
                crate::output::err(removal);
            }
        }
        Some(path) => {
            gatesctl_fs::write::write_file(path, imported.text.as_bytes(), gatesctl_fs::write::Readers::Everyone)
                .map_err(|source| Error::Write { path: path.to_path_buf(), source })?;
            errln!("Imported {what}{from} into {}.", gatesctl_core::escape::path(path));
            if let Some(removal) = &imported.removal {
                out(removal);
            }
        }
    }
    Ok(())
}
