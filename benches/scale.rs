//! Scale benchmark: `cargo bench` (not part of the test suite).
//!
//! 1. `plan` of 1,000 declared gates with the monitor check, against the sandbox with 100 ms of
//!    latency and no binding rate limit: wall time against requests × latency ÷ parallelism.
//! 2. The same with two rate limits of 100 requests/s, one for the gates endpoints and one for
//!    the monitor endpoints (as Datadog names them in `X-RateLimit-Name`), 20 ms of latency:
//!    wall time against the requests of the busier limit ÷ its rate.
//! 3. `plan` of 5,000 gates × 2 rules, 20 ms of latency: wall time and peak memory.
//! 4. CPU time of validate + diff + render for 10,000 gates, no network.
//! 5. `coverage --since 30d` of 50,000 deployments (500 services), half of them gated: wall
//!    time, DORA requests against the fewest that can read them, and peak memory.
//! 6. `report --since 30d` of a million history items, against a generated API: peak memory
//!    per million items.
//! 7. `audit` of 10,000 gates, 5,000 Software Catalog services and 30 days of DORA (30,000
//!    deployments), every family of endpoints under its own rate limit of 200 requests/s: wall
//!    time against the requests of the busiest limit ÷ its rate.
//!
//! `GATESCTL_BENCH_GATES` overrides the 5,000 of case 3 (for a quick run).

// A report for a person: it prints.
#![allow(clippy::print_stdout)]

use std::process::Command;
use std::time::{Duration, Instant};

use gatesctl::views::plan::text;
use gatesctl::views::Palette;
use gatesctl_core::model::{GateKey, RemoteGate, RemoteRule, RemoteState};
use gatesctl_core::plan::{self, PlanOptions};
use gatesctl_files::{self as config, source};
use gatesctl_sandbox::monitors::{Monitor, MonitorStatus};
use gatesctl_sandbox::store::{Store, StoredDoraEvent, StoredEntity, StoredEvaluation, StoredGate, StoredRule};
use gatesctl_sandbox::{self as sandbox, Faults, RateLimit, SandboxOptions};

// The allocator the gatesctl binary uses, so the CPU figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const LATENCY: Duration = Duration::from_millis(20);

fn config(gates: usize) -> String {
    let mut text = String::from("version = 1\n");
    for i in 0..gates {
        text.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:05}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:05} env:production\"\n  duration = 300\n\n  [[gates.rules]]\n  name = \"Faulty deployment detection\"\n  type = \"faulty_deployment_detection\"\n  duration = 900\n  excluded_resources = [\"GET /healthz\"]\n"
        ));
    }
    text
}

fn store(gates: usize) -> Store {
    let at = "2026-01-01T00:00:00Z".to_string();
    let id = |n: usize| format!("00000000-0000-4000-8000-{n:012}");
    Store {
        evaluations: None,
        dora: None,
        // One monitor per service, so that the monitor check finds each query fine.
        monitors: Some(
            (0..gates)
                .map(|i| Monitor {
                    id: 0,
                    name: format!("svc{i:05} errors"),
                    status: MonitorStatus::Ok,
                    tags: vec![format!("service:svc{i:05}"), "env:production".into()],
                    monitor_type: "metric alert".into(),
                    query: String::new(),
                    priority: None,
                    groups: Default::default(),
                    in_state_for: None,
                    in_state_since: None,
                })
                .collect(),
        ),
        gates: (0..gates)
            .map(|i| StoredGate {
                id: id(i),
                service: format!("svc{i:05}"),
                env: "production".into(),
                identifier: "default".into(),
                dry_run: false,
                created_at: at.clone(),
                updated_at: at.clone(),
                rules: vec![
                    StoredRule {
                        id: id(1_000_000 + 2 * i),
                        name: "Errors".into(),
                        rule_type: "monitor".into(),
                        dry_run: false,
                        options: serde_json::json!({"query": format!("service:svc{i:05} env:production"), "duration": 300}),
                        created_at: at.clone(),
                        updated_at: at.clone(),
                    },
                    StoredRule {
                        id: id(1_000_001 + 2 * i),
                        name: "Faulty deployment detection".into(),
                        rule_type: "faulty_deployment_detection".into(),
                        dry_run: false,
                        options: serde_json::json!({"duration": 900, "excluded_resources": ["GET /healthz"]}),
                        created_at: at.clone(),
                        updated_at: at.clone(),
                    },
                ],
            })
            .collect(),
        ..Default::default()
    }
}

/// Peak resident memory of the largest child process so far, in MiB.
fn children_peak_mib() -> f64 {
    // SAFETY: rusage is plain old data: all zeroes is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: getrusage only writes into the struct it is given.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    usage.ru_maxrss as f64 / 1024.0
}

fn thread_cpu() -> Duration {
    // SAFETY: timespec is plain old data: all zeroes is a valid value.
    let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
    // SAFETY: clock_gettime only writes into the struct it is given.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

struct NetworkRun {
    wall: Duration,
    requests: usize,
    refused: usize,
    /// Requests per rate limit, by the name the sandbox gives it.
    per_limit: std::collections::BTreeMap<&'static str, usize>,
    /// Peak resident memory of the largest gatesctl process so far, in MiB.
    peak_mib: f64,
}

fn plan_against_sandbox(
    gates: usize,
    latency: Duration,
    rate: RateLimit,
    parallelism: usize,
    monitor_check: bool,
) -> NetworkRun {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(gates)).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let options = SandboxOptions {
        database: Some(dir.path().join("sandbox.db")),
        seed: Some(store(gates)),
        faults: Faults { latency, rate_limit: Some(rate), ..Default::default() },
        ..Default::default()
    };
    let sandbox = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        sandbox::start(listener, options).await.unwrap()
    });
    let started = Instant::now();
    let mut args =
        vec!["plan".to_string(), "--detailed-exitcode".into(), "--parallelism".into(), parallelism.to_string()];
    if !monitor_check {
        args.push("--no-monitor-check".into());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(&args)
        .current_dir(dir.path())
        .env("DD_API_URL", sandbox.url())
        .env("DD_API_KEY", "bench")
        .env("DD_APP_KEY", "bench")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "plan must find no changes: {stderr}");
    assert!(!stderr.contains("gates::"), "every query matches its monitor: {stderr}");
    let requests = sandbox.requests();
    let refused = requests.iter().filter(|r| r.status == 429).count();
    let mut per_limit = std::collections::BTreeMap::new();
    for r in &requests {
        *per_limit.entry(sandbox::faults::limit_name(&r.path)).or_insert(0) += 1;
    }
    let _guard = runtime.enter();
    drop(sandbox);
    NetworkRun { wall, requests: requests.len(), refused, per_limit, peak_mib: children_peak_mib() }
}

/// Validate + diff + render of 10,000 gates, in this thread's CPU time.
fn cpu_benchmark() {
    let cpu_gates = 10_000;
    let text_config = config(cpu_gates);
    let remote = {
        let mut r = RemoteState::default();
        let desired = config::load_sources(&[source::SourceFile::new(
            "gates.toml".into(),
            source::Format::Toml,
            text_config.clone(),
        )])
        .unwrap();
        for (i, (key, gate)) in desired.gates.iter().enumerate() {
            r.gates.insert(
                key.clone(),
                RemoteGate { id: format!("g{i}"), key: key.clone(), dry_run: gate.dry_run, changed_ms: None },
            );
            let rules = gate
                .rules
                .values()
                .enumerate()
                .map(|(j, rule)| RemoteRule { id: format!("r{i}-{j}"), rule: rule.clone(), changed_ms: None })
                .collect();
            r.rules.insert(key.clone(), rules);
        }
        // One change so that render has something to print besides the summary.
        let first = GateKey::new("svc00000", "production", "default");
        r.gates.get_mut(&first).unwrap().dry_run = true;
        r
    };
    let mut samples = Vec::new();
    for _ in 0..11 {
        let before = thread_cpu();
        let file = source::SourceFile::new("gates.toml".into(), source::Format::Toml, text_config.clone());
        let desired = config::load_sources(&[file]).unwrap();
        let plan = plan::diff(&desired, &remote, &PlanOptions::default());
        let out = text::render_plan(&plan, Palette::PLAIN);
        assert!(out.contains("1 to update"));
        samples.push(thread_cpu() - before);
    }
    samples.sort();
    println!("validate + diff + render, {cpu_gates} gates × 2 rules, no network (11 runs)");
    println!(
        "  CPU time         {:>8.1} ms median, {:.1} ms min (target < 150 ms)",
        samples[5].as_secs_f64() * 1000.0,
        samples[0].as_secs_f64() * 1000.0
    );
}

/// The state `coverage` is measured on: 50,000 deployments of 500 services over 30 days,
/// every other one through a gate evaluation of its version. Written by a process of its own
/// (`GATESCTL_BENCH_COVERAGE_STATE`), so that the process measuring stays small: a child's
/// peak memory counts its parent's pages at the fork.
/// `services` services (named `svc` and `width` digits) deploying `per_service` times each over
/// 30 days, every other deployment after a passing evaluation: the deployments and evaluations.
fn deployed(services: usize, per_service: usize, width: usize) -> (Vec<StoredDoraEvent>, Vec<StoredEvaluation>) {
    let now = gatesctl_core::model::time::now_ms();
    let span = 30 * 24 * 3600 * 1000 - 3_600_000;
    let mut dora = Vec::with_capacity(services * per_service);
    let mut evaluations = Vec::new();
    for i in 0..services * per_service {
        let (service, n) = (format!("svc{:0width$}", i % services), i / services);
        let started = now - 60_000 - (i as i64 * span / (services * per_service) as i64);
        let version = format!("v{n}");
        dora.push(StoredDoraEvent {
            kind: "deployment".into(),
            id: String::new(),
            attributes: serde_json::json!({"service": service, "env": "production", "version": version,
                "started_at": started * 1_000_000, "finished_at": (started + 60_000) * 1_000_000}),
        });
        if i % 2 == 0 {
            evaluations.push(StoredEvaluation {
                id: String::new(),
                gate_id: None,
                service,
                env: "production".into(),
                identifier: "default".into(),
                version,
                dry_run: false,
                started_at: gatesctl_core::model::time::format_rfc3339(started - 30_000),
                finished_at: Some(gatesctl_core::model::time::format_rfc3339(started - 10_000)),
                status: "pass".into(),
                rules: Vec::new(),
            });
        }
    }
    (dora, evaluations)
}

fn write_coverage_state(path: &std::path::Path, services: usize, per_service: usize) {
    let (dora, evaluations) = deployed(services, per_service, 3);
    Store { gates: Vec::new(), monitors: None, evaluations: Some(evaluations), dora: Some(dora), ..Default::default() }
        .save(path)
        .unwrap();
}

/// `coverage --since 30d` of that state, against a sandbox in a process of its own; its own
/// peak memory, from `wait4`.
fn coverage_benchmark() {
    use std::io::BufRead;
    let (services, per_service) = (500usize, 100usize);
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let written = Command::new(std::env::current_exe().unwrap())
        .env_remove("GATESCTL_BENCH_COVERAGE_ONLY")
        .env("GATESCTL_BENCH_COVERAGE_STATE", &state)
        .status()
        .unwrap();
    assert!(written.success());
    std::fs::write(dir.path().join("gates.toml"), config(services)).unwrap();
    let mut sandbox = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--state"])
        .arg(dir.path().join("sandbox.db"))
        .arg("--import")
        .arg(&state)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sandbox.stderr.take().unwrap()).lines();
    let url = loop {
        let line = lines.next().expect("the sandbox starts").unwrap();
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let started = Instant::now();
    #[allow(clippy::zombie_processes, reason = "wait4 below reaps it, and reads its peak memory")]
    let child = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(["-v", "coverage", "--since", "30d", "--format", "json"])
        .current_dir(dir.path())
        .env("DD_API_URL", &url)
        .env("DD_API_KEY", "bench")
        .env("DD_APP_KEY", "bench")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    // The trace (`-v`) names every request sent: the DORA reads are counted from it.
    let stderr = child.stderr.unwrap();
    let trace = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut text).unwrap();
        text
    });
    let mut stdout = child.stdout.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
    let trace = trace.join().unwrap();
    let dora_requests = trace.lines().filter(|l| l.contains("→ POST") && l.contains("dora/deployments")).count();
    // SAFETY: rusage is plain integers, for which all zeroes is a valid value.
    let (mut status, mut usage): (libc::c_int, libc::rusage) = (0, unsafe { std::mem::zeroed() });
    // SAFETY: wait4 writes the status and the usage of the child just spawned.
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let wall = started.elapsed();
    let _ = sandbox.kill();
    let _ = sandbox.wait();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["summary"]["deployments"], services * per_service);
    assert_eq!(doc["summary"]["gated"], services * per_service / 2);
    let deployments = services * per_service;
    // The fewest requests that can read them: full answers of 1,000, then one that holds fewer.
    let minimum = deployments / 1000 + 1;
    println!("coverage, 30 days, {deployments} deployments of {services} services, half gated");
    println!("  wall time        {:>8.2} s", wall.as_secs_f64());
    println!(
        "  DORA requests    {dora_requests:>8} (the minimum {minimum}; ratio {:.2}, target 1.1 or less)",
        dora_requests as f64 / minimum as f64
    );
    println!("  peak memory      {:>8.1} MiB (target well under 100)\n", usage.ru_maxrss as f64 / 1024.0);
}

/// The organisation the audit is measured on: `gates` gates (every tenth in dry run since
/// 2026-01-01), half their services in the catalog (tier 1 or 2), each of those deploying
/// `per_service` times over 30 days, every other deployment after a passing evaluation.
fn audit_store(gates: usize, per_service: usize) -> Store {
    let mut store = store(gates);
    for (i, gate) in store.gates.iter_mut().enumerate() {
        gate.dry_run = i % 10 == 0;
    }
    let services = gates / 2;
    store.catalog = Some(
        (0..services)
            .map(|i| StoredEntity {
                id: String::new(),
                kind: "service".into(),
                name: format!("svc{i:05}"),
                owner: format!("team-{}", i % 50),
                tags: vec![format!("tier:{}", 1 + i % 2), format!("team:team-{}", i % 50)],
            })
            .collect(),
    );
    let (dora, evaluations) = deployed(services, per_service, 5);
    store.dora = Some(dora);
    store.evaluations = Some(evaluations);
    store
}

const AUDIT_POLICY: &str = r#"version = 1

[[policy]]
name = "tier-1-enforced"
level = "error"
scope = { env = "production", catalog = "tier:1" }
require = ["gate", "enforced-rule", "monitor-rule", "faulty-deployment-detection"]
min_rule_duration = "5m"
max_dry_run_days = 30
min_coverage_percent = 95
"#;

/// `audit` of 10,000 gates, 5,000 catalog services and 30 days of DORA, each family of
/// endpoints under its own rate limit.
fn audit_benchmark() {
    let gates = 10_000;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(gates)).unwrap();
    std::fs::write(dir.path().join("policies.toml"), AUDIT_POLICY).unwrap();
    let limit = RateLimit { limit: 200, period: Duration::from_secs(1) };
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let options = SandboxOptions {
        database: Some(dir.path().join("sandbox.db")),
        seed: Some(audit_store(gates, 6)),
        faults: Faults { latency: LATENCY, rate_limit: Some(limit), ..Default::default() },
        ..Default::default()
    };
    let sandbox = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        sandbox::start(listener, options).await.unwrap()
    });
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(["audit", "--format", "json"])
        .current_dir(dir.path())
        .env("DD_API_URL", sandbox.url())
        .env("DD_API_KEY", "bench")
        .env("DD_APP_KEY", "bench")
        .output()
        .unwrap();
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "the audit finds the dry-run gates: {stderr}");
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((doc["gates"].as_u64(), doc["catalog_services"].as_u64()), (Some(gates as u64), Some(gates as u64 / 2)));
    let requests = sandbox.requests();
    let refused = requests.iter().filter(|r| r.status == 429).count();
    let mut per_limit: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for r in &requests {
        *per_limit.entry(sandbox::faults::limit_name(&r.path)).or_insert(0) += 1;
    }
    let _guard = runtime.enter();
    drop(sandbox);
    let busiest = per_limit.values().copied().max().unwrap_or(0);
    let bound = Duration::from_secs_f64(busiest as f64 / limit.limit as f64 * limit.period.as_secs_f64());
    println!(
        "audit, {gates} gates, {} catalog services, {} deployments in 30 days, {} ms latency, a rate limit of {} requests / {} s per family",
        gates / 2,
        gates / 2 * 6,
        LATENCY.as_millis(),
        limit.limit,
        limit.period.as_secs()
    );
    println!("  wall time        {:>8.2} s", wall.as_secs_f64());
    let split: Vec<String> = per_limit.iter().map(|(name, n)| format!("{n} {name}")).collect();
    println!("  requests         {:>8} ({}; {refused} answered 429)", requests.len(), split.join(", "));
    println!("  bound            {:>8.2} s (requests of the busiest limit ÷ its rate)", bound.as_secs_f64());
    println!("  ratio            {:>8.2} (target ≤ 1.10)\n", wall.as_secs_f64() / bound.as_secs_f64());
}

/// A history API of `gates` gates of two rules each, evaluated `per_gate` times over 30 days
/// (`gates × per_gate × 3` items), generated page by page as the API pages them (newest first,
/// filtered by service, offset cursors): what `report` is measured on. Generated, not stored,
/// so that a million items cost the server nothing.
fn history_server(gates: usize, per_gate: usize) -> (String, tokio::runtime::Runtime) {
    use axum::extract::{Query, State};
    use axum::routing::get;
    use std::collections::HashMap;
    use std::sync::Arc;

    struct Org {
        gates: usize,
        per_gate: usize,
        now: i64,
    }
    impl Org {
        /// When evaluation `n` of gate `g` started: every gate's n-th, then the (n+1)-th.
        fn started(&self, g: usize, n: usize) -> i64 {
            let span = 30 * 24 * 3600 * 1000 - 3_600_000;
            self.now - 120_000 - ((n * self.gates + g) as i64 * span / (self.gates * self.per_gate) as i64)
        }
    }
    async fn page(
        State(org): State<Arc<Org>>,
        Query(q): Query<HashMap<String, String>>,
        rules: bool,
    ) -> axum::Json<serde_json::Value> {
        use gatesctl_core::model::time::format_rfc3339;
        let wanted: Vec<usize> = q
            .get("filter[service]")
            .map(|s| s.split(',').filter_map(|name| name.strip_prefix("svc")?.parse().ok()).collect())
            .unwrap_or_else(|| (0..org.gates).collect());
        let per_evaluation = if rules { 2 } else { 1 };
        let total = wanted.len() * org.per_gate * per_evaluation;
        let offset: usize = q.get("page[cursor]").and_then(|c| c.parse().ok()).unwrap_or(0);
        let size: usize = q.get("page[size]").and_then(|c| c.parse().ok()).unwrap_or(100);
        let data: Vec<serde_json::Value> = (offset..(offset + size).min(total))
            .map(|k| {
                let (item, part) = (k / per_evaluation, k % per_evaluation);
                let (n, g) = (item / wanted.len(), wanted[item % wanted.len()]);
                let started = org.started(g, n);
                let evaluation = format!("00000000-0000-4000-8000-{:012}", n * org.gates + g);
                let common = serde_json::json!({"service": format!("svc{g:05}"), "env": "production",
                    "identifier": "default", "version": format!("v{n}"), "dry_run": false, "status": "pass",
                    "started_at": format_rfc3339(started), "finished_at": format_rfc3339(started + 30_000)});
                if !rules {
                    let mut a = common;
                    a["evaluation_id"] = evaluation.clone().into();
                    return serde_json::json!({"id": evaluation, "type": "deployment_gate_evaluation", "attributes": a});
                }
                let mut a = common;
                a["gate_evaluation_id"] = evaluation.into();
                a["reason"] = "All monitors in OK state".into();
                a["failures"] = serde_json::json!({"faulty_apm_resources": [], "monitors": [], "narratives": []});
                if part == 0 {
                    a["name"] = "Errors".into();
                    a["type"] = "monitor".into();
                    a["configuration"] =
                        serde_json::json!({"query": format!("service:svc{g:05} env:production"), "duration": 300});
                } else {
                    a["name"] = "Faulty deployment detection".into();
                    a["type"] = "faulty_deployment_detection".into();
                    a["configuration"] = serde_json::json!({"duration": 900, "excluded_resources": ["GET /healthz"]});
                }
                let id = format!("10000000-0000-4000-8000-{:012}", k + (n * org.gates + g) * 2);
                serde_json::json!({"id": id, "type": "deployment_gate_rule_evaluation", "attributes": a})
            })
            .collect();
        let next = (offset + size < total).then(|| (offset + size).to_string());
        axum::Json(serde_json::json!({"data": data, "meta": {"page": {"next_cursor": next, "size": size}}}))
    }
    let org = Arc::new(Org { gates, per_gate, now: gatesctl_core::model::time::now_ms() });
    let app = axum::Router::new()
        .route("/api/v2/deployment_gates/evaluations", get(|s, q| page(s, q, false)))
        .route("/api/v2/deployment_gates/evaluations/rules", get(|s, q| page(s, q, true)))
        .with_state(org);
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, runtime)
}

/// `report --since 30d` against that API: the gatesctl process's peak memory, per million
/// history items held.
fn history_benchmark() {
    let gates: usize = std::env::var("GATESCTL_BENCH_HISTORY_GATES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    let per_gate = 334;
    let items = gates * per_gate * 3;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), config(gates)).unwrap();
    let (url, _server) = history_server(gates, per_gate);
    let started = Instant::now();
    #[allow(clippy::zombie_processes, reason = "wait4 below reaps it, and reads its peak memory")]
    let child = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(["report", "--since", "30d", "--no-monitor-check", "--no-dora", "--format", "json"])
        .current_dir(dir.path())
        .env("DD_API_URL", &url)
        .env("DD_API_KEY", "bench")
        .env("DD_APP_KEY", "bench")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let mut stdout = child.stdout.unwrap();
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut text).unwrap();
    // SAFETY: rusage is plain integers, for which all zeroes is a valid value.
    let (mut status, mut usage): (libc::c_int, libc::rusage) = (0, unsafe { std::mem::zeroed() });
    // SAFETY: wait4 writes the status and the usage of the child just spawned.
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    let wall = started.elapsed();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let counted: u64 = doc["gates"].as_array().unwrap().iter().map(|g| g["evaluations"].as_u64().unwrap()).sum();
    assert_eq!(counted as usize, gates * per_gate, "every evaluation read and counted");
    let peak = usage.ru_maxrss as f64 / 1024.0;
    println!(
        "report, 30 days, {items} history items ({gates} gates × {per_gate} evaluations × 3: the gate's and 2 rules')"
    );
    println!("  wall time        {:>8.2} s", wall.as_secs_f64());
    println!(
        "  peak memory      {peak:>8.1} MiB, {:.0} MiB per million items (target under 300)\n",
        peak * 1_000_000.0 / items as f64
    );
}

fn main() {
    if std::env::var_os("GATESCTL_BENCH_CPU_ONLY").is_some() {
        return cpu_benchmark();
    }
    if std::env::var_os("GATESCTL_BENCH_HISTORY_ONLY").is_some() {
        return history_benchmark();
    }
    if let Some(path) = std::env::var_os("GATESCTL_BENCH_COVERAGE_STATE") {
        return write_coverage_state(std::path::Path::new(&path), 500, 100);
    }
    if std::env::var_os("GATESCTL_BENCH_COVERAGE_ONLY").is_some() {
        return coverage_benchmark();
    }
    if std::env::var_os("GATESCTL_BENCH_AUDIT_ONLY").is_some() {
        return audit_benchmark();
    }
    // `cargo bench` passes --bench; a filter argument is accepted and ignored.
    let gates: usize = std::env::var("GATESCTL_BENCH_GATES").ok().and_then(|v| v.parse().ok()).unwrap_or(5000);
    let parallelism = gatesctl_client::DEFAULT_PARALLELISM;
    let open = RateLimit { limit: 1_000_000, period: Duration::from_secs(1) };
    println!("\ngatesctl scale benchmark, parallelism {parallelism}\n");

    // 3 first: the peak memory figure is the largest child's so far.
    for monitor_check in [true, false] {
        let run = plan_against_sandbox(gates, LATENCY, open, parallelism, monitor_check);
        let what = if monitor_check { "with the monitor check (default)" } else { "--no-monitor-check" };
        let bound = LATENCY.mul_f64(run.requests as f64 / parallelism as f64);
        println!("plan, {gates} gates × 2 rules, {} ms latency, no binding rate limit, {what}", LATENCY.as_millis());
        println!("  wall time        {:>8.2} s", run.wall.as_secs_f64());
        println!(
            "  requests         {:>8} (one list per 1000 gates + one rules read per gate{})",
            run.requests,
            if monitor_check { " + one monitor search per query" } else { "" }
        );
        println!("  bound            {:>8.2} s (requests × latency ÷ parallelism)", bound.as_secs_f64());
        println!("  ratio            {:>8.2}", run.wall.as_secs_f64() / bound.as_secs_f64());
        if monitor_check {
            println!("  peak memory      {:>8.1} MiB (target < 64)\n", run.peak_mib);
        } else {
            println!();
        }
    }

    // 1. Latency-bound: 1,000 gates, 100 ms a request.
    let slow = Duration::from_millis(100);
    let run = plan_against_sandbox(1000, slow, open, parallelism, true);
    let bound = slow.mul_f64(run.requests as f64 / parallelism as f64);
    println!("plan, 1000 gates, 100 ms latency, no binding rate limit, with the monitor check");
    println!("  wall time        {:>8.2} s", run.wall.as_secs_f64());
    println!("  requests         {:>8}", run.requests);
    println!("  bound            {:>8.2} s (requests × latency ÷ parallelism)", bound.as_secs_f64());
    println!("  ratio            {:>8.2} (target ≤ 1.10)\n", run.wall.as_secs_f64() / bound.as_secs_f64());

    // 2. Rate-limit-bound: two limits of 100 requests/s, each endpoint family under its own.
    let limit = RateLimit { limit: 100, period: Duration::from_secs(1) };
    let run = plan_against_sandbox(1000, LATENCY, limit, parallelism, true);
    let busiest = run.per_limit.values().copied().max().unwrap_or(0);
    let bound = Duration::from_secs_f64(busiest as f64 / limit.limit as f64 * limit.period.as_secs_f64());
    println!(
        "plan, 1000 gates, {} ms latency, two rate limits of {} requests / {} s (gates, monitors), with the monitor check",
        LATENCY.as_millis(),
        limit.limit,
        limit.period.as_secs()
    );
    println!("  wall time        {:>8.2} s", run.wall.as_secs_f64());
    let split: Vec<String> = run.per_limit.iter().map(|(name, n)| format!("{n} {name}")).collect();
    println!("  requests         {:>8} ({}; {} answered 429)", run.requests, split.join(", "), run.refused);
    println!("  bound            {:>8.2} s (requests of the busier limit ÷ its rate)", bound.as_secs_f64());
    println!("  ratio            {:>8.2} (target ≤ 1.20)\n", run.wall.as_secs_f64() / bound.as_secs_f64());

    // Each in a fresh process of its own: neither this one's heap, threads nor children colour
    // the figures.
    for only in [
        "GATESCTL_BENCH_COVERAGE_ONLY",
        "GATESCTL_BENCH_HISTORY_ONLY",
        "GATESCTL_BENCH_AUDIT_ONLY",
        "GATESCTL_BENCH_CPU_ONLY",
    ] {
        let out = Command::new(std::env::current_exe().unwrap()).env(only, "1").output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            print!("{}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
