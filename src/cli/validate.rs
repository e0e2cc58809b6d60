use clap::Args;
use std::io::IsTerminal;

use super::args::{report_check, ConnectArgs, FileArgs, Findings, MonitorCheckArgs};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
use crate::ops::validate::Validated;
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
        return Err(Usage::ConnectWithoutOnline.into());
    }
    if !args.online && (args.monitors.strict || args.monitors.no_monitor_check) {
        return Err(Usage::CheckWithoutOnline.into());
    }
    if args.per_directory {
        return per_directory(args, ctx);
    }
    let desired = match args.files.load_with(&args.more_files) {
        Ok(desired) => desired,
        Err(Error::Config(e)) if args.format == Format::Json => return Ok(invalid_as_json(&e)),
        Err(e) => return Err(e),
    };
    let connection = if args.online { Some(ctx.connect(&args.connect).await?) } else { None };
    let validated = match &connection {
        Some(c) => {
            let progress = Reporter::new(std::io::stderr().is_terminal());
            ops::validate::run(Some(&c.client), &desired, args.monitors.mode(), &progress).await
        }
        None => ops::validate::run(None, &desired, args.monitors.mode(), &ops::progress::Unwatched).await,
    };
    let Validated { counts, policies, broken, check } = &validated;
    let found = gatesctl_core::policy::diagnostics(policies);
    let notes = policy_notes(policies);
    if args.format == Format::Json {
        let all: Vec<_> = check.diagnostics.iter().chain(&found).cloned().collect();
        super::ci::annotate(&found);
        let policies = Some((desired.policies.len(), notes.as_slice()));
        out(&diagnostics::render_json(Some(*counts), &all, None, check.unchecked.as_deref(), policies));
        return Ok(match (ops::monitors::verdict(check, args.monitors.mode()).is_ok(), broken) {
            (false, _) => ExitStatus::Error,
            (true, 0) => ExitStatus::Success,
            (true, _) => ExitStatus::Failure,
        });
    }
    let sandbox = connection.as_ref().is_some_and(|c| c.is_sandbox());
    report_check(check, ctx.stderr_color(), sandbox, Findings::Stderr);
    show_policies(&found, &notes, ctx);
    ops::monitors::verdict(check, args.monitors.mode())?;
    if *broken > 0 {
        return Err(Error::PolicyBroken { broken: *broken, by_plan: false });
    }
    outln!("Configuration is valid: {}.", declared(*counts, desired.policies.len()));
    Ok(ExitStatus::Success)
}

/// Files that do not load, as a JSON document on stdout (and annotations) rather than an
/// error on stderr: what editors and bots read.
fn invalid_as_json(e: &ConfigError) -> ExitStatus {
    let (found, error) = match e {
        ConfigError::Invalid { diagnostics } => (diagnostics.as_slice(), None),
        other => (&[][..], Some(other.to_string())),
    };
    super::ci::annotate(found);
    out(&diagnostics::render_json(None, found, error.as_deref(), None, None));
    ExitStatus::Error
}

/// "12 gates, 25 rules", and the policies when there are any.
fn declared((gates, rules): (usize, usize), policies: usize) -> String {
    let mut text = format!("{}, {}", plural(gates, "gate", "gates"), plural(rules, "rule", "rules"));
    if policies > 0 {
        text.push_str(&format!(", {}", plural(policies, "policy", "policies")));
    }
    text
}

/// What each policy could not check from the files alone.
fn policy_notes(verdicts: &[gatesctl_core::policy::PolicyVerdict]) -> Vec<String> {
    verdicts
        .iter()
        .flat_map(|v| {
            v.unchecked.iter().map(move |why| format!("policy {}: {why}", gatesctl_core::escape::quoted(&v.policy)))
        })
        .collect()
}

/// The violations the files show, as located excerpts (and annotations), then the notes.
fn show_policies(found: &[gatesctl_files::ConfigDiagnostic], notes: &[String], ctx: &Context<'_>) {
    if !found.is_empty() {
        crate::output::err(&diagnostics::render(found, ctx.stderr_color(), diagnostics::terminal_width()));
        super::ci::annotate(found);
    }
    for note in notes {
        crate::output::errln!("note: {note}");
    }
}

/// Each folder's files validated apart: every problem of every folder at once, one line per
/// valid folder.
fn per_directory(args: &ValidateArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    if args.format == Format::Json {
        return Err(Usage::PerDirectoryJson.into());
    }
    let folders =
        ops::validate::per_directory(args.files.paths_with(&args.more_files)?, args.files.format_in.map(Into::into))?;
    show_policies(&folders.found, &[], ctx);
    if folders.broken > 0 {
        return Err(Error::PolicyBroken { broken: folders.broken, by_plan: false });
    }
    for valid in folders.valid {
        let folder = &valid.folder;
        let shown = if folder.as_os_str().is_empty() { ".".to_string() } else { gatesctl_core::escape::path(folder) };
        outln!("{shown}: configuration is valid: {}.", declared(valid.counts, valid.policies));
    }
    Ok(ExitStatus::Success)
}
