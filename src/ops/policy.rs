//! Policies: judged on the declared gates alone (validate), on what a plan changes (plan,
//! apply), and against everything read online (audit).

use std::collections::BTreeMap;

use crate::error::Error;
use gatesctl_client::Client;
use gatesctl_core::model::RemoteState;
use gatesctl_core::plan::Plan;
use gatesctl_core::policy::{self, Facts, GateFacts, PolicyChange, PolicyVerdict};
use gatesctl_files::DesiredState;

/// The declared gates, as a policy sees them.
pub(crate) fn declared(desired: &DesiredState) -> Vec<GateFacts> {
    desired.gates.values().map(GateFacts::declared).collect()
}

/// Every policy judged on what the files alone show.
pub(crate) fn offline(desired: &DesiredState) -> Vec<PolicyVerdict> {
    let facts = Facts { now_ms: gatesctl_core::model::time::now_ms(), ..Facts::default() };
    policy::judge_all(&desired.policies, &declared(desired), &facts)
}

/// The requirements of `error` policies broken, of `verdicts`.
pub(crate) fn errors(verdicts: &[PolicyVerdict]) -> usize {
    verdicts.iter().filter(|v| v.level == policy::Level::Error).map(|v| v.violations.len()).sum()
}

/// Whether a policy's scope names Software Catalog tags: the catalog must then be read.
pub(crate) fn needs_catalog(desired: &DesiredState) -> bool {
    desired.policies.iter().any(|p| p.scope.catalog.is_some())
}

/// The Software Catalog's services with their tags, and the entities that could not be read.
pub(crate) struct Catalog {
    pub(crate) tags: BTreeMap<String, Vec<String>>,
    pub(crate) unreadable: Vec<gatesctl_client::Unreadable>,
}

/// Reads the Software Catalog's services; `why` says what needs it, for a refusal.
pub(crate) async fn read_catalog(
    client: &Client,
    why: &str,
    progress: &dyn super::progress::Progress,
) -> Result<Catalog, Error> {
    let (services, unreadable) = client
        .catalog_services(&|n| progress.event(super::progress::Event::Catalog(n)))
        .await
        .map_err(|e| match super::permission::missing(&e, "apm_service_catalog_read") {
            Some(missing) => Error::Refused(format!("{why} reads the Software Catalog, and {missing}")),
            None => Error::Api(e),
        })?;
    // A service listed twice keeps the tags of both: a scope selects on any of them.
    let mut tags: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in services {
        tags.entry(s.name).or_default().extend(s.tags);
    }
    Ok(Catalog { tags, unreadable })
}

/// What the plan does to the policies, for the gates it changes: judged on what the files
/// declare (whether a monitor rule watches something is the audit's finding, so that plan and
/// apply judge alike), reading the catalog when a scope names its tags.
pub(crate) async fn plan_changes(
    client: &Client,
    desired: &DesiredState,
    plan: &Plan,
    remote: &RemoteState,
) -> Result<Vec<PolicyChange>, Error> {
    if desired.policies.is_empty() || plan.is_empty() {
        return Ok(Vec::new());
    }
    let catalog = if needs_catalog(desired) {
        Some(
            read_catalog(client, "a policy's scope names Software Catalog tags: the plan", &super::progress::Unwatched)
                .await?,
        )
    } else {
        None
    };
    let places = policy::known_places(remote, desired);
    let facts = Facts {
        catalog: catalog.as_ref().map(|c| &c.tags),
        places: &places,
        now_ms: gatesctl_core::model::time::now_ms(),
        ..Facts::default()
    };
    let mut changes = policy::changes(&desired.policies, plan, desired, remote, &facts);
    if let Some(unread) = catalog.as_ref().map(|c| c.unreadable.len()).filter(|n| *n > 0) {
        for (change, policy) in changes.iter_mut().zip(&desired.policies) {
            if policy.scope.catalog.is_some() {
                change.unchecked.push(unread_note(unread));
            }
        }
    }
    Ok(changes)
}

/// The note for catalog entities that could not be read: never in a scope.
pub(crate) fn unread_note(unread: usize) -> String {
    format!(
        "{} of the Software Catalog could not be read, and {} in no scope (run with -v for the answers)",
        gatesctl_core::text::plural(unread, "entity", "entities"),
        if unread == 1 { "is" } else { "are" }
    )
}

/// The plan stops when a change breaks an `error` policy: the refusal, with how many
/// requirements it breaks.
pub(crate) fn refusal(changes: &[PolicyChange]) -> Option<Error> {
    let broken: usize = changes.iter().filter(|c| c.stops()).map(|c| c.breaks.len()).sum();
    (broken > 0).then_some(Error::PolicyBroken { broken, by_plan: true })
}
