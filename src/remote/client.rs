//! A thin typed client over the Deployment Gates endpoints.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::budget::{RateBudget, RateHeaders, MAX_WAIT};
use super::wire::{self, Document, GateData, GateList, RuleListData};
use crate::escape::terminal;
use crate::model::{AttrChange, GateKey, RemoteGate, RemoteRule, Rule};

/// Sites of the API, as `DD_SITE` names them.
pub const SITES: [&str; 9] = [
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

/// Short names of the sites, as people say them.
pub const SHORT_SITES: [(&str, &str); 10] = [
    ("us1", "datadoghq.com"),
    ("us", "datadoghq.com"),
    ("us3", "us3.datadoghq.com"),
    ("us5", "us5.datadoghq.com"),
    ("eu", "datadoghq.eu"),
    ("eu1", "datadoghq.eu"),
    ("ap1", "ap1.datadoghq.com"),
    ("ap2", "ap2.datadoghq.com"),
    ("uk1", "uk1.datadoghq.com"),
    ("gov", "ddog-gov.com"),
];

/// Where keys are read from, in order: `DATADOG_*` wins over `DD_*`, as in datadog-ci.
pub const API_KEY_VARS: [&str; 2] = ["DATADOG_API_KEY", "DD_API_KEY"];
pub const APP_KEY_VARS: [&str; 2] = ["DATADOG_APP_KEY", "DD_APP_KEY"];

const PAGE_SIZE: usize = 1000;
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const ATTEMPTS: u32 = 4;
/// 429s answered to one request before giving up.
const MAX_RATE_LIMITED: u32 = 20;

/// API and application keys. `Debug` never shows them.
#[derive(Clone)]
pub struct Credentials {
    api_key: String,
    app_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

impl Credentials {
    pub fn new(api_key: impl Into<String>, app_key: impl Into<String>) -> Self {
        Credentials { api_key: api_key.into(), app_key: app_key.into() }
    }

    /// Keys from the environment only: never from a file, so they never land in git.
    pub fn from_env() -> Result<Self, SetupError> {
        let get = |vars: &[&str]| vars.iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
        let api = get(&API_KEY_VARS);
        let app = get(&APP_KEY_VARS);
        match (api, app) {
            (Some(api), Some(app)) => Ok(Credentials::new(api.trim(), app.trim())),
            (api, app) => {
                let mut missing = Vec::new();
                if api.is_none() {
                    missing.push("DD_API_KEY or DATADOG_API_KEY");
                }
                if app.is_none() {
                    missing.push("DD_APP_KEY or DATADOG_APP_KEY");
                }
                Err(SetupError::MissingKeys(missing.join(", and ")))
            }
        }
    }
}

/// Problems found before any request is sent.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "missing Datadog credentials: set {0} in the environment (or use --sandbox to try gatesctl without an account)"
    )]
    MissingKeys(String),
    #[error("unknown Datadog site {site:?}{}; sites are: {}, or us3, us5, eu, ap1, ap2, uk1, gov", .suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default(), SITES.join(", "))]
    UnknownSite { site: String, suggestion: Option<String> },
    #[error("invalid API URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("refusing to send API keys over plain http to {host}: use https, or http only to a loopback address (127.0.0.1, ::1, localhost)")]
    PlainHttp { host: String },
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
}

/// Resolves the base URL: an explicit URL (proxies, the sandbox) wins over the site.
pub fn base_url(site: Option<&str>, api_url: Option<&str>) -> Result<Url, SetupError> {
    let raw = match api_url.filter(|u| !u.trim().is_empty()) {
        Some(u) => u.trim().to_string(),
        None => {
            let site = site.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("datadoghq.com");
            let site = site.strip_prefix("app.").unwrap_or(site);
            let lower = site.to_ascii_lowercase();
            let site = SHORT_SITES.iter().find(|(short, _)| *short == lower).map_or(site, |(_, full)| full);
            if !SITES.contains(&site) {
                let names = SITES.iter().copied().chain(SHORT_SITES.iter().map(|(short, _)| *short));
                let suggestion = crate::suggest::suggest(site, names).map(str::to_string);
                return Err(SetupError::UnknownSite { site: site.to_string(), suggestion });
            }
            format!("https://api.{site}")
        }
    };
    let mut url = Url::parse(&raw).map_err(|e| SetupError::BadUrl { url: raw.clone(), reason: e.to_string() })?;
    let host = url.host_str().unwrap_or_default().to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(SetupError::PlainHttp { host }),
        other => {
            return Err(SetupError::BadUrl {
                url: raw.clone(),
                reason: format!("scheme {other:?} is not http or https"),
            })
        }
    }
    // Join relative paths under the given prefix (proxies may mount the API below a path).
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A failed call, with the call and the server's own words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{call} failed: {kind}")]
pub struct ApiError {
    pub call: String,
    pub kind: ApiErrorKind,
}

#[derive(Debug, Clone)]
pub enum ApiErrorKind {
    Status {
        status: u16,
        detail: String,
    },
    Timeout,
    /// No complete answer; `reached` when the request may have reached the server (the
    /// connection broke after it was sent).
    Connection {
        detail: String,
        reached: bool,
    },
    /// An answer that could not be read: not JSON, not the expected shape, too large.
    Decode(String),
    /// The API never redirects, and keys never follow a redirect.
    Redirect {
        status: u16,
        location: String,
    },
    /// The server says it did something other than what was asked.
    Contradicted {
        asked: String,
        answered: String,
    },
    /// The rate limit left no room for too long.
    RateLimited {
        waited: Duration,
    },
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorKind::Status { status, detail } => {
                let reason = StatusCode::from_u16(*status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
                write!(f, "{status} {reason}: {}", terminal(detail))?;
                match status {
                    401 | 403 => write!(f, " (check DD_API_KEY and DD_APP_KEY, the site, and that the application key has the deployment_gates_read/write/evaluate permissions)"),
                    429 => write!(f, " (rate limited: retried and gave up; try again later or lower --parallelism)"),
                    500..=599 => write!(f, " (the API is failing: retried and gave up; try again later)"),
                    _ => Ok(()),
                }
            }
            ApiErrorKind::Timeout => {
                write!(f, "no answer within {}s (check the network or proxy, then retry)", REQUEST_TIMEOUT.as_secs())
            }
            ApiErrorKind::Connection { detail, .. } => {
                write!(f, "connection failed: {} (check the network, --site or --api-url)", terminal(detail))
            }
            ApiErrorKind::Decode(e) => write!(f, "unexpected answer: {}", terminal(e)),
            ApiErrorKind::Redirect { status, location } => write!(
                f,
                "the API answered {status} redirecting to {}; gatesctl never follows redirects (the keys would go along): point --api-url or --site at the API itself",
                terminal(location)
            ),
            ApiErrorKind::Contradicted { asked, answered } => write!(
                f,
                "the API's answer contradicts the request: asked {}, answered {} (run `gatesctl plan` to see the remote state)",
                terminal(asked),
                terminal(answered)
            ),
            ApiErrorKind::RateLimited { waited } => write!(
                f,
                "gave up after waiting {} s in all for the API's rate limit to make room (try again later or lower --parallelism)",
                waited.as_secs()
            ),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ApiErrorKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Worth another try: the server did not refuse the request itself.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            ApiErrorKind::Status { status, .. } => *status == 429 || *status >= 500,
            ApiErrorKind::Timeout | ApiErrorKind::Connection { .. } => true,
            ApiErrorKind::Decode(_)
            | ApiErrorKind::Redirect { .. }
            | ApiErrorKind::Contradicted { .. }
            | ApiErrorKind::RateLimited { .. } => false,
        }
    }

    /// No decoded answer says whether a create landed: it must be looked for before it is
    /// retried or reported.
    fn outcome_unknown(&self) -> bool {
        self.is_transient() || matches!(self.kind, ApiErrorKind::Decode(_))
    }

    pub fn detail(&self) -> String {
        match &self.kind {
            ApiErrorKind::Status { detail, .. } => detail.clone(),
            other => other.to_string(),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    credentials: Credentials,
    verbose: bool,
    /// Shared by every clone, so concurrent requests spend one budget.
    budget: Arc<RateBudget>,
    /// At most this many requests in flight across clones, when set: a plan and its monitor
    /// check run together under one `--parallelism`.
    in_flight: Option<Arc<tokio::sync::Semaphore>>,
}

struct Answer {
    status: StatusCode,
    body: String,
}

/// The largest answer read; a list page of 1,000 gates is well under 1 MiB.
const MAX_ANSWER: usize = 32 << 20;

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
        Ok(Client { http, base, credentials, verbose, budget: Arc::new(RateBudget::default()), in_flight: None })
    }

    /// A client (sharing this one's rate budget) whose clones together keep at most `n`
    /// requests in flight.
    pub(crate) fn limited_to(&self, n: usize) -> Client {
        Client { in_flight: Some(Arc::new(tokio::sync::Semaphore::new(n.max(1)))), ..self.clone() }
    }

    fn trace(&self, line: impl FnOnce() -> String) {
        if self.verbose {
            crate::output::errln!("http: {}", line());
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
                Err(e) if e.is_timeout() => return Err(ApiErrorKind::Timeout),
                Err(e) => return Err(ApiErrorKind::Connection { detail: chain(&e), reached: true }),
            }
        }
        String::from_utf8(body).map_err(|_| ApiErrorKind::Decode("an answer that is not UTF-8".into()))
    }

    /// Sends one request, retrying what is safe to retry: any request the server answered
    /// 429 or never received, and idempotent ones (everything but POST) on 5xx and timeouts.
    /// Waits for the rate-limit window to reset rather than spend a request on a sure 429.
    async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Answer, ApiError> {
        let url = self.base.join(path).expect("paths are relative");
        let call = format!("{method} /{path}");
        let error = |kind| ApiError { call: call.clone(), kind };
        let idempotent = method != Method::POST;
        let (mut attempt, mut limited) = (0, 0);
        let mut rate_waited = Duration::ZERO;
        loop {
            // Held until the answer is read; never closed, so acquiring cannot fail.
            let slot = match &self.in_flight {
                Some(slots) => slots.acquire().await.ok(),
                None => None,
            };
            let (permit, waited) = self
                .budget
                .acquire()
                .await
                .map_err(|w| error(ApiErrorKind::RateLimited { waited: rate_waited + w.0 }))?;
            rate_waited += waited;
            if !waited.is_zero() {
                self.trace(|| format!("rate limit spent: waited {} ms for the window to reset", waited.as_millis()));
            }
            let started = Instant::now();
            self.trace(|| format!("→ {method} {url} (DD-API-KEY: <redacted>, DD-APPLICATION-KEY: <redacted>)"));
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
                    self.budget.answered(permit, None);
                    self.trace(|| format!("← error {method} {url}: {}", chain(&e)));
                    // A refused connection never reached the server, so even a create is safe to resend.
                    let reached = !e.is_connect();
                    let kind = if e.is_timeout() {
                        ApiErrorKind::Timeout
                    } else {
                        ApiErrorKind::Connection { detail: chain(&e), reached }
                    };
                    (error(kind), idempotent || !reached)
                }
                Ok(mut response) => {
                    let rate = rate_headers(&response);
                    self.budget.answered(permit, rate);
                    let status = response.status();
                    if status.is_redirection() {
                        let location = response
                            .headers()
                            .get(reqwest::header::LOCATION)
                            .map(|l| String::from_utf8_lossy(l.as_bytes()).into_owned())
                            .unwrap_or_else(|| "nowhere (no Location header)".into());
                        return Err(error(ApiErrorKind::Redirect { status: status.as_u16(), location }));
                    }
                    let text = Self::read_body(&mut response).await;
                    self.trace(|| {
                        format!("← {} {method} {url} ({} ms)", status.as_u16(), started.elapsed().as_millis())
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
                                self.budget.exhausted(reset);
                                if limited > MAX_RATE_LIMITED {
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
            if !retry || attempt >= ATTEMPTS {
                return Err(failure);
            }
            let wait = backoff(attempt);
            self.trace(|| format!("retrying {call} in {} ms after: {}", wait.as_millis(), failure.kind));
            drop(slot);
            tokio::time::sleep(wait).await;
        }
    }

    async fn json<T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&Value>) -> Result<T, ApiError> {
        let call = format!("{method} /{path}");
        let answer = self.call(method, path, body).await?;
        serde_json::from_str(&answer.body).map_err(|e| ApiError {
            call,
            kind: ApiErrorKind::Decode(format!("{e} (HTTP {})", answer.status.as_u16())),
        })
    }

    pub async fn list_gates(&self) -> Result<Vec<RemoteGate>, ApiError> {
        let mut gates = Vec::new();
        let mut cursor: Option<String> = None;
        // Bounded: a server repeating a cursor must not loop us forever.
        for _ in 0..100_000 {
            let mut path = format!("api/v2/deployment_gates?page%5Bsize%5D={PAGE_SIZE}");
            if let Some(c) = &cursor {
                path.push_str("&page%5Bcursor%5D=");
                path.push_str(&url_encode(c));
            }
            let page: GateList = self.json(Method::GET, &path, None).await?;
            let fetched = page.data.len();
            gates.extend(page.data.into_iter().map(RemoteGate::from));
            let next = page.meta.and_then(|m| m.page).and_then(|p| p.next_cursor).filter(|c| !c.is_empty());
            if next.is_none() || fetched == 0 || next == cursor {
                return Ok(gates);
            }
            cursor = next;
        }
        Ok(gates)
    }

    pub async fn get_gate(&self, id: &str) -> Result<RemoteGate, ApiError> {
        let doc: Document<GateData> =
            self.json(Method::GET, &format!("api/v2/deployment_gates/{}", url_encode(id)), None).await?;
        Ok(doc.data.into())
    }

    /// Creates a gate; an answer describing another gate is an error.
    pub async fn create_gate(&self, key: &GateKey, dry_run: bool) -> Result<RemoteGate, ApiError> {
        let call = "POST /api/v2/deployment_gates";
        let doc: Document<GateData> =
            self.json(Method::POST, "api/v2/deployment_gates", Some(&wire::create_gate_body(key, dry_run))).await?;
        let gate: RemoteGate = doc.data.into();
        check_gate(call, key, dry_run, &gate)?;
        Ok(gate)
    }

    /// Sets a gate's `dry_run`; an answer saying otherwise is an error.
    pub async fn update_gate(&self, id: &str, dry_run: bool) -> Result<RemoteGate, ApiError> {
        let path = format!("api/v2/deployment_gates/{}", url_encode(id));
        let doc: Document<GateData> = self.json(Method::PUT, &path, Some(&wire::update_gate_body(id, dry_run))).await?;
        let gate: RemoteGate = doc.data.into();
        check_gate(&format!("PUT /{path}"), &gate.key.clone(), dry_run, &gate)?;
        Ok(gate)
    }

    pub async fn delete_gate(&self, id: &str) -> Result<(), ApiError> {
        self.call(Method::DELETE, &format!("api/v2/deployment_gates/{}", url_encode(id)), None).await.map(|_| ())
    }

    pub async fn list_rules(&self, gate_id: &str) -> Result<Vec<RemoteRule>, ApiError> {
        let path = format!("api/v2/deployment_gates/{}/rules", url_encode(gate_id));
        let call = format!("GET /{path}");
        let doc: Document<RuleListData> = self.json(Method::GET, &path, None).await?;
        doc.data
            .attributes
            .rules
            .iter()
            .map(|item| wire::decode_rule(item).map(|(id, rule)| RemoteRule { id, rule }))
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError { call, kind: ApiErrorKind::Decode(e) })
    }

    /// Creates or updates a rule; an answer describing another rule is an error.
    async fn rule_call(
        &self,
        method: Method,
        path: String,
        asked: &Rule,
        id: Option<&str>,
    ) -> Result<RemoteRule, ApiError> {
        let call = format!("{method} /{path}");
        let doc: Document<Value> = self.json(method, &path, Some(&wire::rule_body(asked, id))).await?;
        let (id, answered) =
            wire::decode_rule(&doc.data).map_err(|e| ApiError { call: call.clone(), kind: ApiErrorKind::Decode(e) })?;
        if answered != *asked {
            let side = |v: &Option<crate::model::AttrValue>| v.as_ref().map_or("(none)".to_string(), |v| v.to_string());
            let (mut wanted, mut got) = (Vec::new(), Vec::new());
            if answered.name != asked.name {
                wanted.push(format!("name = {}", crate::escape::quoted(&asked.name)));
                got.push(format!("name = {}", crate::escape::quoted(&answered.name)));
            }
            for change in AttrChange::between(Some(asked), Some(&answered)) {
                wanted.push(format!("{} = {}", change.name, side(&change.before)));
                got.push(format!("{} = {}", change.name, side(&change.after)));
            }
            let kind = ApiErrorKind::Contradicted { asked: wanted.join(", "), answered: got.join(", ") };
            return Err(ApiError { call, kind });
        }
        Ok(RemoteRule { id, rule: answered })
    }

    pub async fn create_rule(&self, gate_id: &str, rule: &Rule) -> Result<RemoteRule, ApiError> {
        let path = format!("api/v2/deployment_gates/{}/rules", url_encode(gate_id));
        self.rule_call(Method::POST, path, rule, None).await
    }

    pub async fn update_rule(&self, gate_id: &str, rule_id: &str, rule: &Rule) -> Result<RemoteRule, ApiError> {
        let path = format!("api/v2/deployment_gates/{}/rules/{}", url_encode(gate_id), url_encode(rule_id));
        self.rule_call(Method::PUT, path, rule, Some(rule_id)).await
    }

    pub async fn delete_rule(&self, gate_id: &str, rule_id: &str) -> Result<(), ApiError> {
        let path = format!("api/v2/deployment_gates/{}/rules/{}", url_encode(gate_id), url_encode(rule_id));
        self.call(Method::DELETE, &path, None).await.map(|_| ())
    }

    pub(crate) async fn trigger_evaluation(&self, request: &wire::EvaluationRequest) -> Result<String, ApiError> {
        let body = serde_json::json!({"data": {"type": "deployment_gates_evaluation_request", "attributes": request}});
        let doc: Document<wire::EvaluationAccepted> =
            self.json(Method::POST, "api/v2/deployments/gates/evaluation", Some(&body)).await?;
        Ok(doc.data.attributes.evaluation_id)
    }

    /// How many monitors `query` matches, and how many of those fail now: one page of one
    /// monitor is enough, the counts cover them all.
    pub(crate) async fn search_monitors(&self, query: &str) -> Result<crate::model::MonitorMatches, ApiError> {
        let path = format!("api/v1/monitor/search?query={}&per_page=1", url_encode(query));
        let answer: wire::MonitorSearch = self.json(Method::GET, &path, None).await?;
        Ok(answer.matches())
    }

    /// A monitor by id, with the state of each of its groups; `None` when it does not exist.
    pub(crate) async fn get_monitor(&self, id: u64) -> Result<Option<crate::model::MonitorState>, ApiError> {
        let path = format!("api/v1/monitor/{id}?group_states=all");
        match self.json::<wire::MonitorAnswer>(Method::GET, &path, None).await {
            Ok(answer) => Ok(Some(answer.into())),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub(crate) async fn get_evaluation(&self, id: &str) -> Result<wire::EvaluationResult, ApiError> {
        let path = format!("api/v2/deployments/gates/evaluation/{}", url_encode(id));
        let doc: Document<wire::Resource<wire::EvaluationResult>> = self.json(Method::GET, &path, None).await?;
        Ok(doc.data.attributes)
    }
}

/// Attempts at a create whose answer was lost or refused for a passing reason.
const CREATE_ATTEMPTS: u32 = 5;

fn already_exists(e: &ApiError) -> bool {
    e.status() == Some(400) && e.detail().contains("already exists")
}

fn check_gate(call: &str, key: &GateKey, dry_run: bool, answered: &RemoteGate) -> Result<(), ApiError> {
    if answered.key == *key && answered.dry_run == dry_run {
        return Ok(());
    }
    let kind = ApiErrorKind::Contradicted {
        asked: format!("gate {key} with dry_run = {dry_run}"),
        answered: format!("gate {} with dry_run = {}", answered.key, answered.dry_run),
    };
    Err(ApiError { call: call.to_string(), kind })
}

impl Client {
    /// Creates a gate, never twice. Creates are not idempotent: whenever no decoded answer
    /// says what happened (a lost answer, a cut body, a 5xx), the gate is looked up by its key
    /// before trying again or giving up, and a retry refused because the gate exists adopts it
    /// (its `dry_run` set as asked).
    pub(crate) async fn create_gate_once(&self, key: &GateKey, dry_run: bool) -> Result<String, ApiError> {
        let landed = || async {
            let found = self.list_gates().await?.into_iter().find(|g| &g.key == key);
            if let Some(gate) = &found {
                if gate.dry_run != dry_run {
                    self.update_gate(&gate.id, dry_run).await?;
                }
            }
            Ok::<_, ApiError>(found.map(|g| g.id))
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_gate(key, dry_run).await {
                Ok(gate) => return Ok(gate.id),
                Err(e) if e.outcome_unknown() => {
                    tokio::time::sleep(backoff(attempt)).await;
                    if let Some(id) = landed().await? {
                        return Ok(id);
                    }
                    if attempt >= CREATE_ATTEMPTS {
                        return Err(e);
                    }
                }
                // Only a retry may find its own earlier attempt; a first create refused is a real conflict.
                Err(e) if already_exists(&e) && attempt > 1 => return landed().await?.ok_or(e),
                Err(e) => return Err(e),
            }
        }
    }

    /// Creates a rule, never twice: whenever no decoded answer says what happened, the gate's
    /// rules are listed, and a rule of that name and type (other than those in `not`, such as
    /// the rule it replaces) means the earlier attempt landed; it is updated if it differs.
    pub(crate) async fn create_rule_once(&self, gate_id: &str, rule: &Rule, not: &[&str]) -> Result<String, ApiError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.create_rule(gate_id, rule).await {
                Ok(created) => return Ok(created.id),
                Err(e) if e.outcome_unknown() => {
                    tokio::time::sleep(backoff(attempt)).await;
                    let existing = self.list_rules(gate_id).await?;
                    let landed = existing.into_iter().find(|r| {
                        r.rule.name == rule.name
                            && r.rule.rule_type() == rule.rule_type()
                            && !not.contains(&r.id.as_str())
                    });
                    if let Some(landed) = landed {
                        if landed.rule != *rule {
                            self.update_rule(gate_id, &landed.id, rule).await?;
                        }
                        return Ok(landed.id);
                    }
                    if attempt >= CREATE_ATTEMPTS {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn rate_headers(response: &reqwest::Response) -> Option<RateHeaders> {
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
    RateHeaders::parse(header("x-ratelimit-limit"), header("x-ratelimit-remaining"), header("x-ratelimit-reset"))
}

/// An error with its causes, which reqwest keeps in a chain.
fn chain(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

/// Exponential backoff with jitter: 100 ms, 200 ms, 400 ms … (capped at 6.4 s), plus up to a
/// quarter more so that concurrent retries spread out.
fn backoff(attempt: u32) -> Duration {
    let base = 100u64 << attempt.saturating_sub(1).min(6);
    let jitter = (uuid::Uuid::new_v4().as_u128() % (base as u128 / 4 + 1)) as u64;
    Duration::from_millis(base + jitter)
}

fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_site_names_map_to_the_full_site() {
        for (short, host) in [("eu", "api.datadoghq.eu"), ("US3", "api.us3.datadoghq.com"), ("gov", "api.ddog-gov.com")]
        {
            assert_eq!(base_url(Some(short), None).unwrap().host_str(), Some(host), "{short}");
        }
        let err = base_url(Some("us4"), None).unwrap_err().to_string();
        assert!(err.contains("did you mean \"us"), "{err}");
    }

    #[test]
    fn site_gives_the_api_host() {
        assert_eq!(base_url(None, None).unwrap().as_str(), "https://api.datadoghq.com/");
        assert_eq!(base_url(Some("datadoghq.eu"), None).unwrap().as_str(), "https://api.datadoghq.eu/");
        let err = base_url(Some("datadoghq.co"), None).unwrap_err().to_string();
        assert!(err.contains("did you mean \"datadoghq.com\""), "{err}");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(base_url(None, Some("http://127.0.0.1:8126")).is_ok());
        assert!(base_url(None, Some("http://localhost:8126/proxy")).is_ok());
        assert!(base_url(None, Some("http://[::1]:9")).is_ok());
        assert!(matches!(base_url(None, Some("http://proxy.internal:8080")), Err(SetupError::PlainHttp { .. })));
        assert!(base_url(None, Some("https://proxy.internal:8443")).is_ok());
    }

    #[test]
    fn credentials_never_show_in_debug() {
        let c = Credentials::new("abc123secret", "def456secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
