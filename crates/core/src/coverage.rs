//! Coverage: which deployments went through a gate. Every deployment Datadog recorded in the
//! window (DORA), joined with the gate evaluations that could have let it through: those of a
//! gate of its service and env that started shortly before it (and before it finished), of its
//! version when both name one. Per gate, the newest of those that finished decides. Pure: both
//! are read elsewhere.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

pub use crate::desired::CoverageSettings;
use crate::desired::DesiredState;
use crate::model::{Deployment, EvaluationIndex, GateEvaluation, GateKey};

/// For a deployment without `finished_at`: how long after it started an evaluation may still
/// have started and count for it.
pub const UNFINISHED_GRACE_MS: i64 = 5 * 60 * 1000;

fn as_keys<S: Serializer>(keys: &[GateKey], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(keys.iter().map(GateKey::joined))
}

fn as_key<S: Serializer>(key: &GateKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.joined())
}

fn as_rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::time::format_rfc3339(*ms))
}

/// Where one deployment went: each deployment is in exactly one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Placement {
    /// An enforcing gate's deciding evaluation blocked it, and it shipped anyway.
    Bypassed,
    /// An enforcing gate's deciding evaluation passed it, and none blocked it.
    GatedEnforced,
    /// Only gates in dry run decided: they record, they do not stop.
    GatedDryRun,
    /// No evaluation that counts for it finished.
    Ungated,
}

/// A deployment that shipped although an enforcing gate blocked it: the loudest finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Bypass {
    /// Empty when none was recorded.
    pub version: String,
    /// When the deployment started.
    #[serde(rename = "deployed_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "deployed_at", with = "String")]
    pub deployed_ms: i64,
    /// The gate that blocked it (`service/env/identifier`).
    #[serde(serialize_with = "as_key")]
    #[schemars(with = "String")]
    pub gate: GateKey,
    /// When the blocking evaluation started.
    #[serde(rename = "blocked_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "blocked_at", with = "String")]
    pub blocked_ms: i64,
    pub evaluation_id: String,
}

/// One service and env that deployed in the window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ServiceCoverage {
    pub(crate) service: String,
    /// Empty when the deployments named none.
    pub(crate) env: String,
    pub deployments: usize,
    /// Deployments that went through a gate: `gated_enforced` plus `gated_dry_run`.
    pub gated: usize,
    /// Passed by an enforcing gate, blocked by none.
    pub gated_enforced: usize,
    /// Decided by gates in dry run only.
    pub gated_dry_run: usize,
    /// Shipped although an enforcing gate blocked them.
    pub bypassed: usize,
    /// Deployments no finished evaluation counts for.
    pub ungated: usize,
    /// Whether the files declare a gate for this service and env.
    pub declared: bool,
    /// The bypassed deployments, oldest first.
    pub bypasses: Vec<Bypass>,
}

impl ServiceCoverage {
    /// `service/env`, as people read it: each part written as gate keys write theirs, so that a
    /// name can neither be misread nor start a workflow command.
    pub fn name(&self) -> String {
        let service = crate::escape::key_part(&self.service);
        if self.env.is_empty() {
            format!("{service} (no env)")
        } else {
            format!("{service}/{}", crate::escape::key_part(&self.env))
        }
    }

    pub fn service(&self) -> &str {
        &self.service
    }

    /// Empty when the deployments named none.
    pub fn env(&self) -> &str {
        &self.env
    }

    fn count(&mut self, placement: Placement) {
        self.deployments += 1;
        match placement {
            Placement::Bypassed => self.bypassed += 1,
            Placement::GatedEnforced => self.gated_enforced += 1,
            Placement::GatedDryRun => self.gated_dry_run += 1,
            Placement::Ungated => self.ungated += 1,
        }
        self.gated = self.gated_enforced + self.gated_dry_run;
    }
}

/// Every deployment of the window, placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Coverage {
    /// Every service and env that deployed, by service then env.
    pub services: Vec<ServiceCoverage>,
    /// Declared gates that decided no deployment (`service/env/identifier`), in key order.
    #[serde(serialize_with = "as_keys")]
    #[schemars(with = "Vec<String>")]
    pub idle_gates: Vec<GateKey>,
    /// The `max_gap` the deployments were joined with, in seconds.
    pub max_gap_seconds: i64,
}

/// The deployments in all, and in each place.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Totals {
    pub deployments: usize,
    pub gated: usize,
    pub gated_enforced: usize,
    pub gated_dry_run: usize,
    pub bypassed: usize,
    pub ungated: usize,
}

impl Coverage {
    pub fn totals(&self) -> Totals {
        self.services.iter().fold(Totals::default(), |t, s| Totals {
            deployments: t.deployments + s.deployments,
            gated: t.gated + s.gated,
            gated_enforced: t.gated_enforced + s.gated_enforced,
            gated_dry_run: t.gated_dry_run + s.gated_dry_run,
            bypassed: t.bypassed + s.bypassed,
            ungated: t.ungated + s.ungated,
        })
    }
}

/// The evaluations that count for a deployment: of its service and env, started at most
/// `max_gap` before it started and before it finished (without `finished_at`, no later than
/// [`UNFINISHED_GRACE_MS`] after it started), of its version when both name one.
pub fn counting<'a, 's>(
    index: &'s EvaluationIndex<'a>,
    d: &'s Deployment,
    settings: CoverageSettings,
) -> impl Iterator<Item = &'a GateEvaluation> + 's {
    let from = d.started_ms.saturating_sub(settings.max_gap_ms);
    let to = match d.finished_ms {
        // An evaluation that started as the deployment finished came after it; one that
        // started with it, inside its pipeline, did not.
        Some(finished) => finished.max(d.started_ms.saturating_add(1)),
        None => d.started_ms.saturating_add(UNFINISHED_GRACE_MS).saturating_add(1),
    };
    index
        .started_in(&d.service, &d.env, from, to)
        .iter()
        .copied()
        .filter(move |e| d.version.is_empty() || e.version.is_empty() || *e.version == *d.version)
}

/// Per gate, the newest finished evaluation among `counting`: the one that decided.
pub fn deciding<'a>(counting: impl Iterator<Item = &'a GateEvaluation>) -> BTreeMap<&'a GateKey, &'a GateEvaluation> {
    let mut out: BTreeMap<&GateKey, &GateEvaluation> = BTreeMap::new();
    for e in counting.filter(|e| e.finished()) {
        let newer = |old: &&GateEvaluation| (e.started_ms, &e.evaluation_id) > (old.started_ms, &old.evaluation_id);
        match out.get(&*e.gate) {
            Some(old) if !newer(old) => {}
            _ => {
                out.insert(&e.gate, e);
            }
        }
    }
    out
}

/// Where the deciding evaluations (one per gate) put a deployment: bypassed when an enforcing
/// one blocked it, through an enforcing gate when one passed it, in dry run only when only
/// gates in dry run decided, ungated when none did.
pub fn place(deciding: &BTreeMap<&GateKey, &GateEvaluation>) -> Placement {
    let decided = deciding.values();
    if decided.clone().any(|e| e.blocked()) {
        Placement::Bypassed
    } else if decided.clone().any(|e| !e.dry_run) {
        Placement::GatedEnforced
    } else if deciding.is_empty() {
        Placement::Ungated
    } else {
        Placement::GatedDryRun
    }
}

/// Joins the deployments with the gate evaluations (of any gate, declared or not) and the
/// declared gates.
pub fn build(
    desired: &DesiredState,
    deployments: &[Deployment],
    evaluations: &[GateEvaluation],
    settings: CoverageSettings,
) -> Coverage {
    let index = EvaluationIndex::new(evaluations);
    let declared: BTreeSet<(&str, &str)> = desired.gates.keys().map(|k| (k.service.as_str(), k.env.as_str())).collect();
    let mut services: BTreeMap<(&str, &str), ServiceCoverage> = BTreeMap::new();
    let mut deciding_gates: BTreeSet<&GateKey> = BTreeSet::new();
    for d in deployments {
        let place_key = (d.service.as_str(), d.env.as_str());
        let decided = deciding(counting(&index, d, settings));
        let placement = place(&decided);
        let entry = services.entry(place_key).or_insert_with(|| ServiceCoverage {
            service: d.service.clone(),
            env: d.env.clone(),
            deployments: 0,
            gated: 0,
            gated_enforced: 0,
            gated_dry_run: 0,
            bypassed: 0,
            ungated: 0,
            declared: declared.contains(&place_key),
            bypasses: Vec::new(),
        });
        entry.count(placement);
        if placement == Placement::Bypassed {
            // The newest enforcing block names the gate: the one the deploy went past last.
            if let Some(block) = decided.values().filter(|e| e.blocked()).max_by_key(|e| (e.started_ms, &e.gate)) {
                entry.bypasses.push(Bypass {
                    version: d.version.clone(),
                    deployed_ms: d.started_ms,
                    gate: GateKey::clone(&block.gate),
                    blocked_ms: block.started_ms,
                    evaluation_id: block.evaluation_id.to_string(),
                });
            }
        }
        deciding_gates.extend(decided.into_keys());
    }
    for s in services.values_mut() {
        s.bypasses.sort_by(|a, b| a.deployed_ms.cmp(&b.deployed_ms).then(a.version.cmp(&b.version)));
    }
    let idle_gates = desired.gates.keys().filter(|k| !deciding_gates.contains(k)).cloned().collect();
    Coverage { services: services.into_values().collect(), idle_gates, max_gap_seconds: settings.max_gap_ms / 1000 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EvaluationStatus;

    const MINUTE: i64 = 60 * 1000;
    const HOUR: i64 = 60 * MINUTE;

    /// An evaluation of `service/prod/identifier`: `outcome` is "pass", "fail" or "running".
    fn evaluation(identifier: &str, version: &str, at: i64, dry_run: bool, outcome: &str) -> GateEvaluation {
        GateEvaluation {
            evaluation_id: format!("{identifier}-{version}-{at}-{outcome}").into(),
            gate: GateKey::new("svc", "prod", identifier).into(),
            dry_run,
            status: EvaluationStatus::parse(outcome),
            version: version.into(),
            started_ms: at,
            finished_ms: (outcome != "running").then_some(at + MINUTE),
        }
    }

    fn deployment(version: &str, at: i64, finished: Option<i64>) -> Deployment {
        Deployment {
            id: format!("d{at}"),
            service: "svc".into(),
            env: "prod".into(),
            version: version.into(),
            started_ms: at,
            finished_ms: finished,
        }
    }

    fn placed(evaluations: &[GateEvaluation], d: &Deployment) -> Placement {
        let index = EvaluationIndex::new(evaluations);
        place(&deciding(counting(&index, d, CoverageSettings::default())))
    }

    #[test]
    fn a_deployment_is_placed_by_what_came_before_it_and_let_it_through() {
        use Placement::*;
        let t = 100 * HOUR;
        let done = Some(t + 10 * MINUTE);
        // (what the case is, evaluations, the deployment, where it goes)
        let cases: Vec<(&str, Vec<GateEvaluation>, Deployment, Placement)> = vec![
            (
                "passed just before",
                vec![evaluation("default", "v1", t - MINUTE, false, "pass")],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "an evaluation made after the deploy finished",
                vec![evaluation("default", "v1", t + 2 * HOUR, false, "pass")],
                deployment("v1", t, done),
                Ungated,
            ),
            (
                "an evaluation made as the deploy finished",
                vec![evaluation("default", "v1", t + 10 * MINUTE, false, "pass")],
                deployment("v1", t, done),
                Ungated,
            ),
            (
                "a gate evaluated 3 minutes into the deploy's pipeline",
                vec![evaluation("default", "v1", t + 3 * MINUTE, false, "pass")],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "without finished_at: up to 5 minutes after it started",
                vec![evaluation("default", "v1", t + 5 * MINUTE, false, "pass")],
                deployment("v1", t, None),
                GatedEnforced,
            ),
            (
                "without finished_at: not 6 minutes after",
                vec![evaluation("default", "v1", t + 6 * MINUTE, false, "pass")],
                deployment("v1", t, None),
                Ungated,
            ),
            (
                "6 hours before counts",
                vec![evaluation("default", "v1", t - 6 * HOUR, false, "pass")],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "7 hours before does not",
                vec![evaluation("default", "v1", t - 7 * HOUR, false, "pass")],
                deployment("v1", t, done),
                Ungated,
            ),
            (
                "another version does not count",
                vec![evaluation("default", "v2", t - MINUTE, false, "pass")],
                deployment("v1", t, done),
                Ungated,
            ),
            (
                "an unversioned evaluation counts for a versioned deploy",
                vec![evaluation("default", "", t - MINUTE, false, "pass")],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "a versioned evaluation counts for an unversioned deploy",
                vec![evaluation("default", "v1", t - MINUTE, false, "pass")],
                deployment("", t, done),
                GatedEnforced,
            ),
            (
                "an enforcing block then the deploy",
                vec![evaluation("default", "v1", t - MINUTE, false, "fail")],
                deployment("v1", t, done),
                Bypassed,
            ),
            (
                "block, passing retry, deploy",
                vec![
                    evaluation("default", "v1", t - 20 * MINUTE, false, "fail"),
                    evaluation("default", "v1", t - MINUTE, false, "pass"),
                ],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "pass, then a block, then the deploy",
                vec![
                    evaluation("default", "v1", t - 20 * MINUTE, false, "pass"),
                    evaluation("default", "v1", t - MINUTE, false, "fail"),
                ],
                deployment("v1", t, done),
                Bypassed,
            ),
            (
                "an evaluation that never finished",
                vec![evaluation("default", "v1", t - MINUTE, false, "running")],
                deployment("v1", t, done),
                Ungated,
            ),
            (
                "a finished one decides over a newer running one",
                vec![
                    evaluation("default", "v1", t - 9 * MINUTE, false, "pass"),
                    evaluation("default", "v1", t - MINUTE, false, "running"),
                ],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "dry run only",
                vec![evaluation("default", "v1", t - MINUTE, true, "pass")],
                deployment("v1", t, done),
                GatedDryRun,
            ),
            (
                "a dry-run gate's fail does not stop",
                vec![evaluation("default", "v1", t - MINUTE, true, "fail")],
                deployment("v1", t, done),
                GatedDryRun,
            ),
            (
                "two gates: one enforcing passed, one in dry run",
                vec![
                    evaluation("default", "v1", t - MINUTE, true, "pass"),
                    evaluation("canary", "v1", t - MINUTE, false, "pass"),
                ],
                deployment("v1", t, done),
                GatedEnforced,
            ),
            (
                "two gates: one enforcing blocked, the other passed",
                vec![
                    evaluation("default", "v1", t - MINUTE, false, "pass"),
                    evaluation("canary", "v1", t - 2 * MINUTE, false, "fail"),
                ],
                deployment("v1", t, done),
                Bypassed,
            ),
        ];
        for (what, evaluations, d, expected) in cases {
            assert_eq!(placed(&evaluations, &d), expected, "{what}");
        }
    }

    #[test]
    fn a_reused_version_is_gated_only_by_the_evaluations_shortly_before_each_deploy() {
        // Ten deploys of `latest` over ten days, one evaluation at the start.
        let evaluations = [evaluation("default", "latest", 0, false, "pass")];
        let deployments: Vec<Deployment> =
            (0..10).map(|i| deployment("latest", i * 24 * HOUR + MINUTE, Some(i * 24 * HOUR + 5 * MINUTE))).collect();
        let placements: Vec<Placement> = deployments.iter().map(|d| placed(&evaluations, d)).collect();
        assert_eq!(placements[0], Placement::GatedEnforced);
        assert!(placements[1..].iter().all(|p| *p == Placement::Ungated), "{placements:?}");
    }

    #[test]
    fn every_deployment_is_in_exactly_one_place_and_idle_gates_are_named() {
        let t = 100 * HOUR;
        let evaluations = [
            evaluation("default", "v1", t - MINUTE, false, "pass"),
            evaluation("default", "v2", t + HOUR - MINUTE, false, "fail"),
            evaluation("default", "v3", t + 2 * HOUR - MINUTE, true, "pass"),
        ];
        let deployments = [
            deployment("v1", t, Some(t + MINUTE)),
            deployment("v2", t + HOUR, Some(t + HOUR + MINUTE)),
            deployment("v3", t + 2 * HOUR, Some(t + 2 * HOUR + MINUTE)),
            deployment("v4", t + 3 * HOUR, Some(t + 3 * HOUR + MINUTE)),
        ];
        let mut desired = DesiredState::default();
        for identifier in ["default", "canary"] {
            let key = GateKey::new("svc", "prod", identifier);
            desired.gates.insert(
                key.clone(),
                crate::desired::DesiredGate {
                    key,
                    dry_run: false,
                    rules: Default::default(),
                    report: Default::default(),
                    declared_at: None,
                },
            );
        }
        let c = build(&desired, &deployments, &evaluations, CoverageSettings::default());
        let s = &c.services[0];
        assert_eq!(
            (s.deployments, s.gated, s.gated_enforced, s.gated_dry_run, s.bypassed, s.ungated, s.declared),
            (4, 2, 1, 1, 1, 1, true)
        );
        assert_eq!(s.bypasses.len(), 1);
        assert_eq!((s.bypasses[0].version.as_str(), s.bypasses[0].blocked_ms), ("v2", t + HOUR - MINUTE));
        assert_eq!(c.idle_gates, [GateKey::new("svc", "prod", "canary")]);
        let totals = c.totals();
        assert_eq!(
            totals.deployments,
            totals.gated_enforced + totals.gated_dry_run + totals.bypassed + totals.ungated,
            "each deployment in exactly one place"
        );
    }

    /// Random organisations: every deployment is in exactly one place, the bypasses listed are
    /// the bypassed deployments, and the order the API lists things in changes nothing.
    #[test]
    fn random_organisations_keep_the_invariants() {
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        let mut next = move |n: u64| rng.u64(..n);
        for _ in 0..200 {
            let evaluations: Vec<GateEvaluation> = (0..next(40))
                .map(|i| {
                    let outcome = ["pass", "fail", "running"][next(3) as usize];
                    let mut e = evaluation(
                        ["default", "canary"][next(2) as usize],
                        ["v1", "v2", ""][next(3) as usize],
                        next(48) as i64 * HOUR,
                        next(2) == 0,
                        outcome,
                    );
                    e.evaluation_id = format!("e{i}").into();
                    e
                })
                .collect();
            let deployments: Vec<Deployment> = (0..next(40))
                .map(|i| {
                    let at = next(48) as i64 * HOUR + next(60) as i64 * MINUTE;
                    let mut d = deployment(
                        ["v1", "v2", ""][next(3) as usize],
                        at,
                        (next(4) > 0).then_some(at + next(30) as i64 * MINUTE),
                    );
                    d.id = format!("d{i}");
                    d
                })
                .collect();
            let desired = DesiredState::default();
            let c = build(&desired, &deployments, &evaluations, CoverageSettings::default());
            let t = c.totals();
            assert_eq!(t.deployments, deployments.len());
            assert_eq!(t.deployments, t.gated_enforced + t.gated_dry_run + t.bypassed + t.ungated);
            assert_eq!(t.bypassed, c.services.iter().map(|s| s.bypasses.len()).sum::<usize>());
            let reversed: Vec<GateEvaluation> = evaluations.iter().rev().cloned().collect();
            let shuffled: Vec<Deployment> = deployments.iter().rev().cloned().collect();
            assert_eq!(
                build(&desired, &shuffled, &reversed, CoverageSettings::default()).totals(),
                t,
                "order changes nothing"
            );
        }
    }
}
