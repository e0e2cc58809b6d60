//! The gate endpoints: list (with its exact filters and cursor), create, get, update, delete.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};

use super::db::{self, GateFilters};
use super::jsonapi::{
    attributes, bad, check_id, check_type, jsonapi, new_id, optional_bool, parse_body, required_str, Reply,
};
use super::shared::Shared;
use super::store::StoredGate;

/// The value of a query parameter given at most once.
pub(super) fn single<'a>(query: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, db::Refusal> {
    let mut values = query.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let first = values.next();
    if values.next().is_some() {
        return Err(bad(format!("{name} is given more than once")));
    }
    Ok(first)
}

/// A page's size (`page[size]`, or the catalog's `page[limit]`), 1 to `max`.
pub(super) fn page_size(
    query: &[(String, String)],
    name: &str,
    default: usize,
    max: usize,
) -> Result<usize, db::Refusal> {
    match single(query, name)? {
        None => Ok(default),
        Some(s) => match s.parse::<usize>() {
            Ok(n) if (1..=max).contains(&n) => Ok(n),
            _ => Err(bad(format!("{name} must be between 1 and {max}"))),
        },
    }
}

pub(super) async fn list(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    let size = page_size(&query, "page[size]", 50, 1000)?;
    let after = match single(&query, "page[cursor]")? {
        None => 0,
        Some(c) => c.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| bad("invalid page[cursor]"))?,
    };
    let text = |name: &str| single(&query, name).map(|v| v.map(str::to_string));
    let filters = GateFilters {
        service: text("filter[service]")?,
        env: text("filter[env]")?,
        identifier: text("filter[identifier]")?,
        dry_run: match single(&query, "filter[dry_run]")? {
            None => None,
            Some("true") => Some(true),
            Some("false") => Some(false),
            Some(_) => return Err(bad("filter[dry_run] must be true or false")),
        },
    };
    let (gates, more) = shared.db.run(move |conn| db::list_gates(conn, after, size, &filters)).await?;
    let mut page = json!({"cursor": after.to_string(), "size": size});
    if more {
        if let Some((last, _)) = gates.last() {
            page["next_cursor"] = Value::from(last.to_string());
        }
    }
    let data: Vec<Value> = gates.iter().map(|(_, g)| g.to_json()).collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": {"page": page}})))
}

pub(super) async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    check_type(&body, "deployment_gate")?;
    let attrs = attributes(&body)?;
    let service = required_str(attrs, "service")?.to_string();
    let env = required_str(attrs, "env")?.to_string();
    let identifier = match attrs.get("identifier") {
        None | Some(Value::Null) => gatesctl_core::model::DEFAULT_IDENTIFIER.to_string(),
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

pub(super) async fn get(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    let gate = shared.db.run(move |conn| db::get_gate(conn, &id)?.ok_or_else(db::gate_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": gate.to_json()})))
}

pub(super) async fn update(State(shared): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> Reply {
    check_id(&id, "id")?;
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let dry_run = optional_bool(attrs, "dry_run")?.ok_or_else(|| bad("attribute \"dry_run\" is required"))?;
    let gate = shared.db.run(move |conn| db::update_gate(conn, &id, dry_run)?.ok_or_else(db::gate_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": gate.to_json()})))
}

pub(super) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    shared.db.run(move |conn| if db::delete_gate(conn, &id)? { Ok(()) } else { Err(db::gate_not_found()) }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
