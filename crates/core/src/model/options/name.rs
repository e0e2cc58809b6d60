//! The one list of the options gatesctl models, with the rule types that take each, how each
//! is described, and its schema.

use std::fmt;

use serde_json::Value;

use super::super::{RuleType, MAX_DURATION};

/// The options gatesctl models, in the order every output lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionName {
    Query,
    MonitorIds,
    Duration,
    Warmup,
    FailOnNoData,
    FailOnNoGroupsFound,
    ExcludedResources,
    AllowedResources,
}

impl OptionName {
    pub const ALL: [OptionName; 8] = [
        OptionName::Query,
        OptionName::MonitorIds,
        OptionName::Duration,
        OptionName::Warmup,
        OptionName::FailOnNoData,
        OptionName::FailOnNoGroupsFound,
        OptionName::ExcludedResources,
        OptionName::AllowedResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::Query => "query",
            OptionName::MonitorIds => "monitor_ids",
            OptionName::Duration => "duration",
            OptionName::Warmup => "warmup",
            OptionName::FailOnNoData => "fail_on_no_data",
            OptionName::FailOnNoGroupsFound => "fail_on_no_groups_found",
            OptionName::ExcludedResources => "excluded_resources",
            OptionName::AllowedResources => "allowed_resources",
        }
    }

    pub fn parse(text: &str) -> Option<OptionName> {
        OptionName::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether rules of type `t` take this option.
    pub(crate) fn applies_to(self, t: RuleType) -> bool {
        match self {
            OptionName::Duration => true,
            OptionName::Query
            | OptionName::MonitorIds
            | OptionName::Warmup
            | OptionName::FailOnNoData
            | OptionName::FailOnNoGroupsFound => t == RuleType::Monitor,
            OptionName::ExcludedResources | OptionName::AllowedResources => t == RuleType::FaultyDeploymentDetection,
        }
    }

    /// The options rules of type `t` take, in display order.
    pub fn of(t: RuleType) -> impl Iterator<Item = OptionName> {
        OptionName::ALL.into_iter().filter(move |o| o.applies_to(t))
    }

    /// What the option means, for the schema and `--help`-like listings.
    pub fn describe(self) -> &'static str {
        match self {
            OptionName::Query => "Monitor search query: the monitors it matches are watched (monitor rules; this or `monitor_ids`).",
            OptionName::MonitorIds => "The monitors watched, by id, each with the groups watched (none: every group) (monitor rules; this or `query`).",
            OptionName::Duration => "Seconds to watch, at most the API's limit (900 or more advised for faulty deployment detection).",
            OptionName::Warmup => "Seconds to wait after the deployment starts before the monitors are looked at (monitor rules). Default 0.",
            OptionName::FailOnNoData => "Fail when a watched monitor group is in NO DATA (monitor rules). Default true.",
            OptionName::FailOnNoGroupsFound => "Fail when the query or ids find no monitor group (monitor rules). Default false: such a rule watches nothing and passes.",
            OptionName::ExcludedResources => "APM resources ignored by faulty deployment detection. Not with `allowed_resources`.",
            OptionName::AllowedResources => "The only APM resources faulty deployment detection watches. Not with `excluded_resources`.",
        }
    }
}

impl OptionName {
    /// The JSON Schema of the option's value, as a file writes it.
    pub(crate) fn value_schema(self) -> Value {
        let seconds = |max: Option<u64>| match max {
            Some(max) => serde_json::json!({"type": "integer", "minimum": 0, "maximum": max}),
            None => serde_json::json!({"type": "integer", "minimum": 0}),
        };
        let strings = serde_json::json!({"type": "array", "items": {"type": "string", "minLength": 1}});
        let mut schema = match self {
            OptionName::Query => serde_json::json!({"type": "string", "minLength": 1}),
            OptionName::MonitorIds => serde_json::json!({
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {
                            "description": "The monitor's id: a whole number, or one written as a decimal string.",
                            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}],
                        },
                        "groups": {
                            "description": "The groups of the monitor watched, by exact name; none: every group.",
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                        },
                    },
                    "required": ["id"],
                    "additionalProperties": false,
                },
            }),
            OptionName::Duration => seconds(Some(MAX_DURATION)),
            OptionName::Warmup => seconds(None),
            OptionName::FailOnNoData | OptionName::FailOnNoGroupsFound => serde_json::json!({"type": "boolean"}),
            OptionName::ExcludedResources | OptionName::AllowedResources => strings,
        };
        schema["description"] = Value::from(self.describe());
        schema
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
