//! Executes a plan: gates concurrently, and within a gate in dependency order
//! (the gate before its rules, rule deletions before creations).

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

    pub fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0
    }
}

/// The number of actions a plan runs: each rule action, and each gate action but "keep".
pub fn action_count(plan: &Plan) -> usize {
    plan.gates.iter().map(|g| g.rules.len() + usize::from(!matches!(g.action, GateAction::Keep { .. }))).sum()
}

/// Runs every action of `plan`, at most `parallelism` gates at once, calling `on_outcome` as
/// each lands, and never stops early: independent gates go on after a failure.
pub async fn apply(client: &Client, plan: &Plan, parallelism: usize, on_outcome: impl Fn(&Outcome)) -> Report {
    let mut per_gate: Vec<(usize, Vec<Outcome>)> = stream::iter(plan.gates.iter().enumerate())
        .map(|(index, gate)| {
            let on_outcome = &on_outcome;
            async move {
                let mut outcomes = Vec::new();
                apply_gate(client, gate, |o| {
                    on_outcome(&o);
                    outcomes.push(o);
                })
                .await;
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
        match rule {
            RuleAction::Delete { id, .. } => {
                let result = gone_is_fine(client.delete_rule(&gate_id, id).await);
                rules_failed |= result.is_err();
                out(describe(rule), status(&result));
            }
            RuleAction::Replace { id, after, .. } => {
                let deleted = gone_is_fine(client.delete_rule(&gate_id, id).await);
                if let Err(e) = &deleted {
                    out(describe(rule), Status::Failed(format!("deleting the old rule: {e}")));
                    continue;
                }
                let created = client.create_rule_once(&gate_id, after).await;
                out(
                    describe(rule),
                    match created {
                        Ok(_) => Status::Done,
                        Err(e) => Status::Failed(format!("old rule deleted, creating the new one: {e}")),
                    },
                );
            }
            _ => {}
        }
    }
    for rule in &gate.rules {
        match rule {
            RuleAction::Update { id, after, .. } => {
                let result = client.update_rule(&gate_id, id, after).await;
                out(describe(rule), status(&result));
            }
            RuleAction::Create { after } => {
                let result = client.create_rule_once(&gate_id, after).await;
                out(describe(rule), status(&result));
            }
            _ => {}
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
