//! The whole rule as the API has it: every monitor option in files, plans, drift, import and
//! the sandbox's evaluations, defaults settling either way, and options gatesctl does not know
//! never erased.

use std::path::Path;

use gatesctl_sandbox::{Faults, SandboxOptions};
use serde_json::{json, Value};

use crate::common::{run_ok, write, Http, TestSandbox, NO_CHANGES};

/// Every option of the current API, one default spelled out and one left out.
const EVERY_OPTION: &str = r#"version = 1

[[gates]]
service = "checkout"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:checkout env:production"
  duration = 300
  warmup = 120
  fail_on_no_data = false
  fail_on_no_groups_found = true

  [[gates.rules]]
  name = "By id"
  type = "monitor"
  monitor_ids = [{ id = 1001, groups = ["region:eu", "region:us"] }, { id = "1002" }]
  warmup = 0
  fail_on_no_data = true

  [[gates.rules]]
  name = "Canary"
  type = "faulty_deployment_detection"
  duration = 900
  allowed_resources = ["POST /v1/charges"]
  extra_options = { future_knob = 7, nested = { on = true } }
"#;

fn settled(sandbox: &TestSandbox, dir: &Path, file: &str) {
    let run = sandbox.gatesctl(dir, &["plan", "--detailed-exitcode", "--no-monitor-check", "-f", file]);
    assert_eq!(run.code, 0, "{file} should settle: {run:?}");
    assert!(run.stdout.contains(NO_CHANGES), "{run:?}");
}

/// The options the sandbox holds for the rule `name` of the first gate of `service`.
fn stored_options(sandbox: &TestSandbox, service: &str, name: &str) -> Value {
    let store = sandbox.store();
    let gate = store.gates.iter().find(|g| g.service == service).expect("the gate exists");
    gate.rules.iter().find(|r| r.name == name).expect("the rule exists").options.clone()
}

#[test]
fn every_option_round_trips_through_apply_import_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", EVERY_OPTION);
    let sandbox = TestSandbox::start(dir.path());
    let plan = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check"]);
    for line in [
        "+ monitor_ids = [{ id = 1001, groups = [\"region:eu\", \"region:us\"] }, { id = 1002 }]",
        "+ warmup = 120",
        "+ fail_on_no_data = false",
        "+ fail_on_no_groups_found = true",
        "+ future_knob = 7",
    ] {
        assert!(plan.stdout.contains(line), "{line}: {plan:?}");
    }
    // Defaults are not worth a line of a create.
    assert!(!plan.stdout.contains("warmup = 0") && !plan.stdout.contains("fail_on_no_data = true"), "{plan:?}");
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // What the API holds: defaults left out, ids as decimal strings, the extra options kept.
    assert_eq!(
        stored_options(&sandbox, "checkout", "By id"),
        json!({"monitor_ids": [{"id": "1001", "groups": ["region:eu", "region:us"]}, {"id": "1002", "groups": []}]})
    );
    assert_eq!(
        stored_options(&sandbox, "checkout", "Errors"),
        json!({"query": "service:checkout env:production", "duration": 300, "warmup": 120, "fail_on_no_data": false, "fail_on_no_groups_found": true})
    );
    assert_eq!(stored_options(&sandbox, "checkout", "Canary")["nested"], json!({"on": true}));
    settled(&sandbox, dir.path(), "gates.toml");

    for (format, file) in [("toml", "imported.toml"), ("yaml", "imported.yaml")] {
        let import = run_ok(&sandbox, dir.path(), &["import", "--format", format, "-o", file]);
        assert!(
            import.stderr.contains("has options gatesctl does not model (future_knob = 7, nested = {\"on\":true})"),
            "{import:?}"
        );
        settled(&sandbox, dir.path(), file);
    }
    let toml = std::fs::read_to_string(dir.path().join("imported.toml")).unwrap();
    assert!(
        toml.contains("monitor_ids = [{ id = 1001, groups = [\"region:eu\", \"region:us\"] }, { id = 1002 }]"),
        "{toml}"
    );
    assert!(toml.contains("extra_options = { future_knob = 7, nested = { on = true } }"), "{toml}");
    let drift = sandbox.gatesctl(dir.path(), &["drift", "-f", "imported.toml"]);
    assert_eq!(drift.code, 0, "declared in extra_options, the options are no drift: {drift:?}");
}

#[test]
fn a_warmup_set_out_of_band_is_drift_and_planned_back_to_the_files_default() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", EVERY_OPTION);
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // Someone sets a warmup on "By id" in the UI.
    let http = Http::new(&sandbox);
    let options = json!({"monitor_ids": [{"id": "1001", "groups": ["region:eu", "region:us"]}, {"id": "1002", "groups": []}], "warmup": 600});
    assert_eq!(http.put_rule(&http.rule_path("checkout", "By id"), "By id", options), 200);

    let drift = sandbox.gatesctl(dir.path(), &["drift"]);
    assert_eq!(drift.code, 2, "{drift:?}");
    assert!(drift.stdout.contains("warmup  remote 600, declared 0"), "{drift:?}");
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "--detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{plan:?}");
    assert!(plan.stdout.contains("~ warmup = 600 → 0"), "never a silent reset: {plan:?}");
    let json = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    let change = doc["changes"].as_array().unwrap().iter().find(|c| c["rule"] == "By id").unwrap();
    assert_eq!(change["before"]["options"]["warmup"], 600);
    assert_eq!(change["after"]["options"].get("warmup"), None, "the file's default is left out: {change}");
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    settled(&sandbox, dir.path(), "gates.toml");
}

#[test]
fn an_option_gatesctl_does_not_know_survives_an_apply_and_is_shown() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", crate::common::SMALL);
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // The API grows an option tomorrow, and someone sets it.
    let http = Http::new(&sandbox);
    let options = json!({"query": "service:checkout env:production", "duration": 300, "future_knob": 7});
    assert_eq!(http.put_rule(&http.rule_path("checkout", "Errors"), "Errors", options), 200);
    // Alone, it is no change to make; drift names it.
    settled(&sandbox, dir.path(), "gates.toml");
    let drift = sandbox.gatesctl(dir.path(), &["drift"]);
    assert_eq!(drift.code, 2, "{drift:?}");
    assert!(drift.stdout.contains("future_knob  remote 7, declared (none)"), "{drift:?}");

    // The file changes another option of that rule: the update keeps it, and says so.
    write(dir.path(), "gates.toml", &crate::common::SMALL.replace("duration = 300", "duration = 600"));
    let plan = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check"]);
    assert!(plan.stdout.contains("~ duration = 300 → 600"), "{plan:?}");
    assert!(plan.stdout.contains("kept as is: future_knob = 7"), "{plan:?}");
    let markdown = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("Kept as is (options gatesctl does not model): `future_knob` = `7`"),
        "{markdown:?}"
    );
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(
        stored_options(&sandbox, "checkout", "Errors"),
        json!({"query": "service:checkout env:production", "duration": 600, "future_knob": 7})
    );
    settled(&sandbox, dir.path(), "gates.toml");
}

#[test]
fn every_bad_option_is_reported_on_its_line_in_both_formats() {
    // The same mistakes in both formats: the fixtures of the validation snapshots.
    let fixtures = crate::common::fixtures_dir("validate");
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(fixtures.join("monitor-options/gates.toml"), dir.path().join("gates.toml")).unwrap();
    std::fs::copy(fixtures.join("monitor-options-yaml/gates.yaml"), dir.path().join("gates.yaml")).unwrap();
    let expected = |lines: [usize; 11]| {
        let codes = [
            "gates::query-and-monitor-ids",
            "gates::missing-query",
            "gates::empty-value",
            "gates::known-extra-option",
            "gates::option-not-allowed",
            "gates::option-not-allowed",
            "gates::bad-monitor-id",
            "gates::unknown-key",
            "gates::duplicate-monitor-id",
            "gates::missing-key",
            "gates::out-of-range",
        ];
        let mut pairs: Vec<(String, usize)> = codes.iter().map(|c| c.to_string()).zip(lines).collect();
        pairs.sort();
        pairs
    };
    for (file, lines) in [
        ("gates.toml", [11, 13, 20, 33, 31, 32, 25, 25, 25, 25, 26]),
        ("gates.yaml", [9, 10, 14, 23, 21, 22, 17, 17, 17, 17, 18]),
    ] {
        let run = crate::common::gatesctl(dir.path(), &["validate", "--format", "json", "-f", file], &[]);
        assert_eq!(run.code, 1, "{run:?}");
        let doc: Value = serde_json::from_str(&run.stdout).unwrap();
        let mut found: Vec<(String, usize)> = doc["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["code"].as_str().unwrap().to_string(), d["line"].as_u64().unwrap() as usize))
            .collect();
        found.sort();
        assert_eq!(found, expected(lines), "{file}: {}", run.stdout);
    }
}

#[test]
fn the_sandbox_evaluates_each_option_as_the_service_does() {
    let dir = tempfile::tempdir().unwrap();
    let monitors = gatesctl_sandbox::monitors::parse_file(
        r#"
[[monitors]]
id = 10
name = "Errors"
status = "No Data"
tags = ["service:checkout"]

[[monitors]]
id = 20
name = "Regions"
tags = ["service:regions"]
groups = { "region:eu" = "OK", "region:us" = "Alert" }
"#,
    )
    .unwrap();
    // Each gate one rule, its options, and what its evaluation answers.
    let cases = [
        ("nodata-fails", r#"query = "service:checkout""#, 1, "One or more monitors in NO_DATA state"),
        ("nodata-allowed", "query = \"service:checkout\"\n  fail_on_no_data = false", 0, "All monitors in OK state"),
        ("nothing-found-passes", r#"query = "service:nobody""#, 0, "nothing to watch (fail_on_no_groups_found is off)"),
        (
            "nothing-found-fails",
            "query = \"service:nobody\"\n  fail_on_no_groups_found = true",
            1,
            "No monitors match the query",
        ),
        ("healthy-group", r#"monitor_ids = [{ id = 20, groups = ["region:eu"] }]"#, 0, "All monitors in OK state"),
        ("alerting-group", "monitor_ids = [{ id = 20 }]", 1, "One or more monitors in ALERT state"),
        ("missing-monitor", "monitor_ids = [{ id = 99 }]", 1, "Monitor 99 not found"),
        (
            "warming-up",
            "monitor_ids = [{ id = 20, groups = [\"region:eu\"] }]\n  warmup = 1",
            0,
            "All monitors in OK state",
        ),
    ];
    let mut config = String::from("version = 1\n");
    for (service, options, _, _) in cases {
        let gate = format!("\n[[gates]]\nservice = \"{service}\"\nenv = \"production\"\n  [[gates.rules]]\n  name = \"r\"\n  type = \"monitor\"\n  {options}\n");
        config.push_str(&gate);
    }
    write(dir.path(), "gates.toml", &config);
    let options = SandboxOptions { monitors: Some(monitors), faults: Faults::default(), ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), options);
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let evaluate = |service: &str| {
        let started = std::time::Instant::now();
        let run = sandbox.gatesctl(
            dir.path(),
            &["evaluate", "--service", service, "--env", "production", "--interval", "50ms", "--timeout", "30s"],
        );
        (run, started.elapsed())
    };
    for (service, _, code, reason) in cases {
        let (run, _) = evaluate(service);
        assert_eq!(run.code, code, "{service}: {run:?}");
        assert!(run.stdout.contains(reason), "{service}: {run:?}");
    }
    // The monitors are looked at once the warmup has passed, not before.
    let (run, took) = evaluate("warming-up");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(took >= std::time::Duration::from_secs(1), "answered before the warmup ended: {took:?}");
}

#[test]
fn the_monitor_check_looks_up_each_monitor_watched_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let monitors = gatesctl_sandbox::monitors::parse_file(
        r#"
[[monitors]]
id = 20
name = "Regions"
tags = ["service:regions"]
groups = { "region:eu" = "OK", "region:us" = "Alert" }
"#,
    )
    .unwrap();
    write(
        dir.path(),
        "gates.toml",
        r#"version = 1

[[gates]]
service = "regions"
env = "production"

  [[gates.rules]]
  name = "By id"
  type = "monitor"
  monitor_ids = [
    { id = 20, groups = ["region:eu", "region:ap"] },
    { id = 404 },
  ]
"#,
    );
    let sandbox =
        TestSandbox::start_with(dir.path(), SandboxOptions { monitors: Some(monitors), ..Default::default() });
    let run = run_ok(&sandbox, dir.path(), &["validate", "--online", "--format", "json"]);
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    let found: Vec<(String, String, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (d["code"].as_str().unwrap().into(), d["severity"].as_str().unwrap().into(), d["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        found,
        [
            ("gates::monitor-group-not-found".into(), "warning".into(), 11),
            ("gates::monitor-failing".into(), "note".into(), 11),
            ("gates::monitor-not-found".into(), "warning".into(), 12),
        ],
        "{}",
        run.stdout
    );
    let lookups: Vec<String> =
        sandbox.requests().into_iter().filter(|r| r.path.starts_with("/api/v1/monitor/")).map(|r| r.path).collect();
    assert_eq!(lookups, ["/api/v1/monitor/20", "/api/v1/monitor/404"], "one lookup per monitor, by id");
    let strict = sandbox.gatesctl(dir.path(), &["validate", "--online", "--strict"]);
    assert_eq!(strict.code, 1, "a monitor that does not exist fails --strict: {strict:?}");
    assert!(strict.stderr.contains("monitor 404 does not exist"), "{strict:?}");
}

#[test]
fn the_gate_list_filters_by_service_env_identifier_and_dry_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = r#"version = 1
[[gates]]
service = "a"
envs = ["staging", "production"]
[[gates]]
service = "b"
env = "production"
identifier = "canary"
dry_run = true
"#;
    write(dir.path(), "gates.toml", config);
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let http = Http::new(&sandbox);
    let keys = |query: &str| -> Vec<String> {
        let (status, body) = http.get(&format!("/api/v2/deployment_gates?{query}"));
        assert_eq!(status, 200, "{query}: {body}");
        // Gates are listed in creation order, and apply creates them concurrently.
        let mut keys: Vec<String> = body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                let a = &g["attributes"];
                format!(
                    "{}/{}/{}",
                    a["service"].as_str().unwrap(),
                    a["env"].as_str().unwrap(),
                    a["identifier"].as_str().unwrap()
                )
            })
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(keys("filter%5Bservice%5D=a"), ["a/production/default", "a/staging/default"]);
    assert_eq!(keys("filter%5Benv%5D=production"), ["a/production/default", "b/production/canary"]);
    assert_eq!(keys("filter%5Bidentifier%5D=canary"), ["b/production/canary"]);
    assert_eq!(keys("filter%5Bdry_run%5D=true"), ["b/production/canary"]);
    assert_eq!(keys("filter%5Bservice%5D=a&filter%5Benv%5D=staging&page%5Bsize%5D=1"), ["a/staging/default"]);
    assert!(keys("filter%5Bservice%5D=nobody").is_empty());
    let (status, body) = http.get("/api/v2/deployment_gates?filter%5Bdry_run%5D=maybe");
    assert_eq!((status, body["errors"][0]["detail"].as_str()), (400, Some("filter[dry_run] must be true or false")));
}

#[test]
fn evaluate_sends_inline_only_what_the_api_inline_configuration_takes() {
    // Monitor 1201 of the example organisation is in ALERT.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "gates.toml",
        r#"version = 1

[[gates]]
service = "search"
env = "production"

  [[gates.rules]]
  name = "Latency by id"
  type = "monitor"
  monitor_ids = [{ id = 1201 }]

[[gates]]
service = "search"
env = "staging"

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search"
  duration = 60
"#,
    );
    let sandbox = TestSandbox::start(dir.path());
    let evaluate = |env: &str, extra: &[&str]| {
        let args = [&["evaluate", "--service", "search", "--env", env, "--interval", "50ms"], extra].concat();
        sandbox.gatesctl(dir.path(), &args)
    };
    // The API's inline rules take a query and a duration: monitor_ids is refused before any request.
    let jit = evaluate("production", &["--jit"]);
    assert_eq!(jit.code, 1, "{jit:?}");
    assert!(
        jit.stderr.contains("uses `monitor_ids`, which the API's inline (just-in-time) configuration does not take"),
        "{jit:?}"
    );
    assert!(sandbox.mutations().is_empty(), "nothing was sent: {:?}", sandbox.mutations());
    // A query rule goes inline and gets its verdict.
    let jit = evaluate("staging", &["--jit"]);
    assert_eq!(jit.code, 1, "{jit:?}");
    assert!(jit.stdout.contains("One or more monitors in ALERT state"), "{jit:?}");

    // datadog-ci's file: the same check; a query rule in dry run (its `dryRun`) reports the
    // failure and passes.
    let refused = json!({"dryRun": false, "rules": [
        {"name": "Latency by id", "type": "monitor", "dryRun": true, "options": {"monitor_ids": [{"id": "1201", "groups": []}]}},
    ]});
    write(dir.path(), "refused.json", &refused.to_string());
    let run = evaluate("production", &["--config", "refused.json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("uses `monitor_ids`"), "{run:?}");
    let config = json!({"dryRun": false, "rules": [
        {"name": "Latency", "type": "monitor", "dryRun": true, "options": {"query": "service:search"}},
        {"name": "Nothing", "type": "monitor", "dryRun": false, "options": {"query": "service:nobody"}},
    ]});
    write(dir.path(), "config.json", &config.to_string());
    let run = evaluate("production", &["--config", "config.json", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["rules"][0]["status"], "fail", "{doc}");
    assert_eq!(doc["rules"][0]["dry_run"], true, "{doc}");
    assert_eq!(doc["rules"][1]["status"], "pass", "{doc}");

    // The sandbox answers 400 to what the API's schema refuses inline, as the service does.
    let http = crate::common::Http::new(&sandbox);
    for options in [
        json!({"monitor_ids": [{"id": "1201"}]}),
        json!({"query": "x", "warmup": 60}),
        json!({"query": "x", "fail_on_no_data": false}),
    ] {
        let body = json!({"data": {"type": "deployment_gates_evaluation_request", "attributes": {
            "service": "search", "env": "production",
            "configuration": {"rules": [{"name": "r", "type": "monitor", "options": options}]},
        }}});
        let (status, answer) = http.post("/api/v2/deployments/gates/evaluation", body);
        assert_eq!(status, 400, "{options}: {answer}");
        assert!(
            answer["errors"][0]["detail"].as_str().unwrap().contains("is not allowed in an inline configuration"),
            "{answer}"
        );
    }
}

#[test]
fn unknown_options_round_trip_exactly_through_import_and_apply() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "gates.toml",
        "version = 1\n[[gates]]\nservice = \"checkout\"\nenv = \"production\"\n  [[gates.rules]]\n  name = \"Canary\"\n  type = \"faulty_deployment_detection\"\n  duration = 900\n",
    );
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // Options of tomorrow's API, set in the UI: a null, an integer beyond 64 bits, a decimal
    // beyond a double, and an object that looks like gatesctl's own spelling of such values.
    let http = Http::new(&sandbox);
    let ids = http.rule_path("checkout", "Canary");
    let options: Value = serde_json::from_str(
        r#"{"duration": 900, "nothing": null, "big": 18446744073709551617, "precise": 0.10000000000000000555111512312578271,
            "lookalike": {"$json": "1"}, "fine": {"list": [1, 2.5, "x"]}}"#,
    )
    .unwrap();
    assert_eq!(http.put_rule(&ids, "Canary", options), 200);
    let exact = |text: &str| {
        for expected in ["18446744073709551617", "0.10000000000000000555111512312578271", "\"nothing\":null"] {
            assert!(text.contains(expected), "{expected} in {text}");
        }
    };
    exact(&stored_options(&sandbox, "checkout", "Canary").to_string());

    for (format, file) in [("toml", "imported.toml"), ("yaml", "imported.yaml")] {
        let import = run_ok(&sandbox, dir.path(), &["import", "--format", format, "-o", file]);
        assert!(import.stderr.contains("has options gatesctl does not model"), "{import:?}");
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains("18446744073709551617") && !text.contains("18446744073709552000"), "{text}");
        settled(&sandbox, dir.path(), file);
        let drift = sandbox.gatesctl(dir.path(), &["drift", "-f", file]);
        assert_eq!(drift.code, 0, "{drift:?}");
        // A change of a known option sends the unknown ones back exactly as they were.
        std::fs::write(dir.path().join(file), text.replace("900", "1200")).unwrap();
        run_ok(&sandbox, dir.path(), &["apply", "--auto-approve", "-f", file]);
        let stored = stored_options(&sandbox, "checkout", "Canary");
        assert_eq!(stored["duration"], 1200, "{stored}");
        exact(&stored.to_string());
        assert_eq!(stored["lookalike"], json!({"$json": "1"}), "an object of the API stays an object");
        assert_eq!(stored["fine"], json!({"list": [1, 2.5, "x"]}));
        assert_eq!(
            http.put_rule(&ids, "Canary", serde_json::from_str(&stored.to_string().replace("1200", "900")).unwrap()),
            200
        );
    }
}
