//! The JSON file `datadog-ci deployment gate --config FILE` reads: the rules of a gate, given
//! inline to the evaluation instead of the stored gate's:
//!
//! ```json
//! {"dryRun": false, "rules": [{"name": "Errors", "type": "monitor", "dryRun": false,
//!   "options": {"query": "service:checkout", "duration": 300}}]}
//! ```
//!
//! `dryRun` is datadog-ci's key, at both levels; `dry_run` (the API's spelling) is read as
//! its alias, and a file giving both is refused rather than read one way or the other. Rule
//! options are read by the one options model, unknown keys refused with a "did you mean".

use std::path::{Path, PathBuf};

use serde_json::Value;

use gatesctl_core::model::options::{self, Unknown, View};
use gatesctl_core::model::{Rule, RuleType};

/// What the file asks for: the gate's dry run, and its rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineGate {
    pub dry_run: bool,
    pub rules: Vec<Rule>,
}

/// Why a `--config` file cannot be used: each names its place in the file.
#[derive(Debug, thiserror::Error)]
pub enum InlineConfigError {
    #[error(transparent)]
    Read(#[from] super::error::ConfigError),
    #[error("{}:{line}:{column}: invalid JSON: {message}", gatesctl_core::escape::path(.path))]
    Syntax { path: PathBuf, line: usize, column: usize, message: String },
    #[error("{}:{place}: {problem}", gatesctl_core::escape::path(.path))]
    Invalid { path: PathBuf, place: String, problem: String },
}

const TOP_KEYS: [&str; 3] = ["dryRun", "dry_run", "rules"];
const RULE_KEYS: [&str; 5] = ["name", "type", "dryRun", "dry_run", "options"];

struct File<'p> {
    path: &'p Path,
}

impl File<'_> {
    fn invalid(&self, place: impl std::fmt::Display, problem: impl std::fmt::Display) -> InlineConfigError {
        InlineConfigError::Invalid {
            path: self.path.to_path_buf(),
            place: place.to_string(),
            problem: problem.to_string(),
        }
    }

    /// Refuses a key nobody reads, with the closest known one.
    fn known_keys(
        &self,
        object: &serde_json::Map<String, Value>,
        known: &[&str],
        at: &str,
    ) -> Result<(), InlineConfigError> {
        match object.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(key) => {
                let hint = gatesctl_core::suggest::suggest(key, known.iter().copied()).map_or_else(
                    || format!(" (known keys: {})", known.join(", ")),
                    |s| format!(" (did you mean {s:?}?)"),
                );
                let place = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
                Err(self.invalid(place, format!("unknown key{hint}")))
            }
        }
    }

    /// `dryRun`, or its alias `dry_run`; never both.
    fn dry_run(&self, object: &serde_json::Map<String, Value>, at: &str) -> Result<bool, InlineConfigError> {
        let place = |key: &str| if at.is_empty() { key.to_string() } else { format!("{at}.{key}") };
        let value = match (object.get("dryRun"), object.get("dry_run")) {
            (Some(_), Some(_)) => {
                return Err(self.invalid(
                    place("dry_run"),
                    "both dryRun and dry_run are given: keep dryRun (datadog-ci's key), or one of the two",
                ))
            }
            (Some(v), None) => (v, "dryRun"),
            (None, Some(v)) => (v, "dry_run"),
            (None, None) => return Ok(false),
        };
        match value.0 {
            Value::Null => Ok(false),
            Value::Bool(b) => Ok(*b),
            _ => Err(self.invalid(place(value.1), "must be true or false")),
        }
    }

    fn rule(&self, item: &Value, at: &str, taken: &[Rule]) -> Result<Rule, InlineConfigError> {
        let rule = item.as_object().ok_or_else(|| self.invalid(at, "must be an object"))?;
        self.known_keys(rule, &RULE_KEYS, at)?;
        let name = rule.get("name").and_then(Value::as_str).filter(|n| !n.trim().is_empty());
        let name = name.ok_or_else(|| self.invalid(format!("{at}.name"), "every rule needs a name"))?;
        // The name rules of the gate files, here too.
        if let Some(problem) = gatesctl_core::escape::name_problem(name) {
            return Err(self.invalid(format!("{at}.name"), problem));
        }
        if taken.iter().any(|r| r.name == name) {
            return Err(self.invalid(format!("{at}.name"), format!("{name:?} is used twice")));
        }
        let kind = rule.get("type").and_then(Value::as_str).unwrap_or_default();
        let rule_type = RuleType::parse(kind).ok_or_else(|| {
            let names: Vec<&str> = RuleType::ALL.iter().map(|t| t.as_str()).collect();
            let hint = gatesctl_core::suggest::suggest(kind, names.iter().copied())
                .map_or_else(|| format!("one of {}", names.join(", ")), |s| format!("did you mean {s:?}?"));
            self.invalid(format!("{at}.type"), format!("unknown rule type {kind:?}: {hint}"))
        })?;
        let dry_run = self.dry_run(rule, at)?;
        let options_at = format!("{at}.options");
        let entries: Vec<(&str, &Value)> = match rule.get("options") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(o)) => o.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            Some(other) => {
                return Err(self.invalid(&options_at, format!("must be an object, not {}", View::of(other).kind())))
            }
        };
        let (options, problems) = options::decode(rule_type, &entries, Unknown::Refuse);
        if let Some(problem) = problems.first() {
            let place = if problem.place.0.is_empty() { options_at } else { format!("{options_at}.{}", problem.place) };
            return Err(self.invalid(place, problem.message()));
        }
        let options = options.expect("no problem means options");
        Ok(Rule { name: name.to_string(), dry_run, options })
    }
}

/// Reads and checks the file; every problem names its place.
pub fn read(path: &Path) -> Result<InlineGate, InlineConfigError> {
    let text = super::read::read_text(path)?;
    let file = File { path };
    let value: Value = serde_json::from_str(&text).map_err(|e| InlineConfigError::Syntax {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let top = value.as_object().ok_or_else(|| file.invalid("1:1", "expected an object with \"rules\""))?;
    file.known_keys(top, &TOP_KEYS, "")?;
    let dry_run = file.dry_run(top, "")?;
    let items =
        top.get("rules").and_then(Value::as_array).ok_or_else(|| file.invalid("rules", "must be a list of rules"))?;
    if items.is_empty() {
        return Err(file.invalid("rules", "needs at least one rule"));
    }
    let mut rules: Vec<Rule> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let rule = file.rule(item, &format!("rules[{i}]"), &rules)?;
        rules.push(rule);
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
        read(&path).map_err(|e| e.to_string().replace(&path.display().to_string(), "config.json"))
    }

    #[test]
    fn the_datadog_ci_fixture_reads() {
        let gate = read_text(r#"{"dryRun": false, "rules": [
            {"type": "monitor", "name": "error rate monitors", "dryRun": true, "options": {"query": "service:transaction-backend env:production", "duration": 300}},
            {"type": "faulty_deployment_detection", "name": "apm faulty deployment", "dry_run": false, "options": {"duration": 900, "excluded_resources": ["GET /healthcheck"]}}
        ]}"#).unwrap();
        assert_eq!(gate.rules.len(), 2);
        assert!(gate.rules[0].dry_run, "a rule's dryRun is read, as datadog-ci reads it");
        assert_eq!(gate.rules[1].rule_type(), RuleType::FaultyDeploymentDetection);
    }

    #[test]
    fn problems_are_located() {
        assert!(read_text("{\n  \"rules\": [,]\n}").unwrap_err().starts_with("config.json:2:"));
        assert_eq!(read_text(r#"{"rules": []}"#).unwrap_err(), "config.json:rules: needs at least one rule");
        let e = read_text(
            "{\"rules\": [{\"name\": \"a\\u001b[31mb\", \"type\": \"monitor\", \"options\": {\"query\": \"x\"}}]}",
        )
        .unwrap_err();
        assert!(e.to_string().contains("rules[0].name") && e.to_string().contains("printable text only"), "{e}");
        let e = read_text(r#"{"rules": [{"name": "a", "type": "monitr", "options": {"query": "x"}}]}"#).unwrap_err();
        assert_eq!(e, "config.json:rules[0].type: unknown rule type \"monitr\": did you mean \"monitor\"?");
        let e = read_text(r#"{"rules": [{"name": "a", "type": "monitor", "options": {"query": "x", "duratoin": 3}}]}"#)
            .unwrap_err();
        assert_eq!(e, "config.json:rules[0].options.duratoin: unknown key (did you mean `duration`?)");
        let e =
            read_text(r#"{"rules": [{"name": "a", "type": "monitor", "dryrun": true, "options": {"query": "x"}}]}"#)
                .unwrap_err();
        assert_eq!(e, "config.json:rules[0].dryrun: unknown key (did you mean \"dryRun\"?)");
        let e = read_text(r#"{"dryRun": true, "dry_run": true, "rules": [{"name": "a", "type": "monitor", "options": {"query": "x"}}]}"#)
            .unwrap_err();
        assert!(e.starts_with("config.json:dry_run: both dryRun and dry_run"), "{e}");
    }
}
