//! Each gate's record against the failures that followed its evaluations (DORA): a verdict
//! that blocked (or would have) is borne out when a failure followed, a false alarm when none
//! did; a pass is a miss when one followed.

use std::collections::HashSet;

use schemars::JsonSchema;
use serde::Serialize;

use crate::model::{EvaluationIndex, Failure, GateEvaluation};

/// How long after an evaluation a failure without a version may start and still follow it.
pub(super) const UNVERSIONED_WITHIN_MS: i64 = 24 * 3600 * 1000;

/// A gate's finished evaluations in the window, by what they decided and what followed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Efficacy {
    /// Blocked (or would have) a deploy that a failure followed.
    pub caught: usize,
    /// Blocked (or would have) a deploy that no failure followed.
    pub(crate) false_alarms: usize,
    /// Passed a deploy that a failure followed.
    pub missed: usize,
    /// Passed a deploy that no failure followed.
    pub(crate) clean: usize,
}

impl Efficacy {
    pub(crate) fn count(&mut self, blocked: bool, followed: bool) {
        match (blocked, followed) {
            (true, true) => self.caught += 1,
            (true, false) => self.false_alarms += 1,
            (false, true) => self.missed += 1,
            (false, false) => self.clean += 1,
        }
    }

    /// "would have stopped 1 of the 2 deploys that caused failures; 1 false alarm in 6
    /// evaluations" (`would` for a gate in dry run).
    pub fn words(&self, would: bool) -> String {
        let evaluations = self.caught + self.false_alarms + self.missed + self.clean;
        let caused = self.caught + self.missed;
        let stopped = if would { "would have stopped" } else { "stopped" };
        let record = match (caused, self.caught) {
            (0, _) => "no deploy it evaluated was followed by a failure".to_string(),
            (1, 1) => format!("{stopped} the 1 deploy that caused a failure"),
            (1, _) => format!(
                "{} the 1 deploy that caused a failure",
                if would { "would have let through" } else { "let through" }
            ),
            (n, c) => format!("{stopped} {c} of the {n} deploys that caused failures"),
        };
        let alarms = if self.false_alarms == 1 { "false alarm" } else { "false alarms" };
        format!(
            "{record}; {} {alarms} in {}",
            self.false_alarms,
            crate::text::plural(evaluations, "evaluation", "evaluations")
        )
    }
}

/// The ids of the evaluations a failure followed: of the gate's service (one of the failure's
/// services) and env, of the failure's version; for a failure without a version, the
/// evaluation of that service and env that started last before it, within 24 hours.
pub(super) fn followed<'a>(failures: &[Failure], evaluations: &[&'a GateEvaluation]) -> HashSet<&'a str> {
    let index = EvaluationIndex::new(evaluations.iter().copied());
    let mut out = HashSet::new();
    for f in failures.iter().filter(|f| !f.env.is_empty()) {
        for service in &f.services {
            if f.version.is_empty() {
                let last = index.before(service, &f.env, f.started_ms, UNVERSIONED_WITHIN_MS).last();
                out.extend(last.map(|e| e.evaluation_id.as_str()));
            } else {
                out.extend(index.of_version(service, &f.env, &f.version).iter().map(|e| e.evaluation_id.as_str()));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EvaluationStatus, GateKey};

    fn evaluation(service: &str, version: &str, at: i64) -> GateEvaluation {
        GateEvaluation {
            evaluation_id: format!("{service}-{version}-{at}"),
            gate: GateKey::new(service, "prod", "default"),
            dry_run: true,
            status: EvaluationStatus::Pass,
            version: version.into(),
            started_ms: at,
        }
    }

    fn failure(services: &[&str], version: &str, at: i64) -> Failure {
        Failure {
            id: "f".into(),
            name: "incident".into(),
            services: services.iter().map(|s| s.to_string()).collect(),
            env: "prod".into(),
            version: version.into(),
            started_ms: at,
        }
    }

    #[test]
    fn failures_follow_their_version_or_the_last_evaluation_before_them() {
        let hour = 3600 * 1000;
        let all = [
            evaluation("a", "v1", 0),
            evaluation("a", "v2", 5 * hour),
            evaluation("b", "v1", hour),
            evaluation("a", "v3", 30 * hour),
        ];
        let refs: Vec<&GateEvaluation> = all.iter().collect();
        let ids = |failures: &[Failure]| {
            let mut v: Vec<&str> = followed(failures, &refs).into_iter().collect();
            v.sort();
            v
        };
        assert_eq!(
            ids(&[failure(&["a", "b"], "v1", 2 * hour)]),
            ["a-v1-0", "b-v1-3600000"],
            "one failure, two services"
        );
        assert_eq!(ids(&[failure(&["a"], "", 6 * hour)]), ["a-v2-18000000"], "the last one before it");
        assert!(ids(&[failure(&["a"], "", 29 * hour + 1)]).is_empty(), "more than a day after the last one");
    }

    #[test]
    fn the_record_reads_in_words() {
        let e = Efficacy { caught: 1, false_alarms: 1, missed: 1, clean: 3 };
        assert_eq!(
            e.words(true),
            "would have stopped 1 of the 2 deploys that caused failures; 1 false alarm in 6 evaluations"
        );
        assert_eq!(
            Efficacy { clean: 4, ..Efficacy::default() }.words(false),
            "no deploy it evaluated was followed by a failure; 0 false alarms in 4 evaluations"
        );
    }
}
