//! A local, Datadog-compatible Deployment Gates API: the same paths, JSON:API bodies, status
//! codes and error texts as the real service (checked against its recorded traffic, see
//! `tests/it/conformance.rs`), with its state in SQLite.

mod db;
mod evaluation;
pub mod faults;
pub mod monitors;
pub mod store;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use db::{Database, Refusal};
pub use evaluation::EvalSettings;
pub use faults::{Faults, RateLimit};
use store::{Store, StoredGate, StoredRule};

const CONTENT_TYPE: &str = "application/vnd.api+json";
const MAX_DURATION: u64 = crate::model::MAX_DURATION;
/// Request bodies larger than this are refused (413): real ones are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;
/// Bodies up to this size are read before being refused, so the client, still sending,
/// receives the 413 rather than a reset connection.
const READ_BEFORE_REFUSING: usize = 32 << 20;
/// Requests remembered for tests and `--verbose`; older ones are forgotten.
const REQUEST_LOG: usize = 100_000;

#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// The SQLite file the state lives in; `None` keeps it in memory, for this process only.
    pub database: Option<PathBuf>,
    /// A JSON state (as `--export` writes) that replaces the state at start: for fixtures.
    pub seed: Option<Store>,
    /// The JSON state of earlier versions, imported once into a new database.
    pub legacy: Option<Store>,
    /// Monitors that replace those of the state at start (a new state has the example
    /// organisation's).
    pub monitors: Option<Vec<monitors::Monitor>>,
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
    db: Database,
    /// The monitors, read once at start: they change only when a sandbox starts with others.
    monitors: Vec<monitors::Monitor>,
    evaluations: evaluation::Evaluations,
    options: SandboxOptions,
    requests: Mutex<VecDeque<RecordedRequest>>,
    faults: faults::FaultState,
    base_url: String,
}

/// A sandbox serving on a loopback port until dropped or shut down.
pub struct RunningSandbox {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSandbox {
    pub fn url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The whole state, as fixtures and `--export` write it.
    pub async fn store(&self) -> Store {
        self.shared.db.run(db::export).await.unwrap_or_default()
    }

    /// The requests answered lately, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.requests.lock().unwrap().iter().cloned().collect()
    }

    /// Stops accepting connections, lets the requests in flight finish, then returns. Every
    /// write answered is already on disk.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts serving on `listener`.
pub async fn start(listener: tokio::net::TcpListener, options: SandboxOptions) -> Result<RunningSandbox, String> {
    let (path, legacy, seed) = (options.database.clone(), options.legacy.clone(), options.seed.clone());
    let monitors = options.monitors.clone();
    // Opening may wait for another process holding the state: not on the async threads.
    let db = tokio::task::spawn_blocking(move || Database::open(path.as_deref(), legacy, seed, monitors))
        .await
        .map_err(|e| e.to_string())??;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let monitors = db.run(db::monitors).await.map_err(|e| e.detail)?;
    let shared = Arc::new(Shared {
        db,
        monitors,
        evaluations: evaluation::Evaluations::default(),
        options,
        requests: Mutex::new(VecDeque::new()),
        faults: faults::FaultState::default(),
        base_url: format!("http://{addr}"),
    });
    let app = router(Arc::clone(&shared));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(RunningSandbox { shared, stop: Some(stop), task })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/api/v2/deployment_gates", get(list_gates).post(create_gate))
        .route("/api/v2/deployment_gates/{id}", get(get_gate).put(update_gate).delete(delete_gate))
        .route("/api/v2/deployment_gates/{gate_id}/rules", get(list_rules).post(create_rule))
        .route("/api/v2/deployment_gates/{gate_id}/rules/{id}", get(get_rule).put(update_rule).delete(delete_rule))
        .route("/api/v2/deployments/gates/evaluation", post(evaluation::trigger))
        .route("/api/v2/deployments/gates/evaluation/{id}", get(evaluation::result))
        .route("/api/v1/monitor/search", get(search_monitors))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn(body_limit))
        .layer(DefaultBodyLimit::max(READ_BEFORE_REFUSING))
        .layer(middleware::map_response(as_jsonapi))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), gatekeeper))
        .with_state(shared)
}

/// The server's own refusals (405, 413, 415, malformed paths) in the service's error shape.
async fn as_jsonapi(response: Response) -> Response {
    let status = response.status();
    // Answers already shaped by a handler (JSON:API, or the v1 API's plain JSON) stay as they are.
    let shaped =
        response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v == CONTENT_TYPE || v == "application/json");
    if shaped || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "Method not allowed on this path".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => format!("Request body larger than {MAX_BODY} bytes"),
        other => other.canonical_reason().unwrap_or("Error").to_string(),
    };
    error(status, &detail)
}

/// Refuses bodies over [`MAX_BODY`] with a 413, once read.
async fn body_limit(request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, READ_BEFORE_REFUSING).await {
        Ok(bytes) if bytes.len() <= MAX_BODY => {
            next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await
        }
        _ => error(StatusCode::PAYLOAD_TOO_LARGE, &format!("Request body larger than {MAX_BODY} bytes")),
    }
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
    let mut log = shared.requests.lock().unwrap();
    if log.len() >= REQUEST_LOG {
        log.pop_front();
    }
    log.push_back(RecordedRequest {
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

type Reply = Result<Response, Refusal>;

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &self.detail)
    }
}

pub(crate) fn bad(detail: impl Into<String>) -> Refusal {
    Refusal::new(400, detail)
}

pub(crate) fn parse_body(body: &Bytes) -> Result<Value, Refusal> {
    serde_json::from_slice::<Value>(body).map_err(|_| bad("Malformed payload"))
}

pub(crate) fn attributes(body: &Value) -> Result<&serde_json::Map<String, Value>, Refusal> {
    body.get("data")
        .and_then(|d| d.get("attributes"))
        .and_then(Value::as_object)
        .ok_or_else(|| bad("Malformed payload"))
}

/// A create names the kind of resource it creates; another kind is refused.
fn check_type(body: &Value, expected: &str) -> Result<(), Refusal> {
    match body.get("data").and_then(|d| d.get("type")).and_then(Value::as_str) {
        Some(t) if t == expected => Ok(()),
        _ => Err(bad(format!("attribute \"type\" of data must be \"{expected}\""))),
    }
}

fn required_str<'a>(attrs: &'a serde_json::Map<String, Value>, name: &str) -> Result<&'a str, Refusal> {
    match attrs.get(name) {
        Some(Value::String(s)) if !s.is_empty() => Ok(s),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(bad(format!("attribute \"{name}\" is required"))),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a string"))),
    }
}

fn optional_bool(attrs: &serde_json::Map<String, Value>, name: &str) -> Result<Option<bool>, Refusal> {
    match attrs.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a boolean"))),
    }
}

/// Ids are UUIDs; `attribute` names the path part in the error, as the service does.
pub(crate) fn check_id(id: &str, attribute: &str) -> Result<(), Refusal> {
    uuid::Uuid::parse_str(id).map(|_| ()).map_err(|_| bad(format!("attribute \"{attribute}\" Invalid id")))
}

fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn list_gates(State(shared): State<Arc<Shared>>, Query(query): Query<HashMap<String, String>>) -> Reply {
    let size = match query.get("page[size]") {
        None => 50,
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=1000).contains(&n) => n,
            _ => return Err(bad("page[size] must be between 1 and 1000")),
        },
    };
    let after = match query.get("page[cursor]") {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| bad("invalid page[cursor]"))?,
    };
    let (gates, more) = shared.db.run(move |conn| db::list_gates(conn, after, size)).await?;
    let mut page = json!({"cursor": after.to_string(), "size": size});
    if more {
        if let Some((last, _)) = gates.last() {
            page["next_cursor"] = Value::from(last.to_string());
        }
    }
    let data: Vec<Value> = gates.iter().map(|(_, g)| g.to_json()).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": {"page": page}})))
}

/// An answer of the v1 API: plain JSON, errors as a list of strings.
fn v1(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `GET /api/v1/monitor/search`: the monitors matching `query`, a page of them, and the
/// counts of all of them by status, type and tag, as Datadog answers.
async fn search_monitors(State(shared): State<Arc<Shared>>, Query(params): Query<HashMap<String, String>>) -> Response {
    if shared.options.faults.no_monitors_read {
        return v1(
            StatusCode::FORBIDDEN,
            json!({"errors": ["Forbidden: this application key lacks the monitors_read permission"]}),
        );
    }
    let number = |name: &str, default: usize, max: usize| match params.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("Invalid {name}: {text:?} is not a number from 0 to {max}")),
    };
    let (page, per_page) = match (number("page", 0, 100_000), number("per_page", 30, 1000)) {
        (Ok(p), Ok(n)) => (p, n.max(1)),
        (Err(e), _) | (_, Err(e)) => return v1(StatusCode::BAD_REQUEST, json!({"errors": [e]})),
    };
    let search = match monitors::Search::parse(params.get("query").map_or("", String::as_str)) {
        Ok(search) => search,
        Err(reason) => return v1(StatusCode::BAD_REQUEST, json!({"errors": [format!("Invalid query: {reason}")]})),
    };
    let found = search.run(&shared.monitors);
    let facet = |values: &mut dyn Iterator<Item = String>| {
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for v in values {
            *counts.entry(v).or_default() += 1;
        }
        let mut items: Vec<(String, usize)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        items.into_iter().map(|(name, count)| json!({"name": name, "count": count})).collect::<Vec<_>>()
    };
    let counts = json!({
        "status": facet(&mut found.iter().map(|m| m.status.as_str().to_string())),
        "type": facet(&mut found.iter().map(|m| m.monitor_type.clone())),
        "tag": facet(&mut found.iter().flat_map(|m| m.tags.iter().cloned())),
        "muted": if found.is_empty() { json!([]) } else { json!([{"name": false, "count": found.len()}]) },
    });
    let monitors: Vec<Value> = found
        .iter()
        .skip(page.saturating_mul(per_page))
        .take(per_page)
        .map(|m| {
            json!({
                "id": m.id, "name": m.name, "status": m.status.as_str(), "overall_state": m.status.as_str(),
                "tags": m.tags, "type": m.monitor_type, "query": m.query, "priority": m.priority,
                "classification": "metric", "creator": {"name": "Sandbox User", "handle": "sandbox@example.com"},
            })
        })
        .collect();
    let metadata = json!({
        "page": page, "per_page": per_page, "total_count": found.len(), "page_count": found.len().div_ceil(per_page),
    });
    v1(StatusCode::OK, json!({"monitors": monitors, "metadata": metadata, "counts": counts}))
}

async fn create_gate(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    check_type(&body, "deployment_gate")?;
    let attrs = attributes(&body)?;
    let service = required_str(attrs, "service")?.to_string();
    let env = required_str(attrs, "env")?.to_string();
    let identifier = match attrs.get("identifier") {
        None | Some(Value::Null) => crate::model::DEFAULT_IDENTIFIER.to_string(),
        Some(_) => required_str(attrs, "identifier")?.to_string(),
    };
    let dry_run = optional_bool(attrs, "dry_run")?.unwrap_or(false);
    let at = db::now();
    let gate = StoredGate {
        id: new_id(),
        service,
        env,
        identifier,
        dry_run,
        created_at: at.clone(),
        updated_at: at,
        rules: vec![],
    };
    let json = gate.to_json();
    shared.db.run(move |conn| db::insert_gate(conn, &gate)).await?;
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

async fn get_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    let gate = shared.db.run(move |conn| db::get_gate(conn, &id)?.ok_or_else(db::gate_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": gate.to_json()})))
}

async fn update_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Reply {
    check_id(&id, "id")?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let dry_run = optional_bool(attrs, "dry_run")?.ok_or_else(|| bad("attribute \"dry_run\" is required"))?;
    let gate = shared.db.run(move |conn| db::update_gate(conn, &id, dry_run)?.ok_or_else(db::gate_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": gate.to_json()})))
}

async fn delete_gate(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    shared.db.run(move |conn| if db::delete_gate(conn, &id)? { Ok(()) } else { Err(db::gate_not_found()) }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_rules(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>) -> Reply {
    check_id(&gate_id, "gate_id")?;
    let id = gate_id.clone();
    let rules = shared
        .db
        .run(move |conn| {
            db::get_gate(conn, &id)?.ok_or_else(db::gate_not_found)?;
            db::rules_of(conn, &id)
        })
        .await?;
    let rules: Vec<Value> = rules.iter().map(|r| r.to_list_item(&gate_id)).collect();
    Ok(jsonapi(
        StatusCode::OK,
        json!({"data": {"id": gate_id, "type": "list_deployment_rules", "attributes": {"rules": rules}}}),
    ))
}

/// Checks options against their rule type. Empty lists are kept, as the service does since
/// 2026; the `drop_empty_lists` fault drops them, as it did in 2025.
pub(crate) fn check_options(
    rule_type: &str,
    options: Option<&Value>,
    drop_empty_lists: bool,
) -> Result<Value, Refusal> {
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
                if items.is_empty() && drop_empty_lists {
                    options.remove(key);
                }
            }
            let non_empty = |k: &str| options.get(k).and_then(Value::as_array).is_some_and(|a| !a.is_empty());
            if non_empty("excluded_resources") && non_empty("allowed_resources") {
                return Err(bad("attributes \"excluded_resources\" and \"allowed_resources\" are mutually exclusive"));
            }
        }
        _ => return Err(bad("attribute \"type\" must be one of \"monitor faulty_deployment_detection\"")),
    }
    Ok(Value::Object(options))
}

async fn create_rule(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>, body: Bytes) -> Reply {
    check_id(&gate_id, "gate_id")?;
    let body = parse_body(&body)?;
    check_type(&body, "deployment_rule")?;
    let attrs = attributes(&body)?;
    let name = required_str(attrs, "name")?.to_string();
    let rule_type = required_str(attrs, "type")?.to_string();
    let dry_run = optional_bool(attrs, "dry_run")?.unwrap_or(false);
    let options = check_options(&rule_type, attrs.get("options"), shared.options.faults.drop_empty_lists)?;
    let at = db::now();
    let rule = StoredRule { id: new_id(), name, rule_type, dry_run, options, created_at: at.clone(), updated_at: at };
    let json = rule.to_json(&gate_id);
    shared
        .db
        .run(move |conn| {
            db::get_gate(conn, &gate_id)?.ok_or_else(db::gate_not_found)?;
            db::insert_rule(conn, &gate_id, &rule)
        })
        .await?;
    Ok(jsonapi(StatusCode::OK, json!({ "data": json })))
}

/// Both ids of a rule path, checked as the service does: the gate's first.
fn rule_path(gate_id: &str, id: &str) -> Result<(), Refusal> {
    check_id(gate_id, "gate_id")?;
    check_id(id, "id")
}

async fn get_rule(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    rule_path(&gate_id, &id)?;
    let gate = gate_id.clone();
    let rule = shared.db.run(move |conn| db::get_rule(conn, &gate, &id)?.ok_or_else(db::rule_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": rule.to_json(&gate_id)})))
}

async fn update_rule(
    State(shared): State<Arc<Shared>>,
    Path((gate_id, id)): Path<(String, String)>,
    body: Bytes,
) -> Reply {
    rule_path(&gate_id, &id)?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?.clone();
    let name = required_str(&attrs, "name")?.to_string();
    let dry_run = optional_bool(&attrs, "dry_run")?.ok_or_else(|| bad("attribute \"dry_run\" is required"))?;
    if !attrs.contains_key("options") {
        return Err(bad("attribute \"options\" is required"));
    }
    let drop_empty_lists = shared.options.faults.drop_empty_lists;
    let gate = gate_id.clone();
    let rule = shared
        .db
        .run(move |conn| {
            let mut rule = db::get_rule(conn, &gate, &id)?.ok_or_else(db::rule_not_found)?;
            if let Some(t) = attrs.get("type").and_then(Value::as_str) {
                if t != rule.rule_type {
                    return Err(bad("attribute \"type\" cannot be changed"));
                }
            }
            rule.options = check_options(&rule.rule_type, attrs.get("options"), drop_empty_lists)?;
            rule.name = name;
            rule.dry_run = dry_run;
            rule.updated_at = db::now();
            db::update_rule(conn, &gate, &rule)?;
            Ok(rule)
        })
        .await?;
    Ok(jsonapi(StatusCode::OK, json!({ "data": rule.to_json(&gate_id) })))
}

async fn delete_rule(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    rule_path(&gate_id, &id)?;
    shared
        .db
        .run(move |conn| if db::delete_rule(conn, &gate_id, &id)? { Ok(()) } else { Err(db::rule_not_found()) })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
