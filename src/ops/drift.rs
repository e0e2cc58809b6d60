//! Drift: the plan read the other way round, as what changed remotely behind the files' back.

use crate::config::DesiredState;
use crate::model::{GateKey, Rule};
use crate::plan::{GateAction, Plan, RuleAction};
use crate::render::drift::{Drift, DriftKind};
use crate::render::json::{Attributes, GateAttributes, RuleAttributes};

fn rule(r: &Rule) -> Option<Attributes> {
    Some(Attributes::Rule(RuleAttributes::from(r)))
}

/// Reads a plan made without `--prune` as drift. With a `[manage]` scope, undeclared gates
/// outside it belong to someone else: they are not drift.
pub(crate) fn classify(plan: &Plan, desired: &DesiredState) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut push = |kind, key: &GateKey, rule: Option<&str>, remote, declared| {
        out.push(Drift { kind, gate: key.into(), rule: rule.map(str::to_string), remote, declared });
    };
    for gate in &plan.gates {
        let key = &gate.key;
        match &gate.action {
            GateAction::Create { dry_run } => {
                push(
                    DriftKind::GateDeletedRemotely,
                    key,
                    None,
                    None,
                    Some(Attributes::Gate(GateAttributes { dry_run: *dry_run })),
                );
                // Its rules went with it: one finding, not one per rule.
                continue;
            }
            GateAction::Update { before, after, .. } => push(
                DriftKind::GateChanged,
                key,
                None,
                Some(Attributes::Gate(GateAttributes { dry_run: *before })),
                Some(Attributes::Gate(GateAttributes { dry_run: *after })),
            ),
            GateAction::Keep { .. } | GateAction::Delete { .. } => {}
        }
        for action in &gate.rules {
            match action {
                RuleAction::Create { after } => {
                    push(DriftKind::RuleRemovedRemotely, key, Some(&after.name), None, rule(after))
                }
                RuleAction::Delete { before, .. } => {
                    push(DriftKind::RuleAddedRemotely, key, Some(&before.name), rule(before), None)
                }
                RuleAction::Update { before, after, .. } | RuleAction::Replace { before, after, .. } => {
                    push(DriftKind::RuleChanged, key, Some(&after.name), rule(before), rule(after))
                }
            }
        }
    }
    for key in plan.unmanaged.iter().filter(|k| desired.scope.is_empty() || desired.scope.contains(k)) {
        push(DriftKind::UndeclaredGate, key, None, None, None);
    }
    out
}
