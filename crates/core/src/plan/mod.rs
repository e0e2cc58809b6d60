//! The diff between desired and remote state, as typed actions. Planning does no I/O.

pub mod drift;
pub mod saved;

/// The version of the plan documents gatesctl writes (the JSON plan and the saved plan),
/// `MAJOR.MINOR`: additions bump the minor part, anything a reader could trip on the major.
/// 1.2 added the monitor check's `diagnostics` and `unchecked` to the JSON plan; 1.3 the monitor
/// options (`monitor_ids`, `warmup`, `fail_on_no_data`, `fail_on_no_groups_found`) and the
/// options gatesctl does not model (`extra_options`); 1.5 what the plan does to the policies
/// (`policies`, left out when it touches none).
pub const FORMAT_VERSION: &str = "1.5";

/// Whether a document of format `version` can be read by this gatesctl: the same major part,
/// and a minor part no newer than its own.
pub(crate) fn readable_format(version: &str) -> bool {
    let parts = |v: &str| -> Option<(u32, u32)> {
        let (major, minor) = v.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    match (parts(version), parts(FORMAT_VERSION)) {
        (Some((major, minor)), Some((our_major, our_minor))) => major == our_major && minor <= our_minor,
        _ => false,
    }
}

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::desired::DesiredState;
use crate::model::GateQuery;
use crate::model::{GateFilter, GateKey, NamePatterns, RemoteRule, RemoteState, Rule};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum GateAction {
    Create {
        dry_run: bool,
    },
    /// `dry_run` is the only attribute of a gate the API lets change.
    Update {
        id: String,
        before: bool,
        after: bool,
    },
    /// Unchanged itself, listed because some of its rules change.
    Keep {
        id: String,
    },
    /// Pruned: in the managed scope, declared in no file. Its rules are deleted first.
    Delete {
        id: String,
        dry_run: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum RuleAction {
    Create {
        after: Rule,
    },
    Update {
        id: String,
        before: Rule,
        after: Rule,
    },
    /// The type changed, which the API cannot update: the new rule is created, then the old
    /// one deleted, so a failed create never leaves the gate without the rule.
    Replace {
        id: String,
        before: Rule,
        after: Rule,
    },
    Delete {
        id: String,
        before: Rule,
        /// A second remote rule of a name the files declare: the one matching the file stays.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        duplicate: bool,
    },
}

impl RuleAction {
    pub fn name(&self) -> &str {
        match self {
            RuleAction::Create { after: r }
            | RuleAction::Update { after: r, .. }
            | RuleAction::Replace { after: r, .. }
            | RuleAction::Delete { before: r, .. } => &r.name,
        }
    }
}

/// Everything that changes about one gate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatePlan {
    pub key: GateKey,
    pub action: GateAction,
    /// Sorted by rule name.
    pub rules: Vec<RuleAction>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// Sorted by service, env, identifier.
    pub gates: Vec<GatePlan>,
    /// Remote gates no file declares: reported, never touched.
    pub unmanaged: Vec<GateKey>,
    /// The `--target` patterns the plan was limited to: when any, it covers only part of the
    /// configuration, and other changes may be pending.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Keys under which the API holds several gates (races, the UI), with every id, the one
    /// managed first; the others are deleted only with `--prune`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duplicate_gates: Vec<DuplicateGates>,
    /// Gates listed, then deleted by someone else before their rules were read: planned as
    /// absent.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vanished: Vec<GateKey>,
}

/// One key, several remote gates.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DuplicateGates {
    pub key: GateKey,
    /// The gate managed (the first listed), then the extra ones.
    pub ids: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub gates_create: usize,
    pub gates_update: usize,
    pub gates_delete: usize,
    pub rules_create: usize,
    pub rules_update: usize,
    pub rules_replace: usize,
    pub rules_delete: usize,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.gates.is_empty()
    }

    /// The number of actions the plan runs: each rule action, and each gate action but "keep".
    pub fn action_count(&self) -> usize {
        self.gates.iter().map(|g| g.rules.len() + usize::from(!matches!(g.action, GateAction::Keep { .. }))).sum()
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for gate in &self.gates {
            match gate.action {
                GateAction::Create { .. } => s.gates_create += 1,
                GateAction::Update { .. } => s.gates_update += 1,
                GateAction::Keep { .. } => {}
                GateAction::Delete { .. } => s.gates_delete += 1,
            }
            for rule in &gate.rules {
                match rule {
                    RuleAction::Create { .. } => s.rules_create += 1,
                    RuleAction::Update { .. } => s.rules_update += 1,
                    RuleAction::Replace { .. } => s.rules_replace += 1,
                    RuleAction::Delete { .. } => s.rules_delete += 1,
                }
            }
        }
        s
    }
}

/// `--target service/env[/identifier]`: each part an exact name or a glob.
#[derive(Clone, Debug)]
pub struct Target {
    pub text: String,
    filter: GateFilter,
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let (service, env, identifier) = match parts[..] {
            [s, e] => (s, e, "*"),
            [s, e, i] => (s, e, i),
            _ => return Err(format!("{text:?}: expected service/env or service/env/identifier (globs allowed)")),
        };
        let pattern = |p: &str| {
            if p.is_empty() {
                return Err(format!("{text:?}: empty part; use * to match anything"));
            }
            NamePatterns::parse([p]).map_err(|(_, reason)| format!("{text:?}: {reason}"))
        };
        let filter = GateFilter { services: pattern(service)?, envs: pattern(env)?, identifiers: pattern(identifier)? };
        Ok(Target { text: text.to_string(), filter })
    }

    pub fn matches(&self, key: &GateKey) -> bool {
        self.filter.matches(key)
    }
}

/// A target that matches no gate, and the closest name to suggest instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnmatchedTarget {
    pub target: String,
    /// `service/env` or `service/env/identifier` of a gate, spelled close to the target.
    pub close: Option<String>,
}

/// The first of `targets` that matches none of `keys`.
pub fn unmatched_target<'a>(
    targets: &[Target],
    keys: impl Iterator<Item = &'a GateKey> + Clone,
) -> Option<UnmatchedTarget> {
    let target = targets.iter().find(|t| !keys.clone().any(|k| t.matches(k)))?;
    let candidates: Vec<String> = keys.flat_map(|k| [format!("{}/{}", k.service, k.env), k.joined()]).collect();
    let close = crate::suggest::suggest(&target.text, candidates.iter().map(String::as_str)).map(str::to_string);
    Some(UnmatchedTarget { target: target.text.clone(), close })
}

/// What a plan covers.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Delete remote gates in the managed scope that no file declares.
    pub prune: bool,
    /// Only gates matching one of these, when given.
    pub targets: Vec<Target>,
}

impl PlanOptions {
    pub(crate) fn in_target(&self, key: &GateKey) -> bool {
        self.targets.is_empty() || self.targets.iter().any(|t| t.matches(key))
    }

    fn prunes(&self, desired: &DesiredState, key: &GateKey) -> bool {
        self.prune && !desired.gates.contains_key(key) && desired.scope.contains(key)
    }
}

/// The list a plan reads: filtered server-side to one service or one env when every gate the
/// plan can touch (the targets', or the declared gates and the pruned scope) has the same one,
/// so a plan of one team's gates does not list the whole organisation.
pub fn list_query(desired: &DesiredState, options: &PlanOptions) -> GateQuery {
    let (mut services, mut envs): (Vec<Option<&str>>, Vec<Option<&str>>) = (Vec::new(), Vec::new());
    // The safety thresholds count the whole scope, not the targeted slice: a targeted plan
    // that may delete, or is held to an update threshold, reads everything they count.
    let counts_scope = options.prune || desired.safety.max_update_percent.is_some();
    if options.targets.is_empty() || counts_scope {
        for key in desired.gates.keys() {
            services.push(Some(&key.service));
            envs.push(Some(&key.env));
        }
        if options.prune {
            for table in &desired.scope.tables {
                services.push(table.services.exact());
                envs.push(table.envs.exact());
            }
        }
    } else {
        for target in &options.targets {
            services.push(target.filter.services.exact());
            envs.push(target.filter.envs.exact());
        }
    }
    let one = |values: Vec<Option<&str>>| -> Option<String> {
        let first = values.first().copied().flatten()?;
        values.iter().all(|v| *v == Some(first)).then(|| first.to_string())
    };
    GateQuery { service: one(services), env: one(envs), identifier: None }
}

/// Which remote gates need their rules read: declared ones, and those a prune deletes.
pub fn needs_rules<'a>(desired: &'a DesiredState, options: &'a PlanOptions) -> impl Fn(&GateKey) -> bool + 'a {
    move |key| options.in_target(key) && (desired.gates.contains_key(key) || options.prunes(desired, key))
}

pub fn diff(desired: &DesiredState, remote: &RemoteState, options: &PlanOptions) -> Plan {
    let mut plan = Plan { targets: options.targets.iter().map(|t| t.text.clone()).collect(), ..Plan::default() };
    for (key, want) in desired.gates.iter().filter(|(k, _)| options.in_target(k)) {
        let Some(have) = remote.gates.get(key) else {
            plan.gates.push(GatePlan {
                key: key.clone(),
                action: GateAction::Create { dry_run: want.dry_run },
                rules: want.rules.values().map(|r| RuleAction::Create { after: r.clone() }).collect(),
            });
            continue;
        };
        let action = if have.dry_run != want.dry_run {
            GateAction::Update { id: have.id.clone(), before: have.dry_run, after: want.dry_run }
        } else {
            GateAction::Keep { id: have.id.clone() }
        };
        let rules = diff_rules(&want.rules, remote.rules_of(key));
        if rules.is_empty() && matches!(action, GateAction::Keep { .. }) {
            continue;
        }
        plan.gates.push(GatePlan { key: key.clone(), action, rules });
    }
    for (key, have) in remote.gates.iter().filter(|(k, _)| options.in_target(k) && !desired.gates.contains_key(*k)) {
        if options.prunes(desired, key) {
            let rules = remote.rules_of(key);
            plan.gates.push(GatePlan {
                key: key.clone(),
                action: GateAction::Delete { id: have.id.clone(), dry_run: have.dry_run },
                rules: rules
                    .iter()
                    .map(|r| RuleAction::Delete { id: r.id.clone(), before: r.rule.clone(), duplicate: false })
                    .collect(),
            });
        } else {
            plan.unmanaged.push(key.clone());
        }
    }
    // One key, several gates: named, and the extra ones deleted with --prune (rules first).
    for (extra, rules) in remote.duplicates.iter().filter(|(g, _)| options.in_target(&g.key)) {
        match plan.duplicate_gates.iter_mut().find(|d| d.key == extra.key) {
            Some(found) => found.ids.push(extra.id.clone()),
            None => {
                let first = remote.gates.get(&extra.key).map(|g| g.id.clone()).unwrap_or_default();
                plan.duplicate_gates
                    .push(DuplicateGates { key: extra.key.clone(), ids: vec![first, extra.id.clone()] });
            }
        }
        let ours = desired.gates.contains_key(&extra.key) || desired.scope.contains(&extra.key);
        if options.prune && ours {
            plan.gates.push(GatePlan {
                key: extra.key.clone(),
                action: GateAction::Delete { id: extra.id.clone(), dry_run: extra.dry_run },
                rules: rules
                    .iter()
                    .map(|r| RuleAction::Delete { id: r.id.clone(), before: r.rule.clone(), duplicate: false })
                    .collect(),
            });
        }
    }
    plan.vanished = remote.vanished.iter().filter(|k| options.in_target(k)).cloned().collect();
    plan.vanished.sort();
    // By key; the gate managed before its extra twins.
    plan.gates.sort_by(|a, b| {
        let extra = |g: &GatePlan| matches!(&g.action, GateAction::Delete { id, .. } if remote.gates.get(&g.key).is_some_and(|r| r.id != *id));
        a.key.cmp(&b.key).then(extra(a).cmp(&extra(b)))
    });
    plan
}

/// octoDNS's safety thresholds: a plan deleting too large a share of the gates in the managed
/// scope, or (when `max_update_percent` is set) changing too large a share of the existing
/// gates the files cover, is refused unless forced; shares of the whole scope, whatever
/// `--target` selects. Below `min_existing` gates, any plan goes.
/// A threshold of `[safety]` a plan goes past.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Threshold {
    Delete { deleted: usize, in_scope: usize, max_percent: u32 },
    Update { updated: usize, covered: usize, max_percent: u32 },
}

impl std::fmt::Display for Threshold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let percent = |part: usize, whole: usize| part * 100 / whole.max(1);
        match self {
            Threshold::Delete { deleted, in_scope, max_percent } => write!(
                f,
                "delete {deleted} of the {in_scope} gates in the managed scope ({}%), above the {max_percent}% of `max_delete_percent`",
                percent(*deleted, *in_scope)
            ),
            Threshold::Update { updated, covered, max_percent } => write!(
                f,
                "change {updated} of the {covered} existing gates it covers ({}%), above the {max_percent}% of `max_update_percent`",
                percent(*updated, *covered)
            ),
        }
    }
}

/// The thresholds a plan goes past, every one of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("refusing the plan above: it would {} (thresholds of [safety]); check [manage], [safety] and the files, then re-run with --force if this is intended", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join(", and "))]
pub struct Unsafe(pub Vec<Threshold>);

pub fn safety_check(plan: &Plan, remote: &RemoteState, desired: &DesiredState) -> Result<(), Unsafe> {
    let safety = desired.safety;
    let mut past = Vec::new();
    let deleted = plan.gates.iter().filter(|g| matches!(g.action, GateAction::Delete { .. })).count();
    // Over the whole scope, whatever `--target` selects: four targeted slices of a scope must
    // not delete it all without --force.
    let in_scope = remote.gates.keys().filter(|k| desired.scope.contains(k)).count()
        + remote.duplicates.iter().filter(|(g, _)| desired.scope.contains(&g.key)).count();
    if deleted > 0 && in_scope >= safety.min_existing && deleted * 100 > in_scope * safety.max_delete_percent as usize {
        past.push(Threshold::Delete { deleted, in_scope, max_percent: safety.max_delete_percent });
    }
    if let Some(max) = safety.max_update_percent {
        let updated = plan
            .gates
            .iter()
            .filter(|g| matches!(g.action, GateAction::Update { .. } | GateAction::Keep { .. }))
            .count();
        let covered =
            remote.gates.keys().filter(|k| desired.gates.contains_key(*k) || desired.scope.contains(k)).count();
        if updated > 0 && covered >= safety.min_existing && updated * 100 > covered * max as usize {
            past.push(Threshold::Update { updated, covered, max_percent: max });
        }
    }
    if past.is_empty() {
        Ok(())
    } else {
        Err(Unsafe(past))
    }
}

fn diff_rules(want: &BTreeMap<String, Rule>, have: &[RemoteRule]) -> Vec<RuleAction> {
    let mut actions = Vec::new();
    // The API does not stop two rules sharing a name: of the remote rules of a declared name,
    // the one matching the file (else one of its type, else the first) stays; the others are
    // deleted as duplicates.
    let mut kept: BTreeMap<&str, &RemoteRule> = BTreeMap::new();
    for (name, rule) in want {
        let twins: Vec<&RemoteRule> = have.iter().filter(|r| r.rule.name == *name).collect();
        let wanted = |r: &&&RemoteRule| {
            Rule { options: rule.options.keeping_extra_of(&r.rule.options), ..rule.clone() } == r.rule
        };
        let choice = twins
            .iter()
            .find(wanted)
            .or_else(|| twins.iter().find(|r| r.rule.rule_type() == rule.rule_type()))
            .or(twins.first());
        if let Some(choice) = choice {
            kept.insert(name, choice);
        }
    }
    for remote in have {
        match kept.get(remote.rule.name.as_str()) {
            Some(k) if k.id == remote.id => {}
            Some(_) => {
                actions.push(RuleAction::Delete { id: remote.id.clone(), before: remote.rule.clone(), duplicate: true })
            }
            None => actions.push(RuleAction::Delete {
                id: remote.id.clone(),
                before: remote.rule.clone(),
                duplicate: false,
            }),
        }
    }
    for (name, rule) in want {
        match kept.get(name.as_str()) {
            None => actions.push(RuleAction::Create { after: rule.clone() }),
            Some(remote) if remote.rule.rule_type() != rule.rule_type() => actions.push(RuleAction::Replace {
                id: remote.id.clone(),
                before: remote.rule.clone(),
                after: rule.clone(),
            }),
            Some(remote) => {
                // Options of the API that gatesctl does not model travel with every update.
                let wanted = Rule { options: rule.options.keeping_extra_of(&remote.rule.options), ..rule.clone() };
                if remote.rule != wanted {
                    actions.push(RuleAction::Update {
                        id: remote.id.clone(),
                        before: remote.rule.clone(),
                        after: wanted,
                    });
                }
            }
        }
    }
    actions.sort_by(|a, b| a.name().cmp(b.name()));
    actions
}

#[cfg(test)]
mod tests {
    #[test]
    fn saved_plans_of_an_older_minor_format_stay_readable() {
        assert!(readable_format(FORMAT_VERSION));
        assert!(readable_format("1.1"));
        assert!(!readable_format("1.99"), "a newer minor part may hold what this gatesctl cannot check");
        assert!(!readable_format("2.0"));
        assert!(!readable_format("1"));
    }

    use super::*;
    use crate::desired::DesiredGate;
    use crate::model::{MonitorSettings, RemoteGate, RuleOptions, Watch};

    fn monitor(name: &str, query: &str) -> Rule {
        Rule {
            name: name.into(),
            dry_run: false,
            options: RuleOptions::monitor(MonitorSettings {
                duration: Some(300),
                ..MonitorSettings::watching(Watch::Query(query.into()))
            }),
        }
    }

    fn states() -> (DesiredState, RemoteState) {
        let key = GateKey::new("checkout", "prod", "default");
        let mut desired = DesiredState::default();
        desired.gates.insert(
            key.clone(),
            DesiredGate {
                key: key.clone(),
                dry_run: false,
                rules: [("a".to_string(), monitor("a", "env:prod"))].into_iter().collect(),
                report: Default::default(),
                declared_at: None,
            },
        );
        let mut remote = RemoteState::default();
        remote
            .gates
            .insert(key.clone(), RemoteGate { id: "g1".into(), key: key.clone(), dry_run: false, changed_ms: None });
        remote
            .rules
            .insert(key, vec![RemoteRule { id: "r1".into(), rule: monitor("a", "env:prod"), changed_ms: None }]);
        (desired, remote)
    }

    #[test]
    fn equal_states_plan_nothing() {
        let (desired, remote) = states();
        assert!(diff(&desired, &remote, &PlanOptions::default()).is_empty());
    }

    #[test]
    fn duplicate_remote_rule_names_keep_one_and_delete_the_rest() {
        let (desired, mut remote) = states();
        let key = GateKey::new("checkout", "prod", "default");
        remote.rules.get_mut(&key).unwrap().push(RemoteRule {
            id: "r2".into(),
            rule: monitor("a", "env:prod"),
            changed_ms: None,
        });
        let plan = diff(&desired, &remote, &PlanOptions::default());
        assert_eq!(
            plan.gates[0].rules,
            vec![RuleAction::Delete { id: "r2".into(), before: monitor("a", "env:prod"), duplicate: true }]
        );
    }

    #[test]
    fn options_gatesctl_does_not_know_are_kept_in_updates_and_never_a_change_alone() {
        let (desired, mut remote) = states();
        let key = GateKey::new("checkout", "prod", "default");
        let remote_rule = &mut remote.rules.get_mut(&key).unwrap()[0].rule;
        remote_rule.options.extra.insert("future_knob".into(), serde_json::json!(7));
        assert!(diff(&desired, &remote, &PlanOptions::default()).is_empty(), "an unknown option alone is no change");
        let remote_rule = &mut remote.rules.get_mut(&key).unwrap()[0].rule;
        remote_rule.dry_run = true;
        let plan = diff(&desired, &remote, &PlanOptions::default());
        let RuleAction::Update { after, .. } = &plan.gates[0].rules[0] else { panic!("an update: {plan:?}") };
        assert_eq!(after.options.extra["future_knob"], serde_json::json!(7), "the update sends it back");
    }

    #[test]
    fn undeclared_remote_gates_are_unmanaged_not_deleted() {
        let (desired, mut remote) = states();
        let other = GateKey::new("legacy", "prod", "default");
        remote
            .gates
            .insert(other.clone(), RemoteGate { id: "g2".into(), key: other.clone(), dry_run: true, changed_ms: None });
        let plan = diff(&desired, &remote, &PlanOptions::default());
        assert!(plan.is_empty());
        assert_eq!(plan.unmanaged, vec![other]);
    }
}
