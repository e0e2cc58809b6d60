//! `apply` end to end against the sandbox: the example organisation applied and settled, each
//! kind of action, a failure that does not stop what is independent of it, answers lost or
//! contradicting what was asked, two applies at once, Ctrl-C half-way, and apply as data.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gatesctl_core::model::{GateKey, Rule, RuleOptions, RuleType};
use gatesctl_core::plan::{GateAction, GatePlan, Plan, RuleAction};
use gatesctl_sandbox::{Faults, SandboxOptions};
use serde_json::{json, Value};

use crate::common::{applied, repo, run_ok, setup, write, Proxy, Reply, TestSandbox, NO_CHANGES, SMALL};

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
    let report = sandbox.block_on(gatesctl::ops::apply::execute::apply(
        &client,
        &plan,
        1,
        &stop,
        &gatesctl::ops::progress::Unwatched,
    ));
    assert_eq!((report.succeeded(), report.failed(), report.skipped()), (2, 1, 1), "{report:?}");
    assert!(
        matches!(&report.outcomes[0].status, gatesctl::ops::apply::outcome::Status::Failed(e) if e.to_string().contains("Gate already exists")),
        "{report:?}"
    );
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
fn example_organisation_applies_then_settles() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.toml"), dir.path().join("gates.toml")).unwrap();
    let sandbox = TestSandbox::start(dir.path());

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("Plan: gates 12 to create, 0 to update, 0 to delete; rules 17 to create"), "{plan:?}");
    assert!(sandbox.mutations().is_empty(), "plan changes nothing");

    let apply = apply_ok(&sandbox, dir.path());
    assert!(apply.stdout.contains("Apply complete: 29 succeeded, 0 failed, 0 skipped."), "{apply:?}");
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
fn ctrl_c_during_apply_finishes_what_is_in_flight_and_reports() {
    for (signal, expected) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let (code, shown, sandbox, dir) = interrupted_apply(signal);
        assert_eq!(code, expected, "{shown}");
        assert!(shown.contains("Apply stopped:"), "{shown}");
        assert!(shown.contains("not started"), "{shown}");
        let store = sandbox.store();
        assert!(!store.gates.is_empty() && store.gates.len() < 40, "stopped part-way: {}", store.gates.len());
        for gate in &store.gates {
            assert_eq!(gate.rules.len(), 2, "gate {} was left without its rules: {shown}", gate.service);
        }
        // Applying again finishes the job.
        let again = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(sandbox.store().gates.len(), 40);
    }
}

/// Starts an apply of 40 gates against a slow sandbox, signals it once the first action has
/// landed, and returns its exit code and output.
fn interrupted_apply(signal: i32) -> (i32, String, TestSandbox, tempfile::TempDir) {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..40 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:02}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:02}\"\n\n  [[gates.rules]]\n  name = \"Latency\"\n  type = \"monitor\"\n  query = \"service:svc{i:02} tag:latency\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let faults = Faults { latency: std::time::Duration::from_millis(50), ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut cmd = crate::common::hermetic(dir.path(), &["apply", "--auto-approve", "--parallelism", "2"], &env);
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = crate::common::spawn_bounded(cmd).unwrap();
    let mut stdout = BufReader::new(child.process().stdout.take().unwrap());
    let mut shown = String::new();
    // Bounded by the end of the output.
    for line in stdout.by_ref().lines() {
        let line = line.unwrap();
        shown.push_str(&line);
        shown.push('\n');
        if line.starts_with("  ✓") {
            break;
        }
    }
    // SAFETY: kill only sends a signal to the child spawned above.
    unsafe { libc::kill(child.process().id() as i32, signal) };
    stdout.read_to_string(&mut shown).unwrap();
    let code = child.wait().code().unwrap_or(-1);
    (code, shown, sandbox, dir)
}

#[test]
fn an_answer_contradicting_the_update_is_a_failure_showing_both() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    let lying = Proxy::start(&sandbox, &sandbox.url, |seen| {
        if seen.method == "PUT" {
            Reply::Edit(Box::new(|answer| answer["data"]["attributes"]["dry_run"] = false.into()))
        } else {
            Reply::Forward
        }
    });
    let run = lying.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("asked gate checkout/production/default with dry_run = true, answered gate checkout/production/default with dry_run = false"),
        "{run:?}"
    );
}

#[test]
fn creates_whose_answer_is_cut_after_commit_are_found_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..100 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:03}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:03}\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let sandbox = TestSandbox::start(dir.path());
    let creates = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&creates);
    // Every other create is committed, its headers sent, then the connection reset mid-body.
    let cutting = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "POST" && counter.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            Reply::Cut
        } else {
            Reply::Forward
        }
    });
    let run = cutting.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Apply complete: 200 succeeded, 0 failed, 0 skipped."), "{}", run.stdout);
    assert!(creates.load(Ordering::SeqCst) >= 200);
    let store = sandbox.store();
    assert_eq!(store.gates.len(), 100, "no duplicate gate");
    assert!(store.gates.iter().all(|g| g.rules.len() == 1), "every gate has its one rule, once");
}

#[test]
fn a_replacement_whose_create_fails_keeps_the_old_rule() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replace(FDD_TO_MONITOR.0, FDD_TO_MONITOR.1));
    let refusing = Proxy::start(&sandbox, &sandbox.url, |seen| {
        if seen.method == "POST" && seen.path.ends_with("/rules") {
            let body = r#"{"errors":[{"status":"400","title":"Bad Request","detail":"Invalid query"}]}"#;
            Reply::Answer {
                status: 400,
                headers: vec![("content-type", "application/vnd.api+json".into())],
                body: body.into(),
            }
        } else {
            Reply::Forward
        }
    });
    let run = refusing.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Invalid query; the old rule is kept, unchanged"), "{run:?}");
    assert_eq!(
        rule_types(&sandbox, "checkout"),
        [
            ("Errors".into(), "monitor".into()),
            ("Faulty deployment detection".into(), "faulty_deployment_detection".into())
        ],
        "the gate still has its rule"
    );
    // Once the API accepts it, the same apply converges.
    let again = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(rule_types(&sandbox, "checkout")[1], ("Faulty deployment detection".into(), "monitor".into()));
}

fn rule_types(sandbox: &TestSandbox, service: &str) -> Vec<(String, String)> {
    let store = sandbox.store();
    let gate = store.gates.iter().find(|g| g.service == service).unwrap();
    let mut rules: Vec<(String, String)> = gate.rules.iter().map(|r| (r.name.clone(), r.rule_type.clone())).collect();
    rules.sort();
    rules
}

const FDD_TO_MONITOR: (&str, &str) = (
    "type = \"faulty_deployment_detection\"\n  duration = 900\n  excluded_resources = [\"GET /healthz\"]",
    "type = \"monitor\"\n  query = \"service:checkout tag:apm\"",
);

#[test]
fn a_twin_of_a_declared_rule_is_named_a_duplicate_not_a_deletion() {
    let (dir, sandbox) = crate::common::applied(SMALL);
    let http = crate::common::Http::new(&sandbox);
    let (gate, _) = http.rule_path("checkout", "Errors");
    let body = json!({"data": {"type": "deployment_rule", "attributes": {"name": "Errors", "type": "monitor", "options": {"query": "service:checkout"}}}});
    assert_eq!(http.post(&format!("/api/v2/deployment_gates/{gate}/rules"), body).0, 200);
    let plan = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check"]);
    assert!(
        plan.stdout
            .contains("- extra rule \"Errors\" (monitor) (2 remote rules named \"Errors\": deleting the extra one"),
        "{plan:?}"
    );
    assert!(!plan.stdout.contains("      - rule \"Errors\""), "{plan:?}");
    let drift = sandbox.gatesctl(dir.path(), &["drift"]);
    assert!(drift.stdout.contains("a second remote rule of this declared name"), "{drift:?}");
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let options = |name: &str| {
        let store = sandbox.store();
        let gate = store.gates.iter().find(|g| g.service == "checkout").unwrap();
        gate.rules.iter().filter(|r| r.name == name).map(|r| r.options.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        options("Errors"),
        [json!({"query": "service:checkout env:production", "duration": 300})],
        "the one matching the file stays"
    );
}

#[test]
fn two_applies_at_once_leave_one_rule_of_each_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..20 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:02}\"\nenv = \"production\"\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:02}\"\n  [[gates.rules]]\n  name = \"Latency\"\n  type = \"monitor\"\n  query = \"service:svc{i:02} latency\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let sandbox = TestSandbox::start(dir.path());
    // The gates exist; both applies create the same forty rules at the same time.
    let client = sandbox.client();
    for i in 0..20 {
        sandbox
            .block_on(client.create_gate(&GateKey::new(format!("svc{i:02}"), "production", "default"), false))
            .unwrap();
    }
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]));
        let b = s.spawn(|| sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.code, b.code), (0, 0), "{a:?}\n{b:?}");
    // Twins left by the closest race are named as what they are, and the next apply settles them.
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert!(
        !plan.stdout.contains("      - rule \"Errors\"") && !plan.stdout.contains("      - rule \"Latency\""),
        "{plan:?}"
    );
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let store = sandbox.store();
    for gate in &store.gates {
        let mut names: Vec<&str> = gate.rules.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Errors", "Latency"], "{}: {names:?}", gate.service);
    }
}

#[test]
fn apply_as_data_is_one_json_document_that_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/apply.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["outcome"], "complete");
    assert_eq!(doc["summary"]["gates"]["created"], 2);
    assert_eq!(doc["summary"]["rules"]["created"], 2);
    let addresses: Vec<&str> =
        doc["actions"].as_array().unwrap().iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert!(addresses.contains(&"checkout/production/default/rules/Errors"), "{addresses:?}");
    assert!(run.stderr.contains("gate checkout/production/default"), "the plan goes to stderr: {run:?}");

    // A failure is in the document, and the exit code says it.
    write(dir.path(), "gates.toml", &SMALL.replace("duration = 300", "duration = 600"));
    let failing = gatesctl_sandbox::Faults { fail_every: Some(1), ..Default::default() };
    drop(sandbox);
    let sandbox =
        TestSandbox::start_with(dir.path(), gatesctl_sandbox::SandboxOptions { faults: failing, ..Default::default() });
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["outcome"], "incomplete");
    assert_eq!(doc["summary"]["rules"]["failed"], 1);
    assert_eq!(doc["actions"][0]["status"], "failed");
    assert!(doc["actions"][0]["reason"].as_str().unwrap().contains("500"), "{doc:#}");

    // The text counts by kind.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let text = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert!(
        text.stdout
            .contains("Apply complete: 4 succeeded, 0 failed, 0 skipped.\n  2 gates created, 2 rules created.\n"),
        "{text:?}"
    );
}
