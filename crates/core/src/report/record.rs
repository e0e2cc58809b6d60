//! Each gate's record against the failures Datadog recorded (DORA). A failure is charged to a
//! gate's evaluations that started before it: for a failure with a version, those of that
//! version; without one, the gate's newest evaluation within 24 hours before it. Every gate of
//! the failure's service and env is charged, each identifier apart, once per failure.
//!
//! A failure is **caught** when one of the gate's evaluations charged with it blocked (or would
//! have), even if a passing retry then let the deploy through (**overridden**), and **missed**
//! when all of them passed. A block charged with no failure is a **false alarm**; a pass
//! charged with none is **clean**.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::evidence::Sample;
use crate::model::{EvaluationId, Failure, GateEvaluation, GateKey};
use crate::text::plural;

/// How long before a failure without a version the gate's evaluation may have started and
/// still be the one it is charged to.
pub(super) const UNVERSIONED_WITHIN_MS: i64 = 24 * 3600 * 1000;

/// A gate's verdicts in the window against the failures charged to them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Record {
    /// Failures charged to the gate that one of its blocks (or would-be blocks) was charged
    /// with: it saw them coming.
    pub caught: usize,
    /// Of those, failures whose block a later passing evaluation of the same version let
    /// through: caught, and shipped anyway.
    pub overridden: usize,
    /// Blocks (or would-be blocks) charged with no failure.
    pub false_alarms: usize,
    /// Failures charged to the gate whose evaluations all passed.
    pub missed: usize,
    /// Passes charged with no failure.
    pub clean: usize,
    /// The verdicts weighed: counted evaluations for a gate in dry run, finished ones for an
    /// enforcing gate.
    pub evaluations: usize,
}

impl Record {
    /// "would have caught 1 of the 2 failures that followed its evaluations; 1 false alarm in 6
    /// evaluations" (`would` for a gate in dry run).
    pub fn words(&self, would: bool) -> String {
        let failures = self.caught + self.missed;
        let caught = if would { "would have caught" } else { "caught" };
        let mut record = match (failures, self.caught) {
            (0, _) => "no failure followed its evaluations".to_string(),
            (1, 1) => format!("{caught} the 1 failure that followed its evaluations"),
            (1, _) => "missed the 1 failure that followed its evaluations".to_string(),
            (n, c) => format!("{caught} {c} of the {n} failures that followed its evaluations"),
        };
        if self.overridden > 0 {
            record.push_str(&format!(
                " ({} overridden by a passing retry, and shipped anyway)",
                plural(self.overridden, "block", "blocks")
            ));
        }
        let alarms = if self.false_alarms == 1 { "false alarm" } else { "false alarms" };
        format!("{record}; {} {alarms} in {}", self.false_alarms, plural(self.evaluations, "evaluation", "evaluations"))
    }

    /// Whether any failure was charged to the gate.
    pub fn weighed_failures(&self) -> bool {
        self.caught + self.missed > 0
    }
}

/// The failures charged to each of a gate's evaluations: by evaluation id, the failures'
/// indexes.
#[derive(Debug, Default)]
pub(super) struct Charges<'a> {
    by_evaluation: BTreeMap<&'a EvaluationId, BTreeSet<usize>>,
}

impl<'a> Charges<'a> {
    /// Charges `failures` to the finished `evaluations` of `gate`.
    pub(super) fn of(gate: &GateKey, evaluations: &[&'a GateEvaluation], failures: &[Failure]) -> Charges<'a> {
        let mut charges = Charges::default();
        let mut finished: Vec<&GateEvaluation> = evaluations.iter().copied().filter(|e| e.finished()).collect();
        finished.sort_by(|a, b| a.started_ms.cmp(&b.started_ms).then(a.evaluation_id.cmp(&b.evaluation_id)));
        let ours = |f: &&Failure| f.env == gate.env && f.services.contains(&gate.service);
        for (index, f) in failures.iter().enumerate().filter(|(_, f)| ours(f)) {
            let before = &finished[..finished.partition_point(|e| e.started_ms < f.started_ms)];
            if f.version.is_empty() {
                let newest = before.last().filter(|e| e.started_ms >= f.started_ms - UNVERSIONED_WITHIN_MS);
                if let Some(e) = newest {
                    charges.by_evaluation.entry(&e.evaluation_id).or_default().insert(index);
                }
            } else {
                for e in before.iter().filter(|e| *e.version == *f.version) {
                    charges.by_evaluation.entry(&e.evaluation_id).or_default().insert(index);
                }
            }
        }
        charges
    }

    /// Whether any failure was charged to the gate: only then are its blocks weighed against
    /// what followed.
    pub(super) fn any(&self) -> bool {
        !self.by_evaluation.is_empty()
    }

    /// Whether a failure was charged to this evaluation.
    pub(super) fn charged(&self, evaluation_id: &EvaluationId) -> bool {
        self.by_evaluation.contains_key(evaluation_id)
    }

    /// The record of the verdicts `samples` (the gate's judged evaluations).
    pub(super) fn record(&self, samples: &[Sample<'_>]) -> Record {
        let mut record = Record { evaluations: samples.len(), ..Record::default() };
        // Per failure, the verdicts charged with it, oldest first.
        let mut by_failure: BTreeMap<usize, Vec<&Sample<'_>>> = BTreeMap::new();
        for s in samples {
            match self.by_evaluation.get(s.id) {
                Some(failures) => {
                    for f in failures {
                        by_failure.entry(*f).or_default().push(s);
                    }
                }
                None if s.blocked => record.false_alarms += 1,
                None => record.clean += 1,
            }
        }
        for verdicts in by_failure.values_mut() {
            verdicts.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(b.id)));
            match verdicts.iter().rposition(|s| s.blocked) {
                Some(last_block) => {
                    record.caught += 1;
                    if verdicts[last_block + 1..].iter().any(|s| !s.blocked) {
                        record.overridden += 1;
                    }
                }
                None => record.missed += 1,
            }
        }
        record
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::model::EvaluationStatus;

    const HOUR: i64 = 3600 * 1000;

    fn evaluation(identifier: &str, version: &str, at: i64, blocked: bool) -> GateEvaluation {
        GateEvaluation {
            evaluation_id: format!("{identifier}-{version}-{at}").into(),
            gate: GateKey::new("svc", "prod", identifier).into(),
            dry_run: false,
            status: if blocked { EvaluationStatus::Fail } else { EvaluationStatus::Pass },
            version: version.into(),
            started_ms: at,
            finished_ms: Some(at + 60_000),
        }
    }

    /// A failure of `services` in `env`, of `version`, at `at` (shared with the gate tests).
    pub(in crate::report) fn failure(services: &[&str], env: &str, version: &str, at: i64) -> Failure {
        Failure {
            id: format!("f{at}"),
            name: "incident".into(),
            services: services.iter().map(|s| s.to_string()).collect(),
            env: env.into(),
            version: version.into(),
            started_ms: at,
        }
    }

    /// The record of one gate (`default`) over `evaluations` against `failures`.
    fn record_of(evaluations: &[GateEvaluation], failures: &[Failure]) -> Record {
        let gate = GateKey::new("svc", "prod", "default");
        let ours: Vec<&GateEvaluation> = evaluations.iter().filter(|e| *e.gate == gate).collect();
        let charges = Charges::of(&gate, &ours, failures);
        let samples: Vec<Sample<'_>> = ours
            .iter()
            .map(|e| Sample { id: &e.evaluation_id, at: e.started_ms, version: &e.version, blocked: e.blocked() })
            .collect();
        charges.record(&samples)
    }

    fn r(
        caught: usize,
        overridden: usize,
        false_alarms: usize,
        missed: usize,
        clean: usize,
    ) -> (usize, usize, usize, usize, usize) {
        (caught, overridden, false_alarms, missed, clean)
    }

    #[test]
    fn failures_are_charged_only_to_what_came_before_them() {
        let h = HOUR;
        let f = |services: &[&str], version: &str, at: i64| failure(services, "prod", version, at);
        // (the case, evaluations, failures, (caught, overridden, false alarms, missed, clean))
        type Case = (&'static str, Vec<GateEvaluation>, Vec<Failure>, (usize, usize, usize, usize, usize));
        let cases: Vec<Case> = vec![
            (
                "a block, then a failure of its version",
                vec![evaluation("default", "v1", 0, true)],
                vec![f(&["svc"], "v1", h)],
                r(1, 0, 0, 0, 0),
            ),
            (
                "a pass, then a failure of its version",
                vec![evaluation("default", "v1", 0, false)],
                vec![f(&["svc"], "v1", h)],
                r(0, 0, 0, 1, 0),
            ),
            (
                "a failure before the evaluation is not its",
                vec![evaluation("default", "v1", 2 * h, true)],
                vec![f(&["svc"], "v1", h)],
                r(0, 0, 1, 0, 0),
            ),
            (
                "four blocks of one version, one incident after the first",
                vec![
                    evaluation("default", "hotfix", 0, true),
                    evaluation("default", "hotfix", 2 * h, true),
                    evaluation("default", "hotfix", 3 * h, true),
                    evaluation("default", "hotfix", 4 * h, true),
                ],
                vec![f(&["svc"], "hotfix", h)],
                r(1, 0, 3, 0, 0),
            ),
            (
                "blocked, retried, passed, shipped, failed: caught and overridden, not missed",
                vec![evaluation("default", "v1", 0, true), evaluation("default", "v1", h, false)],
                vec![f(&["svc"], "v1", 2 * h)],
                r(1, 1, 0, 0, 0),
            ),
            (
                "without a version: the newest evaluation within a day before it",
                vec![evaluation("default", "v1", 0, true), evaluation("default", "v2", 5 * h, false)],
                vec![f(&["svc"], "", 6 * h)],
                r(0, 0, 1, 1, 0),
            ),
            (
                "without a version: more than a day after the last evaluation, charged to none",
                vec![evaluation("default", "v1", 0, false)],
                vec![f(&["svc"], "", 25 * h)],
                r(0, 0, 0, 0, 1),
            ),
            (
                "one failure of two services",
                vec![evaluation("default", "v1", 0, true)],
                vec![f(&["other", "svc"], "v1", h)],
                r(1, 0, 0, 0, 0),
            ),
            (
                "another env is not charged",
                vec![evaluation("default", "v1", 0, false)],
                vec![failure(&["svc"], "staging", "v1", h)],
                r(0, 0, 0, 0, 1),
            ),
            (
                "two failures of one version: two caught by one block",
                vec![evaluation("default", "v1", 0, true)],
                vec![f(&["svc"], "v1", h), f(&["svc"], "v1", 2 * h)],
                r(2, 0, 0, 0, 0),
            ),
            (
                "another gate's block is not this gate's",
                vec![evaluation("canary", "v1", 0, true), evaluation("default", "v1", 0, false)],
                vec![f(&["svc"], "v1", h)],
                r(0, 0, 0, 1, 0),
            ),
        ];
        for (what, evaluations, failures, expected) in cases {
            let got = record_of(&evaluations, &failures);
            assert_eq!(r(got.caught, got.overridden, got.false_alarms, got.missed, got.clean), expected, "{what}");
        }
    }

    #[test]
    fn every_gate_of_the_service_and_env_is_charged_apart() {
        let evaluations = [evaluation("default", "", 0, false), evaluation("canary", "", HOUR, true)];
        let failures = [failure(&["svc"], "prod", "", 2 * HOUR)];
        for (identifier, caught, missed) in [("default", 0, 1), ("canary", 1, 0)] {
            let gate = GateKey::new("svc", "prod", identifier);
            let ours: Vec<&GateEvaluation> = evaluations.iter().filter(|e| *e.gate == gate).collect();
            let samples: Vec<Sample<'_>> = ours
                .iter()
                .map(|e| Sample { id: &e.evaluation_id, at: e.started_ms, version: &e.version, blocked: e.blocked() })
                .collect();
            let record = Charges::of(&gate, &ours, &failures).record(&samples);
            assert_eq!((record.caught, record.missed), (caught, missed), "{identifier}");
        }
    }

    #[test]
    fn the_record_reads_in_words() {
        let e = Record { caught: 1, overridden: 1, false_alarms: 1, missed: 1, clean: 3, evaluations: 6 };
        assert_eq!(
            e.words(true),
            "would have caught 1 of the 2 failures that followed its evaluations (1 block overridden by a passing retry, and shipped anyway); 1 false alarm in 6 evaluations"
        );
        assert_eq!(
            Record { clean: 4, evaluations: 4, ..Record::default() }.words(false),
            "no failure followed its evaluations; 0 false alarms in 4 evaluations"
        );
        assert_eq!(
            Record { missed: 1, evaluations: 1, ..Record::default() }.words(false),
            "missed the 1 failure that followed its evaluations; 0 false alarms in 1 evaluation"
        );
    }
}
