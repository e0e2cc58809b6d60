//! The v1 monitor endpoints the monitor check reads: the search, and a monitor by id with the
//! state of its groups. Plain JSON, errors as lists of strings, as the v1 API answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use super::jsonapi::v1;
use super::monitors::{self, Monitor};
use super::shared::Shared;

fn forbidden() -> Response {
    v1(StatusCode::FORBIDDEN, json!({"errors": ["Forbidden: this application key lacks the monitors_read permission"]}))
}

fn monitor_json(m: &Monitor) -> Value {
    let since = m.in_state_since_ms();
    let failing = matches!(m.status.as_str(), "Alert" | "No Data");
    json!({
        "id": m.id, "name": m.name, "status": m.status.as_str(), "overall_state": m.status.as_str(),
        "overall_state_modified": since.map(gatesctl_core::model::time::format_rfc3339),
        "last_triggered_ts": since.filter(|_| failing).map(|ms| ms / 1000),
        "tags": m.tags, "type": m.monitor_type, "query": m.query, "priority": m.priority,
        "classification": "metric", "creator": {"name": "Sandbox User", "handle": "sandbox@example.com"},
    })
}

/// `GET /api/v1/monitor/search`: the monitors matching `query`, a page of them, and the
/// counts of all of them by status, type and tag, as Datadog answers.
pub(super) async fn search(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if shared.options.faults.no_monitors_read {
        return forbidden();
    }
    let number = |name: &str, default: usize, max: usize| match params.get(name) {
        None => Ok(default),
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("Invalid {name}: {text:?} is not a number from 0 to {max}")),
    };
    let (page, per_page) = match (number("page", 0, 100_000), number("per_page", 30, 1000)) {
        (Ok(p), Ok(n)) => (p, n.max(1)),
        (Err(e), _) | (_, Err(e)) => return v1(StatusCode::BAD_REQUEST, json!({"errors": [e]})),
    };
    let search = match monitors::Search::parse(params.get("query").map_or("", String::as_str)) {
        Ok(search) => search,
        Err(reason) => return v1(StatusCode::BAD_REQUEST, json!({"errors": [format!("Invalid query: {reason}")]})),
    };
    let found = search.run(&shared.monitors);
    let facet = |values: &mut dyn Iterator<Item = String>| {
        let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
        for v in values {
            *counts.entry(v).or_default() += 1;
        }
        let mut items: Vec<(String, usize)> = counts.into_iter().collect();
        items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        items.into_iter().map(|(name, count)| json!({"name": name, "count": count})).collect::<Vec<_>>()
    };
    let counts = json!({
        "status": facet(&mut found.iter().map(|m| m.status.as_str().to_string())),
        "type": facet(&mut found.iter().map(|m| m.monitor_type.clone())),
        "tag": facet(&mut found.iter().flat_map(|m| m.tags.iter().cloned())),
        "muted": if found.is_empty() { json!([]) } else { json!([{"name": false, "count": found.len()}]) },
    });
    let monitors: Vec<Value> =
        found.iter().skip(page.saturating_mul(per_page)).take(per_page).map(|m| monitor_json(m)).collect();
    let metadata = json!({
        "page": page, "per_page": per_page, "total_count": found.len(), "page_count": found.len().div_ceil(per_page),
    });
    v1(StatusCode::OK, json!({"monitors": monitors, "metadata": metadata, "counts": counts}))
}

/// `GET /api/v1/monitor/{id}`: the monitor, with the state of each group under
/// `state.groups` (as with `group_states=all`).
pub(super) async fn get(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Response {
    if shared.options.faults.no_monitors_read {
        return forbidden();
    }
    let Ok(id) = id.parse::<u64>() else {
        return v1(StatusCode::BAD_REQUEST, json!({"errors": [format!("Invalid monitor id: {id:?} is not a number")]}));
    };
    let Some(monitor) = shared.monitors.iter().find(|m| m.id == id) else {
        return v1(StatusCode::NOT_FOUND, json!({"errors": ["Monitor not found"]}));
    };
    let mut body = monitor_json(monitor);
    let groups: serde_json::Map<String, Value> = monitor
        .groups
        .iter()
        .map(|(name, status)| {
            let since = monitor.in_state_since_ms().map(|ms| ms / 1000);
            let (triggered, no_data) = match status.as_str() {
                "Alert" => (since, None),
                "No Data" => (None, since),
                _ => (None, None),
            };
            (
                name.clone(),
                json!({"name": name, "status": status.as_str(), "last_triggered_ts": triggered, "last_nodata_ts": no_data}),
            )
        })
        .collect();
    body["state"] = json!({"groups": groups});
    v1(StatusCode::OK, body)
}
