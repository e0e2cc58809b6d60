//! The client's transport: one request sent, its answer read (bounded), retried when that is
//! safe, under the rate limit of the endpoint it calls, never following a redirect and never
//! showing a key or a proxy's password.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::budget::{Budgets, Patience, RateHeaders, MAX_WAIT};
use super::credentials::Credentials;
use super::error::{ApiError, ApiErrorKind, ConnectionCause, SetupError};
use super::site::{redact_text, without_userinfo};
use super::wire;

pub(crate) const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const ATTEMPTS: u32 = 4;
/// 429s answered to one request before giving up.
const MAX_RATE_LIMITED: u32 = 20;
/// The largest answer read; a list page of 1,000 gates is well under 1 MiB.
const MAX_ANSWER: usize = 32 << 20;

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    pub(crate) base: Url,
    credentials: Credentials,
    verbose: bool,
    /// Where traces and notes go (the binary's stderr, which knows its progress display).
    say: crate::say::Say,
    /// Shared by every clone, so concurrent requests spend one budget per rate limit.
    budgets: Arc<Budgets>,
    /// At most this many requests in flight across clones, when set: a plan and its monitor
    /// check run together under one `--parallelism`.
    in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

/// What the transport does on its own when a request fails, for callers that decide it
/// themselves (evaluate's polls and trigger).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Retries {
    /// Resend after a transient failure (5xx, timeout, dropped connection) when that is safe.
    pub(crate) failures: bool,
    /// Wait for the rate limit's reset after a 429 and resend; otherwise the 429 is returned
    /// (the budget still learns that the window is spent).
    pub(crate) rate_limited: bool,
    /// A POST that only reads (the DORA lists): safe to resend after a 5xx or a timeout, as a
    /// GET is.
    pub(crate) post_reads: bool,
}

impl Retries {
    /// Everything safe to retry is retried here.
    pub(crate) const ALL: Retries = Retries { failures: true, rate_limited: true, post_reads: false };
    /// As [`Retries::ALL`], for a POST that only reads.
    pub(crate) const READ: Retries = Retries { post_reads: true, ..Retries::ALL };
    /// One request per call: the caller's own loop paces the next one (one poll per interval).
    pub(crate) const ONE_REQUEST: Retries = Retries { failures: false, rate_limited: true, post_reads: false };
    /// Failures retried, a 429 returned at once: the caller decides how long a 429 may last.
    pub(crate) const RETURN_RATE_LIMITED: Retries = Retries { failures: true, rate_limited: false, post_reads: false };
}

pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: String,
}

/// The endpoint family of a request path (`api/v2/deployment_gates/{id}/rules` →
/// `v2/deployment_gates`): the unit whose rate limit is learnt from its answers.
fn family(path: &str) -> String {
    let path = path.split('?').next().unwrap_or_default();
    path.split('/').skip(1).take(2).collect::<Vec<_>>().join("/")
}

impl Client {
    pub fn new(base: Url, credentials: Credentials, verbose: bool) -> Result<Self, SetupError> {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            // The API never redirects; following one would send the keys elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gatesctl/", env!("CARGO_PKG_VERSION")));
        if base.scheme() == "http" {
            // Plain http is allowed to loopback only, and must stay there: through a proxy
            // the keys would cross the network in clear.
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| SetupError::Http(e.to_string()))?;
        Ok(Client {
            http,
            base,
            credentials,
            verbose,
            say: crate::say::silent(),
            budgets: Arc::default(),
            in_flight: None,
        })
    }

    /// This client, giving up on the rate limit after `patience` without any request getting
    /// through (5 minutes by default).
    pub fn with_rate_limit_patience(mut self, patience: Duration) -> Client {
        self.budgets = Arc::new(Budgets::with_patience(Patience::new(patience).saying(self.say.clone())));
        self
    }

    /// This client, printing its traces (`-v`) and notes (rate-limit waits) through `say`.
    pub fn saying(mut self, say: crate::say::Say) -> Client {
        let limit = self.budgets.patience.limit();
        self.say = say.clone();
        self.budgets = Arc::new(Budgets::with_patience(Patience::new(limit).saying(say)));
        self
    }

    /// A client (sharing this one's rate budgets) whose clones together keep at most `n`
    /// requests in flight.
    pub fn limited_to(&self, n: usize) -> Client {
        Client { in_flight: Some(Arc::new(tokio::sync::Semaphore::new(n.max(1)))), ..self.clone() }
    }

    fn trace(&self, line: impl FnOnce() -> String) {
        if self.verbose {
            (self.say)(&format!("http: {}\n", line()));
        }
    }

    /// Reads an answer's body, at most [`MAX_ANSWER`] bytes of it.
    async fn read_body(response: &mut reqwest::Response) -> Result<String, ApiErrorKind> {
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_ANSWER {
                        return Err(ApiErrorKind::Decode(format!("an answer larger than {} MiB", MAX_ANSWER >> 20)));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) if e.is_timeout() => return Err(ApiErrorKind::Timeout { seconds: REQUEST_TIMEOUT.as_secs() }),
                Err(e) => {
                    let detail = chain(&e);
                    return Err(ApiErrorKind::Connection {
                        cause: ConnectionCause::of(&detail),
                        detail,
                        reached: true,
                    });
                }
            }
        }
        String::from_utf8(body).map_err(|_| ApiErrorKind::Decode("an answer that is not UTF-8".into()))
    }

    /// Sends one request, retrying what is safe to retry: any request the server answered
    /// 429 or never received, and idempotent ones (everything but POST) on 5xx and timeouts.
    /// Waits for the rate-limit window to reset rather than spend a request on a sure 429.
    pub(crate) async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer, ApiError> {
        self.call_with(method, path, body, Retries::ALL).await
    }

    /// As [`Client::call`], retrying only what `retries` allows.
    pub(crate) async fn call_with(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retries: Retries,
    ) -> Result<Answer, ApiError> {
        let url = self.base.join(path).expect("paths are relative");
        let shown = without_userinfo(&url);
        let call = format!("{method} /{path}");
        let error = |kind| ApiError { call: call.clone(), kind };
        let idempotent = method != Method::POST || retries.post_reads;
        let family = family(path);
        let patience = &self.budgets.patience;
        let (mut attempt, mut limited) = (0, 0);
        loop {
            // Held until the answer is read; never closed, so acquiring cannot fail.
            let slot = match &self.in_flight {
                Some(slots) => slots.acquire().await.ok(),
                None => None,
            };
            // The budget of this endpoint's limit; a family still unknown sends one request at a
            // time, and a request that waited on it goes under the limit learnt meanwhile.
            let (budget, permit, waited) = loop {
                let budget = self.budgets.of(&family);
                let (permit, waited) =
                    budget.acquire(patience).await.map_err(|w| error(ApiErrorKind::RateLimited { waited: w.0 }))?;
                if Arc::ptr_eq(&budget, &self.budgets.of(&family)) {
                    break (budget, permit, waited);
                }
            };
            if !waited.is_zero() {
                self.trace(|| format!("rate limit spent: waited {} ms for the window to reset", waited.as_millis()));
            }
            let started = Instant::now();
            self.trace(|| format!("→ {method} {shown} (DD-API-KEY: <redacted>, DD-APPLICATION-KEY: <redacted>)"));
            let mut request = self
                .http
                .request(method.clone(), url.clone())
                .header("DD-API-KEY", &self.credentials.api_key)
                .header("DD-APPLICATION-KEY", &self.credentials.app_key)
                .header("Accept", "application/json");
            if let Some(body) = body {
                request = request.header("Content-Type", "application/json").body(body.to_string());
            }
            let (failure, retry) = match request.send().await {
                Err(e) => {
                    budget.answered(permit, None);
                    let detail = chain(&e);
                    self.trace(|| format!("← error {method} {shown}: {detail}"));
                    // A refused connection never reached the server, so even a create is safe to resend.
                    let reached = !e.is_connect();
                    let kind = if e.is_timeout() {
                        ApiErrorKind::Timeout { seconds: REQUEST_TIMEOUT.as_secs() }
                    } else {
                        ApiErrorKind::Connection { cause: ConnectionCause::of(&detail), detail, reached }
                    };
                    let failure = error(kind);
                    let retry = failure.is_transient() && (idempotent || !reached);
                    (failure, retry)
                }
                Ok(mut response) => {
                    let rate = rate_headers(&response);
                    if let Some(learnt) = self.budgets.learn(&family, &budget, rate.as_ref()) {
                        if let Some(rate) = &rate {
                            learnt.observe(rate);
                        }
                    }
                    budget.answered(permit, rate.clone());
                    let status = response.status();
                    if status != StatusCode::TOO_MANY_REQUESTS {
                        patience.progress();
                    }
                    if status.is_redirection() {
                        let location = response
                            .headers()
                            .get(reqwest::header::LOCATION)
                            .map(|l| redact_text(&String::from_utf8_lossy(l.as_bytes())))
                            .unwrap_or_else(|| "nowhere (no Location header)".into());
                        return Err(error(ApiErrorKind::Redirect { status: status.as_u16(), location }));
                    }
                    let text = Self::read_body(&mut response).await;
                    self.trace(|| {
                        format!("← {} {method} {shown} ({} ms)", status.as_u16(), started.elapsed().as_millis())
                    });
                    match text {
                        Ok(text) if status.is_success() => return Ok(Answer { status, body: text }),
                        Ok(text) => {
                            let detail = wire::error_detail(&text).unwrap_or_else(|| {
                                let t = text.trim();
                                if t.is_empty() {
                                    status.canonical_reason().unwrap_or("no detail").to_string()
                                } else {
                                    t.chars().take(200).collect()
                                }
                            });
                            let failure = error(ApiErrorKind::Status { status: status.as_u16(), detail });
                            if status == StatusCode::TOO_MANY_REQUESTS {
                                // Not processed: always safe to resend, after the reset, a bounded number of times.
                                limited += 1;
                                let reset = rate.map(|r| r.reset).unwrap_or(backoff(limited)).min(MAX_WAIT);
                                self.budgets.of(&family).exhausted(reset);
                                if limited > MAX_RATE_LIMITED || !retries.rate_limited {
                                    return Err(failure);
                                }
                                self.trace(|| {
                                    format!("429 on {call}: retrying after the reset ({} ms)", reset.as_millis())
                                });
                                continue;
                            }
                            (failure, idempotent && status.is_server_error())
                        }
                        Err(kind) => {
                            let retry = idempotent && !matches!(kind, ApiErrorKind::Decode(_));
                            (error(kind), retry)
                        }
                    }
                }
            };
            attempt += 1;
            if !retry || !retries.failures || attempt >= ATTEMPTS {
                return Err(failure);
            }
            let wait = backoff(attempt);
            self.trace(|| format!("retrying {call} in {} ms after: {}", wait.as_millis(), failure.kind));
            drop(slot);
            tokio::time::sleep(wait).await;
        }
    }

    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        self.json_with(method, path, body, Retries::ALL).await
    }

    /// One request, its transient failure returned (a 429 still waits for the reset).
    pub(crate) async fn json_once<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, ApiError> {
        self.json_with(method, path, body, Retries::ONE_REQUEST).await
    }

    pub(crate) async fn json_with<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        retries: Retries,
    ) -> Result<T, ApiError> {
        let call = format!("{method} /{path}");
        let answer = self.call_with(method, path, body, retries).await?;
        serde_json::from_str(&answer.body).map_err(|e| ApiError {
            call,
            kind: ApiErrorKind::Decode(format!("{e} (HTTP {})", answer.status.as_u16())),
        })
    }
}

fn rate_headers(response: &reqwest::Response) -> Option<RateHeaders> {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    RateHeaders::parse(header("x-ratelimit-limit"), header("x-ratelimit-remaining"), header("x-ratelimit-reset"))
        .map(|r| r.named(header("x-ratelimit-name")).with_period(header("x-ratelimit-period")))
}

/// An error with its causes, which reqwest keeps in a chain; a URL in it is shown without the
/// password a proxy URL may carry.
fn chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    redact_text(&msg)
}

/// Exponential backoff with jitter: 100 ms, 200 ms, 400 ms … (capped at 6.4 s), plus up to a
/// quarter more so that concurrent retries spread out.
pub(crate) fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.saturating_sub(1).min(6);
    Duration::from_millis(base + fastrand::u64(0..=base / 4))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_paths_without_their_ids() {
        assert_eq!(family("api/v2/deployment_gates/abc/rules/def"), "v2/deployment_gates");
        assert_eq!(family("api/v2/deployment_gates?page%5Bsize%5D=1000"), "v2/deployment_gates");
        assert_eq!(family("api/v1/monitor/search?query=x"), "v1/monitor");
        assert_eq!(family("api/v2/deployments/gates/evaluation"), "v2/deployments");
    }
}
