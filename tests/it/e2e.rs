//! The binary end to end against the sandbox: what a user runs, and what reaches the API.

use std::path::Path;

use crate::common::{gatesctl, write, TestSandbox, SMALL};
use gatesctl_core::model::{GateKey, Rule, RuleOptions, RuleType};
use gatesctl_core::plan::{GateAction, GatePlan, Plan, RuleAction};

const NO_CHANGES: &str = "No changes. Remote gates match the configuration.";

fn setup(config: &str) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", config);
    let sandbox = TestSandbox::start(dir.path());
    (dir, sandbox)
}

fn apply_ok(sandbox: &TestSandbox, dir: &Path) -> crate::common::Run {
    let run = sandbox.gatesctl(dir, &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    run
}

fn assert_settled(sandbox: &TestSandbox, dir: &Path) {
    let run = sandbox.gatesctl(dir, &["plan", "--detailed-exitcode"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains(NO_CHANGES), "{run:?}");
}

#[test]
fn example_organisation_applies_then_settles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.toml"), dir.path().join("gates.toml")).unwrap();
    let sandbox = TestSandbox::start(dir.path());

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("Plan: gates 12 to create, 0 to update, 0 to delete; rules 16 to create"), "{plan:?}");
    assert!(sandbox.mutations().is_empty(), "plan changes nothing");

    let apply = apply_ok(&sandbox, dir.path());
    assert!(apply.stdout.contains("Apply complete: 28 succeeded, 0 failed, 0 skipped."), "{apply:?}");
    assert_settled(&sandbox, dir.path());

    // The state really is on the server.
    let gates = sandbox.block_on(sandbox.client().list_gates(&Default::default())).unwrap();
    assert_eq!(gates.len(), 12);

    // Running apply again converges: nothing is sent.
    let before = sandbox.mutations().len();
    let again = apply_ok(&sandbox, dir.path());
    assert!(again.stdout.contains(NO_CHANGES));
    assert_eq!(sandbox.mutations().len(), before);
}

#[test]
fn toml_and_yaml_examples_plan_identically() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let toml = sandbox
        .gatesctl(dir.path(), &["plan", "-f", crate::common::examples_dir().join("gates.toml").to_str().unwrap()]);
    let yaml = sandbox
        .gatesctl(dir.path(), &["plan", "-f", crate::common::examples_dir().join("gates.yaml").to_str().unwrap()]);
    assert_eq!(toml.code, 0, "{toml:?}");
    // The plans, before the monitor check's excerpts (which name each file's own lines).
    let plan = |text: &str| text.split("\nPlanned against").next().unwrap().to_string();
    assert_eq!(plan(&toml.stdout), plan(&yaml.stdout));
}

#[test]
fn flipping_one_dry_run_is_one_update_and_one_put() {
    let (dir, sandbox) = setup(SMALL);
    apply_ok(&sandbox, dir.path());
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("~ dry_run = false → true"), "{plan:?}");
    assert!(plan.stdout.contains(
        "Plan: gates 0 to create, 1 to update, 0 to delete; rules 0 to create, 0 to update, 0 to replace, 0 to delete."
    ));

    let before = sandbox.mutations().len();
    apply_ok(&sandbox, dir.path());
    let sent: Vec<_> = sandbox.mutations().into_iter().skip(before).collect();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].method, "PUT");
    assert!(sent[0].path.starts_with("/api/v2/deployment_gates/") && !sent[0].path.contains("/rules"), "{sent:?}");
    assert_settled(&sandbox, dir.path());
}

#[test]
fn changing_a_rule_type_replaces_it() {
    let (dir, sandbox) = setup(SMALL);
    apply_ok(&sandbox, dir.path());
    let changed = SMALL.replace(
        "type = \"faulty_deployment_detection\"\n  duration = 900\n  excluded_resources = [\"GET /healthz\"]",
        "type = \"monitor\"\n  query = \"service:checkout tag:apm\"",
    );
    write(dir.path(), "gates.toml", &changed);

    let plan = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(
        plan.stdout.contains("+/- rule \"Faulty deployment detection\" (faulty_deployment_detection → monitor)"),
        "{plan:?}"
    );
    assert!(plan.stdout.contains("1 to replace"), "{plan:?}");

    let before = sandbox.mutations().len();
    apply_ok(&sandbox, dir.path());
    let sent: Vec<String> = sandbox.mutations().into_iter().skip(before).map(|r| r.method).collect();
    assert_eq!(sent, ["POST", "DELETE"], "the new rule is created before the old one is deleted");
    assert_settled(&sandbox, dir.path());
}

#[test]
fn a_rule_added_out_of_band_is_planned_for_deletion() {
    let (dir, sandbox) = setup(SMALL);
    apply_ok(&sandbox, dir.path());
    let client = sandbox.client();
    let gate = sandbox
        .block_on(client.list_gates(&Default::default()))
        .unwrap()
        .into_iter()
        .find(|g| g.key.service == "checkout")
        .unwrap();
    let ui_rule = Rule {
        name: "Added in the UI".into(),
        dry_run: true,
        options: RuleOptions::from_api(RuleType::Monitor, &serde_json::json!({"query": "service:checkout"})).unwrap(),
    };
    sandbox.block_on(client.create_rule(&gate.id, &ui_rule)).unwrap();

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2);
    assert!(plan.stdout.contains("- rule \"Added in the UI\" (monitor)"), "{plan:?}");
    assert!(plan.stdout.contains("rules 0 to create, 0 to update, 0 to replace, 1 to delete."), "{plan:?}");
    apply_ok(&sandbox, dir.path());
    assert_settled(&sandbox, dir.path());
}

#[test]
fn an_invalid_file_never_reaches_the_network() {
    let (dir, sandbox) =
        setup("version = 1\n\n[[gates]]\nservice = \"checkout\"\nenv = \"production\"\nowner = \"team-a\"\n");
    for command in ["plan", "apply"] {
        let run = sandbox.gatesctl(dir.path(), &[command, "--auto-approve"][..if command == "plan" { 1 } else { 2 }]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("gates::unknown-key"), "{run:?}");
        assert!(run.stderr.contains("gates.toml:6:1"), "{run:?}");
    }
    assert!(sandbox.requests().is_empty(), "{:?}", sandbox.requests());
}

#[test]
fn apply_refuses_without_a_terminal_or_auto_approve() {
    let (dir, sandbox) = setup(SMALL);
    let run = sandbox.gatesctl(dir.path(), &["apply"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--auto-approve"), "{run:?}");
    assert!(sandbox.mutations().is_empty());
}

#[test]
fn missing_keys_are_named_and_nothing_is_sent() {
    let (dir, sandbox) = setup(SMALL);
    let run = gatesctl(dir.path(), &["plan"], &[("DD_API_URL", &sandbox.url), ("DD_APP_KEY", "x")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("DD_API_KEY or DATADOG_API_KEY"), "{run:?}");
    assert!(!run.stderr.contains("DD_APP_KEY or"), "only the missing key is named: {run:?}");
    assert!(sandbox.requests().is_empty());
}

#[test]
fn keys_never_go_over_plain_http_to_other_hosts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let run = gatesctl(
        dir.path(),
        &["plan", "--api-url", "http://datadog.example.com"],
        &[("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("refusing to send API keys over plain http"), "{run:?}");
}

#[test]
fn verbose_traces_redact_the_keys() {
    let (dir, sandbox) = setup(SMALL);
    let run = gatesctl(
        dir.path(),
        &["-v", "plan"],
        &[("DD_API_URL", &sandbox.url), ("DATADOG_API_KEY", "api-secret-123"), ("DATADOG_APP_KEY", "app-secret-456")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("→ GET"), "{run:?}");
    assert!(run.stderr.contains("<redacted>"));
    assert!(!run.stderr.contains("secret") && !run.stdout.contains("secret"), "{run:?}");
}

#[test]
fn api_errors_show_the_call_and_the_servers_detail() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let key = GateKey::new("checkout", "production", "default");
    sandbox.block_on(client.create_gate(&key, false)).unwrap();
    let err = sandbox.block_on(client.create_gate(&key, false)).unwrap_err().to_string();
    assert_eq!(err, "POST /api/v2/deployment_gates failed: 400 Bad Request: Gate already exists with the given env, service and identifier");
    let err = sandbox.block_on(client.get_gate("00000000-0000-4000-8000-000000000000")).unwrap_err().to_string();
    assert!(err.ends_with("404 Not Found: Gate does not exist"), "{err}");
    let err = sandbox.block_on(client.get_gate("not-a-uuid")).unwrap_err().to_string();
    assert!(err.ends_with("400 Bad Request: attribute \"id\" Invalid id"), "{err}");
}

#[test]
fn apply_goes_on_after_a_failure_and_skips_what_depends_on_it() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let taken = GateKey::new("checkout", "production", "default");
    // Created behind the plan's back: the plan's create of it must fail.
    sandbox.block_on(client.create_gate(&taken, false)).unwrap();
    let rule = Rule {
        name: "Errors".into(),
        dry_run: false,
        options: RuleOptions::from_api(RuleType::Monitor, &serde_json::json!({"query": "env:production"})).unwrap(),
    };
    let plan = Plan {
        gates: vec![
            GatePlan {
                key: taken.clone(),
                action: GateAction::Create { dry_run: false },
                rules: vec![RuleAction::Create { after: rule.clone() }],
            },
            GatePlan {
                key: GateKey::new("search", "production", "default"),
                action: GateAction::Create { dry_run: true },
                rules: vec![RuleAction::Create { after: rule }],
            },
        ],
        ..Plan::default()
    };
    let stop = std::sync::atomic::AtomicBool::new(false);
    let report = sandbox.block_on(gatesctl::ops::apply::execute::apply(&client, &plan, 1, &stop, |_| {}));
    assert_eq!((report.succeeded(), report.failed(), report.skipped()), (2, 1, 1), "{report:?}");
    assert!(
        matches!(&report.outcomes[0].status, gatesctl::ops::apply::execute::Status::Failed(e) if e.contains("Gate already exists")),
        "{report:?}"
    );
}

#[test]
fn built_in_sandbox_needs_no_credentials_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.yaml"), dir.path().join("gates.yaml")).unwrap();
    let apply = gatesctl(dir.path(), &["--sandbox", "apply", "--auto-approve"], &[]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(dir.path().join(".gatesctl/sandbox.db").is_file());
    let plan = gatesctl(dir.path(), &["--sandbox", "plan", "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains(NO_CHANGES));
}

#[test]
fn validate_reports_success_and_failure_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let ok = gatesctl(dir.path(), &["validate"], &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("Configuration is valid: 2 gates, 2 rules."));
    let empty = tempfile::tempdir().unwrap();
    let missing = gatesctl(empty.path(), &["validate"], &[]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no configuration file found: looked for gates.toml, gates.yaml, gates.yml"),
        "{missing:?}"
    );
}
