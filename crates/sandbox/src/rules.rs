//! The rule endpoints: list, create, get, update, delete, and the check of a rule's options.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{json, Value};

use super::db::{self, Refusal};
use super::jsonapi::{
    attributes, bad, check_id, check_type, jsonapi, new_id, optional_bool, parse_body, required_str, Reply,
};
use super::shared::Shared;
use super::store::StoredRule;

pub(super) async fn list(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>) -> Reply {
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

pub(super) async fn create(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>, body: Bytes) -> Reply {
    check_id(&gate_id, "gate_id")?;
    let body = parse_body(&body)?;
    check_type(&body, "deployment_rule")?;
    let attrs = attributes(&body)?;
    let name = required_str(attrs, "name")?.to_string();
    let rule_type = required_str(attrs, "type")?.to_string();
    let dry_run = optional_bool(attrs, "dry_run")?.unwrap_or(false);
    let options = super::options::check(&rule_type, attrs.get("options"), shared.options.faults.drop_empty_lists)?;
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

pub(super) async fn get(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    rule_path(&gate_id, &id)?;
    let gate = gate_id.clone();
    let rule = shared.db.run(move |conn| db::get_rule(conn, &gate, &id)?.ok_or_else(db::rule_not_found)).await?;
    Ok(jsonapi(StatusCode::OK, json!({"data": rule.to_json(&gate_id)})))
}

pub(super) async fn update(
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
            rule.options = super::options::check(&rule.rule_type, attrs.get("options"), drop_empty_lists)?;
            rule.name = name;
            rule.dry_run = dry_run;
            rule.updated_at = db::now();
            db::update_rule(conn, &gate, &rule)?;
            Ok(rule)
        })
        .await?;
    Ok(jsonapi(StatusCode::OK, json!({ "data": rule.to_json(&gate_id) })))
}

pub(super) async fn delete(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    rule_path(&gate_id, &id)?;
    shared
        .db
        .run(move |conn| if db::delete_rule(conn, &gate_id, &id)? { Ok(()) } else { Err(db::rule_not_found()) })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
