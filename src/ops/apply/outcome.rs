//! What an apply did: each action and what became of it, the API's error kept whole when it
//! failed.

use gatesctl_client::ApiError;
use gatesctl_core::model::GateKey;
use gatesctl_core::plan::{GateAction, GatePlan, RuleAction};

/// Why an action failed: the API's error, and what it left behind when it was one step of two.
#[derive(Clone, Debug, thiserror::Error)]
pub enum Failure {
    #[error("{0}")]
    Api(ApiError),
    /// A replacement whose new rule could not be created.
    #[error("{0}; the old rule is kept, unchanged")]
    OldRuleKept(ApiError),
    /// A replacement whose new rule was created, the old one not deleted.
    #[error("the new rule was created, but deleting the old one failed: {0}")]
    OldRuleLeft(ApiError),
}

impl Failure {
    /// The API's error behind the failure.
    pub fn error(&self) -> &ApiError {
        match self {
            Failure::Api(e) | Failure::OldRuleKept(e) | Failure::OldRuleLeft(e) => e,
        }
    }
}

/// Why an action was not attempted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    #[error("its gate was not created")]
    GateNotCreated,
    #[error("some of its rules could not be deleted")]
    RulesNotDeleted,
}

/// What happened to one action.
#[derive(Clone, Debug)]
pub enum Status {
    Done,
    /// The API refused it, or could not be reached: its own error, kept whole.
    Failed(Failure),
    /// Not attempted because an action it depends on failed.
    Skipped(Skip),
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
    pub(super) fn of_gate(gate: &GatePlan) -> Option<Outcome> {
        let (verb, detail) = match &gate.action {
            GateAction::Create { .. } => (Verb::Create, String::new()),
            GateAction::Update { after, .. } => (Verb::Update, format!(" dry_run → {after}")),
            GateAction::Delete { .. } => (Verb::Delete, String::new()),
            GateAction::Keep { .. } => return None,
        };
        let action = format!("{} gate{detail}", verb.as_str());
        Some(Outcome { gate: gate.key.clone(), rule: None, verb, action, status: Status::Done, note: None })
    }

    pub(super) fn of_rule(key: &GateKey, rule: &RuleAction) -> Outcome {
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

    pub(super) fn with(mut self, status: Status) -> Outcome {
        self.status = status;
        self
    }

    pub(super) fn noting(mut self, note: Option<String>) -> Outcome {
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
        self.count(|s| matches!(s, Status::Done))
    }

    pub fn failed(&self) -> usize {
        self.count(|s| matches!(s, Status::Failed(_)))
    }

    pub fn skipped(&self) -> usize {
        self.count(|s| matches!(s, Status::Skipped(_)))
    }

    pub(crate) fn not_started(&self) -> usize {
        self.count(|s| matches!(s, Status::NotStarted))
    }

    pub(crate) fn is_success(&self) -> bool {
        self.failed() == 0 && self.skipped() == 0 && self.not_started() == 0
    }
}
