//! Computing a plan: read the remote state the plan needs, diff, check the safety limits.

use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{self as remote, Client, GateQuery};
use gatesctl_core::model::GateKey;
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

/// The plan's options, checked before any request: `--prune` needs a `[manage]` scope, and
/// each `--target` must match a declared gate (or, with `--prune`, may match only remote
/// gates, checked by [`check_targets_remote`]).
pub(crate) fn options(desired: &DesiredState, targets: Vec<plan::Target>, prune: bool) -> Result<PlanOptions, Error> {
    if prune && desired.scope.is_empty() {
        return Err(Error::Usage(
            "--prune deletes remote gates inside the [manage] scope that no file declares, but no file has a [manage] table: add one (e.g. `[manage]` with `services = [\"checkout\"]`), or drop --prune".into(),
        ));
    }
    let options = PlanOptions { prune, targets };
    if !prune {
        check_targets(&options, desired.gates.keys())?;
    }
    Ok(options)
}

/// With `--prune`, a target may match gates that exist only remotely, to delete them.
fn check_targets_remote(options: &PlanOptions, desired: &DesiredState, remote: &RemoteState) -> Result<(), Error> {
    if options.prune {
        check_targets(options, desired.gates.keys().chain(remote.gates.keys()))?;
    }
    Ok(())
}

fn check_targets<'a>(options: &PlanOptions, keys: impl Iterator<Item = &'a GateKey> + Clone) -> Result<(), Error> {
    for target in &options.targets {
        if keys.clone().any(|k| target.matches(k)) {
            continue;
        }
        let candidates: Vec<String> =
            keys.clone().flat_map(|k| [format!("{}/{}", k.service, k.env), k.joined()]).collect();
        let hint = match gatesctl_core::suggest::suggest(&target.text, candidates.iter().map(String::as_str)) {
            Some(close) => format!("; did you mean {close:?}?"),
            None => "; --target takes service/env[/identifier], each an exact name or a glob".to_string(),
        };
        return Err(Error::Usage(format!("--target {:?} matches no declared gate{hint}", target.text)));
    }
    Ok(())
}
