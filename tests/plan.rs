//! Plan output, one fixture folder per case under `tests/fixtures/plan/`: `gates.toml` is the
//! configuration and `sandbox.json` (when present) the remote state the sandbox starts with.
//! The real binary plans against the real sandbox; the output is snapshotted.

mod common;

use common::TestSandbox;

fn plan_case(case: &str) -> (common::Run, TestSandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::fixtures_dir("plan").join(case), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    (run, sandbox, dir)
}

#[test]
fn every_plan_fixture_matches_its_snapshot() {
    let cases = common::cases(&common::fixtures_dir("plan"));
    assert!(cases.len() >= 8, "fixtures found: {cases:?}");
    for case in cases {
        let (run, sandbox, _dir) = plan_case(&case);
        let expected_code = if case.starts_with("no-changes") || case == "unmanaged-gates" { 0 } else { 2 };
        assert_eq!(run.code, expected_code, "case {case}: {run:?}");
        assert!(sandbox.mutations().is_empty(), "case {case}: plan must not change anything");
        insta::assert_snapshot!(case.as_str(), run.stdout);

        // The same plan as JSON validates against the committed schema.
        let json = sandbox.gatesctl(_dir.path(), &["plan", "--format", "json"]);
        assert_eq!(json.code, 0, "case {case}: {json:?}");
        let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("case {case}: {e}"));
        let errors: Vec<String> =
            plan_schema().iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(errors.is_empty(), "case {case}: {errors:#?}");
        assert_eq!(doc["has_changes"], expected_code == 2, "case {case}");
    }
}

fn plan_schema() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("plan schema compiles")
}

#[test]
fn json_and_markdown_renderings_match_their_snapshots() {
    for case in ["all-action-kinds", "no-changes", "unmanaged-gates"] {
        let (_, sandbox, dir) = plan_case(case);
        for format in ["json", "markdown"] {
            let run = sandbox.gatesctl(dir.path(), &["plan", "--format", format]);
            assert_eq!(run.code, 0, "{run:?}");
            let stdout = run.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
            insta::assert_snapshot!(format!("{case}.{format}"), stdout);
        }
    }
}

#[test]
fn rules_are_fetched_only_for_declared_gates() {
    let (run, sandbox, _dir) = plan_case("unmanaged-gates");
    assert_eq!(run.code, 0, "{run:?}");
    let rule_reads: Vec<_> = sandbox.requests().into_iter().filter(|r| r.path.ends_with("/rules")).collect();
    // Two declared gates exist remotely; the two unmanaged ones are never read.
    assert_eq!(rule_reads.len(), 2, "{rule_reads:?}");
}

#[test]
fn colour_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    common::copy_dir(&common::fixtures_dir("plan").join("all-action-kinds"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let plain = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(!plain.stdout.contains('\u{1b}'), "no escape codes when stdout is not a terminal");
    let coloured = sandbox.gatesctl(dir.path(), &["plan", "--color", "always"]);
    assert!(coloured.stdout.contains("\u{1b}["), "--color always forces colour");
}
