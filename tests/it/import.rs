//! `import` from the API: a file that plans no changes, filtered, with what cannot be written
//! as it is said.

use gatesctl_core::model::{GateKey, Rule, RuleOptions};

use crate::common::{applied, raw_control, TestSandbox, SMALL};

#[test]
fn import_filters_by_service_and_env() {
    let (dir, sandbox) = applied(SMALL);
    let run = sandbox.gatesctl(dir.path(), &["import", "--service", "check*", "--format", "yaml"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("service: checkout") && !run.stdout.contains("service: search"), "{run:?}");
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
        assert!(import.stderr.contains("Imported 12 gates and 17 rules"), "{import:?}");
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
fn import_writes_unprintable_names_as_they_are_and_warns_that_validate_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let gate = sandbox.block_on(client.create_gate(&GateKey::new("checkout", "production", "default"), false)).unwrap();
    let name = "x | y </details>\n# \u{202e}HIJACK";
    let options = RuleOptions::from_api(
        gatesctl_core::model::RuleType::Monitor,
        &serde_json::json!({"query": "service:checkout", "duration": 300}),
    )
    .unwrap();
    sandbox.block_on(client.create_rule(&gate.id, &Rule { name: name.into(), dry_run: false, options })).unwrap();
    for file in ["gates.toml", "gates.yaml"] {
        let run = sandbox.gatesctl(dir.path(), &["import", "-o", file]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains("warning: rule \"x | y </details>\\n# \\u{202e}HIJACK\" of gate checkout/production/default has a control or invisible character"),
            "{run:?}"
        );
        assert_eq!(raw_control(&run.stderr), None, "{run:?}");
        // The file holds the name itself, which validation then refuses by its code, not as a syntax error.
        let check = sandbox.gatesctl(dir.path(), &["validate", "-f", file]);
        assert_eq!(check.code, 1, "{check:?}");
        assert!(check.stderr.contains("gates::invalid-character"), "{check:?}");
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let (service, rules) = (written.find("checkout").unwrap(), written.find("rules").unwrap());
        assert!(service < rules, "a gate's service comes before its rules, in YAML as in TOML:\n{written}");
    }
}
