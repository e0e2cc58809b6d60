//! Drift: how the remote gates differ from the files, each finding named for what it is.

use serde::Serialize;

use crate::desired::DesiredState;
use crate::model::{AttrChange, AttrName, AttrValue, GateKey, RemoteState};
use crate::plan::{GateAction, Plan, RuleAction};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A declared gate that does not exist remotely: not applied yet, or deleted out of band.
    DeclaredGateMissing,
    /// A declared gate's `dry_run` differs remotely.
    GateChanged,
    /// A rule exists remotely that the files do not declare (added in the UI).
    RuleAddedRemotely,
    /// A second remote rule of a name the files declare (two applies at once, the UI).
    DuplicateRule,
    /// A declared rule that does not exist remotely: not applied yet, or deleted out of band.
    DeclaredRuleMissing,
    /// A declared rule's attributes differ remotely.
    RuleChanged,
    /// A remote gate that no file declares.
    UndeclaredGate,
}

impl DriftKind {
    pub fn describe(self) -> &'static str {
        match self {
            DriftKind::DeclaredGateMissing => {
                "declared gate missing remotely (not applied yet, or deleted out of band)"
            }
            DriftKind::GateChanged => "gate changed out of band",
            DriftKind::RuleAddedRemotely => "rule added remotely, declared nowhere",
            DriftKind::DuplicateRule => "a second remote rule of this declared name",
            DriftKind::DeclaredRuleMissing => {
                "declared rule missing remotely (not applied yet, or deleted out of band)"
            }
            DriftKind::RuleChanged => "rule changed out of band",
            DriftKind::UndeclaredGate => "remote gate declared in no file",
        }
    }
}

/// One finding: a gate, or a rule of it, and the attributes that differ (`before` is what
/// the API holds, `after` what the files declare; either is absent for a missing side).
#[derive(Clone, Debug)]
pub struct Drift {
    pub kind: DriftKind,
    pub gate: GateKey,
    pub rule: Option<String>,
    pub differences: Vec<AttrChange>,
}

fn dry_run(remote: Option<bool>, declared: Option<bool>) -> Vec<AttrChange> {
    vec![AttrChange {
        name: AttrName::DryRun,
        before: remote.map(AttrValue::Bool),
        after: declared.map(AttrValue::Bool),
    }]
}

/// Reads a plan made without `--prune` as drift. With a `[manage]` scope, undeclared gates
/// outside it belong to someone else: they are not drift.
pub fn classify(plan: &Plan, remote: &RemoteState, desired: &DesiredState) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut push = |kind, gate: &GateKey, rule: Option<&str>, differences| {
        out.push(Drift { kind, gate: gate.clone(), rule: rule.map(str::to_string), differences });
    };
    for gate in &plan.gates {
        let key = &gate.key;
        match &gate.action {
            GateAction::Create { dry_run: declared } => {
                // Its rules are missing with it: one finding, not one per rule.
                push(DriftKind::DeclaredGateMissing, key, None, dry_run(None, Some(*declared)));
                continue;
            }
            GateAction::Update { before, after, .. } => {
                push(DriftKind::GateChanged, key, None, dry_run(Some(*before), Some(*after)))
            }
            GateAction::Keep { .. } | GateAction::Delete { .. } => {}
        }
        for action in &gate.rules {
            let (kind, remote_rule, declared_rule) = match action {
                RuleAction::Create { after } => (DriftKind::DeclaredRuleMissing, None, Some(after)),
                RuleAction::Delete { before, duplicate: true, .. } => (DriftKind::DuplicateRule, Some(before), None),
                RuleAction::Delete { before, .. } => (DriftKind::RuleAddedRemotely, Some(before), None),
                RuleAction::Update { before, after, .. } | RuleAction::Replace { before, after, .. } => {
                    (DriftKind::RuleChanged, Some(before), Some(after))
                }
            };
            push(kind, key, Some(action.name()), AttrChange::between(remote_rule, declared_rule));
        }
    }
    // Options gatesctl does not model, set remotely and declared in no `extra_options`: no plan
    // changes them (every update keeps them), but the files do not say them.
    for (key, gate) in &desired.gates {
        for remote in remote.rules_of(key) {
            let Some(declared) = gate.rules.get(&remote.rule.name) else { continue };
            if declared.rule_type() != remote.rule.rule_type() {
                continue;
            }
            let undeclared: Vec<AttrChange> = remote
                .rule
                .options
                .extra
                .iter()
                .filter(|(k, _)| !declared.options.extra.contains_key(*k))
                .map(|(k, v)| AttrChange {
                    name: AttrName::Extra(k.clone()),
                    before: Some(AttrValue::Json(v.clone())),
                    after: None,
                })
                .collect();
            if undeclared.is_empty() {
                continue;
            }
            let existing = out.iter_mut().find(|d| {
                d.kind == DriftKind::RuleChanged
                    && d.gate == *key
                    && d.rule.as_deref() == Some(remote.rule.name.as_str())
            });
            match existing {
                Some(found) => found.differences.extend(undeclared),
                None => out.push(Drift {
                    kind: DriftKind::RuleChanged,
                    gate: key.clone(),
                    rule: Some(remote.rule.name.clone()),
                    differences: undeclared,
                }),
            }
        }
    }
    let mut push = |kind, gate: &GateKey, rule: Option<&str>, differences| {
        out.push(Drift { kind, gate: gate.clone(), rule: rule.map(str::to_string), differences });
    };
    for key in plan.unmanaged.iter().filter(|k| desired.scope.is_empty() || desired.scope.contains(k)) {
        let remote_dry_run = remote.gates.get(key).map(|g| g.dry_run);
        push(DriftKind::UndeclaredGate, key, None, dry_run(remote_dry_run, None));
    }
    out
}
