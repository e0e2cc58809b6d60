//! What an apply did, as a versioned JSON document (`apply --format json`, schema
//! `schemas/apply.schema.json`), and the counts by kind that end the text.

use schemars::JsonSchema;
use serde::Serialize;

use super::json::GateRef;
use crate::apply::{Outcome, Report, Status, Verb};

/// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
pub const FORMAT_VERSION: &str = "1.0";

/// A gatesctl apply.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl apply")]
pub struct ApplyDocument {
    pub format_version: String,
    pub gatesctl_version: String,
    /// The API applied to: a base URL (without credentials), or the built-in sandbox.
    pub api: String,
    /// `complete` (every action done, or nothing to do), `incomplete` (some failed or were
    /// skipped) or `stopped` (interrupted; the rest not started).
    pub outcome: ApplyOutcome,
    pub summary: ApplySummary,
    /// Every action of the plan, in plan order.
    pub actions: Vec<ActionDocument>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplyOutcome {
    Complete,
    Incomplete,
    Stopped,
}

/// Actions by what they did: done ones by verb, the others by status.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct ApplySummary {
    pub gates: KindCounts,
    pub rules: KindCounts,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub struct KindCounts {
    pub created: usize,
    pub updated: usize,
    pub replaced: usize,
    pub deleted: usize,
    pub failed: usize,
    pub skipped: usize,
    pub not_started: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ActionDocument {
    /// `service/env/identifier` for a gate, `service/env/identifier/rules/NAME` for a rule, as
    /// in the plan.
    pub address: String,
    pub kind: super::json::ResourceKind,
    pub gate: GateRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    pub action: Verb,
    pub status: ActionStatus,
    /// Why it failed, was skipped, or was not started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Worth knowing besides the status: a rule found made already, a twin taken back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActionStatus {
    Done,
    Failed,
    Skipped,
    NotStarted,
}

fn status(o: &Outcome) -> (ActionStatus, Option<String>) {
    match &o.status {
        Status::Done => (ActionStatus::Done, None),
        Status::Failed(e) => (ActionStatus::Failed, Some(e.clone())),
        Status::Skipped(why) => (ActionStatus::Skipped, Some(why.clone())),
        Status::NotStarted => (ActionStatus::NotStarted, Some("the apply was stopped before its gate began".into())),
    }
}

fn summary(report: &Report) -> ApplySummary {
    let mut out = ApplySummary::default();
    for o in &report.outcomes {
        let counts = if o.rule.is_some() { &mut out.rules } else { &mut out.gates };
        let slot = match (&o.status, o.verb) {
            (Status::Done, Verb::Create) => &mut counts.created,
            (Status::Done, Verb::Update) => &mut counts.updated,
            (Status::Done, Verb::Replace) => &mut counts.replaced,
            (Status::Done, Verb::Delete) => &mut counts.deleted,
            (Status::Failed(_), _) => &mut counts.failed,
            (Status::Skipped(_), _) => &mut counts.skipped,
            (Status::NotStarted, _) => &mut counts.not_started,
        };
        *slot += 1;
    }
    out
}

pub(crate) fn render_json(report: &Report, api: &str, stopped: bool) -> String {
    let outcome = match (stopped, report.is_success()) {
        (true, _) => ApplyOutcome::Stopped,
        (false, true) => ApplyOutcome::Complete,
        (false, false) => ApplyOutcome::Incomplete,
    };
    let actions = report
        .outcomes
        .iter()
        .map(|o| {
            let (status, reason) = status(o);
            let address = match &o.rule {
                Some(rule) => format!("{}/rules/{rule}", o.gate),
                None => o.gate.to_string(),
            };
            ActionDocument {
                address,
                kind: if o.rule.is_some() { super::json::ResourceKind::Rule } else { super::json::ResourceKind::Gate },
                gate: (&o.gate).into(),
                rule: o.rule.clone(),
                action: o.verb,
                status,
                reason,
                note: o.note.clone(),
            }
        })
        .collect();
    let document = ApplyDocument {
        format_version: FORMAT_VERSION.into(),
        gatesctl_version: env!("CARGO_PKG_VERSION").into(),
        api: api.to_string(),
        outcome,
        summary: summary(report),
        actions,
    };
    super::json::pretty(&document)
}

pub fn schema_json() -> String {
    crate::config::wire::published(schemars::schema_for!(ApplyDocument), "apply.schema.json")
}

/// "12 gates created, 16 rules created, 1 rule failed": what the apply did, by kind.
pub(crate) fn by_kind(report: &Report) -> String {
    let s = summary(report);
    let mut parts = Vec::new();
    for (counts, one, many) in [(&s.gates, "gate", "gates"), (&s.rules, "rule", "rules")] {
        for (n, done) in [
            (counts.created, "created"),
            (counts.updated, "updated"),
            (counts.replaced, "replaced"),
            (counts.deleted, "deleted"),
            (counts.failed, "failed"),
            (counts.skipped, "skipped"),
            (counts.not_started, "not started"),
        ] {
            if n > 0 {
                parts.push(format!("{} {done}", crate::output::plural(n, one, many)));
            }
        }
    }
    parts.join(", ")
}
