//! The Software Catalog and Scorecards, as the official clients read them: the catalog's
//! entities listed by offset (`page[offset]`, `page[limit]` ≤ 100, `links.next` while more
//! remain), custom rules listed, created (one of a name per scorecard), updated and deleted,
//! and outcomes posted in batches (a later one for a rule and service replaces the earlier)
//! and listed. Without the catalog permissions the answer is 403, as the service's.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Map, Value};

use super::db::catalog::{self as db, EntityFilter, OutcomeFilter, Posted, RuleFilter};
use super::db::Refusal;
use super::gates::{page_size, single};
use super::jsonapi::{attributes, bad, check_id, check_type, jsonapi, new_id, parse_body, Reply};
use super::shared::Shared;
use super::store::{StoredEntity, StoredOutcome, StoredScorecardRule};

/// The largest page of each list.
const MAX_PAGE: usize = 100;
/// Results in one outcomes batch at most.
const MAX_RESULTS: usize = 1000;

fn read_refused(shared: &Shared) -> Result<(), Refusal> {
    match shared.options.faults.no_catalog_read {
        true => Err(Refusal::new(403, "Forbidden: this application key lacks the apm_service_catalog_read permission")),
        false => Ok(()),
    }
}

fn write_refused(shared: &Shared) -> Result<(), Refusal> {
    read_refused(shared)?;
    match shared.options.faults.no_catalog_write {
        true => {
            Err(Refusal::new(403, "Forbidden: this application key lacks the apm_service_catalog_write permission"))
        }
        false => Ok(()),
    }
}

/// A whole number of a query parameter, in `range`, or `default`.
fn number(query: &[(String, String)], name: &str, default: u64, max: u64) -> Result<u64, Refusal> {
    match single(query, name)? {
        None => Ok(default),
        Some(s) => s
            .parse::<u64>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| bad(format!("{name} must be between 0 and {max}"))),
    }
}

fn text(query: &[(String, String)], name: &str) -> Result<Option<String>, Refusal> {
    Ok(single(query, name)?.map(str::to_string))
}

/// The query string of the next page: this one's, with the offset moved on.
fn next_link(path: &str, query: &[(String, String)], offset_name: &str, next: u64) -> String {
    let mut parts: Vec<String> =
        query.iter().filter(|(k, _)| k != offset_name).map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
    parts.push(format!("{}={next}", encode(offset_name)));
    format!("{path}?{}", parts.join("&"))
}

fn encode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn entity_json(e: &StoredEntity) -> Value {
    json!({
        "id": e.id,
        "type": "entity",
        "attributes": {
            "apiVersion": "v3", "kind": e.kind, "name": e.name, "namespace": "default", "displayName": e.name,
            "owner": e.owner, "tags": e.tags, "description": "",
        },
        "meta": {"ingestionSource": "api", "origin": "sandbox"},
    })
}

/// `GET /api/v2/catalog/entity`.
pub(super) async fn entities(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    read_refused(&shared)?;
    let limit = page_size(&query, "page[limit]", MAX_PAGE, MAX_PAGE)? as u64;
    let offset = number(&query, "page[offset]", 0, u64::MAX >> 1)?;
    let filter = EntityFilter {
        kind: text(&query, "filter[kind]")?,
        name: text(&query, "filter[name]")?,
        owner: text(&query, "filter[owner]")?,
    };
    let (list, total) = shared.db.run(move |conn| db::entities(conn, &filter, offset, limit)).await?;
    let path = "/api/v2/catalog/entity";
    let mut links = json!({"self": next_link(path, &query, "page[offset]", offset)});
    if offset + (list.len() as u64) < total {
        links["next"] = Value::from(next_link(path, &query, "page[offset]", offset + list.len() as u64));
    }
    let data: Vec<Value> = list.iter().map(entity_json).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "links": links, "meta": {"count": data.len(), "includeCount": 0}})))
}

fn rule_json(r: &StoredScorecardRule) -> Value {
    json!({
        "id": r.id,
        "type": "rule",
        "attributes": {
            "category": "Custom", "custom": true, "name": r.name, "scorecard_name": r.scorecard_name,
            "description": r.description, "enabled": r.enabled, "level": r.level, "owner": r.owner,
            "scope_query": r.scope_query, "created_at": r.created_at, "modified_at": r.modified_at,
        },
        "relationships": {"scorecard": {"data": {"id": scorecard_id(&r.scorecard_name), "type": "scorecard"}}},
    })
}

/// A scorecard's id, the same for one name in every run (FNV-1a over its bytes).
fn scorecard_id(name: &str) -> String {
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    uuid::Uuid::from_u64_pair(hash, hash.rotate_left(32)).to_string()
}

/// `GET /api/v2/scorecard/rules`.
pub(super) async fn rules(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    read_refused(&shared)?;
    let size = page_size(&query, "page[size]", 10, MAX_PAGE)? as u64;
    let offset = number(&query, "page[offset]", 0, u64::MAX >> 1)?;
    let filter = RuleFilter {
        id: text(&query, "filter[rule][id]")?,
        name: text(&query, "filter[rule][name]")?,
        enabled: match single(&query, "filter[rule][enabled]")? {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("filter[rule][enabled] must be true or false")),
        },
    };
    // One more than asked: whether a next page exists.
    let mut list = shared.db.run(move |conn| db::rules(conn, &filter, offset, size + 1)).await?;
    let more = list.len() as u64 > size;
    list.truncate(size as usize);
    let mut links = json!({});
    if more {
        links["next"] = Value::from(next_link("/api/v2/scorecard/rules", &query, "page[offset]", offset + size));
    }
    let data: Vec<Value> = list.iter().map(rule_json).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "links": links})))
}

fn optional_text(a: &Map<String, Value>, name: &str) -> Result<String, Refusal> {
    match a.get(name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(bad(format!("attribute \"{name}\" must be a string"))),
    }
}

/// A rule as a create or an update describes it.
fn described(body: &Bytes, id: String, at: String) -> Result<StoredScorecardRule, Refusal> {
    let body = parse_body(body)?;
    check_type(&body, "rule")?;
    let a = attributes(&body)?;
    let name = optional_text(a, "name")?;
    if name.trim().is_empty() {
        return Err(bad("attribute \"name\" is required"));
    }
    let scorecard_name = optional_text(a, "scorecard_name")?;
    if scorecard_name.trim().is_empty() {
        return Err(bad("attribute \"scorecard_name\" is required"));
    }
    let enabled = match a.get("enabled") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("attribute \"enabled\" must be a boolean")),
    };
    let level = match a.get("level") {
        None | Some(Value::Null) => 3,
        Some(v) => {
            v.as_i64().filter(|l| (1..=3).contains(l)).ok_or_else(|| bad("attribute \"level\" must be 1, 2 or 3"))?
        }
    };
    Ok(StoredScorecardRule {
        id,
        name,
        scorecard_name,
        description: optional_text(a, "description")?,
        enabled,
        level,
        owner: optional_text(a, "owner")?,
        scope_query: optional_text(a, "scope_query")?,
        created_at: at.clone(),
        modified_at: at,
        outcomes: Vec::new(),
    })
}

/// `POST /api/v2/scorecard/rules`.
pub(super) async fn create_rule(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    write_refused(&shared)?;
    let rule = described(&body, new_id(), super::db::now())?;
    let json = rule_json(&rule);
    shared.db.run(move |conn| db::insert_rule(conn, &rule)).await?;
    Ok(jsonapi(StatusCode::CREATED, json!({"data": json})))
}

/// `PUT /api/v2/scorecard/rules/{id}`.
pub(super) async fn update_rule(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Reply {
    write_refused(&shared)?;
    check_id(&id, "rule_id")?;
    let mut rule = described(&body, id.clone(), super::db::now())?;
    let stored = shared
        .db
        .run(move |conn| {
            let Some(before) = db::rule(conn, &id)? else { return Err(Refusal::new(404, "rule not found")) };
            rule.created_at = before.created_at;
            db::update_rule(conn, &rule)?;
            Ok(rule)
        })
        .await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": rule_json(&stored)})))
}

/// `DELETE /api/v2/scorecard/rules/{id}`.
pub(super) async fn delete_rule(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    write_refused(&shared)?;
    check_id(&id, "rule_id")?;
    let gone = shared.db.run(move |conn| db::delete_rule(conn, &id)).await?;
    if !gone {
        return Err(Refusal::new(404, "rule not found"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn outcome_json(rule_id: &str, o: &StoredOutcome) -> Value {
    json!({
        "id": o.id,
        "type": "outcome",
        "attributes": {
            "service_name": o.service_name, "state": o.state, "remarks": o.remarks,
            "created_at": o.created_at, "modified_at": o.modified_at,
        },
        "relationships": {"rule": {"data": {"id": rule_id, "type": "rule"}}},
    })
}

/// The results of a batch, checked: each names a rule, a service and a state.
fn results(body: &Bytes) -> Result<Vec<Posted>, Refusal> {
    let body = parse_body(body)?;
    check_type(&body, "batched-outcome")?;
    let a = attributes(&body)?;
    let Some(items) = a.get("results").and_then(Value::as_array) else {
        return Err(bad("attribute \"results\" is required (a list)"));
    };
    if items.len() > MAX_RESULTS {
        return Err(bad(format!("at most {MAX_RESULTS} results in one batch")));
    }
    items
        .iter()
        .map(|item| {
            let Some(item) = item.as_object() else { return Err(bad("each result is an object")) };
            let rule_id = optional_text(item, "rule_id")?;
            check_id(&rule_id, "rule_id")?;
            let service_name = optional_text(item, "service_name")?;
            if service_name.is_empty() {
                return Err(bad("attribute \"service_name\" is required"));
            }
            let state = optional_text(item, "state")?;
            if !matches!(state.as_str(), "pass" | "fail" | "skip") {
                return Err(bad(format!("attribute \"state\" {state:?} must be pass, fail or skip")));
            }
            Ok(Posted { rule_id, service_name, state, remarks: optional_text(item, "remarks")? })
        })
        .collect()
}

/// `POST /api/v2/scorecard/outcomes/batch`.
pub(super) async fn post_outcomes(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    write_refused(&shared)?;
    let posted = results(&body)?;
    let received = posted.len();
    let (stored, updated) = shared.db.run(move |conn| db::post_outcomes(conn, &posted)).await?;
    let data: Vec<Value> = stored.iter().map(|(rule, o)| outcome_json(rule, o)).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": {"total_received": received, "total_updated": updated}})))
}

/// `GET /api/v2/scorecard/outcomes`.
pub(super) async fn outcomes(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    read_refused(&shared)?;
    let size = page_size(&query, "page[size]", 10, MAX_PAGE)? as u64;
    let offset = number(&query, "page[offset]", 0, u64::MAX >> 1)?;
    let filter = OutcomeFilter {
        rule_name: text(&query, "filter[rule][name]")?,
        rule_id: text(&query, "filter[rule][id]")?,
        service_name: text(&query, "filter[outcome][service_name]")?,
        state: text(&query, "filter[outcome][state]")?,
    };
    let mut list = shared.db.run(move |conn| db::outcomes(conn, &filter, offset, size + 1)).await?;
    let more = list.len() as u64 > size;
    list.truncate(size as usize);
    let mut links = json!({});
    if more {
        links["next"] = Value::from(next_link("/api/v2/scorecard/outcomes", &query, "page[offset]", offset + size));
    }
    let data: Vec<Value> = list.iter().map(|(rule, o)| outcome_json(rule, o)).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "links": links})))
}
