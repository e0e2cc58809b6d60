//! A rule's options as the service reads them, checked here on the sandbox's own terms (the API
//! contract and the recorded traffic), never with the client's decoder: a client bug in how
//! options are written is refused here rather than agreed with.

use serde_json::{Map, Value};

use super::db::Refusal;
use super::jsonapi::bad;

/// The longest `duration` the service takes, in seconds.
const MAX_DURATION: u64 = 7200;

/// Monitor options the service leaves out of its answers when they hold their default.
const MONITOR_DEFAULTS: [(&str, Value); 3] =
    [("warmup", Value::Null), ("fail_on_no_data", Value::Bool(true)), ("fail_on_no_groups_found", Value::Bool(false))];

/// The two kinds of rule the service has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Monitor,
    FaultyDeploymentDetection,
}

impl Kind {
    pub(crate) fn parse(text: &str) -> Option<Kind> {
        match text {
            "monitor" => Some(Kind::Monitor),
            "faulty_deployment_detection" => Some(Kind::FaultyDeploymentDetection),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Monitor => "monitor",
            Kind::FaultyDeploymentDetection => "faulty_deployment_detection",
        }
    }

    /// The options rules of this kind take; any other known option is refused.
    fn takes(self) -> &'static [&'static str] {
        match self {
            Kind::Monitor => {
                &["query", "monitor_ids", "duration", "warmup", "fail_on_no_data", "fail_on_no_groups_found"]
            }
            Kind::FaultyDeploymentDetection => &["duration", "excluded_resources", "allowed_resources"],
        }
    }
}

/// Every option the service knows, of either kind: a key outside this list is kept as sent.
const KNOWN: [&str; 8] = [
    "query",
    "monitor_ids",
    "duration",
    "warmup",
    "fail_on_no_data",
    "fail_on_no_groups_found",
    "excluded_resources",
    "allowed_resources",
];

/// One monitor of `monitor_ids`, and the groups of it watched (none: every group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WatchedMonitor {
    pub(crate) id: u64,
    pub(crate) groups: Vec<String>,
}

/// What a monitor rule watches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Watch {
    Query(String),
    Monitors(Vec<WatchedMonitor>),
}

/// What an evaluation needs of a monitor rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MonitorRule {
    pub(crate) watch: Watch,
    pub(crate) warmup: u64,
    pub(crate) fail_on_no_data: bool,
    pub(crate) fail_on_no_groups_found: bool,
}

fn integer(options: &Map<String, Value>, key: &str, max: Option<u64>) -> Result<Option<u64>, Refusal> {
    let Some(value) = options.get(key).filter(|v| !v.is_null()) else { return Ok(None) };
    match (value.as_u64(), max) {
        (Some(n), Some(max)) if n <= max => Ok(Some(n)),
        (Some(n), None) => Ok(Some(n)),
        (_, Some(max)) => Err(bad(format!("attribute \"{key}\" must be an integer between 0 and {max}"))),
        (_, None) => Err(bad(format!("attribute \"{key}\" must be an integer of at least 0"))),
    }
}

fn boolean(options: &Map<String, Value>, key: &str) -> Result<Option<bool>, Refusal> {
    match options.get(key).filter(|v| !v.is_null()) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(bad(format!("attribute \"{key}\" must be a boolean"))),
    }
}

fn strings(options: &Map<String, Value>, key: &str) -> Result<Vec<String>, Refusal> {
    match options.get(key).filter(|v| !v.is_null()) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
                Some(_) => Err(bad(format!("attribute \"{key}[{i}]\" must not be empty"))),
                None => Err(bad(format!("attribute \"{key}[{i}]\" must be a string"))),
            })
            .collect(),
        Some(_) => Err(bad(format!("attribute \"{key}\" must be a list of strings"))),
    }
}

fn monitor_ids(items: &Value) -> Result<Vec<WatchedMonitor>, Refusal> {
    let Value::Array(items) = items else { return Err(bad("attribute \"monitor_ids\" must be a list")) };
    if items.is_empty() {
        return Err(bad("attribute \"monitor_ids\" must contain at least one monitor"));
    }
    let mut out: Vec<WatchedMonitor> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Value::Object(entry) = item else {
            return Err(bad(format!("attribute \"monitor_ids[{i}]\" must be an object with an \"id\"")));
        };
        if let Some(key) = entry.keys().find(|k| !matches!(k.as_str(), "id" | "groups")) {
            return Err(bad(format!("attribute \"monitor_ids[{i}].{key}\" is not allowed")));
        }
        // The service stores monitor ids as decimal strings, and takes nothing else.
        let id = match entry.get("id") {
            Some(Value::String(s)) => s,
            None | Some(Value::Null) => return Err(bad(format!("attribute \"monitor_ids[{i}].id\" is required"))),
            Some(_) => return Err(bad(format!("attribute \"monitor_ids[{i}].id\" must be a string"))),
        };
        let id: u64 = match id.parse() {
            Ok(n) if id.bytes().all(|b| b.is_ascii_digit()) => n,
            _ => return Err(bad(format!("attribute \"monitor_ids[{i}].id\" Invalid id"))),
        };
        if out.iter().any(|m| m.id == id) {
            return Err(bad(format!("attribute \"monitor_ids[{i}].id\" repeats monitor {id}")));
        }
        let groups = match entry.get("groups") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(groups)) => groups
                .iter()
                .map(|g| g.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| bad(format!("attribute \"monitor_ids[{i}].groups\" must be a list of strings")))?,
            Some(_) => return Err(bad(format!("attribute \"monitor_ids[{i}].groups\" must be a list of strings"))),
        };
        out.push(WatchedMonitor { id, groups });
    }
    Ok(out)
}

/// Checks the options of a rule of `kind`, and answers them as the service stores them:
/// monitor options at their default left out, keys it does not know kept. Empty lists are
/// kept, as the service does since 2026; `drop_empty_lists` drops them, as it did in 2025.
pub(crate) fn check(kind: &str, options: Option<&Value>, drop_empty_lists: bool) -> Result<Value, Refusal> {
    let kind = Kind::parse(kind)
        .ok_or_else(|| bad("attribute \"type\" must be one of \"monitor faulty_deployment_detection\""))?;
    let mut options = match options {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(o)) => o.clone(),
        Some(_) => return Err(bad("attribute \"options\" must be an object")),
    };
    // A null is the same as left out.
    options.retain(|k, v| !(v.is_null() && KNOWN.contains(&k.as_str())));
    if let Some(key) = options.keys().find(|k| KNOWN.contains(&k.as_str()) && !kind.takes().contains(&k.as_str())) {
        return Err(bad(format!("attribute \"{key}\" is not allowed for {} rules", kind.name())));
    }
    integer(&options, "duration", Some(MAX_DURATION))?;
    match kind {
        Kind::Monitor => {
            read_monitor(&options)?;
            for (key, default) in MONITOR_DEFAULTS {
                let at_default = match (options.get(key), &default) {
                    (Some(v), Value::Null) => v.as_u64() == Some(0),
                    (Some(v), d) => v == d,
                    (None, _) => false,
                };
                if at_default {
                    options.remove(key);
                }
            }
        }
        Kind::FaultyDeploymentDetection => {
            let excluded = strings(&options, "excluded_resources")?;
            let allowed = strings(&options, "allowed_resources")?;
            if !excluded.is_empty() && !allowed.is_empty() {
                return Err(bad("attributes \"excluded_resources\" and \"allowed_resources\" are mutually exclusive"));
            }
        }
    }
    if drop_empty_lists {
        options.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
    }
    Ok(Value::Object(options))
}

fn read_monitor(options: &Map<String, Value>) -> Result<MonitorRule, Refusal> {
    let query = match options.get("query") {
        None => None,
        Some(Value::String(q)) if q.trim().is_empty() => return Err(bad("attribute \"query\" is required")),
        Some(Value::String(q)) => Some(q.clone()),
        Some(_) => return Err(bad("attribute \"query\" must be a string")),
    };
    let watch = match (query, options.get("monitor_ids")) {
        (Some(_), Some(_)) => return Err(bad("attributes \"query\" and \"monitor_ids\" are mutually exclusive")),
        (None, None) => return Err(bad("attribute \"query\" or \"monitor_ids\" is required")),
        (Some(query), None) => Watch::Query(query),
        (None, Some(ids)) => Watch::Monitors(monitor_ids(ids)?),
    };
    Ok(MonitorRule {
        watch,
        warmup: integer(options, "warmup", None)?.unwrap_or(0),
        fail_on_no_data: boolean(options, "fail_on_no_data")?.unwrap_or(true),
        fail_on_no_groups_found: boolean(options, "fail_on_no_groups_found")?.unwrap_or(false),
    })
}

/// A stored monitor rule's options, as an evaluation reads them; the reason when they do not
/// read (a state file edited by hand).
pub(crate) fn monitor_rule(options: &Value) -> Result<MonitorRule, String> {
    let Value::Object(options) = options else { return Err("options are not an object".into()) };
    read_monitor(options).map_err(|refusal| refusal.detail)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refusal(kind: &str, options: Value) -> String {
        check(kind, Some(&options), false).expect_err("refused").detail
    }

    #[test]
    fn options_are_stored_as_the_service_answers_them() {
        let stored = check(
            "monitor",
            Some(&json!({"query": "a", "warmup": 0, "fail_on_no_data": true, "fail_on_no_groups_found": false, "future_knob": 7, "duration": null})),
            false,
        )
        .unwrap();
        assert_eq!(stored, json!({"query": "a", "future_knob": 7}), "defaults and nulls left out, unknown keys kept");
        let fdd = check("faulty_deployment_detection", Some(&json!({"excluded_resources": []})), false).unwrap();
        assert_eq!(fdd, json!({"excluded_resources": []}));
        let dropped = check("faulty_deployment_detection", Some(&json!({"excluded_resources": []})), true).unwrap();
        assert_eq!(dropped, json!({}), "as in 2025");
    }

    #[test]
    fn what_the_contract_forbids_is_refused_in_the_service_s_words() {
        assert_eq!(refusal("monitor", json!({})), "attribute \"query\" or \"monitor_ids\" is required");
        assert_eq!(
            refusal("monitor", json!({"query": "a", "monitor_ids": [{"id": "1"}]})),
            "attributes \"query\" and \"monitor_ids\" are mutually exclusive"
        );
        assert_eq!(
            refusal("monitor", json!({"monitor_ids": [{"id": 12}]})),
            "attribute \"monitor_ids[0].id\" must be a string"
        );
        assert_eq!(
            refusal("monitor", json!({"monitor_ids": [{"id": "12a"}]})),
            "attribute \"monitor_ids[0].id\" Invalid id"
        );
        assert_eq!(
            refusal("monitor", json!({"monitor_ids": [{"id": "1"}, {"id": "1"}]})),
            "attribute \"monitor_ids[1].id\" repeats monitor 1"
        );
        assert_eq!(
            refusal("monitor", json!({"monitor_ids": []})),
            "attribute \"monitor_ids\" must contain at least one monitor"
        );
        assert_eq!(
            refusal("monitor", json!({"query": "a", "duration": 7201})),
            "attribute \"duration\" must be an integer between 0 and 7200"
        );
        assert_eq!(
            refusal("monitor", json!({"query": "a", "warmup": -1})),
            "attribute \"warmup\" must be an integer of at least 0"
        );
        assert_eq!(
            refusal("monitor", json!({"query": "a", "fail_on_no_data": "yes"})),
            "attribute \"fail_on_no_data\" must be a boolean"
        );
        assert_eq!(
            refusal("faulty_deployment_detection", json!({"query": "a"})),
            "attribute \"query\" is not allowed for faulty_deployment_detection rules"
        );
        assert_eq!(
            refusal("faulty_deployment_detection", json!({"excluded_resources": ["a"], "allowed_resources": ["b"]})),
            "attributes \"excluded_resources\" and \"allowed_resources\" are mutually exclusive"
        );
        assert_eq!(
            refusal("monitr", json!({})),
            "attribute \"type\" must be one of \"monitor faulty_deployment_detection\""
        );
    }

    #[test]
    fn an_evaluation_reads_what_a_monitor_rule_watches() {
        let rule = monitor_rule(&json!({"monitor_ids": [{"id": "7", "groups": ["region:eu"]}], "warmup": 30})).unwrap();
        assert_eq!(rule.watch, Watch::Monitors(vec![WatchedMonitor { id: 7, groups: vec!["region:eu".into()] }]));
        assert_eq!((rule.warmup, rule.fail_on_no_data, rule.fail_on_no_groups_found), (30, true, false));
    }
}
