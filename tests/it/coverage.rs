//! `gatesctl coverage` and each gate's record in `report`, against a sandbox holding
//! deployments and failures (DORA) beside the evaluation history: which deployments went
//! through a gate, which gates no deployment went through, and whether the gates' verdicts
//! were borne out by the failures that followed.

use std::path::Path;

use gatesctl_sandbox::store::{Store, StoredDoraEvent, StoredEvaluation, StoredRuleEvaluation};
use gatesctl_sandbox::{Faults, SandboxOptions};
use serde_json::{json, Value};

use crate::common::{at, now, run_ok, write, Run, TestSandbox};

const HOUR: i64 = 3600 * 1000;
const DAY: i64 = 24 * HOUR;

const GATES: &str = r#"version = 1

[[gates]]
service = "checkout"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:checkout"

[[gates]]
service = "search"
env = "production"
dry_run = true

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search"

[[gates]]
service = "payments"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:payments"
"#;

const MONITORS: &str = r#"
[[monitors]]
name = "Checkout errors"
tags = ["service:checkout"]

[[monitors]]
name = "Search latency"
tags = ["service:search"]

[[monitors]]
name = "Payments errors"
tags = ["service:payments"]
"#;

/// An evaluation of `service/production` `ago` ms before now, its one rule passing or failing.
fn evaluation(service: &str, rule: &str, ago: i64, version: &str, dry_run: bool, fail: bool) -> StoredEvaluation {
    let started = now() - ago;
    StoredEvaluation {
        id: String::new(),
        gate_id: None,
        service: service.into(),
        env: "production".into(),
        identifier: "default".into(),
        version: version.into(),
        dry_run,
        started_at: at(started),
        finished_at: Some(at(started + 60_000)),
        status: if fail && !dry_run { "fail" } else { "pass" }.into(),
        rules: vec![StoredRuleEvaluation {
            id: String::new(),
            rule_id: None,
            name: rule.into(),
            rule_type: "monitor".into(),
            dry_run: false,
            configuration: json!({"query": format!("service:{service}")}),
            status: if fail { "fail" } else { "pass" }.into(),
            reason: if fail { "One or more monitors in ALERT state" } else { "All monitors in OK state" }.into(),
            failures: json!({"faulty_apm_resources": [], "narratives": [], "monitors": []}),
            warmup: 0,
        }],
    }
}

fn deployment(service: &str, version: &str, ago: i64) -> StoredDoraEvent {
    let ns = (now() - ago) * 1_000_000;
    let mut attributes =
        json!({"service": service, "env": "production", "started_at": ns, "finished_at": ns + 60_000_000_000_i64});
    if !version.is_empty() {
        attributes["version"] = json!(version);
    }
    StoredDoraEvent { kind: "deployment".into(), id: String::new(), attributes }
}

fn failure(services: &[&str], version: &str, ago: i64) -> StoredDoraEvent {
    let ns = (now() - ago) * 1_000_000;
    let mut attributes =
        json!({"name": "incident", "services": services, "env": "production", "severity": "SEV-2", "started_at": ns});
    if !version.is_empty() {
        attributes["version"] = json!(version);
    }
    StoredDoraEvent { kind: "failure".into(), id: String::new(), attributes }
}

fn seeded(
    evaluations: Vec<StoredEvaluation>,
    dora: Vec<StoredDoraEvent>,
    faults: Faults,
) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", GATES);
    let monitors = gatesctl_sandbox::monitors::parse_file(MONITORS).unwrap();
    let store = Store { gates: Vec::new(), monitors: Some(monitors), evaluations: Some(evaluations), dora: Some(dora) };
    store.save(&dir.path().join("sandbox.json")).unwrap();
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });
    (dir, sandbox)
}

fn json_of(run: &Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"))
}

fn service<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| format!("{}/{}", s["service"].as_str().unwrap(), s["env"].as_str().unwrap()) == name)
        .unwrap_or_else(|| panic!("{name} in {doc:#}"))
}

#[test]
fn every_deployment_is_placed_gated_or_not_and_idle_gates_are_named() {
    let evaluations = vec![
        evaluation("checkout", "Errors", 3 * DAY, "v1", false, false),
        evaluation("search", "Latency", 2 * DAY, "v7", true, false),
        // An evaluation without a version, an hour's window before unversioned deploys.
        evaluation("checkout", "Errors", DAY, "", false, false),
    ];
    let dora = vec![
        deployment("checkout", "v1", 3 * DAY - 60_000),
        deployment("checkout", "v2", 2 * DAY),
        deployment("checkout", "", DAY - HOUR / 2),
        deployment("checkout", "", DAY - 2 * HOUR),
        deployment("search", "v7", 2 * DAY - 60_000),
        deployment("billing", "v3", 5 * DAY),
        deployment("billing", "v4", 4 * DAY),
    ];
    let (dir, sandbox) = seeded(evaluations, dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]));
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/coverage.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["format_version"], "1.0");
    assert_eq!(
        service(&doc, "checkout/production"),
        &json!({"service": "checkout", "env": "production", "deployments": 4, "gated": 2, "gated_enforced": 2, "gated_dry_run": 0, "ungated": 2, "declared": true}),
        "v1 by its version, the unversioned one half an hour after an evaluation; v2 and the one two hours after, by none"
    );
    assert_eq!(
        (&service(&doc, "search/production")["gated_dry_run"], &service(&doc, "search/production")["ungated"]),
        (&json!(1), &json!(0))
    );
    let billing = service(&doc, "billing/production");
    assert_eq!(
        (&billing["ungated"], &billing["declared"]),
        (&json!(2), &json!(false)),
        "undeclared services are listed"
    );
    assert_eq!(doc["idle_gates"], json!(["payments/production/default"]));
    assert_eq!(doc["summary"], json!({"deployments": 7, "gated": 3, "ungated": 4}));

    let text = run_ok(&sandbox, dir.path(), &["coverage"]).stdout;
    let lead: Vec<&str> = text.lines().skip(2).take(2).collect();
    assert_eq!(
        lead,
        [
            "billing/production deployed 2 times with no gate",
            "checkout/production: 2 of 4 deployments went through no gate"
        ],
        "{text}"
    );
    assert!(
        text.contains("Idle gates, declared but no deployment went through them: payments/production/default."),
        "{text}"
    );
    let markdown = run_ok(&sandbox, dir.path(), &["coverage", "--format", "markdown"]).stdout;
    assert!(markdown.starts_with("<!-- gatesctl:coverage -->"), "{markdown}");
    assert!(markdown.contains("- **billing/production deployed 2 times with no gate**"), "{markdown}");
    assert!(markdown.contains("| `billing/production` | 2 | 0 | 0 | 0 | **2** | no |"), "{markdown}");
}

#[test]
fn a_window_holding_more_than_a_thousand_deployments_is_read_whole() {
    // 2,500 deployments in a fortnight: every answer that holds the limit is read again in halves.
    let dora: Vec<StoredDoraEvent> =
        (0..2_500).map(|i| deployment("billing", &format!("v{i}"), HOUR + i * (13 * DAY / 2_500))).collect();
    let (dir, sandbox) = seeded(Vec::new(), dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]));
    assert_eq!(service(&doc, "billing/production")["deployments"], 2_500, "none lost, none twice");
    let asked = sandbox.requests().into_iter().filter(|r| r.path == "/api/v2/dora/deployments").count();
    assert!((5..=16).contains(&asked), "the window split until each answer held fewer than 1,000: {asked} requests");
}

#[test]
fn each_gate_is_weighed_against_the_failures_that_followed() {
    let evaluations = vec![
        // checkout, enforced: v1 blocked and a failure of v1 followed (caught); v2 passed and a
        // failure without a version came 3 hours later (missed); v3 passed, nothing followed.
        evaluation("checkout", "Errors", 5 * DAY, "v1", false, true),
        evaluation("checkout", "Errors", 4 * DAY, "v2", false, false),
        evaluation("checkout", "Errors", 3 * DAY, "v3", false, false),
        // search, in dry run: would have blocked v7, and an incident naming search and
        // checkout followed v7; would have blocked v8, and nothing followed (false alarm).
        evaluation("search", "Latency", 5 * DAY, "v7", true, true),
        evaluation("search", "Latency", 4 * DAY, "v8", true, true),
        evaluation("search", "Latency", 3 * DAY, "v9", true, false),
    ];
    let dora = vec![
        failure(&["checkout"], "v1", 5 * DAY - HOUR),
        failure(&["checkout"], "", 4 * DAY - 3 * HOUR),
        failure(&["search", "frontend"], "v7", 5 * DAY - HOUR),
        // More than a day after search's last evaluation, without a version: it follows none.
        failure(&["search"], "", 3 * DAY - 25 * HOUR),
    ];
    let (dir, sandbox) = seeded(evaluations, dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["report", "--format", "json"]));
    let gate = |key: &str| doc["gates"].as_array().unwrap().iter().find(|g| g["gate"] == key).unwrap().clone();
    assert_eq!(
        gate("checkout/production/default")["efficacy"],
        json!({"caught": 1, "false_alarms": 0, "missed": 1, "clean": 1})
    );
    let search = gate("search/production/default");
    assert_eq!(search["efficacy"], json!({"caught": 1, "false_alarms": 1, "missed": 0, "clean": 1}));
    assert!(search["why"].as_str().unwrap().contains("where no failure followed"), "{search:#}");
    assert!(
        search["why"]
            .as_str()
            .unwrap()
            .contains("would have stopped the 1 deploy that caused a failure; 1 false alarm in 3 evaluations"),
        "{search:#}"
    );
    assert_eq!(
        gate("payments/production/default")["efficacy"],
        json!({"caught": 0, "false_alarms": 0, "missed": 0, "clean": 0})
    );
    assert_eq!(doc["dora"], json!({"read": true, "failures": 4, "why": null}));
    let text = run_ok(&sandbox, dir.path(), &["report"]).stdout;
    assert!(
        text.contains("  record: stopped 1 of the 2 deploys that caused failures; 0 false alarms in 3 evaluations\n"),
        "{text}"
    );
    let markdown = run_ok(&sandbox, dir.path(), &["report", "--format", "markdown"]).stdout;
    assert!(markdown.contains("#### Against the failures that followed"), "{markdown}");
    assert!(markdown.contains("- `search/production/default` would have stopped the 1 deploy that caused a failure; 1 false alarm in 3 evaluations"), "{markdown}");
}

#[test]
fn a_key_without_the_dora_permission_gets_one_warning_and_the_rest_of_the_report() {
    let evaluations = vec![evaluation("checkout", "Errors", DAY, "v1", false, false)];
    let faults = Faults { no_dora_read: true, ..Faults::default() };
    let (dir, sandbox) = seeded(evaluations, vec![deployment("checkout", "v1", DAY)], faults);
    let run = run_ok(&sandbox, dir.path(), &["report", "--format", "json"]);
    assert_eq!(run.stderr.matches("warning: failures (DORA) were not read").count(), 1, "{run:?}");
    assert!(run.stderr.contains("dora_metrics_read"), "{run:?}");
    let doc = json_of(&run);
    assert_eq!(doc["dora"]["read"], false);
    assert!(doc["gates"].as_array().unwrap().iter().all(|g| g["efficacy"].is_null()), "{doc:#}");
    assert_eq!(doc["gates"].as_array().unwrap().len(), 3, "the rest of the report is there");
    // Coverage is all deployments: without the permission it cannot be made, and says why.
    let coverage = sandbox.gatesctl(dir.path(), &["coverage"]);
    assert_eq!(coverage.code, 1, "{coverage:?}");
    assert!(coverage.stderr.contains("lacks the dora_metrics_read permission"), "{coverage:?}");
    // --no-dora does not ask at all.
    let before = sandbox.requests().len();
    run_ok(&sandbox, dir.path(), &["report", "--no-dora"]);
    assert!(sandbox.requests()[before..].iter().all(|r| !r.path.contains("/dora/")), "no DORA read with --no-dora");
}

#[test]
fn the_sandbox_records_deployments_and_failures_as_datadog_does() {
    let (dir, sandbox) = seeded(Vec::new(), Vec::new(), Faults::default());
    let http = crate::common::Http::new(&sandbox);
    let started_s = now() / 1000 - 3600;
    let (status, answer) = http.post(
        "/api/v2/dora/deployment",
        json!({"data": {"attributes": {"service": "checkout", "env": "production", "version": "v9", "started_at": started_s, "finished_at": started_s + 60}}}),
    );
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["data"]["type"], "dora_deployment");
    let (status, answer) = http.post("/api/v2/dora/failure", json!({"data": {"attributes": {"name": "x", "services": ["a", "b"], "env": "production", "started_at": started_s * 1_000_000_000}}}));
    assert_eq!(status, 202, "{answer}");
    let (status, answer) = http.post(
        "/api/v2/dora/deployment",
        json!({"data": {"attributes": {"env": "production", "started_at": 1, "finished_at": 2}}}),
    );
    assert_eq!((status, answer["errors"][0]["detail"].as_str()), (400, Some("attribute \"service\" is required")));
    let list = |path: &str, attributes: Value| {
        http.post(path, json!({"data": {"type": format!("dora_{}_list_request", path.rsplit('/').next().unwrap()), "attributes": attributes}}))
    };
    let from = at(now() - DAY);
    let (status, answer) = list(
        "/api/v2/dora/deployments",
        json!({"from": from, "limit": 1000, "query": "service:(checkout OR billing) env:production"}),
    );
    assert_eq!(status, 200, "{answer}");
    let items = answer["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{answer}");
    assert_eq!(
        items[0]["attributes"]["started_at"],
        json!(at(started_s * 1000).replace('Z', ".000000000Z")),
        "lists answer RFC 3339 date-times, as the official clients read them"
    );
    // One event by its id.
    let id = items[0]["id"].as_str().unwrap();
    let (status, one) = http.get(&format!("/api/v2/dora/deployments/{id}"));
    assert_eq!((status, &one["data"]["attributes"]["version"]), (200, &json!("v9")), "{one}");
    assert_eq!(http.get("/api/v2/dora/failures/nope").0, 404);
    // The API key alone records an event, as the clients send it; listing takes both keys.
    let alone = |path: &str, body: Value| {
        sandbox.block_on(async {
            let answer = reqwest::Client::new()
                .post(format!("{}{path}", sandbox.url))
                .header("DD-API-KEY", "a")
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            answer.status().as_u16()
        })
    };
    let event =
        json!({"data": {"attributes": {"service": "checkout", "started_at": started_s, "finished_at": started_s + 1}}});
    assert_eq!(alone("/api/v2/dora/deployment", event), 202);
    assert_eq!(alone("/api/v2/dora/deployments", json!({"data": {"attributes": {}}})), 403);
    // Malformed list bodies are refused with a detail.
    for body in [
        json!(null),
        json!([]),
        json!("text"),
        json!({"data": []}),
        json!({"data": "x"}),
        json!({"data": {"type": null, "attributes": {}}}),
        json!({"data": {"type": "dora_deployments_list_request"}}),
        json!({"data": {"type": "dora_deployments_list_request", "attributes": {"query": 7}}}),
        json!({"data": {"type": "dora_deployments_list_request", "attributes": {"sort": 1}}}),
    ] {
        let (status, answer) = http.post("/api/v2/dora/deployments", body.clone());
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(answer["errors"][0]["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}: {answer}");
    }
    let (_, answer) = list("/api/v2/dora/failures", json!({"from": from, "query": "service:b"}));
    assert_eq!(answer["data"].as_array().unwrap().len(), 1, "a failure of several services matches each: {answer}");
    let (status, answer) = list("/api/v2/dora/deployments", json!({"from": from, "limit": 1001}));
    assert_eq!(
        (status, answer["errors"][0]["detail"].as_str()),
        (400, Some("attribute \"limit\" must be between 1 and 1000"))
    );
    let _ = dir;
}
