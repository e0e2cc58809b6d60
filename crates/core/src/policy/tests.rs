//! Each check, in scope, out of scope, excepted and under an expired exception.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::coverage::{Coverage, ServiceCoverage};
use crate::model::time::DAY_MS;
use crate::model::{GateKey, NamePatterns, RuleType};

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
    assert!(v.violations[1].message.contains("none of its rules enforces"), "{}", v.violations[1].message);
    assert_eq!(v.gates, 3, "the staging gate is out of scope");
    assert_eq!(v.services["billing"].state, State::Fail);
    assert_eq!(v.services["search"].state, State::Pass);
}

#[test]
fn an_active_exception_skips_and_an_expired_one_is_a_violation_itself() {
    let gates = vec![gate("billing/prod/default", true, vec![])];
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod", "2027-01-31");
    let v = judge(&p, &gates, &at_now());
    assert!(v.violations.is_empty(), "{:?}", codes(&v));
    assert_eq!(v.services["billing"].state, State::Skip);
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
    assert_eq!(v.services["billing"].state, State::Fail);
}

#[test]
fn an_exception_of_one_identifier_frees_that_gate_only() {
    let gates = vec![gate("billing/prod/default", true, vec![]), gate("billing/prod/canary", true, vec![])];
    let mut p = policy(&[Requirement::EnforcedRule]);
    except(&mut p, "billing/prod/canary", "2027-01-31");
    let v = judge(&p, &gates, &at_now());
    assert_eq!(codes(&v), [("policy::no-enforced-rule", "billing/prod/default".into())]);
    assert_eq!(v.services["billing"].state, State::Fail, "one failing gate fails the service");
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
    assert_eq!(codes(&v), [("policy::no-monitor-rule", "a/prod/default".into()), ("policy::no-monitor-rule", "b/prod/default".into())]);
    assert!(v.violations[1].message.contains("watch nothing"), "{}", v.violations[1].message);

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
    assert_eq!(v.services["checkout"].state, State::Skip, "excepted in prod, nothing else failing");
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
    assert_eq!(v.services["search"].state, State::Fail);

    let mut p = policy(&[Requirement::Gate]);
    except(&mut p, "search/prod", "2027-01-01");
    let v = judge(&p, &gates, &facts);
    assert!(v.violations.is_empty());
    assert_eq!(v.services["search"].state, State::Skip);

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
    assert_eq!(v.services["ledger"].state, State::Skip);
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
    assert_eq!(codes(&v), [("policy::rule-too-short", "a/prod/default".into()), ("policy::rule-too-short", "a/prod/default".into())]);
    let rules: BTreeSet<&str> = v
        .violations
        .iter()
        .filter_map(|v| match &v.subject {
            Subject::Rule { rule, .. } => Some(rule.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(rules, ["Short", "Unset"].into());
    assert!(v.violations.iter().any(|v| v.message.contains("its duration is 1m") && v.message.contains("the 5m required")));

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

    let since = |days: i64| DryRunFacts { since_ms: NOW - days * DAY_MS, recommendation: "keep in dry run: 3 of the 10 evaluations needed".into() };
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
        services: vec![deployed("a", "prod", 100, 95), deployed("b", "prod", 100, 96), deployed("b", "staging", 100, 0)],
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
    assert_eq!(v.services["a"].state, State::Fail, "{:?}", v.services["a"]);
    assert_eq!(v.services["b"].state, State::Pass);

    let coverage = Coverage { services: vec![deployed("a", "prod", 100, 50), deployed("b", "prod", 100, 100)], idle_gates: Vec::new(), max_gap_seconds: 3600 };
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
