//! `plan`: read the remote state the plan needs, diff, check the monitors beside it, judge
//! the policies and the safety limits. The read and the diff are shared with apply, drift
//! and the check of saved plans.

use super::monitors;
use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{self as remote, Client, GateQuery};
use gatesctl_core::model::RemoteState;
use gatesctl_core::monitor_check::MonitorCheck;
use gatesctl_core::plan::{self, Plan, PlanOptions};
use gatesctl_core::policy::PolicyChange;
use gatesctl_files::DesiredState;

/// What `plan` is asked, its flags checked by the command line.
pub(crate) struct PlanRequest<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) options: PlanOptions,
    pub(crate) parallelism: usize,
    pub(crate) monitors: monitors::Mode,
    /// Go past the safety thresholds.
    pub(crate) force: bool,
}

/// A plan, the remote state it was computed against, the monitor check made beside it, and
/// what it does to the policies.
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) remote: RemoteState,
    pub(crate) check: MonitorCheck,
    pub(crate) policies: Vec<PolicyChange>,
}

pub(crate) async fn run(client: &Client, request: &PlanRequest<'_>, progress: &dyn Progress) -> Result<Planned, Error> {
    let (desired, parallelism) = (request.desired, request.parallelism);
    // Side by side, each under the budget of its own rate limit, within one --parallelism.
    let limited = &client.limited_to(parallelism);
    let (computed, check) = tokio::join!(
        compute(limited, desired, &request.options, parallelism, progress),
        monitors::run(limited, desired, parallelism, request.monitors, progress),
    );
    let (plan, remote) = computed?;
    let policies = super::policy::plan_changes(client, desired, &plan, &remote).await?;
    Ok(Planned { plan, remote, check, policies })
}

impl Planned {
    /// Whether the plan, once shown, may stand: the monitor check's problems with `--strict`,
    /// then the safety thresholds (gone past with `--force`: the warning to show). An
    /// error-level policy's refusal comes after that warning ([`super::policy::refusal`]).
    pub(crate) fn verdict(&self, request: &PlanRequest<'_>) -> Result<Option<String>, Error> {
        monitors::verdict(&self.check, request.monitors)?;
        check_safety(&self.plan, &self.remote, request.desired, request.force)
    }
}

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
