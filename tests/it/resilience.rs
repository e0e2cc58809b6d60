//! Converging under faults: lost answers, failing requests, latency and a binding rate limit.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::common::TestSandbox;
use gatesctl_sandbox::store::{Store, StoredGate};
use gatesctl_sandbox::{Faults, RateLimit, SandboxOptions};

fn config(gates: usize) -> String {
    let mut text = String::from("version = 1\n");
    for i in 0..gates {
        text.push_str(&format!(
            r#"
[[gates]]
service = "svc{i:03}"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:svc{i:03} env:production"
  duration = 300

  [[gates.rules]]
  name = "Faulty deployment detection"
  type = "faulty_deployment_detection"
  duration = 900
  excluded_resources = ["GET /healthz"]
"#
        ));
    }
    text
}

/// The sandbox's state: gates by service, with their rule names.
fn remote_state(sandbox: &TestSandbox) -> Vec<(String, Vec<String>)> {
    let store = sandbox.store();
    store.gates.iter().map(|g| (g.service.clone(), g.rules.iter().map(|r| r.name.clone()).collect())).collect()
}

#[test]
fn apply_converges_in_one_run_with_every_fault_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(300)).unwrap();
    let faults = Faults {
        latency: Duration::from_millis(1),
        rate_limit: Some(RateLimit { limit: 400, period: Duration::from_secs(1) }),
        fail_every: Some(7),
        drop_every_create: Some(5),
        flaky_polls: None,
        drop_empty_lists: false,
        no_monitors_read: false,
        no_dora_read: false,
    };
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });

    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(apply.stdout.contains("Apply complete: 900 succeeded, 0 failed, 0 skipped."), "{}", apply.stdout);

    // The faults really happened.
    let statuses: Vec<u16> = sandbox.requests().iter().map(|r| r.status).collect();
    assert!(statuses.contains(&500), "failed mutations were injected");
    assert!(statuses.contains(&0), "dropped connections were injected");

    // The remote state equals the files exactly: no duplicate, nothing missing.
    let state = remote_state(&sandbox);
    assert_eq!(state.len(), 300);
    let services: BTreeSet<&str> = state.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(services.len(), 300, "no duplicate gate");
    for (service, rules) in &state {
        let mut rules = rules.clone();
        rules.sort();
        assert_eq!(rules, ["Errors", "Faulty deployment detection"], "gate {service}");
    }

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("No changes."), "{plan:?}");
}

#[test]
fn a_create_whose_answer_is_always_lost_still_lands_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(2)).unwrap();
    let faults = Faults { drop_every_create: Some(1), ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let state = remote_state(&sandbox);
    assert_eq!(state.len(), 2, "{state:?}");
    assert!(state.iter().all(|(_, rules)| rules.len() == 2), "{state:?}");
}

#[test]
fn no_request_is_sent_once_the_rate_limit_budget_is_spent() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(12)).unwrap();
    // Seed the state directly, so the plan below is the only client the limit sees.
    let at = "2026-01-01T00:00:00Z".to_string();
    let store = Store {
        monitors: None,
        gates: (0..12)
            .map(|i| StoredGate {
                id: format!("00000000-0000-4000-8000-{i:012}"),
                service: format!("svc{i:03}"),
                env: "production".into(),
                identifier: "default".into(),
                dry_run: false,
                created_at: at.clone(),
                updated_at: at.clone(),
                rules: vec![],
            })
            .collect(),
        evaluations: None,
        dora: None,
    };
    store.save(&dir.path().join("sandbox.json")).unwrap();
    let faults =
        Faults { rate_limit: Some(RateLimit { limit: 5, period: Duration::from_secs(1) }), ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });

    let plan = sandbox.gatesctl(dir.path(), &["plan", "--parallelism", "8"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("rules 24 to create"), "{plan:?}");
    let requests = sandbox.requests();
    // One list page, one rules read per gate and one monitor search per query, each limit
    // (the gates', the monitors') spending its own budget: not one of them refused.
    let searches = requests.iter().filter(|r| r.path == "/api/v1/monitor/search").count();
    assert_eq!((requests.len(), searches), (13 + 12, 12), "{requests:?}");
    assert!(requests.iter().all(|r| r.status == 200), "{requests:?}");
}
