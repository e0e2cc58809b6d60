//! The report: the evaluation history of the declared gates, judged. For each gate and rule,
//! how often it was evaluated, what it blocked or would have blocked (when, which version,
//! why), its record against the failures that followed, and whether a gate or rule in dry run
//! has earned enforcing. Pure: the history is read elsewhere, and nothing here does I/O.
//!
//! Promoting a gate is a release decision, so the evidence is held to what canary analysis
//! asks of a rollout (each condition is `docs/report.md`'s, one module each):
//! - `thresholds`: the bar, a file's never lowered by a flag;
//! - `classify`: which evaluations count (finished, with rule results, under today's
//!   configuration since it last changed; no data and stuck ones prove nothing);
//! - `evidence`: days, span, versions, and the newest run of clean evaluations;
//! - `record`: the failures that followed, charged to what came before them;
//! - `verdict`: the conditions, with why and what is missing;
//! - `rule` and `gate`: each rule alone, then a gate and the rules promoted with it together.

mod classify;
mod evidence;
mod gate;
mod judge;
mod outcome;
mod record;
mod rule;
mod thresholds;
mod verdict;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::desired::DesiredState;
use crate::model::{Failure as Incident, GateEvaluation, GateKey, History, RuleEvaluation};
pub use classify::STUCK_AFTER_MS;
pub use evidence::Evidence;
pub use outcome::{
    Block, Causes, Day, Failure, FailuresUnread, Findings, GateReport, Recommendation, Report, ReportSettings,
    RuleReport, Unattributed,
};
pub use record::Record;
pub use thresholds::{SetBy, Thresholds, ThresholdsSetBy};

/// The failures no gate can be charged with: no env, or none of the services the files or
/// the history know.
fn unattributed(desired: &DesiredState, history: &History, failures: &[Incident]) -> Unattributed {
    let known: BTreeSet<&str> = desired
        .gates
        .keys()
        .map(|k| k.service.as_str())
        .chain(history.gates.iter().map(|e| e.gate.service.as_str()))
        .collect();
    let mut out = Unattributed::default();
    for f in failures {
        if f.env.is_empty() {
            out.no_env += 1;
        } else if !f.services.iter().any(|s| known.contains(s.as_str())) {
            out.unknown_service += 1;
        }
    }
    out
}

/// Judges the history of `gates` (declared gates, already narrowed to the targets).
pub fn build(
    desired: &DesiredState,
    gates: &[&GateKey],
    history: &History,
    settings: &ReportSettings,
    findings: &Findings<'_>,
) -> Report {
    let wanted: BTreeSet<&GateKey> = gates.iter().copied().collect();
    let in_window = |at: i64| settings.window.contains(at);
    let mut gate_history: HashMap<&GateKey, Vec<&GateEvaluation>> = HashMap::new();
    for e in history.gates.iter().filter(|e| wanted.contains(&*e.gate) && in_window(e.started_ms)) {
        gate_history.entry(&e.gate).or_default().push(e);
    }
    let mut rule_history: HashMap<&GateKey, Vec<&RuleEvaluation>> = HashMap::new();
    for e in history.rules.iter().filter(|e| wanted.contains(&*e.gate) && in_window(e.started_ms)) {
        rule_history.entry(&e.gate).or_default().push(e);
    }
    let none = BTreeMap::new();
    let none_failing = BTreeMap::new();
    let online = judge::Online {
        watching_nothing: findings.watching_nothing.unwrap_or(&none),
        failing_now: findings.failing_now.unwrap_or(&none_failing),
        failures: findings.failures.as_ref().ok().copied(),
    };
    let gates = wanted
        .into_iter()
        .filter_map(|key| desired.gates.get(key))
        .map(|gate| {
            let evaluations = gate_history.remove(&gate.key).unwrap_or_default();
            let rules = rule_history.remove(&gate.key).unwrap_or_default();
            gate::report(gate, settings, &online, evaluations, rules)
        })
        .collect();
    Report {
        settings: settings.clone(),
        gates,
        unreadable: history.unreadable,
        unchecked: findings.unchecked.clone(),
        failures: findings.failures.as_ref().map(|f| f.len()).map_err(FailuresUnread::clone),
        unattributed: online.failures.map(|f| unattributed(desired, history, f)).unwrap_or_default(),
    }
}
