//! Executes a plan: gates concurrently, and within a gate in dependency order
//! (the gate before its rules, rule deletions before creations, a replacement created
//! before the rule it replaces is deleted).

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::stream::{self, StreamExt};

use gatesctl_client::{ApiError, Client, Created};
use gatesctl_core::model::GateKey;
use gatesctl_core::plan::{GateAction, GatePlan, Plan, RuleAction};

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

/// What an action does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verb {
    Create,
    Update,
    Replace,
    Delete,
}

/// One action of an apply and what became of it.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub(crate) gate: GateKey,
    /// The rule acted on; none for the gate itself.
    pub(crate) rule: Option<String>,
    pub(crate) verb: Verb,
    /// What was done, in the user's words: `create rule "Errors"`, `update gate dry_run → true`.
    pub(crate) action: String,
    pub status: Status,
    /// Worth knowing besides the status: a rule found made already, a twin taken back.
    pub(crate) note: Option<String>,
}

impl Verb {
    /// The verb as a person reads it in an action: `create`, `update` …
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Replace => "replace",
            Verb::Delete => "delete",
        }
    }
}

impl Outcome {
    fn of_gate(gate: &GatePlan) -> Option<Outcome> {
        let (verb, detail) = match &gate.action {
            GateAction::Create { .. } => (Verb::Create, String::new()),
            GateAction::Update { after, .. } => (Verb::Update, format!(" dry_run → {after}")),
            GateAction::Delete { .. } => (Verb::Delete, String::new()),
            GateAction::Keep { .. } => return None,
        };
        let action = format!("{} gate{detail}", verb.as_str());
        Some(Outcome { gate: gate.key.clone(), rule: None, verb, action, status: Status::Done, note: None })
    }

    fn of_rule(key: &GateKey, rule: &RuleAction) -> Outcome {
        let verb = match rule {
            RuleAction::Create { .. } => Verb::Create,
            RuleAction::Update { .. } => Verb::Update,
            RuleAction::Replace { .. } => Verb::Replace,
            RuleAction::Delete { .. } => Verb::Delete,
        };
        let extra = if matches!(rule, RuleAction::Delete { duplicate: true, .. }) { " extra" } else { "" };
        Outcome {
            gate: key.clone(),
            rule: Some(rule.name().to_string()),
            verb,
            action: format!("{}{extra} rule {}", verb.as_str(), gatesctl_core::escape::quoted(rule.name())),
            status: Status::Done,
            note: None,
        }
    }

    fn with(mut self, status: Status) -> Outcome {
        self.status = status;
        self
    }

    fn noting(mut self, note: Option<String>) -> Outcome {
        self.note = note;
        self
    }
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

    pub(crate) fn not_started(&self) -> usize {
        self.count(|s| *s == Status::NotStarted)
    }

    pub(crate) fn is_success(&self) -> bool {
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
                        emit(rule_outcome(rule).with(Status::Skipped("its gate was not created".into())));
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
                Err(e) => {
                    emit(rule_outcome(rule).with(Status::Failed(format!("{e}; the old rule is kept, unchanged"))))
                }
                Ok(created) => {
                    let note = settle(client, &gate_id, after, &created, &[id]).await;
                    let status = match gone_is_fine(client.delete_rule(&gate_id, id).await) {
                        Ok(()) => Status::Done,
                        Err(e) => {
                            Status::Failed(format!("the new rule was created, but deleting the old one failed: {e}"))
                        }
                    };
                    emit(rule_outcome(rule).with(status).noting(note));
                }
            },
            RuleAction::Update { id, after, .. } => {
                let result = client.update_rule(&gate_id, id, after).await;
                emit(rule_outcome(rule).with(status(&result)));
            }
            RuleAction::Create { after } => match client.create_rule_once(&gate_id, after, &[]).await {
                Err(e) => emit(rule_outcome(rule).with(Status::Failed(e.to_string()))),
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
            emit(outcome.with(Status::Skipped("some of its rules could not be deleted".into())));
        } else {
            let result = gone_is_fine(client.delete_gate(id).await);
            emit(outcome.with(status(&result)));
        }
    }
}
