//! How an evaluation's verdict ends the deploy step: pass, fail, or no verdict (fail-open
//! unless told otherwise), as datadog-ci decides it.

use crate::exit::ExitStatus;
use crate::model::{Evaluation, Verdict};

/// How a verdict ends the command.
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    /// Exit 3 for "could not evaluate", apart from 1 for "the gate failed".
    pub detailed_exitcode: bool,
    /// No verdict fails the deploy instead of letting it through.
    pub fail_on_error: bool,
}

/// The exit status of an evaluation, and what to say on stderr: a refusal, or the loud
/// warning of a gate skipped (fail-open).
pub fn decide(outcome: &Evaluation, policy: Policy) -> (ExitStatus, Vec<String>) {
    let reason = outcome.reason.as_deref();
    match outcome.verdict {
        Verdict::Pass => (ExitStatus::Success, Vec::new()),
        Verdict::Fail => (ExitStatus::Failure, Vec::new()),
        Verdict::Error => {
            let said = vec![format!("error: the gate cannot be evaluated: {}", reason.unwrap_or("refused"))];
            (if policy.detailed_exitcode { ExitStatus::Unavailable } else { ExitStatus::Failure }, said)
        }
        Verdict::Unavailable if policy.detailed_exitcode => (ExitStatus::Unavailable, Vec::new()),
        Verdict::Unavailable if policy.fail_on_error => (ExitStatus::Failure, Vec::new()),
        Verdict::Unavailable => (
            ExitStatus::Success,
            vec![
                format!("WARNING: gate {} was SKIPPED: {}", outcome.gate, reason.unwrap_or("no verdict")),
                "WARNING: the deployment goes ahead unchecked (fail-open). Pass --fail-on-error to block it instead."
                    .to_string(),
            ],
        ),
    }
}
