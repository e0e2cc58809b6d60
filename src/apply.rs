//! Executes a plan: gates concurrently, and within a gate in dependency order
//! (the gate before its rules, rule deletions before creations).

use std::sync::Arc;

use crate::model::{GateKey, Rule};
use crate::plan::{GateAction, GatePlan, Plan, RuleAction};
use crate::remote::client::backoff;
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
    pub fn count(&self, f: impl Fn(&Status) -> bool) -> usize {
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

/// Runs every action of `plan`, calling `on_outcome` as each lands, and never stops early:
/// independent gates go on after a failure.
pub async fn apply(
    client: &Client,
    plan: &Plan,
    parallelism: usize,
    on_outcome: impl Fn(&Outcome) + Send + Sync + 'static,
) -> Report {
    let on_outcome = Arc::new(on_outcome);
    let client = client.clone();
    let per_gate = crate::remote::for_each_concurrent(plan.gates.clone(), parallelism, move |gate| {
        let (client, on_outcome) = (client.clone(), Arc::clone(&on_outcome));
        async move {
            let mut outcomes = Vec::new();
            apply_gate(&client, &gate, |o| {
                on_outcome(&o);
                outcomes.push(o);
            })
            .await;
            outcomes
        }
    })
    .await;
    // In plan order, whatever order the gates finished in.
    Report { outcomes: per_gate.into_iter().flatten().collect() }
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

/// Attempts at an action whose answer was lost or refused for a passing reason.
const ATTEMPTS: u32 = 5;

fn already_exists(e: &ApiError) -> bool {
    e.status() == Some(400) && e.detail().contains("already exists")
}

/// Creates a gate. Creates are not idempotent: after a lost answer the gate is looked up by
/// its key before trying again, and a retry refused because the gate exists adopts it.
async fn create_gate(client: &Client, key: &GateKey, dry_run: bool) -> Result<String, ApiError> {
    let landed = || async {
        let found = client.list_gates().await?.into_iter().find(|g| &g.key == key);
        if let Some(gate) = &found {
            if gate.dry_run != dry_run {
                client.update_gate(&gate.id, dry_run).await?;
            }
        }
        Ok::<_, ApiError>(found.map(|g| g.id))
    };
    let mut attempt = 0;
    loop {
        attempt += 1;
        match client.create_gate(key, dry_run).await {
            Ok(gate) => return Ok(gate.id),
            Err(e) if e.is_transient() => {
                tokio::time::sleep(backoff(attempt)).await;
                if let Some(id) = landed().await? {
                    return Ok(id);
                }
                if attempt >= ATTEMPTS {
                    return Err(e);
                }
            }
            // Only a retry may find its own earlier attempt; a first create refused is a real conflict.
            Err(e) if already_exists(&e) && attempt > 1 => return landed().await?.ok_or(e),
            Err(e) => return Err(e),
        }
    }
}

/// Creates a rule, never twice: after a lost answer, the gate's rules are listed and a rule
/// of that name means the earlier attempt landed (it is updated if it differs).
async fn create_rule(client: &Client, gate_id: &str, rule: &Rule) -> Result<(), ApiError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match client.create_rule(gate_id, rule).await {
            Ok(_) => return Ok(()),
            Err(e) if e.is_transient() => {
                tokio::time::sleep(backoff(attempt)).await;
                let existing = client.list_rules(gate_id).await?;
                if let Some(landed) = existing.into_iter().find(|r| r.rule.name == rule.name) {
                    if landed.rule != *rule {
                        client.update_rule(gate_id, &landed.id, rule).await?;
                    }
                    return Ok(());
                }
                if attempt >= ATTEMPTS {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

async fn apply_gate(client: &Client, gate: &GatePlan, mut emit: impl FnMut(Outcome)) {
    let key = &gate.key;
    let mut out = |action: String, status: Status| emit(Outcome { gate: key.clone(), action, status });

    let gate_id = match &gate.action {
        GateAction::Create { dry_run } => {
            let result = create_gate(client, key, *dry_run).await;
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
                let created = create_rule(client, &gate_id, after).await;
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
                let result = create_rule(client, &gate_id, after).await;
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
    format!("{verb} rule {:?}", rule.name())
}
