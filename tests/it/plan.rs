//! Plan output, one fixture folder per case under `fixtures/plan/`: `gates.toml` is the
//! configuration and `sandbox.json` (when present) the remote state the sandbox starts with.
//! The real binary plans against the real sandbox; the output is snapshotted.

use std::path::Path;

use crate::common::TestSandbox;

fn plan_case(case: &Path) -> (crate::common::Run, TestSandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(case, dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    (run, sandbox, dir)
}

#[test]
fn every_plan_fixture_matches_its_snapshot() {
    let mut problems = Vec::new();
    insta::glob!("fixtures/plan", "[a-z]*", |case| {
        let (run, sandbox, dir) = plan_case(case);
        let name = case.file_name().unwrap().to_string_lossy();
        // The sandbox's port changes from run to run.
        insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]")]}, {
            insta::assert_snapshot!(run.stdout);
        });
        if !sandbox.mutations().is_empty() {
            problems.push(format!("{name}: plan changed something: {:?}", sandbox.mutations()));
        }
        // The same plan as JSON validates against the committed schema, and says whether
        // there are changes as the exit code does.
        let json = sandbox.gatesctl(dir.path(), &["plan", "--format", "json"]);
        let doc: serde_json::Value = match serde_json::from_str(&json.stdout) {
            Ok(doc) => doc,
            Err(e) => return problems.push(format!("{name}: {e}: {json:?}")),
        };
        let errors: Vec<String> =
            plan_schema().iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path)).collect();
        if !errors.is_empty() {
            problems.push(format!("{name}: the JSON plan breaks its schema: {errors:#?}"));
        }
        let expected_code = if doc["has_changes"] == true { 2 } else { 0 };
        if run.code != expected_code {
            problems.push(format!("{name}: exit {} with has_changes = {}: {run:?}", run.code, doc["has_changes"]));
        }
    });
    assert!(problems.is_empty(), "{problems:#?}");
}

fn plan_schema() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("plan schema compiles")
}

#[test]
fn json_and_markdown_renderings_match_their_snapshots() {
    let mut failed_runs = Vec::new();
    insta::glob!("fixtures/plan", "{all-action-kinds,no-changes,unmanaged-gates,update-long-query}", |case| {
        let (_, sandbox, dir) = plan_case(case);
        for format in ["json", "markdown"] {
            let run = sandbox.gatesctl(dir.path(), &["plan", "--format", format]);
            if run.code != 0 {
                failed_runs.push(format!("{}: {run:?}", case.display()));
            }
            let stdout = run.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
            insta::assert_snapshot!(format, stdout);
        }
    });
    assert!(failed_runs.is_empty(), "{failed_runs:#?}");
}

#[test]
fn rules_are_fetched_only_for_declared_gates() {
    let (run, sandbox, _dir) = plan_case(&crate::common::fixtures_dir("plan").join("unmanaged-gates"));
    assert_eq!(run.code, 0, "{run:?}");
    let rule_reads: Vec<_> = sandbox.requests().into_iter().filter(|r| r.path.ends_with("/rules")).collect();
    // Two declared gates exist remotely; the two unmanaged ones are never read.
    assert_eq!(rule_reads.len(), 2, "{rule_reads:?}");
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let keys = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let with = |extra: &[(&'static str, &'static str)]| [&keys[..], extra].concat();

    // A pipe, with NO_COLOR unset: plain text.
    let mut piped = crate::common::hermetic(dir.path(), &["plan"], &keys);
    piped.env_remove("NO_COLOR").stdin(std::process::Stdio::null());
    let piped = crate::common::run_bounded(piped);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(!piped.stdout.contains('\u{1b}'), "no escape codes into a pipe");

    let terminal = crate::common::gatesctl_on_terminal(dir.path(), &["plan"], &with(&[]));
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains("\u{1b}["), "colour on a terminal: {terminal:?}");
    assert!(terminal.stdout.contains("\u{1b}[1mcheckout/production/default"), "{terminal:?}");

    let no_color = crate::common::gatesctl_on_terminal(dir.path(), &["plan"], &with(&[("NO_COLOR", "1")]));
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins on a terminal: {no_color:?}");
    let never = crate::common::gatesctl_on_terminal(dir.path(), &["plan", "--color", "never"], &with(&[]));
    assert!(!never.stdout.contains('\u{1b}'), "--color never: {never:?}");
    let always = sandbox.gatesctl(dir.path(), &["plan", "--color", "always"]);
    assert!(always.stdout.contains("\u{1b}["), "--color always forces colour into a pipe");
}
