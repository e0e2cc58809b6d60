//! Shared harness: a real sandbox on a loopback port, and the real binary talking to it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use gatesctl_client::{site, Client, Credentials};
use gatesctl_core::model::Rule;
use gatesctl_sandbox::{self as sandbox, RecordedRequest, RunningSandbox, SandboxOptions};
use serde_json::json;

/// Two gates, three kinds of rule settings: the configuration most end-to-end tests start from.
pub const SMALL: &str = r#"version = 1

[[gates]]
service = "checkout"
env = "production"
dry_run = false

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:checkout env:production"
  duration = 300

  [[gates.rules]]
  name = "Faulty deployment detection"
  type = "faulty_deployment_detection"
  duration = 900
  excluded_resources = ["GET /healthz"]

[[gates]]
service = "search"
env = "production"
identifier = "canary"
"#;

pub fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A sandbox holding what `config` declares, applied, in a fresh directory holding the file.
pub fn applied(config: &str) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", config);
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    (dir, sandbox)
}

/// The id of the first remote gate of `service`.
/// A sandbox holding `count` gates `svcNN/production` (and `others`), and `file` owning `svc*`
/// (plus the `manage` lines) that declares the first `declared` of them.
pub fn fleet(
    count: usize,
    declared: usize,
    others: &[&str],
    file: &str,
    manage: &str,
) -> (tempfile::TempDir, TestSandbox) {
    use gatesctl_core::model::GateKey;
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let services = (0..count).map(|i| format!("svc{i:02}")).chain(others.iter().map(|s| s.to_string()));
    for service in services {
        sandbox.block_on(client.create_gate(&GateKey::new(service, "production", "default"), false)).unwrap();
    }
    let mut config = format!("version = 1\n\n[manage]\nservices = [\"svc*\"]\n{manage}");
    for i in 0..declared {
        config.push_str(&format!("\n[[gates]]\nservice = \"svc{i:02}\"\nenv = \"production\"\n"));
    }
    write(dir.path(), file, &config);
    (dir, sandbox)
}

pub fn gate_id(sandbox: &TestSandbox, service: &str) -> String {
    let gates = sandbox.block_on(sandbox.client().list_gates(&Default::default())).unwrap();
    gates.into_iter().find(|g| g.key.service == service).unwrap().id
}

pub struct TestSandbox {
    pub url: String,
    sandbox: Option<RunningSandbox>,
    // Declared last: dropped after the sandbox, so its tasks end inside their runtime.
    pub runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    pub fn start(dir: &Path) -> TestSandbox {
        Self::start_with(dir, SandboxOptions::default())
    }

    /// Starts holding only the deployments and failures `dora` records (no gate, monitor or
    /// evaluation).
    pub fn start_with_dora(dir: &Path, dora: Vec<sandbox::store::StoredDoraEvent>) -> TestSandbox {
        let store = sandbox::store::Store {
            gates: Vec::new(),
            monitors: Some(Vec::new()),
            evaluations: Some(Vec::new()),
            dora: Some(dora),
            ..Default::default()
        };
        store.save(&dir.join("sandbox.json")).unwrap();
        Self::start(dir)
    }

    /// Starts on 127.0.0.1:0 with its state in `dir/sandbox.db`, first filled from
    /// `dir/sandbox.json` when a fixture put one there.
    pub fn start_with(dir: &Path, mut options: SandboxOptions) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        options.database = Some(dir.join("sandbox.db"));
        let fixture = dir.join("sandbox.json");
        if fixture.is_file() {
            options.seed = Some(gatesctl_sandbox::store::Store::load(&fixture).unwrap());
        }
        let sandbox = runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sandbox::start(listener, options).await.unwrap()
        });
        TestSandbox { url: sandbox.url(), sandbox: Some(sandbox), runtime }
    }

    /// The sandbox's state, as its database holds it.
    pub fn store(&self) -> gatesctl_sandbox::store::Store {
        self.runtime.block_on(self.sandbox.as_ref().unwrap().store())
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.sandbox.as_ref().unwrap().requests()
    }

    pub fn mutations(&self) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(|r| r.method != "GET").collect()
    }

    /// A library client for out-of-band changes, as someone clicking in the UI would make.
    pub fn client(&self) -> Client {
        Client::new(site::base_url(None, Some(&self.url)).unwrap(), Credentials::new("k", "k"), false).unwrap()
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Runs the gatesctl binary in `dir` against this sandbox.
    pub fn gatesctl(&self, dir: &Path, args: &[&str]) -> Run {
        gatesctl(
            dir,
            args,
            &[("DD_API_URL", &self.url), ("DD_API_KEY", "test-api-key"), ("DD_APP_KEY", "test-app-key")],
        )
    }
}

impl Drop for TestSandbox {
    fn drop(&mut self) {
        let sandbox = self.sandbox.take();
        let _guard = self.runtime.enter();
        drop(sandbox);
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

/// Settings of the machine running the tests that must not leak into them: credentials, sites,
/// proxies (all traffic here is loopback) and forced colour.
const HERMETIC_REMOVE: [&str; 17] = [
    "DD_API_KEY",
    "DD_APP_KEY",
    "DATADOG_API_KEY",
    "DATADOG_APP_KEY",
    "DD_SITE",
    "DATADOG_SITE",
    "DD_API_URL",
    "DD_HOST",
    "CLICOLOR_FORCE",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "no_proxy",
];

/// The binary with a hermetic environment: no colour, fixed width, no inherited Datadog settings.
pub fn gatesctl(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = hermetic(dir, args, env);
    cmd.stdin(Stdio::null());
    run_bounded(cmd)
}

/// As [`gatesctl`], with `input` on standard input.
pub fn gatesctl_with_stdin(dir: &Path, args: &[&str], env: &[(&str, &str)], input: &str) -> Run {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), input).unwrap();
    let mut cmd = hermetic(dir, args, env);
    cmd.stdin(std::fs::File::open(file.path()).unwrap());
    run_bounded(cmd)
}

/// The binary as [`gatesctl`] runs it, for a test that must hold the process (signals, pipes):
/// start it with [`spawn_bounded`].
pub fn hermetic(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatesctl"));
    cmd.args(args).current_dir(dir);
    // GitHub Actions' own settings too: the tests that want them set them.
    for var in HERMETIC_REMOVE.iter().chain(&["GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE"]) {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1").env("COLUMNS", "100");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// No run may hang the suite: past this, the process is killed and the test fails.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

/// Runs `cmd` to its end, or kills it at [`DEADLINE`].
pub fn run_bounded(cmd: Command) -> Run {
    try_run_bounded(cmd).expect("the program runs")
}

/// As [`run_bounded`]; `None` when the program cannot be started (a tool not installed).
pub fn try_run_bounded(mut cmd: Command) -> Option<Run> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = spawn_bounded(cmd)?;
    let output = child.finish();
    Some(Run::from(output))
}

/// A child process that cannot outlive [`DEADLINE`]: a watchdog kills it then, and the test
/// fails; dropped before it ends, it is killed.
pub struct BoundedChild {
    child: Option<std::process::Child>,
    done: Option<std::sync::mpsc::Sender<()>>,
    watchdog: Option<std::thread::JoinHandle<bool>>,
}

/// Starts `cmd` under a watchdog; `None` when it cannot be started.
pub fn spawn_bounded(mut cmd: Command) -> Option<BoundedChild> {
    let child = cmd.spawn().ok()?;
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(DEADLINE).is_err() {
            // SAFETY: kill only sends a signal to the child spawned above.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            return true;
        }
        false
    });
    Some(BoundedChild { child: Some(child), done: Some(done), watchdog: Some(watchdog) })
}

impl BoundedChild {
    /// The process, for its pipes and its id.
    pub fn process(&mut self) -> &mut std::process::Child {
        self.child.as_mut().expect("not finished")
    }

    /// Waits for the end, with its output when it was piped.
    pub fn finish(mut self) -> Output {
        let output = self.child.take().expect("not finished").wait_with_output().expect("the program runs");
        self.stop_watchdog(&output);
        output
    }

    /// Waits for the end.
    pub fn wait(mut self) -> std::process::ExitStatus {
        let status = self.process().wait().expect("the program runs");
        self.child = None;
        self.stop_watchdog(&Output { status, stdout: Vec::new(), stderr: Vec::new() });
        status
    }

    fn stop_watchdog(&mut self, output: &Output) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        let killed = self.watchdog.take().is_some_and(|w| w.join().unwrap());
        assert!(!killed, "a process ran past {DEADLINE:?} and was killed: {:?}", Run::from(output.clone()));
    }
}

impl Drop for BoundedChild {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
    }
}

pub fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

pub fn fixtures_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures").join(kind)
}

/// Copies a folder's files (not subfolders) into `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
}

/// The binary with its stdout on a real pseudo-terminal, as a user at a terminal runs it, and
/// without the harness's `NO_COLOR` unless `env` sets it. Returns what the terminal showed.
pub fn gatesctl_on_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    on_terminal(dir, args, env, false)
}

/// As [`gatesctl_on_terminal`], with stderr on the terminal too (where progress is drawn).
pub fn gatesctl_all_on_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    on_terminal(dir, args, env, true)
}

fn on_terminal(dir: &Path, args: &[&str], env: &[(&str, &str)], stderr_too: bool) -> Run {
    use std::io::Read;
    use std::os::fd::{FromRawFd, OwnedFd};

    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two new descriptors into the integers it is given.
    let opened =
        unsafe { libc::openpty(&mut master, &mut slave, std::ptr::null_mut(), std::ptr::null(), std::ptr::null()) };
    assert_eq!(opened, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here only.
    let (master, slave) = unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_gatesctl"));
    let stderr = if stderr_too { Stdio::from(slave.try_clone().unwrap()) } else { Stdio::piped() };
    cmd.args(args).current_dir(dir).stdin(Stdio::null()).stdout(Stdio::from(slave)).stderr(stderr);
    for var in HERMETIC_REMOVE {
        cmd.env_remove(var);
    }
    cmd.env_remove("NO_COLOR").env("COLUMNS", "100").env("TERM", "xterm-256color");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("gatesctl runs");
    // The child holds the only slave end now: once it exits, reading the master ends (EIO).
    drop(cmd);
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::from(master);
        let mut shown = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match file.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => shown.extend_from_slice(&buf[..n]),
            }
        }
        shown
    });
    let output = child.wait_with_output().unwrap();
    let shown = reader.join().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&shown).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Raw HTTP to the sandbox, as the UI or another client would send it.
pub struct Http<'a> {
    sandbox: &'a TestSandbox,
    client: reqwest::Client,
}

impl Http<'_> {
    pub fn new(sandbox: &TestSandbox) -> Http<'_> {
        Http { sandbox, client: reqwest::Client::new() }
    }

    pub fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        keys: bool,
    ) -> (u16, String, serde_json::Value) {
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
            (
                status,
                ctype,
                if text.is_empty() { serde_json::Value::Null } else { serde_json::from_str(&text).unwrap() },
            )
        })
    }

    pub fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let (s, _, v) = self.send(reqwest::Method::POST, path, Some(body), true);
        (s, v)
    }

    pub fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let (s, _, v) = self.send(reqwest::Method::GET, path, None, true);
        (s, v)
    }

    pub fn put(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let (s, _, v) = self.send(reqwest::Method::PUT, path, Some(body), true);
        (s, v)
    }

    /// The ids of the first gate of `service` and of its rule `name`, as the sandbox holds them.
    pub fn rule_path(&self, service: &str, name: &str) -> (String, String) {
        let store = self.sandbox.store();
        let gate = store.gates.iter().find(|g| g.service == service).unwrap();
        let rule = gate.rules.iter().find(|r| r.name == name).unwrap();
        (gate.id.clone(), rule.id.clone())
    }

    /// Replaces a rule's name, dry run and options, as the UI does.
    pub fn put_rule(&self, (gate, rule): &(String, String), name: &str, options: serde_json::Value) -> u16 {
        let body = serde_json::json!({"data": {"type": "deployment_rule", "attributes": {"name": name, "dry_run": false, "options": options}}});
        self.put(&format!("/api/v2/deployment_gates/{gate}/rules/{rule}"), body).0
    }
}

/// A request as the hostile proxy saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// What the hostile proxy does with one request.
pub enum Reply {
    /// Forward to the upstream and pass its answer back unchanged.
    Forward,
    /// Forward, then rewrite the answer's JSON body.
    Edit(Box<dyn FnOnce(&mut serde_json::Value) + Send>),
    /// Forward, then add or replace answer headers.
    Headers(Vec<(&'static str, String)>),
    /// Forward (so the upstream commits), send the headers and half the body, then reset.
    Cut,
    /// Answer this instead, without forwarding.
    Answer { status: u16, headers: Vec<(&'static str, String)>, body: String },
}

type Decide = std::sync::Arc<dyn Fn(&Seen) -> Reply + Send + Sync>;

/// A real HTTP server on loopback that stands between gatesctl and the sandbox and misbehaves
/// as told: the hostile server of the trust tests.
pub struct Proxy {
    pub url: String,
    seen: std::sync::Arc<std::sync::Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts on the sandbox's runtime, forwarding to `upstream` (or nowhere, when every
    /// reply is an `Answer`).
    pub fn start(
        sandbox: &TestSandbox,
        upstream: &str,
        decide: impl Fn(&Seen) -> Reply + Send + Sync + 'static,
    ) -> Proxy {
        use axum::body::{Body, Bytes};
        use axum::extract::Request;
        use axum::response::Response;

        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let decide: Decide = std::sync::Arc::new(decide);
        let upstream = upstream.to_string();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).no_proxy().build().unwrap();
        let handler = {
            let seen = std::sync::Arc::clone(&seen);
            move |request: Request| {
                let (seen, decide, upstream, http) =
                    (std::sync::Arc::clone(&seen), std::sync::Arc::clone(&decide), upstream.clone(), http.clone());
                async move {
                    let (parts, body) = request.into_parts();
                    let body = axum::body::to_bytes(body, 64 << 20).await.unwrap_or_default();
                    let path = parts.uri.path_and_query().map(|p| p.to_string()).unwrap_or_default();
                    let request = Seen {
                        method: parts.method.to_string(),
                        path: path.clone(),
                        headers: parts
                            .headers
                            .iter()
                            .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                            .collect(),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    };
                    seen.lock().unwrap().push(request.clone());
                    let reply = decide(&request);
                    let answer = |status: u16, headers: Vec<(String, String)>, body: Body| {
                        let mut response = Response::new(body);
                        *response.status_mut() = axum::http::StatusCode::from_u16(status).unwrap();
                        for (k, v) in headers {
                            response.headers_mut().insert(
                                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                                axum::http::HeaderValue::from_str(&v).unwrap(),
                            );
                        }
                        response
                    };
                    if let Reply::Answer { status, headers, body } = reply {
                        let headers = headers.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
                        return answer(status, headers, Body::from(body));
                    }
                    let mut forward = http.request(parts.method.clone(), format!("{upstream}{path}"));
                    for (k, v) in &parts.headers {
                        if k != "host" && k != "content-length" {
                            forward = forward.header(k, v);
                        }
                    }
                    let upstream_answer = forward.body(body.to_vec()).send().await.unwrap();
                    let status = upstream_answer.status().as_u16();
                    let mut headers: Vec<(String, String)> = upstream_answer
                        .headers()
                        .iter()
                        .filter(|(k, _)| *k != "content-length" && *k != "transfer-encoding")
                        .map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
                        .collect();
                    let bytes = upstream_answer.bytes().await.unwrap();
                    match reply {
                        Reply::Forward => answer(status, headers, Body::from(bytes)),
                        Reply::Edit(edit) => {
                            let mut json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
                            edit(&mut json);
                            answer(status, headers, Body::from(json.to_string()))
                        }
                        Reply::Headers(extra) => {
                            for (k, v) in extra {
                                headers.retain(|(name, _)| !name.eq_ignore_ascii_case(k));
                                headers.push((k.to_string(), v));
                            }
                            answer(status, headers, Body::from(bytes))
                        }
                        Reply::Cut => {
                            let half = Bytes::copy_from_slice(&bytes[..bytes.len() / 2]);
                            let chunks: Vec<Result<Bytes, std::io::Error>> = vec![
                                Ok(half),
                                Err(std::io::Error::new(std::io::ErrorKind::ConnectionReset, "cut by the test proxy")),
                            ];
                            answer(status, headers, Body::from_stream(futures_util::stream::iter(chunks)))
                        }
                        Reply::Answer { .. } => unreachable!("answered above"),
                    }
                }
            }
        };
        let listener = sandbox.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().fallback(handler);
        sandbox.runtime.spawn(async move { axum::serve(listener, app).await });
        Proxy { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// Runs the gatesctl binary in `dir` against this proxy.
    pub fn gatesctl(&self, dir: &Path, args: &[&str]) -> Run {
        gatesctl(
            dir,
            args,
            &[("DD_API_URL", &self.url), ("DD_API_KEY", "test-api-key"), ("DD_APP_KEY", "test-app-key")],
        )
    }
}

pub fn ui_rule() -> Rule {
    Rule {
        name: "Added in the UI".into(),
        dry_run: false,
        options: gatesctl_core::model::RuleOptions::from_api(
            gatesctl_core::model::RuleType::Monitor,
            &serde_json::json!({"query": "env:production"}),
        )
        .unwrap(),
    }
}

pub fn setup(config: &str) -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", config);
    let sandbox = TestSandbox::start(dir.path());
    (dir, sandbox)
}

pub fn now() -> i64 {
    gatesctl_core::model::time::now_ms()
}

pub fn at(ms: i64) -> String {
    gatesctl_core::model::time::format_rfc3339(ms)
}

pub fn mutations_after(sandbox: &TestSandbox, before: usize) -> usize {
    sandbox.mutations().len() - before
}

/// `count` gates svc0000…, each with one monitor rule.
pub fn many_gates(count: usize, header: &str) -> String {
    let mut text = format!("version = 1\n{header}");
    for i in 0..count {
        text.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:04}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:04} env:production\"\n"
        ));
    }
    text
}

/// Whether text holds a character that would act on a terminal instead of showing.
pub fn raw_control(text: &str) -> Option<char> {
    text.chars()
        .find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

/// A sandbox state file holding gate s/e with one monitor rule "r" on `query`.
pub fn one_rule_saved(dir: &Path, query: &str) {
    let at = "2026-01-01T00:00:00Z".to_string();
    let store = gatesctl_sandbox::store::Store {
        gates: vec![gatesctl_sandbox::store::StoredGate {
            id: "11111111-1111-4111-8111-111111111111".into(),
            service: "s".into(),
            env: "e".into(),
            identifier: "default".into(),
            dry_run: false,
            created_at: at.clone(),
            updated_at: at.clone(),
            rules: vec![gatesctl_sandbox::store::StoredRule {
                id: "22222222-2222-4222-8222-222222222222".into(),
                name: "r".into(),
                rule_type: "monitor".into(),
                dry_run: false,
                options: json!({ "query": query }),
                created_at: at.clone(),
                updated_at: at,
            }],
        }],
        monitors: None,
        evaluations: None,
        dora: None,
        ..Default::default()
    };
    store.save(&dir.join("sandbox.json")).unwrap();
}

pub const NO_CHANGES: &str = "No changes. Remote gates match the configuration.";

pub fn run_ok(sandbox: &TestSandbox, dir: &Path, args: &[&str]) -> Run {
    let run = sandbox.gatesctl(dir, args);
    assert_eq!(run.code, 0, "{args:?}: {run:?}");
    run
}

/// The repository's root.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}
