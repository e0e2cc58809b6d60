//! Past evaluations as the history calls list them: each gate evaluation, and each rule's part
//! of one with its real result (in dry run too).

use std::collections::HashMap;

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
    /// When it finished; `None` while it runs.
    pub finished_ms: Option<i64>,
}

impl GateEvaluation {
    /// It has an answer (pass or fail): an evaluation still running decides nothing.
    pub fn finished(&self) -> bool {
        self.status != EvaluationStatus::InProgress
    }

    /// The gate stopped the deploy: it failed while enforcing. (A gate in dry run always
    /// passes; what it would have blocked is read from its rules.)
    pub fn blocked(&self) -> bool {
        self.status == EvaluationStatus::Fail && !self.dry_run
    }
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

impl RuleEvaluation {
    /// It passed only because what it watches had no data: its reason says so, or a monitor it
    /// names was in NO DATA. No data is not a clean pass.
    pub fn passed_on_no_data(&self) -> bool {
        if self.status != EvaluationStatus::Pass {
            return false;
        }
        let squeezed = |text: &str| -> String {
            text.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect()
        };
        squeezed(&self.reason).contains("nodata")
            || self.failures.monitors.iter().any(|m| squeezed(&m.state) == "nodata")
    }
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

/// The gate evaluations of each service and env, oldest first: what coverage looks through
/// for the evaluations made shortly before a deployment.
#[derive(Debug, Default)]
pub struct EvaluationIndex<'a> {
    by_place: HashMap<(&'a str, &'a str), Vec<&'a GateEvaluation>>,
}

impl<'a> EvaluationIndex<'a> {
    pub fn new(evaluations: impl IntoIterator<Item = &'a GateEvaluation>) -> Self {
        let mut index = EvaluationIndex::default();
        for e in evaluations {
            index.by_place.entry((e.gate.service.as_str(), e.gate.env.as_str())).or_default().push(e);
        }
        for list in index.by_place.values_mut() {
            list.sort_by(|a, b| a.started_ms.cmp(&b.started_ms).then(a.evaluation_id.cmp(&b.evaluation_id)));
        }
        index
    }

    /// The evaluations of `service` and `env` that started in `[from, to)`, oldest first.
    pub fn started_in<'s>(&'s self, service: &'s str, env: &'s str, from: i64, to: i64) -> &'s [&'a GateEvaluation] {
        // The keys read as short-lived as the names looked up (the map is covariant in them).
        let by_place: &HashMap<(&str, &str), Vec<&'a GateEvaluation>> = &self.by_place;
        let Some(list) = by_place.get(&(service, env)) else { return &[] };
        let start = list.partition_point(|e| e.started_ms < from);
        let end = list.partition_point(|e| e.started_ms < to);
        &list[start..end.max(start)]
    }
}
