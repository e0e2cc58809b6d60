//! Computing a plan: read the remote state the plan needs, diff, check the safety limits.

use crate::config::DesiredState;
use crate::error::Error;
use crate::model::RemoteState;
use crate::plan::{self, Plan, PlanOptions};
use crate::remote::{self, ApiError, Client};

/// Reads the remote state the plan needs and diffs it. Shared by plan, apply and drift.
pub(crate) async fn compute(
    client: &Client,
    desired: &DesiredState,
    options: &PlanOptions,
    parallelism: usize,
) -> Result<(Plan, RemoteState), ApiError> {
    let remote = remote::fetch(client, parallelism, plan::needs_rules(desired, options)).await?;
    let plan = plan::diff(desired, &remote, options);
    Ok((plan, remote))
}

/// Refuses a plan over the deletion threshold unless forced; forced, returns the warning to
/// show.
pub(crate) fn check_safety(
    plan: &Plan,
    remote: &RemoteState,
    desired: &DesiredState,
    options: &PlanOptions,
    force: bool,
) -> Result<Option<String>, Error> {
    match plan::deletion_check(plan, remote, desired, options) {
        Err(message) if !force => Err(Error::Refused(message)),
        Err(message) => Ok(Some(format!("{message} (going ahead: --force)"))),
        Ok(()) => Ok(None),
    }
}
