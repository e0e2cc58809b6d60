//! Gate evaluations in the sandbox, with outcomes chosen by markers so tests and demos can
//! exercise pass, fail and slow evaluations:
//! - a monitor rule whose query contains `sandbox:fail` fails;
//! - a faulty-deployment-detection rule fails when the deployed `version` contains `faulty`;
//! - a rule whose name is listed in `--fail-rule` fails;
//! - every other rule passes.
//!
//! An evaluation answers 404 for its first `not_found_polls` polls, then `in_progress` for
//! `pending_polls` polls, then its result. A gate in dry run always answers `pass`, with the
//! real result of each rule, as the service does.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Value};

use super::{attributes, bad, check_options, jsonapi, parse_body, Fail, Reply, Shared};

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
        EvalSettings { not_found_polls: 1, pending_polls: 2, fail_rules: Vec::new() }
    }
}

pub(super) struct Evaluation {
    gate_id: String,
    dry_run: bool,
    rules: Vec<RuleOutcome>,
    polls: u32,
}

struct RuleOutcome {
    name: String,
    dry_run: bool,
    pass: bool,
    reason: String,
}

fn outcome(
    settings: &EvalSettings,
    name: &str,
    rule_type: &str,
    dry_run: bool,
    options: &Value,
    version: Option<&str>,
) -> RuleOutcome {
    let (pass, reason) = if settings.fail_rules.iter().any(|f| f == name) {
        (false, "Rule configured to fail in the sandbox (--fail-rule)".to_string())
    } else if rule_type == "monitor" {
        let query = options.get("query").and_then(Value::as_str).unwrap_or_default();
        if query.contains("sandbox:fail") {
            (false, "One or more monitors in ALERT state".to_string())
        } else {
            (true, "All monitors in OK state".to_string())
        }
    } else if version.is_some_and(|v| v.contains("faulty")) {
        (false, "Faulty deployment detected: error rate increased on 1 resource".to_string())
    } else {
        (true, "No faulty deployment detected".to_string())
    };
    RuleOutcome { name: name.to_string(), dry_run, pass, reason }
}

pub(super) async fn trigger(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let text = |name: &str| attrs.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let service = text("service").ok_or_else(|| bad("attribute \"service\" is required"))?;
    let env = text("env").ok_or_else(|| bad("attribute \"env\" is required"))?;
    let identifier = text("identifier").unwrap_or(crate::model::DEFAULT_IDENTIFIER);
    let version = text("version");
    let settings = &shared.options.eval;

    let (gate_id, dry_run, rules) = match attrs.get("configuration").filter(|c| !c.is_null()) {
        // Just-in-time: the rules come with the request instead of from a stored gate.
        Some(config) => {
            let dry_run = config.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
            let items = config
                .get("rules")
                .and_then(Value::as_array)
                .ok_or_else(|| bad("attribute \"configuration.rules\" is required"))?;
            let mut rules = Vec::new();
            for item in items {
                let name =
                    item.get("name").and_then(Value::as_str).ok_or_else(|| bad("attribute \"name\" is required"))?;
                let rule_type = item.get("type").and_then(Value::as_str).unwrap_or_default();
                let options = check_options(rule_type, item.get("options"))?;
                let rule_dry_run = item.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
                rules.push((name.to_string(), rule_type.to_string(), rule_dry_run, options));
            }
            (String::new(), dry_run, rules)
        }
        None => {
            let store = shared.store.lock().unwrap();
            let gate = store
                .gates
                .iter()
                .find(|g| g.service == service && g.env == env && g.identifier == identifier)
                .ok_or_else(|| {
                    Fail(
                        StatusCode::NOT_FOUND,
                        format!("no gate found for service {service}, env {env}, and identifier {identifier}"),
                    )
                })?;
            let rules = gate
                .rules
                .iter()
                .map(|r| (r.name.clone(), r.rule_type.clone(), r.dry_run, r.options.clone()))
                .collect();
            (gate.id.clone(), gate.dry_run, rules)
        }
    };
    if version.is_none() && rules.iter().any(|(_, t, _, _)| t == "faulty_deployment_detection") {
        return Err(bad("attribute \"version\" is required for faulty deployment detection rules"));
    }
    let rules = rules.iter().map(|(name, t, d, o)| outcome(settings, name, t, *d, o, version)).collect();
    let id = uuid::Uuid::new_v4().to_string();
    shared.evaluations.lock().unwrap().insert(id.clone(), Evaluation { gate_id, dry_run, rules, polls: 0 });
    Ok(jsonapi(
        StatusCode::ACCEPTED,
        json!({"data": {"id": id, "type": "deployment_gates_evaluation_response", "attributes": {"evaluation_id": id}}}),
    ))
}

pub(super) async fn result(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    let settings = &shared.options.eval;
    let mut evaluations = shared.evaluations.lock().unwrap();
    let Some(eval) = evaluations.get_mut(&id) else {
        return Err(Fail(StatusCode::NOT_FOUND, "Evaluation does not exist".into()));
    };
    eval.polls += 1;
    if eval.polls <= settings.not_found_polls {
        return Err(Fail(StatusCode::NOT_FOUND, "Evaluation does not exist".into()));
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
            let status = if i >= done {
                "in_progress"
            } else if r.pass {
                "pass"
            } else {
                "fail"
            };
            let reason = if i >= done { Value::Null } else { Value::from(r.reason.clone()) };
            json!({"name": r.name, "status": status, "dry_run": r.dry_run, "reason": reason})
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
