//! `gatesctl report` against a sandbox with a seeded history: exact counts, the window's
//! edges, paging, each recommendation, and `--write` changing exactly the promoted lines.

use std::path::Path;

use gatesctl_sandbox::store::{Store, StoredEvaluation, StoredRuleEvaluation};
use serde_json::{json, Value};

use crate::common::{at, now, run_ok, write, TestSandbox};

const DAY: i64 = 24 * 3600 * 1000;
const MINUTE: i64 = 60 * 1000;
const HOUR_MS: i64 = 60 * MINUTE;

/// A rule's part: name, its mode then, its result, and the monitors that failed it.
struct Part<'a>(&'a str, bool, &'a str, &'a [u64]);

/// One finished evaluation of `service/env` that started `ago` ms before now. The gate answers
/// `fail` when a rule that is not in dry run fails and the gate is not in dry run, as the
/// service does.
fn evaluation(
    service: &str,
    env: &str,
    ago: i64,
    version: &str,
    gate_dry_run: bool,
    parts: &[Part],
) -> StoredEvaluation {
    let started = now() - ago;
    let failed = parts.iter().any(|p| p.2 == "fail" && !p.1);
    StoredEvaluation {
        id: String::new(),
        gate_id: None,
        service: service.into(),
        env: env.into(),
        identifier: "default".into(),
        version: version.into(),
        dry_run: gate_dry_run,
        started_at: at(started),
        finished_at: Some(at(started + 90_000)),
        status: if failed && !gate_dry_run { "fail" } else { "pass" }.into(),
        rules: parts
            .iter()
            .map(|Part(name, dry_run, status, monitors)| StoredRuleEvaluation {
                id: String::new(),
                rule_id: None,
                name: name.to_string(),
                rule_type: if name.starts_with("Faulty") { "faulty_deployment_detection" } else { "monitor" }.into(),
                dry_run: *dry_run,
                // As the files below declare them: the evaluations are about today's rules.
                configuration: if name.starts_with("Faulty") {
                    json!({"duration": 900})
                } else {
                    json!({"query": format!("service:{service}")})
                },
                status: status.to_string(),
                reason: if *status == "fail" {
                    "One or more monitors in ALERT state"
                } else {
                    "All monitors in OK state"
                }
                .into(),
                failures: json!({"faulty_apm_resources": [], "narratives": [],
                    "monitors": monitors.iter().map(|id| json!({"id": id, "state": "Alert"})).collect::<Vec<_>>()}),
                warmup: 0,
            })
            .collect(),
    }
}

const GATES_TOML: &str = r#"# Gates of the shop team.
version = 1

[[gates]]
service = "cart"        # 13 clean evaluations: promote
env = "staging"
dry_run = true          # watching it first

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:cart"

[[gates]]
service = "stock"       # two would-be blocks: keep in dry run
env = "staging"
dry_run = true

  [[gates.rules]]
  name = "Sync lag"
  type = "monitor"
  query = "service:stock"

[[gates]]
service = "web"         # three evaluations: too few
env = "qa"
dry_run = true

[[gates]]
service = "search"      # enforced; its new rule has earned it
env = "production"

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search"

  [[gates.rules]]
  name = "Faulty deployment detection"
  type = "faulty_deployment_detection"
  duration = 900
  dry_run = true   # new

[[gates]]
service = "auth"        # never evaluated
env = "production"
dry_run = true
"#;

const GATES_YAML: &str = r#"# Gates of the shop team.
version: 1
gates:
  - service: cart        # 13 clean evaluations: promote
    env: staging
    dry_run: true        # watching it first
    rules:
      - name: Errors
        type: monitor
        query: "service:cart"

  - service: stock       # two would-be blocks: keep in dry run
    env: staging
    dry_run: true
    rules:
      - name: Sync lag
        type: monitor
        query: "service:stock"

  - service: web         # three evaluations: too few
    env: qa
    dry_run: true

  - service: search      # enforced; its new rule has earned it
    env: production
    rules:
      - name: Latency
        type: monitor
        query: "service:search"
      - name: Faulty deployment detection
        type: faulty_deployment_detection
        duration: 900
        dry_run: true    # new

  - service: auth        # never evaluated
    env: production
    dry_run: true
"#;

/// The history of the shop team's gates over the last fortnight, and just outside it.
fn history() -> Vec<StoredEvaluation> {
    let mut out = Vec::new();
    for i in 0..12 {
        out.push(evaluation(
            "cart",
            "staging",
            i * DAY + 60 * MINUTE,
            &format!("v1.{i}"),
            true,
            &[Part("Errors", false, "pass", &[])],
        ));
    }
    // Just inside the window: counted. Just outside: a failure that must not count.
    out.push(evaluation(
        "cart",
        "staging",
        14 * DAY - 10 * MINUTE,
        "v0.9",
        true,
        &[Part("Errors", false, "pass", &[])],
    ));
    out.push(evaluation(
        "cart",
        "staging",
        14 * DAY + 10 * MINUTE,
        "v0.8",
        true,
        &[Part("Errors", false, "fail", &[7])],
    ));
    // Still running: not counted.
    let mut running = evaluation("cart", "staging", MINUTE, "v1.12", true, &[Part("Errors", false, "pass", &[])]);
    running.finished_at = Some(at(now() + 3600 * 1000));
    out.push(running);
    for i in 0..12 {
        let status = if i == 3 || i == 7 { "fail" } else { "pass" };
        out.push(evaluation(
            "stock",
            "staging",
            i * DAY + 2 * 3600 * 1000,
            &format!("v5.{i}"),
            true,
            &[Part("Sync lag", false, status, &[1302])],
        ));
    }
    for i in 0..3 {
        out.push(evaluation("web", "qa", i * DAY + 3 * 3600 * 1000, "", true, &[]));
    }
    for i in 0..12 {
        let status = if i == 5 { "fail" } else { "pass" };
        let mut parts =
            vec![Part("Latency", false, status, &[1201]), Part("Faulty deployment detection", true, "pass", &[])];
        if i >= 10 {
            parts.push(Part("Old latency", false, "pass", &[]));
        }
        out.push(evaluation("search", "production", i * DAY + 4 * 3600 * 1000, &format!("v3.{i}"), false, &parts));
    }
    out
}

/// The shop team's monitors: each rule's query matches one, so every rule watches something.
const MONITORS: &str = r#"
[[monitors]]
name = "Cart errors"
tags = ["service:cart"]

[[monitors]]
name = "Stock sync lag"
tags = ["service:stock"]

[[monitors]]
name = "Search latency"
tags = ["service:search"]
"#;

fn seeded(file: &str, text: &str, evaluations: Vec<StoredEvaluation>) -> (tempfile::TempDir, TestSandbox) {
    seeded_in(file, text, MONITORS, evaluations)
}

/// `text` written to `file`, beside a sandbox holding the monitors of `monitors` and
/// `evaluations`.
fn seeded_in(
    file: &str,
    text: &str,
    monitors: &str,
    evaluations: Vec<StoredEvaluation>,
) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), file, text);
    let monitors = gatesctl_sandbox::monitors::parse_file(monitors).unwrap();
    let store = Store {
        gates: Vec::new(),
        monitors: Some(monitors),
        evaluations: Some(evaluations),
        dora: Some(Vec::new()),
        ..Default::default()
    };
    store.save(&dir.path().join("sandbox.json")).unwrap();
    let sandbox = TestSandbox::start(dir.path());
    (dir, sandbox)
}

fn report_json(sandbox: &TestSandbox, dir: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["report", "--format", "json"];
    args.extend_from_slice(extra);
    let run = run_ok(sandbox, dir, &args);
    serde_json::from_str(&run.stdout).unwrap()
}

fn gate<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["gates"].as_array().unwrap().iter().find(|g| g["gate"] == name).unwrap_or_else(|| panic!("{name} in {doc:#}"))
}

fn rule<'a>(gate: &'a Value, name: &str) -> &'a Value {
    gate["rules"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name} in {gate:#}"))
}

#[test]
fn each_gate_and_rule_is_counted_exactly_and_judged() {
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    let doc = report_json(&sandbox, dir.path(), &[]);
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/report.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(
        (&cart["evaluations"], &cart["in_progress"], &cart["would_block"], &cart["recommendation"]),
        (&json!(13), &json!(1), &json!(0), &json!("promote")),
        "the evaluation 10 minutes past the window does not count, nor the one running: {cart:#}"
    );
    assert_eq!(rule(cart, "Errors")["recommendation"], "enforced");

    let stock = gate(&doc, "stock/staging/default");
    assert_eq!((&stock["evaluations"], &stock["would_block"]), (&json!(12), &json!(2)));
    assert_eq!(stock["recommendation"], "keep-dry-run");
    let blocks = stock["blocks"].as_array().unwrap();
    assert_eq!(
        blocks.iter().map(|b| b["version"].as_str().unwrap()).collect::<Vec<_>>(),
        ["v5.3", "v5.7"],
        "newest first"
    );
    assert_eq!(blocks[0]["rules"][0]["monitors"], json!([{"id": "1302", "state": "Alert"}]));
    assert_eq!(blocks[0]["rules"][0]["configuration"], json!({"query": "service:stock"}));
    assert_eq!(stock["causes"], json!({"alert": 2, "no_data": 0, "faulty_resources": 0, "other": 0}));
    assert!(
        stock["why"]
            .as_str()
            .unwrap()
            .contains("it would have blocked 2 of 12 evaluations (17%), more than the 0% allowed"),
        "{stock:#}"
    );
    let lag = rule(stock, "Sync lag");
    assert_eq!((&lag["failures"], &lag["blocked"]), (&json!(2), &json!(0)), "its gate was in dry run: nothing blocked");

    // Its evaluations held no rule result: no data, never clean passes.
    let web = gate(&doc, "web/qa/default");
    assert_eq!(
        (&web["evaluations"], &web["no_data"], &web["recommendation"]),
        (&json!(0), &json!(3), &json!("keep-dry-run"))
    );
    assert!(web["why"].as_str().unwrap().contains("3 evaluations held no rule result"), "{web:#}");

    let search = gate(&doc, "search/production/default");
    assert_eq!(
        (&search["evaluations"], &search["blocked"], &search["recommendation"]),
        (&json!(12), &json!(1), &json!("enforced"))
    );
    let fdd = rule(search, "Faulty deployment detection");
    assert_eq!(
        (&fdd["evaluations"], &fdd["failures"], &fdd["recommendation"]),
        (&json!(12), &json!(0), &json!("promote"))
    );
    let latency = rule(search, "Latency");
    assert_eq!(
        (&latency["failures"], &latency["blocked"], &latency["recommendation"]),
        (&json!(1), &json!(1), &json!("enforced"))
    );
    let old = rule(search, "Old latency");
    assert_eq!(
        (&old["declared"], &old["evaluations"], &old["recommendation"]),
        (&json!(false), &json!(2), &Value::Null)
    );

    // No rule, so nothing it could block: never worth enforcing, whatever its history.
    let auth = gate(&doc, "auth/production/default");
    assert_eq!((&auth["evaluations"], &auth["recommendation"]), (&json!(0), &json!("keep-dry-run")));
    assert!(auth["why"].as_str().unwrap().contains("it would block nothing"), "{auth:#}");
    assert_eq!(auth["days"].as_array().unwrap().len(), 14);

    assert_eq!(doc["summary"]["promote"], json!({"gates": 1, "rules": 1}));
    assert_eq!(
        doc["summary"]["keep_dry_run"],
        json!({"gates": 3, "rules": 0}),
        "stock, and the two gates without rules"
    );
    assert_eq!(doc["written"], Value::Null);
}

#[test]
fn the_bar_is_set_by_the_flags() {
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    let doc = report_json(&sandbox, dir.path(), &["--min-evaluations", "3", "--max-block-percent", "20"]);
    assert_eq!(gate(&doc, "web/qa/default")["recommendation"], "keep-dry-run", "no data is not evidence");
    assert_eq!(gate(&doc, "stock/staging/default")["recommendation"], "promote", "2 of 12 is under 20%");
    let narrow = report_json(&sandbox, dir.path(), &["--since", "5d", "--target", "cart/*"]);
    assert_eq!(narrow["gates"].as_array().unwrap().len(), 1);
    assert_eq!(gate(&narrow, "cart/staging/default")["evaluations"], 5);
    assert_eq!(narrow["window"]["days"], 5);
    let asked: Vec<String> = sandbox.requests().into_iter().map(|r| format!("{}?{}", r.path, r.query)).collect();
    assert!(
        asked.iter().any(|p| p.contains("evaluations?")
            && p.contains("filter%5Bservice%5D=cart")
            && p.contains("filter%5Benv%5D=staging")),
        "the history of one gate is filtered on the server: {asked:#?}"
    );
}

#[test]
fn text_and_markdown_show_the_days_and_the_reasons() {
    let mut evaluations = history();
    evaluations[14].rules[0].reason = "cc @acme/sre see https://evil.example </details> \u{1b}[2J".into();
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, evaluations);
    let text = run_ok(&sandbox, dir.path(), &["report"]).stdout;
    assert!(text.contains("cart/staging/default: promote\n  dry run · 13 evaluations on 13 days, 13 versions, 1 in progress · 0 would have blocked · clean since "), "{text}");
    assert!(text.contains(" · ✓·✓✓✓✓✓✓✓✓✓✓✓✓\n"), "{text}");
    assert!(text.contains("stock/staging/default: keep-dry-run"), "{text}");
    assert!(text.contains("  why: it would have blocked 2 of 12 evaluations (17%), more than the 0% allowed\n  needs: no block in the window (the newest leaves it on "), "{text}");
    assert!(text.contains("2 would have blocked (2 with a monitor in ALERT)"), "{text}");
    assert!(text.contains("web/qa/default: keep-dry-run"), "{text}");
    assert!(text.contains("3 evaluations held no rule result"), "{text}");
    assert!(text.contains("would have blocked version \"v5.3\" at "), "{text}");
    assert!(text.contains("(monitor 1302 Alert)"), "{text}");
    assert!(text.contains("rule \"Old latency\": no longer declared"), "{text}");
    assert!(!text.contains('\u{1b}'), "API text is escaped on a terminal");

    let markdown = run_ok(&sandbox, dir.path(), &["report", "--format", "markdown"]).stdout;
    assert!(markdown.starts_with("<!-- gatesctl:report -->"), "{markdown}");
    assert!(markdown.contains("| `stock/staging/default` | dry run | 12 | 0 | 2 would have | "), "{markdown}");
    assert!(
        markdown.contains("| `cart/staging/default` | dry run | 13 | 1 | 0 would have | "),
        "in-progress counts: {markdown}"
    );
    assert!(
        markdown.contains("| `web/qa/default` | dry run | 0 (+3 not counted) | 0 | 0 would have | – | "),
        "{markdown}"
    );
    assert!(markdown.contains("🟥") && markdown.contains("🟨"), "{markdown}");
    assert!(markdown.contains("#### Why not promoted yet"), "{markdown}");
    assert!(
        markdown.contains("- `stock/staging/default`: it would have blocked 2 of 12 evaluations (17%)"),
        "{markdown}"
    );
    assert!(markdown.contains("would have blocked `v5.3`"), "reasons are visible without expanding: {markdown}");
    assert!(
        !markdown.contains("@acme") && !markdown.contains("https://evil") && !markdown.contains("</details>"),
        "{markdown}"
    );
}

#[test]
fn history_is_read_across_pages() {
    let evaluations: Vec<StoredEvaluation> = (0..130)
        .map(|i| {
            evaluation(
                "cart",
                "staging",
                i * 60 * MINUTE + 10 * MINUTE,
                "v",
                true,
                &[Part("Errors", false, "pass", &[])],
            )
        })
        .collect();
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, evaluations);
    let doc = report_json(&sandbox, dir.path(), &["--target", "cart/staging"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(cart["evaluations"], 130);
    assert_eq!(rule(cart, "Errors")["evaluations"], 130);
    let paged: Vec<String> = sandbox
        .requests()
        .into_iter()
        .map(|r| format!("{}?{}", r.path, r.query))
        .filter(|p| p.contains("page%5Bcursor%5D"))
        .collect();
    assert!(paged.iter().any(|p| p.contains("evaluations/rules?")), "{paged:#?}");
    assert!(paged.iter().any(|p| p.contains("evaluations?")), "{paged:#?}");
}

#[test]
fn a_window_longer_than_the_api_serves_is_refused() {
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    let run = sandbox.gatesctl(dir.path(), &["report", "--since", "31d"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("longer than the 30 days"), "{run:?}");
    assert!(sandbox.requests().is_empty(), "nothing was asked");
    // Shorter than a minute, or a number without its unit: refused, not read as "the last 1 day"
    // or 14 seconds.
    for (since, said) in [("1ms", "shorter than a minute"), ("999ms", "shorter than a minute"), ("14", "has no unit")] {
        for command in ["report", "coverage"] {
            let run = sandbox.gatesctl(dir.path(), &[command, "--since", since]);
            assert_eq!(run.code, 1, "{command} --since {since}: {run:?}");
            assert!(run.stderr.contains(said), "{command} --since {since}: {run:?}");
        }
    }
    let run = run_ok(&sandbox, dir.path(), &["report", "--since", "90m"]);
    assert!(run.stdout.starts_with("Evaluation history of 5 declared gates over the last 1h 30m."), "{run:?}");
}

/// `--write` changes exactly the promoted lines; the next plan shows exactly those updates.
fn writes_exactly_the_promotions(file: &str, text: &str, expected: &str) {
    let (dir, sandbox) = seeded(file, text, history());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let run = run_ok(&sandbox, dir.path(), &["report", "--write"]);
    assert!(run.stderr.contains(&format!("Wrote 1 gate and 1 rule in {file}")), "{run:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join(file)).unwrap(), expected);
    let plan = run_ok(&sandbox, dir.path(), &["plan", "--format", "json", "--no-monitor-check"]);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap();
    let changes: Vec<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            if c["kind"] == "rule" {
                assert_eq!(c["before"]["options"], c["after"]["options"], "only dry_run changes: {c:#}");
            }
            format!("{} {} dry_run {} -> {}", c["actions"], c["address"], c["before"]["dry_run"], c["after"]["dry_run"])
        })
        .collect();
    assert_eq!(
        changes,
        [
            r#"["update"] "cart/staging/default" dry_run true -> false"#,
            r#"["update"] "search/production/default/rules/Faulty deployment detection" dry_run true -> false"#
        ]
    );
    // Written again: nothing more to promote, nothing changes.
    let again = run_ok(&sandbox, dir.path(), &["report", "--write"]);
    assert!(again.stderr.contains("Nothing to write"), "{again:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join(file)).unwrap(), expected);
}

#[test]
fn write_changes_exactly_the_promoted_lines_of_a_commented_toml_file() {
    let expected = GATES_TOML
        .replace("dry_run = true          # watching it first", "dry_run = false          # watching it first")
        .replace("dry_run = true   # new", "dry_run = false   # new");
    writes_exactly_the_promotions("gates.toml", GATES_TOML, &expected);
}

#[test]
fn write_changes_exactly_the_promoted_lines_of_a_yaml_file() {
    let expected = GATES_YAML
        .replace("dry_run: true        # watching it first", "dry_run: false        # watching it first")
        .replace("dry_run: true    # new", "dry_run: false    # new");
    writes_exactly_the_promotions("gates.yaml", GATES_YAML, &expected);
}

#[test]
fn write_refuses_a_file_someone_changed_while_the_report_was_made() {
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // A colleague saves the file while gatesctl reads the history.
    let path = dir.path().join("gates.toml");
    let theirs = GATES_TOML.replace("# Gates of the shop team.", "# Gates of the shop team (and a colleague's edit).");
    let proxy = {
        let (path, theirs) = (path.clone(), theirs.clone());
        crate::common::Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.path.contains("/evaluations") {
                std::fs::write(&path, &theirs).unwrap();
            }
            crate::common::Reply::Forward
        })
    };
    let run = proxy.gatesctl(dir.path(), &["report", "--write"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "gates.toml: it changed on disk since gatesctl read it; nothing was written, so that change is kept"
        ),
        "{run:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), theirs, "the colleague's edit is kept");
}

#[test]
#[cfg(unix)]
fn write_leaves_a_file_its_owner_made_read_only() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let path = dir.path().join("gates.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = sandbox.gatesctl(dir.path(), &["report", "--write"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("gates.toml: it is read-only (its owner made it so)"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), GATES_TOML);
}

#[test]
fn write_keeps_a_byte_order_mark_and_crlf() {
    let text = format!("\u{feff}{}", GATES_TOML.replace('\n', "\r\n"));
    let (dir, sandbox) = seeded("gates.toml", &text, history());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let run = run_ok(&sandbox, dir.path(), &["report", "--write"]);
    assert!(run.stderr.contains("Wrote 1 gate and 1 rule in gates.toml"), "{run:?}");
    let written = std::fs::read(dir.path().join("gates.toml")).unwrap();
    let expected = text
        .replace("dry_run = true          # watching it first", "dry_run = false          # watching it first")
        .replace("dry_run = true   # new", "dry_run = false   # new");
    assert_eq!(String::from_utf8(written).unwrap(), expected, "the mark and the line ends are kept");
}

// ---------------------------------------------------------------------------------------------
// The traps a release engineer would set: evidence that does not deserve a promotion.

const TRAP: &str = r#"version = 1

[[gates]]
service = "cart"
env = "staging"
dry_run = true

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:cart"
"#;

/// `n` clean evaluations of cart/staging, one a day, each of its own version.
fn clean_days(n: i64) -> Vec<StoredEvaluation> {
    (0..n)
        .map(|i| {
            evaluation(
                "cart",
                "staging",
                i * DAY + 30 * MINUTE,
                &format!("v1.{i}"),
                true,
                &[Part("Errors", false, "pass", &[])],
            )
        })
        .collect()
}

fn strings(value: &Value) -> Vec<&str> {
    value.as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect()
}

/// Twelve clean dry-run evaluations of cart/staging at v1, three minutes apart: within one hour.
fn an_hour_of_clean_v1() -> Vec<StoredEvaluation> {
    (0..12)
        .map(|i| {
            evaluation(
                "cart",
                "staging",
                10 * MINUTE + i * 3 * MINUTE,
                "v1",
                true,
                &[Part("Errors", false, "pass", &[])],
            )
        })
        .collect()
}

#[test]
fn clean_evaluations_of_one_hour_and_one_version_are_not_enough() {
    let evaluations = an_hour_of_clean_v1();
    let (dir, sandbox) = seeded("gates.toml", TRAP, evaluations);
    let doc = report_json(&sandbox, dir.path(), &[]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(
        (&cart["evaluations"], &cart["recommendation"]),
        (&json!(12), &json!("too-few-evaluations")),
        "{cart:#}"
    );
    assert_eq!((&cart["days_evaluated"], &cart["versions"]), (&json!(1), &json!(1)));
    assert_eq!(strings(&cart["missing"]), ["4 more days", "2 more versions"]);
    assert!(cart["why"].as_str().unwrap().contains("evaluated on 1 day, of the 5 needed"), "{cart:#}");
    let text = run_ok(&sandbox, dir.path(), &["report"]).stdout;
    assert!(text.contains("  needs: 4 more days, 2 more versions\n"), "{text}");
    // Spread over a week of versions, the same count is enough.
    let (dir, sandbox) = seeded("gates.toml", TRAP, clean_days(12));
    assert_eq!(gate(&report_json(&sandbox, dir.path(), &[]), "cart/staging/default")["recommendation"], "promote");
}

#[test]
fn evaluations_under_another_configuration_are_set_aside() {
    let file = TRAP.replace("query = \"service:cart\"", "query = \"service:cart tag:new\"");
    let mut evaluations = clean_days(12);
    for e in &mut evaluations {
        e.rules[0].configuration = json!({"query": "service:cart tag:old"});
    }
    let (dir, sandbox) = seeded("gates.toml", &file, evaluations.clone());
    let doc = report_json(&sandbox, dir.path(), &["--no-monitor-check"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(
        (&cart["evaluations"], &cart["set_aside"], &cart["recommendation"]),
        (&json!(0), &json!(12), &json!("too-few-evaluations")),
        "{cart:#}"
    );
    let errors = rule(cart, "Errors");
    assert_eq!(
        (&errors["evaluations"], &errors["set_aside"], &errors["configuration_since"]),
        (&json!(0), &json!(12), &Value::Null)
    );
    assert!(cart["why"].as_str().unwrap().contains("12 evaluations set aside"), "{cart:#}");
    // Two evaluations under today's query: counted, and the report says since when.
    for (i, e) in evaluations.iter_mut().take(2).enumerate() {
        e.rules[0].configuration = json!({"query": "service:cart tag:new"});
        e.version = format!("v2.{i}");
    }
    let (dir, sandbox) = seeded("gates.toml", &file, evaluations.clone());
    let doc = report_json(&sandbox, dir.path(), &["--no-monitor-check"]);
    let errors = rule(gate(&doc, "cart/staging/default"), "Errors");
    assert_eq!((&errors["evaluations"], &errors["set_aside"]), (&json!(2), &json!(10)));
    assert_eq!(errors["configuration_since"], json!(evaluations[1].started_at.clone()), "{errors:#}");
    // monitor_ids compare by id: the history writes bare id strings, without groups.
    let by_id = TRAP.replace("query = \"service:cart\"", "monitor_ids = [{ id = 1201, groups = [\"region:eu\"] }]");
    let mut evaluations = clean_days(12);
    for e in &mut evaluations {
        e.rules[0].configuration = json!({"monitor_ids": [{"id": "1201", "groups": ["region:eu"]}]});
    }
    let (dir, sandbox) = seeded("gates.toml", &by_id, evaluations);
    let doc = report_json(&sandbox, dir.path(), &["--no-monitor-check"]);
    assert_eq!(gate(&doc, "cart/staging/default")["evaluations"], 12, "{doc:#}");
}

#[test]
fn a_rule_watching_nothing_is_never_promoted() {
    // Its query matches no monitor: it passed twelve times because it watched nothing.
    let file = r#"version = 1

[[gates]]
service = "cart"
env = "staging"
dry_run = true

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:nobody"

[[gates]]
service = "search"
env = "production"

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search"

  [[gates.rules]]
  name = "Ghost"
  type = "monitor"
  monitor_ids = [{ id = 999999 }]
  dry_run = true
"#;
    let mut evaluations: Vec<StoredEvaluation> = clean_days(12);
    for e in &mut evaluations {
        e.rules[0].configuration = json!({"query": "service:nobody"});
    }
    for i in 0..12 {
        let mut e = evaluation(
            "search",
            "production",
            i * DAY + 40 * MINUTE,
            &format!("v3.{i}"),
            false,
            &[Part("Latency", false, "pass", &[]), Part("Ghost", true, "pass", &[])],
        );
        e.rules[1].configuration = json!({"monitor_ids": ["999999"]});
        evaluations.push(e);
    }
    let (dir, sandbox) = seeded("gates.toml", file, evaluations);
    let doc = report_json(&sandbox, dir.path(), &[]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(cart["recommendation"], "keep-dry-run", "{cart:#}");
    assert!(
        cart["why"]
            .as_str()
            .unwrap()
            .contains("its rule \"Errors\" watches nothing (its query \"service:nobody\" matches no monitor)"),
        "{cart:#}"
    );
    let errors = rule(cart, "Errors");
    assert!(errors["watches_nothing"].as_str().unwrap().contains("matches no monitor"), "{errors:#}");
    let ghost = rule(gate(&doc, "search/production/default"), "Ghost");
    assert_eq!(ghost["recommendation"], "keep-dry-run", "{ghost:#}");
    assert!(ghost["why"].as_str().unwrap().contains("monitor 999999 of its monitor_ids does not exist"), "{ghost:#}");
    assert_eq!(doc["summary"]["promote"], json!({"gates": 0, "rules": 0}));
    // Without the check, the report says it could not tell.
    let unchecked = report_json(&sandbox, dir.path(), &["--no-monitor-check"]);
    assert!(unchecked["unchecked"].as_str().unwrap().contains("not checked for watching nothing"), "{unchecked:#}");
}

#[test]
fn evaluations_without_rule_results_are_no_data_not_clean() {
    let evaluations =
        (0..12).map(|i| evaluation("cart", "staging", i * DAY + 30 * MINUTE, &format!("v{i}"), true, &[])).collect();
    let (dir, sandbox) = seeded("gates.toml", TRAP, evaluations);
    let doc = report_json(&sandbox, dir.path(), &[]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(
        (&cart["evaluations"], &cart["no_data"], &cart["recommendation"]),
        (&json!(0), &json!(12), &json!("keep-dry-run")),
        "the newest held no rule result: {cart:#}"
    );
    assert!(cart["days"].as_array().unwrap().iter().all(|d| d != "pass"), "no green day without data: {cart:#}");
    assert!(cart["why"].as_str().unwrap().contains("12 evaluations held no rule result"), "{cart:#}");
    assert!(cart["why"].as_str().unwrap().contains("no data is not clean"), "{cart:#}");
}

#[test]
fn a_block_among_the_newest_evaluations_stops_a_promotion() {
    // 20 evaluations over the fortnight; only the newest would have blocked: 5%, under the
    // 10% allowed, but recent.
    let evaluations = (0..20)
        .map(|i| {
            let status = if i == 0 { "fail" } else { "pass" };
            evaluation(
                "cart",
                "staging",
                i * 16 * 3600 * 1000 + 30 * MINUTE,
                &format!("v1.{i}"),
                true,
                &[Part("Errors", false, status, &[7])],
            )
        })
        .collect();
    let (dir, sandbox) = seeded("gates.toml", TRAP, evaluations);
    let doc = report_json(&sandbox, dir.path(), &["--max-block-percent", "10"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!((&cart["would_block"], &cart["recommendation"]), (&json!(1), &json!("keep-dry-run")), "{cart:#}");
    assert_eq!(strings(&cart["missing"]), ["3 clean evaluations in a row"]);
    assert_eq!(cart["clean_since"], Value::Null);
    assert!(cart["why"].as_str().unwrap().contains("among its newest 3 evaluations"), "{cart:#}");
    assert_eq!(
        gate(
            &report_json(&sandbox, dir.path(), &["--max-block-percent", "10", "--clean-streak", "1"]),
            "cart/staging/default"
        )["recommendation"],
        "keep-dry-run"
    );
}

#[test]
fn a_gate_and_the_rules_promoted_with_it_are_judged_together() {
    // Alone, the gate's rule and its dry-run rule each would have blocked 2 of 20 (10%, the
    // bar); together they would have blocked 4 of 20.
    let file = format!("{TRAP}\n  [[gates.rules]]\n  name = \"Latency\"\n  type = \"monitor\"\n  query = \"service:cart\"\n  dry_run = true\n");
    let evaluations = (0..20)
        .map(|i| {
            let a = if i == 5 || i == 10 { "fail" } else { "pass" };
            let b = if i == 7 || i == 12 { "fail" } else { "pass" };
            evaluation(
                "cart",
                "staging",
                i * 16 * 3600 * 1000 + 30 * MINUTE,
                &format!("v1.{i}"),
                true,
                &[Part("Errors", false, a, &[7]), Part("Latency", true, b, &[8])],
            )
        })
        .collect();
    let (dir, sandbox) = seeded("gates.toml", &file, evaluations);
    let doc = report_json(&sandbox, dir.path(), &["--max-block-percent", "10"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!((&cart["would_block"], &cart["recommendation"]), (&json!(2), &json!("promote")), "{cart:#}");
    let latency = rule(cart, "Latency");
    assert_eq!(latency["recommendation"], "keep-dry-run", "{latency:#}");
    assert!(
        latency["why"].as_str().unwrap().contains("together with the rules the gate enforces, the gate would have blocked 4 of 20 evaluations (20%), more than the 10% allowed"),
        "{latency:#}"
    );
    assert_eq!(doc["summary"]["promote"], json!({"gates": 1, "rules": 0}));
}

#[test]
fn a_recommendation_needs_at_least_one_evaluation() {
    let (dir, sandbox) = seeded("gates.toml", TRAP, Vec::new());
    let run = sandbox.gatesctl(dir.path(), &["report", "--min-evaluations", "0"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("a recommendation needs evidence: give 1 or more"), "{run:?}");
    assert!(sandbox.requests().is_empty(), "nothing was asked");
    write(dir.path(), "gates.toml", &format!("{TRAP}\n[report]\nmin_evaluations = 0\n"));
    let run = sandbox.gatesctl(dir.path(), &["report"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`min_evaluations` of [report] must be between 1 and 100000"), "{run:?}");
}

#[test]
fn the_files_set_the_bar_per_file_and_per_gate_and_flags_override_them() {
    let evaluations = an_hour_of_clean_v1();
    let relaxed = format!("{TRAP}\n[report]\nmin_days = 1\nmin_versions = 1\n");
    let (dir, sandbox) = seeded("gates.toml", &relaxed, evaluations);
    let doc = report_json(&sandbox, dir.path(), &[]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(cart["recommendation"], "promote", "{cart:#}");
    assert_eq!(
        cart["thresholds"],
        json!({"min_evaluations": 10, "min_days": 1, "min_versions": 1, "clean_streak": 3, "max_block_percent": 0})
    );
    // A gate's own table wins over its file's; a flag never lowers either, and wins where it
    // is stricter.
    let strict =
        relaxed.replace("dry_run = true\n", "dry_run = true\nreport = { min_versions = 2, min_evaluations = 30 }\n");
    write(dir.path(), "gates.toml", &strict);
    let doc = report_json(&sandbox, dir.path(), &[]);
    assert_eq!(strings(&gate(&doc, "cart/staging/default")["missing"]), ["18 more evaluations", "1 more version"]);
    let doc = report_json(&sandbox, dir.path(), &["--min-versions", "1", "--min-evaluations", "5", "--min-days", "1"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(cart["recommendation"], "too-few-evaluations", "flags do not lower the gate's own bar: {cart:#}");
    assert_eq!(
        (&cart["thresholds"]["min_evaluations"], &cart["thresholds_set_by"]["min_evaluations"]),
        (&json!(30), &json!("gate"))
    );
    let doc = report_json(&sandbox, dir.path(), &["--min-days", "2"]);
    let cart = gate(&doc, "cart/staging/default");
    assert_eq!(strings(&cart["missing"]), ["18 more evaluations", "1 more day", "1 more version"]);
    assert_eq!(cart["thresholds_set_by"]["min_days"], "flag", "stricter than the file's 1");
    // The header states the bars used, per file and per gate when they differ.
    let other = "version = 1\n\n[[gates]]\nservice = \"web\"\nenv = \"qa\"\ndry_run = true\n";
    write(dir.path(), "web.toml", other);
    let text = run_ok(&sandbox, dir.path(), &["report", "-f", "gates.toml", "-f", "web.toml"]).stdout;
    let header: Vec<&str> = text.lines().take(3).collect();
    assert!(
        header[0].ends_with(
            "To be promoted, a gate or rule in dry run needs the bar its file or its own report table sets:"
        ),
        "{text}"
    );
    assert!(header[1].starts_with("  cart/staging/default (its own report table): 30 evaluations"), "{text}");
    assert!(header[2].starts_with("  web.toml: 10 evaluations"), "{text}");
    // A typo in the table is found offline, with its fix.
    write(dir.path(), "gates.toml", &format!("{TRAP}\n[report]\nmin_dayz = 1\n"));
    let run = sandbox.gatesctl(dir.path(), &["validate"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("did you mean `min_days`?"), "{run:?}");
}

#[test]
fn an_evaluation_of_this_very_second_is_read() {
    let mut now = evaluation("cart", "staging", 0, "v9", true, &[Part("Errors", false, "pass", &[])]);
    now.finished_at = Some(at(gatesctl_core::model::time::now_ms() - 1));
    let (dir, sandbox) = seeded("gates.toml", TRAP, vec![now]);
    let doc = report_json(&sandbox, dir.path(), &[]);
    assert_eq!(gate(&doc, "cart/staging/default")["evaluations"], 1, "{doc:#}");
    let to = sandbox.requests().into_iter().find(|r| r.path.ends_with("/evaluations")).map(|r| r.query).unwrap();
    assert!(
        to.contains("filter%5Bto%5D=") && to.split("filter%5Bto%5D=").nth(1).unwrap().contains('.'),
        "to the millisecond: {to}"
    );
}

#[test]
fn write_run_again_never_contradicts_the_summary() {
    // Recommended, but written as an inline table: left for a person, and said so.
    let file = "version = 1\ndefaults = { dry_run = true }\ngates = [{ service = \"cart\", env = \"staging\", rules = [{ name = \"Errors\", type = \"monitor\", query = \"service:cart\", dry_run = false }] }]\n";
    let (dir, sandbox) = seeded("gates.toml", file, clean_days(12));
    for _ in 0..2 {
        let run = run_ok(&sandbox, dir.path(), &["report", "--write"]);
        assert!(run.stdout.contains("Promote 1 gate"), "{run:?}");
        assert!(!run.stderr.contains("Nothing to write: no gate or rule is recommended"), "{run:?}");
        assert!(
            run.stderr.contains("Nothing written: the 1 gate or rule recommended for promotion is left for a person"),
            "{run:?}"
        );
    }
    assert_eq!(std::fs::read_to_string(dir.path().join("gates.toml")).unwrap(), file);
}

#[test]
fn a_capped_markdown_report_points_to_the_full_report() {
    let (dir, sandbox) = seeded("gates.toml", GATES_TOML, history());
    let run = run_ok(&sandbox, dir.path(), &["report", "--format", "markdown", "--comment-limit", "1000"]);
    assert!(run.stdout.chars().count() <= 1000, "{run:?}");
    assert!(run.stdout.contains("; the full report is in the JSON report"), "{run:?}");
    assert!(!run.stdout.contains("full plan"), "{run:?}");
}

/// `seeded`, with the monitors of `monitors` instead of the shop team's.
fn seeded_with_monitors(
    text: &str,
    monitors: &str,
    evaluations: Vec<StoredEvaluation>,
) -> (tempfile::TempDir, TestSandbox) {
    seeded_in("gates.toml", text, monitors, evaluations)
}

/// The one gate of TRAP, judged on `evaluations`.
fn cart(evaluations: Vec<StoredEvaluation>, extra: &[&str]) -> Value {
    let (dir, sandbox) = seeded("gates.toml", TRAP, evaluations);
    gate(&report_json(&sandbox, dir.path(), extra), "cart/staging/default").clone()
}

#[test]
fn a_rule_that_passed_because_its_monitor_had_no_data_is_not_clean() {
    let mut evaluations = clean_days(12);
    // The three newest passed only because the monitor had no data.
    for e in evaluations.iter_mut().take(3) {
        e.rules[0].reason = "All monitors in OK state or NO DATA (fail_on_no_data is off)".into();
        e.rules[0].failures =
            json!({"faulty_apm_resources": [], "narratives": [], "monitors": [{"id": "7", "state": "No Data"}]});
    }
    let cart = cart(evaluations, &[]);
    assert_eq!(
        (&cart["evaluations"], &cart["no_data"], &cart["recommendation"]),
        (&json!(9), &json!(3), &json!("keep-dry-run")),
        "{cart:#}"
    );
    assert!(cart["why"].as_str().unwrap().contains("no data is not clean"), "{cart:#}");
    assert_eq!(rule(&cart, "Errors")["no_data"], 3, "{cart:#}");
}

#[test]
fn the_newest_evaluation_stuck_in_progress_ends_the_clean_streak() {
    let mut evaluations = clean_days(12);
    // Started a day ago, and still running.
    let mut stuck = evaluation("cart", "staging", DAY - HOUR_MS, "v2", true, &[Part("Errors", false, "pass", &[])]);
    stuck.finished_at = Some(at(now() + DAY));
    evaluations.push(stuck);
    let cart = cart(evaluations, &[]);
    assert_eq!(
        (&cart["evaluations"], &cart["stuck"], &cart["recommendation"]),
        (&json!(12), &json!(1), &json!("keep-dry-run")),
        "{cart:#}"
    );
    assert!(cart["why"].as_str().unwrap().contains("is stuck in progress"), "{cart:#}");
    // One that started a minute ago is only running: it ends nothing.
    let mut evaluations = clean_days(12);
    let mut running = evaluation("cart", "staging", MINUTE, "v2", true, &[Part("Errors", false, "pass", &[])]);
    running.finished_at = Some(at(now() + HOUR_MS));
    evaluations.push(running);
    let cart = self::cart(evaluations, &[]);
    assert_eq!(
        (&cart["in_progress"], &cart["stuck"], &cart["recommendation"]),
        (&json!(1), &json!(0), &json!("promote"))
    );
}

#[test]
fn ten_evaluations_in_73_hours_are_not_five_days() {
    // Ten evaluations, 73 hours from the first to the last, starting at 23:00 UTC: five UTC days
    // and five strip days touched, but not four days apart.
    let now = now();
    let day_start = now - now.rem_euclid(DAY);
    let first = day_start - 5 * DAY + 23 * HOUR_MS;
    let evaluations: Vec<StoredEvaluation> = (0..10)
        .map(|i| {
            let at = first + i * 73 * HOUR_MS / 9;
            evaluation("cart", "staging", now - at, &format!("v{i}"), true, &[Part("Errors", false, "pass", &[])])
        })
        .collect();
    let cart = cart(evaluations, &[]);
    assert_eq!((&cart["days_evaluated"], &cart["span_hours"]), (&json!(5), &json!(73)), "{cart:#}");
    assert_eq!(cart["recommendation"], "too-few-evaluations", "{cart:#}");
    assert!(
        cart["why"]
            .as_str()
            .unwrap()
            .contains("its evaluations span 3 days 1 hour from the first to the last, less than the 4 days needed"),
        "{cart:#}"
    );
    assert_eq!(strings(&cart["missing"]), ["a later evaluation, 23 hours further on"]);
}

#[test]
fn a_configuration_changed_and_changed_back_starts_over() {
    // Today's query, then another for three days, then today's again for the last two days.
    let mut evaluations = clean_days(12);
    for (i, e) in evaluations.iter_mut().enumerate() {
        if (2..5).contains(&i) {
            e.rules[0].configuration = json!({"query": "service:other"});
        }
    }
    let cart = cart(evaluations, &[]);
    let errors = rule(&cart, "Errors");
    assert_eq!((&errors["evaluations"], &errors["set_aside"]), (&json!(2), &json!(10)), "{errors:#}");
    let since = gatesctl_core::model::time::parse_rfc3339(errors["configuration_since"].as_str().unwrap()).unwrap();
    assert!((now() - since - (DAY + 30 * MINUTE)).abs() < 2 * MINUTE, "from the change back: {errors:#}");
    assert_eq!(cart["recommendation"], "too-few-evaluations", "{cart:#}");
}

#[test]
fn a_watched_monitor_failing_now_holds_the_promotion() {
    let text = TRAP.replace("query = \"service:cart\"", "monitor_ids = [{ id = 4242 }]");
    let evaluations: Vec<StoredEvaluation> = clean_days(12)
        .into_iter()
        .map(|mut e| {
            e.rules[0].configuration = json!({"monitor_ids": ["4242"]});
            e
        })
        .collect();
    for (state, shown) in [("Alert", "ALERT"), ("No Data", "NO DATA")] {
        let monitors = format!(
            "[[monitors]]\nid = 4242\nname = \"Cart checkout errors\"\nstatus = \"{state}\"\nin_state_for = \"2h\"\ntags = [\"service:cart\"]\n"
        );
        let (dir, sandbox) = seeded_with_monitors(&text, &monitors, evaluations.clone());
        let doc = report_json(&sandbox, dir.path(), &[]);
        let cart = gate(&doc, "cart/staging/default");
        assert_eq!(cart["recommendation"], "keep-dry-run", "{cart:#}");
        let why = cart["why"].as_str().unwrap();
        assert!(why.contains(&format!("monitor 4242 (\"Cart checkout errors\") is in {shown} now, since ")), "{why}");
        assert_eq!(strings(&cart["missing"]), ["its monitors back to OK"]);
        let failing = &rule(cart, "Errors")["failing_now"][0];
        assert_eq!((&failing["id"], &failing["state"]), (&json!(4242), &json!(state)), "{failing}");
        let since = gatesctl_core::model::time::parse_rfc3339(failing["since"].as_str().unwrap()).unwrap();
        assert!((now() - since - 2 * HOUR_MS).abs() < 5 * MINUTE, "{failing}");
        // Without the check, promoted, and the report says it was not checked against now.
        let unchecked = report_json(&sandbox, dir.path(), &["--no-monitor-check"]);
        assert_eq!(gate(&unchecked, "cart/staging/default")["recommendation"], "promote");
        assert!(unchecked["unchecked"].as_str().unwrap().contains("nor promotions against the monitors' state now"));
    }
}

/// In CI (no terminal), the progress lines end on what was read, not on the first count.
#[test]
fn the_last_progress_line_counts_every_evaluation_read() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::examples_dir(), dir.path());
    let _ = std::fs::remove_dir_all(dir.path().join(".gatesctl"));
    let run =
        crate::common::gatesctl(dir.path(), &["--sandbox", "report", "-f", "gates.toml", "--format", "json"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let last = run.stderr.lines().rfind(|l| l.starts_with("reading evaluation history:")).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let counted: u64 = doc["gates"].as_array().unwrap().iter().map(|g| g["evaluations"].as_u64().unwrap()).sum();
    let read: u64 = last.split_whitespace().nth(3).unwrap().parse().unwrap();
    assert!(read >= counted && read > 0, "{last:?} read, {counted} counted");
}
