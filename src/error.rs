//! How a command ends: a typed exit status, and errors that each own theirs.

use std::path::PathBuf;

use gatesctl_client::{ApiError, SetupError};
use gatesctl_files::ConfigError;

pub(crate) use gatesctl_core::ExitStatus;

/// Why a command stopped early: each failure a variant, its message and exit status decided
/// here, once.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("{0}")]
    Api(#[from] ApiError),
    /// A datadog-ci `--config` file that cannot be used.
    #[error(transparent)]
    InlineConfig(#[from] gatesctl_files::datadog_ci::InlineConfigError),
    /// Boxed: the largest variant, and a rare one.
    #[error(transparent)]
    Usage(Box<Usage>),
    /// A `--target` that matches no gate: checked before any request, and with `--prune` once
    /// the remote gates are read.
    #[error("--target {:?} matches no declared gate{}", .0.target, match &.0.close { Some(close) => format!("; did you mean {close:?}?"), None => "; --target takes service/env[/identifier], each an exact name or a glob".to_string() })]
    UnmatchedTarget(gatesctl_core::plan::UnmatchedTarget),
    /// `import --from-terraform` found no gate to import.
    #[error("{}: no datadog_deployment_gate resource{} in this {what}", gatesctl_core::escape::path(.path), if *.filtered { " matching --service/--env" } else { "" })]
    NothingToImport { path: PathBuf, filtered: bool, what: String },
    /// A missing confirmation, a file that would be overwritten.
    #[error("{0}")]
    Refused(String),
    /// The plan goes past the thresholds of `[safety]`.
    #[error(transparent)]
    Unsafe(#[from] gatesctl_core::plan::Unsafe),
    #[error("the saved plan {} is stale and was not applied (was it applied already?):\n{}\nRun `gatesctl plan --out {}` again and review the new plan.", gatesctl_core::escape::path(.path), .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"), gatesctl_core::escape::path(.path))]
    StalePlan { path: PathBuf, problems: Vec<String> },
    #[error("{}: {reason}", gatesctl_core::escape::path(.path))]
    BadSavedPlan { path: PathBuf, reason: gatesctl_core::plan::saved::SavedPlanError },
    #[error("apply finished with {failed} failed and {skipped} skipped action(s); see the failures above, fix them, then run `gatesctl apply` again")]
    ApplyFailed { failed: usize, skipped: usize },
    #[error("cannot write {}: {source}", gatesctl_core::escape::path(.path))]
    Write { path: PathBuf, source: std::io::Error },
    #[cfg(feature = "sandbox")]
    #[error("the sandbox cannot start: {0}")]
    Sandbox(#[from] gatesctl_sandbox::SandboxError),
    #[error("this gatesctl was built without its sandbox (--no-default-features): build it with the default features for --sandbox")]
    #[cfg(not(feature = "sandbox"))]
    NoSandbox,
    /// A Terraform document `import --from-terraform` cannot migrate.
    #[error("{}: {source}", gatesctl_core::escape::path(.path))]
    Terraform { path: PathBuf, source: gatesctl_files::terraform::TerraformError },
    /// The files `--write` would produce do not say what they should.
    #[error(transparent)]
    Edit(#[from] gatesctl_files::edit::EditError),
    /// `import` could not write the gates as a file (a value TOML or YAML cannot hold).
    #[error(transparent)]
    Serialise(#[from] gatesctl_files::import::SerialiseError),
    #[error("cannot read the answer from the terminal: {0}")]
    Answer(std::io::Error),
    #[error("cannot render the man page: {0}")]
    ManPage(std::io::Error),
    #[error("FIPS mode was asked for, but gatesctl's TLS (rustls with the ring provider) is not a FIPS 140-validated module: use datadog-ci where FIPS is required, or pass --fips-ignore-error to go ahead without it")]
    FipsUnavailable,
    /// Requirements of `error` policies broken by the files (validate) or by a plan.
    #[error("{} {} of error-level policies (above){}: change the files, or add an exception with a reason and an end date (docs/policy.md)", if *.by_plan { "the plan breaks" } else { "the files break" }, if *.broken == 1 { "1 requirement".to_string() } else { format!("{} requirements", .broken) }, if *.by_plan { ", so it is refused and nothing is changed" } else { "" })]
    PolicyBroken { broken: usize, by_plan: bool },
    #[error("the monitor check found {problems} monitor rule {} (--strict): fix {} above, or drop --strict to keep {} as warnings", if *.problems == 1 { "problem" } else { "problems" }, if *.problems == 1 { "it" } else { "them" }, if *.problems == 1 { "it" } else { "them" })]
    Strict { problems: usize },
}

impl From<Usage> for Error {
    fn from(usage: Usage) -> Self {
        Error::Usage(Box::new(usage))
    }
}

impl Error {
    pub(crate) fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Refused(_)
            | Error::Unsafe(_)
            | Error::StalePlan { .. }
            | Error::ApplyFailed { .. }
            | Error::PolicyBroken { .. } => ExitStatus::Failure,
            _ => ExitStatus::Error,
        }
    }
}

/// Flags that do not fit together, or a value clap cannot check alone: raised by the command
/// line, before anything is read from the API; each sentence names the flags and the way out.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Usage {
    #[error("--sandbox runs against the built-in sandbox: do not pass --site or --api-url with it")]
    SandboxWithSite,
    #[error(
        "--sandbox, --site and --api-url are for the commands that call the API ({calls_the_api}), not for {command}"
    )]
    Offline { command: &'static str, calls_the_api: &'static str },
    #[error("--format-in is the format of standard input (-f - or -); a named file's format comes from its extension (.toml, .yaml, .yml)")]
    FormatInWithoutStdin,
    #[error("--out saves a plan to apply against the files it was made from, and standard input cannot be read again: write the configuration to a file first")]
    OutFromStdin,
    #[error(
        "--write changes the files in place, and standard input is not a file: write the configuration to a file first"
    )]
    WriteToStdin,
    #[error("--prune deletes remote gates inside the [manage] scope that no file declares, but no file has a [manage] table: add one (e.g. `[manage]` with `services = [\"checkout\"]`), or drop --prune")]
    PruneWithoutManage,
    #[error("a saved plan carries its own files, targets and --prune: do not pass them with PLAN")]
    SavedPlanWithFiles,
    #[error("--target {} matches no gate declared in the files; the report covers declared gates only", gatesctl_core::escape::quoted(.0))]
    ReportTarget(String),
    #[error("--since {0} is longer than the 30 days of history the API serves in one window; use --since 30d or less")]
    SinceTooLong(String),
    #[error(
        "the files declare no policy: add [[policy]] tables (docs/policy.md), e.g. in policies.toml beside gates.toml"
    )]
    NoPolicy,
    #[error("{flag} is empty: name the gate's {} (is the pipeline variable that should hold it set?)", &.flag[2..])]
    Empty { flag: &'static str },
    #[error("--interval {} is longer than --timeout {}: the result would never be polled; shorten the interval", humantime::format_duration(*.interval), humantime::format_duration(*.timeout))]
    IntervalPastTimeout { interval: std::time::Duration, timeout: std::time::Duration },
    #[error("--jit: gate {gate} is not declared in the configuration ({})", if .same.is_empty() { format!("no gate of service {:?} is declared", .gate.service) } else { format!("gates declared for {:?}: {}", .gate.service, .same.join(", ")) })]
    Undeclared { gate: gatesctl_core::model::GateKey, same: Vec<String> },
    #[error("rule {} of gate {gate} uses `{}`, which the API's inline (just-in-time) configuration does not take: a {rule_type} rule inline takes {takes}; evaluate the gate as stored in Datadog instead (without --jit or --config), or write the rule with a query", gatesctl_core::escape::quoted(.rule), gatesctl_core::escape::terminal(.option))]
    NotInline {
        rule: String,
        gate: gatesctl_core::model::GateKey,
        option: String,
        rule_type: &'static str,
        takes: String,
    },
    #[error("--{flag} {text:?}: {reason}")]
    BadPattern { flag: &'static str, text: String, reason: String },
    #[error("--from-terraform reads the Terraform file only: drop --sandbox, --site and --api-url (run `gatesctl plan` against the organisation afterwards)")]
    TerraformOffline,
    #[error("no command {}: {}the commands are {}", gatesctl_core::escape::quoted(.wanted), .close.as_ref().map(|c| format!("did you mean `{c}`? ")).unwrap_or_default(), .commands.join(", "))]
    NoCommand { wanted: String, close: Option<String>, commands: Vec<String> },
    #[cfg(feature = "sandbox")]
    #[error("the sandbox accepts any key, so it listens on loopback only; use 127.0.0.1:{} instead of {listen}", .listen.port())]
    NotLoopback { listen: std::net::SocketAddr },
    #[cfg(feature = "sandbox")]
    #[error("cannot listen on {listen}: {error}; pick another --listen address")]
    CannotListen { listen: std::net::SocketAddr, error: std::io::Error },
    #[error(
        "validate reads only the files unless --online is given: add --online to check them against the organisation"
    )]
    ConnectWithoutOnline,
    #[error("--strict and --no-monitor-check are about the monitor check: add --online")]
    CheckWithoutOnline,
    #[error("--per-directory prints text: validate each folder with -f for JSON")]
    PerDirectoryJson,
}
