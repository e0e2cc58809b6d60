//! The evaluation history calls: every gate evaluation, and every rule's part of one, in a
//! window of time, read page by page with server-side filters.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::Value;

use super::endpoints::{Page, PathBuilder};
use super::error::ApiError;
use super::transport::Client;
use super::wire;
use super::wire::history::{Common, GatePage, RulePage};
use gatesctl_core::model::time::{format_rfc3339_millis, parse_rfc3339};
use gatesctl_core::model::{
    EvaluationStatus, FailedMonitor, GateEvaluation, GateKey, RuleEvaluation, RuleFailures, DEFAULT_IDENTIFIER,
};

/// The API's largest history page.
const PAGE_SIZE: usize = 100;
/// Items read at most from one history list: 30 days of a very busy organisation.
const MAX_ITEMS: usize = 2_000_000;

/// The longest window the API serves.
pub const MAX_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// Which history to read: `[from, to)`, and the services and envs wanted (none: all). Values
/// of one filter are ORed by the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub from_ms: i64,
    pub to_ms: i64,
    pub services: Vec<String>,
    pub envs: Vec<String>,
}

impl HistoryQuery {
    fn path(&self, endpoint: &str) -> PathBuilder {
        let mut path = PathBuilder::new(endpoint)
            .query("filter[from]", &format_rfc3339_millis(self.from_ms))
            .query("filter[to]", &format_rfc3339_millis(self.to_ms))
            .query("page[size]", &PAGE_SIZE.to_string());
        if !self.services.is_empty() {
            path = path.query("filter[service]", &self.services.join(","));
        }
        if !self.envs.is_empty() {
            path = path.query("filter[env]", &self.envs.join(","));
        }
        path
    }
}

/// An item the history answered that gatesctl could not read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub id: String,
    pub why: String,
}

impl Page for GatePage {
    type Item = Result<GateEvaluation, Unreadable>;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
        let (items, next) = self.0.split();
        (items.iter().map(gate_evaluation).collect(), next)
    }
}

impl Page for RulePage {
    type Item = Result<RuleEvaluation, Unreadable>;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>) {
        let (items, next) = self.0.split();
        (items.iter().map(rule_evaluation).collect(), next)
    }
}

impl Common {
    fn gate(&self) -> GateKey {
        let identifier = self.identifier.clone().filter(|i| !i.is_empty());
        GateKey::new(&self.service, &self.env, identifier.unwrap_or_else(|| DEFAULT_IDENTIFIER.to_string()))
    }

    fn status(&self) -> EvaluationStatus {
        EvaluationStatus::parse(self.status.as_deref().unwrap_or(""))
    }
}

fn parts<T: serde::de::DeserializeOwned>(item: &Value) -> Result<(String, T), Unreadable> {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("(no id)").to_string();
    let attributes = item.get("attributes").cloned().unwrap_or(Value::Null);
    match serde_json::from_value(attributes) {
        Ok(t) => Ok((id, t)),
        Err(e) => Err(Unreadable { id, why: e.to_string() }),
    }
}

fn gate_evaluation(item: &Value) -> Result<GateEvaluation, Unreadable> {
    #[derive(Deserialize)]
    struct Attributes {
        #[serde(flatten)]
        common: Common,
        #[serde(default)]
        evaluation_id: Option<String>,
    }
    let (id, a): (String, Attributes) = parts(item)?;
    let started_ms = parse_rfc3339(&a.common.started_at).map_err(|why| Unreadable { id: id.clone(), why })?;
    let finished_ms = match a.common.finished_at.as_deref() {
        Some(text) => Some(parse_rfc3339(text).map_err(|why| Unreadable { id: id.clone(), why })?),
        None => None,
    };
    Ok(GateEvaluation {
        evaluation_id: a.evaluation_id.unwrap_or(id),
        gate: a.common.gate(),
        dry_run: a.common.dry_run,
        status: a.common.status(),
        version: a.common.version.clone().unwrap_or_default(),
        started_ms,
        finished_ms,
    })
}

fn rule_evaluation(item: &Value) -> Result<RuleEvaluation, Unreadable> {
    #[derive(Deserialize)]
    struct Attributes {
        #[serde(flatten)]
        common: Common,
        #[serde(default)]
        gate_evaluation_id: Option<String>,
        #[serde(default)]
        evaluation_id: Option<String>,
        name: String,
        #[serde(rename = "type")]
        rule_type: String,
        #[serde(default)]
        gate_dry_run: bool,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        configuration: Value,
        #[serde(default)]
        failures: Value,
    }
    let (id, a): (String, Attributes) = parts(item)?;
    let unreadable = |why: String| Unreadable { id: id.clone(), why };
    let started_ms = parse_rfc3339(&a.common.started_at).map_err(unreadable)?;
    let gate_evaluation_id =
        a.gate_evaluation_id.or(a.evaluation_id).ok_or_else(|| unreadable("no gate_evaluation_id".into()))?;
    // The options as evaluated are shown when they read; a rule whose options do not is
    // still counted.
    let configuration = match &a.configuration {
        Value::Object(_) => wire::decode_options(&a.rule_type, &a.configuration).ok(),
        _ => None,
    };
    Ok(RuleEvaluation {
        id,
        gate_evaluation_id,
        gate: a.common.gate(),
        name: a.name,
        dry_run: a.common.dry_run,
        gate_dry_run: a.gate_dry_run,
        status: a.common.status(),
        reason: a.reason.unwrap_or_default(),
        version: a.common.version.clone().unwrap_or_default(),
        started_ms,
        configuration,
        failures: failures(&a.failures),
    })
}

/// `failures{monitors[{id, state}], faulty_apm_resources[]}`, whatever else it holds.
fn failures(value: &Value) -> RuleFailures {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let monitors = value
        .get("monitors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| {
                    let id = m.get("id").and_then(text)?;
                    let state = m.get("state").and_then(text).unwrap_or_default();
                    Some(FailedMonitor { id, state })
                })
                .collect()
        })
        .unwrap_or_default();
    let faulty_apm_resources = value
        .get("faulty_apm_resources")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|r| r.get("name").and_then(text).or_else(|| text(r))).collect())
        .unwrap_or_default();
    RuleFailures { monitors, faulty_apm_resources }
}

/// A history item's own id: no list names one twice.
trait Listed {
    fn id(&self) -> &str;
}

impl Listed for GateEvaluation {
    fn id(&self) -> &str {
        &self.evaluation_id
    }
}

impl Listed for RuleEvaluation {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Client {
    /// Every item of a history list, read or set aside: an item that does not read is named,
    /// not taken for something else.
    async fn history<T: Listed, P: Page<Item = Result<T, Unreadable>>>(
        &self,
        endpoint: &str,
        what: &str,
        query: &HistoryQuery,
    ) -> Result<(Vec<T>, Vec<Unreadable>), ApiError> {
        let (mut read, mut unreadable) = (Vec::new(), Vec::new());
        // An item listed twice means the pages repeat: a list that loops, whatever its cursors.
        let mut ids: HashSet<String> = HashSet::new();
        self.each_page::<P>(query.path(endpoint), what, MAX_ITEMS, |page| {
            for item in page {
                let id = match &item {
                    Ok(e) => e.id(),
                    Err(u) => &u.id,
                };
                if !ids.insert(id.to_string()) {
                    return Err(format!(
                        "the API listed {what} item {} twice (after {} items): pages that repeat would never end, so gatesctl stops; retry later",
                        gatesctl_core::escape::quoted(id),
                        ids.len()
                    ));
                }
                match item {
                    Ok(e) => read.push(e),
                    Err(u) => unreadable.push(u),
                }
            }
            Ok(())
        })
        .await?;
        Ok((read, unreadable))
    }

    /// Every gate evaluation `query` selects.
    pub async fn gate_evaluations(
        &self,
        query: &HistoryQuery,
    ) -> Result<(Vec<GateEvaluation>, Vec<Unreadable>), ApiError> {
        self.history::<_, GatePage>("api/v2/deployment_gates/evaluations", "gate evaluations", query).await
    }

    /// Every rule evaluation `query` selects.
    pub async fn rule_evaluations(
        &self,
        query: &HistoryQuery,
    ) -> Result<(Vec<RuleEvaluation>, Vec<Unreadable>), ApiError> {
        self.history::<_, RulePage>("api/v2/deployment_gates/evaluations/rules", "rule evaluations", query).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_item_reads_with_fields_added_tomorrow() {
        let item = json!({"id": "r1", "type": "deployment_gate_rule_evaluation", "attributes": {
            "service": "s", "env": "e", "identifier": "default", "name": "Errors", "type": "monitor",
            "dry_run": true, "gate_dry_run": false, "status": "fail", "reason": "One or more monitors in ALERT state",
            "started_at": "2026-11-30T10:00:00.000000Z", "gate_evaluation_id": "g1", "version": "v1",
            "configuration": {"query": "service:s", "duration": 300, "a_new_option": 1},
            "failures": {"monitors": [{"id": 12, "state": "Alert", "url": "https://x"}], "faulty_apm_resources": [], "narratives": []},
            "a_field_of_tomorrow": {"x": 1},
        }});
        let rule = rule_evaluation(&item).unwrap();
        assert_eq!(rule.status, EvaluationStatus::Fail);
        assert_eq!(rule.failures.monitors, [FailedMonitor { id: "12".into(), state: "Alert".into() }]);
        let options = rule.configuration.unwrap();
        assert_eq!(options.query(), Some("service:s"));
        assert!(options.extra.contains_key("a_new_option"), "unknown options travel");
    }

    #[test]
    fn an_item_without_a_time_is_set_aside_not_guessed() {
        let item = json!({"id": "g1", "attributes": {"service": "s", "env": "e", "status": "pass"}});
        assert_eq!(gate_evaluation(&item).unwrap_err().id, "g1");
    }
}
