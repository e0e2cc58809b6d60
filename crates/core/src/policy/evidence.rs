//! Since when a gate or rule has been in dry run, on evidence: the API's word for its last
//! change, and the newest run of its evaluations made in dry run under today's configuration.
//! Each is a lower bound on how long it has been so; the earlier wins.

use std::collections::BTreeMap;

use super::judge::DryRunFacts;
use crate::model::{GateKey, History, RemoteState};
use crate::report::{Recommendation, Report};

/// What a dry-run fact is keyed by: a gate (None) or one of its rules.
pub type DryRunKey = (GateKey, Option<String>);

/// The oldest start of the newest run of `items` (newest first) that `holds`, stopping at the
/// first that breaks it; `None` neither proves nor breaks the run.
fn newest_run<T>(items: &[&T], at: impl Fn(&T) -> i64, holds: impl Fn(&T) -> Option<bool>) -> Option<i64> {
    let mut since = None;
    for item in items {
        match holds(item) {
            None => continue,
            Some(true) => since = Some(at(item)),
            Some(false) => break,
        }
    }
    since
}

/// For every remote gate and rule in dry run now, since when it has been: the earlier of its
/// last change and the oldest of the newest run of its evaluations made in dry run (a rule's,
/// under the configuration it has today). Neither known: left out.
pub fn dry_run_since(remote: &RemoteState, history: &History) -> BTreeMap<DryRunKey, i64> {
    let mut gates: BTreeMap<&GateKey, Vec<&crate::model::GateEvaluation>> = BTreeMap::new();
    for e in &history.gates {
        gates.entry(&*e.gate).or_default().push(e);
    }
    let mut rules: BTreeMap<(&GateKey, &str), Vec<&crate::model::RuleEvaluation>> = BTreeMap::new();
    for e in &history.rules {
        rules.entry((&*e.gate, &*e.name)).or_default().push(e);
    }
    gates.values_mut().for_each(|v| v.sort_by_key(|e| std::cmp::Reverse(e.started_ms)));
    rules.values_mut().for_each(|v| v.sort_by_key(|e| std::cmp::Reverse(e.started_ms)));
    let earliest = |a: Option<i64>, b: Option<i64>| match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let mut since = BTreeMap::new();
    for (key, gate) in &remote.gates {
        if gate.dry_run {
            let seen = gates.get(key).and_then(|h| newest_run(h, |e| e.started_ms, |e| Some(e.dry_run)));
            if let Some(at) = earliest(gate.changed_ms, seen) {
                since.insert((key.clone(), None), at);
            }
        }
        for rule in remote.rules.get(key).into_iter().flatten().filter(|r| r.rule.dry_run) {
            let seen = rules.get(&(key, rule.rule.name.as_str())).and_then(|h| {
                newest_run(
                    h,
                    |e| e.started_ms,
                    |e| {
                        let options = e.configuration.as_deref()?;
                        Some(e.dry_run && rule.rule.options.same_as_evaluated(options))
                    },
                )
            });
            if let Some(at) = earliest(rule.changed_ms, seen) {
                since.insert((key.clone(), Some(rule.rule.name.clone())), at);
            }
        }
    }
    since
}

/// The dry-run facts a policy judges: since when, with what `report` recommends beside it (a
/// gate or rule the files do not declare has no report).
pub fn dry_run_facts(since: &BTreeMap<DryRunKey, i64>, report: Option<&Report>) -> BTreeMap<DryRunKey, DryRunFacts> {
    let reports: BTreeMap<&GateKey, &crate::report::GateReport> =
        report.map(|r| r.gates.iter().map(|g| (&g.gate, g)).collect()).unwrap_or_default();
    let said = |key: &DryRunKey| -> String {
        let Some(gate) = reports.get(&key.0) else {
            return "no report: the files do not declare it".into();
        };
        let (recommendation, why, missing) = match &key.1 {
            None => (Some(gate.recommendation), gate.why.as_deref(), &gate.missing),
            Some(name) => match gate.rules.iter().find(|r| r.name == *name) {
                Some(r) => (r.recommendation, r.why.as_deref(), &r.missing),
                None => return "no report: the files do not declare it".into(),
            },
        };
        match recommendation {
            Some(Recommendation::Promote) => "promote".into(),
            Some(Recommendation::Enforced) => "enforced in the files".into(),
            Some(Recommendation::KeepDryRun) => format!("keep in dry run: {}", why.unwrap_or("see the report")),
            Some(Recommendation::TooFewEvaluations) if !missing.is_empty() => {
                format!("too little evidence yet: needs {}", missing.join(", "))
            }
            Some(Recommendation::TooFewEvaluations) => "too little evidence yet".into(),
            None => "no report: the files do not declare it".into(),
        }
    };
    since.iter().map(|(key, at)| (key.clone(), DryRunFacts { since_ms: *at, recommendation: said(key) })).collect()
}
