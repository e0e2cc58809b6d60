//! Computing a plan: read the remote state the plan needs, diff, check the safety limits.

use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{self as remote, Client, GateQuery};
use gatesctl_core::model::RemoteState;
use gatesctl_core::plan::{self, Plan, PlanOptions};
use gatesctl_files::DesiredState;

/// Reads the remote state the plan needs and diffs it. Shared by plan, apply and the check
/// of saved plans (drift reads the whole organisation, through [`compute_over`]).
pub(crate) async fn compute(
    client: &Client,
    desired: &DesiredState,
    options: &PlanOptions,
    parallelism: usize,
    progress: &dyn Progress,
) -> Result<(Plan, RemoteState), Error> {
    let query = plan::list_query(desired, options);
    compute_over(client, desired, options, &query, parallelism, progress).await
}

/// As [`compute`], over the gates `query` lists (drift reads the whole organisation: a gate
/// no file declares is drift wherever it is).
pub(crate) async fn compute_over(
    client: &Client,
    desired: &DesiredState,
    options: &PlanOptions,
    query: &GateQuery,
    parallelism: usize,
    progress: &dyn Progress,
) -> Result<(Plan, RemoteState), Error> {
    let remote = remote::fetch(client, parallelism, query, plan::needs_rules(desired, options), &|f| {
        progress.event(Event::Gates(f))
    })
    .await?;
    check_targets_remote(options, desired, &remote)?;
    let plan = plan::diff(desired, &remote, options);
    Ok((plan, remote))
}

/// Refuses a plan over the safety thresholds unless forced; forced, returns the warning to
/// show.
pub(crate) fn check_safety(
    plan: &Plan,
    remote: &RemoteState,
    desired: &DesiredState,
    force: bool,
) -> Result<Option<String>, Error> {
    match plan::safety_check(plan, remote, desired) {
        Err(past) if !force => Err(Error::Unsafe(past)),
        Err(past) => Ok(Some(format!("{past} (going ahead: --force)"))),
        Ok(()) => Ok(None),
    }
}

/// With `--prune`, a target may match gates that exist only remotely, to delete them: checked
/// once they are read (without it, the command line checks the declared gates first).
fn check_targets_remote(options: &PlanOptions, desired: &DesiredState, remote: &RemoteState) -> Result<(), Error> {
    match plan::unmatched_target(&options.targets, desired.gates.keys().chain(remote.gates.keys())) {
        Some(unmatched) if options.prune => Err(Error::UnmatchedTarget(unmatched)),
        _ => Ok(()),
    }
}
