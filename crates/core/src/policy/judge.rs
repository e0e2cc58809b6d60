//! Each policy judged against the gates and what was read online: its violations, what its
//! exceptions free, what could not be checked, and each service's outcome for Scorecards.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::model::{Check, Level, Place, Policy, Requirement};
use crate::coverage::Coverage;
use crate::desired::{DesiredGate, DesiredState};
use crate::escape::quoted;
use crate::model::options::Settings;
use crate::model::{GateKey, OutcomeState, RemoteGate, RemoteRule, RemoteState, Rule, RuleType};
use crate::text::plural;

fn as_key<S: Serializer>(key: &GateKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.joined())
}

/// A rule as a policy sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFacts {
    pub name: String,
    pub rule_type: RuleType,
    pub dry_run: bool,
    /// Seconds; None when the rule sets none.
    pub duration: Option<u64>,
}

impl From<&Rule> for RuleFacts {
    fn from(r: &Rule) -> RuleFacts {
        let duration = match &r.options.settings {
            Settings::Monitor(m) => m.duration,
            Settings::FaultyDeploymentDetection(f) => f.duration,
        };
        RuleFacts { name: r.name.clone(), rule_type: r.rule_type(), dry_run: r.dry_run, duration }
    }
}

/// A gate as a policy sees it: its mode and its rules, and where the files declare it.
#[derive(Clone, Debug)]
pub struct GateFacts {
    pub key: GateKey,
    pub dry_run: bool,
    pub rules: Vec<RuleFacts>,
    pub place: Option<Place>,
}

impl GateFacts {
    pub fn declared(gate: &DesiredGate) -> GateFacts {
        GateFacts {
            key: gate.key.clone(),
            dry_run: gate.dry_run,
            rules: gate.rules.values().map(RuleFacts::from).collect(),
            place: gate.declared_at.clone(),
        }
    }

    pub fn remote(gate: &RemoteGate, rules: &[RemoteRule]) -> GateFacts {
        GateFacts {
            key: gate.key.clone(),
            dry_run: gate.dry_run,
            rules: rules.iter().map(|r| RuleFacts::from(&r.rule)).collect(),
            place: None,
        }
    }

    /// The remote gates as they run, each located where the files declare it, when they do.
    pub fn live(remote: &RemoteState, desired: &DesiredState) -> Vec<GateFacts> {
        remote
            .gates
            .values()
            .map(|g| {
                let mut facts = GateFacts::remote(g, remote.rules.get(&g.key).map(Vec::as_slice).unwrap_or_default());
                facts.place = desired.gates.get(&g.key).and_then(|d| d.declared_at.clone());
                facts
            })
            .collect()
    }
}

/// Every service and env the remote gates or the files know, sorted: each in a scope that
/// requires a gate must have one.
pub fn known_places(remote: &RemoteState, desired: &DesiredState) -> Vec<(String, String)> {
    let mut places: Vec<(String, String)> =
        remote.gates.keys().chain(desired.gates.keys()).map(|k| (k.service.clone(), k.env.clone())).collect();
    places.sort_unstable();
    places.dedup();
    places
}

/// Since when a gate or one of its rules has been in dry run under today's configuration, and
/// what `report` recommends for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DryRunFacts {
    pub since_ms: i64,
    pub recommendation: String,
}

/// What was read besides the files, when it was: each check that needs it says so otherwise.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    /// The Software Catalog's services and their tags.
    pub catalog: Option<&'a BTreeMap<String, Vec<String>>>,
    /// The window's deployments, placed (DORA).
    pub coverage: Option<&'a Coverage>,
    /// Gates (rule None) and rules in dry run under today's configuration.
    pub dry_run: Option<&'a BTreeMap<(GateKey, Option<String>), DryRunFacts>>,
    /// Monitor rules that watch nothing (the monitor check).
    pub watching_nothing: Option<&'a BTreeMap<(GateKey, String), String>>,
    /// Services and envs known to exist besides the gates' (a plan's remote and declared
    /// gates): each in scope must have a gate.
    pub places: &'a [(String, String)],
    pub now_ms: i64,
}

/// What a violation is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Subject {
    Gate {
        #[serde(serialize_with = "as_key")]
        #[schemars(with = "String")]
        gate: GateKey,
    },
    Rule {
        #[serde(serialize_with = "as_key")]
        #[schemars(with = "String")]
        gate: GateKey,
        rule: String,
    },
    /// A service and env without a gate.
    Place { service: String, env: String },
    /// A service without a gate in any env in scope.
    Service { service: String },
    /// The policy as a whole (its coverage).
    Policy,
    /// An exception, by what it names.
    Exception { names: String },
}

impl Subject {
    /// The service it is about, when one.
    pub fn service(&self) -> Option<&str> {
        match self {
            Subject::Gate { gate } | Subject::Rule { gate, .. } => Some(&gate.service),
            Subject::Place { service, .. } | Subject::Service { service } => Some(service),
            Subject::Policy | Subject::Exception { .. } => None,
        }
    }
}

/// One requirement a gate, a service or the policy falls short of.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct Violation {
    pub check: Check,
    /// The diagnostic code (`policy::no-enforced-rule`).
    pub code: &'static str,
    pub subject: Subject,
    pub message: String,
    #[serde(skip)]
    pub place: Option<Place>,
}

impl Violation {
    /// What makes two violations the same (a plan compares before and after).
    pub fn identity(&self) -> (Check, &Subject) {
        (self.check, &self.subject)
    }
}

/// A gate or a service and env an active exception frees.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Excepted {
    pub names: String,
    pub reason: String,
    pub until: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct ServiceOutcome {
    pub state: OutcomeState,
    /// Why, in plain words: the gates and the requirements they break, or the exception.
    pub remarks: Vec<String>,
}

/// Deployments in scope and those through an enforcing gate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct CoverageFigure {
    pub deployments: usize,
    pub enforced: usize,
}

impl CoverageFigure {
    /// The share through an enforcing gate, in whole percent rounded down (95.9% is not 96%).
    pub fn percent(&self) -> usize {
        (self.enforced * 100).checked_div(self.deployments).unwrap_or(100)
    }
}

/// One policy, judged.
#[derive(Clone, Debug, Serialize, JsonSchema)]
pub struct PolicyVerdict {
    pub policy: String,
    pub description: String,
    pub level: Level,
    pub violations: Vec<Violation>,
    pub excepted: Vec<Excepted>,
    /// Checks that could not be made, and why (offline: no catalog, history or DORA).
    pub unchecked: Vec<String>,
    /// Nothing was judged: its scope names catalog tags, and the catalog was not read.
    #[serde(skip)]
    pub scope_unknown: bool,
    /// Deployments in scope through an enforcing gate, when it asks for a share and DORA was read.
    pub coverage: Option<CoverageFigure>,
    /// Each service in scope, for Scorecards.
    pub services: BTreeMap<String, ServiceOutcome>,
    /// The gates in scope it judged.
    pub gates: usize,
    #[serde(skip)]
    pub place: Option<Place>,
}

/// `duration = 300` as people read it.
fn seconds_words(s: u64) -> String {
    crate::model::time::format_duration_ms(s as i64 * 1000)
}

/// The days from `since` to `now`, whole.
fn days_since(since_ms: i64, now_ms: i64) -> i64 {
    (now_ms - since_ms).div_euclid(crate::model::time::DAY_MS)
}

/// Judges one policy against `gates` and what was read.
pub fn judge(policy: &Policy, gates: &[GateFacts], facts: &Facts<'_>) -> PolicyVerdict {
    let mut verdict = PolicyVerdict {
        policy: policy.name.clone(),
        description: policy.description.clone(),
        level: policy.level,
        violations: Vec::new(),
        excepted: Vec::new(),
        unchecked: Vec::new(),
        scope_unknown: false,
        coverage: None,
        services: BTreeMap::new(),
        gates: 0,
        place: policy.place.clone(),
    };
    let violate = |check: Check, subject: Subject, message: String, place: Option<Place>| Violation {
        check,
        code: check.code().as_str(),
        subject,
        message,
        place,
    };
    // Exceptions: active ones free what they name; an expired one is a violation itself.
    let today = facts.now_ms.div_euclid(crate::model::time::DAY_MS);
    let active: Vec<&super::model::PolicyException> =
        policy.exceptions.iter().filter(|e| e.until_day >= today).collect();
    for e in policy.exceptions.iter().filter(|e| e.until_day < today) {
        verdict.violations.push(violate(
            Check::Exception,
            Subject::Exception { names: e.subject.text() },
            format!(
                "the exception for {} ended on {} ({}): what it freed is judged again",
                e.subject.text(),
                e.until,
                e.reason
            ),
            e.place.clone(),
        ));
    }
    // The scope, as far as what was read can tell.
    let scope = &policy.scope;
    if scope.catalog.is_some() && facts.catalog.is_none() {
        verdict.scope_unknown = true;
        verdict.unchecked.push(format!(
            "its scope names Software Catalog tags ({}): checked online, by plan and audit",
            scope.catalog.as_ref().map(|c| c.text.as_str()).unwrap_or_default()
        ));
        return verdict;
    }
    let service_in_scope = |service: &str| {
        scope.services.matches(service)
            && match (&scope.catalog, facts.catalog) {
                (Some(query), Some(catalog)) => catalog.get(service).is_some_and(|tags| query.matches(tags)),
                _ => true,
            }
    };
    let in_scope = |service: &str, env: &str| scope.envs.matches(env) && service_in_scope(service);
    let excepting_gate = |key: &GateKey| active.iter().find(|e| e.subject.covers_gate(key)).copied();
    let excepting_place =
        |service: &str, env: &str| active.iter().find(|e| e.subject.covers_place(service, env)).copied();
    let remember = |excepted: &mut Vec<Excepted>, e: &super::model::PolicyException| {
        let entry = Excepted { names: e.subject.text(), reason: e.reason.clone(), until: e.until.clone() };
        if !excepted.contains(&entry) {
            excepted.push(entry);
        }
    };

    // Each gate in scope, for what a gate itself must hold.
    let in_scope_gates: Vec<&GateFacts> = gates.iter().filter(|g| in_scope(&g.key.service, &g.key.env)).collect();
    verdict.gates = in_scope_gates.len();
    let mut excepted_services: BTreeSet<String> = BTreeSet::new();
    for gate in &in_scope_gates {
        if let Some(e) = excepting_gate(&gate.key) {
            remember(&mut verdict.excepted, e);
            excepted_services.insert(gate.key.service.clone());
            continue;
        }
        let subject = || Subject::Gate { gate: gate.key.clone() };
        for requirement in &policy.require {
            let broken = match requirement {
                Requirement::Gate => None,
                Requirement::EnforcedRule => match (gate.dry_run, gate.rules.iter().any(|r| !r.dry_run)) {
                    (true, _) => Some("is in dry run: it blocks no deploy".to_string()),
                    (false, false) => Some("enforces none of its rules: it blocks no deploy".to_string()),
                    (false, true) => None,
                },
                Requirement::MonitorRule => {
                    let monitors: Vec<&RuleFacts> =
                        gate.rules.iter().filter(|r| r.rule_type == RuleType::Monitor).collect();
                    let watching = |r: &&&RuleFacts| {
                        facts.watching_nothing.is_none_or(|w| !w.contains_key(&(gate.key.clone(), r.name.clone())))
                    };
                    if monitors.is_empty() {
                        Some("has no monitor rule".to_string())
                    } else if !monitors.iter().any(|r| watching(&r)) {
                        Some("watches nothing: its monitor rules' queries or ids match no monitor".to_string())
                    } else {
                        None
                    }
                }
                Requirement::FaultyDeploymentDetection => {
                    (!gate.rules.iter().any(|r| r.rule_type == RuleType::FaultyDeploymentDetection))
                        .then(|| "has no faulty deployment detection rule".to_string())
                }
            };
            if let Some(why) = broken {
                let check = Check::from(*requirement);
                verdict.violations.push(violate(
                    check,
                    subject(),
                    format!("gate {} {why}", gate.key),
                    gate.place.clone(),
                ));
            }
        }
        if let Some(min) = policy.min_rule_duration {
            for rule in &gate.rules {
                let short = match rule.duration {
                    Some(d) if d >= min => None,
                    Some(d) => Some(format!("its duration is {}", seconds_words(d))),
                    None => Some("it sets no duration".to_string()),
                };
                if let Some(why) = short {
                    verdict.violations.push(violate(
                        Check::MinRuleDuration,
                        Subject::Rule { gate: gate.key.clone(), rule: rule.name.clone() },
                        format!(
                            "rule {} of gate {} watches for less than the {} required: {why}",
                            quoted(&rule.name),
                            gate.key,
                            seconds_words(min)
                        ),
                        gate.place.clone(),
                    ));
                }
            }
        }
        if let Some(max) = policy.max_dry_run_days {
            match facts.dry_run {
                None => {}
                Some(dry) => {
                    let mut subjects: Vec<(Option<&str>, bool)> = vec![(None, gate.dry_run)];
                    subjects.extend(gate.rules.iter().map(|r| (Some(r.name.as_str()), r.dry_run)));
                    for (rule, dry_run) in subjects {
                        if !dry_run {
                            continue;
                        }
                        let Some(found) = dry.get(&(gate.key.clone(), rule.map(str::to_string))) else { continue };
                        let days = days_since(found.since_ms, facts.now_ms);
                        if days > i64::from(max) {
                            let (what, subject) = match rule {
                                None => (format!("gate {}", gate.key), Subject::Gate { gate: gate.key.clone() }),
                                Some(r) => (
                                    format!("rule {} of gate {}", quoted(r), gate.key),
                                    Subject::Rule { gate: gate.key.clone(), rule: r.to_string() },
                                ),
                            };
                            verdict.violations.push(violate(
                                Check::MaxDryRunDays,
                                subject,
                                format!(
                                    "{what} has been in dry run under today's configuration for {}, more than the {} allowed (since {}; report: {})",
                                    plural(days as usize, "day", "days"),
                                    plural(max as usize, "day", "days"),
                                    crate::model::time::format_rfc3339(found.since_ms),
                                    found.recommendation
                                ),
                                gate.place.clone(),
                            ));
                        }
                    }
                }
            }
        }
    }
    if policy.max_dry_run_days.is_some() && facts.dry_run.is_none() {
        verdict.unchecked.push("`max_dry_run_days` needs the evaluation history: checked by audit".into());
    }

    // Every service and env in scope has a gate.
    let gated: BTreeSet<(&str, &str)> = gates.iter().map(|g| (g.key.service.as_str(), g.key.env.as_str())).collect();
    let mut places: BTreeSet<(String, String)> = facts.places.iter().cloned().collect();
    if let Some(coverage) = facts.coverage {
        places.extend(coverage.services.iter().map(|s| (s.service().to_string(), s.env().to_string())));
    }
    // Each service's envs, with or without a gate: looked up once per service, not searched.
    let mut envs_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (service, env) in gated.iter().copied().chain(places.iter().map(|(s, e)| (s.as_str(), e.as_str()))) {
        envs_of.entry(service).or_default().push(env);
    }
    let deployed_at: BTreeMap<(&str, &str), usize> = facts
        .coverage
        .map(|c| c.services.iter().map(|s| ((s.service(), s.env()), s.deployments)).collect())
        .unwrap_or_default();
    if policy.require.contains(&Requirement::Gate) {
        for (service, env) in places.iter().filter(|(s, e)| !e.is_empty() && in_scope(s, e)) {
            if gated.contains(&(service.as_str(), env.as_str())) {
                continue;
            }
            if let Some(e) = excepting_place(service, env) {
                remember(&mut verdict.excepted, e);
                excepted_services.insert(service.clone());
                continue;
            }
            let deployed = deployed_at
                .get(&(service.as_str(), env.as_str()))
                .map(|n| format!(" (it deployed {} in the window)", plural(*n, "time", "times")))
                .unwrap_or_default();
            verdict.violations.push(violate(
                Check::Gate,
                Subject::Place { service: service.clone(), env: env.clone() },
                format!("{service}/{env} has no gate{deployed}"),
                policy.place.clone(),
            ));
        }
        // Catalog services in scope with no gate in any env the scope holds.
        if let (Some(catalog), Some(_)) = (facts.catalog, &scope.catalog) {
            for service in catalog.keys().filter(|s| service_in_scope(s)) {
                let has = envs_of.get(service.as_str()).is_some_and(|envs| envs.iter().any(|e| scope.envs.matches(e)));
                if has {
                    continue;
                }
                let env = scope.envs.exact().map(str::to_string);
                if let Some(e) = env.as_deref().and_then(|env| excepting_place(service, env)) {
                    remember(&mut verdict.excepted, e);
                    excepted_services.insert(service.clone());
                    continue;
                }
                let (subject, name) = match &env {
                    Some(env) => {
                        (Subject::Place { service: service.clone(), env: env.clone() }, format!("{service}/{env}"))
                    }
                    None => (Subject::Service { service: service.clone() }, service.clone()),
                };
                verdict.violations.push(violate(
                    Check::Gate,
                    subject,
                    format!("{name} has no gate (the Software Catalog lists it)"),
                    policy.place.clone(),
                ));
            }
        }
        if facts.coverage.is_none() && facts.catalog.is_none() && facts.places.is_empty() {
            verdict.unchecked.push(
                "`gate` for services without any gate needs what deployed (DORA) or the Software Catalog: checked by audit"
                    .into(),
            );
        }
    }

    // The share of deployments in scope through an enforcing gate.
    let mut per_service: BTreeMap<String, CoverageFigure> = BTreeMap::new();
    if let Some(min) = policy.min_coverage_percent {
        match facts.coverage {
            None => {
                verdict.unchecked.push("`min_coverage_percent` needs what deployed (DORA): checked by audit".into())
            }
            Some(coverage) => {
                let mut figure = CoverageFigure::default();
                for s in coverage.services.iter().filter(|s| in_scope(s.service(), s.env())) {
                    if excepting_place(s.service(), s.env()).is_some() {
                        continue;
                    }
                    figure.deployments += s.deployments;
                    figure.enforced += s.gated_enforced;
                    let mine = per_service.entry(s.service().to_string()).or_default();
                    mine.deployments += s.deployments;
                    mine.enforced += s.gated_enforced;
                }
                verdict.coverage = Some(figure);
                if figure.deployments > 0 && figure.percent() < min as usize {
                    verdict.violations.push(violate(
                        Check::MinCoveragePercent,
                        Subject::Policy,
                        format!(
                            "{} of the {} in scope went through an enforcing gate ({}%), fewer than the {min}% required",
                            figure.enforced,
                            plural(figure.deployments, "deployment", "deployments"),
                            figure.percent()
                        ),
                        policy.place.clone(),
                    ));
                }
            }
        }
    }

    // Each service in scope, for Scorecards: failing when a violation is about it (or its
    // deployments fall short), skipped when only an exception speaks for it.
    let mut services: BTreeSet<String> = in_scope_gates.iter().map(|g| g.key.service.clone()).collect();
    services.extend(places.iter().filter(|(s, e)| !e.is_empty() && in_scope(s, e)).map(|(s, _)| s.clone()));
    if let (Some(catalog), Some(_)) = (facts.catalog, &scope.catalog) {
        services.extend(catalog.keys().filter(|s| service_in_scope(s)).cloned());
    }
    let mut about: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for v in &verdict.violations {
        if let Some(service) = v.subject.service() {
            about.entry(service).or_default().push(format!("{}: {}", v.check.key(), v.message));
        }
    }
    let mut outcomes = BTreeMap::new();
    for service in services {
        let mut remarks: Vec<String> = about.remove(service.as_str()).unwrap_or_default();
        if let (Some(min), Some(mine)) = (policy.min_coverage_percent, per_service.get(&service)) {
            if mine.deployments > 0 && mine.percent() < min as usize {
                remarks.push(format!(
                    "min_coverage_percent: {} of its {} went through an enforcing gate ({}%), fewer than the {min}% required",
                    mine.enforced,
                    plural(mine.deployments, "deployment", "deployments"),
                    mine.percent()
                ));
            }
        }
        let state = if !remarks.is_empty() {
            OutcomeState::Fail
        } else if excepted_services.contains(&service) {
            remarks = verdict
                .excepted
                .iter()
                .filter(|e| e.names.split('/').next() == Some(service.as_str()))
                .map(|e| format!("{} is excepted until {}: {}", e.names, e.until, e.reason))
                .collect();
            OutcomeState::Skip
        } else {
            OutcomeState::Pass
        };
        outcomes.insert(service, ServiceOutcome { state, remarks });
    }
    verdict.services = outcomes;
    // Online, an exception that freed nothing is likely a typo, or outlived what it named.
    if facts.coverage.is_some() || facts.catalog.is_some() {
        for e in &active {
            if !verdict.excepted.iter().any(|x| x.names == e.subject.text()) {
                verdict.unchecked.push(format!(
                    "the exception for {} frees nothing: no gate, or service and env, in scope has that name",
                    e.subject.text()
                ));
            }
        }
    }
    verdict.violations.sort_by(|a, b| (a.check, &a.subject).cmp(&(b.check, &b.subject)));
    verdict
}

/// Every policy judged against the same gates and facts.
pub fn judge_all(policies: &[Policy], gates: &[GateFacts], facts: &Facts<'_>) -> Vec<PolicyVerdict> {
    policies.iter().map(|p| judge(p, gates, facts)).collect()
}
