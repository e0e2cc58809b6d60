//! Deployments and failures (DORA metrics), as Datadog records and lists them:
//! `POST /api/v2/dora/deployment` and `/dora/failure` record one (202), and
//! `POST /api/v2/dora/deployments` and `/dora/failures` list those of a window, at most
//! `limit` (1 to 1,000) in time order and with no cursor. Plain JSON in and out.
//!
//! The list's `query` takes a subset of the event search syntax: terms separated by blanks
//! must all hold; `key:value` or `key:(a OR b)` on `service` (a failure's `services`), `env`,
//! `version`, `team` or `severity`; a trailing `*` matches by prefix; `-term` excludes; `*`
//! alone matches everything.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::db::{self, Refusal};
use super::jsonapi::{attributes, bad, error_body, parse_body, v1};
use super::shared::Shared;
use super::store::StoredDoraEvent;
use gatesctl_core::model::time;

/// The largest `limit` a list takes, and what it answers without one.
const MAX_LIMIT: u64 = 1000;
const DEFAULT_LIMIT: u64 = 10;

/// A refusal in the service's error shapes, as plain JSON (these endpoints are not JSON:API).
fn refused(r: Refusal) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    v1(status, error_body(status, &r.detail))
}

fn forbidden(shared: &Shared) -> Option<Response> {
    shared
        .options
        .faults
        .no_dora_read
        .then(|| refused(Refusal::new(403, "Forbidden: this application key lacks the dora_metrics_read permission")))
}

/// A Unix time as the API takes it (nanoseconds, milliseconds or seconds, read by their
/// size), in nanoseconds.
fn nanoseconds(value: Option<&Value>, name: &str) -> Result<Option<i64>, Refusal> {
    let Some(value) = value.filter(|v| !v.is_null()) else { return Ok(None) };
    let n = value.as_i64().ok_or_else(|| bad(format!("attribute \"{name}\" must be a Unix timestamp (an integer)")))?;
    Ok(Some(match n.abs() {
        a if a >= 100_000_000_000_000_000 => n,
        a if a >= 100_000_000_000_000 => n.saturating_mul(1_000),
        a if a >= 100_000_000_000 => n.saturating_mul(1_000_000),
        _ => n.saturating_mul(1_000_000_000),
    }))
}

fn optional_text(a: &Map<String, Value>, name: &str) -> Result<(), Refusal> {
    match a.get(name) {
        None | Some(Value::Null) | Some(Value::String(_)) => Ok(()),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a string"))),
    }
}

/// Checks a recorded event's attributes, its times made nanoseconds.
fn recorded(kind: &str, mut a: Map<String, Value>) -> Result<StoredDoraEvent, Refusal> {
    let started =
        nanoseconds(a.get("started_at"), "started_at")?.ok_or_else(|| bad("attribute \"started_at\" is required"))?;
    a.insert("started_at".into(), Value::from(started));
    let finished = nanoseconds(a.get("finished_at"), "finished_at")?;
    for name in ["env", "version", "team", "name", "severity", "id"] {
        optional_text(&a, name)?;
    }
    match kind {
        "deployment" => {
            match a.get("service") {
                Some(Value::String(s)) if !s.is_empty() => {}
                _ => return Err(bad("attribute \"service\" is required")),
            }
            let finished = finished.ok_or_else(|| bad("attribute \"finished_at\" is required"))?;
            a.insert("finished_at".into(), Value::from(finished));
        }
        _ => {
            if let Some(services) = a.get("services").filter(|v| !v.is_null()) {
                let ok = services.as_array().is_some_and(|items| items.iter().all(Value::is_string));
                if !ok {
                    return Err(bad("attribute \"services\" must be a list of strings"));
                }
            }
            if let Some(finished) = finished {
                a.insert("finished_at".into(), Value::from(finished));
            }
        }
    }
    let id = a.remove("id").and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    Ok(StoredDoraEvent { kind: kind.into(), id, attributes: Value::Object(a) })
}

async fn record(shared: Arc<Shared>, kind: &'static str, body: Bytes) -> Response {
    let event = match parse_body(&body).and_then(|b| attributes(&b).cloned()).and_then(|a| recorded(kind, a)) {
        Ok(event) => event,
        Err(r) => return refused(r),
    };
    match shared.db.run(move |conn| db::dora::record(conn, &event)).await {
        Ok(id) => v1(StatusCode::ACCEPTED, json!({"data": {"id": id, "type": format!("dora_{kind}")}})),
        Err(r) => refused(r),
    }
}

pub(super) async fn record_deployment(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    record(shared, "deployment", body).await
}

pub(super) async fn record_failure(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    record(shared, "failure", body).await
}

/// One term of a query: the values a key may take (any, for `*`), or must not.
struct Term {
    key: String,
    values: Vec<String>,
    negated: bool,
}

fn parse_query(query: &str) -> Result<Vec<Term>, Refusal> {
    let mut terms = Vec::new();
    let mut rest = query.trim();
    while !rest.is_empty() {
        let (negated, body) = match rest.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, rest),
        };
        if body == "*" || body.starts_with("* ") {
            rest = body[1..].trim_start();
            continue;
        }
        let Some((key, after)) = body.split_once(':') else {
            return Err(bad(format!("unsupported query term {body:?}: use key:value")));
        };
        let key = key.trim().to_ascii_lowercase();
        if !matches!(key.as_str(), "service" | "env" | "version" | "team" | "severity") {
            return Err(bad(format!("unsupported query key {key:?}: use service, env, version, team or severity")));
        }
        let (values, next) = match after.strip_prefix('(') {
            Some(inner) => {
                let close = inner.find(')').ok_or_else(|| bad("unbalanced parentheses in the query"))?;
                let values =
                    inner[..close].split(" OR ").map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect();
                (values, &inner[close + 1..])
            }
            None => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (vec![after[..end].to_string()], &after[end..])
            }
        };
        terms.push(Term { key, values, negated });
        rest = next.trim_start();
    }
    Ok(terms)
}

fn matches(terms: &[Term], a: &Value) -> bool {
    terms.iter().all(|term| {
        let fields: Vec<&str> = match (term.key.as_str(), a.get("services")) {
            ("service", Some(Value::Array(services))) => services.iter().filter_map(Value::as_str).collect(),
            (key, _) => a.get(key).and_then(Value::as_str).into_iter().collect(),
        };
        let hit = term.values.iter().any(|wanted| {
            fields.iter().any(|field| match wanted.strip_suffix('*') {
                Some(prefix) => field.to_ascii_lowercase().starts_with(&prefix.to_ascii_lowercase()),
                None => field.eq_ignore_ascii_case(wanted),
            })
        });
        hit != term.negated
    })
}

/// An event's attributes as the lists answer them: times as RFC 3339 date-times (the official
/// clients type them so), where they are recorded in nanoseconds.
fn listed(mut attributes: Value) -> Value {
    for name in ["started_at", "finished_at"] {
        if let Some(ns) = attributes.get(name).and_then(Value::as_i64) {
            attributes[name] = Value::from(rfc3339_nanos(ns));
        }
    }
    attributes
}

/// `2026-12-01T10:00:00.123456789Z`: every digit of a time recorded in nanoseconds.
fn rfc3339_nanos(ns: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_nanos(ns.max(0) as u64);
    humantime::format_rfc3339_nanos(at).to_string()
}

async fn list(shared: Arc<Shared>, kind: &'static str, body: Bytes) -> Response {
    if let Some(response) = forbidden(&shared) {
        return response;
    }
    let parsed = parse_body(&body).and_then(|body| {
        let expected = format!("dora_{kind}s_list_request");
        // Every malformed body is a 400 with a detail, as the service answers.
        let Some(data) = body.get("data").and_then(Value::as_object) else {
            return Err(bad("attribute \"data\" must be an object"));
        };
        match data.get("type") {
            None => {}
            Some(Value::String(t)) if *t == expected => {}
            Some(_) => return Err(bad(format!("attribute \"type\" of data must be \"{expected}\""))),
        }
        let Some(a) = data.get("attributes").and_then(Value::as_object).cloned() else {
            return Err(bad("attribute \"attributes\" of data must be an object"));
        };
        for name in ["query", "sort"] {
            if !matches!(a.get(name), None | Some(Value::Null) | Some(Value::String(_))) {
                return Err(bad(format!("attribute \"{name}\" must be a string")));
            }
        }
        let time = |name: &str| -> Result<Option<i64>, Refusal> {
            match a.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => time::parse_rfc3339(s)
                    .map(|ms| Some(ms.saturating_mul(1_000_000)))
                    .map_err(|e| bad(format!("attribute \"{name}\": {e}"))),
                Some(_) => Err(bad(format!("attribute \"{name}\" must be an RFC 3339 time"))),
            }
        };
        let to = time("to")?.unwrap_or(time::now_ms().saturating_mul(1_000_000));
        let from = time("from")?.unwrap_or(to - 24 * 3600 * 1_000_000_000);
        if to <= from {
            return Err(bad("attribute \"to\" must be after \"from\""));
        }
        let limit = match a.get("limit") {
            None | Some(Value::Null) => DEFAULT_LIMIT,
            Some(v) => v
                .as_u64()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| bad(format!("attribute \"limit\" must be between 1 and {MAX_LIMIT}")))?,
        };
        let descending = match a.get("sort").and_then(Value::as_str) {
            None | Some("-started_at") => true,
            Some("started_at") => false,
            Some(other) => return Err(bad(format!("attribute \"sort\" {other:?} must be started_at or -started_at"))),
        };
        let terms = parse_query(a.get("query").and_then(Value::as_str).unwrap_or_default())?;
        Ok(((from, to), descending, limit as usize, terms))
    });
    let (window, descending, limit, terms) = match parsed {
        Ok(p) => p,
        Err(r) => return refused(r),
    };
    let events =
        shared.db.run(move |conn| db::dora::list(conn, kind, window, descending, limit, &|a| matches(&terms, a))).await;
    match events {
        Ok(events) => {
            let data: Vec<Value> = events
                .into_iter()
                .map(|e| json!({"id": e.id, "type": format!("dora_{kind}"), "attributes": listed(e.attributes)}))
                .collect();
            v1(StatusCode::OK, json!({"data": data}))
        }
        Err(r) => refused(r),
    }
}

/// `GET /api/v2/dora/deployments/{id}` and `/failures/{id}`: one event, as the lists show it.
async fn one(shared: Arc<Shared>, kind: &'static str, id: String) -> Response {
    if let Some(response) = forbidden(&shared) {
        return response;
    }
    match shared.db.run(move |conn| db::dora::get(conn, kind, &id)).await {
        Ok(Some(e)) => v1(
            StatusCode::OK,
            json!({"data": {"id": e.id, "type": format!("dora_{kind}"), "attributes": listed(e.attributes)}}),
        ),
        Ok(None) => refused(Refusal::new(404, format!("{kind} not found"))),
        Err(r) => refused(r),
    }
}

pub(super) async fn get_deployment(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    one(shared, "deployment", id).await
}

pub(super) async fn get_failure(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    one(shared, "failure", id).await
}

pub(super) async fn list_deployments(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    list(shared, "deployment", body).await
}

pub(super) async fn list_failures(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    list(shared, "failure", body).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_select_as_the_event_search_does() {
        let a = json!({"service": "checkout", "env": "production", "version": "v2"});
        let q = |text: &str| matches(&parse_query(text).unwrap(), &a);
        assert!(q("") && q("*") && q("service:checkout") && q("env:(staging OR production)"));
        assert!(q("service:check*") && !q("-service:checkout") && !q("service:checkout env:staging"));
        let failure = json!({"services": ["search", "web-frontend"], "env": "production"});
        assert!(matches(&parse_query("service:(web-frontend)").unwrap(), &failure));
        assert!(parse_query("OR").is_err() && parse_query("host:x").is_err());
    }
}
