//! `drift`: every kind of finding, named, with its exit code, in every format.

use std::path::Path;

use gatesctl_core::model::GateKey;

use crate::common::{applied, gate_id, ui_rule, write, Run, TestSandbox, SMALL};

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
fn drift_reports_name_each_kind_and_show_attribute_differences() {
    let config = format!("{SMALL}\n[[gates]]\nservice = \"payments\"\nenv = \"production\"\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let client = sandbox.client();
    // A declared gate never applied, a rule changed in the UI, a remote gate nobody declares.
    write(dir.path(), "gates.toml", &config);
    let gates = sandbox.block_on(client.list_gates(&Default::default())).unwrap();
    let checkout = gates.iter().find(|g| g.key.service == "checkout").unwrap();
    let rules = sandbox.block_on(client.list_rules(&checkout.id)).unwrap();
    let errors = rules.iter().find(|r| r.rule.name == "Errors").unwrap();
    let mut changed = errors.rule.clone();
    changed.options = gatesctl_core::model::RuleOptions::from_api(
        gatesctl_core::model::RuleType::Monitor,
        &serde_json::json!({"query": "service:checkout", "duration": 60}),
    )
    .unwrap();
    sandbox.block_on(client.update_rule(&checkout.id, &errors.id, &changed)).unwrap();
    sandbox.block_on(client.create_gate(&GateKey::new("legacy", "production", "default"), true)).unwrap();
    let mut reports = String::new();
    for format in ["text", "markdown", "json"] {
        let run = sandbox.gatesctl(dir.path(), &["drift", "--format", format]);
        assert_eq!(run.code, 2, "{run:?}");
        reports.push_str(&format!("$ gatesctl drift --format {format}\n{}\n", run.stdout));
    }
    insta::assert_snapshot!(reports);
}
