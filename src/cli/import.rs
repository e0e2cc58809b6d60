use std::path::PathBuf;

use std::io::IsTerminal;

use clap::Args;

use super::progress::{self, Progress};
use super::{ConnectArgs, Context};
use crate::error::{Error, ExitStatus};
use crate::model::{GateFilter, NamePatterns};
use crate::ops::import::{self, FileFormat};
use crate::ops::terraform;
use crate::output::{errln, out, plural};

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
    if let Some(path) = &args.from_terraform {
        return from_terraform(path, args, ctx, format, &filter);
    }
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
            crate::output::write_file(path, text.as_bytes(), crate::output::Readers::Everyone)
                .map_err(|source| Error::Write { path: path.clone(), source })?;
            let rules: usize = remote.rules.values().map(Vec::len).sum();
            errln!(
                "Imported {} and {} into {}.",
                plural(remote.gates.len(), "gate", "gates"),
                plural(rules, "rule", "rules"),
                path.display()
            );
        }
    }
    Ok(ExitStatus::Success)
}

/// `--from-terraform`: no API call; the gates of the Terraform file, then the way out of
/// Terraform for exactly those (on stdout when the file went to `-o`, else on stderr).
fn from_terraform(
    path: &std::path::Path,
    args: &ImportArgs,
    ctx: &Context<'_>,
    format: FileFormat,
    filter: &GateFilter,
) -> Result<ExitStatus, Error> {
    if args.connect.merged(ctx.connect)?.is_set() {
        return Err(Error::Usage(
            "--from-terraform reads the Terraform file only: drop --sandbox, --site and --api-url (run `gatesctl plan` against the organisation afterwards)".into(),
        ));
    }
    let text = crate::config::read_text(path).map_err(Error::Config)?;
    let mut migration = terraform::read(&text).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let all = migration.instances.clone();
    migration.retain(|k| filter.matches(k));
    if migration.remote.gates.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no datadog_deployment_gate resource{} in this {}",
            path.display(),
            if args.services.is_empty() && args.envs.is_empty() { "" } else { " matching --service/--env" },
            migration.source.describe()
        )));
    }
    for w in
        import::unprintable_names(&migration.remote).into_iter().chain(import::unprintable_options(&migration.remote))
    {
        errln!("warning: {w}");
    }
    let source = format!("{} ({})", path.display(), migration.source.describe());
    let text = import::serialise(&import::file_spec(&migration.remote), format, &source)
        .map_err(|e| Error::Usage(format!("cannot write the file: {e}")))?;
    let gates = plural(migration.remote.gates.len(), "gate", "gates");
    let rules = plural(migration.remote.rules.values().map(Vec::len).sum(), "rule", "rules");
    let removal = terraform::removal(&migration, &all, args.removed_blocks);
    match &args.output {
        None => {
            out(&text);
            errln!("Imported {gates} and {rules} from {source}.\n");
            crate::output::err(&removal);
        }
        Some(output) => {
            crate::output::write_file(output, text.as_bytes(), crate::output::Readers::Everyone)
                .map_err(|source| Error::Write { path: output.clone(), source })?;
            errln!("Imported {gates} and {rules} from {source} into {}.", output.display());
            out(&removal);
        }
    }
    Ok(ExitStatus::Success)
}
