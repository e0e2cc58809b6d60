//! The bodies of the APIs gatesctl speaks, as the service sends and accepts them: the Deployment
//! Gates API here, its history lists in `history`, the DORA lists in `dora`. Every shape the
//! client reads or writes is in this module, and read into `gatesctl_core`'s model beside it.

pub(crate) mod catalog;
pub(crate) mod dora;
pub(crate) mod history;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use gatesctl_core::model::{GateKey, RemoteGate, Rule, RuleOptions, RuleType, DEFAULT_IDENTIFIER};

#[derive(Debug, Deserialize)]
pub(crate) struct Document<T> {
    pub(crate) data: T,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GateData {
    pub(crate) id: String,
    pub(crate) attributes: GateAttributes,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GateAttributes {
    pub(crate) service: String,
    pub(crate) env: String,
    #[serde(default = "default_identifier")]
    pub(crate) identifier: String,
    #[serde(default)]
    pub(crate) dry_run: bool,
    #[serde(default)]
    pub(crate) updated_at: Option<String>,
}

fn default_identifier() -> String {
    DEFAULT_IDENTIFIER.to_string()
}

impl GateAttributes {
    pub(crate) fn key(&self) -> GateKey {
        GateKey::new(&self.service, &self.env, &self.identifier)
    }
}

impl From<GateData> for RemoteGate {
    fn from(g: GateData) -> Self {
        RemoteGate {
            key: g.attributes.key(),
            dry_run: g.attributes.dry_run,
            changed_ms: changed_ms(g.attributes.updated_at.as_deref()),
            id: g.id,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct GateList {
    pub(crate) data: Vec<GateData>,
    #[serde(default)]
    pub(crate) meta: Option<ListMeta>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListMeta {
    #[serde(default)]
    pub(crate) page: Option<PageMeta>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageMeta {
    #[serde(default)]
    pub(crate) next_cursor: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleListData {
    pub(crate) attributes: RuleListAttributes,
}

#[derive(Debug, Deserialize)]
pub(crate) struct RuleListAttributes {
    #[serde(default)]
    pub(crate) rules: Vec<Value>,
}

/// A rule as the API returns it, options still untyped.
#[derive(Debug, Deserialize)]
pub(crate) struct RuleAttributes {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) rule_type: String,
    #[serde(default)]
    pub(crate) dry_run: bool,
    #[serde(default)]
    pub(crate) options: Value,
    #[serde(default)]
    pub(crate) updated_at: Option<String>,
}

/// An `updated_at`, when it reads as a time: a policy's evidence, never a reason to refuse
/// an answer.
fn changed_ms(updated_at: Option<&str>) -> Option<i64> {
    updated_at.and_then(|t| gatesctl_core::model::time::parse_rfc3339(t).ok())
}

/// Decodes one rule, in either of the shapes the API uses: a resource
/// (`{"id", "attributes": {...}}`, from get/create) or a flat item with an `id`
/// (inside the list-rules answer).
pub(crate) fn decode_rule(item: &Value) -> Result<(String, Rule, Option<i64>), String> {
    let id = item.get("id").and_then(Value::as_str).ok_or("rule without an `id`")?.to_string();
    let attributes = item.get("attributes").unwrap_or(item);
    let attrs: RuleAttributes = serde_json::from_value(attributes.clone()).map_err(|e| format!("rule {id}: {e}"))?;
    let options =
        decode_options(&attrs.rule_type, &attrs.options).map_err(|e| format!("rule {:?}: {e}", attrs.name))?;
    let changed = changed_ms(attrs.updated_at.as_deref());
    Ok((id, Rule { name: attrs.name, dry_run: attrs.dry_run, options }, changed))
}

/// Options are typed by the sibling `type`, which the official clients leave ambiguous; keys
/// gatesctl does not model are kept.
pub(crate) fn decode_options(rule_type: &str, options: &Value) -> Result<RuleOptions, String> {
    let rule_type =
        RuleType::parse(rule_type).ok_or_else(|| format!("unsupported rule type {rule_type:?}; upgrade gatesctl"))?;
    RuleOptions::from_api(rule_type, options).map_err(|e| format!("{rule_type} options: {e}"))
}

pub(crate) fn create_gate_body(key: &GateKey, dry_run: bool) -> Value {
    serde_json::json!({"data": {"type": "deployment_gate", "attributes": {
        "service": key.service, "env": key.env, "identifier": key.identifier, "dry_run": dry_run,
    }}})
}

pub(crate) fn update_gate_body(id: &str, dry_run: bool) -> Value {
    serde_json::json!({"data": {"id": id, "type": "deployment_gate", "attributes": {"dry_run": dry_run}}})
}

/// A rule in the API's shape: the attributes of a create or update, and an item of an
/// inline evaluation `configuration`.
pub(crate) fn rule_attributes(rule: &Rule) -> Value {
    serde_json::json!({
        "name": rule.name, "type": rule.rule_type().as_str(), "dry_run": rule.dry_run, "options": rule.options.to_api(),
    })
}

pub(crate) fn rule_body(rule: &Rule, id: Option<&str>) -> Value {
    let mut data = serde_json::json!({"type": "deployment_rule", "attributes": rule_attributes(rule)});
    if let Some(id) = id {
        data["id"] = Value::from(id);
    }
    serde_json::json!({ "data": data })
}

/// An evaluation request's body (seeds 000/001): an inline configuration's rules take the
/// API's shape of a rule.
pub(crate) fn evaluation_body(request: &gatesctl_core::model::EvaluationRequest) -> Value {
    let mut attributes = serde_json::Map::new();
    attributes.insert("service".into(), Value::from(request.service.clone()));
    attributes.insert("env".into(), Value::from(request.env.clone()));
    for (name, value) in
        [("identifier", &request.identifier), ("version", &request.version), ("primary_tag", &request.primary_tag)]
    {
        if let Some(v) = value {
            attributes.insert(name.into(), Value::from(v.clone()));
        }
    }
    if let Some(inline) = &request.configuration {
        let rules: Vec<Value> = inline.rules.iter().map(rule_attributes).collect();
        attributes.insert("configuration".into(), serde_json::json!({"dry_run": inline.dry_run, "rules": rules}));
    }
    serde_json::json!({"data": {"type": "deployment_gates_evaluation_request", "attributes": attributes}})
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EvaluationAccepted {
    pub(crate) attributes: EvaluationAcceptedAttributes,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct EvaluationAcceptedAttributes {
    pub(crate) evaluation_id: String,
}

/// Evaluation result attributes (seed 002).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct EvaluationResult {
    #[serde(default)]
    pub(crate) dry_run: bool,
    pub(crate) evaluation_id: String,
    #[serde(default)]
    pub(crate) evaluation_url: String,
    #[serde(default)]
    pub(crate) gate_id: String,
    pub(crate) gate_status: String,
    #[serde(default)]
    pub(crate) rules: Vec<RuleResult>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RuleResult {
    #[serde(default)]
    pub(crate) name: String,
    #[serde(default)]
    pub(crate) status: String,
    #[serde(default)]
    pub(crate) dry_run: bool,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

impl From<EvaluationResult> for gatesctl_core::model::EvaluationAnswer {
    fn from(r: EvaluationResult) -> Self {
        gatesctl_core::model::EvaluationAnswer {
            gate_status: r.gate_status,
            dry_run: r.dry_run,
            url: Some(r.evaluation_url).filter(|u| !u.is_empty()),
            rules: r
                .rules
                .into_iter()
                .map(|rule| gatesctl_core::model::RuleVerdict {
                    name: rule.name,
                    status: rule.status,
                    dry_run: rule.dry_run,
                    reason: rule.reason,
                })
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Resource<T> {
    pub(crate) attributes: T,
}

/// Both error shapes: `{"errors":[{"status","title","detail"}]}` and `{"errors":["…"]}`.
pub(crate) fn error_detail(body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let errors = v.get("errors")?.as_array()?;
    let parts: Vec<String> = errors
        .iter()
        .filter_map(|e| match e {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => o.get("detail").or_else(|| o.get("title")).and_then(Value::as_str).map(str::to_string),
            _ => None,
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_error_shapes_give_the_detail() {
        assert_eq!(
            error_detail(
                r#"{"errors":[{"status":"400","title":"Bad Request","detail":"attribute \"env\" is required"}]}"#
            )
            .as_deref(),
            Some("attribute \"env\" is required")
        );
        assert_eq!(error_detail(r#"{"errors":["Forbidden"]}"#).as_deref(), Some("Forbidden"));
        assert_eq!(error_detail("<html>"), None);
    }

    #[test]
    fn options_are_typed_by_the_sibling_type() {
        let flat = serde_json::json!({"id": "r1", "name": "fdd", "type": "faulty_deployment_detection", "dry_run": false, "options": {}});
        let (_, rule, changed) = decode_rule(&flat).unwrap();
        assert_eq!(changed, None);
        assert_eq!(rule.options, RuleOptions::fdd(Default::default()));
        let nested = serde_json::json!({"id": "r2", "type": "deployment_rule", "attributes": {"name": "m", "type": "monitor", "options": {"query": "env:prod", "duration": 60}, "updated_at": "2025-12-10T09:23:52.029575Z"}});
        let (id, rule, changed) = decode_rule(&nested).unwrap();
        assert_eq!(changed, gatesctl_core::model::time::parse_rfc3339("2025-12-10T09:23:52.029Z").ok());
        assert_eq!(id, "r2");
        assert_eq!(rule.options.query(), Some("env:prod"));
        assert_eq!(rule.options.to_api(), serde_json::json!({"query": "env:prod", "duration": 60}));
        assert!(decode_rule(&serde_json::json!({"id": "r3", "name": "x", "type": "monitor", "options": {}})).is_err());
    }
}

/// `GET /api/v1/monitor/search`: only what the query check reads. Facets and monitors are read
/// leniently: a name that is not a string, or a facet missing, counts nothing.
#[derive(Debug, Deserialize)]
pub(crate) struct MonitorSearch {
    pub(crate) metadata: MonitorSearchMetadata,
    #[serde(default)]
    pub(crate) counts: Option<MonitorSearchCounts>,
    #[serde(default)]
    pub(crate) monitors: Vec<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MonitorSearchMetadata {
    pub(crate) total_count: u64,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct MonitorSearchCounts {
    #[serde(default)]
    pub(crate) status: Option<Vec<FacetCount>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FacetCount {
    #[serde(default)]
    pub(crate) name: Value,
    #[serde(default)]
    pub(crate) count: u64,
}

/// A time the monitor API writes: Unix seconds (or milliseconds), or RFC 3339.
fn monitor_time(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => {
            let n = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
            Some(if n.abs() >= 100_000_000_000 { n } else { n.saturating_mul(1000) })
        }
        Value::String(s) => gatesctl_core::model::time::parse_rfc3339(s).ok(),
        _ => None,
    }
}

impl MonitorSearch {
    pub(crate) fn matches(&self) -> gatesctl_core::model::MonitorMatches {
        let status = self.counts.as_ref().and_then(|c| c.status.as_deref()).unwrap_or_default();
        let count = |wanted: &str| {
            status
                .iter()
                .filter(|f| f.name.as_str().is_some_and(|n| n.to_ascii_lowercase().replace([' ', '_'], "") == wanted))
                .map(|f| f.count)
                .sum()
        };
        let failing = self
            .monitors
            .iter()
            .filter_map(|m| {
                let state = m.get("status").or_else(|| m.get("overall_state")).and_then(Value::as_str)?;
                if !gatesctl_core::model::is_failing_state(state) {
                    return None;
                }
                Some(gatesctl_core::model::FailingMonitor {
                    id: m.get("id").and_then(Value::as_u64)?,
                    name: m.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                    state: state.to_string(),
                    since_ms: monitor_time(m.get("overall_state_modified"))
                        .or_else(|| monitor_time(m.get("last_triggered_ts"))),
                })
            })
            .collect();
        gatesctl_core::model::MonitorMatches {
            total: self.metadata.total_count,
            alert: count("alert"),
            no_data: count("nodata"),
            failing,
        }
    }
}

#[cfg(test)]
mod monitor_search_tests {
    use super::*;

    #[test]
    fn status_facets_are_read_leniently() {
        let answer: MonitorSearch = serde_json::from_str(
            r#"{"monitors": [], "metadata": {"total_count": 7, "page": 0, "per_page": 1, "page_count": 7},
                "counts": {"status": [{"name": "Alert", "count": 2}, {"name": "No Data", "count": 1},
                                      {"name": "NO_DATA", "count": 1}, {"name": 3, "count": 9}, {"name": "OK", "count": 3}]}}"#,
        )
        .unwrap();
        let m = answer.matches();
        assert_eq!((m.total, m.alert, m.no_data, m.failing.len()), (7, 2, 2, 0));
        let bare: MonitorSearch = serde_json::from_str(r#"{"metadata": {"total_count": 0}}"#).unwrap();
        assert_eq!(bare.matches(), gatesctl_core::model::MonitorMatches::default());
    }
}

/// `GET /api/v1/monitor/{id}?group_states=all`: only what the check of monitors watched by id
/// reads, leniently.
#[derive(Debug, Deserialize)]
pub struct MonitorAnswer {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub overall_state: Option<String>,
    #[serde(default)]
    pub overall_state_modified: Option<Value>,
    #[serde(default)]
    pub state: Option<MonitorAnswerState>,
}

#[derive(Debug, Default, Deserialize)]
pub struct MonitorAnswerState {
    #[serde(default)]
    pub groups: Option<std::collections::BTreeMap<String, MonitorGroupAnswer>>,
}

#[derive(Debug, Deserialize)]
pub struct MonitorGroupAnswer {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub last_triggered_ts: Option<Value>,
    #[serde(default)]
    pub last_nodata_ts: Option<Value>,
}

impl From<MonitorAnswer> for gatesctl_core::model::MonitorState {
    fn from(m: MonitorAnswer) -> Self {
        let groups = m.state.and_then(|s| s.groups).unwrap_or_default();
        let group_since_ms = groups
            .iter()
            .filter_map(|(group, g)| {
                let no_data =
                    g.status.as_deref().is_some_and(|s| s.to_ascii_lowercase().replace([' ', '_'], "") == "nodata");
                let since = if no_data { g.last_nodata_ts.as_ref() } else { g.last_triggered_ts.as_ref() };
                monitor_time(since).map(|t| (group.clone(), t))
            })
            .collect();
        gatesctl_core::model::MonitorState {
            name: m.name.unwrap_or_default(),
            overall_state: m.overall_state.unwrap_or_default(),
            overall_since_ms: monitor_time(m.overall_state_modified.as_ref()),
            groups: groups.into_iter().map(|(group, g)| (group, g.status.unwrap_or_default())).collect(),
            group_since_ms,
        }
    }
}
