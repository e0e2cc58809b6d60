//! The sandbox speaks the contract of `shared/api/README.md`, checked over raw HTTP.

use crate::common::TestSandbox;
use gatesctl::sandbox::store::Store;
use serde_json::{json, Value};

struct Http<'a> {
    sandbox: &'a TestSandbox,
    client: reqwest::Client,
}

impl Http<'_> {
    fn new(sandbox: &TestSandbox) -> Http<'_> {
        Http { sandbox, client: reqwest::Client::new() }
    }

    fn send(&self, method: reqwest::Method, path: &str, body: Option<Value>, keys: bool) -> (u16, String, Value) {
        let url = format!("{}{path}", self.sandbox.url);
        self.sandbox.block_on(async {
            let mut req = self.client.request(method, url);
            if keys {
                req = req.header("DD-API-KEY", "a").header("DD-APPLICATION-KEY", "b");
            }
            if let Some(body) = body {
                req = req.header("Content-Type", "application/json").body(body.to_string());
            }
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
            let text = resp.text().await.unwrap();
            (status, ctype, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
        })
    }

    fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, _, v) = self.send(reqwest::Method::POST, path, Some(body), true);
        (s, v)
    }

    fn get(&self, path: &str) -> (u16, Value) {
        let (s, _, v) = self.send(reqwest::Method::GET, path, None, true);
        (s, v)
    }
}

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
    assert_eq!(sandbox.block_on(sandbox.client().list_gates()).unwrap().len(), 5);
}

#[test]
fn rules_carry_their_id_in_lists_and_drop_empty_lists() {
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
    assert_eq!(rule["data"]["attributes"]["options"], json!({"duration": 900}));
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
    let gates = sandbox.block_on(sandbox.client().list_gates()).unwrap();
    assert_eq!(gates.len(), 1);
    assert_eq!(gates[0].key.service, "checkout");
}

#[test]
fn the_sandbox_command_serves_on_loopback_and_saves_its_state() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let mut server = Command::new(env!("CARGO_BIN_EXE_gatesctl"))
        .args(["sandbox", "--listen", "127.0.0.1:0", "--state", state.to_str().unwrap()])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its first line names the address it took.
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    // Keep reading, so that the sandbox's later lines never meet a closed pipe.
    let drain = std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let url = first.split_whitespace().find(|w| w.starts_with("http://127.0.0.1:")).map(str::to_string);
    let outcome = std::panic::catch_unwind(|| {
        let url = url.expect("the sandbox prints its URL");
        crate::common::write(dir.path(), "gates.toml", crate::common::SMALL);
        let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
        let apply = crate::common::gatesctl(dir.path(), &["apply", "--auto-approve"], &env);
        assert_eq!(apply.code, 0, "{apply:?}");
        let plan = crate::common::gatesctl(dir.path(), &["plan", "--detailed-exitcode"], &env);
        assert_eq!(plan.code, 0, "{plan:?}");
    });
    // SIGTERM, as a service manager stops it: it saves what it has not yet written.
    // SAFETY: kill only sends a signal to the child we spawned.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    server.wait().unwrap();
    drain.join().unwrap().unwrap();
    outcome.unwrap();
    let saved = Store::load(&state).unwrap();
    assert_eq!(saved.gates.len(), 2, "state saved by the sandbox process");
}

#[test]
fn the_sandbox_command_refuses_other_addresses_than_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let run = crate::common::gatesctl(dir.path(), &["sandbox", "--listen", "0.0.0.0:0"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("listens on loopback only"), "{run:?}");
}
