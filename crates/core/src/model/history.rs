//! Past evaluations as the history calls list them: each gate evaluation, and each rule's part
//! of one with its real result (in dry run too).

use serde::Serialize;

use super::{GateKey, RuleOptions};

/// Where an evaluation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvaluationStatus {
    Pass,
    Fail,
    InProgress,
}

impl EvaluationStatus {
    /// The API's word; one gatesctl does not know reads as in progress: no verdict yet.
    pub fn parse(text: &str) -> EvaluationStatus {
        match text {
            "pass" => EvaluationStatus::Pass,
            "fail" => EvaluationStatus::Fail,
            _ => EvaluationStatus::InProgress,
        }
    }
}

/// One past evaluation of a gate.
#[derive(Clone, Debug)]
pub struct GateEvaluation {
    pub evaluation_id: String,
    pub gate: GateKey,
    /// The gate's mode when it was evaluated.
    pub dry_run: bool,
    /// What the gate answered; always `pass` for a gate in dry run.
    pub status: EvaluationStatus,
    /// The version deployed; empty when none was given.
    pub version: String,
    pub started_ms: i64,
}

/// One rule's part of a past gate evaluation.
#[derive(Clone, Debug)]
pub struct RuleEvaluation {
    /// The history item's own id.
    pub id: String,
    pub gate_evaluation_id: String,
    pub gate: GateKey,
    pub name: String,
    /// The rule's mode when it was evaluated.
    pub dry_run: bool,
    /// Its gate's mode when it was evaluated.
    pub gate_dry_run: bool,
    /// The rule's real result, in dry run too.
    pub status: EvaluationStatus,
    pub reason: String,
    pub version: String,
    pub started_ms: i64,
    /// The options it was evaluated with, when they read as a rule's options.
    pub configuration: Option<RuleOptions>,
    pub failures: RuleFailures,
}

/// What made a rule fail.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleFailures {
    pub monitors: Vec<FailedMonitor>,
    pub faulty_apm_resources: Vec<String>,
}

/// A monitor that made a rule fail, and its state then.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
pub struct FailedMonitor {
    pub id: String,
    pub state: String,
}

/// The evaluation history of a window, as read: gate evaluations, rule evaluations, and how
/// many items could not be read (counted, never judged).
#[derive(Clone, Debug, Default)]
pub struct History {
    pub gates: Vec<GateEvaluation>,
    pub rules: Vec<RuleEvaluation>,
    pub unreadable: usize,
}
