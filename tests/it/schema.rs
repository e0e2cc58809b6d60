//! The committed schemas match the types, and the examples satisfy the config schema.

use gatesctl::config::{self, source, wire};

fn assert_fresh(file: &str, generated: String, command: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas").join(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let diff = similar::TextDiff::from_lines(&committed, &generated)
            .unified_diff()
            .header("committed", "generated")
            .to_string();
        panic!("schemas/{file} is stale; regenerate it with\n  {command} > schemas/{file}\n\n{diff}");
    }
}

#[test]
fn committed_schemas_are_up_to_date() {
    assert_fresh("gates.schema.json", wire::schema_json(), "cargo run -q -- schema config");
    assert_fresh("plan.schema.json", gatesctl::render::json::schema_json(), "cargo run -q -- schema plan");
    assert_fresh("report.schema.json", gatesctl::render::report::schema_json(), "cargo run -q -- schema report");
    assert_fresh("apply.schema.json", gatesctl::render::apply::schema_json(), "cargo run -q -- schema apply");
}

#[test]
fn examples_validate_against_the_schema() {
    let schema: serde_json::Value = serde_json::from_str(&wire::schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    for name in ["gates.toml", "gates.yaml"] {
        let file = config::read_file(&crate::common::examples_dir().join(name)).unwrap();
        let instance = source::parse(&file).unwrap().to_json();
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{} at {}", e, e.instance_path)).collect();
        assert!(errors.is_empty(), "{name} does not match the schema: {errors:#?}");
    }
}

#[test]
fn schema_rejects_what_validation_rejects() {
    let schema: serde_json::Value = serde_json::from_str(&wire::schema_json()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let bad = serde_json::json!({"version": 1, "gates": [{"service": "a", "env": "b", "owner": "x", "rules": []}]});
    assert!(!validator.is_valid(&bad), "unknown gate key must be refused by the schema");
    let bad = serde_json::json!({"version": 1, "gates": [{"service": "a", "env": "b", "rules": [{"name": "n", "type": "monitr"}]}]});
    assert!(!validator.is_valid(&bad), "unknown rule type must be refused by the schema");
}

#[test]
fn toml_and_yaml_examples_declare_the_same_gates() {
    let toml = config::load(&[crate::common::examples_dir().join("gates.toml")]).unwrap();
    let yaml = config::load(&[crate::common::examples_dir().join("gates.yaml")]).unwrap();
    assert_eq!(toml.gates, yaml.gates);
    let services: std::collections::BTreeSet<_> = toml.gates.keys().map(|k| k.service.as_str()).collect();
    assert!(services.len() >= 6, "the example organisation has at least six services");
}
