//! Gate evaluations in the sandbox, decided as the service decides them where the sandbox
//! knows enough, and by markers elsewhere, so tests and demos can exercise pass, fail and
//! slow evaluations:
//! - a monitor rule watches the monitors its query matches (see [`super::monitors`]), or those
//!   its `monitor_ids` name (and of them the groups named, none meaning every group). It fails
//!   when more than 50 monitors match, when a monitor named by id does not exist, when a
//!   watched group is in ALERT, or in NO DATA with `fail_on_no_data` (the default); when it
//!   finds no group to watch it fails only with `fail_on_no_groups_found`, and otherwise
//!   passes, watching nothing. Its monitors are looked at once `warmup` seconds have passed:
//!   until then the rule is in progress;
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
//! Every evaluation is kept in the state's history (see [`super::history`]).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::{json, Map, Value};

use super::db::{self, Refusal};
use super::jsonapi::{attributes, bad, check_id, jsonapi, new_id, parse_body, Reply};
use super::monitors::{Monitor, MonitorStatus, Search};
use super::options::{self, Kind, MonitorRule, Watch};
use super::shared::Shared;
use super::store::{StoredEvaluation, StoredRuleEvaluation};
use gatesctl_core::model::evaluation::{gate_blocks, RuleOutcome};
use gatesctl_core::model::MAX_MONITORS_PER_RULE;

/// A rule's verdict: pass or not, why, and what failed.
struct Outcome {
    pass: bool,
    reason: String,
    failures: Value,
}

impl Outcome {
    fn new(pass: bool, reason: impl Into<String>) -> Outcome {
        Outcome { pass, reason: reason.into(), failures: db::evaluations::empty_failures() }
    }
}

/// A monitor rule's verdict over the sandbox's monitors, with the service's reasons.
fn monitor_outcome(base_url: &str, settings: &MonitorRule, monitors: &[Monitor]) -> Outcome {
    // Every (monitor, group, state) watched.
    let mut watched: Vec<(&Monitor, &str, MonitorStatus)> = Vec::new();
    match &settings.watch {
        Watch::Query(query) => {
            let search = match Search::parse(query) {
                Ok(search) => search,
                Err(reason) => return Outcome::new(false, format!("Invalid monitor query: {reason}")),
            };
            let found = search.run(monitors);
            if found.len() as u64 > MAX_MONITORS_PER_RULE {
                return Outcome::new(
                    false,
                    format!("More than {MAX_MONITORS_PER_RULE} monitors match the query ({})", found.len()),
                );
            }
            if found.is_empty() {
                return if settings.fail_on_no_groups_found {
                    Outcome::new(false, "No monitors match the query")
                } else {
                    Outcome::new(true, "No monitors match the query; nothing to watch (fail_on_no_groups_found is off)")
                };
            }
            for m in found {
                watched.extend(m.group_states().into_iter().map(|(g, s)| (m, g, s)));
            }
        }
        Watch::Monitors(ids) => {
            for wanted in ids {
                let Some(m) = monitors.iter().find(|m| m.id == wanted.id) else {
                    return Outcome::new(false, format!("Monitor {} not found", wanted.id));
                };
                watched.extend(
                    m.group_states()
                        .into_iter()
                        .filter(|(g, _)| wanted.groups.is_empty() || wanted.groups.iter().any(|w| w == g))
                        .map(|(g, s)| (m, g, s)),
                );
            }
            if watched.is_empty() {
                return if settings.fail_on_no_groups_found {
                    Outcome::new(false, "No monitor groups found")
                } else {
                    Outcome::new(true, "No monitor groups found; nothing to watch (fail_on_no_groups_found is off)")
                };
            }
        }
    }
    for (status, name, counts) in
        [(MonitorStatus::Alert, "ALERT", true), (MonitorStatus::NoData, "NO_DATA", settings.fail_on_no_data)]
    {
        let failing: Vec<&(&Monitor, &str, MonitorStatus)> = watched.iter().filter(|(_, _, s)| *s == status).collect();
        if counts && !failing.is_empty() {
            let mut outcome = Outcome::new(false, format!("One or more monitors in {name} state"));
            outcome.failures["monitors"] = failing
                .iter()
                .map(|(m, group, s)| {
                    let mut entry =
                        json!({"id": m.id.to_string(), "state": s.as_str(), "url": format!("{base_url}/monitors/{}", m.id)});
                    if !group.is_empty() {
                        entry["group"] = Value::from(*group);
                    }
                    entry
                })
                .collect();
            return outcome;
        }
    }
    Outcome::new(true, "All monitors in OK state")
}

/// A rule's verdict, and how long its monitors wait after the deploy starts (`warmup`).
fn outcome(shared: &Shared, rule: &RuleToEvaluate, version: Option<&str>) -> (Outcome, u64) {
    let kind = Kind::parse(&rule.rule_type).unwrap_or(Kind::Monitor);
    let monitor = match kind {
        Kind::Monitor => match options::monitor_rule(&rule.options) {
            Ok(monitor) => Some(monitor),
            Err(e) => return (Outcome::new(false, format!("Invalid rule options: {e}")), 0),
        },
        Kind::FaultyDeploymentDetection => None,
    };
    let warmup = monitor.as_ref().map_or(0, |m| m.warmup);
    if shared.options.eval.fail_rules.contains(&rule.name) {
        return (Outcome::new(false, "Rule configured to fail in the sandbox (--fail-rule)"), warmup);
    }
    let outcome = match monitor {
        Some(monitor) => monitor_outcome(&shared.base_url, &monitor, &shared.monitors),
        None => match version {
            None => {
                Outcome::new(false, "No version was given: faulty deployment detection compares the version deployed")
            }
            Some(v) if v.contains("faulty") => {
                let mut outcome = Outcome::new(false, "Faulty deployment detected: error rate increased on 1 resource");
                outcome.failures["faulty_apm_resources"] = json!(["GET /checkout"]);
                outcome
            }
            Some(_) => Outcome::new(true, "No faulty deployment detected"),
        },
    };
    (outcome, warmup)
}

/// A rule to evaluate: its id (none inline), name, type, dry run and options as stored.
struct RuleToEvaluate {
    id: Option<String>,
    name: String,
    rule_type: String,
    dry_run: bool,
    options: Value,
}

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
        // The inline schema is narrower than a stored rule's: monitor rules take a query and a
        // duration only.
        let allowed: &[&str] = match rule_type {
            "faulty_deployment_detection" => &["duration", "excluded_resources", "allowed_resources"],
            _ => &["query", "duration"],
        };
        if let Some(Value::Object(given)) = item.get("options") {
            if let Some(key) = given.keys().find(|k| !allowed.contains(&k.as_str())) {
                return Err(bad(format!(
                    "attribute \"configuration.rules.options.{key}\" is not allowed in an inline configuration (a {rule_type} rule takes {})",
                    allowed.join(", ")
                )));
            }
        }
        let options = options::check(rule_type, item.get("options"), drop_empty_lists)?;
        let dry_run = item.get("dry_run").and_then(Value::as_bool).unwrap_or(false);
        rules.push(RuleToEvaluate {
            id: None,
            name: name.to_string(),
            rule_type: rule_type.to_string(),
            dry_run,
            options,
        });
    }
    Ok((dry_run, rules))
}

pub(super) async fn trigger(State(shared): State<Arc<Shared>>, body: Bytes) -> Reply {
    let body = parse_body(&body)?;
    let attrs = attributes(&body)?;
    let text = |name: &str| attrs.get(name).and_then(Value::as_str).filter(|s| !s.is_empty());
    let service = text("service").ok_or_else(|| bad("required service field is missing"))?.to_string();
    let env = text("env").ok_or_else(|| bad("required env field is missing"))?.to_string();
    let identifier = text("identifier").unwrap_or(gatesctl_core::model::DEFAULT_IDENTIFIER).to_string();
    let version = text("version").map(str::to_string);

    let (gate_id, dry_run, rules) = match attrs.get("configuration").filter(|c| !c.is_null()) {
        // Just-in-time: the rules come with the request instead of from a stored gate.
        Some(config) => {
            let (dry_run, rules) = inline_rules(config, shared.options.faults.drop_empty_lists)?;
            (None, dry_run, rules)
        }
        None => {
            let (service, env, identifier) = (service.clone(), env.clone(), identifier.clone());
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
                        .map(|r| RuleToEvaluate {
                            id: Some(r.id),
                            name: r.name,
                            rule_type: r.rule_type,
                            dry_run: r.dry_run,
                            options: r.options,
                        })
                        .collect::<Vec<_>>();
                    Ok((Some(gate.id), gate.dry_run, rules))
                })
                .await?
        }
    };
    let started = gatesctl_core::model::time::now_ms();
    let mut longest_warmup = 0;
    let rules: Vec<StoredRuleEvaluation> = rules
        .into_iter()
        .map(|r| {
            let (verdict, warmup) = outcome(&shared, &r, version.as_deref());
            longest_warmup = longest_warmup.max(warmup);
            StoredRuleEvaluation {
                id: String::new(),
                rule_id: r.id,
                name: r.name,
                rule_type: r.rule_type,
                dry_run: r.dry_run,
                configuration: r.options,
                status: if verdict.pass { "pass" } else { "fail" }.to_string(),
                reason: verdict.reason,
                failures: verdict.failures,
                warmup,
            }
        })
        .collect();
    let blocks =
        gate_blocks(dry_run, rules.iter().map(|r| RuleOutcome { dry_run: r.dry_run, failed: r.status == "fail" }));
    let id = new_id();
    let finished = started.saturating_add(i64::try_from(longest_warmup.saturating_mul(1000)).unwrap_or(i64::MAX / 2));
    let evaluation = StoredEvaluation {
        id: id.clone(),
        gate_id,
        service,
        env,
        identifier,
        version: version.unwrap_or_default(),
        dry_run,
        started_at: db::evaluations::rfc3339(started),
        finished_at: Some(db::evaluations::rfc3339(finished)),
        status: if blocks { "fail" } else { "pass" }.to_string(),
        rules,
    };
    shared.db.run(move |conn| db::record_evaluation(conn, &evaluation)).await?;
    Ok(jsonapi(
        StatusCode::ACCEPTED,
        json!({"data": {"id": id, "type": "deployment_gates_evaluation_response", "attributes": {"evaluation_id": id}}}),
    ))
}

/// How long after it started an evaluation is answered as a client polling it sees it come.
const FRESH_MS: i64 = 60_000;
/// The gate of an evaluation without one.
const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";

pub(super) async fn result(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Reply {
    check_id(&id, "id")?;
    let settings = &shared.options.eval;
    let not_found = || Refusal::new(404, format!("gate evaluation with id {id} not found"));
    let key = id.clone();
    let (eval, polls) = shared.db.run(move |conn| db::evaluation(conn, &key)).await?.ok_or_else(not_found)?;
    let now = gatesctl_core::model::time::now_ms();
    let started = gatesctl_core::model::time::parse_rfc3339(&eval.started_at).unwrap_or(now);
    let finished = eval.finished_at.as_deref().and_then(|f| gatesctl_core::model::time::parse_rfc3339(f).ok());
    // A client polling an evaluation it just triggered sees it appear, then its rules finish one
    // share per poll; one from the history answers what the history says, at once.
    let fresh = now - started < FRESH_MS;
    if fresh && polls <= settings.not_found_polls {
        return Err(not_found());
    }
    let progress = if fresh { polls - settings.not_found_polls } else { u32::MAX };
    let total = eval.rules.len();
    // Rules complete one share per poll, so a waiting client can show progress, and none
    // before its warmup has passed.
    let share = if progress <= settings.pending_polls {
        total * progress as usize / (settings.pending_polls as usize + 1)
    } else {
        total
    };
    let warmed = |r: &StoredRuleEvaluation| now >= started.saturating_add(r.warmup as i64 * 1000);
    let over = fresh || finished.is_none_or(|f| f <= now);
    let done: Vec<bool> = eval.rules.iter().enumerate().map(|(i, r)| i < share && warmed(r) && over).collect();
    let rules: Vec<Value> = eval
        .rules
        .iter()
        .zip(&done)
        .map(|(r, done)| {
            let mut rule = Map::new();
            rule.insert("name".into(), Value::from(r.name.clone()));
            rule.insert("dry_run".into(), Value::from(r.dry_run));
            // Unfinished rules carry no reason at all, as the service answers them.
            if *done {
                rule.insert("status".into(), Value::from(r.status.clone()));
                rule.insert("reason".into(), Value::from(r.reason.clone()));
            } else {
                rule.insert("status".into(), Value::from("in_progress"));
            }
            Value::Object(rule)
        })
        .collect();
    let pending = progress <= settings.pending_polls || !done.iter().all(|d| *d) || !over;
    let status = if pending { "in_progress" } else { eval.status.as_str() };
    let url = format!(
        "{}/ci/deployment-gates/evaluations?index=cdgates&query=level%3Agate+%40evaluation_id%3A{id}",
        shared.base_url
    );
    let mut attributes = json!({
        "dry_run": eval.dry_run, "evaluation_id": id, "evaluation_url": url, "gate_status": status, "rules": rules,
    });
    // Every result names a gate by its UUID, as the official clients require; an inline
    // evaluation (no gate behind it) or one whose gate the sandbox does not know, the nil UUID.
    attributes["gate_id"] = Value::from(eval.gate_id.unwrap_or_else(|| NIL_UUID.to_string()));
    Ok(jsonapi(
        StatusCode::OK,
        json!({"data": {"id": id, "type": "deployment_gates_evaluation_result_response", "attributes": attributes}}),
    ))
}
