//! Saved plans (`plan --out`): a commitment, not a script. The file records the actions, the
//! options they were planned with, and what the configuration declared; applying it
//! recomputes the plan from the files and the remote state as they are, and goes ahead only
//! when the result is exactly the saved plan. An edited action, a changed file or a moved
//! remote state is refused, with what differs.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{GateAction, GatePlan, Plan, RuleAction};
use crate::desired::{DesiredState, Safety};
use crate::escape::quoted;
use crate::model::{AttrChange, GateKey, Rule};

pub(crate) const KIND: &str = "gatesctl-saved-plan";

/// The options a plan was made with; applying it uses them again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedOptions {
    pub prune: bool,
    /// Made past the safety thresholds with `--force`.
    pub force: bool,
    pub targets: Vec<String>,
}

/// What the files declared, in a canonical form: comments and layout do not count.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclaredConfig {
    pub(crate) gates: Vec<DeclaredGate>,
    /// `[manage]` tables, as (services, envs) patterns.
    pub(crate) manage: Vec<(Vec<String>, Vec<String>)>,
    pub(crate) safety: Safety,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeclaredGate {
    pub(crate) key: GateKey,
    pub(crate) dry_run: bool,
    pub(crate) rules: Vec<Rule>,
}

impl DeclaredConfig {
    pub(crate) fn of(desired: &DesiredState) -> DeclaredConfig {
        DeclaredConfig {
            gates: desired
                .gates
                .values()
                .map(|g| DeclaredGate {
                    key: g.key.clone(),
                    dry_run: g.dry_run,
                    rules: g.rules.values().cloned().collect(),
                })
                .collect(),
            manage: desired
                .scope
                .tables
                .iter()
                .map(|t| {
                    (t.services.texts().map(str::to_string).collect(), t.envs.texts().map(str::to_string).collect())
                })
                .collect(),
            safety: desired.safety,
        }
    }

    /// What changed between the configuration at plan time (`self`) and now.
    fn changes_to(&self, now: &DeclaredConfig) -> Vec<String> {
        let mut out = Vec::new();
        let then: BTreeMap<&GateKey, &DeclaredGate> = self.gates.iter().map(|g| (&g.key, g)).collect();
        let current: BTreeMap<&GateKey, &DeclaredGate> = now.gates.iter().map(|g| (&g.key, g)).collect();
        for (key, gate) in &current {
            match then.get(key) {
                None => out.push(format!("gate {key} was declared since the plan was made")),
                Some(old) if old.dry_run != gate.dry_run => {
                    out.push(format!("gate {key}: dry_run changed in the files ({} → {})", old.dry_run, gate.dry_run))
                }
                Some(_) => {}
            }
            if let Some(old) = then.get(key) {
                let names: BTreeSet<&str> = old.rules.iter().chain(&gate.rules).map(|r| r.name.as_str()).collect();
                for name in names {
                    let find = |rules: &'_ [Rule]| rules.iter().find(|r| r.name == name).cloned();
                    match (find(&old.rules), find(&gate.rules)) {
                        (None, Some(_)) => {
                            out.push(format!("gate {key}: rule {} was declared since the plan", quoted(name)))
                        }
                        (Some(_), None) => out.push(format!("gate {key}: rule {} is no longer declared", quoted(name))),
                        (Some(a), Some(b)) if a != b => out.push(format!(
                            "gate {key}: rule {} changed in the files ({})",
                            quoted(name),
                            attr_changes(&a, &b)
                        )),
                        _ => {}
                    }
                }
            }
        }
        for key in then.keys().filter(|k| !current.contains_key(*k)) {
            out.push(format!("gate {key} is no longer declared"));
        }
        if self.manage != now.manage {
            out.push("the [manage] tables changed since the plan was made".into());
        }
        if self.safety != now.safety {
            out.push("the [safety] settings changed since the plan was made".into());
        }
        out
    }
}

/// `query: "a" → "b", duration: 300 → 600`
fn attr_changes(before: &Rule, after: &Rule) -> String {
    let side = |v: Option<crate::model::AttrValue>| v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
    AttrChange::between(Some(before), Some(after))
        .into_iter()
        .map(|c| format!("{}: {} → {}", c.name, side(c.before), side(c.after)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a saved plan holds besides the plan document of `plan --format json` (which it also
/// holds, so that every reader of that document reads a saved plan: it satisfies
/// `schemas/plan.schema.json`). The document's fields are not read back: the plan is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub(crate) kind: String,
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    /// The API the plan was made against (a base URL, or the built-in sandbox).
    pub api: String,
    /// The configuration files, relative to the plan file's folder (absolute when no relative
    /// path exists), so the plan applies from any working directory.
    pub files: Vec<PathBuf>,
    pub options: SavedOptions,
    pub(crate) config: DeclaredConfig,
    pub plan: Plan,
}

/// `path` relative to `base` (both absolute), or `path` itself when they share no root.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    let (path_parts, base_parts): (Vec<Component>, Vec<Component>) =
        (path.components().collect(), base.components().collect());
    if path_parts.first() != base_parts.first() {
        return path.to_path_buf();
    }
    let common = path_parts.iter().zip(&base_parts).take_while(|(a, b)| a == b).count();
    let mut out = PathBuf::new();
    for _ in common..base_parts.len() {
        out.push("..");
    }
    for part in &path_parts[common..] {
        out.push(part);
    }
    out
}

/// Why a file is not a saved plan gatesctl can apply.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("not a JSON file: {0}")]
    NotJson(String),
    #[error("not a gatesctl saved plan (make one with `gatesctl plan --out FILE`)")]
    NotASavedPlan,
    #[error(
        "saved plan format {version} is not the one this gatesctl reads ({}); re-run `gatesctl plan --out`",
        super::FORMAT_VERSION
    )]
    OtherFormat { version: String },
    #[error("damaged saved plan: {0}")]
    Damaged(String),
    /// A file it was made from is gone.
    #[error("its configuration file {} does not exist (file paths are kept relative to the plan file: keep the plan next to where it was made)", crate::escape::path(.0))]
    MissingFile(std::path::PathBuf),
    #[error("its --target {0}")]
    BadTarget(String),
}

impl SavedPlan {
    pub fn new(plan: &Plan, desired: &DesiredState, api: String, files: Vec<PathBuf>, options: SavedOptions) -> Self {
        SavedPlan {
            kind: KIND.to_string(),
            format_version: super::FORMAT_VERSION.to_string(),
            gatesctl_version: env!("CARGO_PKG_VERSION").to_string(),
            api,
            files,
            options,
            config: DeclaredConfig::of(desired),
            plan: plan.clone(),
        }
    }

    pub fn parse(text: &str) -> Result<SavedPlan, SavedPlanError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| SavedPlanError::NotJson(e.to_string()))?;
        if value.get("kind").and_then(|k| k.as_str()) != Some(KIND) {
            return Err(SavedPlanError::NotASavedPlan);
        }
        if !value.get("format_version").and_then(|v| v.as_str()).is_some_and(super::readable_format) {
            let version = value.get("format_version").map(|v| v.to_string()).unwrap_or_default();
            return Err(SavedPlanError::OtherFormat { version });
        }
        serde_json::from_value(value).map_err(|e| SavedPlanError::Damaged(e.to_string()))
    }

    /// Every reason not to apply this plan: a changed configuration, another API, or a plan
    /// that is not exactly the one the files and the remote state call for now (`now`).
    pub fn differences(&self, desired: &DesiredState, api: &str, now: &Plan) -> Vec<String> {
        if self.api != api {
            return vec![format!("the plan was made against {}, not {api}", self.api)];
        }
        let mut problems = self.config.changes_to(&DeclaredConfig::of(desired));
        if problems.is_empty() && (self.plan.gates != now.gates || self.plan.targets != now.targets) {
            problems = compare(&self.plan, now);
            // Equal gate by gate yet not equal: entries repeated or reordered by hand, which a
            // comparison by gate key cannot name but which would run twice or in another order.
            if problems.is_empty() {
                problems.push("the saved plan's actions were edited: they repeat, reorder or retarget the actions the files and the remote state call for".to_string());
            }
            problems.push("the remote state changed since the plan was made, or the plan file was edited".to_string());
        }
        problems
    }
}

fn gate_action(action: &GateAction) -> String {
    match action {
        GateAction::Create { dry_run } => format!("create it (dry_run = {dry_run})"),
        GateAction::Update { before, after, .. } => format!("update its dry_run {before} → {after}"),
        GateAction::Keep { .. } => "leave it as is".to_string(),
        GateAction::Delete { .. } => "delete it".to_string(),
    }
}

fn rule_action(action: &RuleAction) -> String {
    let (verb, rule) = match action {
        RuleAction::Create { after } => ("create", after),
        RuleAction::Update { after, .. } => ("update", after),
        RuleAction::Replace { after, .. } => ("replace", after),
        RuleAction::Delete { before, .. } => ("delete", before),
    };
    format!("{verb} rule {}", quoted(&rule.name))
}

/// The rule a rule action leaves behind, to compare two actions on one rule.
fn result_of(action: &RuleAction) -> Option<&Rule> {
    match action {
        RuleAction::Create { after } | RuleAction::Update { after, .. } | RuleAction::Replace { after, .. } => {
            Some(after)
        }
        RuleAction::Delete { .. } => None,
    }
}

/// `query = "x" in the saved plan, "y" now`
fn saved_versus_now(saved: &Rule, now: &Rule) -> String {
    let side = |v: Option<crate::model::AttrValue>| v.map_or_else(|| "(none)".to_string(), |v| v.to_string());
    AttrChange::between(Some(now), Some(saved))
        .into_iter()
        .map(|c| format!("{} = {} in the saved plan, {} now", c.name, side(c.after), side(c.before)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How the saved plan differs from the plan called for now, gate by gate.
fn compare(saved: &Plan, now: &Plan) -> Vec<String> {
    let by_key = |plan: &Plan| plan.gates.iter().map(|g| (g.key.clone(), g.clone())).collect::<BTreeMap<_, _>>();
    let mut out = Vec::new();
    let mut listed: BTreeMap<&GateKey, usize> = BTreeMap::new();
    for gate in &saved.gates {
        *listed.entry(&gate.key).or_default() += 1;
    }
    for (key, times) in listed.into_iter().filter(|(_, times)| *times > 1) {
        out.push(format!("gate {key}: the saved plan lists it {times} times"));
    }
    let (saved, now) = (by_key(saved), by_key(now));
    let keys: BTreeSet<&GateKey> = saved.keys().chain(now.keys()).collect();
    for key in keys {
        match (saved.get(key), now.get(key)) {
            (Some(_), None) => {
                out.push(format!("gate {key}: the saved plan changes it, but it needs no change any more"))
            }
            (None, Some(n)) => out.push(format!(
                "gate {key}: now calls for {}, which the saved plan does not do",
                describe_all(n).join(", ")
            )),
            (Some(s), Some(n)) if s != n => out.extend(compare_gate(key, s, n)),
            _ => {}
        }
    }
    out
}

fn describe_all(gate: &GatePlan) -> Vec<String> {
    let mut out = Vec::new();
    if !matches!(gate.action, GateAction::Keep { .. }) {
        out.push(gate_action(&gate.action));
    }
    out.extend(gate.rules.iter().map(rule_action));
    out
}

fn compare_gate(key: &GateKey, saved: &GatePlan, now: &GatePlan) -> Vec<String> {
    let mut out = Vec::new();
    if saved.action != now.action {
        out.push(format!(
            "gate {key}: the saved plan would {}; now it calls for: {}",
            gate_action(&saved.action),
            gate_action(&now.action)
        ));
    }
    for action in saved.rules.iter().filter(|a| !now.rules.contains(a)) {
        let counterpart = now.rules.iter().find(|n| n.name() == action.name() && !saved.rules.contains(n));
        match counterpart {
            Some(n) => {
                let detail = match (result_of(action), result_of(n)) {
                    (Some(a), Some(b)) if a != b => format!(" ({})", saved_versus_now(a, b)),
                    _ => String::new(),
                };
                out.push(format!(
                    "gate {key}: the saved plan would {}{detail}; now it calls for: {}",
                    rule_action(action),
                    rule_action(n)
                ));
            }
            None => out.push(format!(
                "gate {key}: the saved plan would {}; nothing of it is called for now",
                rule_action(action)
            )),
        }
    }
    for action in now.rules.iter().filter(|a| !saved.rules.contains(a)) {
        if !saved.rules.iter().any(|s| s.name() == action.name() && !now.rules.contains(s)) {
            out.push(format!("gate {key}: now calls for {}, which the saved plan does not do", rule_action(action)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_made_relative_to_the_plan_folder() {
        assert_eq!(relative_to(Path::new("/repo/gates/a.toml"), Path::new("/repo")), PathBuf::from("gates/a.toml"));
        assert_eq!(
            relative_to(Path::new("/repo/gates/a.toml"), Path::new("/repo/out")),
            PathBuf::from("../gates/a.toml")
        );
        assert_eq!(relative_to(Path::new("/a.toml"), Path::new("/")), PathBuf::from("a.toml"));
    }
}
