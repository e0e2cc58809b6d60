//! Gate evaluations in the sandbox, decided as the service decides them where the sandbox
//! knows enough, and by markers elsewhere, so tests and demos can exercise pass, fail and
//! slow evaluations:
//! - a monitor rule searches the sandbox's monitors with its query (see [`super::monitors`]):
//!   it fails when no monitor or more than 50 match, or when a matching monitor is in ALERT or
//!   NO_DATA, as Datadog documents, and passes otherwise;
//! - a faulty-deployment-detection rule fails when the deployed `version` contains `faulty`,
//!   or when no `version` is given (the service accepts the trigger, but the rule has nothing
//!   to compare);
//! - a rule whose name is listed in `--fail-rule` fails;
//! - every other rule passes.
//!
//! An evaluation answers 404 for its first `not_found_polls` polls (0 by default: the service
//! was recorded answering `in_progress` at once, and was seen answering 404 for a few
//! seconds), then `in_progress` for `pending_polls` polls, then its result. A gate in dry run
//! always answers `pass`, with the real result of each rule, as the service does.
//! Evaluations are kept in memory, at most [`KEPT`] of them and for at most [`KEPT_FOR`].

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::db::{self, Refusal};
use super::monitors::{Monitor, MonitorStatus, Search};
use super::{attributes, bad, check_id, check_options, jsonapi, parse_body, Reply, Shared};
use crate::model::MAX_MONITORS_PER_RULE;

/// Evaluations remembered at most, and for at most this long.
const KEPT: usize = 10_000;
const KEPT_FOR: Duration = Duration::from_secs(3600);

#[derive(Clone, Debug)]
pub struct EvalSettings {
    /// Polls answered 404 right after the trigger.
    pub not_found_polls: u32,
    /// Polls answered `in_progress` after those.
    pub pending_polls: u32,
    /// Rule names that always fail.
    pub fail_rules: Vec<String>,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings { not_found_polls: 0, pending_polls: 2, fail_rules: Vec::new() }
    }
}

struct Evaluation {
    gate_id: String,
    dry_run: bool,
    rules: Vec<RuleOutcome>,
    polls: u32,
    started: Instant,
}

struct RuleOutcome {
    name: String,
    dry_run: bool,
    pass: bool,
    reason: String,
}

/// The evaluations of this process, oldest first for eviction.
#[derive(Default)]
pub(super) struct Evaluations {
    inner: Mutex<(HashMap<String, Evaluation>, VecDeque<String>)>,
}

impl Evaluations {
    fn insert(&self, id: String, evaluation: Evaluation) {
        let mut guard = self.inner.lock().unwrap();
        let (map, order) = &mut *guard;
        while order.len() >= KEPT
            || order.front().and_then(|oldest| map.get(oldest)).is_some_and(|e| e.started.elapsed() > KEPT_FOR)
        {
            let Some(oldest) = order.pop_front() else { break };
            map.remove(&oldest);
        }
        order.push_back(id.clone());
        map.insert(id, evaluation);
    }
}

/// A monitor rule's verdict over the sandbox's monitors, with the service's reasons.
fn monitor_outcome(query: &str, monitors: &[Monitor]) -> (bool, String) {
    let search = match Search::parse(query) {
        Ok(search) => search,
        Err(reason) => return (false, format!("Invalid monitor query: {reason}")),
    };
    let found = search.run(monitors);
    if found.is_empty() {
        return (false, "No monitors match the query".to_string());
    }
    if found.len() as u64 > MAX_MONITORS_PER_RULE {
        return (false, format!("More than {MAX_MONITORS_PER_RULE} monitors match the query ({})", found.len()));
    }
    for (status, name) in [(MonitorStatus::Alert, "ALERT"), (MonitorStatus::NoData, "NO_DATA")] {
        if found.iter().any(|m| m.status == status) {
            return (false, format!("One or more monitors in {name} state"));
        }
    }
    (true, "All monitors in OK state".to_string())
}

fn outcome(
    settings: &EvalSettings,
    monitors: &[Monitor],
    name: &str,
    rule_type: &str,
    dry_run: bool,
    options: &Value,
    version: Option<&str>,
) -> RuleOutcome {
    let (pass, reason) = if settings.fail_rules.iter().any(|f| f == name) {
        (false, "Rule configured to fail in the sandbox (--fail-rule)".to_string())
    } else if rule_type == "monitor" {
        monitor_outcome(options.get("query").and_then(Value::as_str).unwrap_or_default(), monitors)
    } else {
        match version {
            None => {
                (false, "No version was given: faulty deployment detection compares the version deployed".to_string())
            }
            Some(v) if v.contains("faulty") => {
                (false, "Faulty deployment detected: error rate increased on 1 resource".to_string())
            }
            Some(_) => (true, "No faulty deployment detected".to_string()),
        }
    };
    RuleOutcome { name: name.to_string(), dry_run, pass, reason }
}

/// A rule to evaluate: its name, type, dry run and options.
type RuleToEvaluate = (String, String, bool, Value);

/// The rules of an inline `configuration`, checked as a rule create would be.
fn inline_rules(config: &Value, drop_empty_lists: bool) -> Result<(bool, Vec<RuleToEvaluate>), Refusal> {
    let dry_run = config.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
    let items = config
        .get("rules")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("attribute \"configuration.rules\" is required"))?;
    if items.is_empty() {
        return Err(bad("attribute \"configuration.rules\" must contain at least one rule"));
    }
    let mut rules = Vec::new();
    for item in items {
        let name = item.get("name").and_then(Value::as_str).ok_or_else(|| bad("attribute \"name\" is required"))?;
        let rule_type = item.get("type").and_then(Value::as_str).unwrap_or_default();
        let options = check_options(rule_type, item.get("options"), drop_empty_lists)?;
        let rule_dry_run = item.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
        rules.push((name.to_string(), rule_type.to_string(), rule_dry_run, options));
    }
    Ok((dry_run, rules))
}

pub(super) async fn trigger(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let text = |name: &str| attrs.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let service = text("service").ok_or_else(|| bad("required service field is missing"))?.to_string();
    let env = text("env").ok_or_else(|| bad("required env field is missing"))?.to_string();
    let identifier = text("identifier").unwrap_or(crate::model::DEFAULT_IDENTIFIER).to_string();
    let version = text("version").map(str::to_string);
    let settings = &shared.options.eval;

    let (gate_id, dry_run, rules) = match attrs.get("configuration").filter(|c| !c.is_null()) {
        // Just-in-time: the rules come with the request instead of from a stored gate.
        Some(config) => {
            let (dry_run, rules) = inline_rules(config, shared.options.faults.drop_empty_lists)?;
            (String::new(), dry_run, rules)
        }
        None => {
            shared
                .db
                .run(move |conn| {
                    let gate = db::gate_by_key(conn, &service, &env, &identifier)?.ok_or_else(|| {
                        Refusal::new(
                            404,
                            format!("no gate found for service {service}, env {env}, and identifier {identifier}"),
                        )
                    })?;
                    let rules = db::rules_of(conn, &gate.id)?
                        .into_iter()
                        .map(|r| (r.name, r.rule_type, r.dry_run, r.options))
                        .collect();
                    Ok((gate.id, gate.dry_run, rules))
                })
                .await?
        }
    };
    let rules = rules
        .iter()
        .map(|(name, t, d, o)| outcome(settings, &shared.monitors, name, t, *d, o, version.as_deref()))
        .collect();
    let id = uuid::Uuid::new_v4().to_string();
    let evaluation = Evaluation { gate_id, dry_run, rules, polls: 0, started: Instant::now() };
    shared.evaluations.insert(id.clone(), evaluation);
    Ok(jsonapi(
        StatusCode::ACCEPTED,
        json!({"data": {"id": id, "type": "deployment_gates_evaluation_response", "attributes": {"evaluation_id": id}}}),
    ))
}

pub(super) async fn result(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    let settings = &shared.options.eval;
    let not_found = || Refusal::new(404, format!("gate evaluation with id {id} not found"));
    let mut guard = shared.evaluations.inner.lock().unwrap();
    let eval = guard.0.get_mut(&id).ok_or_else(not_found)?;
    eval.polls += 1;
    if eval.polls <= settings.not_found_polls {
        return Err(not_found());
    }
    let progress = eval.polls - settings.not_found_polls;
    let pending = progress <= settings.pending_polls;
    let total = eval.rules.len();
    // Rules complete one share per poll, so a waiting client can show progress.
    let done = if pending { total * progress as usize / (settings.pending_polls as usize + 1) } else { total };
    let rules: Vec<Value> = eval
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut rule = Map::new();
            rule.insert("name".into(), Value::from(r.name.clone()));
            rule.insert("dry_run".into(), Value::from(r.dry_run));
            // Unfinished rules carry no reason at all, as the service answers them.
            if i < done {
                rule.insert("status".into(), Value::from(if r.pass { "pass" } else { "fail" }));
                rule.insert("reason".into(), Value::from(r.reason.clone()));
            } else {
                rule.insert("status".into(), Value::from("in_progress"));
            }
            Value::Object(rule)
        })
        .collect();
    // A rule in dry run reports its result but never fails the gate; a gate in dry run never fails.
    let failed = eval.rules.iter().any(|r| !r.pass && !r.dry_run);
    let status = if pending {
        "in_progress"
    } else if failed && !eval.dry_run {
        "fail"
    } else {
        "pass"
    };
    let url = format!(
        "{}/ci/deployment-gates/evaluations?index=cdgates&query=level%3Agate+%40evaluation_id%3A{id}",
        shared.base_url
    );
    Ok(jsonapi(
        StatusCode::OK,
        json!({"data": {"id": id, "type": "deployment_gates_evaluation_result_response", "attributes": {
            "dry_run": eval.dry_run, "evaluation_id": id, "evaluation_url": url, "gate_id": eval.gate_id,
            "gate_status": status, "rules": rules,
        }}}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluations_kept_are_bounded() {
        let evaluations = Evaluations::default();
        for i in 0..KEPT + 5 {
            let e =
                Evaluation { gate_id: String::new(), dry_run: false, rules: vec![], polls: 0, started: Instant::now() };
            evaluations.insert(format!("e{i}"), e);
        }
        let guard = evaluations.inner.lock().unwrap();
        assert_eq!((guard.0.len(), guard.1.len()), (KEPT, KEPT));
        assert!(!guard.0.contains_key("e0") && guard.0.contains_key(&format!("e{}", KEPT + 4)), "the oldest go first");
    }
}
