use clap::Args;
use std::io::IsTerminal;

use super::args::{report_check, ConnectArgs, FileArgs, Findings, MonitorCheckArgs};
use super::context::Context;
use crate::error::{Error, ExitStatus, Usage};
use crate::ops;
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
        Err(Error::Config(e)) if args.format == Format::Json => {
            let (found, error) = match &e {
                ConfigError::Invalid { diagnostics } => (diagnostics.as_slice(), None),
                other => (&[][..], Some(other.to_string())),
            };
            super::ci::annotate(found);
            out(&diagnostics::render_json(None, found, error.as_deref(), None, None));
            return Ok(ExitStatus::Error);
        }
        Err(e) => return Err(e),
    };
    let (check, sandbox) = if args.online {
        let connection = ctx.connect(&args.connect).await?;
        let progress = super::progress::Reporter::new(std::io::stderr().is_terminal());
        let parallelism = gatesctl_client::DEFAULT_PARALLELISM;
        let check =
            ops::monitors::run(&connection.client, &desired, parallelism, args.monitors.mode(), &progress).await;
        (check, connection.is_sandbox())
    } else {
        Default::default()
    };
    let counts = (desired.gates.len(), desired.rule_count());
    let policies = ops::policy::offline(&desired);
    let broken = ops::policy::errors(&policies);
    let found = gatesctl_core::policy::diagnostics(&policies);
    let notes = policy_notes(&policies);
    if args.format == Format::Json {
        let all: Vec<_> = check.diagnostics.iter().chain(&found).cloned().collect();
        super::ci::annotate(&found);
        let policies = Some((desired.policies.len(), notes.as_slice()));
        out(&diagnostics::render_json(Some(counts), &all, None, check.unchecked.as_deref(), policies));
        return Ok(match (ops::monitors::verdict(&check, args.monitors.mode()).is_ok(), broken) {
            (false, _) => ExitStatus::Error,
            (true, 0) => ExitStatus::Success,
            (true, _) => ExitStatus::Failure,
        });
    }
    report_check(&check, ctx.stderr_color(), sandbox, Findings::Stderr);
    show_policies(&found, &notes, ctx);
    ops::monitors::verdict(&check, args.monitors.mode())?;
    if broken > 0 {
        return Err(Error::PolicyBroken { broken, by_plan: false });
    }
    outln!("Configuration is valid: {}.", declared(counts, desired.policies.len()));
    Ok(ExitStatus::Success)
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
    let (mut invalid, mut found, mut valid) = (Vec::new(), Vec::new(), Vec::new());
    // Each folder's policies are part of its configuration, named or not.
    for (folder, files) in folders.iter_mut() {
        if !files.iter().any(|f| gatesctl_files::is_policies_file(f)) {
            let dir = if folder.as_os_str().is_empty() { std::path::Path::new(".") } else { folder.as_path() };
            if let Some(policies) = gatesctl_files::policies_file(dir)? {
                files.push(folder.join(policies.file_name().unwrap_or_default()));
            }
        }
    }
    let mut broken = 0;
    for (folder, files) in &folders {
        match gatesctl_files::load_files(files, args.files.format_in.map(Into::into)) {
            Ok(desired) => {
                let policies = ops::policy::offline(&desired);
                broken += ops::policy::errors(&policies);
                found.extend(gatesctl_core::policy::diagnostics(&policies));
                valid.push((folder, (desired.gates.len(), desired.rule_count()), desired.policies.len()))
            }
            Err(ConfigError::Invalid { diagnostics }) => invalid.extend(diagnostics),
            Err(other) => return Err(Error::Config(other)),
        }
    }
    // Every problem of every folder at once: an invalid folder's, and the policies the valid
    // ones break.
    if !invalid.is_empty() {
        invalid.extend(found);
        return Err(Error::Config(ConfigError::Invalid { diagnostics: invalid }));
    }
    show_policies(&found, &[], ctx);
    if broken > 0 {
        return Err(Error::PolicyBroken { broken, by_plan: false });
    }
    for (folder, counts, policies) in valid {
        let shown = if folder.as_os_str().is_empty() { ".".to_string() } else { gatesctl_core::escape::path(folder) };
        outln!("{shown}: configuration is valid: {}.", declared(counts, policies));
    }
    Ok(ExitStatus::Success)
}
