//! Policies end to end against the sandbox: validate offline, plan and apply refusing an
//! `error` break and passing a `warning`, the audit on the example organisation (a policy of
//! each kind broken), publishing to Scorecards twice, missing permissions, and a catalog that
//! lies.

use std::collections::{BTreeMap, BTreeSet};

use gatesctl_sandbox::{Faults, SandboxOptions};

use crate::common::{copy_dir, examples_dir, write, Proxy, Reply, TestSandbox};

/// The example organisation's files in a fresh folder, and a sandbox with its catalog, DORA,
/// history and monitors, the gates applied.
fn example(options: SandboxOptions) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&examples_dir(), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join(".gatesctl"));
    let sandbox = TestSandbox::start_with(dir.path(), options);
    // The gates alone: setting up is not what a test judges.
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "-f", "gates.toml"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    (dir, sandbox)
}

fn json(run: &crate::common::Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

/// Each policy's violations, as (code, about) pairs.
fn violations(doc: &serde_json::Value) -> BTreeMap<String, Vec<(String, String)>> {
    doc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let list = p["violations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| {
                    let about = ["gate", "names", "service"]
                        .iter()
                        .find_map(|k| v["subject"][k].as_str().map(str::to_string))
                        .map(|a| match v["subject"]["env"].as_str() {
                            Some(env) => format!("{a}/{env}"),
                            None => a,
                        })
                        .unwrap_or_default();
                    (v["code"].as_str().unwrap().to_string(), about)
                })
                .collect();
            (p["policy"].as_str().unwrap().to_string(), list)
        })
        .collect()
}

#[test]
fn the_example_organisation_breaks_a_policy_of_each_kind_and_the_audit_fails() {
    let (dir, sandbox) = example(SandboxOptions::default());
    let run = sandbox.gatesctl(dir.path(), &["audit", "--format", "json"]);
    assert_eq!(run.code, 1, "an error-level policy is broken: {run:?}");
    let doc = json(&run);
    let found = violations(&doc);
    let codes: BTreeSet<&str> = found.values().flatten().map(|(c, _)| c.as_str()).collect();
    for code in [
        "policy::missing-gate",
        "policy::no-enforced-rule",
        "policy::no-monitor-rule",
        "policy::no-faulty-deployment-detection",
        "policy::rule-too-short",
        "policy::dry-run-too-long",
        "policy::coverage-below",
        "policy::exception-expired",
    ] {
        assert!(codes.contains(code), "{code} missing from {found:#?}");
    }
    let tier1 = &found["tier-1-production-enforced"];
    assert!(tier1.contains(&("policy::missing-gate".into(), "ledger/production".into())), "catalog only: {tier1:?}");
    assert!(
        !tier1.iter().any(|(_, about)| about.starts_with("billing") || about.starts_with("auth")),
        "excepted until 2029: {tier1:?}"
    );
    assert!(
        found["gates-that-block"].contains(&("policy::no-monitor-rule".into(), "web-frontend/qa/default".into())),
        "the monitor check found its query matching nothing"
    );
    assert_eq!(doc["errors"], 3, "{doc:#}");
    // Each service's outcome, for Scorecards.
    let outcomes = &doc["policies"][0]["services"];
    assert_eq!(outcomes["auth"]["state"], "skip");
    assert_eq!(outcomes["ledger"]["state"], "fail");
    assert_eq!(outcomes["payments"]["state"], "fail", "0 of its 6 deployments through an enforcing gate");
    assert!(outcomes["payments"]["remarks"][0].as_str().unwrap().starts_with("min_coverage_percent: 0 of its 6"));
    // Text says the same, and leads with the error-level policy.
    let text = sandbox.gatesctl(dir.path(), &["audit"]);
    assert_eq!(text.code, 1);
    assert!(text.stdout.starts_with("Audit of 3 policies"), "{text:?}");
    assert!(text.stdout.find("✗ tier-1-production-enforced") < text.stdout.find("! gates-that-block"), "{text:?}");
    assert!(text.stdout.contains("Audit failed: 3 requirements of error-level policies broken, and 9 warnings."));
}

#[test]
fn an_audit_without_error_violations_passes_and_warnings_show() {
    let (dir, sandbox) = example(SandboxOptions::default());
    let run = sandbox.gatesctl(dir.path(), &["audit", "-f", "gates.toml", "-f", "warnings.toml"]);
    assert_eq!(run.code, 1, "no such file yet: {run:?}");
    write(
        dir.path(),
        "warnings.toml",
        "version = 1\n[[policy]]\nname = \"fdd\"\nlevel = \"warning\"\nrequire = [\"faulty-deployment-detection\"]\n",
    );
    let run = sandbox.gatesctl(dir.path(), &["audit", "-f", "gates.toml", "-f", "warnings.toml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("! fdd (warning)") && run.stdout.contains("Audit passed with"), "{run:?}");
    let none = sandbox.gatesctl(dir.path(), &["audit", "-f", "gates.toml"]);
    assert!(none.code == 1 && none.stderr.contains("declare no policy"), "{none:?}");
}

/// The example organisation's checkout gate switched to dry run: an `error` break.
const DRY_CHECKOUT: &str = r#"version = 1

[[gates]]
service = "checkout"
env = "production"
dry_run = true

  [[gates.rules]]
  name = "Checkout error-rate monitors"
  type = "monitor"
  query = "service:checkout env:production tag:deployment-gate"
  duration = 300

  [[gates.rules]]
  name = "Faulty deployment detection"
  type = "faulty_deployment_detection"
  duration = 900
  excluded_resources = ["GET /healthz", "GET /readyz"]

  [[gates.rules]]
  name = "Checkout latency SLO"
  type = "monitor"
  monitor_ids = [{ id = 1004 }]
  duration = 300
  dry_run = true
"#;

#[test]
fn plan_and_apply_refuse_an_error_break_and_pass_a_warning() {
    let (dir, sandbox) = example(SandboxOptions::default());
    write(dir.path(), "dry.toml", DRY_CHECKOUT);
    let files = ["-f", "dry.toml", "-f", "policies.toml"];
    let plan = sandbox.gatesctl(dir.path(), &[&["plan", "--no-monitor-check", "--out", "p.json"][..], &files].concat());
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(plan
        .stdout
        .contains("breaks tier-1-production-enforced (error): gate checkout/production/default is in dry run"));
    assert!(plan.stderr.contains("the plan breaks 1 requirement of error-level policies"), "{plan:?}");
    assert!(!dir.path().join("p.json").exists(), "a refused plan is not saved");
    let json =
        sandbox.gatesctl(dir.path(), &[&["plan", "--no-monitor-check", "--format", "json"][..], &files].concat());
    assert_eq!(json.code, 1);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let stops: Vec<&serde_json::Value> =
        doc["policies"].as_array().unwrap().iter().filter(|p| p["stops"] == true).collect();
    assert_eq!(stops.len(), 1, "{doc:#}");
    assert_eq!(stops[0]["breaks"][0]["code"], "policy::no-enforced-rule");

    let before = sandbox.mutations().len();
    let apply = sandbox.gatesctl(dir.path(), &[&["apply", "--auto-approve"][..], &files].concat());
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(apply.stderr.contains("nothing is changed"), "{apply:?}");
    assert_eq!(sandbox.mutations().len(), before, "apply refused before any write");

    // The same change under a warning-level policy shows and passes.
    let warning = std::fs::read_to_string(dir.path().join("policies.toml")).unwrap().replacen(
        "level = \"error\"",
        "level = \"warning\"",
        1,
    );
    write(dir.path(), "policies.toml", &warning);
    let apply = sandbox.gatesctl(dir.path(), &[&["apply", "--auto-approve"][..], &files].concat());
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("breaks tier-1-production-enforced (warning)"), "{apply:?}");
    let checkout =
        sandbox.store().gates.into_iter().find(|g| g.service == "checkout" && g.env == "production").unwrap();
    assert!(checkout.dry_run);
}

#[test]
fn an_exception_lets_the_change_through_and_one_that_lapsed_does_not() {
    let (dir, sandbox) = example(SandboxOptions::default());
    write(dir.path(), "dry.toml", DRY_CHECKOUT);
    let policy = |until: &str| {
        format!(
            "version = 1\n[[policy]]\nname = \"enforced\"\nlevel = \"error\"\nscope = {{ env = \"production\" }}\nrequire = [\"enforced-rule\"]\n[[policy.exception]]\ngate = \"checkout/production\"\nreason = \"migration\"\nuntil = \"{until}\"\n"
        )
    };
    write(dir.path(), "p.toml", &policy("2099-01-01"));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "-f", "dry.toml", "-f", "p.toml"]);
    assert_eq!(plan.code, 0, "excepted: {plan:?}");
    write(dir.path(), "p.toml", &policy("2020-01-01"));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "-f", "dry.toml", "-f", "p.toml"]);
    assert_eq!(plan.code, 1, "lapsed: {plan:?}");
    // validate names the lapsed exception itself, located, as an error of an error policy.
    let validate = sandbox.gatesctl(dir.path(), &["validate", "-f", "dry.toml", "-f", "p.toml"]);
    assert_eq!(validate.code, 1, "{validate:?}");
    assert!(
        validate.stderr.contains("policy::exception-expired") && validate.stderr.contains("p.toml:7:"),
        "{validate:?}"
    );
    assert!(
        validate.stderr.contains("policy::no-enforced-rule") && validate.stderr.contains("dry.toml:4:11"),
        "{validate:?}"
    );
}

#[test]
fn publishing_twice_leaves_one_rule_per_policy_and_the_same_outcomes() {
    let (dir, sandbox) = example(SandboxOptions::default());
    let first = sandbox.gatesctl(dir.path(), &["audit", "--publish-scorecard", "--format", "json"]);
    assert_eq!(first.code, 1, "{first:?}");
    let published = &json(&first)["published"];
    assert_eq!(published["created"].as_array().unwrap().len(), 3, "{published:#}");
    let after_first = sandbox.store().scorecards.unwrap();
    let second = sandbox.gatesctl(dir.path(), &["audit", "--publish-scorecard", "--format", "json"]);
    let published = &json(&second)["published"];
    assert_eq!((published["created"].as_array().unwrap().len(), published["kept"].as_array().unwrap().len()), (0, 3));
    assert_eq!(published["changed"], 0, "{published:#}");
    let after_second = sandbox.store().scorecards.unwrap();
    let rules = |s: &[gatesctl_sandbox::store::StoredScorecardRule]| -> Vec<(String, String)> {
        s.iter().map(|r| (r.scorecard_name.clone(), r.name.clone())).collect()
    };
    assert_eq!(rules(&after_second), rules(&after_first));
    assert_eq!(after_second.len(), 3);
    let outcomes = |s: &[gatesctl_sandbox::store::StoredScorecardRule]| -> BTreeSet<(String, String, String, String)> {
        s.iter()
            .flat_map(|r| {
                r.outcomes.iter().map(|o| (r.name.clone(), o.service_name.clone(), o.state.clone(), o.remarks.clone()))
            })
            .collect()
    };
    assert_eq!(outcomes(&after_second), outcomes(&after_first));
    let all = outcomes(&after_second);
    assert!(all.contains(&(
        "tier-1-production-enforced".into(),
        "auth".into(),
        "skip".into(),
        "auth/production is excepted until 2029-03-31: the login service sends no APM traces yet, which faulty deployment detection needs (SEC-42)".into()
    )));
    let ledger = all.iter().find(|o| o.0 == "tier-1-production-enforced" && o.1 == "ledger").unwrap();
    assert_eq!(
        (ledger.2.as_str(), ledger.3.as_str()),
        ("fail", "gate: ledger/production has no gate (the Software Catalog lists it)")
    );

    // A rule edited in the UI is put back; another scorecard's rule of the same name is left.
    let http = crate::common::Http::new(&sandbox);
    let id = &after_second[0].id;
    let body = serde_json::json!({"data": {"type": "rule", "attributes": {"name": after_second[0].name, "scorecard_name": "Deployment gates", "description": "edited", "enabled": false}}});
    assert_eq!(http.put(&format!("/api/v2/scorecard/rules/{id}"), body).0, 200);
    let theirs = serde_json::json!({"data": {"type": "rule", "attributes": {"name": "gates-that-block", "scorecard_name": "Production readiness"}}});
    assert_eq!(http.post("/api/v2/scorecard/rules", theirs).0, 201);
    let third = sandbox.gatesctl(dir.path(), &["audit", "--publish-scorecard", "--format", "json"]);
    let published = &json(&third)["published"];
    assert_eq!(published["updated"], serde_json::json!([after_second[0].name]), "{published:#}");
    assert_eq!(published["created"].as_array().unwrap().len(), 0);
    let rules = sandbox.store().scorecards.unwrap();
    assert_eq!(rules.len(), 4, "ours, and theirs untouched");
    assert!(rules.iter().any(|r| r.scorecard_name == "Production readiness" && r.outcomes.is_empty()));
}

#[test]
fn a_key_without_the_catalog_permissions_is_told_which() {
    let faults = Faults { no_catalog_read: true, ..Faults::default() };
    let (dir, sandbox) = example(SandboxOptions { faults, ..SandboxOptions::default() });
    // The example organisation's policies scope by catalog tags: the audit cannot judge them.
    let audit = sandbox.gatesctl(dir.path(), &["audit"]);
    assert_eq!(audit.code, 1, "{audit:?}");
    assert!(audit.stderr.contains("apm_service_catalog_read") && audit.stderr.contains("grant it"), "{audit:?}");
    assert!(audit.stdout.is_empty(), "no verdict on what was not read: {audit:?}");
    // Nor can a plan: it refuses rather than pass a hard-mandatory policy unjudged.
    write(dir.path(), "dry.toml", DRY_CHECKOUT);
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "-f", "dry.toml", "-f", "policies.toml"]);
    assert!(plan.code == 1 && plan.stderr.contains("apm_service_catalog_read"), "{plan:?}");
    // A policy with no catalog scope is judged, and says what it could not see.
    write(
        dir.path(),
        "gate.toml",
        "version = 1\n[[policy]]\nname = \"gated\"\nlevel = \"warning\"\nrequire = [\"gate\"]\n",
    );
    let audit = sandbox.gatesctl(dir.path(), &["audit", "-f", "gates.toml", "-f", "gate.toml"]);
    assert_eq!(audit.code, 0, "{audit:?}");
    assert!(audit.stderr.contains("services only the Software Catalog lists are not checked"), "{audit:?}");
    assert!(
        audit.stdout.contains("billing/production has no gate (it deployed 31 times"),
        "DORA still speaks: {audit:?}"
    );
}

#[test]
fn a_key_that_may_not_write_scorecards_is_told_which_after_the_audit_is_judged() {
    let faults = Faults { no_catalog_write: true, ..Faults::default() };
    let (dir, sandbox) = example(SandboxOptions { faults, ..SandboxOptions::default() });
    let run = sandbox.gatesctl(dir.path(), &["audit", "--publish-scorecard"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("apm_service_catalog_write") && run.stderr.contains("publishing to Scorecards"),
        "{run:?}"
    );
    assert!(sandbox.store().scorecards.unwrap().is_empty());
}

#[test]
fn a_catalog_that_ignores_the_offset_is_not_read_forever() {
    let (dir, sandbox) = example(SandboxOptions::default());
    let page = serde_json::json!({
        "data": (0..100).map(|i| serde_json::json!({"id": format!("e{i}"), "type": "entity", "attributes": {"kind": "service", "name": format!("svc{i}"), "tags": ["tier:1"]}})).collect::<Vec<_>>(),
        "links": {"next": "/api/v2/catalog/entity?page[offset]=100"},
    })
    .to_string();
    let looping = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.path.starts_with("/api/v2/catalog/entity") {
            Reply::Answer {
                status: 200,
                headers: vec![("content-type", "application/json".into())],
                body: page.clone(),
            }
        } else {
            Reply::Forward
        }
    });
    let run = looping.gatesctl(dir.path(), &["audit"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("repeats the one before"), "{run:?}");
    let asked = looping.seen().iter().filter(|s| s.path.starts_with("/api/v2/catalog/entity")).count();
    assert_eq!(asked, 2, "stopped at the first repeated page");
}

#[test]
fn names_from_the_files_and_the_catalog_never_become_markup_or_commands() {
    let (dir, sandbox) = example(SandboxOptions::default());
    write(
        dir.path(),
        "hostile.toml",
        "version = 1\n[[policy]]\nname = \"<img src=x onerror=alert(1)>\"\ndescription = \"@everyone [click](https://evil.example) </details>\"\nlevel = \"warning\"\nrequire = [\"faulty-deployment-detection\"]\n",
    );
    let md = sandbox.gatesctl(
        dir.path(),
        &["audit", "-f", "gates.toml", "-f", "hostile.toml", "--format", "markdown", "--publish-scorecard"],
    );
    assert_eq!(md.code, 0, "{md:?}");
    // Outside code spans (literal whatever they hold), no markup, link or mention survives.
    let prose: String = md.stdout.lines().map(|l| l.split('`').step_by(2).collect::<String>() + "\n").collect();
    assert!(!prose.contains("<img") && !prose.contains("](https://evil") && !prose.contains("@everyone"), "{prose}");
    assert_eq!(md.stdout.matches("</details>").count(), md.stdout.matches("<details>").count(), "{}", md.stdout);
    let rules = sandbox.store().scorecards.unwrap();
    let remarks: Vec<&str> = rules.iter().flat_map(|r| r.outcomes.iter().map(|o| o.remarks.as_str())).collect();
    assert!(remarks.iter().all(|r| !r.replace("<br>", "").contains('<')), "{remarks:?}");
}
