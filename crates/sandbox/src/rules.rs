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
use super::store::StoredRule;
use super::Shared;
use gatesctl_core::model::options::{self, ProblemKind, Unknown};
use gatesctl_core::model::RuleType;

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

/// Checks options against their rule type with the one options model, and answers them as the
/// service does: monitor options at their default left out, keys it does not know kept. Empty
/// lists are kept, as the service does since 2026; the `drop_empty_lists` fault drops them, as
/// it did in 2025.
pub(crate) fn check_options(
    rule_type: &str,
    options: Option<&Value>,
    drop_empty_lists: bool,
) -> Result<Value, Refusal> {
    let rule_type = RuleType::parse(rule_type)
        .ok_or_else(|| bad("attribute \"type\" must be one of \"monitor faulty_deployment_detection\""))?;
    let mut options = match options {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(bad("attribute \"options\" must be an object")),
    };
    let entries: Vec<(&str, &Value)> = options.iter().map(|(k, v)| (k.as_str(), v)).collect();
    let (decoded, problems) = options::decode(rule_type, &entries, Unknown::Keep);
    if let Some(problem) = problems.first() {
        return Err(bad(detail(problem)));
    }
    // The service stores monitor ids as decimal strings, and takes nothing else.
    if let Some(Value::Array(items)) = options.get("monitor_ids") {
        if let Some(i) = items.iter().position(|m| !m.get("id").is_some_and(Value::is_string)) {
            return Err(bad(format!("attribute \"monitor_ids[{i}].id\" must be a string")));
        }
    }
    let decoded = decoded.expect("no problem means options");
    for attribute in decoded.attributes().into_iter().filter(|a| a.default) {
        options.remove(attribute.name.as_str());
    }
    if drop_empty_lists {
        options.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    }
    Ok(Value::Object(options))
}

/// A refusal's `detail`, worded as the service words them.
fn detail(problem: &options::Problem) -> String {
    let place = &problem.place;
    match &problem.kind {
        ProblemKind::NoMonitors => "attribute \"query\" or \"monitor_ids\" is required".to_string(),
        ProblemKind::Empty if place.to_string() == "query" => "attribute \"query\" is required".to_string(),
        ProblemKind::Conflict(a, b) => format!("attributes \"{a}\" and \"{b}\" are mutually exclusive"),
        ProblemKind::NotForType(t) => format!("attribute \"{place}\" is not allowed for {t} rules"),
        ProblemKind::OutOfRange { max: Some(max), .. } => {
            format!("attribute \"{place}\" must be an integer between 0 and {max}")
        }
        ProblemKind::OutOfRange { max: None, .. } => format!("attribute \"{place}\" must be an integer of at least 0"),
        _ => format!("attribute \"{place}\" {}", problem.message()),
    }
}

pub(super) async fn create(State(shared): State<Arc<Shared>>, Path(gate_id): Path<String>, body: Bytes) -> Reply {
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

pub(super) async fn delete(State(shared): State<Arc<Shared>>, Path((gate_id, id)): Path<(String, String)>) -> Reply {
    rule_path(&gate_id, &id)?;
    shared
        .db
        .run(move |conn| if db::delete_rule(conn, &gate_id, &id)? { Ok(()) } else { Err(db::rule_not_found()) })
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
