//! Saved plans (`plan --out`): the actions, a digest of the configuration and a snapshot of
//! the remote state each action depends on, so a stale plan is refused rather than applied.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::Plan;
use crate::config::DesiredState;
use crate::model::{GateKey, RemoteState, Rule};

pub(crate) const KIND: &str = "gatesctl-saved-plan";
pub(crate) const FORMAT_VERSION: u32 = 1;

/// The remote state one gate's actions depend on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct GateSnapshot {
    /// Absent when the gate did not exist.
    pub(crate) gate: Option<RemoteGateSnapshot>,
    /// Sorted by id.
    pub(crate) rules: Vec<RuleSnapshot>,
    /// sha256 of the above, for the record.
    pub(crate) fingerprint: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RemoteGateSnapshot {
    pub(crate) id: String,
    pub(crate) dry_run: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RuleSnapshot {
    pub(crate) id: String,
    pub(crate) rule: Rule,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct SavedPlan {
    pub(crate) kind: String,
    pub(crate) format_version: u32,
    pub(crate) gatesctl_version: String,
    /// The API the plan was made against (a base URL, or the built-in sandbox).
    pub(crate) target: String,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) config_digest: String,
    pub(crate) prune: bool,
    pub(crate) targets: Vec<String>,
    /// By gate address (`service/env/identifier`).
    pub(crate) remote: BTreeMap<String, GateSnapshot>,
    pub(crate) plan: Plan,
}

fn sha256(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A digest of what the files mean, not how they are written: comments and layout do not count.
pub(crate) fn config_digest(desired: &DesiredState) -> String {
    let canonical: Vec<_> =
        desired.gates.values().map(|g| (&g.key, g.dry_run, g.rules.values().collect::<Vec<_>>())).collect();
    sha256(&serde_json::to_vec(&canonical).expect("state serialises"))
}

pub(crate) fn snapshot(remote: &RemoteState, key: &GateKey) -> GateSnapshot {
    let gate = remote.gates.get(key).map(|g| RemoteGateSnapshot { id: g.id.clone(), dry_run: g.dry_run });
    let mut rules: Vec<RuleSnapshot> = remote
        .rules
        .get(key)
        .into_iter()
        .flatten()
        .map(|r| RuleSnapshot { id: r.id.clone(), rule: r.rule.clone() })
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    let fingerprint = sha256(&serde_json::to_vec(&(&gate, &rules)).expect("snapshot serialises"));
    GateSnapshot { gate, rules, fingerprint }
}

impl SavedPlan {
    pub(crate) fn new(
        plan: &Plan,
        remote: &RemoteState,
        desired: &DesiredState,
        target: String,
        files: Vec<PathBuf>,
        prune: bool,
        targets: Vec<String>,
    ) -> Self {
        let remote = plan.gates.iter().map(|g| (g.key.to_string(), snapshot(remote, &g.key))).collect();
        SavedPlan {
            kind: KIND.to_string(),
            format_version: FORMAT_VERSION,
            gatesctl_version: env!("CARGO_PKG_VERSION").to_string(),
            target,
            files,
            config_digest: config_digest(desired),
            prune,
            targets,
            remote,
            plan: plan.clone(),
        }
    }

    pub(crate) fn parse(text: &str) -> Result<SavedPlan, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not a JSON file: {e}"))?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err("not a gatesctl saved plan (make one with `gatesctl plan --out FILE`)".into());
        }
        let version = value.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0);
        if version != u64::from(FORMAT_VERSION) {
            return Err(format!("saved plan format {version} is not supported by this gatesctl (it reads {FORMAT_VERSION}); re-run `gatesctl plan --out`"));
        }
        serde_json::from_value(value).map_err(|e| format!("damaged saved plan: {e}"))
    }

    /// Every way the world moved since the plan was made; empty when it is still good to apply.
    pub(crate) fn staleness(&self, desired: &DesiredState, remote: &RemoteState, target: &str) -> Vec<String> {
        let mut problems = Vec::new();
        if self.target != target {
            problems.push(format!("the plan was made against {}, not {target}", self.target));
            return problems;
        }
        if config_digest(desired) != self.config_digest {
            problems.push(format!(
                "the configuration ({}) changed since the plan was made",
                self.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
        }
        for gate in &self.plan.gates {
            let address = gate.key.to_string();
            let now = snapshot(remote, &gate.key);
            let Some(then) = self.remote.get(&address) else {
                problems.push(format!("gate {address}: no remote snapshot in the plan"));
                continue;
            };
            if now.fingerprint != then.fingerprint {
                problems.extend(describe(&address, then, &now));
            }
        }
        problems
    }
}

/// Says what changed between two snapshots of one gate.
fn describe(address: &str, then: &GateSnapshot, now: &GateSnapshot) -> Vec<String> {
    match (&then.gate, &now.gate) {
        (None, Some(_)) => return vec![format!("gate {address} was created remotely since the plan")],
        (Some(_), None) => return vec![format!("gate {address} was deleted remotely since the plan")],
        (Some(a), Some(b)) if a.id != b.id => {
            return vec![format!("gate {address} was deleted and created again since the plan")]
        }
        (Some(a), Some(b)) if a.dry_run != b.dry_run => {
            return vec![format!("gate {address}: dry_run changed remotely ({} → {})", a.dry_run, b.dry_run)];
        }
        _ => {}
    }
    let mut out = Vec::new();
    for r in &now.rules {
        match then.rules.iter().find(|t| t.id == r.id) {
            None => out.push(format!("gate {address}: rule {:?} was added remotely", r.rule.name)),
            Some(t) if t.rule != r.rule => {
                out.push(format!("gate {address}: rule {:?} was changed remotely", r.rule.name))
            }
            Some(_) => {}
        }
    }
    for t in &then.rules {
        if !now.rules.iter().any(|r| r.id == t.id) {
            out.push(format!("gate {address}: rule {:?} was deleted remotely", t.rule.name));
        }
    }
    if out.is_empty() {
        out.push(format!("gate {address} changed remotely"));
    }
    out
}
