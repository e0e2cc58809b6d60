//! Coverage: which deployments went through a gate. Every deployment Datadog recorded in the
//! window (DORA), joined with the gate evaluations of its service and env: the same version,
//! or, for a deployment without one, an evaluation in the hour before it started. Pure: both
//! are read elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::desired::DesiredState;
use crate::model::{Deployment, EvaluationIndex, GateEvaluation, GateKey};

/// How long before a deployment without a version an evaluation of its service and env may
/// have started and still be the gate it went through.
pub const UNVERSIONED_LOOKBACK_MS: i64 = 3600 * 1000;

fn as_keys<S: Serializer>(keys: &[GateKey], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(keys.iter().map(GateKey::joined))
}

/// One service and env that deployed in the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ServiceCoverage {
    pub(crate) service: String,
    /// Empty when the deployments named none.
    pub(crate) env: String,
    pub deployments: usize,
    /// Deployments that went through a gate evaluation.
    pub gated: usize,
    /// Of those, through a gate that was enforcing.
    pub gated_enforced: usize,
    /// Of those, through gates in dry run only.
    pub gated_dry_run: usize,
    /// Deployments that went through no gate evaluation.
    pub ungated: usize,
    /// Whether the files declare a gate for this service and env.
    pub declared: bool,
}

impl ServiceCoverage {
    /// `service/env`, as people read it.
    pub fn name(&self) -> String {
        if self.env.is_empty() {
            format!("{} (no env)", self.service)
        } else {
            format!("{}/{}", self.service, self.env)
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Coverage {
    /// Every service and env that deployed, by service then env.
    pub services: Vec<ServiceCoverage>,
    /// Declared gates no deployment went through (`service/env/identifier`), in key order.
    #[serde(serialize_with = "as_keys")]
    #[schemars(with = "Vec<String>")]
    pub idle_gates: Vec<GateKey>,
}

impl Coverage {
    /// Deployments in all, gated, and ungated.
    pub fn totals(&self) -> (usize, usize, usize) {
        self.services.iter().fold((0, 0, 0), |(d, g, u), s| (d + s.deployments, g + s.gated, u + s.ungated))
    }
}

/// Joins the deployments with the gate evaluations (of any gate, declared or not) and the
/// declared gates.
pub fn build(desired: &DesiredState, deployments: &[Deployment], evaluations: &[GateEvaluation]) -> Coverage {
    let index = EvaluationIndex::new(evaluations);
    let declared: BTreeSet<(&str, &str)> = desired.gates.keys().map(|k| (k.service.as_str(), k.env.as_str())).collect();
    let mut services: BTreeMap<(&str, &str), ServiceCoverage> = BTreeMap::new();
    let mut seen_gates: BTreeSet<&GateKey> = BTreeSet::new();
    for d in deployments {
        let place = (d.service.as_str(), d.env.as_str());
        let through = if d.version.is_empty() {
            index.before(&d.service, &d.env, d.started_ms, UNVERSIONED_LOOKBACK_MS)
        } else {
            index.of_version(&d.service, &d.env, &d.version)
        };
        let entry = services.entry(place).or_insert_with(|| ServiceCoverage {
            service: d.service.clone(),
            env: d.env.clone(),
            deployments: 0,
            gated: 0,
            gated_enforced: 0,
            gated_dry_run: 0,
            ungated: 0,
            declared: declared.contains(&place),
        });
        entry.deployments += 1;
        if through.is_empty() {
            entry.ungated += 1;
            continue;
        }
        entry.gated += 1;
        if through.iter().any(|e| !e.dry_run) {
            entry.gated_enforced += 1;
        } else {
            entry.gated_dry_run += 1;
        }
        seen_gates.extend(through.iter().map(|e| &e.gate));
    }
    let idle_gates = desired.gates.keys().filter(|k| !seen_gates.contains(k)).cloned().collect();
    Coverage { services: services.into_values().collect(), idle_gates }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EvaluationStatus;

    fn evaluation(service: &str, version: &str, at: i64, dry_run: bool) -> GateEvaluation {
        GateEvaluation {
            evaluation_id: format!("{service}-{version}-{at}"),
            gate: GateKey::new(service, "prod", "default"),
            dry_run,
            status: EvaluationStatus::Pass,
            version: version.into(),
            started_ms: at,
        }
    }

    fn deployment(service: &str, version: &str, at: i64) -> Deployment {
        Deployment {
            id: format!("{service}{at}"),
            service: service.into(),
            env: "prod".into(),
            version: version.into(),
            started_ms: at,
        }
    }

    #[test]
    fn deployments_go_through_the_evaluation_of_their_version_or_of_the_hour_before() {
        let evaluations = [evaluation("a", "v1", 1_000, false), evaluation("a", "", 10_000_000, true)];
        let deployments = [
            deployment("a", "v1", 5_000),
            deployment("a", "v2", 5_000),
            // Unversioned: 30 minutes after the dry-run evaluation, then two hours after it.
            deployment("a", "", 10_000_000 + 1_800_000),
            deployment("a", "", 10_000_000 + 7_200_000),
            deployment("b", "v1", 1),
        ];
        let mut desired = DesiredState::default();
        for service in ["a", "c"] {
            let key = GateKey::new(service, "prod", "default");
            desired.gates.insert(
                key.clone(),
                crate::desired::DesiredGate {
                    key,
                    dry_run: false,
                    rules: Default::default(),
                    report: Default::default(),
                },
            );
        }
        let c = build(&desired, &deployments, &evaluations);
        let a = &c.services[0];
        assert_eq!(
            (a.deployments, a.gated, a.gated_enforced, a.gated_dry_run, a.ungated, a.declared),
            (4, 2, 1, 1, 2, true)
        );
        assert_eq!((c.services[1].service.as_str(), c.services[1].declared, c.services[1].ungated), ("b", false, 1));
        assert_eq!(c.idle_gates, [GateKey::new("c", "prod", "default")]);
        assert_eq!(c.totals(), (5, 2, 3));
    }
}
