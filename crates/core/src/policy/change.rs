//! What a plan does to the policies: for the gates it changes, the requirements they break,
//! stop breaking, or still break. A new break of an `error` policy stops the plan, as a
//! hard-mandatory policy does in Terraform Cloud.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::Serialize;

use super::judge::{judge, Facts, GateFacts, Subject, Violation};
use super::model::{Check, Level, Policy};
use crate::desired::DesiredState;
use crate::model::{GateKey, RemoteState};
use crate::plan::{GateAction, Plan};

/// One policy, as the plan changes it.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PolicyChange {
    pub policy: String,
    pub level: Level,
    /// Broken by the plan: absent before, present after.
    pub breaks: Vec<Violation>,
    /// Mended by the plan.
    pub mends: Vec<Violation>,
    /// Broken before and after by gates the plan changes.
    pub still: Vec<Violation>,
    /// Why this policy could not be judged (its scope names catalog tags the plan could not
    /// read); what only the audit checks is not the plan's to say.
    pub unchecked: Vec<String>,
}

impl PolicyChange {
    /// It stops the plan: a new break of an `error` policy.
    pub fn stops(&self) -> bool {
        self.level == Level::Error && !self.breaks.is_empty()
    }
}

/// Whether a violation is about what the plan changes (a changed gate, or the service and env
/// of one), and is one a change can cause (not an expired exception, a share of deployments or
/// a time spent in dry run).
fn about_the_change(v: &Violation, changed: &BTreeSet<&GateKey>) -> bool {
    if matches!(v.check, Check::Exception | Check::MinCoveragePercent | Check::MaxDryRunDays) {
        return false;
    }
    match &v.subject {
        Subject::Gate { gate } | Subject::Rule { gate, .. } => changed.contains(gate),
        Subject::Place { service, env } => changed.iter().any(|k| k.service == *service && k.env == *env),
        Subject::Service { .. } | Subject::Policy | Subject::Exception { .. } => false,
    }
}

/// Every policy judged on the remote gates before the plan and after it; each with what the
/// plan changes about it. `facts.places` should hold every service and env the plan knows.
pub fn changes(
    policies: &[Policy],
    plan: &Plan,
    desired: &DesiredState,
    remote: &RemoteState,
    facts: &Facts<'_>,
) -> Vec<PolicyChange> {
    let changed: BTreeSet<&GateKey> = plan.gates.iter().map(|g| &g.key).collect();
    let before = GateFacts::live(remote, desired);
    let mut after: Vec<GateFacts> = before.iter().filter(|g| !changed.contains(&g.key)).cloned().collect();
    for gate in &plan.gates {
        if matches!(gate.action, GateAction::Delete { .. }) {
            continue;
        }
        if let Some(declared) = desired.gates.get(&gate.key) {
            after.push(GateFacts::declared(declared));
        }
    }
    policies
        .iter()
        .map(|policy| {
            let was = judge(policy, &before, facts);
            let will = judge(policy, &after, facts);
            let relevant = |v: &&Violation| about_the_change(v, &changed);
            let ids = |list: &[Violation]| -> BTreeSet<(Check, Subject)> {
                list.iter().filter(relevant).map(|v| (v.check, v.subject.clone())).collect()
            };
            let (was_ids, will_ids) = (ids(&was.violations), ids(&will.violations));
            let pick = |list: &[Violation], keep: &dyn Fn(&(Check, Subject)) -> bool| -> Vec<Violation> {
                list.iter().filter(relevant).filter(|v| keep(&(v.check, v.subject.clone()))).cloned().collect()
            };
            PolicyChange {
                policy: policy.name.clone(),
                level: policy.level,
                breaks: pick(&will.violations, &|id| !was_ids.contains(id)),
                mends: pick(&was.violations, &|id| !will_ids.contains(id)),
                still: pick(&will.violations, &|id| was_ids.contains(id)),
                unchecked: if will.scope_unknown { will.unchecked } else { Vec::new() },
            }
        })
        .collect()
}
