//! A local, Datadog-compatible Deployment Gates API: same paths, JSON:API bodies, status codes
//! and error texts as the real service (see the recordings under `tests/`), state persisted
//! to a JSON file.

mod evaluation;
pub mod faults;
pub mod store;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

pub use evaluation::EvalSettings;
pub use faults::{Faults, RateLimit};
use store::{Store, StoredGate, StoredRule};

const CONTENT_TYPE: &str = "application/vnd.api+json";
const MAX_DURATION: u64 = crate::model::MAX_DURATION;

#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// Where state persists; `None` keeps it in memory only.
    pub state_file: Option<PathBuf>,
    pub eval: EvalSettings,
    pub faults: Faults,
}

/// One request the sandbox answered, for tests and `--verbose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// 0 when the connection was dropped instead of answering.
    pub status: u16,
}

struct Shared {
    store: Mutex<Store>,
    evaluations: Mutex<HashMap<String, evaluation::Evaluation>>,
    options: SandboxOptions,
    requests: Mutex<Vec<RecordedRequest>>,
    faults: faults::FaultState,
    dirty: AtomicBool,
    save_soon: tokio::sync::Notify,
    base_url: String,
}

/// A sandbox serving on a loopback port until dropped or its runtime ends.
pub struct RunningSandbox {
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
    writer: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// Saves pending changes to the state file now.
    pub fn flush(&self) {
        self.shared.flush();
    }

    /// The state as it is in memory.
    pub fn store(&self) -> Store {
        self.shared.store.lock().unwrap().clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until the server stops (it does not, unless its task is aborted).
    pub async fn wait(mut self) {
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
        self.writer.abort();
        self.shared.flush();
    }
}

/// Starts serving on `listener`; the state file is read now and written after each change.
pub async fn start(listener: tokio::net::TcpListener, options: SandboxOptions) -> Result<RunningSandbox, String> {
    let store = match &options.state_file {
        Some(path) => Store::load(path)?,
        None => Store::default(),
    };
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        store: Mutex::new(store),
        evaluations: Mutex::new(HashMap::new()),
        options,
        requests: Mutex::new(Vec::new()),
        faults: faults::FaultState::default(),
        dirty: AtomicBool::new(false),
        save_soon: tokio::sync::Notify::new(),
        base_url: format!("http://{addr}"),
    });
    let app = router(Arc::clone(&shared));
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let writer = {
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                shared.save_soon.notified().await;
                // Changes made while a save runs are batched into the next one.
                let shared = Arc::clone(&shared);
                let _ = tokio::task::spawn_blocking(move || shared.flush()).await;
            }
        })
    };
    Ok(RunningSandbox { shared, task, writer })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v2/deployment_gates", get(list_gates).post(create_gate))
        .route("/api/v2/deployment_gates/{id}", get(get_gate).put(update_gate).delete(delete_gate))
        .route("/api/v2/deployment_gates/{gate_id}/rules", get(list_rules).post(create_rule))
        .route("/api/v2/deployment_gates/{gate_id}/rules/{id}", get(get_rule).put(update_rule).delete(delete_rule))
        .route("/api/v2/deployments/gates/evaluation", post(evaluation::trigger))
        .route("/api/v2/deployments/gates/evaluation/{id}", get(evaluation::result))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), gatekeeper))
        .with_state(shared)
}

/// Checks the keys (any value is accepted: nothing here is secret, but both must be there,
/// as the service demands), then applies the configured faults, and records the request.
async fn gatekeeper(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let headers = request.headers();
    let has = |name: &str| headers.get(name).is_some_and(|v| !v.is_empty());
    let authenticated = has("dd-api-key") && has("dd-application-key");
    let faults = &shared.options.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let rate = shared.faults.rate(faults);
    let mut dropped = false;
    let mut response = match (&rate, authenticated) {
        (_, false) => error(StatusCode::FORBIDDEN, "Forbidden"),
        (Some((_, false)), _) => error(StatusCode::TOO_MANY_REQUESTS, "Too many requests"),
        _ => match shared.faults.verdict(faults, &method, &path) {
            faults::Verdict::Answer(r) => r,
            faults::Verdict::Drop => {
                dropped = true;
                faults::dropped_connection()
            }
            faults::Verdict::RunThenDrop => {
                let _committed = next.run(request).await;
                dropped = true;
                faults::dropped_connection()
            }
            faults::Verdict::Pass => next.run(request).await,
        },
    };
    if let Some((headers, _)) = rate {
        headers.apply(&mut response);
    }
    shared.requests.lock().unwrap().push(RecordedRequest {
        method: method.to_string(),
        path,
        status: if dropped { 0 } else { response.status().as_u16() },
    });
    response
}

pub(crate) fn jsonapi(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// The two error shapes of the real service: objects with `detail` for 400/404/5xx,
/// bare strings for 401/403/429.
pub(crate) fn error(status: StatusCode, detail: &str) -> Response {
    let body = match status.as_u16() {
        401 | 403 | 429 => json!({"errors": [detail]}),
        code => {
            json!({"errors": [{"status": code.to_string(), "title": status.canonical_reason().unwrap_or(""), "detail": detail}]})
        }
    };
    jsonapi(status, body)
}

fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

type Reply = Result<Response, Fail>;

/// A refused request: rendered in the service's error shape for its status.
pub(crate) struct Fail(StatusCode, String);

impl IntoResponse for Fail {
    fn into_response(self) -> Response {
        error(self.0, &self.1)
    }
}

pub(crate) fn bad(detail: impl Into<String>) -> Fail {
    Fail(StatusCode::BAD_REQUEST, detail.into())
}

pub(crate) fn parse_body(body: &Bytes) -> Result<Value, Fail> {
    serde_json::from_slice::<Value>(body).map_err(|_| bad("Malformed payload"))
}

pub(crate) fn attributes(body: &Value) -> Result<&serde_json::Map<String, Value>, Fail> {
    body.get("data")
        .and_then(|d| d.get("attributes"))
        .and_then(Value::as_object)
        .ok_or_else(|| bad("Malformed payload"))
}

fn required_str<'a>(attrs: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Fail> {
    match attrs.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(bad(format!("attribute \"{name}\" is required"))),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a string"))),
    }
}

fn optional_bool(attrs: &serde_json::Map<String, Value>, name: &str) -> Result<Option<bool>, Fail> {
    match attrs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a boolean"))),
    }
}

fn check_id(id: &str) -> Result<(), Fail> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| bad("attribute \"id\" Invalid id"))
}

fn gate_not_found() -> Fail {
    Fail(StatusCode::NOT_FOUND, "Gate does not exist".into())
}

impl Shared {
    /// Marks the state as changed; the writer saves it at once, coalescing the changes made
    /// while it writes (saving the whole file inside every request made large applies quadratic).
    fn changed(&self) {
        self.dirty.store(true, Ordering::SeqCst);
        self.save_soon.notify_one();
    }

    /// Saves the state now if it changed, atomically (temporary file, then rename).
    fn flush(&self) {
        let Some(path) = &self.options.state_file else { return };
        if !self.dirty.swap(false, Ordering::SeqCst) {
            return;
        }
        let snapshot = self.store.lock().unwrap().clone();
        if let Err(e) = snapshot.save(path) {
            eprintln!("sandbox: could not save its state to {}: {e}", path.display());
        }
    }
}

async fn list_gates(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Reply {
    let size = match query.get("page[size]") {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(bad("page[size] must be between 1 and 1000")),
        },
    };
    let start = match query.get("page[cursor]") {
        None => 0,
        Some(c) => c.parse::<usize>().map_err(|_| bad("invalid page[cursor]"))?,
    };
    let store = shared.store.lock().unwrap();
    let data: Vec<Value> = store.gates.iter().skip(start).take(size).map(StoredGate::to_json).collect();
    let mut page = json!({"cursor": start.to_string(), "size": size});
    if start + size < store.gates.len() {
        page["next_cursor"] = Value::from((start + size).to_string());
    }
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": {"page": page}})))
}

async fn create_gate(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let service = required_str(attrs, "service")?.to_string();
    let env = required_str(attrs, "env")?.to_string();
    let identifier = match attrs.get("identifier") {
        None | Some(Value::Null) => crate::model::DEFAULT_IDENTIFIER.to_string(),
        Some(_) => required_str(attrs, "identifier")?.to_string(),
    };
    let dry_run = optional_bool(attrs, "dry_run")?.unwrap_or(false);
    let mut store = shared.store.lock().unwrap();
    if store.gates.iter().any(|g| g.service == service && g.env == env && g.identifier == identifier) {
        return Err(bad("Gate already exists with the given env, service and identifier"));
    }
    let at = now();
    let gate = StoredGate {
        id: uuid::Uuid::new_v4().to_string(),
        service,
        env,
        identifier,
        dry_run,
        created_at: at.clone(),
        updated_at: at,
        rules: Vec::new(),
    };
    let json = gate.to_json();
    store.gates.push(gate);
    shared.changed();
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

async fn get_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id)?;
    let store = shared.store.lock().unwrap();
    let gate = store.gate(&id).ok_or_else(gate_not_found)?;
    Ok(jsonapi(StatusCode::OK, json!({"data": gate.to_json()})))
}

async fn update_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Reply {
    check_id(&id)?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let dry_run = optional_bool(attrs, "dry_run")?.ok_or_else(|| bad("attribute \"dry_run\" is required"))?;
    let mut store = shared.store.lock().unwrap();
    let gate = store.gate_mut(&id).ok_or_else(gate_not_found)?;
    gate.dry_run = dry_run;
    gate.updated_at = now();
    let json = gate.to_json();
    shared.changed();
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

async fn delete_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id)?;
    let mut store = shared.store.lock().unwrap();
    let before = store.gates.len();
    store.gates.retain(|g| g.id != id);
    if store.gates.len() == before {
        return Err(gate_not_found());
    }
    shared.changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_rules(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>) -> Reply {
    check_id(&gate_id)?;
    let store = shared.store.lock().unwrap();
    let gate = store.gate(&gate_id).ok_or_else(gate_not_found)?;
    let rules: Vec<Value> = gate.rules.iter().map(|r| r.to_list_item(&gate_id)).collect();
    Ok(jsonapi(
        StatusCode::OK,
        json!({"data": {"id": gate_id, "type": "list_deployment_rules", "attributes": {"rules": rules}}}),
    ))
}

/// Checks options against their rule type and drops empty lists, as the service was seen to.
pub(crate) fn check_options(rule_type: &str, options: Option<&Value>) -> Result<Value, Fail> {
    let mut options = match options {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(bad("attribute \"options\" must be an object")),
    };
    if let Some(d) = options.get("duration") {
        match d.as_u64() {
            Some(d) if d <= MAX_DURATION => {}
            _ => return Err(bad(format!("attribute \"duration\" must be an integer between 0 and {MAX_DURATION}"))),
        }
    }
    match rule_type {
        "monitor" => {
            match options.get("query") {
                Some(Value::String(q)) if !q.trim().is_empty() => {}
                _ => return Err(bad("attribute \"query\" is required")),
            }
            for key in ["excluded_resources", "allowed_resources"] {
                if options.contains_key(key) {
                    return Err(bad(format!("attribute \"{key}\" is not allowed for monitor rules")));
                }
            }
        }
        "faulty_deployment_detection" => {
            if options.contains_key("query") {
                return Err(bad("attribute \"query\" is not allowed for faulty_deployment_detection rules"));
            }
            for key in ["excluded_resources", "allowed_resources"] {
                let Some(value) = options.get(key) else {
                    continue;
                };
                let Some(items) = value.as_array().filter(|items| items.iter().all(Value::is_string)) else {
                    return Err(bad(format!("attribute \"{key}\" must be a list of strings")));
                };
                // The service drops empty lists (observed): so does the sandbox.
                if items.is_empty() {
                    options.remove(key);
                }
            }
            if options.contains_key("excluded_resources") && options.contains_key("allowed_resources") {
                return Err(bad("attributes \"excluded_resources\" and \"allowed_resources\" are mutually exclusive"));
            }
        }
        _ => return Err(bad("attribute \"type\" must be one of \"monitor faulty_deployment_detection\"")),
    }
    Ok(Value::Object(options))
}

async fn create_rule(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>, body: Bytes) -> Reply {
    check_id(&gate_id)?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let name = required_str(attrs, "name")?.to_string();
    let rule_type = required_str(attrs, "type")?.to_string();
    let dry_run = optional_bool(attrs, "dry_run")?.unwrap_or(false);
    let options = check_options(&rule_type, attrs.get("options"))?;
    let mut store = shared.store.lock().unwrap();
    let gate = store.gate_mut(&gate_id).ok_or_else(gate_not_found)?;
    let at = now();
    let rule = StoredRule {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        rule_type,
        dry_run,
        options,
        created_at: at.clone(),
        updated_at: at,
    };
    let json = rule.to_json(&gate_id);
    gate.rules.push(rule);
    shared.changed();
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

fn rule_not_found() -> Fail {
    Fail(StatusCode::NOT_FOUND, "Rule does not exist".into())
}

async fn get_rule(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    check_id(&gate_id)?;
    check_id(&id)?;
    let store = shared.store.lock().unwrap();
    let gate = store.gate(&gate_id).ok_or_else(gate_not_found)?;
    let rule = gate.rules.iter().find(|r| r.id == id).ok_or_else(rule_not_found)?;
    Ok(jsonapi(StatusCode::OK, json!({"data": rule.to_json(&gate_id)})))
}

async fn update_rule(
    State(shared): State<Arc<Shared>>,
    Path((gate_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    check_id(&gate_id)?;
    check_id(&id)?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let name = required_str(attrs, "name")?.to_string();
    let dry_run = optional_bool(attrs, "dry_run")?.ok_or_else(|| bad("attribute \"dry_run\" is required"))?;
    if !attrs.contains_key("options") {
        return Err(bad("attribute \"options\" is required"));
    }
    let mut store = shared.store.lock().unwrap();
    let gate = store.gate_mut(&gate_id).ok_or_else(gate_not_found)?;
    let rule = gate.rules.iter_mut().find(|r| r.id == id).ok_or_else(rule_not_found)?;
    if let Some(t) = attrs.get("type").and_then(Value::as_str) {
        if t != rule.rule_type {
            return Err(bad("attribute \"type\" cannot be changed"));
        }
    }
    let options = check_options(&rule.rule_type, attrs.get("options"))?;
    rule.name = name;
    rule.dry_run = dry_run;
    rule.options = options;
    rule.updated_at = now();
    let json = rule.to_json(&gate_id);
    shared.changed();
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

async fn delete_rule(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    check_id(&gate_id)?;
    check_id(&id)?;
    let mut store = shared.store.lock().unwrap();
    let gate = store.gate_mut(&gate_id).ok_or_else(gate_not_found)?;
    let before = gate.rules.len();
    gate.rules.retain(|r| r.id != id);
    if gate.rules.len() == before {
        return Err(rule_not_found());
    }
    shared.changed();
    Ok(StatusCode::NO_CONTENT.into_response())
}
