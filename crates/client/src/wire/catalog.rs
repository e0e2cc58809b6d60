//! The Software Catalog's and Scorecards' bodies, as the official clients read and write them
//! (`SoftwareCatalogApi`, `ScorecardsApi`), read into `gatesctl_core`'s model.

use serde::Deserialize;
use serde_json::{json, Value};

use gatesctl_core::model::{CatalogService, OutcomeState, RuleFields, ScorecardOutcome, ScorecardRule};

/// A page of a list: its items, each read on its own, and whether it names a next page.
#[derive(Deserialize)]
pub(crate) struct Page {
    #[serde(default)]
    pub(crate) data: Vec<Value>,
    #[serde(default)]
    pub(crate) links: Option<Links>,
}

#[derive(Deserialize)]
pub(crate) struct Links {
    #[serde(default)]
    pub(crate) next: Option<String>,
}

impl Page {
    /// `Some(true)` when it names a next page, `Some(false)` when it has links but no next,
    /// `None` when it says nothing.
    pub(crate) fn names_next(&self) -> Option<bool> {
        self.links.as_ref().map(|l| l.next.as_deref().is_some_and(|n| !n.is_empty()))
    }
}

fn text(item: &Value, path: &[&str]) -> Option<String> {
    let mut at = item;
    for key in path {
        at = at.get(key)?;
    }
    at.as_str().map(str::to_string)
}

/// An item's id, for an error about it.
pub(crate) fn id_of(item: &Value) -> String {
    text(item, &["id"]).unwrap_or_else(|| "(no id)".to_string())
}

/// A catalog entity, when it is a service: `Ok(None)` for another kind.
pub(crate) fn service(item: &Value) -> Result<Option<CatalogService>, String> {
    let attributes = item.get("attributes").ok_or("an entity without attributes")?;
    let kind = text(attributes, &["kind"]).unwrap_or_default();
    if !kind.is_empty() && kind != "service" {
        return Ok(None);
    }
    let name = text(attributes, &["name"]).filter(|n| !n.is_empty()).ok_or("an entity without a name")?;
    let tags = match attributes.get("tags") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(tags)) => tags
            .iter()
            .map(|t| t.as_str().map(str::to_string).ok_or("a tag that is not text"))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("tags that are not a list".into()),
    };
    Ok(Some(CatalogService { name, owner: text(attributes, &["owner"]).unwrap_or_default(), tags }))
}

pub(crate) fn rule(item: &Value) -> Result<ScorecardRule, String> {
    let id = text(item, &["id"]).ok_or("a rule without an id")?;
    let a = item.get("attributes").ok_or("a rule without attributes")?;
    let field = |name: &str| text(a, &[name]).unwrap_or_default();
    Ok(ScorecardRule {
        id,
        fields: RuleFields {
            name: text(a, &["name"]).ok_or("a rule without a name")?,
            scorecard_name: field("scorecard_name"),
            description: field("description"),
            enabled: a.get("enabled").and_then(Value::as_bool).unwrap_or(false),
            level: a.get("level").and_then(Value::as_i64).unwrap_or(0),
        },
    })
}

pub(crate) fn rule_body(fields: &RuleFields) -> Value {
    json!({"data": {"type": "rule", "attributes": {
        "name": fields.name, "scorecard_name": fields.scorecard_name, "description": fields.description,
        "enabled": fields.enabled, "level": fields.level,
    }}})
}

pub(crate) fn outcomes_body(outcomes: &[ScorecardOutcome]) -> Value {
    let results: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            json!({"rule_id": o.rule_id, "service_name": o.service, "state": o.state.as_str(), "remarks": o.remarks})
        })
        .collect();
    json!({"data": {"type": "batched-outcome", "attributes": {"results": results}}})
}

pub(crate) fn outcome(item: &Value) -> Result<ScorecardOutcome, String> {
    let a = item.get("attributes").ok_or("an outcome without attributes")?;
    let state = text(a, &["state"]).unwrap_or_default();
    Ok(ScorecardOutcome {
        rule_id: text(item, &["relationships", "rule", "data", "id"]).ok_or("an outcome without its rule")?,
        service: text(a, &["service_name"]).ok_or("an outcome without a service")?,
        state: OutcomeState::parse(&state).ok_or_else(|| format!("an outcome of state {state:?}"))?,
        remarks: text(a, &["remarks"]).unwrap_or_default(),
    })
}

/// `meta.total_updated` of an outcomes batch, when given.
pub(crate) fn updated(answer: &Value) -> Option<u64> {
    answer.get("meta")?.get("total_updated")?.as_u64()
}
