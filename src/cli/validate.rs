use clap::Args;
use std::io::IsTerminal;

use super::plan::{report_check, MonitorCheckArgs};
use super::{ConnectArgs, Context, FileArgs};
use crate::error::{Error, ExitStatus};
use crate::output::{out, outln};
use crate::views::{validate as diagnostics, Format};
use gatesctl_core::text::plural;
use gatesctl_files::ConfigError;

#[derive(Debug, Args)]
pub(super) struct ValidateArgs {
    #[command(flatten)]
    files: FileArgs,
    /// Files to validate, as -f takes them (pre-commit passes the files it checks this way)
    #[arg(value_name = "FILE")]
    more_files: Vec<std::path::PathBuf>,
    /// Output format: text (labelled excerpts on stderr) or json (for editors and bots, on stdout)
    #[arg(long, value_parser = Format::text_or_json(), default_value = "text")]
    format: Format,
    /// Also check the files against the organisation: search the monitors of every monitor
    /// rule's query (needs the API keys, or --sandbox)
    #[arg(long)]
    online: bool,
    /// Validate the files of each folder as a configuration of their own, apart from other
    /// folders' (independent trees in one repository: org-a/gates.toml, org-b/gates.toml)
    #[arg(long, conflicts_with = "online")]
    per_directory: bool,
    #[command(flatten)]
    monitors: MonitorCheckArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

impl ValidateArgs {
    /// Whether this run calls the API.
    pub(super) fn is_online(&self) -> bool {
        self.online
    }
}

pub(super) async fn run(args: &ValidateArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if !args.online && args.connect.is_set() {
        return Err(Error::Usage(
            "validate reads only the files unless --online is given: add --online to check them against the organisation".into(),
        ));
    }
    if !args.online && (args.monitors.strict || args.monitors.no_monitor_check) {
        return Err(Error::Usage("--strict and --no-monitor-check are about the monitor check: add --online".into()));
    }
    if args.per_directory {
        return per_directory(args);
    }
    let desired = match args.files.load_with(&args.more_files) {
        Ok(desired) => desired,
        Err(Error::Config(e)) if args.format == Format::Json => {
            let (found, error) = match &e {
                ConfigError::Invalid { diagnostics } => (diagnostics.as_slice(), None),
                other => (&[][..], Some(other.to_string())),
            };
            super::ci::annotate(found);
            out(&diagnostics::render_json(None, found, error.as_deref(), None));
            return Ok(ExitStatus::Error);
        }
        Err(e) => return Err(e),
    };
    let (check, sandbox) = if args.online {
        let connection = ctx.connect(&args.connect).await?;
        let progress = super::progress::Progress::bar(std::io::stderr().is_terminal());
        let reads = super::progress::Reads::new(&progress);
        let parallelism = gatesctl_client::DEFAULT_PARALLELISM;
        let check = args.monitors.run(&connection.client, &desired, parallelism, &reads.checking()).await;
        (check, connection.is_sandbox())
    } else {
        Default::default()
    };
    let counts = (desired.gates.len(), desired.rule_count());
    if args.format == Format::Json {
        out(&diagnostics::render_json(Some(counts), &check.diagnostics, None, check.unchecked.as_deref()));
        return Ok(if args.monitors.verdict(&check).is_ok() { ExitStatus::Success } else { ExitStatus::Error });
    }
    report_check(&check, ctx.stderr_color(), sandbox, super::plan::Findings::Stderr);
    args.monitors.verdict(&check)?;
    outln!("Configuration is valid: {}, {}.", plural(counts.0, "gate", "gates"), plural(counts.1, "rule", "rules"));
    Ok(ExitStatus::Success)
}

/// Each folder's files validated apart: every problem of every folder at once, one line per
/// valid folder.
fn per_directory(args: &ValidateArgs) -> Result<ExitStatus, Error> {
    if args.format == Format::Json {
        return Err(Error::Usage("--per-directory prints text: validate each folder with -f for JSON".into()));
    }
    let paths: Vec<std::path::PathBuf> = if args.more_files.is_empty() {
        args.files.paths()?
    } else {
        args.files.files.iter().chain(&args.more_files).cloned().collect()
    };
    let mut folders: std::collections::BTreeMap<std::path::PathBuf, Vec<std::path::PathBuf>> = Default::default();
    for path in paths {
        let folder = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        folders.entry(folder).or_default().push(path);
    }
    let (mut problems, mut valid) = (Vec::new(), Vec::new());
    for (folder, files) in &folders {
        match gatesctl_files::load_files(files, args.files.format_in.map(Into::into)) {
            Ok(desired) => valid.push((folder, desired.gates.len(), desired.rule_count())),
            Err(ConfigError::Invalid { diagnostics }) => problems.extend(diagnostics),
            Err(other) => return Err(Error::Config(other)),
        }
    }
    if !problems.is_empty() {
        return Err(Error::Config(ConfigError::Invalid { diagnostics: problems }));
    }
    for (folder, gates, rules) in valid {
        let shown = if folder.as_os_str().is_empty() { ".".to_string() } else { gatesctl_core::escape::path(folder) };
        outln!(
            "{shown}: configuration is valid: {}, {}.",
            plural(gates, "gate", "gates"),
            plural(rules, "rule", "rules")
        );
    }
    Ok(ExitStatus::Success)
}
