//! Executes a plan: gates concurrently, and within a gate in dependency order
//! (the gate before its rules, rule deletions before creations, a replacement created
//! before the rule it replaces is deleted).

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::model::GateKey;
use crate::plan::{GateAction, GatePlan, Plan, RuleAction};
use crate::remote::{ApiError, Client};

/// What happened to one action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Done,
    Failed(String),
    /// Not attempted because an action it depends on failed.
    Skipped(String),
    /// Not attempted because the apply was stopped (Ctrl-C, SIGTERM) before its gate began.
    NotStarted,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub gate: GateKey,
    /// What was done, in the user's words: `create rule "Errors"`.
    pub action: String,
    pub status: Status,
}

#[derive(Debug, Default)]
pub struct Report {
    pub outcomes: Vec<Outcome>,
}

impl Report {
    fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
        self.outcomes.iter().filter(|o| f(&o.status)).count()
    }

    pub fn succeeded(&self) -> usize {
        self.count(|s| *s == Status::Done)
    }

    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, Status::Failed(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|s| matches!(s, Status::Skipped(_)))
    }

    pub fn not_started(&self) -> usize {
        self.count(|s| *s == Status::NotStarted)
    }

    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.not_started() == 0
    }
}

/// Runs every action of `plan`, at most `parallelism` gates at once, calling `on_outcome` as
/// each lands. A failure does not stop independent gates. Once `stop` is set no gate is
/// begun, but a gate begun is finished (its requests are bounded by their timeout), so no gate
/// is left half-made: created without its rules, or with a rule deleted and its replacement
/// not created.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    parallelism: usize,
    stop: &AtomicBool,
    on_outcome: impl Fn(&Outcome),
) -> Report {
    let mut per_gate: Vec<(usize, Vec<Outcome>)> = stream::iter(plan.gates.iter().enumerate())
        .map(|(index, gate)| {
            let on_outcome = &on_outcome;
            async move {
                let mut outcomes = Vec::new();
                let mut emit = |o: Outcome| {
                    on_outcome(&o);
                    outcomes.push(o);
                };
                if stop.load(Ordering::SeqCst) {
                    for action in descriptions(gate) {
                        emit(Outcome { gate: gate.key.clone(), action, status: Status::NotStarted });
                    }
                } else {
                    apply_gate(client, gate, emit).await;
                }
                (index, outcomes)
            }
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    // In plan order, whatever order the gates finished in.
    per_gate.sort_by_key(|(index, _)| *index);
    Report { outcomes: per_gate.into_iter().flat_map(|(_, o)| o).collect() }
}

fn status<T>(result: &Result<T, ApiError>) -> Status {
    match result {
        Ok(_) => Status::Done,
        Err(e) => Status::Failed(e.to_string()),
    }
}

/// A delete that finds nothing to delete has reached the state it wanted.
fn gone_is_fine(result: Result<(), ApiError>) -> Result<(), ApiError> {
    match result {
        Err(e) if e.status() == Some(404) => Ok(()),
        other => other,
    }
}

/// Every action of a gate, as its outcomes name them.
fn descriptions(gate: &GatePlan) -> Vec<String> {
    let mut out = Vec::new();
    match &gate.action {
        GateAction::Create { .. } => out.push("create gate".to_string()),
        GateAction::Update { after, .. } => out.push(format!("update gate dry_run → {after}")),
        GateAction::Keep { .. } | GateAction::Delete { .. } => {}
    }
    out.extend(gate.rules.iter().map(describe));
    if matches!(gate.action, GateAction::Delete { .. }) {
        out.push("delete gate".to_string());
    }
    out
}

async fn apply_gate(client: &Client, gate: &GatePlan, mut emit: impl FnMut(Outcome)) {
    let key = &gate.key;
    let mut out = |action: String, status: Status| emit(Outcome { gate: key.clone(), action, status });

    let gate_id = match &gate.action {
        GateAction::Create { dry_run } => {
            let result = client.create_gate_once(key, *dry_run).await;
            out("create gate".into(), status(&result));
            match result {
                Ok(id) => id,
                Err(_) => {
                    for rule in &gate.rules {
                        out(describe(rule), Status::Skipped("its gate was not created".into()));
                    }
                    return;
                }
            }
        }
        GateAction::Update { id, after, .. } => {
            let result = client.update_gate(id, *after).await;
            out(format!("update gate dry_run → {after}"), status(&result));
            id.clone()
        }
        GateAction::Keep { id } | GateAction::Delete { id, .. } => id.clone(),
    };

    // Deletions first, so a name freed by one rule can be taken by another.
    let mut rules_failed = false;
    for rule in &gate.rules {
        if let RuleAction::Delete { id, .. } = rule {
            let result = gone_is_fine(client.delete_rule(&gate_id, id).await);
            rules_failed |= result.is_err();
            out(describe(rule), status(&result));
        }
    }
    for rule in &gate.rules {
        match rule {
            // The API lets two rules share a name: the new rule is created first, so a failed
            // create never leaves the gate without the rule.
            RuleAction::Replace { id, after, .. } => match client.create_rule_once(&gate_id, after, &[id]).await {
                Err(e) => out(describe(rule), Status::Failed(format!("{e}; the old rule is kept, unchanged"))),
                Ok(_) => match gone_is_fine(client.delete_rule(&gate_id, id).await) {
                    Ok(()) => out(describe(rule), Status::Done),
                    Err(e) => out(
                        describe(rule),
                        Status::Failed(format!("the new rule was created, but deleting the old one failed: {e}")),
                    ),
                },
            },
            RuleAction::Update { id, after, .. } => {
                let result = client.update_rule(&gate_id, id, after).await;
                out(describe(rule), status(&result));
            }
            RuleAction::Create { after } => {
                let result = client.create_rule_once(&gate_id, after, &[]).await;
                out(describe(rule), status(&result));
            }
            RuleAction::Delete { .. } => {}
        }
    }
    // A gate is deleted only once its rules are gone.
    if let GateAction::Delete { id, .. } = &gate.action {
        if rules_failed {
            out("delete gate".into(), Status::Skipped("some of its rules could not be deleted".into()));
        } else {
            let result = gone_is_fine(client.delete_gate(id).await);
            out("delete gate".into(), status(&result));
        }
    }
}

pub fn describe(rule: &RuleAction) -> String {
    let verb = match rule {
        RuleAction::Create { .. } => "create",
        RuleAction::Update { .. } => "update",
        RuleAction::Replace { .. } => "replace",
        RuleAction::Delete { .. } => "delete",
    };
    format!("{verb} rule {}", crate::escape::quoted(rule.name()))
}
