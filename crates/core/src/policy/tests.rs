//! Each check, in scope, out of scope, excepted and under an expired exception.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::coverage::{Coverage, ServiceCoverage};
use crate::model::time::DAY_MS;
use crate::model::{GateKey, NamePatterns, OutcomeState, RuleType};

/// 2026-12-07, noon UTC.
const NOW: i64 = 20_794 * DAY_MS + DAY_MS / 2;

fn policy(require: &[Requirement]) -> Policy {
    Policy {
        name: "prod-enforced".into(),
        description: String::new(),
        level: Level::Error,
        scope: PolicyScope { envs: NamePatterns::parse(["prod*"]).unwrap(), ..PolicyScope::default() },
        require: require.iter().copied().collect(),
        max_dry_run_days: None,
        min_rule_duration: None,
        min_coverage_percent: None,
        exceptions: Vec::new(),
        place: None,
    }
}

fn except(p: &mut Policy, names: &str, until: &str) {
    p.exceptions.push(PolicyException {
        subject: ExceptionSubject::parse(names).unwrap(),
        reason: "moving to the new pipeline (PLAT-123)".into(),
        until_day: parse_date(until).unwrap(),
        until: until.into(),
        place: None,
    });
}

fn rule(name: &str, rule_type: RuleType, dry_run: bool, duration: Option<u64>) -> RuleFacts {
    RuleFacts { name: name.into(), rule_type, dry_run, duration }
}

fn gate(key: &str, dry_run: bool, rules: Vec<RuleFacts>) -> GateFacts {
    let parts: Vec<&str> = key.split('/').collect();
    GateFacts { key: GateKey::new(parts[0], parts[1], parts[2]), dry_run, rules, place: None }
}

/// A gate that meets every requirement.
fn good(key: &str) -> GateFacts {
    gate(
        key,
        false,
        vec![
            rule("Errors", RuleType::Monitor, false, Some(600)),
            rule("FDD", RuleType::FaultyDeploymentDetection, false, Some(900)),
        ],
    )
}

fn at_now() -> Facts<'static> {
    Facts { now_ms: NOW, ..Facts::default() }
}

fn codes(v: &PolicyVerdict) -> Vec<(&'static str, String)> {
    v.violations
        .iter()
        .map(|v| {
            let about = match &v.subject {
                Subject::Gate { gate } | Subject::Rule { gate, .. } => gate.joined(),
                Subject::Place { service, env } => format!("{service}/{env}"),
                Subject::Service { service } => service.clone(),
                Subject::Policy => "policy".into(),
                Subject::Exception { names } => names.clone(),
            };
            (v.code, about)
        })
        .collect()
}

fn places(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter().map(|(s, e)| (s.to_string(), e.to_string())).collect()
}

#[test]
fn enforced_rule_fails_a_dry_run_gate_and_a_gate_whose_rules_all_dry_run() {
    let p = policy(&[Requirement::EnforcedRule]);
    let gates = vec![
        gate("billing/prod/default", true, vec![rule("Errors", RuleType::Monitor, false, Some(60))]),
        gate("checkout/prod/default", false, vec![rule("Errors", RuleType::Monitor, true, Some(60))]),
        good("search/prod/default"),
        // Out of scope: staging is not prod*.
        gate("billing/staging/default", true, vec![]),
    ];
    let v = judge(&p, &gates, &at_now());
    assert_eq!(
        codes(&v),
        [
            ("policy::no-enforced-rule", "billing/prod/default".into()),
            ("policy::no-enforced-rule", "checkout/prod/default".into())
        ]
    );
    assert!(v.violations[0].message.contains("in dry run"), "{}", v.violations[0].message);
    assert!(v.violations[1].message.contains("enforces none of its rules"), "{}", v.violations[1].message);
    assert_eq!(v.gates, 3, "the staging gate is out of scope");
    assert_eq!(v.services["billing"].state, OutcomeState::Fail);
    assert_eq!(v.services["search"].state, OutcomeState::Pass);
}

#[test]
fn an_active_exception_skips_and_an_expired_one_is_a_violation_itself() {
    let gates = vec![gate("billing/prod/default", true, vec![])];
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod", "2027-01-31");
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty(), "{:?}", codes(&v));
    assert_eq!(v.services["billing"].state, OutcomeState::Skip);
    assert!(v.services["billing"].remarks[0].contains("excepted until 2027-01-31"), "{:?}", v.services["billing"]);
    assert_eq!(v.excepted.len(), 1);

    // The last day it holds is still a day it holds.
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod/default", "2026-12-07");
    assert!(judge(&p, &gates, &at_now()).violations.is_empty());

    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod", "2026-12-06");
    let v = judge(&p, &gates, &at_now());
    assert_eq!(
        codes(&v),
        [
            ("policy::no-enforced-rule", "billing/prod/default".into()),
            ("policy::exception-expired", "billing/prod".into())
        ],
        "an expired exception frees nothing, and is named"
    );
    assert_eq!(v.services["billing"].state, OutcomeState::Fail);
}

#[test]
fn an_exception_of_one_identifier_frees_that_gate_only() {
    let gates = vec![gate("billing/prod/default", true, vec![]), gate("billing/prod/canary", true, vec![])];
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod/canary", "2027-01-31");
    let v = judge(&p, &gates, &at_now());
    assert_eq!(codes(&v), [("policy::no-enforced-rule", "billing/prod/default".into())]);
    assert_eq!(v.services["billing"].state, OutcomeState::Fail, "one failing gate fails the service");
}

#[test]
fn monitor_rule_needs_one_that_watches_something() {
    let p = policy(&[Requirement::MonitorRule]);
    let gates = vec![
        gate("a/prod/default", false, vec![rule("FDD", RuleType::FaultyDeploymentDetection, false, None)]),
        gate("b/prod/default", false, vec![rule("Errors", RuleType::Monitor, false, None)]),
        gate("c/staging/default", false, vec![]),
    ];
    assert_eq!(codes(&judge(&p, &gates, &at_now())), [("policy::no-monitor-rule", "a/prod/default".into())]);
    let nothing: BTreeMap<(GateKey, String), String> =
        [((GateKey::new("b", "prod", "default"), "Errors".to_string()), "matches no monitor".to_string())].into();
    let facts = Facts { watching_nothing: Some(&nothing), ..at_now() };
    let v = judge(&p, &gates, &facts);
    assert_eq!(
        codes(&v),
        [("policy::no-monitor-rule", "a/prod/default".into()), ("policy::no-monitor-rule", "b/prod/default".into())]
    );
    assert!(v.violations[1].message.contains("watches nothing"), "{}", v.violations[1].message);

    let mut p = policy(&[Requirement::MonitorRule]);
    except(&mut p, "a/prod", "2027-01-01");
    assert!(judge(&p, &gates, &at_now()).violations.is_empty());
    let mut p = policy(&[Requirement::MonitorRule]);
    except(&mut p, "a/prod", "2026-01-01");
    assert_eq!(judge(&p, &gates, &at_now()).violations.len(), 2);
}

#[test]
fn faulty_deployment_detection_is_required_of_gates_in_scope_only() {
    let mut p = policy(&[Requirement::FaultyDeploymentDetection]);
    p.scope.services = NamePatterns::parse(["check*"]).unwrap();
    let gates = vec![
        gate("checkout/prod/default", false, vec![rule("Errors", RuleType::Monitor, false, None)]),
        gate("search/prod/default", false, vec![rule("Errors", RuleType::Monitor, false, None)]),
        good("checkout/production/default"),
    ];
    let v = judge(&p, &gates, &at_now());
    assert_eq!(codes(&v), [("policy::no-faulty-deployment-detection", "checkout/prod/default".into())]);
    assert!(!v.services.contains_key("search"), "search is out of scope: no outcome for it");
    except(&mut p, "checkout/prod", "2027-01-01");
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty());
    assert_eq!(v.services["checkout"].state, OutcomeState::Skip, "excepted in prod, nothing else failing");
}

#[test]
fn gate_is_required_of_every_service_and_env_known_to_exist() {
    let p = policy(&[Requirement::Gate]);
    let gates = vec![good("checkout/prod/default")];
    // Offline, with nothing known beyond the files, it cannot say.
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty());
    assert_eq!(v.unchecked.len(), 1, "{:?}", v.unchecked);
    let known = places(&[("search", "prod"), ("search", "staging"), ("checkout", "prod")]);
    let facts = Facts { places: &known, ..at_now() };
    let v = judge(&p, &gates, &facts);
    assert_eq!(codes(&v), [("policy::missing-gate", "search/prod".into())]);
    assert_eq!(v.services["search"].state, OutcomeState::Fail);

    let mut p = policy(&[Requirement::Gate]);
    except(&mut p, "search/prod", "2027-01-01");
    let v = judge(&p, &gates, &facts);
    assert!(v.violations.is_empty());
    assert_eq!(v.services["search"].state, OutcomeState::Skip);

    // An exception of one gate frees that gate, never a missing one of the place.
    let mut p = policy(&[Requirement::Gate]);
    except(&mut p, "search/prod/canary", "2027-01-01");
    assert_eq!(codes(&judge(&p, &gates, &facts)), [("policy::missing-gate", "search/prod".into())]);

    let mut p = policy(&[Requirement::Gate]);
    except(&mut p, "search/prod", "2026-12-01");
    assert_eq!(
        codes(&judge(&p, &gates, &facts)),
        [("policy::missing-gate", "search/prod".into()), ("policy::exception-expired", "search/prod".into())]
    );
}

fn catalog() -> BTreeMap<String, Vec<String>> {
    [
        ("checkout", vec!["tier:1", "team:payments"]),
        ("ledger", vec!["tier:1", "team:payments"]),
        ("search", vec!["tier:2"]),
    ]
    .into_iter()
    .map(|(s, tags)| (s.to_string(), tags.into_iter().map(str::to_string).collect()))
    .collect()
}

#[test]
fn a_catalog_scope_holds_the_tagged_services_and_names_those_with_no_gate_anywhere() {
    let mut p = policy(&[Requirement::Gate, Requirement::EnforcedRule]);
    p.scope.envs = NamePatterns::parse(["prod"]).unwrap();
    p.scope.catalog = Some(CatalogQuery::parse("tier:1").unwrap());
    let gates = vec![good("checkout/prod/default"), gate("search/prod/default", true, vec![])];
    // Offline the scope cannot be told: nothing is judged, and it says why.
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty() && v.unchecked[0].contains("Software Catalog"), "{:?}", v.unchecked);

    let tags = catalog();
    let facts = Facts { catalog: Some(&tags), ..at_now() };
    let v = judge(&p, &gates, &facts);
    assert_eq!(codes(&v), [("policy::missing-gate", "ledger/prod".into())], "search is tier 2: out of scope");
    assert_eq!(v.services.keys().collect::<Vec<_>>(), ["checkout", "ledger"]);

    // Not in the catalog at all: out of a catalog scope.
    let gates = vec![good("checkout/prod/default"), gate("unlisted/prod/default", true, vec![])];
    assert_eq!(codes(&judge(&p, &gates, &facts)), [("policy::missing-gate", "ledger/prod".into())]);

    except(&mut p, "ledger/prod", "2027-06-30");
    let v = judge(&p, &gates, &facts);
    assert!(v.violations.is_empty());
    assert_eq!(v.services["ledger"].state, OutcomeState::Skip);
}

#[test]
fn a_negated_tag_and_a_glob_select_as_written() {
    let q = CatalogQuery::parse("team:pay* -lifecycle:deprecated").unwrap();
    assert!(q.matches(&["team:payments".into(), "tier:1".into()]));
    assert!(!q.matches(&["team:payments".into(), "lifecycle:deprecated".into()]));
    assert!(!q.matches(&["team:search".into()]));
    assert!(CatalogQuery::parse("  ").is_err());
    assert!(CatalogQuery::parse("-").is_err());
}

#[test]
fn min_rule_duration_names_each_short_rule_and_one_that_sets_none() {
    let mut p = policy(&[]);
    p.min_rule_duration = Some(300);
    let gates = vec![
        gate(
            "a/prod/default",
            false,
            vec![
                rule("Long", RuleType::Monitor, false, Some(600)),
                rule("Short", RuleType::Monitor, false, Some(60)),
                rule("Unset", RuleType::FaultyDeploymentDetection, false, None),
                rule("Exact", RuleType::Monitor, false, Some(300)),
            ],
        ),
        gate("b/dev/default", false, vec![rule("Short", RuleType::Monitor, false, Some(1))]),
    ];
    let v = judge(&p, &gates, &at_now());
    assert_eq!(
        codes(&v),
        [("policy::rule-too-short", "a/prod/default".into()), ("policy::rule-too-short", "a/prod/default".into())]
    );
    let rules: BTreeSet<&str> = v
        .violations
        .iter()
        .filter_map(|v| match &v.subject {
            Subject::Rule { rule, .. } => Some(rule.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(rules, ["Short", "Unset"].into());
    assert!(v
        .violations
        .iter()
        .any(|v| v.message.contains("its duration is 1m") && v.message.contains("the 5m required")));

    except(&mut p, "a/prod/default", "2027-01-01");
    assert!(judge(&p, &gates, &at_now()).violations.is_empty());
    p.exceptions.clear();
    except(&mut p, "a/prod/default", "2026-12-06");
    assert_eq!(judge(&p, &gates, &at_now()).violations.len(), 3);
}

#[test]
fn max_dry_run_days_counts_whole_days_from_the_evidence_and_cites_report() {
    let mut p = policy(&[]);
    p.max_dry_run_days = Some(30);
    let gates = vec![
        gate("a/prod/default", true, vec![rule("Errors", RuleType::Monitor, true, None)]),
        gate("b/prod/default", false, vec![rule("Errors", RuleType::Monitor, true, None)]),
        gate("c/staging/default", true, vec![]),
    ];
    // Without the history it is unchecked, never passed.
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty());
    assert!(v.unchecked.iter().any(|u| u.contains("max_dry_run_days")), "{:?}", v.unchecked);

    let since = |days: i64| DryRunFacts {
        since_ms: NOW - days * DAY_MS,
        recommendation: "keep in dry run: 3 of the 10 evaluations needed".into(),
    };
    let key = |k: &str| {
        let p: Vec<&str> = k.split('/').collect();
        GateKey::new(p[0], p[1], p[2])
    };
    let dry: BTreeMap<(GateKey, Option<String>), DryRunFacts> = [
        ((key("a/prod/default"), None), since(31)),
        ((key("a/prod/default"), Some("Errors".to_string())), since(30)),
        ((key("b/prod/default"), Some("Errors".to_string())), since(45)),
        ((key("c/staging/default"), None), since(90)),
    ]
    .into();
    let facts = Facts { dry_run: Some(&dry), ..at_now() };
    let v = judge(&p, &gates, &facts);
    assert_eq!(
        codes(&v),
        [("policy::dry-run-too-long", "a/prod/default".into()), ("policy::dry-run-too-long", "b/prod/default".into())],
        "30 days is not more than 30; staging is out of scope"
    );
    assert!(v.violations[0].message.contains("31 days") && v.violations[0].message.contains("report: keep in dry run"));
    except(&mut p, "b/prod", "2027-01-01");
    assert_eq!(judge(&p, &gates, &facts).violations.len(), 1);
    p.exceptions.clear();
    except(&mut p, "b/prod", "2026-11-30");
    assert_eq!(judge(&p, &gates, &facts).violations.len(), 3);
}

fn deployed(service: &str, env: &str, deployments: usize, enforced: usize) -> ServiceCoverage {
    ServiceCoverage {
        service: service.into(),
        env: env.into(),
        deployments,
        gated: enforced,
        gated_enforced: enforced,
        gated_dry_run: 0,
        bypassed: 0,
        ungated: deployments - enforced,
        declared: true,
        bypasses: Vec::new(),
    }
}

#[test]
fn min_coverage_percent_rounds_down_and_counts_deployments_in_scope_only() {
    let mut p = policy(&[]);
    p.min_coverage_percent = Some(95);
    let coverage = Coverage {
        services: vec![
            deployed("a", "prod", 100, 95),
            deployed("b", "prod", 100, 96),
            deployed("b", "staging", 100, 0),
        ],
        idle_gates: Vec::new(),
        max_gap_seconds: 3600,
    };
    let facts = Facts { coverage: Some(&coverage), ..at_now() };
    let v = judge(&p, &[], &facts);
    assert!(v.violations.is_empty(), "191 of 200 is 95.5%: {:?}", codes(&v));
    assert_eq!(v.coverage, Some(CoverageFigure { deployments: 200, enforced: 191 }));

    let coverage = Coverage {
        services: vec![deployed("a", "prod", 1000, 949), deployed("b", "prod", 1000, 1000)],
        idle_gates: Vec::new(),
        max_gap_seconds: 3600,
    };
    let facts = Facts { coverage: Some(&coverage), ..at_now() };
    let v = judge(&p, &[], &facts);
    // 1,949 of 2,000 is 97.45%: the policy holds, but service a on its own does not.
    assert!(v.violations.is_empty());
    assert_eq!(v.services["a"].state, OutcomeState::Fail, "{:?}", v.services["a"]);
    assert_eq!(v.services["b"].state, OutcomeState::Pass);

    let coverage = Coverage {
        services: vec![deployed("a", "prod", 100, 50), deployed("b", "prod", 100, 100)],
        idle_gates: Vec::new(),
        max_gap_seconds: 3600,
    };
    let facts = Facts { coverage: Some(&coverage), ..at_now() };
    let v = judge(&p, &[], &facts);
    assert_eq!(codes(&v), [("policy::coverage-below", "policy".into())]);
    assert!(v.violations[0].message.contains("150 of the 200 deployments"), "{}", v.violations[0].message);

    // An exception takes its deployments out of the share.
    except(&mut p, "a/prod", "2027-01-01");
    let v = judge(&p, &[], &facts);
    assert!(v.violations.is_empty());
    assert_eq!(v.coverage, Some(CoverageFigure { deployments: 100, enforced: 100 }));
    p.exceptions.clear();
    except(&mut p, "a/prod", "2026-01-01");
    assert_eq!(judge(&p, &[], &facts).violations.len(), 2);

    // Without DORA it is unchecked; with no deployment in scope there is nothing to fall short.
    let v = judge(&p, &[], &at_now());
    assert!(v.unchecked.iter().any(|u| u.contains("min_coverage_percent")));
    let empty = Coverage { services: Vec::new(), idle_gates: Vec::new(), max_gap_seconds: 3600 };
    let mut p = policy(&[]);
    p.min_coverage_percent = Some(95);
    let v = judge(&p, &[], &Facts { coverage: Some(&empty), ..at_now() });
    assert!(v.violations.is_empty());
    assert_eq!(v.coverage.map(|c| c.percent()), Some(100));
}

mod plan_changes {
    use super::*;
    use crate::desired::{DesiredGate, DesiredState};
    use crate::model::options::{FddSettings, MonitorSettings, RuleOptions, Watch};
    use crate::model::{RemoteGate, RemoteRule, RemoteState, Rule};
    use crate::plan::{diff, PlanOptions};

    fn monitor(name: &str) -> Rule {
        Rule {
            name: name.into(),
            dry_run: false,
            options: RuleOptions::monitor(MonitorSettings {
                duration: Some(300),
                ..MonitorSettings::watching(Watch::Query("env:prod".into()))
            }),
        }
    }

    fn fdd() -> Rule {
        Rule { name: "FDD".into(), dry_run: false, options: RuleOptions::fdd(FddSettings::default()) }
    }

    fn key(k: &str) -> GateKey {
        let p: Vec<&str> = k.split('/').collect();
        GateKey::new(p[0], p[1], p[2])
    }

    fn declared(state: &mut DesiredState, k: &str, dry_run: bool, rules: Vec<Rule>) {
        let gate = DesiredGate {
            key: key(k),
            dry_run,
            rules: rules.into_iter().map(|r| (r.name.clone(), r)).collect(),
            report: Default::default(),
            declared_at: None,
        };
        state.gates.insert(key(k), gate);
    }

    fn live(state: &mut RemoteState, k: &str, dry_run: bool, rules: Vec<Rule>) {
        state.gates.insert(key(k), RemoteGate { id: format!("id-{k}"), key: key(k), dry_run, changed_ms: None });
        let rules = rules.into_iter().enumerate().map(|(i, rule)| RemoteRule {
            id: format!("{k}-{i}"),
            rule,
            changed_ms: None,
        });
        state.rules.insert(key(k), rules.collect());
    }

    fn kinds(list: &[Violation]) -> Vec<(&'static str, String)> {
        list.iter()
            .map(|v| {
                let about = match &v.subject {
                    Subject::Gate { gate } | Subject::Rule { gate, .. } => gate.joined(),
                    Subject::Place { service, env } => format!("{service}/{env}"),
                    _ => "other".into(),
                };
                (v.code, about)
            })
            .collect()
    }

    #[test]
    fn a_gate_switched_to_dry_run_breaks_and_stops_the_plan_while_an_added_rule_mends() {
        let policies = [policy(&[Requirement::EnforcedRule, Requirement::FaultyDeploymentDetection])];
        let (mut desired, mut remote) = (DesiredState::default(), RemoteState::default());
        live(&mut remote, "checkout/prod/default", false, vec![monitor("Errors"), fdd()]);
        declared(&mut desired, "checkout/prod/default", true, vec![monitor("Errors"), fdd()]);
        live(&mut remote, "search/prod/default", false, vec![monitor("Errors")]);
        declared(&mut desired, "search/prod/default", false, vec![monitor("Errors"), fdd()]);
        // Breaks a policy already, and the plan does not touch it: not the plan's concern.
        live(&mut remote, "auth/prod/default", true, vec![]);
        declared(&mut desired, "auth/prod/default", true, vec![]);
        let plan = diff(&desired, &remote, &PlanOptions::default());
        let facts = Facts { now_ms: NOW, ..Facts::default() };
        let change = &changes(&policies, &plan, &desired, &remote, &facts)[0];
        assert_eq!(kinds(&change.breaks), [("policy::no-enforced-rule", "checkout/prod/default".into())]);
        assert_eq!(kinds(&change.mends), [("policy::no-faulty-deployment-detection", "search/prod/default".into())]);
        assert!(change.still.is_empty());
        assert!(change.stops());

        let mut warning = policies[0].clone();
        warning.level = Level::Warning;
        let change = &changes(&[warning], &plan, &desired, &remote, &facts)[0];
        assert!(!change.stops(), "a warning shows and passes");

        // Excepted, the gate's switch breaks nothing.
        let mut excepted = policies[0].clone();
        except(&mut excepted, "checkout/prod", "2027-01-31");
        assert!(changes(&[excepted], &plan, &desired, &remote, &facts)[0].breaks.is_empty());
    }

    #[test]
    fn a_change_to_a_gate_that_breaks_a_policy_already_is_still_not_a_new_break() {
        let policies = [policy(&[Requirement::FaultyDeploymentDetection])];
        let (mut desired, mut remote) = (DesiredState::default(), RemoteState::default());
        live(&mut remote, "checkout/prod/default", false, vec![monitor("Errors")]);
        declared(&mut desired, "checkout/prod/default", true, vec![monitor("Errors")]);
        let plan = diff(&desired, &remote, &PlanOptions::default());
        let change = &changes(&policies, &plan, &desired, &remote, &Facts { now_ms: NOW, ..Facts::default() })[0];
        assert!(change.breaks.is_empty() && change.mends.is_empty());
        assert_eq!(kinds(&change.still), [("policy::no-faulty-deployment-detection", "checkout/prod/default".into())]);
        assert!(!change.stops());
    }

    #[test]
    fn a_created_gate_mends_a_missing_gate_and_a_pruned_one_breaks_it() {
        let policies = [policy(&[Requirement::Gate])];
        let (mut desired, mut remote) = (DesiredState::default(), RemoteState::default());
        declared(&mut desired, "new/prod/default", false, vec![monitor("Errors")]);
        live(&mut remote, "old/prod/default", false, vec![monitor("Errors")]);
        desired.scope.tables.push(crate::model::GateFilter {
            services: NamePatterns::parse(["*"]).unwrap(),
            envs: NamePatterns::default(),
            identifiers: NamePatterns::default(),
        });
        let plan = diff(&desired, &remote, &PlanOptions { prune: true, targets: Vec::new() });
        let known = places(&[("new", "prod"), ("old", "prod")]);
        let facts = Facts { places: &known, now_ms: NOW, ..Facts::default() };
        let change = &changes(&policies, &plan, &desired, &remote, &facts)[0];
        assert_eq!(kinds(&change.breaks), [("policy::missing-gate", "old/prod".into())]);
        assert_eq!(kinds(&change.mends), [("policy::missing-gate", "new/prod".into())]);
    }
}

mod dry_run_evidence {
    use super::*;
    use crate::model::options::{MonitorSettings, RuleOptions, Watch};
    use crate::model::{
        EvaluationStatus, GateEvaluation, History, RemoteGate, RemoteRule, RemoteState, Rule, RuleEvaluation,
        RuleFailures,
    };

    fn options(query: &str) -> RuleOptions {
        RuleOptions::monitor(MonitorSettings {
            duration: Some(300),
            ..MonitorSettings::watching(Watch::Query(query.into()))
        })
    }

    fn key() -> GateKey {
        GateKey::new("svc", "prod", "default")
    }

    fn remote(gate_changed: Option<i64>, rule_changed: Option<i64>) -> RemoteState {
        let mut r = RemoteState::default();
        r.gates.insert(key(), RemoteGate { id: "g".into(), key: key(), dry_run: true, changed_ms: gate_changed });
        let rule = Rule { name: "Errors".into(), dry_run: true, options: options("env:prod") };
        r.rules.insert(key(), vec![RemoteRule { id: "r".into(), rule, changed_ms: rule_changed }]);
        r
    }

    /// An evaluation `days` ago: the gate in `gate_dry_run`, its rule in dry run with `query`.
    fn evaluated(h: &mut History, days: i64, gate_dry_run: bool, query: Option<&str>) {
        let at = NOW - days * DAY_MS;
        let id = format!("e{days}");
        h.gates.push(GateEvaluation {
            evaluation_id: id.clone().into(),
            gate: key().into(),
            dry_run: gate_dry_run,
            status: EvaluationStatus::Pass,
            version: "v1".into(),
            started_ms: at,
            finished_ms: Some(at + 60_000),
        });
        h.rules.push(RuleEvaluation {
            id: format!("{id}-r").into(),
            gate_evaluation_id: id.into(),
            gate: key().into(),
            name: "Errors".into(),
            dry_run: true,
            gate_dry_run,
            status: EvaluationStatus::Pass,
            reason: "".into(),
            version: "v1".into(),
            started_ms: at,
            configuration: query.map(|q| options(q).into()),
            failures: RuleFailures::default().into(),
        });
    }

    #[test]
    fn the_newest_run_in_dry_run_counts_and_a_switch_or_a_change_ends_it() {
        let mut h = History::default();
        evaluated(&mut h, 20, false, Some("env:prod"));
        evaluated(&mut h, 12, true, Some("env:staging"));
        evaluated(&mut h, 9, true, Some("env:prod"));
        evaluated(&mut h, 5, true, None);
        evaluated(&mut h, 1, true, Some("env:prod"));
        let since = dry_run_since(&remote(None, None), &h);
        assert_eq!(since[&(key(), None)], NOW - 12 * DAY_MS, "the gate was enforcing 20 days ago");
        assert_eq!(
            since[&(key(), Some("Errors".into()))],
            NOW - 9 * DAY_MS,
            "12 days ago the rule watched staging; an evaluation without a configuration neither proves nor breaks"
        );
    }

    #[test]
    fn the_api_s_last_change_wins_when_it_is_earlier_and_neither_known_is_left_out() {
        let mut h = History::default();
        evaluated(&mut h, 3, true, Some("env:prod"));
        let since = dry_run_since(&remote(Some(NOW - 40 * DAY_MS), Some(NOW - DAY_MS)), &h);
        assert_eq!(since[&(key(), None)], NOW - 40 * DAY_MS, "unchanged for 40 days, beyond the window");
        assert_eq!(
            since[&(key(), Some("Errors".into()))],
            NOW - 3 * DAY_MS,
            "evaluated in dry run before its last change"
        );
        assert!(dry_run_since(&remote(None, None), &History::default()).is_empty());
        let facts = dry_run_facts(&since, None);
        assert_eq!(facts[&(key(), None)].recommendation, "no report: the files do not declare it");
    }
}

mod publishing {
    use super::*;
    use crate::model::{RuleFields, ScorecardRule};
    use crate::policy::scorecard::{outcomes, rule_fields, rule_steps, RuleStep, SCORECARD};

    fn verdict(name: &str, level: Level) -> PolicyVerdict {
        let mut p = policy(&[Requirement::EnforcedRule]);
        p.name = name.into();
        p.level = level;
        let gates = vec![gate("a<b>/prod/default", true, vec![]), good("ok/prod/default")];
        judge(&p, &gates, &at_now())
    }

    #[test]
    fn a_rule_is_found_by_name_in_its_scorecard_and_never_duplicated() {
        let verdicts = [verdict("one", Level::Error), verdict("two", Level::Warning), verdict("three", Level::Error)];
        let mut other_team = rule_fields(&verdicts[2]);
        other_team.scorecard_name = "Production readiness".into();
        let mut stale = rule_fields(&verdicts[1]);
        stale.description = "edited in the UI".into();
        let existing = vec![
            ScorecardRule { id: "r1".into(), fields: rule_fields(&verdicts[0]) },
            ScorecardRule { id: "r2".into(), fields: stale },
            ScorecardRule { id: "r3".into(), fields: other_team },
        ];
        let steps = rule_steps(&verdicts, &existing);
        assert_eq!(steps[0].1, RuleStep::Keep { id: "r1".into() });
        assert!(matches!(&steps[1].1, RuleStep::Update { id, fields } if id == "r2" && fields.level == 2));
        assert!(
            matches!(&steps[2].1, RuleStep::Create(RuleFields { scorecard_name, level: 1, .. }) if scorecard_name == SCORECARD),
            "another scorecard's rule of the same name is not ours"
        );
    }

    #[test]
    fn outcomes_name_the_gate_and_the_requirement_and_never_carry_markup() {
        let verdicts = [verdict("one", Level::Error)];
        let ids = [("one".to_string(), "r1".to_string())].into();
        let posted = outcomes(&verdicts, &ids);
        assert_eq!(posted.len(), 2);
        let failing = posted.iter().find(|o| o.state == OutcomeState::Fail).unwrap();
        assert!(
            failing.remarks.contains("a&lt;b&gt;/prod/default") && failing.remarks.contains("enforced-rule"),
            "{}",
            failing.remarks
        );
        assert!(
            !failing.remarks.replace("<br>", "").contains('<'),
            "only the line breaks are markup: {}",
            failing.remarks
        );
        assert_eq!(posted.iter().find(|o| o.service == "ok").unwrap().state, OutcomeState::Pass);
        assert!(outcomes(&verdicts, &BTreeMap::new()).is_empty(), "no rule id, nothing to post");
    }
}

#[test]
fn an_expired_exception_is_named_even_when_the_scope_cannot_be_told_offline() {
    let mut p = policy(&[Requirement::EnforcedRule]);
    p.scope.catalog = Some(CatalogQuery::parse("tier:1").unwrap());
    except(&mut p, "billing/prod", "2026-11-30");
    let v = judge(&p, &[gate("billing/prod/default", true, vec![])], &at_now());
    assert_eq!(codes(&v), [("policy::exception-expired", "billing/prod".into())]);
    assert!(v.scope_unknown);
}

#[test]
fn online_an_exception_that_frees_nothing_is_said() {
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod/default", "2027-01-31");
    let coverage = Coverage { services: Vec::new(), idle_gates: Vec::new(), max_gap_seconds: 3600 };
    let gates = vec![gate("billing/production/default", true, vec![])];
    let v = judge(&p, &gates, &Facts { coverage: Some(&coverage), ..at_now() });
    assert!(v.unchecked.iter().any(|u| u.contains("billing/prod/default frees nothing")), "{:?}", v.unchecked);
    assert_eq!(v.violations.len(), 1, "the gate it meant to free is judged");
    // Offline, the gate may exist only remotely: nothing is said.
    assert!(judge(&p, &gates, &at_now()).unchecked.is_empty());
}
