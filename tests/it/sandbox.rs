//! The sandbox speaks the Deployment Gates API as the service does (its recorded traffic is in
//! `fixtures/recorded`), checked over raw HTTP; its state survives restarts, kills and
//! concurrent writers; `--sandbox` needs no credentials and keeps its state to itself.

use std::time::Duration;

use gatesctl_sandbox::store::Store;
use serde_json::{json, Value};

use crate::common::{gatesctl, repo, run_ok, write, Http, TestSandbox, NO_CHANGES, SMALL};

fn gate_body(service: &str) -> Value {
    json!({"data": {"type": "deployment_gate", "attributes": {"service": service, "env": "prod"}}})
}

#[test]
fn keys_are_required_and_refusals_use_the_string_error_shape() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    let (status, ctype, body) = http.send(reqwest::Method::GET, "/api/v2/deployment_gates", None, false);
    assert_eq!(status, 403);
    assert_eq!(ctype, "application/vnd.api+json");
    assert_eq!(body, json!({"errors": ["Forbidden"]}));
}

#[test]
fn gates_default_their_identifier_and_refuse_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    let (status, created) = http.post("/api/v2/deployment_gates", gate_body("checkout"));
    assert_eq!(status, 200);
    assert_eq!(created["data"]["attributes"]["identifier"], "default");
    assert_eq!(created["data"]["attributes"]["dry_run"], false);
    assert_eq!(created["data"]["type"], "deployment_gate");
    let (status, dup) = http.post("/api/v2/deployment_gates", gate_body("checkout"));
    assert_eq!(status, 400);
    assert_eq!(dup["errors"][0]["detail"], "Gate already exists with the given env, service and identifier");
    let (status, missing) = http
        .post("/api/v2/deployment_gates", json!({"data": {"type": "deployment_gate", "attributes": {"service": "x"}}}));
    assert_eq!(status, 400);
    assert_eq!(missing["errors"][0]["detail"], "attribute \"env\" is required");
}

#[test]
fn the_gate_list_pages_with_next_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    for i in 0..5 {
        assert_eq!(http.post("/api/v2/deployment_gates", gate_body(&format!("svc{i}"))).0, 200);
    }
    let (_, first) = http.get("/api/v2/deployment_gates?page[size]=2");
    assert_eq!(first["data"].as_array().unwrap().len(), 2);
    let cursor = first["meta"]["page"]["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = http.get(&format!("/api/v2/deployment_gates?page[size]=2&page[cursor]={cursor}"));
    assert_eq!(second["data"][0]["attributes"]["service"], "svc2");
    let (_, last) = http.get("/api/v2/deployment_gates?page[size]=2&page[cursor]=4");
    assert_eq!(last["data"].as_array().unwrap().len(), 1);
    assert!(last["meta"]["page"].get("next_cursor").is_none(), "no next_cursor on the last page");
    assert_eq!(http.get("/api/v2/deployment_gates?page[size]=1001").0, 400);
    // The client reads every page.
    assert_eq!(sandbox.block_on(sandbox.client().list_gates(&Default::default())).unwrap().len(), 5);
}

#[test]
fn rules_carry_their_id_in_lists_and_keep_empty_lists() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    let (_, gate) = http.post("/api/v2/deployment_gates", gate_body("checkout"));
    let gate_id = gate["data"]["id"].as_str().unwrap();
    let rules = format!("/api/v2/deployment_gates/{gate_id}/rules");
    let (status, rule) = http.post(
        &rules,
        json!({"data": {"type": "deployment_rule", "attributes": {"name": "fdd", "type": "faulty_deployment_detection", "options": {"duration": 900, "excluded_resources": []}}}}),
    );
    assert_eq!(status, 200, "{rule}");
    assert_eq!(rule["data"]["attributes"]["options"], json!({"duration": 900, "excluded_resources": []}));
    let (_, list) = http.get(&rules);
    assert_eq!(list["data"]["type"], "list_deployment_rules");
    assert_eq!(list["data"]["attributes"]["rules"][0]["id"], rule["data"]["id"]);
    let (status, bad) = http.post(
        &rules,
        json!({"data": {"type": "deployment_rule", "attributes": {"name": "x", "type": "slo", "options": {}}}}),
    );
    assert_eq!(status, 400);
    assert_eq!(bad["errors"][0]["detail"], "attribute \"type\" must be one of \"monitor faulty_deployment_detection\"");
    let rule_id = rule["data"]["id"].as_str().unwrap();
    let (status, _, _) = http.send(
        reqwest::Method::PUT,
        &format!("{rules}/{rule_id}"),
        Some(json!({"data": {"type": "deployment_rule", "attributes": {"name": "fdd", "type": "monitor", "dry_run": false, "options": {"query": "x"}}}})),
        true,
    );
    assert_eq!(status, 400, "a rule's type cannot change");
    let (status, _, body) = http.send(reqwest::Method::DELETE, &format!("{rules}/{rule_id}"), None, true);
    assert_eq!((status, body), (204, Value::Null));
    let (status, gone) = http.get(&format!("{rules}/{rule_id}"));
    assert_eq!(status, 404);
    assert_eq!(gone["errors"][0]["detail"], "Rule does not exist");
}

#[test]
fn state_persists_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    {
        let sandbox = TestSandbox::start(dir.path());
        assert_eq!(Http::new(&sandbox).post("/api/v2/deployment_gates", gate_body("checkout")).0, 200);
    }
    let sandbox = TestSandbox::start(dir.path());
    let gates = sandbox.block_on(sandbox.client().list_gates(&Default::default())).unwrap();
    assert_eq!(gates.len(), 1);
    assert_eq!(gates[0].key.service, "checkout");
}

#[test]
fn the_drop_empty_lists_fault_answers_as_the_service_did_in_2025() {
    let dir = tempfile::tempdir().unwrap();
    let faults = gatesctl_sandbox::Faults { drop_empty_lists: true, ..Default::default() };
    let sandbox =
        TestSandbox::start_with(dir.path(), gatesctl_sandbox::SandboxOptions { faults, ..Default::default() });
    let http = Http::new(&sandbox);
    let (_, gate) = http.post("/api/v2/deployment_gates", gate_body("checkout"));
    let rules = format!("/api/v2/deployment_gates/{}/rules", gate["data"]["id"].as_str().unwrap());
    let (_, rule) = http.post(
        &rules,
        json!({"data": {"type": "deployment_rule", "attributes": {"name": "fdd", "type": "faulty_deployment_detection", "options": {"duration": 900, "excluded_resources": []}}}}),
    );
    assert_eq!(rule["data"]["attributes"]["options"], json!({"duration": 900}));
}

#[test]
fn refusals_of_the_server_itself_use_the_json_api_shape() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    let (status, ctype, body) = http.send(reqwest::Method::PATCH, "/api/v2/deployment_gates", None, true);
    assert_eq!((status, ctype.as_str()), (405, "application/vnd.api+json"));
    assert_eq!(body["errors"][0]["status"], "405");
    let huge =
        json!({"data": {"type": "deployment_gate", "attributes": {"service": "x".repeat(10 << 20), "env": "prod"}}});
    let (status, ctype, body) = http.send(reqwest::Method::POST, "/api/v2/deployment_gates", Some(huge), true);
    assert_eq!((status, ctype.as_str()), (413, "application/vnd.api+json"));
    assert_eq!(body["errors"][0]["status"], "413");
    // A create of the wrong kind of resource.
    let (status, body) = http.post(
        "/api/v2/deployment_gates",
        json!({"data": {"type": "deployment_rule", "attributes": {"service": "a", "env": "b"}}}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["detail"], "attribute \"type\" of data must be \"deployment_gate\"");
    // An inline evaluation needs a rule to evaluate.
    let (status, body) = http.post(
        "/api/v2/deployments/gates/evaluation",
        json!({"data": {"type": "deployment_gates_evaluation_request", "attributes": {"service": "a", "env": "b", "configuration": {"rules": []}}}}),
    );
    assert_eq!(status, 400);
    assert_eq!(body["errors"][0]["detail"], "attribute \"configuration.rules\" must contain at least one rule");
    assert!(sandbox.store().gates.is_empty());
}

/// `gatesctl sandbox` as its own process, on a state file, with the URL it prints.
struct SandboxProcess {
    child: Option<crate::common::BoundedChild>,
    url: String,
    drain: Option<std::thread::JoinHandle<String>>,
}

impl SandboxProcess {
    fn start(state: &std::path::Path) -> SandboxProcess {
        use std::io::{BufRead, BufReader, Read};
        let dir = state.parent().unwrap();
        let args = ["sandbox", "--listen", "127.0.0.1:0", "--state", state.to_str().unwrap()];
        let mut cmd = crate::common::hermetic(dir, &args, &[]);
        cmd.stdin(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
        let mut child = crate::common::spawn_bounded(cmd).unwrap();
        // Its first line names the address it took.
        let mut stderr = BufReader::new(child.process().stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        let url = first.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).map(str::to_string);
        let url = url.unwrap_or_else(|| panic!("the sandbox prints its URL: {first}"));
        // Keep reading, so that the sandbox's later lines never meet a closed pipe.
        let drain = std::thread::spawn(move || {
            let mut rest = String::new();
            let _ = stderr.read_to_string(&mut rest);
            rest
        });
        SandboxProcess { child: Some(child), url, drain: Some(drain) }
    }

    fn signal(&mut self, signal: i32) -> (Option<i32>, String) {
        let mut child = self.child.take().expect("signalled once");
        // SAFETY: kill only sends a signal to the child spawned above.
        unsafe { libc::kill(child.process().id() as i32, signal) };
        let status = child.wait();
        (status.code(), self.drain.take().unwrap().join().unwrap())
    }
}

/// The gates of a state file, by service.
fn services_in(state: &std::path::Path) -> std::collections::BTreeSet<String> {
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("state.json");
    let run = crate::common::gatesctl(
        dir.path(),
        &[
            "sandbox",
            "--listen",
            "127.0.0.1:0",
            "--state",
            state.to_str().unwrap(),
            "--export",
            export.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{run:?}");
    Store::load(&export).unwrap().gates.into_iter().map(|g| g.service).collect()
}

/// Writers creating gates at once against `url`; each acknowledged create is sent to `acks`.
/// Each writer stops at its first failure (the server is gone) or after 2,000 creates.
fn concurrent_writers(
    url: &str,
    writers: usize,
    acks: std::sync::mpsc::Sender<String>,
) -> Vec<std::thread::JoinHandle<()>> {
    (0..writers)
        .map(|w| {
            let (url, acks) = (url.to_string(), acks.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                let http = reqwest::Client::new();
                runtime.block_on(async {
                    for i in 0..2000 {
                        let service = format!("writer{w}-{i:04}");
                        let sent = http
                            .post(format!("{url}/api/v2/deployment_gates"))
                            .header("DD-API-KEY", "k")
                            .header("DD-APPLICATION-KEY", "k")
                            .body(gate_body(&service).to_string())
                            .send()
                            .await;
                        // Acknowledged: a 200 whose whole answer arrived.
                        let acknowledged = match sent {
                            Ok(r) => r.status() == 200 && r.bytes().await.is_ok(),
                            Err(_) => false,
                        };
                        if !acknowledged || acks.send(service).is_err() {
                            return;
                        }
                    }
                })
            })
        })
        .collect()
}

/// Every create the sandbox acknowledged before being stopped by `signal` is in its state.
fn no_acknowledged_write_is_lost(signal: i32) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let mut server = SandboxProcess::start(&state);
    let (acks, acknowledged) = std::sync::mpsc::channel();
    let writers = concurrent_writers(&server.url, 4, acks);
    // Stop it in the thick of it: once 200 creates are acknowledged.
    let mut acked: Vec<String> = acknowledged.iter().take(200).collect();
    let stopped = server.signal(signal);
    for writer in writers {
        writer.join().unwrap();
    }
    acked.extend(acknowledged.try_iter());
    assert!(acked.len() >= 200);
    let kept = services_in(&state);
    let lost: Vec<&String> = acked.iter().filter(|s| !kept.contains(*s)).collect();
    assert!(lost.is_empty(), "{} acknowledged creates lost after signal {signal}: {lost:?}", lost.len());
    stopped
}

#[test]
fn kill_9_under_concurrent_writers_loses_no_acknowledged_write() {
    let (code, _) = no_acknowledged_write_is_lost(libc::SIGKILL);
    assert_eq!(code, None, "killed");
}

#[test]
fn sigterm_stops_accepting_finishes_in_flight_and_loses_nothing() {
    let (code, said) = no_acknowledged_write_is_lost(libc::SIGTERM);
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("sandbox stopped"), "{said}");
}

#[test]
fn the_sandbox_command_serves_on_loopback_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let mut server = SandboxProcess::start(&state);
    crate::common::write(dir.path(), "gates.toml", crate::common::SMALL);
    let env = [("DD_API_URL", server.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let apply = crate::common::gatesctl(dir.path(), &["apply", "--auto-approve"], &env);
    let plan = crate::common::gatesctl(dir.path(), &["plan", "--detailed-exitcode"], &env);
    let (code, _) = server.signal(libc::SIGTERM);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert_eq!(plan.code, 0, "{plan:?}");
    assert_eq!(code, Some(0));
    assert_eq!(services_in(&state), ["checkout".to_string(), "search".to_string()].into());
}

const TEAM_A: &str = "version = 1\n\n[manage]\nservices = [\"a-*\"]\n";
const TEAM_B: &str = "version = 1\n\n[manage]\nservices = [\"b-*\"]\n";

fn team(header: &str, prefix: &str, gates: std::ops::Range<usize>) -> String {
    let mut text = header.to_string();
    for i in gates {
        text.push_str(&format!(
            "\n[[gates]]\nservice = \"{prefix}-{i:02}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:{prefix}-{i:02}\"\n"
        ));
    }
    text
}

#[test]
fn fifty_sandbox_applies_in_a_row_never_corrupt_the_state() {
    let dir = tempfile::tempdir().unwrap();
    // Two shapes of one team's gates, applied in turn with --prune: each run creates and deletes.
    let shapes = [team(TEAM_A, "a", 0..6), team(TEAM_A, "a", 3..9)];
    for run in 0..50 {
        crate::common::write(dir.path(), "gates.toml", &shapes[run % 2]);
        let apply =
            crate::common::gatesctl(dir.path(), &["--sandbox", "apply", "--prune", "--force", "--auto-approve"], &[]);
        assert_eq!(apply.code, 0, "run {run}: {apply:?}");
    }
    let plan = crate::common::gatesctl(dir.path(), &["--sandbox", "plan", "--prune", "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let expected: std::collections::BTreeSet<String> = (3..9).map(|i| format!("a-{i:02}")).collect();
    assert_eq!(services_in(&dir.path().join(".gatesctl/sandbox.db")), expected);
}

#[test]
fn two_sandbox_applies_at_once_in_one_directory_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::write(dir.path(), "a.toml", &team(TEAM_A, "a", 0..25));
    crate::common::write(dir.path(), "b.toml", &team(TEAM_B, "b", 0..25));
    let spawn = |file: &str| {
        let mut cmd = crate::common::hermetic(dir.path(), &["--sandbox", "apply", "--auto-approve", "-f", file], &[]);
        cmd.stdin(std::process::Stdio::null());
        std::thread::spawn(move || crate::common::run_bounded(cmd))
    };
    let (a, b) = (spawn("a.toml"), spawn("b.toml"));
    let (a, b) = (a.join().unwrap(), b.join().unwrap());
    assert_eq!(a.code, 0, "{a:?}");
    assert_eq!(b.code, 0, "{b:?}");
    let plan = crate::common::gatesctl(
        dir.path(),
        &["--sandbox", "plan", "-f", "a.toml", "-f", "b.toml", "--detailed-exitcode"],
        &[],
    );
    assert_eq!(plan.code, 0, "every gate of both teams is there: {plan:?}");
    assert_eq!(services_in(&dir.path().join(".gatesctl/sandbox.db")).len(), 50);
}

/// Seen in CI: two sandboxes creating one state at once, one of them refused "database is
/// locked", because SQLite does not wait when both ask to switch a new file's journal mode.
/// Threads lined up on a barrier open it closer together than processes can be started.
#[test]
fn sandboxes_started_together_on_a_new_state_all_start() {
    const TOGETHER: usize = 4;
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("sandbox.db");
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(TOGETHER));
        // Whatever can fail is done here, before any thread waits: a thread that panicked
        // before the barrier would leave the others waiting for ever.
        let starts: Vec<_> = (0..TOGETHER)
            .map(|_| {
                let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                listener.set_nonblocking(true).unwrap();
                let (state, barrier) = (state.clone(), barrier.clone());
                std::thread::spawn(move || {
                    runtime.block_on(async {
                        let listener = tokio::net::TcpListener::from_std(listener);
                        barrier.wait();
                        let listener = listener.map_err(|e| e.to_string())?;
                        let options = gatesctl_sandbox::SandboxOptions { database: Some(state), ..Default::default() };
                        gatesctl_sandbox::start(listener, options).await.map(|_| ()).map_err(|e| e.to_string())
                    })
                })
            })
            .collect();
        for start in starts {
            assert_eq!(start.join().unwrap(), Ok(()), "round {round}");
        }
    }
}

#[test]
fn an_earlier_json_state_is_imported_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".gatesctl")).unwrap();
    let store = Store {
        monitors: None,
        gates: vec![gatesctl_sandbox::store::StoredGate {
            id: "00000000-0000-4000-8000-000000000001".into(),
            service: "legacy".into(),
            env: "production".into(),
            identifier: "default".into(),
            dry_run: false,
            created_at: "2026-01-01T00:00:00.000000Z".into(),
            updated_at: "2026-01-01T00:00:00.000000Z".into(),
            rules: vec![],
        }],
        evaluations: None,
        dora: None,
        ..Default::default()
    };
    store.save(&dir.path().join(".gatesctl/sandbox.json")).unwrap();
    crate::common::write(dir.path(), "gates.toml", "version = 1\n");
    let plan = crate::common::gatesctl(dir.path(), &["--sandbox", "plan"], &[]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains("legacy/production/default"), "{plan:?}");
}

#[test]
fn the_sandbox_command_refuses_other_addresses_than_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::common::gatesctl(dir.path(), &["sandbox", "--listen", "0.0.0.0:0"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("listens on loopback only"), "{run:?}");
}

#[test]
#[cfg(unix)]
fn the_state_is_never_created_through_a_planted_link() {
    use crate::common::{gatesctl, write, SMALL};
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    std::fs::create_dir(dir.path().join(".gatesctl")).unwrap();
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let target = elsewhere.join("owned.db");
    let state = dir.path().join(".gatesctl/sandbox.db");
    std::os::unix::fs::symlink(&target, &state).unwrap();
    // Given to another user when the test may (as root); dangling either way.
    let path = std::ffi::CString::new(state.to_str().unwrap()).unwrap();
    // SAFETY: lchown only changes the owner of the link just created.
    let foreign = unsafe { libc::lchown(path.as_ptr(), 65534, 65534) } == 0;
    let run = gatesctl(dir.path(), &["--sandbox", "plan", "--no-monitor-check"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("cannot open the sandbox state .gatesctl/sandbox.db: it is a symbolic link to nothing"),
        "{run:?}"
    );
    assert!(!target.exists(), "nothing was created where the link points");
    // A link to an existing file is refused too when it belongs to someone else.
    std::fs::write(&target, b"").unwrap();
    if foreign {
        let run = gatesctl(dir.path(), &["--sandbox", "plan", "--no-monitor-check"], &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("symbolic link owned by another user"), "{run:?}");
        assert_eq!(std::fs::read(&target).unwrap(), b"", "nothing was written through it");
    } else {
        eprintln!("skipped the foreign-owner half: giving a link to another user needs root");
    }
    // The journal beside the state is checked as well.
    std::fs::remove_file(&state).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("wal"), dir.path().join(".gatesctl/sandbox.db-wal")).unwrap();
    let run = gatesctl(dir.path(), &["--sandbox", "plan", "--no-monitor-check"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("sandbox.db-wal: it is a symbolic link to nothing"), "{run:?}");
    assert!(!elsewhere.join("wal").exists());
}

/// What the official clients (datadog-api-client 2.62.0) read: integers where they type
/// integers, id strings where they type strings, and no `""` where they expect a UUID.
#[test]
fn history_and_results_read_as_the_official_clients_type_them() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let http = Http::new(&sandbox);
    let (status, gate) = http.post("/api/v2/deployment_gates", gate_body("checkout"));
    assert_eq!(status, 200, "{gate}");
    let gate_id = gate["data"]["id"].as_str().unwrap().to_string();
    for (name, options) in [
        ("By id", json!({"monitor_ids": [{"id": "1001", "groups": ["region:eu"]}, {"id": "1002", "groups": []}]})),
        ("By query", json!({"query": "service:checkout"})),
    ] {
        let body = json!({"data": {"type": "deployment_rule", "attributes": {"name": name, "type": "monitor", "options": options}}});
        assert_eq!(http.post(&format!("/api/v2/deployment_gates/{gate_id}/rules"), body).0, 200);
    }
    let trigger = |configuration: Option<Value>| {
        let mut attributes = json!({"service": "checkout", "env": "prod"});
        if let Some(c) = configuration {
            attributes["configuration"] = c;
        }
        let (status, body) = http.post(
            "/api/v2/deployments/gates/evaluation",
            json!({"data": {"type": "deployment_gates_evaluation_request", "attributes": attributes}}),
        );
        assert_eq!(status, 202, "{body}");
        body["data"]["attributes"]["evaluation_id"].as_str().unwrap().to_string()
    };
    let stored = trigger(None);
    let inline = trigger(Some(json!({"rules": [{"name": "Inline", "type": "monitor", "options": {"query": "x"}}]})));
    // An inline evaluation has no gate: `gate_id` is the nil UUID (the clients require one,
    // and refuse "").
    let (_, result) = http.get(&format!("/api/v2/deployments/gates/evaluation/{inline}"));
    assert_eq!(result["data"]["attributes"]["gate_id"], json!("00000000-0000-0000-0000-000000000000"), "{result}");
    let (_, result) = http.get(&format!("/api/v2/deployments/gates/evaluation/{stored}"));
    assert_eq!(result["data"]["attributes"]["gate_id"], json!(gate_id), "{result}");

    let (status, gates) = http.get("/api/v2/deployment_gates/evaluations");
    assert_eq!(status, 200, "{gates}");
    for item in gates["data"].as_array().unwrap() {
        let d = &item["attributes"]["duration_seconds"];
        assert!(d.is_null() || d.is_i64(), "an integer, or null while in progress: {item}");
    }
    // An evaluation of the history answers at the first poll what the history says.
    let from = gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - 14 * 24 * 3_600_000);
    let (_, old) =
        http.get(&format!("/api/v2/deployment_gates/evaluations?page%5Bsize%5D=100&filter%5Bfrom%5D={from}"));
    let seeded: Vec<&Value> = old["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["attributes"]["evaluation_id"] != json!(stored) && e["attributes"]["evaluation_id"] != json!(inline)
        })
        .collect();
    assert!(!seeded.is_empty(), "the example history: {old}");
    for e in seeded.iter().take(5) {
        let id = e["attributes"]["evaluation_id"].as_str().unwrap();
        let (status, result) = http.get(&format!("/api/v2/deployments/gates/evaluation/{id}"));
        assert_eq!(status, 200, "{result}");
        assert_eq!(result["data"]["attributes"]["gate_status"], e["attributes"]["status"], "{result} vs {e}");
    }
    // filter[name] is repeatable and ORed.
    let (status, rules) = http.get("/api/v2/deployment_gates/evaluations/rules?filter%5Bname%5D=By%20id");
    assert_eq!(status, 200, "{rules}");
    let items = rules["data"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{rules}");
    assert_eq!(items[0]["attributes"]["configuration"]["monitor_ids"], json!(["1001", "1002"]), "bare id strings");
    let (_, both) =
        http.get("/api/v2/deployment_gates/evaluations/rules?filter%5Bname%5D=By%20id&filter%5Bname%5D=Inline");
    assert_eq!(both["data"].as_array().unwrap().len(), 2, "{both}");
    for item in both["data"].as_array().unwrap() {
        let d = &item["attributes"]["duration_seconds"];
        assert!(d.is_null() || d.is_i64(), "{item}");
    }
}

#[test]
fn the_sandbox_refuses_a_huge_body_before_reading_it() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let address = sandbox.url.trim_start_matches("http://").to_string();
    // A gigabyte announced, nothing sent: the answer comes at once.
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v2/deployment_gates HTTP/1.1\r\nHost: {address}\r\nDD-API-KEY: k\r\nDD-APPLICATION-KEY: k\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Request body larger than 1048576 bytes"), "{answer}");
}

#[test]
fn built_in_sandbox_needs_no_credentials_and_keeps_its_state() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("yaml/gates.yaml"), dir.path().join("gates.yaml")).unwrap();
    let apply = gatesctl(dir.path(), &["--sandbox", "apply", "--auto-approve"], &[]);
    assert_eq!(apply.code, 0, "{apply:?}");
    assert!(dir.path().join(".gatesctl/sandbox.db").is_file());
    let plan = gatesctl(dir.path(), &["--sandbox", "plan", "--detailed-exitcode"], &[]);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(plan.stdout.contains(NO_CHANGES));
}

#[test]
fn the_sandbox_state_folder_ignores_itself_and_the_licence_is_there() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let run = gatesctl(dir.path(), &["--sandbox", "plan", "--no-monitor-check"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let ignore = std::fs::read_to_string(dir.path().join(".gatesctl/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    let licence = std::fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0"));
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
}

/// The official Python client: on PATH's python3 when it can import it, else the copy `.ci/run`
/// installs from PyPI under `target/ci-tools/python`.
fn official_client_python() -> Option<std::process::Command> {
    let local = crate::common::repo().join("target/ci-tools/python");
    for path in [None, Some(local)] {
        let mut probe = std::process::Command::new("python3");
        probe.args(["-c", "import datadog_api_client"]);
        if let Some(p) = &path {
            probe.env("PYTHONPATH", p);
        }
        if crate::common::try_run_bounded(probe).is_some_and(|r| r.code == 0) {
            let mut python = std::process::Command::new("python3");
            if let Some(p) = path {
                python.env("PYTHONPATH", p);
            }
            return Some(python);
        }
    }
    None
}

#[test]
#[ignore = "needs the official Python client: .ci/run installs it (pip install datadog-api-client) and runs this test"]
fn the_official_python_client_reads_every_answer_typed() {
    let mut python = official_client_python().expect(
        "datadog-api-client is not installed (.ci/run installs it: pip install --target target/ci-tools/python datadog-api-client==2.62.0)",
    );
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let gates = crate::common::examples_dir().join("gates.toml");
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve", "-f", gates.to_str().unwrap()]);
    python.arg(crate::common::repo().join("tests/official_client.py")).arg(&sandbox.url);
    let run = crate::common::run_bounded(python);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains(", 0 problems"), "{}", run.stdout);
}

/// A monitor's state began at a time, as the real service's did: stored once, not counted
/// back from each answer (a Scorecards remark quoting it must not change from run to run).
#[test]
fn a_monitor_s_state_start_is_stored_once_not_moved_by_each_answer() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let monitors = sandbox.store().monitors.unwrap();
    let latency = monitors.iter().find(|m| m.id == 1004).expect("the example's latency SLO monitor");
    let since = latency.in_state_since.clone().expect("its state's start is stored");
    let (_, answer) = crate::common::Http::new(&sandbox).get("/api/v1/monitor/1004");
    assert_eq!(answer["overall_state_modified"].as_str(), Some(since.as_str()));
    // The stored start survives a restart on the same state.
    drop(sandbox);
    let again = TestSandbox::start(dir.path());
    assert_eq!(again.store().monitors.unwrap().iter().find(|m| m.id == 1004).unwrap().in_state_since, Some(since));
}

/// The standalone sandbox's default port is none a Datadog component listens on: most of
/// gatesctl's users run an Agent (APM on 8126, DogStatsD on 8125).
#[test]
fn the_sandbox_s_default_port_is_no_datadog_component_s() {
    let help = gatesctl(std::path::Path::new("."), &["sandbox", "--help"], &[]);
    let default = help.stdout.split("[default: 127.0.0.1:").nth(1).and_then(|r| r.split(']').next()).unwrap();
    let port: u16 = default.parse().unwrap();
    let datadog = [8125, 8126, 5000, 5001, 5002, 5005, 5012, 6062, 6162, 8000, 10516];
    assert!(!datadog.contains(&port), "{port} is a Datadog component's port");
    let page = std::fs::read_to_string(crate::common::repo().join("docs/sandbox.md")).unwrap();
    assert!(page.contains(&format!("127.0.0.1:{port}")), "docs/sandbox.md names the default");
}
