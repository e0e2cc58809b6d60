//! What an apply did, as a versioned JSON document (`apply --format json`, schema
//! `schemas/apply.schema.json`), and the counts by kind that end the text.

use schemars::JsonSchema;
use serde::Serialize;

use super::GateRef;
use crate::ops::apply::outcome::{Outcome, Report, Status, Verb};

/// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
pub(crate) const FORMAT_VERSION: &str = "1.0";

/// A gatesctl apply.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl apply")]
pub(crate) struct ApplyDocument {
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    /// The API applied to: a base URL (without credentials), or the built-in sandbox.
    pub(crate) api: String,
    /// `complete` (every action done, or nothing to do), `incomplete` (some failed or were
    /// skipped) or `stopped` (interrupted; the rest not started).
    pub(crate) outcome: ApplyOutcome,
    pub(crate) summary: ApplySummary,
    /// Every action of the plan, in plan order.
    pub(crate) actions: Vec<ActionDocument>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ApplyOutcome {
    Complete,
    Incomplete,
    Stopped,
}

/// Actions by what they did: done ones by verb, the others by status.
#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct ApplySummary {
    pub(crate) gates: KindCounts,
    pub(crate) rules: KindCounts,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct KindCounts {
    pub(crate) created: usize,
    pub(crate) updated: usize,
    pub(crate) replaced: usize,
    pub(crate) deleted: usize,
    pub(crate) failed: usize,
    pub(crate) skipped: usize,
    pub(crate) not_started: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ActionDocument {
    /// `service/env/identifier` for a gate, `service/env/identifier/rules/NAME` for a rule, as
    /// in the plan.
    pub(crate) address: String,
    pub(crate) kind: super::plan::json::ResourceKind,
    pub(crate) gate: GateRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rule: Option<String>,
    pub(crate) action: Verb,
    pub(crate) status: ActionStatus,
    /// Why it failed, was skipped, or was not started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    /// Worth knowing besides the status: a rule found made already, a twin taken back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ActionStatus {
    Done,
    Failed,
    Skipped,
    NotStarted,
}

fn status(o: &Outcome) -> (ActionStatus, Option<String>) {
    match &o.status {
        Status::Done => (ActionStatus::Done, None),
        Status::Failed(e) => (ActionStatus::Failed, Some(e.to_string())),
        Status::Skipped(why) => (ActionStatus::Skipped, Some(why.to_string())),
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
                kind: if o.rule.is_some() {
                    super::plan::json::ResourceKind::Rule
                } else {
                    super::plan::json::ResourceKind::Gate
                },
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
    super::pretty(&document)
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(ApplyDocument), "apply.schema.json")
}

/// One action's line, as it lands and again in the list of what was not done.
pub(crate) fn outcome_line(o: &Outcome, p: super::Palette) -> String {
    let line = match &o.status {
        Status::Done => format!("  {} {}: {}", p.create("✓"), o.gate, o.action),
        Status::Failed(e) => format!("  {} {}: {}: {e}", p.delete("✗"), o.gate, o.action),
        Status::Skipped(why) => format!("  {} {}: {} skipped: {why}", p.dim("-"), o.gate, o.action),
        Status::NotStarted => format!("  {} {}: {} not started", p.dim("-"), o.gate, o.action),
    };
    match &o.note {
        Some(note) => format!("{line} ({note})"),
        None => line,
    }
}

/// The text's end: the verdict, the counts, and what the apply did by kind.
pub(crate) fn render_text_summary(report: &Report, stopped: bool, p: super::Palette) -> String {
    let verdict = match (stopped, report.is_success()) {
        (true, _) => "stopped",
        (false, true) => "complete",
        (false, false) => "incomplete",
    };
    let not_started = report.not_started();
    let mut out = format!(
        "\nApply {verdict}: {} succeeded, {} failed, {} skipped{}.\n  {}.\n",
        report.succeeded(),
        report.failed(),
        report.skipped(),
        if not_started > 0 { format!(", {not_started} not started") } else { String::new() },
        by_kind(report)
    );
    if !report.is_success() {
        out.push_str("\nNot done:\n");
        for o in report.outcomes.iter().filter(|o| !matches!(o.status, Status::Done)) {
            out.push_str(&outcome_line(o, p));
            out.push('\n');
        }
    }
    out
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
                parts.push(format!("{} {done}", gatesctl_core::text::plural(n, one, many)));
            }
        }
    }
    parts.join(", ")
}
