//! Rules and the one typed list of their attributes that every output renders.

use std::collections::BTreeSet;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The kinds of rule the API knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    /// Passes while the monitors matching `query` stay OK for `duration` seconds.
    Monitor,
    /// APM Faulty Deployment Detection on the new version.
    FaultyDeploymentDetection,
}

impl RuleType {
    pub const ALL: [RuleType; 2] = [RuleType::Monitor, RuleType::FaultyDeploymentDetection];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Monitor => "monitor",
            RuleType::FaultyDeploymentDetection => "faulty_deployment_detection",
        }
    }

    pub fn parse(s: &str) -> Option<RuleType> {
        RuleType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A rule's options, typed by the rule's `type`.
///
/// Absent lists are held as empty ones: the API drops empty lists in some periods and keeps
/// them in others, and a plan must settle either way.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RuleOptions {
    Monitor {
        query: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
    },
    FaultyDeploymentDetection {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        excluded_resources: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allowed_resources: Vec<String>,
    },
}

impl RuleOptions {
    pub fn rule_type(&self) -> RuleType {
        match self {
            RuleOptions::Monitor { .. } => RuleType::Monitor,
            RuleOptions::FaultyDeploymentDetection { .. } => RuleType::FaultyDeploymentDetection,
        }
    }

    /// The options that are set, in display order; empty lists count as not set.
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut out = Vec::new();
        let mut push = |name, value| out.push(Attribute { name, value });
        match self {
            RuleOptions::Monitor { query, duration } => {
                push(AttrName::Query, AttrValue::Text(query.clone()));
                if let Some(d) = duration {
                    push(AttrName::Duration, AttrValue::Number(*d));
                }
            }
            RuleOptions::FaultyDeploymentDetection { duration, excluded_resources, allowed_resources } => {
                if let Some(d) = duration {
                    push(AttrName::Duration, AttrValue::Number(*d));
                }
                if !excluded_resources.is_empty() {
                    push(AttrName::ExcludedResources, AttrValue::List(excluded_resources.clone()));
                }
                if !allowed_resources.is_empty() {
                    push(AttrName::AllowedResources, AttrValue::List(allowed_resources.clone()));
                }
            }
        }
        out
    }

    /// The options in the API's shape; empty lists are left out rather than sent.
    pub fn to_api(&self) -> serde_json::Value {
        let map = self.attributes().into_iter().map(|a| (a.name.as_str().to_string(), a.value.to_json())).collect();
        serde_json::Value::Object(map)
    }

    /// The query of a monitor rule.
    pub fn query(&self) -> Option<&str> {
        match self {
            RuleOptions::Monitor { query, .. } => Some(query),
            RuleOptions::FaultyDeploymentDetection { .. } => None,
        }
    }
}

fn as_set(items: &[String]) -> BTreeSet<&str> {
    items.iter().map(String::as_str).collect()
}

/// Semantic equality: resource lists are sets, and a missing list equals an empty one.
impl PartialEq for RuleOptions {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (RuleOptions::Monitor { query: q1, duration: d1 }, RuleOptions::Monitor { query: q2, duration: d2 }) => {
                q1 == q2 && d1 == d2
            }
            (
                RuleOptions::FaultyDeploymentDetection { duration: d1, excluded_resources: e1, allowed_resources: a1 },
                RuleOptions::FaultyDeploymentDetection { duration: d2, excluded_resources: e2, allowed_resources: a2 },
            ) => d1 == d2 && as_set(e1) == as_set(e2) && as_set(a1) == as_set(a2),
            _ => false,
        }
    }
}

impl Eq for RuleOptions {}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub dry_run: bool,
    pub options: RuleOptions,
}

impl Rule {
    pub fn rule_type(&self) -> RuleType {
        self.options.rule_type()
    }

    /// Every attribute of the rule but its name, in display order: type, dry_run, options.
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut out = vec![
            Attribute { name: AttrName::Type, value: AttrValue::Type(self.rule_type()) },
            Attribute { name: AttrName::DryRun, value: AttrValue::Bool(self.dry_run) },
        ];
        out.extend(self.options.attributes());
        out
    }
}

/// The attributes of a rule, in the order every output shows them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttrName {
    Type,
    DryRun,
    Query,
    Duration,
    ExcludedResources,
    AllowedResources,
}

impl AttrName {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrName::Type => "type",
            AttrName::DryRun => "dry_run",
            AttrName::Query => "query",
            AttrName::Duration => "duration",
            AttrName::ExcludedResources => "excluded_resources",
            AttrName::AllowedResources => "allowed_resources",
        }
    }
}

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value of one attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Type(RuleType),
    Bool(bool),
    Text(String),
    Number(u64),
    List(Vec<String>),
}

impl AttrValue {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            AttrValue::Type(t) => serde_json::Value::from(t.as_str()),
            AttrValue::Bool(b) => serde_json::Value::Bool(*b),
            AttrValue::Text(s) => serde_json::Value::from(s.as_str()),
            AttrValue::Number(n) => serde_json::Value::from(*n),
            AttrValue::List(items) => serde_json::Value::from(items.clone()),
        }
    }

    /// Equal as the API means it: lists are sets.
    pub fn same_as(&self, other: &AttrValue) -> bool {
        match (self, other) {
            (AttrValue::List(a), AttrValue::List(b)) => as_set(a) == as_set(b),
            (a, b) => a == b,
        }
    }
}

/// As plans show values: text quoted and escaped, lists bracketed.
impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Type(t) => f.write_str(t.as_str()),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Text(s) => f.write_str(&crate::escape::quoted(s)),
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str(&crate::escape::quoted(item))?;
                }
                f.write_str("]")
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: AttrName,
    pub value: AttrValue,
}

/// One attribute that differs between two versions of a rule (or a rule and nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrChange {
    pub name: AttrName,
    pub before: Option<AttrValue>,
    pub after: Option<AttrValue>,
}

impl AttrChange {
    /// The attributes that differ, in display order; either side may be absent (a create or
    /// a delete lists every attribute of the other side).
    pub fn between(before: Option<&Rule>, after: Option<&Rule>) -> Vec<AttrChange> {
        let old = before.map(Rule::attributes).unwrap_or_default();
        let new = after.map(Rule::attributes).unwrap_or_default();
        let mut names: Vec<AttrName> = old.iter().chain(&new).map(|a| a.name).collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|name| {
                let find = |list: &[Attribute]| list.iter().find(|a| a.name == name).map(|a| a.value.clone());
                let (b, a) = (find(&old), find(&new));
                let same = matches!((&b, &a), (Some(x), Some(y)) if x.same_as(y));
                (!same).then_some(AttrChange { name, before: b, after: a })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fdd(excluded: &[&str]) -> RuleOptions {
        RuleOptions::FaultyDeploymentDetection {
            duration: Some(900),
            excluded_resources: excluded.iter().map(|s| s.to_string()).collect(),
            allowed_resources: vec![],
        }
    }

    #[test]
    fn missing_and_empty_resource_lists_are_equal_and_order_does_not_matter() {
        assert_eq!(fdd(&["GET /b", "GET /a"]), fdd(&["GET /a", "GET /b"]));
        assert_ne!(fdd(&["GET /b", "GET /a"]), fdd(&["GET /a"]));
    }

    #[test]
    fn api_body_leaves_out_empty_lists() {
        assert_eq!(fdd(&[]).to_api(), serde_json::json!({"duration": 900}));
    }

    #[test]
    fn changes_list_only_what_differs_in_display_order() {
        let before = Rule { name: "r".into(), dry_run: false, options: fdd(&["GET /a", "GET /b"]) };
        let mut after = before.clone();
        after.dry_run = true;
        after.options = fdd(&["GET /b", "GET /a"]);
        let changes = AttrChange::between(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1, "reordered lists are the same list: {changes:?}");
        assert_eq!(changes[0].name, AttrName::DryRun);
        let created = AttrChange::between(None, Some(&after));
        let names: Vec<_> = created.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["type", "dry_run", "duration", "excluded_resources"]);
    }
}
