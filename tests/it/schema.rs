//! The committed schemas match the types, and the examples satisfy the config schema.

use gatesctl_files::{self as config, source};
use serde_json::Value;

use crate::common::{applied, repo, SMALL};

/// Every schema `gatesctl schema KIND` prints, and the file that holds it.
const SCHEMAS: [(&str, &str); 9] = [
    ("config", "gates.schema.json"),
    ("plan", "plan.schema.json"),
    ("report", "report.schema.json"),
    ("coverage", "coverage.schema.json"),
    ("audit", "audit.schema.json"),
    ("apply", "apply.schema.json"),
    ("drift", "drift.schema.json"),
    ("validate", "validate.schema.json"),
    ("evaluate", "evaluate.schema.json"),
];

#[test]
fn committed_schemas_are_up_to_date() {
    let dir = tempfile::tempdir().unwrap();
    for (kind, file) in SCHEMAS {
        let run = crate::common::gatesctl(dir.path(), &["schema", kind], &[]);
        assert_eq!(run.code, 0, "{run:?}");
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != run.stdout {
            let diff = similar::TextDiff::from_lines(&committed, &run.stdout)
                .unified_diff()
                .header("committed", "generated")
                .to_string();
            panic!("schemas/{file} is stale; regenerate it with\n  cargo run -q -- schema {kind} > schemas/{file}\n\n{diff}");
        }
    }
}

/// The schema `schemas/FILE` holds, compiled.
pub fn validator(file: &str) -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// The schema's complaints about `doc`, with where.
pub fn violations(file: &str, doc: &serde_json::Value) -> Vec<String> {
    validator(file).iter_errors(doc).map(|e| format!("{e} at {}", e.instance_path)).collect()
}

#[test]
fn every_json_output_satisfies_its_schema() {
    use crate::common::{write, TestSandbox, SMALL};
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    write(dir.path(), "policies.toml", POLICIES);
    let sandbox = TestSandbox::start(dir.path());
    let json = |args: &[&str], codes: &[i32]| -> serde_json::Value {
        let run = sandbox.gatesctl(dir.path(), args);
        assert!(codes.contains(&run.code), "{args:?}: {run:?}");
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: {e}: {run:?}"))
    };
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json", "--no-monitor-check"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap()).unwrap();
    let cases = [
        ("plan.schema.json", saved, "a saved plan"),
        ("plan.schema.json", json(&["plan", "--format", "json", "--no-monitor-check"], &[0]), "plan --format json"),
        ("drift.schema.json", json(&["drift", "--format", "json"], &[2]), "drift"),
        ("validate.schema.json", json(&["validate", "--format", "json"], &[1]), "validate (a lapsed exception)"),
        ("apply.schema.json", json(&["apply", "--auto-approve", "--format", "json"], &[0]), "apply"),
        ("report.schema.json", json(&["report", "--format", "json", "--no-monitor-check"], &[0]), "report"),
        ("coverage.schema.json", json(&["coverage", "--format", "json"], &[0]), "coverage"),
        ("audit.schema.json", json(&["audit", "--format", "json", "--publish-scorecard"], &[0, 1]), "audit"),
        (
            "evaluate.schema.json",
            json(
                &[
                    "evaluate",
                    "--service",
                    "search",
                    "--env",
                    "production",
                    "--identifier",
                    "canary",
                    "--interval",
                    "50ms",
                    "--format",
                    "json",
                ],
                &[0, 1],
            ),
            "evaluate",
        ),
    ];
    for (file, doc, what) in cases {
        let errors = violations(file, &doc);
        assert!(errors.is_empty(), "{what} does not satisfy schemas/{file}: {errors:#?}\n{doc:#}");
    }
    let bad = sandbox.gatesctl(dir.path(), &["validate", "--format", "json", "-f", "missing.toml"]);
    let doc: serde_json::Value = serde_json::from_str(&bad.stdout).unwrap();
    assert!(violations("validate.schema.json", &doc).is_empty(), "{doc:#}");
    assert_eq!(doc["format_version"], "1.1");
}

#[test]
fn examples_validate_against_the_schema() {
    let validator = validator("gates.schema.json");
    for name in ["gates.toml", "yaml/gates.yaml"] {
        let file = config::read_file(&crate::common::examples_dir().join(name)).unwrap();
        let instance = source::parse(&file).unwrap().to_json();
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{name} does not match the schema: {errors:#?}");
    }
}

#[test]
fn schema_rejects_what_validation_rejects() {
    let validator = validator("gates.schema.json");
    let bad = serde_json::json!({"version": 1, "gates": [{"service": "a", "env": "b", "owner": "x", "rules": []}]});
    assert!(!validator.is_valid(&bad), "unknown gate key must be refused by the schema");
    let bad = serde_json::json!({"version": 1, "gates": [{"service": "a", "env": "b", "rules": [{"name": "n", "type": "monitr"}]}]});
    assert!(!validator.is_valid(&bad), "unknown rule type must be refused by the schema");
}

#[test]
fn toml_and_yaml_examples_declare_the_same_gates() {
    // The same gates, each declared in its own file.
    let gates = |file: &str| {
        let mut gates = config::load(&[crate::common::examples_dir().join(file)]).unwrap().gates;
        for gate in gates.values_mut() {
            gate.report.file_name.clear();
        }
        gates
    };
    let (toml, yaml) = (gates("gates.toml"), gates("yaml/gates.yaml"));
    assert_eq!(toml, yaml);
    let services: std::collections::BTreeSet<_> = toml.keys().map(|k| k.service.as_str()).collect();
    assert!(services.len() >= 6, "the example organisation has at least six services");
}

#[test]
fn schemas_carry_their_address_and_imports_point_editors_at_it() {
    for name in ["gates", "plan", "report", "apply"] {
        let text = std::fs::read_to_string(repo().join(format!("schemas/{name}.schema.json"))).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            schema["$id"],
            format!("https://raw.githubusercontent.com/gatesctl/gatesctl/main/schemas/{name}.schema.json")
        );
    }
    let (dir, sandbox) = applied(SMALL);
    let toml = sandbox.gatesctl(dir.path(), &["import", "--format", "toml"]);
    assert!(
        toml.stdout.starts_with(
            "#:schema https://raw.githubusercontent.com/gatesctl/gatesctl/main/schemas/gates.schema.json\n"
        ),
        "{toml:?}"
    );
    let yaml = sandbox.gatesctl(dir.path(), &["import", "--format", "yaml"]);
    assert!(yaml.stdout.starts_with("# yaml-language-server: $schema=https://raw.githubusercontent.com/"), "{yaml:?}");
}

/// A policy of each kind of check, over the small configuration: the audit has something to say.
const POLICIES: &str = r#"version = 1

[[policy]]
name = "everything"
level = "error"
scope = { env = "*", catalog = "tier:1" }
require = ["gate", "enforced-rule", "monitor-rule", "faulty-deployment-detection"]
min_rule_duration = "5m"
max_dry_run_days = 1
min_coverage_percent = 95

  [[policy.exception]]
  gate = "checkout/staging"
  reason = "expired on purpose"
  until = "2020-01-01"
"#;
