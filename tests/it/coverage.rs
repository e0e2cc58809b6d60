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
    deployment_lasting(service, version, ago, 60_000)
}

/// A deployment `ago` ms before now whose pipeline ran `lasting` ms.
fn deployment_lasting(service: &str, version: &str, ago: i64, lasting: i64) -> StoredDoraEvent {
    let ns = (now() - ago) * 1_000_000;
    let mut attributes =
        json!({"service": service, "env": "production", "started_at": ns, "finished_at": ns + lasting * 1_000_000});
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
    let store = Store {
        gates: Vec::new(),
        monitors: Some(monitors),
        evaluations: Some(evaluations),
        dora: Some(dora),
        ..Default::default()
    };
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

/// A finished evaluation that never finished: started `ago` ms before now, still running.
fn running(service: &str, ago: i64, version: &str) -> StoredEvaluation {
    let mut e = evaluation(service, "Errors", ago, version, false, false);
    e.finished_at = Some(at(now() + DAY));
    e
}

#[test]
fn every_deployment_is_placed_gated_or_not_and_idle_gates_are_named() {
    let evaluations = vec![
        evaluation("checkout", "Errors", 3 * DAY, "v1", false, false),
        evaluation("search", "Latency", 2 * DAY, "v7", true, false),
        // An evaluation without a version, half an hour before an unversioned deploy.
        evaluation("checkout", "Errors", DAY, "", false, false),
    ];
    let dora = vec![
        deployment("checkout", "v1", 3 * DAY - 60_000),
        deployment("checkout", "v2", 2 * DAY),
        deployment("checkout", "", DAY - HOUR / 2),
        deployment("checkout", "", DAY - 7 * HOUR),
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
    assert_eq!(doc["format_version"], "2.0");
    assert_eq!(doc["max_gap_seconds"], 6 * 3600);
    assert_eq!(
        service(&doc, "checkout/production"),
        &json!({"service": "checkout", "env": "production", "deployments": 4, "gated": 2, "gated_enforced": 2, "gated_dry_run": 0, "bypassed": 0, "ungated": 2, "declared": true, "bypasses": []}),
        "v1 a minute after its evaluation, the unversioned one half an hour after one; v2 (no evaluation of it) and the one 7 hours after, by none"
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
    assert_eq!(
        doc["summary"],
        json!({"deployments": 7, "gated": 3, "gated_enforced": 2, "gated_dry_run": 1, "bypassed": 0, "ungated": 4})
    );

    let text = run_ok(&sandbox, dir.path(), &["coverage"]).stdout;
    let lead: Vec<&str> = text.lines().skip(3).take(2).collect();
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
fn a_deploy_is_gated_only_by_an_evaluation_that_came_before_it_and_let_it_through() {
    let mut evaluations = vec![
        // Its only evaluation came two hours after it shipped.
        evaluation("after", "Errors", 3 * DAY - 2 * HOUR, "v1", false, false),
        // One evaluation of `latest`, then ten deploys of `latest`, a day apart.
        evaluation("latest", "Errors", 10 * DAY + HOUR, "latest", false, false),
        // An enforcing block, then the deploy anyway.
        evaluation("bypass", "Errors", 2 * DAY + 10 * 60_000, "v1", false, true),
        // Blocked, a retry passed, then the deploy.
        evaluation("retry", "Errors", 2 * DAY + 20 * 60_000, "v1", false, true),
        evaluation("retry", "Errors", 2 * DAY + 5 * 60_000, "v1", false, false),
        // Evaluated 3 minutes into the deploy's pipeline, which CD dates from its start.
        evaluation("pipeline", "Errors", 2 * DAY - 3 * 60_000, "v1", false, false),
        evaluation("dry", "Errors", 2 * DAY + 60_000, "v1", true, false),
    ];
    // An evaluation that never finished.
    evaluations.push(running("running", 2 * DAY + 5 * 60_000, "v1"));
    let mut dora = vec![
        deployment("after", "v1", 3 * DAY),
        deployment("bypass", "v1", 2 * DAY),
        deployment("retry", "v1", 2 * DAY),
        deployment_lasting("pipeline", "v1", 2 * DAY, 15 * 60_000),
        deployment("running", "v1", 2 * DAY),
        deployment("dry", "v1", 2 * DAY),
    ];
    dora.extend((0..10).map(|i| deployment("latest", "latest", 10 * DAY - i * DAY)));
    let (dir, sandbox) = seeded(evaluations, dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]));
    let placed = |name: &str| {
        let s = service(&doc, &format!("{name}/production"));
        ["gated_enforced", "gated_dry_run", "bypassed", "ungated"].map(|k| s[k].as_u64().unwrap())
    };
    // (the case, [enforcing, dry run only, bypassed, through none])
    for (case, expected) in [
        ("after", [0, 0, 0, 1]),
        ("latest", [1, 0, 0, 9]),
        ("bypass", [0, 0, 1, 0]),
        ("retry", [1, 0, 0, 0]),
        ("pipeline", [1, 0, 0, 0]),
        ("running", [0, 0, 0, 1]),
        ("dry", [0, 1, 0, 0]),
    ] {
        assert_eq!(placed(case), expected, "{case}");
    }
    assert_eq!(doc["bypassed"].as_array().unwrap().len(), 1, "first in the document too: {doc:#}");
    let bypass = &service(&doc, "bypass/production")["bypasses"][0];
    assert_eq!(&doc["bypassed"][0], bypass);
    assert_eq!((&bypass["version"], &bypass["gate"]), (&json!("v1"), &json!("bypass/production/default")), "{bypass}");
    // Bypassed deploys lead every format.
    let text = run_ok(&sandbox, dir.path(), &["coverage"]).stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[3], "bypass/production: 1 deployment shipped although an enforcing gate blocked it", "{text}");
    assert!(
        lines[4].starts_with("  version \"v1\" deployed at ")
            && lines[4].contains(", blocked by bypass/production/default at "),
        "{text}"
    );
    assert!(lines[0].contains("1 shipped through an enforcing gate's block"), "{text}");
    let markdown = run_ok(&sandbox, dir.path(), &["coverage", "--format", "markdown"]).stdout;
    let first = markdown.lines().find(|l| l.starts_with("- ")).unwrap();
    assert_eq!(
        first, "- **bypass/production: 1 deployment shipped although an enforcing gate blocked it**",
        "{markdown}"
    );
}

#[test]
fn a_files_max_gap_narrows_what_counts_as_gated() {
    let evaluations = vec![evaluation("checkout", "Errors", 2 * DAY + 2 * HOUR, "v1", false, false)];
    let dora = vec![deployment("checkout", "v1", 2 * DAY)];
    let (dir, sandbox) = seeded(evaluations, dora, Faults::default());
    let gated = |doc: &Value| service(doc, "checkout/production")["gated_enforced"].clone();
    assert_eq!(gated(&json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]))), 1);
    write(dir.path(), "gates.toml", &format!("{GATES}\n[coverage]\nmax_gap = \"1h\"\n"));
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]));
    assert_eq!(
        (gated(&doc), &doc["max_gap_seconds"]),
        (json!(0), &json!(3600)),
        "two hours before is past a gap of one"
    );
    write(dir.path(), "gates.toml", &format!("{GATES}\n[coverage]\nmax_gap = \"2d\"\n"));
    let refused = sandbox.gatesctl(dir.path(), &["coverage"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("`max_gap` of [coverage] must be between 1m and 24h"), "{refused:?}");
}

#[test]
fn a_window_holding_more_than_a_thousand_deployments_is_read_whole() {
    // 2,500 deployments in a fortnight: each full answer is followed by one from its last item.
    let dora: Vec<StoredDoraEvent> =
        (0..2_500).map(|i| deployment("billing", &format!("v{i}"), HOUR + i * (13 * DAY / 2_500))).collect();
    let (dir, sandbox) = seeded(Vec::new(), dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["coverage", "--format", "json"]));
    assert_eq!(service(&doc, "billing/production")["deployments"], 2_500, "none lost, none twice");
    let asked = sandbox.requests().into_iter().filter(|r| r.path == "/api/v2/dora/deployments").count();
    assert_eq!(asked, 3, "each full answer followed from its last item's time: 1,000, 1,000, then the rest");
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
        json!({"caught": 1, "overridden": 0, "false_alarms": 0, "missed": 1, "clean": 1, "evaluations": 3})
    );
    let search = gate("search/production/default");
    assert_eq!(
        search["efficacy"],
        json!({"caught": 1, "overridden": 0, "false_alarms": 1, "missed": 0, "clean": 1, "evaluations": 3})
    );
    assert!(search["why"].as_str().unwrap().contains("where no failure followed"), "{search:#}");
    assert!(
        search["why"]
            .as_str()
            .unwrap()
            .contains("would have caught the 1 failure that followed its evaluations; 1 false alarm in 3 evaluations"),
        "{search:#}"
    );
    assert_eq!(
        gate("payments/production/default")["efficacy"],
        json!({"caught": 0, "overridden": 0, "false_alarms": 0, "missed": 0, "clean": 0, "evaluations": 0})
    );
    assert_eq!(
        doc["dora"],
        json!({"read": true, "failures": 4, "why": null, "unattributed": {"no_env": 0, "unknown_service": 0}})
    );
    let text = run_ok(&sandbox, dir.path(), &["report"]).stdout;
    assert!(
        text.contains(
            "  record: caught 1 of the 2 failures that followed its evaluations; 0 false alarms in 3 evaluations\n"
        ),
        "{text}"
    );
    let markdown = run_ok(&sandbox, dir.path(), &["report", "--format", "markdown"]).stdout;
    assert!(markdown.contains("#### Against the failures that followed"), "{markdown}");
    assert!(markdown.contains("- `search/production/default` would have caught the 1 failure that followed its evaluations; 1 false alarm in 3 evaluations"), "{markdown}");
}

#[test]
fn a_failure_is_charged_only_to_the_evaluations_before_it_once_per_gate() {
    let evaluations = vec![
        // checkout blocked `hotfix` four times; an incident of `hotfix` came after the first.
        evaluation("checkout", "Errors", 5 * DAY, "hotfix", false, true),
        evaluation("checkout", "Errors", 4 * DAY, "hotfix", false, true),
        evaluation("checkout", "Errors", 3 * DAY, "hotfix", false, true),
        evaluation("checkout", "Errors", 2 * DAY, "hotfix", false, true),
        // payments blocked v1, a retry passed it, it shipped and failed.
        evaluation("payments", "Errors", 5 * DAY, "v1", false, true),
        evaluation("payments", "Errors", 5 * DAY - HOUR, "v1", false, false),
    ];
    let mut unattributed = failure(&["checkout"], "", 3 * DAY);
    unattributed.attributes.as_object_mut().unwrap().remove("env");
    let dora = vec![
        failure(&["checkout"], "hotfix", 5 * DAY - HOUR),
        failure(&["payments"], "v1", 5 * DAY - 2 * HOUR),
        unattributed,
        failure(&["someone-else"], "", 3 * DAY),
    ];
    let (dir, sandbox) = seeded(evaluations, dora, Faults::default());
    let doc = json_of(&run_ok(&sandbox, dir.path(), &["report", "--format", "json"]));
    let gate = |key: &str| doc["gates"].as_array().unwrap().iter().find(|g| g["gate"] == key).unwrap().clone();
    assert_eq!(
        gate("checkout/production/default")["efficacy"],
        json!({"caught": 1, "overridden": 0, "false_alarms": 3, "missed": 0, "clean": 0, "evaluations": 4}),
        "one caught, three false alarms: the incident came after the first block only"
    );
    assert_eq!(
        gate("payments/production/default")["efficacy"],
        json!({"caught": 1, "overridden": 1, "false_alarms": 0, "missed": 0, "clean": 0, "evaluations": 2}),
        "caught and overridden, never both caught and missed"
    );
    assert_eq!(doc["dora"]["unattributed"], json!({"no_env": 1, "unknown_service": 0}), "{:#}", doc["dora"]);
    let text = run_ok(&sandbox, dir.path(), &["report"]).stdout;
    assert!(text.contains("  record: caught the 1 failure that followed its evaluations (1 block overridden by a passing retry, and shipped anyway); 0 false alarms in 2 evaluations\n"), "{text}");
    assert!(
        text.contains("1 failure (DORA) could be charged to no gate and is in no record: 1 names no env."),
        "{text}"
    );
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
