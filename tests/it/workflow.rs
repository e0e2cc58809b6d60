//! The CI jobs end to end on the sandbox: saved plans, drift, import, pruning, --target, envs.

use std::path::Path;

use crate::common::{applied, gate_id, write, Run, TestSandbox, SMALL};
use gatesctl_core::model::{GateKey, Rule};

fn ui_rule() -> Rule {
    Rule {
        name: "Added in the UI".into(),
        dry_run: false,
        options: gatesctl_core::model::RuleOptions::from_api(
            gatesctl_core::model::RuleType::Monitor,
            &serde_json::json!({"query": "env:production"}),
        )
        .unwrap(),
    }
}

fn mutations_after(sandbox: &TestSandbox, before: usize) -> usize {
    sandbox.mutations().len() - before
}

#[test]
fn a_saved_plan_is_refused_after_an_out_of_band_change() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    let id = gate_id(&sandbox, "checkout");
    sandbox.block_on(sandbox.client().create_rule(&id, &ui_rule())).unwrap();
    let before = sandbox.mutations().len();
    let apply = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(apply.stderr.contains("is stale and was not applied"), "{apply:?}");
    assert!(
        apply.stderr.contains(
            "gate checkout/production/default: now calls for delete rule \"Added in the UI\", which the saved plan does not do"
        ),
        "{apply:?}"
    );
    assert_eq!(mutations_after(&sandbox, before), 0, "nothing is applied from a stale plan");
}

#[test]
fn a_saved_plan_applies_exactly_once_without_confirmation() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    assert_eq!(sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]).code, 0);
    let before = sandbox.mutations().len();
    // stdin is not a terminal and there is no --auto-approve: the saved plan was the review.
    let first = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(mutations_after(&sandbox, before), 1);
    let second = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(second.code, 1, "{second:?}");
    assert!(
        second
            .stderr
            .contains("gate checkout/production/default: the saved plan changes it, but it needs no change any more"),
        "{second:?}"
    );
    assert_eq!(mutations_after(&sandbox, before), 1);
}

#[test]
fn a_saved_plan_is_refused_when_the_files_change() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 600", 1));
    assert_eq!(sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]).code, 0);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 900", 1));
    let apply = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("gate checkout/production/default: rule \"Errors\" changed in the files (duration: 600 → 900)"),
        "{apply:?}"
    );
}

fn drift(sandbox: &TestSandbox, dir: &Path) -> (Run, serde_json::Value) {
    let text = sandbox.gatesctl(dir, &["drift"]);
    let json = sandbox.gatesctl(dir, &["drift", "--format", "json"]);
    assert_eq!(text.code, json.code);
    (text, serde_json::from_str(&json.stdout).unwrap())
}

#[test]
fn drift_names_every_kind_with_exit_code_2() {
    // Each case: an out-of-band change, the kind it must be reported as, and words of the report.
    type Change = fn(&TestSandbox);
    let cases: [(&str, Change, &str); 6] = [
        (
            "gate_changed",
            |s| {
                let id = gate_id(s, "checkout");
                s.block_on(s.client().update_gate(&id, true)).unwrap();
            },
            "gate changed out of band",
        ),
        (
            "rule_added_remotely",
            |s| {
                let id = gate_id(s, "checkout");
                s.block_on(s.client().create_rule(&id, &ui_rule())).unwrap();
            },
            "rule added remotely",
        ),
        (
            "declared_rule_missing",
            |s| {
                let id = gate_id(s, "checkout");
                let rules = s.block_on(s.client().list_rules(&id)).unwrap();
                s.block_on(s.client().delete_rule(&id, &rules[0].id)).unwrap();
            },
            "declared rule missing remotely (not applied yet, or deleted out of band)",
        ),
        (
            "rule_changed",
            |s| {
                let id = gate_id(s, "checkout");
                let rules = s.block_on(s.client().list_rules(&id)).unwrap();
                let errors = rules.iter().find(|r| r.rule.name == "Errors").unwrap();
                let mut changed = errors.rule.clone();
                changed.options = gatesctl_core::model::RuleOptions::from_api(
                    gatesctl_core::model::RuleType::Monitor,
                    &serde_json::json!({"query": "service:checkout", "duration": 60}),
                )
                .unwrap();
                s.block_on(s.client().update_rule(&id, &errors.id, &changed)).unwrap();
            },
            "rule changed out of band",
        ),
        (
            "declared_gate_missing",
            |s| {
                let id = gate_id(s, "search");
                s.block_on(s.client().delete_gate(&id)).unwrap();
            },
            "declared gate missing remotely",
        ),
        (
            "undeclared_gate",
            |s| {
                s.block_on(s.client().create_gate(&GateKey::new("legacy", "production", "default"), false)).unwrap();
            },
            "remote gate declared in no file",
        ),
    ];
    for (kind, change, words) in cases {
        let (dir, sandbox) = applied(SMALL);
        let (clean, _) = drift(&sandbox, dir.path());
        assert_eq!(clean.code, 0, "{clean:?}");
        assert!(clean.stdout.contains("No drift."), "{clean:?}");
        change(&sandbox);
        let (text, json) = drift(&sandbox, dir.path());
        assert_eq!(text.code, 2, "{kind}: {text:?}");
        assert!(text.stdout.contains(words), "{kind}: {text:?}");
        let kinds: Vec<&str> = json["drift"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, [kind], "{kind}: {json}");
        assert_eq!(json["in_sync"], false);
    }
}

#[test]
fn undeclared_gates_outside_the_managed_scope_are_not_drift() {
    let scoped = format!("{SMALL}\n[manage]\nservices = [\"checkout\", \"search\"]\n");
    let (dir, sandbox) = applied(&scoped);
    sandbox.block_on(sandbox.client().create_gate(&GateKey::new("legacy", "production", "default"), false)).unwrap();
    let (run, _) = drift(&sandbox, dir.path());
    assert_eq!(run.code, 0, "{run:?}");
    sandbox.block_on(sandbox.client().create_gate(&GateKey::new("search", "staging", "default"), false)).unwrap();
    let (run, _) = drift(&sandbox, dir.path());
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains("search/staging/default: remote gate declared in no file"), "{run:?}");
}

#[test]
fn import_of_the_example_organisation_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.toml"), dir.path().join("gates.toml")).unwrap();
    let sandbox = TestSandbox::start(dir.path());
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    for file in ["imported.toml", "imported.yaml"] {
        let import = sandbox.gatesctl(dir.path(), &["import", "-o", file]);
        assert_eq!(import.code, 0, "{import:?}");
        assert!(import.stderr.contains("Imported 12 gates and 16 rules"), "{import:?}");
        let plan = sandbox.gatesctl(dir.path(), &["plan", "-f", file, "--detailed-exitcode"]);
        assert_eq!(plan.code, 0, "{file}: {plan:?}");
        assert!(plan.stdout.contains("No changes."), "{plan:?}");
    }
    // Deterministic: the same remote state imports to the same bytes.
    let again = sandbox.gatesctl(dir.path(), &["import", "--format", "toml"]);
    assert_eq!(again.stdout, std::fs::read_to_string(dir.path().join("imported.toml")).unwrap());
    // Never overwrites without --force.
    let refused = sandbox.gatesctl(dir.path(), &["import", "-o", "imported.toml"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("pass --force to overwrite"), "{refused:?}");
    assert_eq!(sandbox.gatesctl(dir.path(), &["import", "-o", "imported.toml", "--force"]).code, 0);
}

#[test]
fn import_filters_by_service_and_env() {
    let (dir, sandbox) = applied(SMALL);
    let run = sandbox.gatesctl(dir.path(), &["import", "--service", "check*", "--format", "yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("service: checkout") && !run.stdout.contains("service: search"), "{run:?}");
}

/// 20 gates svc00..svc19 exist; the file declares the first `declared` of them.
fn fleet(declared: usize) -> (tempfile::TempDir, TestSandbox) {
    crate::common::fleet(20, declared, &["other-team"], "gates.toml", "envs = [\"production\"]\n")
}

#[test]
fn pruning_half_the_gates_is_refused_unless_forced() {
    let (dir, sandbox) = fleet(10);
    let refused = sandbox.gatesctl(dir.path(), &["plan", "--prune"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    // The whole plan first, then the refusal naming --force.
    assert!(refused.stdout.contains("gates 0 to create, 0 to update, 10 to delete"), "{refused:?}");
    assert!(
        refused.stderr.contains("it would delete 10 of the 20 gates in the managed scope (50%), above the 30%"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--force"), "{refused:?}");
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--auto-approve"]);
    assert_eq!(apply.code, 1);
    assert!(apply.stdout.contains("10 to delete") && !apply.stdout.contains("Applying"), "{apply:?}");
    assert!(sandbox.mutations().len() == 21, "only the setup's creates");

    let forced = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--force", "--auto-approve"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(forced.stdout.contains("gates 0 to create, 0 to update, 10 to delete"), "{forced:?}");
    let left: Vec<String> = sandbox
        .block_on(sandbox.client().list_gates(&Default::default()))
        .unwrap()
        .into_iter()
        .map(|g| g.key.service)
        .collect();
    assert_eq!(left.len(), 11, "{left:?}");
    assert!(left.contains(&"other-team".to_string()), "out of scope: never touched");
}

#[test]
fn a_small_prune_passes_the_threshold_and_deletes_rules_first() {
    let (dir, sandbox) = fleet(18);
    let id = gate_id(&sandbox, "svc19");
    sandbox.block_on(sandbox.client().create_rule(&id, &ui_rule())).unwrap();
    let before = sandbox.mutations().len();
    let run = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let sent: Vec<(String, String)> =
        sandbox.mutations().into_iter().skip(before).map(|r| (r.method, r.path)).collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let rule_delete = sent.iter().position(|(_, p)| p.contains(&format!("{id}/rules/"))).unwrap();
    let gate_delete = sent.iter().position(|(_, p)| p.ends_with(&id)).unwrap();
    assert!(rule_delete < gate_delete, "rules go before their gate: {sent:?}");
}

#[test]
fn prune_without_a_manage_table_is_an_error() {
    let (dir, sandbox) = applied(SMALL);
    sandbox.block_on(sandbox.client().create_gate(&GateKey::new("legacy", "production", "default"), false)).unwrap();
    let before = sandbox.requests().len();
    for command in [&["plan", "--prune"][..], &["apply", "--prune", "--auto-approve"]] {
        let run = sandbox.gatesctl(dir.path(), command);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("no file has a [manage] table"), "{run:?}");
    }
    assert_eq!(sandbox.requests().len(), before, "refused before any request");
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert!(plan.stdout.contains("legacy/production/default"), "listed as unmanaged: {plan:?}");
}

#[test]
fn target_limits_plan_and_apply_to_matching_gates() {
    let (dir, sandbox) = applied(SMALL);
    let changed = SMALL.replacen("dry_run = false", "dry_run = true", 1) + "dry_run = true\n";
    write(dir.path(), "gates.toml", &changed);
    let all = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(all.stdout.contains("gates 0 to create, 2 to update"), "{all:?}");
    let one = sandbox.gatesctl(dir.path(), &["plan", "--target", "check*/production"]);
    assert!(one.stdout.contains("gates 0 to create, 1 to update"), "{one:?}");
    assert!(!one.stdout.contains("search/production/default"), "{one:?}");
    let before = sandbox.mutations().len();
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--target", "search/*/canary"]).code, 0);
    assert_eq!(mutations_after(&sandbox, before), 1);
    let rest = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(
        rest.stdout.contains("checkout/production/default") && !rest.stdout.contains("search/production"),
        "{rest:?}"
    );
    let bad = sandbox.gatesctl(dir.path(), &["plan", "--target", "checkout"]);
    assert_eq!(bad.code, 1, "a usage error is not 'changes' (2): {bad:?}");
    assert!(bad.stderr.contains("expected service/env or service/env/identifier"), "{bad:?}");
}

#[test]
fn envs_expand_to_one_gate_per_env_with_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "gates.toml",
        r#"version = 1

[[gates]]
service = "checkout"
envs = ["staging", "production"]

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:{service} env:{env} gate:{identifier}"
"#,
    );
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(run.stdout.contains("+ gate checkout/production/default"), "{run:?}");
    assert!(run.stdout.contains("query = \"service:checkout env:production gate:default\""), "{run:?}");
    assert!(run.stdout.contains("query = \"service:checkout env:staging gate:default\""), "{run:?}");
    assert!(run.stdout.contains("gates 2 to create"), "{run:?}");
}

#[test]
fn a_plan_of_one_service_lists_only_its_gates() {
    let (dir, sandbox) = applied(SMALL);
    let lists = |sandbox: &TestSandbox| -> Vec<String> {
        sandbox
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path == "/api/v2/deployment_gates")
            .map(|r| r.query)
            .collect()
    };
    let before = lists(&sandbox).len();
    let run = sandbox.gatesctl(dir.path(), &["plan", "--target", "checkout/production", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    let asked = lists(&sandbox);
    assert!(
        asked[before..]
            .iter()
            .all(|q| q.contains("filter%5Bservice%5D=checkout") && q.contains("filter%5Benv%5D=production")),
        "{asked:?}"
    );
    // Two services of one env, no target: filtered by the env alone.
    let before = asked.len();
    let run = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    let asked = lists(&sandbox);
    assert!(
        asked[before..].iter().all(|q| !q.contains("filter%5Bservice") && q.contains("filter%5Benv%5D=production")),
        "{asked:?}"
    );
    // A glob cannot be a server-side filter.
    let before = lists(&sandbox).len();
    run_ok_plan(&sandbox, dir.path(), &["plan", "--target", "check*/production", "--no-monitor-check"]);
    assert!(lists(&sandbox)[before..].iter().all(|q| !q.contains("filter%5Bservice")), "{:?}", lists(&sandbox));
}

fn run_ok_plan(sandbox: &TestSandbox, dir: &Path, args: &[&str]) {
    let run = sandbox.gatesctl(dir, args);
    assert_eq!(run.code, 0, "{run:?}");
}
