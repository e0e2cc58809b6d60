//! Converging under faults: lost answers, failing requests, latency and a binding rate limit;
//! lists that never end, pages that repeat, gates vanishing mid-read, hostile rate-limit
//! headers, a closed pipe, and the API's own words when it refuses.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gatesctl_core::model::GateKey;
use gatesctl_sandbox::store::{Store, StoredGate};
use gatesctl_sandbox::{Faults, RateLimit, SandboxOptions};
use serde_json::{json, Value};

use crate::common::{applied, run_ok, write, Proxy, Reply, TestSandbox, SMALL};

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
        no_catalog_read: false,
        no_catalog_write: false,
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
        ..Default::default()
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

#[test]
fn a_gate_deleted_while_it_is_read_is_absent_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let search = crate::common::gate_id(&sandbox, "search");
    // Listed, then gone: its rules and the gate itself answer 404.
    let gone = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.path.contains(&search) {
            Reply::Answer {
                status: 404,
                headers: vec![("content-type", "application/vnd.api+json".into())],
                body: r#"{"errors":[{"status":"404","title":"Not Found","detail":"Gate does not exist"}]}"#.into(),
            }
        } else {
            Reply::Forward
        }
    });
    for command in [&["plan", "--no-monitor-check"][..], &["drift"], &["import"]] {
        let run = gone.gatesctl(dir.path(), command);
        assert_ne!(run.code, 1, "{command:?}: {run:?}");
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains("search/production/canary was deleted by someone else"),
            "{command:?}: {run:?}"
        );
    }
    let plan = gone.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert!(plan.stdout.contains("+ gate search/production/canary (will be created)"), "{plan:?}");
}

#[test]
fn a_rate_limit_that_never_lets_anything_through_is_given_up_on() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let refusing = Proxy::start(&sandbox, &sandbox.url, |_| Reply::Answer {
        status: 429,
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-ratelimit-limit", "100".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "1e20".into()),
            ("x-ratelimit-name", "deployment_gates".into()),
        ],
        body: r#"{"errors":["Too many requests"]}"#.into(),
    });
    // The bound is per command run (5 minutes by default); here 2 s, on the real client.
    let base = gatesctl_client::site::base_url(None, Some(&refusing.url)).unwrap();
    let client = gatesctl_client::Client::new(base, gatesctl_client::Credentials::new("k", "k"), false)
        .unwrap()
        .with_rate_limit_patience(Duration::from_secs(2));
    let started = Instant::now();
    let everything = gatesctl_client::GateQuery::default();
    let (a, b) = sandbox.block_on(async {
        tokio::join!(client.list_gates(&everything), client.get_gate("11111111-1111-4111-8111-111111111111"))
    });
    let took = started.elapsed();
    for result in [a.map(|_| ()), b.map(|_| ())] {
        let error = result.unwrap_err();
        assert!(matches!(error.kind, gatesctl_client::ApiErrorKind::RateLimited { .. }), "{error}");
    }
    assert!(took < Duration::from_secs(20), "given up for the whole command, not per wait: {took:?}");
}

#[test]
fn a_list_that_never_ends_is_an_error_not_an_empty_plan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let looping = endless(&sandbox, |n| if n % 2 == 0 { "A".into() } else { "B".into() });
    let run = looping.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("the API gave the cursor \"A\" a second time (after 3 pages)"), "{run:?}");
    assert_eq!(looping.seen().len(), 3, "{:?}", looping.seen().len());

    let unique = endless(&sandbox, |n| format!("page-{n}"));
    let run = unique.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("more than 100000 gates listed"), "{run:?}");
    assert_eq!(unique.seen().len(), 101, "bounded: {}", unique.seen().len());
}

/// A proxy answering the gate list with pages that never end: `cursor_of(n)` is the next
/// cursor of page `n`.
fn endless(sandbox: &TestSandbox, cursor_of: fn(usize) -> String) -> Proxy {
    let pages = std::sync::atomic::AtomicUsize::new(0);
    Proxy::start(sandbox, &sandbox.url, move |seen| {
        if !(seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?")) {
            return Reply::Forward;
        }
        let n = pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let data: Vec<Value> = (0..1000)
            .map(|i| json!({"id": format!("g{n}-{i}"), "type": "deployment_gate", "attributes": {"service": format!("s{n}-{i}"), "env": "e", "identifier": "default", "dry_run": false}}))
            .collect();
        let body = json!({"data": data, "meta": {"page": {"next_cursor": cursor_of(n), "size": 1000}}});
        Reply::Answer {
            status: 200,
            headers: vec![("content-type", "application/vnd.api+json".into())],
            body: body.to_string(),
        }
    })
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.toml"), dir.path().join("gates.toml")).unwrap();
    let sandbox = TestSandbox::start(dir.path());
    // `gatesctl -v plan 2>&1 | head -1`: stdout and stderr share one pipe, closed after a line.
    let (reader, writer) = std::io::pipe().unwrap();
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut cmd = crate::common::hermetic(dir.path(), &["-v", "plan"], &env);
    cmd.stdin(std::process::Stdio::null()).stdout(writer.try_clone().unwrap()).stderr(writer);
    let child = crate::common::spawn_bounded(cmd).unwrap();
    let mut first = String::new();
    BufReader::new(reader).read_line(&mut first).unwrap();
    // The reader is dropped here: every later write meets a closed pipe.
    let code = child.wait().code();
    assert!(matches!(code, Some(0) | Some(1)), "exit {code:?} after {first:?}");
}

#[test]
fn hostile_rate_limit_headers_neither_panic_nor_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    for headers in [
        vec![("x-ratelimit-limit", "100"), ("x-ratelimit-remaining", "50"), ("x-ratelimit-reset", "1e20")],
        vec![("x-ratelimit-limit", "0"), ("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "1")],
        vec![("x-ratelimit-limit", "lots"), ("x-ratelimit-remaining", "-3"), ("x-ratelimit-reset", "NaN")],
        vec![
            ("x-ratelimit-limit", "18446744073709551616"),
            ("x-ratelimit-remaining", "1e300"),
            ("x-ratelimit-reset", "0"),
        ],
    ] {
        let headers: Vec<(&'static str, String)> = headers.into_iter().map(|(k, v)| (k, v.to_string())).collect();
        let proxy = Proxy::start(&sandbox, &sandbox.url, move |_| Reply::Headers(headers.clone()));
        let run = proxy.gatesctl(dir.path(), &["plan"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
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
fn history_pages_that_repeat_under_new_cursors_end_at_once() {
    let (dir, sandbox) = applied(SMALL);
    let items = json!([{"id": "e1", "type": "deployment_gate_evaluation", "attributes": {
        "service": "checkout", "env": "production", "identifier": "default", "dry_run": false,
        "evaluation_id": "e1", "started_at": gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - 3_600_000),
        "finished_at": null, "status": "pass", "version": "v1", "duration_seconds": 3, "gate_id": null,
    }}]);
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.path.starts_with("/api/v2/deployment_gates/evaluations?") {
                let n = served.fetch_add(1, Ordering::SeqCst);
                page(items.clone(), Some(format!("unique-{n}")))
            } else {
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(dir.path(), &["report"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("listed gate evaluations item \"e1\" twice"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 3, "stopped at the first repeat: {}", served.load(Ordering::SeqCst));
}

fn page(data: serde_json::Value, next: Option<String>) -> Reply {
    let mut meta = json!({"page": {"size": 1000}});
    if let Some(next) = next {
        meta["page"]["next_cursor"] = json!(next);
    }
    Reply::Answer {
        status: 200,
        headers: vec![("content-type", "application/vnd.api+json".into())],
        body: json!({"data": data, "meta": meta}).to_string(),
    }
}

#[test]
fn empty_pages_forever_end_with_an_error_not_a_partial_list() {
    let (dir, sandbox) = applied(SMALL);
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?") {
                let n = served.fetch_add(1, Ordering::SeqCst);
                page(json!([]), Some(format!("c{n}")))
            } else {
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("empty pages of gates in a row"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 100, "bounded: {}", served.load(Ordering::SeqCst));
}

#[test]
fn an_empty_page_that_names_a_next_page_is_followed() {
    let (dir, sandbox) = applied(SMALL);
    let (_, all) = crate::common::Http::new(&sandbox).get("/api/v2/deployment_gates?page%5Bsize%5D=1000");
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    // The first page of the gate list is empty but names the next: the gates are on it.
    let proxy = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?") {
            if seen.path.contains("page%5Bcursor%5D=after-empty") {
                page(all["data"].clone(), None)
            } else {
                page(json!([]), Some("after-empty".into()))
            }
        } else {
            Reply::Forward
        }
    });
    let run = proxy.gatesctl(dir.path(), &["plan", "--detailed-exitcode", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "the gates of the second page are found: {run:?}");
    assert!(run.stdout.contains("No changes."), "{run:?}");
    assert!(proxy.seen().iter().any(|s| s.path.contains("page%5Bcursor%5D=after-empty")), "the cursor was followed");
}

/// A sandbox holding `n` deployments of `billing/production`, an hour apart (newest first),
/// and the folder the commands run in.
fn with_deployments(n: usize) -> (tempfile::TempDir, TestSandbox) {
    use gatesctl_sandbox::store::StoredDoraEvent;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let now = gatesctl_core::model::time::now_ms();
    let dora = (0..n)
        .map(|i| {
            let at = (now - (i as i64 + 1) * 3_600_000) * 1_000_000;
            StoredDoraEvent {
                kind: "deployment".into(),
                id: String::new(),
                attributes: json!({"service": "billing", "env": "production", "started_at": at, "finished_at": at + 60_000_000_000_i64}),
            }
        })
        .collect();
    let sandbox = TestSandbox::start_with_dora(dir.path(), dora);
    (dir, sandbox)
}

fn unavailable() -> Reply {
    Reply::Answer {
        status: 503,
        headers: vec![("content-type", "application/json".into())],
        body: r#"{"errors":[{"status":"503","title":"Service Unavailable","detail":"try again"}]}"#.into(),
    }
}

#[test]
fn a_dora_read_that_fails_once_is_retried_as_every_read() {
    let (dir, sandbox) = with_deployments(3);
    let failed = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let failed = Arc::clone(&failed);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.path.contains("/dora/") && failed.fetch_add(1, Ordering::SeqCst) == 0 {
                return unavailable();
            }
            Reply::Forward
        })
    };
    let run = proxy.gatesctl(dir.path(), &["coverage", "--format", "json"]);
    assert_eq!(run.code, 0, "one 503 is a blip: {run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["deployments"], 3);
    // report: a blip is retried; failures that stay unavailable leave the records out, said once.
    let proxy = Proxy::start(&sandbox, &sandbox.url, |seen| {
        if seen.path.contains("/dora/failures") {
            return unavailable();
        }
        Reply::Forward
    });
    let run = proxy.gatesctl(dir.path(), &["report", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(run.stderr.matches("warning: failures (DORA) were not read").count(), 1, "{run:?}");
    assert!(run.stderr.contains("503"), "{run:?}");
    assert!(run.stdout.contains("failures (DORA) were not read, so no gate has a record against them"), "{run:?}");
}

#[test]
fn dora_answers_that_break_the_contract_are_said_not_followed() {
    let (dir, sandbox) = with_deployments(2);
    let asked = Arc::new(AtomicUsize::new(0));
    let answer = |body: Value| Reply::Answer {
        status: 200,
        headers: vec![("content-type", "application/json".into())],
        body: body.to_string(),
    };
    // Events 40 days outside the window asked: stop at the first answer, and say why.
    let old = gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - 40 * 24 * 3_600_000);
    let proxy = {
        let asked = Arc::clone(&asked);
        let old = old.clone();
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if !seen.path.contains("/dora/") {
                return Reply::Forward;
            }
            asked.fetch_add(1, Ordering::SeqCst);
            let items: Vec<Value> = (0..1000)
                .map(|i| json!({"id": format!("old{i}"), "attributes": {"service": "s", "started_at": old}}))
                .collect();
            answer(json!({"data": items}))
        })
    };
    let run = proxy.gatesctl(dir.path(), &["coverage"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("it ignores the time filter"), "{run:?}");
    assert_eq!(asked.load(Ordering::SeqCst), 1, "one answer is enough to know");
    // Unreadable items are counted and the read goes on.
    let now = gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - 3_600_000);
    let proxy = {
        let now = now.clone();
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if !seen.path.contains("/dora/deployments") {
                return Reply::Forward;
            }
            answer(json!({"data": [
                {"id": 7, "attributes": {"service": "s", "started_at": now}},
                null,
                "text",
                {"id": "long", "attributes": {"service": "x".repeat(100_000), "started_at": now}},
                {"id": "good", "attributes": {"service": "billing", "env": "production", "started_at": now}},
            ]}))
        })
    };
    let run = proxy.gatesctl(dir.path(), &["coverage", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((&doc["summary"]["deployments"], &doc["unreadable"]), (&json!(1), &json!(4)), "{doc:#}");
    // A millisecond holding a whole answer: a warning, and on past it, never a loop.
    let crowded = {
        let now = now.clone();
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if !seen.path.contains("/dora/deployments") {
                return Reply::Forward;
            }
            let from = serde_json::from_str::<Value>(&seen.body).unwrap()["data"]["attributes"]["from"]
                .as_str()
                .unwrap()
                .to_string();
            let at = gatesctl_core::model::time::parse_rfc3339(&now).unwrap();
            if gatesctl_core::model::time::parse_rfc3339(&from).unwrap() > at {
                return answer(json!({"data": []}));
            }
            let items: Vec<Value> = (0..1000)
                .map(|i| json!({"id": format!("d{i}"), "attributes": {"service": "billing", "env": "production", "started_at": now}}))
                .collect();
            answer(json!({"data": items}))
        })
    };
    let run = crowded.gatesctl(dir.path(), &["coverage", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("1000 deployments or more started in the one millisecond"), "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["summary"]["deployments"], 1000);
}

#[test]
fn history_that_would_never_end_ends_within_pages() {
    let (dir, sandbox) = applied(SMALL);
    let at = |ago: i64| gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - ago);
    let item = |id: String, started: String| {
        json!({"id": id.clone(), "type": "deployment_gate_evaluation", "attributes": {
            "service": "checkout", "env": "production", "identifier": "default", "dry_run": false,
            "evaluation_id": id, "started_at": started, "finished_at": null, "status": "pass", "version": "v1",
            "duration_seconds": 3, "gate_id": null}})
    };
    // Unique items under unique cursors for ever, all of one instant: no progress in time.
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        let started = at(3_600_000);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if !seen.path.starts_with("/api/v2/deployment_gates/evaluations") {
                return Reply::Forward;
            }
            let n = served.fetch_add(1, Ordering::SeqCst);
            let items: Vec<Value> = (0..100).map(|i| item(format!("e{n}-{i}"), started.clone())).collect();
            page(json!(items), Some(format!("unique-{n}")))
        })
    };
    let run = proxy.gatesctl(dir.path(), &["report", "--no-monitor-check", "--no-dora"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("all started at one instant") && run.stderr.contains("narrow the window"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 2 * 21, "ended within pages: {}", served.load(Ordering::SeqCst));
    // Evaluations 40 days before the window asked: the first page breaks the contract.
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        let started = at(40 * 24 * 3_600_000);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if !seen.path.starts_with("/api/v2/deployment_gates/evaluations") {
                return Reply::Forward;
            }
            let n = served.fetch_add(1, Ordering::SeqCst);
            page(json!([item(format!("old{n}"), started.clone())]), Some(format!("c{n}")))
        })
    };
    let run = proxy.gatesctl(dir.path(), &["report", "--no-monitor-check", "--no-dora"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("it ignores the time filter"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 2, "{}", served.load(Ordering::SeqCst));
}
