//! `gatesctl evaluate` end to end against the sandbox, failure paths included: transient
//! errors, rate limits, timeouts, absurd durations, unknown statuses, and the live status line.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use gatesctl_sandbox::{EvalSettings, Faults, SandboxOptions};

use crate::common::{gatesctl, gatesctl_all_on_terminal, write, Proxy, Reply, Run, Seen, TestSandbox, SMALL};

const GATES: &str = r#"version = 1

[[gates]]
service = "checkout"
env = "production"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:checkout env:production"

  [[gates.rules]]
  name = "Faulty deployment detection"
  type = "faulty_deployment_detection"
  duration = 900

[[gates]]
service = "search"
env = "production"

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search env:production"

[[gates]]
service = "search"
env = "staging"
dry_run = true

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:search env:staging"
"#;

/// The organisation's monitors: checkout's are fine, search's are alerting.
const MONITORS: &str = r#"
[[monitors]]
name = "Checkout errors"
tags = ["service:checkout", "env:production"]

[[monitors]]
name = "Search latency"
status = "Alert"
tags = ["service:search", "env:production"]

[[monitors]]
name = "Search staging latency"
status = "Alert"
tags = ["service:search", "env:staging"]
"#;

/// A sandbox holding GATES, with the given evaluation behaviour and faults.
fn sandbox(eval: EvalSettings, faults: Faults) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), GATES).unwrap();
    let monitors = Some(gatesctl_sandbox::monitors::parse_file(MONITORS).unwrap());
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { eval, faults, monitors, ..Default::default() });
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    (dir, sandbox)
}

fn evaluate(sandbox: &TestSandbox, dir: &Path, args: &[&str]) -> Run {
    let mut all = vec!["evaluate", "--interval", "50ms", "--timeout", "20s", "--version", "v1.2.3"];
    all.extend_from_slice(args);
    sandbox.gatesctl(dir, &all)
}

fn result_polls(sandbox: &TestSandbox) -> Vec<u16> {
    sandbox
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("/deployments/gates/evaluation/"))
        .map(|r| r.status)
        .collect()
}

#[test]
fn a_passing_gate_exits_0_with_its_rule_table() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let run = evaluate(&sandbox, dir.path(), &["--service", "checkout", "--env", "production"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Gate checkout/production/default: PASS"), "{run:?}");
    assert!(run.stdout.contains("Evaluation: http://127.0.0.1:"), "a sandbox that stays up is linked: {run:?}");
    // The built-in sandbox stops with the command: no link to it.
    let own = tempfile::tempdir().unwrap();
    crate::common::write(own.path(), "gates.toml", crate::common::SMALL);
    let applied = crate::common::gatesctl(own.path(), &["--sandbox", "apply", "--auto-approve"], &[]);
    assert_eq!(applied.code, 0, "{applied:?}");
    let builtin = crate::common::gatesctl(
        own.path(),
        &["--sandbox", "evaluate", "--service", "checkout", "--env", "production", "--interval", "50ms"],
        &[],
    );
    assert!(builtin.stdout.contains("Gate checkout/production/default:"), "{builtin:?}");
    assert!(!builtin.stdout.contains("Evaluation:"), "{builtin:?}");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.starts_with("Errors ") && l.contains("pass") && l.contains("All monitors in OK state")),
        "{run:?}"
    );
    // In CI (no terminal) progress comes as plain lines, never escape codes.
    assert!(run.stderr.contains("in progress: "), "{run:?}");
    assert!(!run.stderr.contains('\u{1b}'), "{run:?}");
}

#[test]
fn a_failing_gate_exits_1_and_prints_the_reasons() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let run = evaluate(&sandbox, dir.path(), &["--service", "search", "--env", "production"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Gate search/production/default: FAIL"), "{run:?}");
    assert!(
        run.stdout.lines().any(|l| l.starts_with("Latency")
            && l.contains("fail")
            && l.contains("One or more monitors in ALERT state")),
        "{run:?}"
    );
}

#[test]
fn a_faulty_version_fails_faulty_deployment_detection() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let run = sandbox.gatesctl(
        dir.path(),
        &["evaluate", "--interval", "50ms", "--service", "checkout", "--env", "production", "--version", "v2-faulty"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Faulty deployment detected"), "{run:?}");
}

#[test]
fn a_gate_in_dry_run_passes_but_shows_the_real_rule_results() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let run = evaluate(&sandbox, dir.path(), &["--service", "search", "--env", "staging"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("PASS") && run.stdout.contains("Dry run: yes"), "{run:?}");
    assert!(run.stdout.lines().any(|l| l.starts_with("Latency") && l.contains("fail")), "{run:?}");
}

#[test]
fn not_found_right_after_the_trigger_is_waited_out() {
    let (dir, sandbox) = sandbox(EvalSettings { not_found_polls: 3, ..Default::default() }, Faults::default());
    let run = evaluate(&sandbox, dir.path(), &["--service", "checkout", "--env", "production"]);
    assert_eq!(run.code, 0, "{run:?}");
    let polls = result_polls(&sandbox);
    assert_eq!(&polls[..3], [404, 404, 404], "{polls:?}");
    assert_eq!(polls.last(), Some(&200));
}

#[test]
fn transient_errors_and_dropped_connections_never_end_the_wait() {
    let (dir, sandbox) = sandbox(
        EvalSettings { pending_polls: 6, ..Default::default() },
        Faults { flaky_polls: Some(2), ..Default::default() },
    );
    let run = evaluate(&sandbox, dir.path(), &["--service", "search", "--env", "production"]);
    // The verdict is the real one (fail), not a pass by default after a blip.
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("FAIL"), "{run:?}");
    let polls = result_polls(&sandbox);
    assert!(polls.contains(&503), "a 503 was injected: {polls:?}");
    assert!(polls.contains(&0), "a connection was dropped: {polls:?}");
    assert!(polls.iter().filter(|s| **s == 200).count() >= 7, "{polls:?}");
}

#[test]
fn a_timeout_skips_the_gate_unless_fail_on_error() {
    let (dir, sandbox) = sandbox(EvalSettings { pending_polls: u32::MAX, ..Default::default() }, Faults::default());
    let base = [
        "evaluate",
        "--interval",
        "50ms",
        "--timeout",
        "1s",
        "--version",
        "v1",
        "--service",
        "checkout",
        "--env",
        "production",
    ];
    let open = sandbox.gatesctl(dir.path(), &base);
    assert_eq!(open.code, 0, "{open:?}");
    assert!(open.stderr.contains("WARNING: gate checkout/production/default was SKIPPED"), "{open:?}");
    assert!(open.stdout.contains("UNAVAILABLE"), "{open:?}");

    let closed = sandbox.gatesctl(dir.path(), &[&base[..], &["--fail-on-error"]].concat());
    assert_eq!(closed.code, 1, "{closed:?}");

    let json = sandbox.gatesctl(dir.path(), &[&base[..], &["--format", "json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {json:?}"));
    assert_eq!(doc["outcome"], "unavailable");
    assert_eq!(doc["gate_status"], "in_progress");
}

#[test]
fn an_unknown_gate_is_a_permanent_error() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let run = evaluate(&sandbox, dir.path(), &["--service", "nope", "--env", "production"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("no gate found for service nope, env production, and identifier default"), "{run:?}");
    let triggers =
        sandbox.requests().into_iter().filter(|r| r.method == "POST" && r.path.ends_with("/evaluation")).count();
    assert_eq!(triggers, 1, "a 404 is not retried");
}

#[test]
fn an_unreachable_api_fails_open_or_closed_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let args = ["evaluate", "--interval", "100ms", "--timeout", "2s", "--service", "checkout", "--env", "production"];
    let open = gatesctl(dir.path(), &args, &env);
    assert_eq!(open.code, 0, "{open:?}");
    assert!(open.stderr.contains("SKIPPED"), "{open:?}");
    let closed = gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat(), &env);
    assert_eq!(closed.code, 1, "{closed:?}");
}

#[test]
fn jit_mode_sends_the_declared_rules_inline() {
    // The sandbox holds no gates at all: only the inline rules can be evaluated.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), GATES).unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let run =
        evaluate(&sandbox, dir.path(), &["--service", "search", "--env", "production", "--jit", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["outcome"], "fail");
    assert_eq!(doc["rules"][0]["name"], "Latency");

    let undeclared = evaluate(&sandbox, dir.path(), &["--service", "search", "--env", "qa", "--jit"]);
    assert_eq!(undeclared.code, 1, "{undeclared:?}");
    assert!(undeclared.stderr.contains("gate search/qa/default is not declared"), "{undeclared:?}");
    assert!(undeclared.stderr.contains("search/production/default"), "names the declared ones: {undeclared:?}");
}

fn proxied(sandbox: &TestSandbox, decide: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Proxy {
    Proxy::start(sandbox, &sandbox.url, decide)
}

/// `evaluate` of checkout/production at version v1, the gate every proxied test drives.
fn checkout_v1(interval: &'static str, timeout: &'static str) -> Vec<&'static str> {
    vec![
        "evaluate",
        "--service",
        "checkout",
        "--env",
        "production",
        "--version",
        "v1",
        "--interval",
        interval,
        "--timeout",
        timeout,
    ]
}

fn is_trigger(seen: &Seen) -> bool {
    seen.method == "POST" && seen.path == "/api/v2/deployments/gates/evaluation"
}

fn is_poll(seen: &Seen) -> bool {
    seen.method == "GET" && seen.path.starts_with("/api/v2/deployments/gates/evaluation/")
}

fn rate_limited(reset: &str) -> Reply {
    Reply::Answer {
        status: 429,
        headers: vec![
            ("x-ratelimit-limit", "1".into()),
            ("x-ratelimit-period", reset.into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", reset.into()),
            ("x-ratelimit-name", "deployments_gates_evaluation".into()),
        ],
        body: r#"{"errors":["Too many requests"]}"#.into(),
    }
}

#[test]
fn a_result_about_another_evaluation_is_not_the_verdict() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let proxy = proxied(&sandbox, |seen| {
        if is_poll(seen) {
            Reply::Edit(Box::new(|doc| {
                doc["data"]["attributes"]["evaluation_id"] = "00000000-0000-0000-0000-000000000000".into();
                doc["data"]["attributes"]["gate_status"] = "pass".into();
            }))
        } else {
            Reply::Forward
        }
    });
    // Search's latency monitor is in ALERT: a forged `pass` of another evaluation must not pass it.
    let run = proxy.gatesctl(
        dir.path(),
        &["evaluate", "--service", "search", "--env", "production", "--interval", "50ms", "--timeout", "20s"],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not of evaluation"), "{run:?}");
    assert!(!run.stdout.contains("PASS"), "{run:?}");
}

#[test]
fn after_rate_limited_triggers_answers_without_headers_do_not_hold_the_wait_shut() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let triggers = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let triggers = Arc::clone(&triggers);
        proxied(&sandbox, move |seen| {
            if is_trigger(seen) && triggers.fetch_add(1, Ordering::SeqCst) < 2 {
                rate_limited("1")
            } else {
                // The sandbox itself sends no rate-limit headers.
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(dir.path(), &checkout_v1("200ms", "30s"));
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stderr.contains("SKIPPED"), "a real verdict, not the timeout's fail-open: {run:?}");
    assert!(run.stdout.contains("PASS"), "{run:?}");
    assert!(proxy.seen().iter().filter(|s| is_poll(s)).count() >= 1);
}

#[test]
fn polls_answered_503_are_one_request_per_interval() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let proxy = proxied(&sandbox, |seen| {
        if is_poll(seen) {
            Reply::Answer {
                status: 503,
                headers: vec![("content-type", "application/json".into())],
                body: r#"{"errors":[{"status":"503","title":"Service Unavailable","detail":"down"}]}"#.into(),
            }
        } else {
            Reply::Forward
        }
    });
    let run = proxy.gatesctl(dir.path(), &checkout_v1("1s", "5s"));
    assert_eq!(run.code, 0, "no verdict: fail-open {run:?}");
    assert!(run.stderr.contains("SKIPPED"), "{run:?}");
    let polls = proxy.seen().iter().filter(|s| is_poll(s)).count();
    // Polls at 0, 1, … 5 s: one per interval, and the last at the deadline.
    assert!((4..=7).contains(&polls), "{polls} polls in 5 s at a 1 s interval: {run:?}");
}

#[test]
fn a_trigger_refused_by_the_rate_limit_for_the_whole_budget_fails_as_in_datadog_ci() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let proxy = proxied(&sandbox, |seen| if is_trigger(seen) { rate_limited("1") } else { Reply::Forward });
    let args = checkout_v1("200ms", "3s");
    let run = proxy.gatesctl(dir.path(), &args);
    assert_eq!(run.code, 1, "refused, not skipped: {run:?}");
    assert!(run.stderr.contains("rate limit (HTTP 429) refused the trigger for the whole trigger budget"), "{run:?}");
    assert!(!run.stderr.contains("SKIPPED"), "{run:?}");
    let detailed = proxy.gatesctl(dir.path(), &[&args[..], &["--detailed-exitcode"]].concat());
    assert_eq!(detailed.code, 3, "{detailed:?}");
    // Each trigger waited for the window's reset: a handful, not a storm.
    let triggers = proxy.seen().iter().filter(|s| is_trigger(s)).count();
    assert!(triggers <= 12, "{triggers} triggers");
}

#[test]
fn a_poll_answered_429_waits_for_the_reset_and_gives_the_real_verdict() {
    let (dir, sandbox) = sandbox(EvalSettings::default(), Faults::default());
    let polls = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let polls = Arc::clone(&polls);
        proxied(&sandbox, move |seen| {
            if is_poll(seen) && polls.fetch_add(1, Ordering::SeqCst) == 0 {
                rate_limited("1")
            } else {
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(
        dir.path(),
        &["evaluate", "--service", "search", "--env", "production", "--interval", "100ms", "--timeout", "30s"],
    );
    assert_eq!(run.code, 1, "the gate's own verdict, fail: {run:?}");
    assert!(run.stdout.contains("One or more monitors in ALERT state"), "{run:?}");
}

#[test]
fn an_unknown_gate_status_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let eval = gatesctl_sandbox::EvalSettings { not_found_polls: 0, ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), gatesctl_sandbox::SandboxOptions { eval, ..Default::default() });
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&polls);
    let proxy = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if is_poll(seen) {
            counted.fetch_add(1, Ordering::SeqCst);
            Reply::Edit(Box::new(|answer| answer["data"]["attributes"]["gate_status"] = "error".into()))
        } else {
            Reply::Forward
        }
    });
    let args = ["evaluate", "--service", "checkout", "--env", "production", "--version", "v1", "--interval", "10ms"];
    let open = proxy.gatesctl(dir.path(), &args);
    assert_eq!(open.code, 0, "fail-open, as for an unavailable API: {open:?}");
    assert!(open.stderr.contains("SKIPPED") && open.stdout.contains("unknown gate_status \"error\""), "{open:?}");
    assert_eq!(polls.load(Ordering::SeqCst), 1, "reported at the first such answer");
    let closed = proxy.gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat());
    assert_eq!(closed.code, 1, "{closed:?}");
}

#[test]
fn absurd_evaluate_durations_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["evaluate", "--service", "checkout", "--env", "production"];
    for (flags, expected) in [
        (&["--timeout", "18446744073709551615"][..], "out of range"),
        (&["--interval", "4611686018427387904"], "out of range"),
        (&["--timeout", "0"], "out of range"),
        (&["--interval", "2m", "--timeout", "1m"], "--interval 2m is longer than --timeout 1m"),
    ] {
        let args = [&base[..], flags].concat();
        let run = gatesctl(
            dir.path(),
            &args,
            &[("DD_API_URL", "http://127.0.0.1:9"), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
        );
        assert_eq!(run.code, 1, "{flags:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{flags:?}: {run:?}");
        assert!(!run.stderr.contains("Evaluating"), "nothing is sent: {run:?}");
    }
}

#[test]
fn the_evaluate_status_line_ticks_every_second_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    // About three seconds of waiting: polls every 800 ms, four of them in progress.
    let eval = EvalSettings { pending_polls: 4, ..Default::default() };
    let sandbox =
        TestSandbox::start_with(dir.path(), SandboxOptions { eval, faults: Faults::default(), ..Default::default() });
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let args =
        ["evaluate", "--service", "search", "--env", "production", "--identifier", "canary", "--interval", "800ms"];
    let run = gatesctl_all_on_terminal(dir.path(), &args, &env);
    assert_eq!(run.code, 0, "{run:?}");
    for second in ["00:00:00", "00:00:01", "00:00:02"] {
        assert!(run.stdout.contains(&format!("[{second}]")), "{second} shown: {run:?}");
    }
}
