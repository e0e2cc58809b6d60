//! Fault injection for tests and benchmarks: latency, a rate limit with the real headers,
//! failing requests and dropped connections.

use std::pin::Pin;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::error;

#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// At most this many requests per period, for each rate limit (the deployment gates', the
    /// monitors', the catalog's, DORA's); more get 429 until the window resets.
    pub rate_limit: Option<RateLimit>,
    /// Every Nth mutating request answers 500 without changing anything.
    pub fail_every: Option<u32>,
    /// Every Nth create is committed, then the connection drops before the answer.
    pub drop_every_create: Option<u32>,
    /// Every Nth evaluation poll fails: alternately a 503 and a dropped connection.
    pub flaky_polls: Option<u32>,
    /// Drop empty lists from rule options, as the service did in 2025 (it keeps them since
    /// 2026): keeps the plan's semantic comparison of options tested.
    pub drop_empty_lists: bool,
    /// The application key lacks `monitors_read`: the monitor search answers 403.
    pub no_monitors_read: bool,
    /// The application key lacks `dora_metrics_read`: the DORA lists answer 403.
    pub no_dora_read: bool,
    /// The application key lacks `apm_service_catalog_read`: the catalog and Scorecards
    /// answer 403.
    pub no_catalog_read: bool,
    /// The application key lacks `apm_service_catalog_write`: Scorecards refuse every write.
    pub no_catalog_write: bool,
}

#[derive(Clone, Copy, Debug)]
pub struct RateLimit {
    pub limit: u32,
    pub period: Duration,
}

/// What the fault layer decided for one request.
pub(crate) enum Verdict {
    /// Answer this instead of running the handler.
    Answer(Response),
    /// Run the handler, then drop the connection instead of answering.
    RunThenDrop,
    /// Drop the connection without running the handler.
    Drop,
    Pass,
}

#[derive(Default)]
pub(crate) struct FaultState {
    counters: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    mutations: u32,
    creates: u32,
    polls: u32,
    /// Each rate limit's window: when it started, and the requests counted in it.
    windows: std::collections::HashMap<&'static str, (Instant, u32)>,
}

/// The rate limit a path counts against, named as Datadog names its limits in
/// `X-RateLimit-Name`: the monitors, the Software Catalog (and Scorecards), DORA and the
/// deployment gates each have theirs.
pub fn limit_name(path: &str) -> &'static str {
    if path.starts_with("/api/v1/monitor") {
        "monitors"
    } else if path.starts_with("/api/v2/catalog") || path.starts_with("/api/v2/scorecard") {
        "software_catalog"
    } else if path.starts_with("/api/v2/dora") {
        "dora_metrics"
    } else {
        "deployment_gates"
    }
}

pub(crate) struct RateHeaders {
    name: &'static str,
    limit: u32,
    period: Duration,
    remaining: u32,
    reset: Duration,
}

impl RateHeaders {
    pub(crate) fn apply(&self, response: &mut Response) {
        let h = response.headers_mut();
        let secs = |d: Duration| HeaderValue::from_str(&d.as_secs_f64().ceil().max(0.0).to_string()).unwrap();
        h.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        h.insert("x-ratelimit-period", secs(self.period));
        h.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        h.insert("x-ratelimit-reset", secs(self.reset));
        h.insert("x-ratelimit-name", HeaderValue::from_static(self.name));
    }
}

impl FaultState {
    /// Counts the request against the window of its rate limit (each limit has its own) and
    /// returns the headers to send.
    pub(crate) fn rate(&self, faults: &Faults, path: &str) -> Option<(RateHeaders, bool)> {
        let limit = faults.rate_limit?;
        let name = limit_name(path);
        let mut c = self.counters.lock().unwrap();
        let now = Instant::now();
        let window = c.windows.entry(name).or_insert((now, 0));
        if now.duration_since(window.0) >= limit.period {
            *window = (now, 0);
        }
        let allowed = window.1 < limit.limit;
        if allowed {
            window.1 += 1;
        }
        let headers = RateHeaders {
            name,
            limit: limit.limit,
            period: limit.period,
            remaining: limit.limit - window.1,
            reset: limit.period.saturating_sub(now.duration_since(window.0)),
        };
        Some((headers, allowed))
    }

    pub(crate) fn verdict(&self, faults: &Faults, method: &Method, path: &str) -> Verdict {
        let mut c = self.counters.lock().unwrap();
        let is_poll = method == Method::GET && path.starts_with("/api/v2/deployments/gates/evaluation/");
        if is_poll {
            c.polls += 1;
            if let Some(n) = faults.flaky_polls.filter(|n| *n > 0) {
                if c.polls.is_multiple_of(n) {
                    return if (c.polls / n) % 2 == 1 {
                        Verdict::Answer(error(
                            StatusCode::SERVICE_UNAVAILABLE,
                            "Service Unavailable (injected by the sandbox)",
                        ))
                    } else {
                        Verdict::Drop
                    };
                }
            }
            return Verdict::Pass;
        }
        if method == Method::GET || path.starts_with("/api/v2/deployments/gates/evaluation") {
            return Verdict::Pass;
        }
        c.mutations += 1;
        if let Some(n) = faults.fail_every.filter(|n| *n > 0) {
            if c.mutations.is_multiple_of(n) {
                return Verdict::Answer(error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Internal Server Error (injected by the sandbox)",
                ));
            }
        }
        if method == Method::POST {
            c.creates += 1;
            if let Some(n) = faults.drop_every_create.filter(|n| *n > 0) {
                if c.creates.is_multiple_of(n) {
                    return Verdict::RunThenDrop;
                }
            }
        }
        Verdict::Pass
    }
}

/// A body that fails on first read, so the server aborts the connection instead of answering.
struct BrokenBody;

impl http_body::Body for BrokenBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, std::io::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "connection dropped by the sandbox",
        ))))
    }
}

pub(crate) fn dropped_connection() -> Response {
    let mut response = Response::new(Body::new(BrokenBody));
    *response.status_mut() = StatusCode::OK;
    response
}
