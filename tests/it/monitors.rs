//! Monitor rules checked against the organisation: `plan` and `validate --online` search the
//! monitors of every distinct query and report, on the query's line, a query that matches no
//! monitor or too many (warnings; errors with --strict), and monitors failing now (notes);
//! the sandbox's evaluations agree with what the check reports.

use std::path::Path;

use gatesctl_sandbox::{Faults, SandboxOptions};

use crate::common::{applied, examples_dir, gatesctl, write, Run, TestSandbox};

fn searches(sandbox: &TestSandbox) -> Vec<gatesctl_sandbox::RecordedRequest> {
    sandbox.requests().into_iter().filter(|r| r.path == "/api/v1/monitor/search").collect()
}

fn sandbox_with(dir: &Path, monitors: &str, faults: Faults) -> TestSandbox {
    let monitors = Some(gatesctl_sandbox::monitors::parse_file(monitors).unwrap());
    TestSandbox::start_with(dir, SandboxOptions { monitors, faults, ..Default::default() })
}

#[test]
fn the_quickstart_warns_about_the_example_query_that_matches_nothing() {
    // The README's first command, in a fresh directory: the built-in sandbox holds the example
    // organisation's monitors.
    let dir = tempfile::tempdir().unwrap();
    let examples = examples_dir().join("gates.toml");
    let run = gatesctl(dir.path(), &["--sandbox", "plan", "-f", examples.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Plan: gates 12 to create"), "{run:?}");
    assert!(run.stdout.contains("gates::query-matches-no-monitor"), "{run:?}");
    assert!(
        run.stdout.contains("monitor query \"service:web-frontend env:qa source:rum\" matches no monitor"),
        "{run:?}"
    );
    // Located on the query in the file.
    assert!(run.stdout.contains("gates.toml:162:11"), "{run:?}");
    assert!(run.stdout.contains("gates::query-monitors-failing"), "{run:?}");
    assert!(
        run.stdout.contains(
            "Monitor check of 10 monitor queries and 4 monitors watched by id: 1 matches no monitor, 1 has monitors failing now, 1 monitor is failing now."
        ),
        "{run:?}"
    );

    // The same in YAML, at its own line.
    let yaml = examples_dir().join("yaml/gates.yaml");
    let run = gatesctl(dir.path(), &["--sandbox", "validate", "--online", "-f", yaml.to_str().unwrap()], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("gates.yaml:127:16"), "{run:?}");
    assert!(run.stdout.contains("Configuration is valid: 12 gates, 17 rules."), "{run:?}");
}

const MONITORS: &str = r#"
[[monitors]]
name = "Checkout errors"
tags = ["service:checkout", "env:production"]

[[monitors]]
name = "Checkout latency"
status = "No Data"
tags = ["service:checkout", "env:production", "latency"]

[[monitors]]
name = "Search errors"
tags = ["service:search", "env:production"]
"#;

const GATES: &str = r#"version = 1

[[gates]]
service = "checkout"
envs = ["staging", "production"]

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:checkout env:{env}"
  fail_on_no_groups_found = true

[[gates]]
service = "search"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:search env:production"

[[gates]]
service = "search"
env = "production"
identifier = "canary"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:search env:production"
"#;

#[test]
fn templates_are_expanded_and_each_distinct_query_is_searched_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", GATES);
    let sandbox = sandbox_with(dir.path(), MONITORS, Faults::default());
    let run = sandbox.gatesctl(dir.path(), &["plan"]);
    assert_eq!(run.code, 0, "{run:?}");
    // Three distinct queries once expanded: staging, production, and search's (used twice).
    assert_eq!(searches(&sandbox).len(), 3, "{:?}", searches(&sandbox));
    // The staging expansion matches nothing, reported at the template's query.
    assert!(run.stdout.contains("monitor query \"service:checkout env:staging\" matches no monitor"), "{run:?}");
    assert!(run.stdout.contains("gates.toml:10:11"), "{run:?}");
    assert!(run.stdout.contains("rule \"Errors\" of gate checkout/staging/default fails every evaluation"), "{run:?}");
    // Production matches two monitors, one without data: a note, not a warning.
    assert!(
        run.stdout.contains(
            "1 of the 2 monitors matching \"service:checkout env:production\" are failing now (1 in NO_DATA)"
        ),
        "{run:?}"
    );
    // The search query serves two gates: no problem, nothing said.
    assert!(!run.stdout.contains("service:search env:production\" "), "{run:?}");

    // Markdown and JSON carry the same findings, for the pull request and for bots.
    let markdown = sandbox.gatesctl(dir.path(), &["plan", "--format", "markdown"]);
    assert!(markdown.stdout.contains("⚠️ **Warnings** (1):"), "{markdown:?}");
    assert!(markdown.stdout.contains("`gates::query-matches-no-monitor` gates.toml:10:"), "{markdown:?}");
    assert!(markdown.stdout.contains("ℹ️ **Notes** (1):"), "{markdown:?}");
    let json = sandbox.gatesctl(dir.path(), &["plan", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let found: Vec<(&str, &str, u64)> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["severity"].as_str().unwrap(), d["line"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        found,
        [("gates::query-monitors-failing", "note", 10), ("gates::query-matches-no-monitor", "warning", 10)],
        "{json:?}"
    );
}

#[test]
fn strict_makes_the_warnings_errors_and_saves_no_plan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", GATES);
    let sandbox = sandbox_with(dir.path(), MONITORS, Faults::default());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--strict", "--out", "plan.json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Plan: gates 4 to create"), "the plan is still shown: {run:?}");
    assert!(run.stdout.contains("× monitor query \"service:checkout env:staging\" matches no monitor"), "{run:?}");
    assert!(run.stderr.contains("the monitor check found 1 monitor rule problem (--strict)"), "{run:?}");
    assert!(!dir.path().join("plan.json").exists(), "a plan refused is not saved");

    let online = sandbox.gatesctl(dir.path(), &["validate", "--online", "--strict", "--format", "json"]);
    assert_eq!(online.code, 1, "{online:?}");
    let doc: serde_json::Value = serde_json::from_str(&online.stdout).unwrap();
    assert_eq!(doc["valid"], false, "{online:?}");
    assert_eq!(doc["diagnostics"][1]["severity"], "error", "{online:?}");

    // Offline, nothing is searched; --no-monitor-check searches nothing either.
    let before = searches(&sandbox).len();
    let offline = sandbox.gatesctl(dir.path(), &["validate"]);
    assert_eq!(offline.code, 0, "{offline:?}");
    let unchecked = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(unchecked.code, 0, "{unchecked:?}");
    assert!(!unchecked.stderr.contains("gates::"), "{unchecked:?}");
    assert_eq!(searches(&sandbox).len(), before);
}

#[test]
fn a_query_matching_more_than_fifty_monitors_is_reported_with_its_count() {
    let dir = tempfile::tempdir().unwrap();
    let many: String = (0..51)
        .map(|i| format!("[[monitors]]\nname = \"Host {i} disk\"\ntags = [\"team:infra\", \"env:production\"]\n\n"))
        .collect();
    write(
        dir.path(),
        "gates.toml",
        "version = 1\n\n[[gates]]\nservice = \"infra\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Disks\"\n  type = \"monitor\"\n  query = \"team:infra\"\n",
    );
    let sandbox = sandbox_with(dir.path(), &many, Faults::default());
    let run = sandbox.gatesctl(dir.path(), &["plan"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("gates::query-matches-too-many"), "{run:?}");
    assert!(run.stdout.contains("matches 51 monitors, more than the 50 a rule allows"), "{run:?}");

    // The sandbox's evaluation agrees: the rule fails.
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    let eval = evaluate(&sandbox, dir.path(), "infra", "production");
    assert_eq!(eval.code, 1, "{eval:?}");
    assert!(eval.stdout.contains("More than 50 monitors match the query (51)"), "{eval:?}");
}

fn evaluate(sandbox: &TestSandbox, dir: &Path, service: &str, env: &str) -> Run {
    sandbox.gatesctl(
        dir,
        &["evaluate", "--service", service, "--env", env, "--interval", "50ms", "--timeout", "20s", "--version", "v1"],
    )
}

#[test]
fn evaluations_agree_with_what_the_check_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", GATES);
    let sandbox = sandbox_with(dir.path(), MONITORS, Faults::default());
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 0, "{apply:?}");
    // Matches no monitor: fails.
    let staging = evaluate(&sandbox, dir.path(), "checkout", "staging");
    assert_eq!(staging.code, 1, "{staging:?}");
    assert!(staging.stdout.contains("No monitors match the query"), "{staging:?}");
    // A monitor without data: fails, as the note said it would.
    let production = evaluate(&sandbox, dir.path(), "checkout", "production");
    assert_eq!(production.code, 1, "{production:?}");
    assert!(production.stdout.contains("One or more monitors in NO_DATA state"), "{production:?}");
    // All fine: passes.
    let search = evaluate(&sandbox, dir.path(), "search", "production");
    assert_eq!(search.code, 0, "{search:?}");
    assert!(search.stdout.contains("All monitors in OK state"), "{search:?}");
}

#[test]
fn without_monitors_read_one_warning_and_one_request() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", GATES);
    let faults = Faults { no_monitors_read: true, ..Default::default() };
    let sandbox = sandbox_with(dir.path(), MONITORS, faults);
    for strict in [false, true] {
        let args: &[&str] = if strict { &["plan", "--strict"] } else { &["plan"] };
        let run = sandbox.gatesctl(dir.path(), args);
        assert_eq!(run.code, 0, "a missing permission is no failure of the file: {run:?}");
        let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("warning:")).collect();
        assert_eq!(warnings.len(), 1, "{run:?}");
        assert!(warnings[0].contains("lacks the monitors_read permission"), "{run:?}");
        assert!(warnings[0].contains("--no-monitor-check"), "{run:?}");
    }
    let refused = searches(&sandbox);
    assert_eq!(refused.len(), 2, "one search per plan: {refused:?}");
    assert!(refused.iter().all(|r| r.status == 403));
}

#[test]
fn the_sandbox_search_answers_as_datadog_does() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = sandbox_with(dir.path(), MONITORS, Faults::default());
    let get = |query: &str| {
        sandbox.block_on(async {
            let url = format!("{}/api/v1/monitor/search?query={query}&per_page=1", sandbox.url);
            let answer = reqwest::Client::new()
                .get(url)
                .header("DD-API-KEY", "k")
                .header("DD-APPLICATION-KEY", "k")
                .send()
                .await
                .unwrap();
            let status = answer.status().as_u16();
            (status, answer.json::<serde_json::Value>().await.unwrap())
        })
    };
    let (status, body) = get("service%3Acheckout");
    assert_eq!(status, 200);
    assert_eq!(body["metadata"]["total_count"], 2);
    assert_eq!(body["metadata"]["page_count"], 2);
    assert_eq!(body["monitors"].as_array().unwrap().len(), 1, "one per page");
    assert!(body["counts"]["status"].as_array().unwrap().contains(&serde_json::json!({"name": "No Data", "count": 1})));
    let (status, body) = get("service%3Aa%20OR%20service%3Ab");
    assert_eq!(status, 400);
    assert!(body["errors"][0].as_str().unwrap().contains("OR is not supported"), "{body}");
}

#[test]
fn many_findings_show_twenty_excerpts_and_count_the_rest() {
    // Say, a team's own file against the built-in sandbox, whose monitors are the examples'.
    let dir = tempfile::tempdir().unwrap();
    let gates: String = (0..25)
        .map(|i| format!("\n[[gates]]\nservice = \"svc{i}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i}\"\n"))
        .collect();
    write(dir.path(), "gates.toml", &format!("version = 1\n{gates}"));
    let run = gatesctl(dir.path(), &["--sandbox", "plan"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stdout.matches("╭─[gates.toml:").count(), 20, "{run:?}");
    assert!(
        run.stdout
            .contains("… and 5 more not shown: 5 × gates::query-matches-no-monitor (--format json lists every one)"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains("gatesctl sandbox --monitors FILE"),
        "the way to give the sandbox real monitors: {run:?}"
    );
    let json = gatesctl(dir.path(), &["--sandbox", "plan", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["diagnostics"].as_array().unwrap().len(), 25);
}

#[test]
fn strict_names_the_monitor_check_s_problems_for_what_they_are() {
    let (dir, sandbox) = applied("version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"x\"\n  type = \"monitor\"\n  query = \"service:nobody\"\n");
    let run = sandbox.gatesctl(dir.path(), &["plan", "--strict"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("watches nothing"), "the finding says what the rule does: {run:?}");
    assert!(run.stderr.contains("error: the monitor check found 1 monitor rule problem (--strict)"), "{run:?}");
    assert!(!run.stderr.contains("would fail every evaluation"), "the rule passes, it does not fail: {run:?}");
}
