//! Past evaluations as the history calls list them: each gate evaluation, and each rule's part
//! of one with its real result (in dry run too).

use std::collections::HashMap;
use std::sync::Arc;

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

/// An evaluation's id, as the API writes them: a canonical UUID held in 16 bytes, anything
/// else as its text. Ordered and shown as the text is.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EvaluationId {
    Uuid([u8; 16]),
    Text(Box<str>),
}

impl EvaluationId {
    pub fn new(text: &str) -> EvaluationId {
        match uuid_bytes(text) {
            Some(bytes) => EvaluationId::Uuid(bytes),
            None => EvaluationId::Text(text.into()),
        }
    }
}

/// The bytes of a lowercase `8-4-4-4-12` UUID, when `text` is exactly one (so it is written
/// back as it came).
fn uuid_bytes(text: &str) -> Option<[u8; 16]> {
    let bytes = text.as_bytes();
    if bytes.len() != 36 || [8, 13, 18, 23].iter().any(|&i| bytes[i] != b'-') {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    let mut out = [0u8; 16];
    let mut hex = bytes.iter().copied().filter(|c| *c != b'-');
    for byte in &mut out {
        *byte = digit(hex.next()?)? << 4 | digit(hex.next()?)?;
    }
    Some(out)
}

impl std::fmt::Display for EvaluationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EvaluationId::Text(text) => f.write_str(text),
            EvaluationId::Uuid(bytes) => {
                for (i, b) in bytes.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        f.write_str("-")?;
                    }
                    write!(f, "{b:02x}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::fmt::Debug for EvaluationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.to_string())
    }
}

impl From<&str> for EvaluationId {
    fn from(text: &str) -> Self {
        EvaluationId::new(text)
    }
}

impl From<String> for EvaluationId {
    fn from(text: String) -> Self {
        EvaluationId::new(&text)
    }
}

/// One past evaluation of a gate. A window of history holds a million of these and their
/// rules' parts, so what repeats (the gate, the version, a rule's name, reason, options and
/// failures) is shared, not copied: about 100 bytes an item.
#[derive(Clone, Debug)]
pub struct GateEvaluation {
    pub evaluation_id: EvaluationId,
    pub gate: Arc<GateKey>,
    /// The gate's mode when it was evaluated.
    pub dry_run: bool,
    /// What the gate answered; always `pass` for a gate in dry run.
    pub status: EvaluationStatus,
    /// The version deployed; empty when none was given.
    pub version: Arc<str>,
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
    pub id: EvaluationId,
    pub gate_evaluation_id: EvaluationId,
    pub gate: Arc<GateKey>,
    pub name: Arc<str>,
    /// The rule's mode when it was evaluated.
    pub dry_run: bool,
    /// Its gate's mode when it was evaluated.
    pub gate_dry_run: bool,
    /// The rule's real result, in dry run too.
    pub status: EvaluationStatus,
    pub reason: Arc<str>,
    pub version: Arc<str>,
    pub started_ms: i64,
    /// The options it was evaluated with, when they read as a rule's options.
    pub configuration: Option<Arc<RuleOptions>>,
    pub failures: Arc<RuleFailures>,
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

#[cfg(test)]
mod tests {
    use super::EvaluationId;

    #[test]
    fn ids_are_held_small_and_shown_as_they_came() {
        for text in ["5b6c1f0e-9a41-4a3e-8d0b-0123456789ab", "5B6C1F0E-9A41-4A3E-8D0B-0123456789AB", "e1", ""] {
            assert_eq!(EvaluationId::new(text).to_string(), text);
        }
        assert!(matches!(EvaluationId::new("5b6c1f0e-9a41-4a3e-8d0b-0123456789ab"), EvaluationId::Uuid(_)));
        assert!(matches!(EvaluationId::new("5B6C1F0E-9A41-4A3E-8D0B-0123456789AB"), EvaluationId::Text(_)));
        assert_eq!(std::mem::size_of::<EvaluationId>(), 24);
        let (a, b) = ("00000000-0000-4000-8000-000000000002", "00000000-0000-4000-8000-00000000000a");
        assert_eq!(EvaluationId::new(a).cmp(&EvaluationId::new(b)), a.cmp(b), "ordered as the text is");
    }
}
