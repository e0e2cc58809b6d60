//! `apply`: the plan to apply (computed from the files, or a saved plan verified against the
//! files and the remote state), whether it may go ahead without asking, and how the run ends.

pub mod execute;
pub mod outcome;

use std::path::Path;

use crate::error::{Error, ExitStatus};
use crate::ops::apply::outcome::Report;
use gatesctl_client::Client;
use gatesctl_core::plan::{Plan, PlanOptions};
use gatesctl_files::DesiredState;

/// Where the plan comes from.
pub(crate) enum Source<'a> {
    /// Computed now from the files, under the safety thresholds (unless `force`).
    Files { desired: &'a DesiredState, options: &'a PlanOptions, force: bool },
    /// Saved by `plan --out`: applied only if recomputing it gives the same plan.
    Saved(&'a Path),
}

/// A plan ready to apply, and what to say before it.
pub(crate) struct Ready {
    pub(crate) plan: Plan,
    /// Notes for stderr: a threshold passed with --force, the options a saved plan was made with.
    pub(crate) notes: Vec<String>,
    /// A saved plan was reviewed when it was made: it is applied without asking.
    pub(crate) reviewed: bool,
    /// Why it must not be applied (a safety threshold, an error-level policy), said after the
    /// plan is shown.
    pub(crate) refused: Option<Error>,
    /// What the plan does to the policies.
    pub(crate) policies: Vec<gatesctl_core::policy::PolicyChange>,
}

pub(crate) async fn prepare(
    client: &Client,
    api: &str,
    source: Source<'_>,
    parallelism: usize,
    progress: &dyn crate::ops::progress::Progress,
) -> Result<Ready, Error> {
    match source {
        Source::Files { desired, options, force } => {
            let (plan, remote) = super::plan::compute(client, desired, options, parallelism, progress).await?;
            let (notes, refused) = match super::plan::check_safety(&plan, &remote, desired, force) {
                Ok(warning) => (warning.map(|w| format!("warning: {w}")).into_iter().collect(), None),
                Err(refusal) => (Vec::new(), Some(refusal)),
            };
            let policies = super::policy::plan_changes(client, desired, &plan, &remote).await?;
            let refused = refused.or_else(|| super::policy::refusal(&policies));
            Ok(Ready { plan, notes, reviewed: false, refused, policies })
        }
        Source::Saved(path) => {
            let super::saved::Verified { plan, options, warning, policies } =
                super::saved::verify(path, client, api, parallelism, progress).await?;
            // The options are not signed: say them, so a log shows a plan saved with --prune
            // for what it is.
            let mut flags: Vec<String> = options.targets.iter().map(|t| format!("--target {t}")).collect();
            flags.extend(options.prune.then(|| "--prune".to_string()));
            flags.extend(options.force.then(|| "--force".to_string()));
            let mut notes = Vec::new();
            if !flags.is_empty() {
                notes.push(format!(
                    "The saved plan {} was made with {}.",
                    gatesctl_core::escape::path(path),
                    flags.join(" ")
                ));
            }
            notes.extend(warning.map(|w| format!("warning: {w}")));
            let refused = super::policy::refusal(&policies);
            Ok(Ready { plan, notes, reviewed: true, refused, policies })
        }
    }
}

/// Whether to ask before applying: never for a reviewed plan or with --auto-approve; refused
/// when there is no terminal to ask on.
pub(crate) fn must_ask(ready: &Ready, auto_approve: bool, terminal: bool) -> Result<bool, Error> {
    if ready.reviewed || auto_approve {
        return Ok(false);
    }
    if !terminal {
        return Err(Error::Refused(
            "refusing to apply without confirmation: stdin is not a terminal; review the plan and pass --auto-approve"
                .into(),
        ));
    }
    Ok(true)
}

/// How the run ends: done; stopped by a signal (its status); or failed, with the counts.
pub(crate) fn conclude(report: &Report, stopped: Option<ExitStatus>) -> Result<ExitStatus, Error> {
    if report.is_success() {
        return Ok(ExitStatus::Success);
    }
    if let Some(status) = stopped {
        return Ok(status);
    }
    Err(Error::ApplyFailed { failed: report.failed(), skipped: report.skipped() })
}
