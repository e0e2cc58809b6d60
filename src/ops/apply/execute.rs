//! Executes a plan: gates concurrently, and within a gate in dependency order
//! (the gate before its rules, rule deletions before creations, a replacement created
//! before the rule it replaces is deleted).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use futures_util::stream::{self, StreamExt};

use crate::ops::progress::{Event, Progress};
use gatesctl_client::{ApiError, Client, Created};
use gatesctl_core::plan::{GateAction, GatePlan, Plan, RuleAction};

use super::outcome::{Failure, Outcome, Report, Skip, Status};

/// Runs every action of `plan`, at most `parallelism` gates at once, telling `progress` of
/// each as it lands. A failure does not stop independent gates. Once `stop` is set no gate is
/// begun, but a gate begun is finished (its requests are bounded by their timeout), so no gate
/// is left half-made: created without its rules, or with a rule deleted and its replacement
/// not created.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    parallelism: usize,
    stop: &AtomicBool,
    progress: &dyn Progress,
) -> Report {
    let (total, landed) = (plan.action_count(), AtomicUsize::new(0));
    let on_outcome = |outcome: &Outcome| {
        let done = landed.fetch_add(1, Ordering::SeqCst) + 1;
        progress.event(Event::Applied { outcome, done, total });
    };
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
                    for outcome in outcomes_of(gate) {
                        emit(outcome.with(Status::NotStarted));
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
        Err(e) => Status::Failed(Failure::Api(e.clone())),
    }
}

/// A delete that finds nothing to delete has reached the state it wanted.
fn gone_is_fine(result: Result<(), ApiError>) -> Result<(), ApiError> {
    match result {
        Err(e) if e.status() == Some(404) => Ok(()),
        other => other,
    }
}

/// Every action of a gate, in the order they run, as outcomes not yet had.
fn outcomes_of(gate: &GatePlan) -> Vec<Outcome> {
    let mut out = Vec::new();
    let gate_outcome = Outcome::of_gate(gate);
    let deleted = matches!(gate.action, GateAction::Delete { .. });
    if !deleted {
        out.extend(gate_outcome.clone());
    }
    out.extend(gate.rules.iter().map(|r| Outcome::of_rule(&gate.key, r)));
    if deleted {
        out.extend(gate_outcome);
    }
    out
}

/// After a create, a twin made at the same moment by another apply is taken back (one of the
/// two, the same one whichever run looks): said in the outcome, never left silently.
async fn settle(
    client: &Client,
    gate_id: &str,
    rule: &gatesctl_core::model::Rule,
    created: &Created,
    not: &[&str],
) -> Option<String> {
    let Created::New(id) = created else {
        return Some("it was there already (another apply?): adopted as it is, made as the file says".to_string());
    };
    match client.settle_twins(gate_id, rule, id, not).await {
        Ok(Some(_)) => Some("another apply created it at the same moment: the twin this run made was deleted".into()),
        Ok(None) => None,
        Err(e) => {
            Some(format!("another rule of this name may have been created at the same moment; checking failed: {e}"))
        }
    }
}

async fn apply_gate(client: &Client, gate: &GatePlan, mut emit: impl FnMut(Outcome)) {
    let key = &gate.key;
    let rule_outcome = |rule: &RuleAction| Outcome::of_rule(key, rule);

    let gate_id = match &gate.action {
        GateAction::Create { dry_run } => {
            let result = client.create_gate_once(key, *dry_run).await;
            emit(Outcome::of_gate(gate).expect("a create").with(status(&result)));
            match result {
                Ok(id) => id,
                Err(_) => {
                    for rule in &gate.rules {
                        emit(rule_outcome(rule).with(Status::Skipped(Skip::GateNotCreated)));
                    }
                    return;
                }
            }
        }
        GateAction::Update { id, after, .. } => {
            let result = client.update_gate(id, *after).await;
            emit(Outcome::of_gate(gate).expect("an update").with(status(&result)));
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
            emit(rule_outcome(rule).with(status(&result)));
        }
    }
    for rule in &gate.rules {
        match rule {
            // The API lets two rules share a name: the new rule is created first, so a failed
            // create never leaves the gate without the rule.
            RuleAction::Replace { id, after, .. } => match client.create_rule_once(&gate_id, after, &[id]).await {
                Err(e) => emit(rule_outcome(rule).with(Status::Failed(Failure::OldRuleKept(e)))),
                Ok(created) => {
                    let note = settle(client, &gate_id, after, &created, &[id]).await;
                    let status = match gone_is_fine(client.delete_rule(&gate_id, id).await) {
                        Ok(()) => Status::Done,
                        Err(e) => Status::Failed(Failure::OldRuleLeft(e)),
                    };
                    emit(rule_outcome(rule).with(status).noting(note));
                }
            },
            RuleAction::Update { id, after, .. } => {
                let result = client.update_rule(&gate_id, id, after).await;
                emit(rule_outcome(rule).with(status(&result)));
            }
            RuleAction::Create { after } => match client.create_rule_once(&gate_id, after, &[]).await {
                Err(e) => emit(rule_outcome(rule).with(Status::Failed(Failure::Api(e)))),
                Ok(created) => {
                    let note = settle(client, &gate_id, after, &created, &[]).await;
                    emit(rule_outcome(rule).noting(note));
                }
            },
            RuleAction::Delete { .. } => {}
        }
    }
    // A gate is deleted only once its rules are gone.
    if let GateAction::Delete { id, .. } = &gate.action {
        let outcome = Outcome::of_gate(gate).expect("a delete");
        if rules_failed {
            emit(outcome.with(Status::Skipped(Skip::RulesNotDeleted)));
        } else {
            let result = gone_is_fine(client.delete_gate(id).await);
            emit(outcome.with(status(&result)));
        }
    }
}
