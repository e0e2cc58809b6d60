//! The JSON file `datadog-ci deployment gate --config FILE` reads: the rules of a gate, given
//! inline to the evaluation instead of the stored gate's:
//!
//! ```json
//! {"dryRun": false, "rules": [{"name": "Errors", "type": "monitor", "dry_run": false,
//!   "options": {"query": "service:checkout", "duration": 300}}]}
//! ```

use std::path::Path;

use serde_json::{Map, Value};

use crate::model::{Rule, RuleOptions, RuleType, MAX_DURATION};

/// What the file asks for: the gate's dry run, and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineGate {
    pub dry_run: bool,
    pub rules: Vec<Rule>,
}

/// A problem, located in the file: `FILE:LINE:COLUMN` for syntax, the JSON path otherwise.
fn located(path: &Path, place: impl std::fmt::Display, what: impl std::fmt::Display) -> String {
    format!("{}:{place}: {what}", path.display())
}

fn string_list(value: &Value, at: &str, path: &Path) -> Result<Vec<String>, String> {
    value
        .as_array()
        .and_then(|items| items.iter().map(|i| i.as_str().map(str::to_string)).collect::<Option<Vec<_>>>())
        .ok_or_else(|| located(path, at, "must be a list of strings"))
}

fn options(rule_type: RuleType, options: &Map<String, Value>, at: &str, path: &Path) -> Result<RuleOptions, String> {
    let allowed: &[&str] = match rule_type {
        RuleType::Monitor => &["query", "duration"],
        RuleType::FaultyDeploymentDetection => &["duration", "excluded_resources", "allowed_resources"],
    };
    if let Some(key) = options.keys().find(|k| !allowed.contains(&k.as_str())) {
        let hint = crate::suggest::suggest(key, allowed.iter().copied()).map_or_else(
            || format!(" ({rule_type} options are: {})", allowed.join(", ")),
            |s| format!(" (did you mean {s:?}?)"),
        );
        return Err(located(path, format!("{at}.{key}"), format!("unknown option{hint}")));
    }
    let duration = match options.get("duration") {
        None | Some(Value::Null) => None,
        Some(d) => match d.as_u64() {
            Some(d) if d <= MAX_DURATION => Some(d),
            _ => {
                return Err(located(
                    path,
                    format!("{at}.duration"),
                    format!("must be a whole number from 0 to {MAX_DURATION}"),
                ))
            }
        },
    };
    Ok(match rule_type {
        RuleType::Monitor => {
            let query = options.get("query").and_then(Value::as_str).filter(|q| !q.trim().is_empty());
            let query = query.ok_or_else(|| located(path, format!("{at}.query"), "a monitor rule needs a query"))?;
            RuleOptions::Monitor { query: query.to_string(), duration }
        }
        RuleType::FaultyDeploymentDetection => {
            let list =
                |key: &str| options.get(key).map_or(Ok(Vec::new()), |v| string_list(v, &format!("{at}.{key}"), path));
            let (excluded_resources, allowed_resources) = (list("excluded_resources")?, list("allowed_resources")?);
            if !excluded_resources.is_empty() && !allowed_resources.is_empty() {
                return Err(located(path, at, "excluded_resources and allowed_resources cannot both be given"));
            }
            RuleOptions::FaultyDeploymentDetection { duration, excluded_resources, allowed_resources }
        }
    })
}

/// Reads and checks the file; every problem names its place.
pub fn read(path: &Path) -> Result<InlineGate, String> {
    let text = super::read_text(path).map_err(|e| e.to_string())?;
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| located(path, format!("{}:{}", e.line(), e.column()), format!("invalid JSON: {e}")))?;
    let top = value.as_object().ok_or_else(|| located(path, "1:1", "expected an object with \"rules\""))?;
    if let Some(key) = top.keys().find(|k| !["dryRun", "rules"].contains(&k.as_str())) {
        let hint = crate::suggest::suggest(key, ["dryRun", "rules"])
            .map_or_else(String::new, |s| format!(" (did you mean {s:?}?)"));
        return Err(located(path, key, format!("unknown key{hint}; the file has \"dryRun\" and \"rules\"")));
    }
    let dry_run = match top.get("dryRun") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(located(path, "dryRun", "must be true or false")),
    };
    let items =
        top.get("rules").and_then(Value::as_array).ok_or_else(|| located(path, "rules", "must be a list of rules"))?;
    if items.is_empty() {
        return Err(located(path, "rules", "needs at least one rule"));
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("rules[{i}]");
        let rule = item.as_object().ok_or_else(|| located(path, &at, "must be an object"))?;
        let name = rule.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty());
        let name = name.ok_or_else(|| located(path, format!("{at}.name"), "every rule needs a name"))?;
        if rules.iter().any(|r| r.name == name) {
            return Err(located(path, format!("{at}.name"), format!("{name:?} is used twice")));
        }
        let kind = rule.get("type").and_then(Value::as_str).unwrap_or_default();
        let rule_type = RuleType::parse(kind).ok_or_else(|| {
            let names: Vec<&str> = RuleType::ALL.iter().map(|t| t.as_str()).collect();
            let hint = crate::suggest::suggest(kind, names.iter().copied())
                .map_or_else(|| format!("one of {}", names.join(", ")), |s| format!("did you mean {s:?}?"));
            located(path, format!("{at}.type"), format!("unknown rule type {kind:?}: {hint}"))
        })?;
        let rule_dry_run = match rule.get("dry_run") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(located(path, format!("{at}.dry_run"), "must be true or false")),
        };
        let empty = Map::new();
        let opts = match rule.get("options") {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(o)) => o,
            Some(_) => return Err(located(path, format!("{at}.options"), "must be an object")),
        };
        let options = options(rule_type, opts, &format!("{at}.options"), path)?;
        rules.push(Rule { name: name.to_string(), dry_run: rule_dry_run, options });
    }
    Ok(InlineGate { dry_run, rules })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<InlineGate, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.json");
        std::fs::write(&path, text).unwrap();
        read(&path).map_err(|e| e.replace(&path.display().to_string(), "config.json"))
    }

    #[test]
    fn the_datadog_ci_fixture_reads() {
        let gate = read_text(r#"{"dryRun": false, "rules": [
            {"type": "monitor", "name": "error rate monitors", "dry_run": false, "options": {"query": "service:transaction-backend env:production", "duration": 300}},
            {"type": "faulty_deployment_detection", "name": "apm faulty deployment", "dry_run": false, "options": {"duration": 900, "excluded_resources": ["GET /healthcheck"]}}
        ]}"#).unwrap();
        assert_eq!(gate.rules.len(), 2);
        assert_eq!(gate.rules[1].rule_type(), RuleType::FaultyDeploymentDetection);
    }

    #[test]
    fn problems_are_located() {
        assert!(read_text("{\n  \"rules\": [,]\n}").unwrap_err().starts_with("config.json:2:"));
        assert_eq!(read_text(r#"{"rules": []}"#).unwrap_err(), "config.json:rules: needs at least one rule");
        let e = read_text(r#"{"rules": [{"name": "a", "type": "monitr", "options": {"query": "x"}}]}"#).unwrap_err();
        assert_eq!(e, "config.json:rules[0].type: unknown rule type \"monitr\": did you mean \"monitor\"?");
        let e = read_text(r#"{"rules": [{"name": "a", "type": "monitor", "options": {"query": "x", "duratoin": 3}}]}"#)
            .unwrap_err();
        assert_eq!(e, "config.json:rules[0].options.duratoin: unknown option (did you mean \"duration\"?)");
    }
}
