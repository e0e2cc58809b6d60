//! How a command ends: a typed exit status, and errors that each own theirs.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::remote::{ApiError, SetupError};

/// The exit status of a command, as the README documents it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExitStatus {
    /// 0: done; no changes; in sync; the gate passed (or was skipped, fail-open).
    Success,
    /// 2: there are changes (`plan --detailed-exitcode`) or drift (`drift`).
    Changes,
    /// 1: what was checked said no: the gate failed, a plan was refused or stale, an apply
    /// failed.
    Failure,
    /// 1: the command could not do its job: invalid files or flags, API or network errors.
    Error,
    /// 3: `evaluate --detailed-exitcode`: no verdict could be had, or the API refused.
    Unavailable,
    /// 130: stopped by Ctrl-C (SIGINT).
    Interrupted,
    /// 143: stopped by SIGTERM.
    Terminated,
}

impl ExitStatus {
    pub(crate) fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure | ExitStatus::Error => 1,
            ExitStatus::Changes => 2,
            ExitStatus::Unavailable => 3,
            ExitStatus::Interrupted => 130,
            ExitStatus::Terminated => 143,
        }
    }
}

/// Why a command stopped early.
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
    InlineConfig(#[from] crate::config::datadog_ci::InlineConfigError),
    /// Flags that do not fit together, or a value clap cannot check alone.
    #[error("{0}")]
    Usage(String),
    /// A safety check said no: the deletion threshold, a missing confirmation.
    #[error("{0}")]
    Refused(String),
    #[error("the saved plan {} is stale and was not applied (was it applied already?):\n{}\nRun `gatesctl plan --out {}` again and review the new plan.", .path.display(), .problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"), .path.display())]
    StalePlan { path: PathBuf, problems: Vec<String> },
    #[error("{}: {reason}", .path.display())]
    BadSavedPlan { path: PathBuf, reason: String },
    #[error("apply finished with {failed} failed and {skipped} skipped action(s); see the failures above, fix them, then run `gatesctl apply` again")]
    ApplyFailed { failed: usize, skipped: usize },
    #[error("cannot write {}: {source}", .path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("the sandbox cannot start: {0}")]
    Sandbox(String),
    #[error("{0}")]
    Terminal(String),
    #[error("{problems} monitor {} would fail every evaluation (--strict): fix {} above, or drop --strict to keep {} as warnings", if *.problems == 1 { "query" } else { "queries" }, if *.problems == 1 { "it" } else { "them" }, if *.problems == 1 { "it" } else { "them" })]
    Strict { problems: usize },
}

impl Error {
    pub(crate) fn exit_status(&self) -> ExitStatus {
        match self {
            Error::Refused(_) | Error::StalePlan { .. } | Error::ApplyFailed { .. } => ExitStatus::Failure,
            _ => ExitStatus::Error,
        }
    }
}
