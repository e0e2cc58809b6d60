//! The attributes of a rule every output walks, and their values.

use std::fmt;

use serde_json::Value;

use super::{as_set, monitor_set, MonitorRef, OptionName};
use crate::model::RuleType;

/// The name of an attribute of a rule, in the order every output shows them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttrName {
    Type,
    DryRun,
    Option(OptionName),
    /// An option of the API that gatesctl does not model.
    Extra(String),
}

impl AttrName {
    pub fn as_str(&self) -> &str {
        match self {
            AttrName::Type => "type",
            AttrName::DryRun => "dry_run",
            AttrName::Option(o) => o.as_str(),
            AttrName::Extra(key) => key,
        }
    }
}

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An extra option's key comes from the API: never raw to a terminal.
        f.write_str(&crate::escape::terminal(self.as_str()))
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
    Monitors(Vec<MonitorRef>),
    /// An extra option's value, as the API gave it.
    Json(Value),
}

impl AttrValue {
    /// The value as JSON; monitor ids as the file writes them (numbers).
    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::Type(t) => Value::from(t.as_str()),
            AttrValue::Bool(b) => Value::Bool(*b),
            AttrValue::Text(s) => Value::from(s.as_str()),
            AttrValue::Number(n) => Value::from(*n),
            AttrValue::List(items) => Value::from(items.clone()),
            AttrValue::Monitors(ids) => {
                Value::Array(ids.iter().map(|m| serde_json::json!({"id": m.id, "groups": m.groups})).collect())
            }
            AttrValue::Json(v) => v.clone(),
        }
    }

    /// Equal as the API means it: lists are sets.
    pub(crate) fn same_as(&self, other: &AttrValue) -> bool {
        match (self, other) {
            (AttrValue::List(a), AttrValue::List(b)) => as_set(a) == as_set(b),
            (AttrValue::Monitors(a), AttrValue::Monitors(b)) => monitor_set(a) == monitor_set(b),
            (a, b) => a == b,
        }
    }
}

/// As plans show values: text quoted and escaped, lists bracketed, monitors as a file writes
/// them, extra options as JSON.
impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &[String]| -> fmt::Result {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&crate::escape::quoted(item))?;
            }
            f.write_str("]")
        };
        match self {
            AttrValue::Type(t) => f.write_str(t.as_str()),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Text(s) => f.write_str(&crate::escape::quoted(s)),
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::List(items) => list(f, items),
            AttrValue::Monitors(ids) => {
                f.write_str("[")?;
                for (i, m) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{{ id = {}", m.id)?;
                    if !m.groups.is_empty() {
                        f.write_str(", groups = ")?;
                        list(f, &m.groups)?;
                    }
                    f.write_str(" }")?;
                }
                f.write_str("]")
            }
            AttrValue::Json(v) => f.write_str(&crate::escape::json(v)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: AttrName,
    pub value: AttrValue,
    /// The option is at its default: the same as left out.
    pub(crate) default: bool,
}
