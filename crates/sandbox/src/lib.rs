//! A local, Datadog-compatible Deployment Gates API: the same paths, JSON:API bodies, status
//! codes and error texts as the real service (checked against its recorded traffic, see
//! `tests/it/conformance.rs`), with its state in SQLite.

mod catalog;
mod db;
mod dora;
mod error;
mod evaluation;
pub mod faults;
mod gates;
mod history;
mod jsonapi;
mod monitor_api;
pub mod monitors;
mod options;
mod rules;
mod shared;
pub mod store;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

use db::Database;
pub use error::SandboxError;
pub use faults::{Faults, RateLimit};
use jsonapi::{error, CONTENT_TYPE};
use shared::Shared;
pub use shared::{EvalSettings, RecordedRequest, SandboxOptions};
use store::Store;

/// Request bodies larger than this are refused (413): real ones are a few hundred bytes.
const MAX_BODY: usize = 1 << 20;
/// Request bodies read at once at most: with [`MAX_BODY`], a bound on the memory bodies take
/// however many clients send at once.
const BODIES_AT_ONCE: usize = 16;
/// A body declared larger than [`MAX_BODY`] but at most this is read (not kept) before the 413.
const DRAIN_BEFORE_REFUSING: u64 = 32 << 20;
/// Requests remembered for tests and `--verbose`; older ones are forgotten.
const REQUEST_LOG: usize = 100_000;

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
pub async fn start(
    listener: tokio::net::TcpListener,
    mut options: SandboxOptions,
) -> Result<RunningSandbox, SandboxError> {
    // Taken, not kept: once in the state, a large seed is not held in memory as well.
    let (path, legacy, seed) = (options.database.clone(), options.legacy.take(), options.seed.take());
    let monitors = options.monitors.clone();
    // Opening may wait for another process holding the state: not on the async threads.
    let db = tokio::task::spawn_blocking(move || Database::open(path.as_deref(), legacy, seed, monitors))
        .await
        .map_err(|e| SandboxError::State(e.to_string()))??;
    let addr = listener.local_addr().map_err(SandboxError::Listen)?;
    let monitors = db.run(db::monitors).await.map_err(|e| SandboxError::State(e.detail))?;
    let shared = Arc::new(Shared {
        db,
        monitors,
        options,
        bodies: tokio::sync::Semaphore::new(BODIES_AT_ONCE),
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
        .route("/api/v2/deployment_gates", get(gates::list).post(gates::create))
        .route("/api/v2/deployment_gates/evaluations", get(history::gates))
        .route("/api/v2/deployment_gates/evaluations/rules", get(history::rules))
        .route("/api/v2/deployment_gates/{id}", get(gates::get).put(gates::update).delete(gates::delete))
        .route("/api/v2/deployment_gates/{gate_id}/rules", get(rules::list).post(rules::create))
        .route(
            "/api/v2/deployment_gates/{gate_id}/rules/{id}",
            get(rules::get).put(rules::update).delete(rules::delete),
        )
        .route("/api/v2/deployments/gates/evaluation", post(evaluation::trigger))
        .route("/api/v2/deployments/gates/evaluation/{id}", get(evaluation::result))
        .route("/api/v2/dora/deployment", post(dora::record_deployment))
        .route("/api/v2/dora/failure", post(dora::record_failure))
        .route("/api/v2/dora/deployments", post(dora::list_deployments))
        .route("/api/v2/dora/failures", post(dora::list_failures))
        .route("/api/v2/dora/deployments/{id}", get(dora::get_deployment))
        .route("/api/v2/dora/failures/{id}", get(dora::get_failure))
        .route("/api/v2/catalog/entity", get(catalog::entities))
        .route("/api/v2/scorecard/rules", get(catalog::rules).post(catalog::create_rule))
        .route("/api/v2/scorecard/rules/{id}", axum::routing::put(catalog::update_rule).delete(catalog::delete_rule))
        .route("/api/v2/scorecard/outcomes/batch", post(catalog::post_outcomes))
        .route("/api/v2/scorecard/outcomes", get(catalog::outcomes))
        .route("/api/v1/monitor/search", get(monitor_api::search))
        .route("/api/v1/monitor/{id}", get(monitor_api::get))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "Not found") })
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), body_limit))
        .layer(DefaultBodyLimit::max(MAX_BODY))
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

fn too_large() -> Response {
    let mut response = error(StatusCode::PAYLOAD_TOO_LARGE, &format!("Request body larger than {MAX_BODY} bytes"));
    // The rest of the body is not read: the connection cannot carry another request.
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Refuses bodies over [`MAX_BODY`] with a 413. When `Content-Length` says so, nothing is kept:
/// up to [`DRAIN_BEFORE_REFUSING`] bytes are read and thrown away, so that the client, still
/// sending, receives the 413 rather than a reset connection. Otherwise the body is buffered,
/// at most [`BODIES_AT_ONCE`] at a time, and refused once past the limit.
async fn body_limit(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(length) = declared.filter(|n| *n > MAX_BODY as u64) {
        if length <= DRAIN_BEFORE_REFUSING {
            use http_body_util::BodyExt;
            let mut body = request.into_body();
            while let Some(Ok(_)) = body.frame().await {}
        }
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let bytes = {
        let _place = shared.bodies.acquire().await;
        axum::body::to_bytes(body, MAX_BODY).await
    };
    match bytes {
        Ok(bytes) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Err(_) => too_large(),
    }
}

/// Checks the keys (any value is accepted: nothing here is secret, but both must be there,
/// as the service demands), then applies the configured faults, and records the request.
async fn gatekeeper(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or_default().to_string();
    let headers = request.headers();
    let has = |name: &str| headers.get(name).is_some_and(|v| !v.is_empty());
    // Recording a deployment or a failure takes the API key alone, as the service does: the
    // official clients and `datadog-ci dora` send no application key for them.
    let api_key_alone = method == axum::http::Method::POST
        && matches!(path.as_str(), "/api/v2/dora/deployment" | "/api/v2/dora/failure");
    let authenticated = has("dd-api-key") && (api_key_alone || has("dd-application-key"));
    let faults = &shared.options.faults;
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    let rate = shared.faults.rate(faults, &path);
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
        query,
        status: if dropped { 0 } else { response.status().as_u16() },
    });
    response
}
