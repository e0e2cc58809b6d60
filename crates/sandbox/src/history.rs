//! The evaluation history endpoints: `GET deployment_gates/evaluations` (gate evaluations) and
//! `GET deployment_gates/evaluations/rules` (each rule's part), newest first, through a window
//! of at most 30 days (`filter[from]` inclusive, `filter[to]` exclusive; the last 24 hours by
//! default), with filters whose repeated or comma-separated values are ORed, and a cursor.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use rusqlite::types::Value as Sql;
use serde_json::{json, Value};

use super::db::evaluations::{self as history, Cursor, HistoryFilters, HistoryItem, HistoryPage, Listing, Window};
use super::db::Refusal;
use super::gates::{page_size, single};
use super::jsonapi::{bad, jsonapi, Reply};
use super::shared::Shared;
use gatesctl_core::model::time;

/// The longest window one request may ask for.
const MAX_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;
const DAY_MS: i64 = 24 * 3600 * 1000;

/// Every value of a filter, repeated or comma-separated.
fn values(query: &[(String, String)], name: &str) -> Vec<String> {
    let key = format!("filter[{name}]");
    query
        .iter()
        .filter(|(k, _)| *k == key)
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

fn window(query: &[(String, String)]) -> Result<Window, Refusal> {
    let time = |name: &str| -> Result<Option<i64>, Refusal> {
        single(query, name)?
            .map(|text| time::parse_rfc3339(text).map_err(|e| bad(format!("invalid {name}: {e}"))))
            .transpose()
    };
    let now = time::now_ms();
    let to = time("filter[to]")?.unwrap_or(now);
    let from = time("filter[from]")?.unwrap_or(to - DAY_MS);
    if to <= from {
        return Err(bad("filter[to] must be after filter[from]"));
    }
    if to - from > MAX_WINDOW_MS {
        return Err(bad("the time window between filter[from] and filter[to] may span at most 30 days"));
    }
    Ok(Window { from, to })
}

/// The filters of a list: (name in the query, column, whether the values are booleans).
fn filters(query: &[(String, String)], known: &[(&str, &'static str, bool)]) -> Result<HistoryFilters, Refusal> {
    let mut out = HistoryFilters::default();
    for (name, column, boolean) in known {
        let wanted = values(query, name);
        if wanted.is_empty() {
            continue;
        }
        let sql: Vec<Sql> = if *boolean {
            wanted
                .iter()
                .map(|v| match v.as_str() {
                    "true" => Ok(Sql::Integer(1)),
                    "false" => Ok(Sql::Integer(0)),
                    _ => Err(bad(format!("filter[{name}] must be true or false"))),
                })
                .collect::<Result<_, _>>()?
        } else {
            wanted.into_iter().map(Sql::Text).collect()
        };
        out.columns.push((column, sql));
    }
    let statuses = values(query, "status");
    if let Some(other) = statuses.iter().find(|s| !matches!(s.as_str(), "pass" | "fail" | "in_progress")) {
        return Err(bad(format!("filter[status] {other:?} must be one of pass, fail, in_progress")));
    }
    out.statuses = statuses;
    Ok(out)
}

fn cursor(query: &[(String, String)]) -> Result<Option<Cursor>, Refusal> {
    single(query, "page[cursor]")?.map(|c| Cursor::parse(c).ok_or_else(|| bad("invalid page[cursor]"))).transpose()
}

/// What an evaluation's status reads now, and when it finished: in progress until then.
fn status(finished_at: &Option<String>, outcome: &str) -> (Value, &'static str) {
    let finished = finished_at.as_deref().and_then(|f| time::parse_rfc3339(f).ok());
    match finished {
        Some(ms) if ms <= time::now_ms() => {
            (Value::from(finished_at.clone()), if outcome == "fail" { "fail" } else { "pass" })
        }
        _ => (Value::Null, "in_progress"),
    }
}

fn gate_attributes(e: &super::store::StoredEvaluation) -> serde_json::Map<String, Value> {
    let (finished_at, status) = status(&e.finished_at, &e.status);
    // Whole seconds: the official clients read an integer.
    let duration = match (time::parse_rfc3339(&e.started_at), finished_at.as_str().map(time::parse_rfc3339)) {
        (Ok(started), Some(Ok(finished))) => Value::from((finished - started + 500).max(0) / 1000),
        _ => Value::Null,
    };
    let Value::Object(map) = json!({
        "dry_run": e.dry_run, "duration_seconds": duration, "env": e.env, "evaluation_id": e.id,
        "finished_at": finished_at, "gate_id": e.gate_id, "identifier": e.identifier, "service": e.service,
        "started_at": e.started_at, "status": status, "version": e.version,
    }) else {
        unreachable!("an object")
    };
    map
}

/// One page of a history list the query asks for, and the `meta` that names the next page.
async fn read(
    shared: &Shared,
    query: &[(String, String)],
    known: &[(&str, &'static str, bool)],
    list: fn(&rusqlite::Connection, &Listing) -> Result<HistoryPage, Refusal>,
) -> Result<(Vec<HistoryItem>, Value), Refusal> {
    let listing = Listing {
        window: window(query)?,
        filters: filters(query, known)?,
        size: page_size(query, "page[size]", 50, 100)?,
        after: cursor(query)?,
    };
    let (size, asked) = (listing.size, listing.after);
    let (items, more) = shared.db.run(move |conn| list(conn, &listing)).await?;
    let mut page = json!({"size": size});
    if let Some(c) = asked {
        page["cursor"] = Value::from(c.to_string());
    }
    if more {
        if let Some(last) = items.last() {
            page["next_cursor"] = Value::from(last.cursor.to_string());
        }
    }
    Ok((items, json!({"page": page})))
}

const GATE_FILTERS: [(&str, &str, bool); 7] = [
    ("service", "e.service", false),
    ("env", "e.env", false),
    ("identifier", "e.identifier", false),
    ("version", "e.version", false),
    ("dry_run", "e.dry_run", true),
    ("evaluation_id", "e.id", false),
    ("gate_id", "e.gate_id", false),
];

const RULE_FILTERS: [(&str, &str, bool); 12] = [
    ("service", "e.service", false),
    ("name", "r.name", false),
    ("env", "e.env", false),
    ("identifier", "e.identifier", false),
    ("version", "e.version", false),
    ("evaluation_id", "e.id", false),
    ("gate_id", "e.gate_id", false),
    ("gate_evaluation_id", "e.id", false),
    ("rule_id", "r.rule_id", false),
    ("type", "r.type", false),
    ("dry_run", "r.dry_run", true),
    ("gate_dry_run", "e.dry_run", true),
];

/// A rule's options as the history shows them: `monitor_ids` as bare id strings, without
/// their groups, as the service writes them.
fn as_evaluated(options: &Value) -> Value {
    let mut shown = options.clone();
    if let Some(ids) = shown.get_mut("monitor_ids").and_then(Value::as_array_mut) {
        for id in ids.iter_mut() {
            if let Some(bare) = id.get("id").cloned() {
                *id = match bare {
                    Value::Number(n) => Value::from(n.to_string()),
                    other => other,
                };
            }
        }
    }
    shown
}

pub(super) async fn gates(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    let (items, meta) = read(&shared, &query, &GATE_FILTERS, history::list_evaluations).await?;
    let data: Vec<Value> = items
        .iter()
        .map(|item| json!({"id": item.evaluation.id, "type": "deployment_gate_evaluation", "attributes": gate_attributes(&item.evaluation)}))
        .collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": meta})))
}

pub(super) async fn rules(State(shared): State<Arc<Shared>>, Query(query): Query<Vec<(String, String)>>) -> Reply {
    let (items, meta) = read(&shared, &query, &RULE_FILTERS, history::list_rule_evaluations).await?;
    let data: Vec<Value> = items
        .iter()
        .filter_map(|item| {
            let rule = item.rule.as_ref()?;
            let e = &item.evaluation;
            let mut attributes = gate_attributes(e);
            let status = attributes["status"].clone();
            attributes.insert("gate_dry_run".into(), Value::from(e.dry_run));
            attributes.insert("gate_evaluation_id".into(), Value::from(e.id.clone()));
            attributes.insert("dry_run".into(), Value::from(rule.dry_run));
            attributes.insert("rule_id".into(), json!(rule.rule_id));
            attributes.insert("name".into(), Value::from(rule.name.clone()));
            attributes.insert("type".into(), Value::from(rule.rule_type.clone()));
            attributes.insert("configuration".into(), as_evaluated(&rule.configuration));
            attributes.insert("failures".into(), rule.failures.clone());
            // A rule's real result, in dry run too; nothing while the gate is in progress.
            let (rule_status, reason) = if status == "in_progress" {
                (Value::from("in_progress"), Value::Null)
            } else {
                (Value::from(rule.status.clone()), Value::from(rule.reason.clone()))
            };
            attributes.insert("status".into(), rule_status);
            attributes.insert("reason".into(), reason);
            Some(json!({"id": rule.id, "type": "deployment_gate_rule_evaluation", "attributes": attributes}))
        })
        .collect();
    Ok(jsonapi(StatusCode::OK, json!({"data": data, "meta": meta})))
}
