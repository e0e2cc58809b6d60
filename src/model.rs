//! The domain every stage shares: gates keyed by (service, env, identifier) and their rules.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The identifier a gate gets when the file or the API leaves it out.
pub const DEFAULT_IDENTIFIER: &str = "default";
/// Upper bound of a rule's `duration`, in seconds, as the API enforces it.
pub const MAX_DURATION: u64 = 7200;

/// The natural key of a gate: the API refuses two gates with the same three.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GateKey {
    pub service: String,
    pub env: String,
    pub identifier: String,
}

impl GateKey {
    pub fn new(service: impl Into<String>, env: impl Into<String>, identifier: impl Into<String>) -> Self {
        GateKey { service: service.into(), env: env.into(), identifier: identifier.into() }
    }
}

impl fmt::Display for GateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.service, self.env, self.identifier)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleType {
    Monitor,
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

/// One attribute of a rule as the plan shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Text(String),
    Number(u64),
    List(Vec<String>),
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Text(s) => write!(f, "{s:?}"),
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item:?}")?;
                }
                f.write_str("]")
            }
        }
    }
}

impl RuleOptions {
    pub fn rule_type(&self) -> RuleType {
        match self {
            RuleOptions::Monitor { .. } => RuleType::Monitor,
            RuleOptions::FaultyDeploymentDetection { .. } => RuleType::FaultyDeploymentDetection,
        }
    }

    /// The options in the API's shape; empty lists are left out rather than sent.
    pub fn to_api(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for (name, value) in self.attributes() {
            let json = match value {
                AttrValue::Text(s) => serde_json::Value::String(s),
                AttrValue::Number(n) => serde_json::Value::from(n),
                AttrValue::List(items) if items.is_empty() => continue,
                AttrValue::List(items) => serde_json::Value::from(items),
            };
            map.insert(name.to_string(), json);
        }
        serde_json::Value::Object(map)
    }

    /// Named attributes in a fixed order, for plans and for the API body.
    pub fn attributes(&self) -> Vec<(&'static str, AttrValue)> {
        let mut out = Vec::new();
        match self {
            RuleOptions::Monitor { query, duration } => {
                out.push(("query", AttrValue::Text(query.clone())));
                if let Some(d) = duration {
                    out.push(("duration", AttrValue::Number(*d)));
                }
            }
            RuleOptions::FaultyDeploymentDetection { duration, excluded_resources, allowed_resources } => {
                if let Some(d) = duration {
                    out.push(("duration", AttrValue::Number(*d)));
                }
                if !excluded_resources.is_empty() {
                    out.push(("excluded_resources", AttrValue::List(excluded_resources.clone())));
                }
                if !allowed_resources.is_empty() {
                    out.push(("allowed_resources", AttrValue::List(allowed_resources.clone())));
                }
            }
        }
        out
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_empty_resource_lists_are_equal_and_order_does_not_matter() {
        let a = RuleOptions::FaultyDeploymentDetection {
            duration: Some(900),
            excluded_resources: vec!["GET /b".into(), "GET /a".into()],
            allowed_resources: vec![],
        };
        let b = RuleOptions::FaultyDeploymentDetection {
            duration: Some(900),
            excluded_resources: vec!["GET /a".into(), "GET /b".into()],
            allowed_resources: vec![],
        };
        assert_eq!(a, b);
        let c = RuleOptions::FaultyDeploymentDetection {
            duration: Some(900),
            excluded_resources: vec!["GET /a".into()],
            allowed_resources: vec![],
        };
        assert_ne!(a, c);
    }

    #[test]
    fn api_body_leaves_out_empty_lists() {
        let o = RuleOptions::FaultyDeploymentDetection {
            duration: Some(900),
            excluded_resources: vec![],
            allowed_resources: vec![],
        };
        assert_eq!(o.to_api(), serde_json::json!({"duration": 900}));
    }
}
