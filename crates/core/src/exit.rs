//! How a command ends: the exit statuses the documentation lists, each decided once.

/// The exit status of a command, as docs/reference.md lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
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
    pub fn code(self) -> i32 {
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
