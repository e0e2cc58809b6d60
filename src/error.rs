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
    /// Flags that do not fit together, or a value clap cannot check alone.
    #[error("{0}")]
    Usage(String),
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
