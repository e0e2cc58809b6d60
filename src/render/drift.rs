//! Drift: the plan read the other way round, as what changed remotely behind the files' back,
//! rendered as text, JSON or Markdown.

use serde::Serialize;

use std::fmt::Write;

use super::json::{Attributes, GateAttributes, GateRef, RuleAttributes};
use super::Palette;
use crate::model::GateKey;
use crate::plan::{GateAction, Plan, RuleAction};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A declared gate no longer exists remotely.
    GateDeletedRemotely,
    /// A declared gate's `dry_run` differs remotely.
    GateChanged,
    /// A rule exists remotely that the files do not declare (added in the UI).
    RuleAddedRemotely,
    /// A declared rule no longer exists remotely (removed in the UI).
    RuleRemovedRemotely,
    /// A declared rule's attributes differ remotely.
    RuleChanged,
    /// A remote gate that no file declares.
    UndeclaredGate,
}

impl DriftKind {
    pub fn describe(self) -> &'static str {
        match self {
            DriftKind::GateDeletedRemotely => "declared gate deleted remotely",
            DriftKind::GateChanged => "gate changed out of band",
            DriftKind::RuleAddedRemotely => "rule added remotely, declared nowhere",
            DriftKind::RuleRemovedRemotely => "declared rule removed remotely",
            DriftKind::RuleChanged => "rule changed out of band",
            DriftKind::UndeclaredGate => "remote gate declared in no file",
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Drift {
    pub kind: DriftKind,
    pub gate: GateRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// What the API holds.
    pub remote: Option<Attributes>,
    /// What the files declare.
    pub declared: Option<Attributes>,
}

fn rule(r: &crate::model::Rule) -> Option<Attributes> {
    Some(Attributes::Rule(RuleAttributes::from(r)))
}

/// Reads a plan made without `--prune` as drift.
pub fn drift(plan: &Plan) -> Vec<Drift> {
    let mut out = Vec::new();
    let mut push = |kind, key: &GateKey, rule: Option<&str>, remote, declared| {
        out.push(Drift { kind, gate: key.into(), rule: rule.map(str::to_string), remote, declared });
    };
    for gate in &plan.gates {
        let key = &gate.key;
        match &gate.action {
            GateAction::Create { dry_run } => {
                push(
                    DriftKind::GateDeletedRemotely,
                    key,
                    None,
                    None,
                    Some(Attributes::Gate(GateAttributes { dry_run: *dry_run })),
                );
                // Its rules went with it: one finding, not one per rule.
                continue;
            }
            GateAction::Update { before, after, .. } => push(
                DriftKind::GateChanged,
                key,
                None,
                Some(Attributes::Gate(GateAttributes { dry_run: *before })),
                Some(Attributes::Gate(GateAttributes { dry_run: *after })),
            ),
            GateAction::Keep { .. } | GateAction::Delete { .. } => {}
        }
        for action in &gate.rules {
            match action {
                RuleAction::Create { after } => {
                    push(DriftKind::RuleRemovedRemotely, key, Some(&after.name), None, rule(after))
                }
                RuleAction::Delete { before, .. } => {
                    push(DriftKind::RuleAddedRemotely, key, Some(&before.name), rule(before), None)
                }
                RuleAction::Update { before, after, .. } | RuleAction::Replace { before, after, .. } => {
                    push(DriftKind::RuleChanged, key, Some(&after.name), rule(before), rule(after))
                }
            }
        }
    }
    for key in &plan.unmanaged {
        push(DriftKind::UndeclaredGate, key, None, None, None);
    }
    out
}

fn attrs_text(a: &Option<Attributes>) -> String {
    match a {
        None => "absent".into(),
        Some(Attributes::Gate(g)) => format!("dry_run = {}", g.dry_run),
        Some(Attributes::Rule(r)) => {
            let mut parts = vec![format!("type = {}", r.rule_type), format!("dry_run = {}", r.dry_run)];
            let o = &r.options;
            if let Some(q) = &o.query {
                parts.push(format!("query = {q:?}"));
            }
            if let Some(d) = o.duration {
                parts.push(format!("duration = {d}"));
            }
            if let Some(l) = &o.excluded_resources {
                parts.push(format!("excluded_resources = {l:?}"));
            }
            if let Some(l) = &o.allowed_resources {
                parts.push(format!("allowed_resources = {l:?}"));
            }
            parts.join(", ")
        }
    }
}

fn address(d: &Drift) -> String {
    let gate = format!("{}/{}/{}", d.gate.service, d.gate.env, d.gate.identifier);
    match &d.rule {
        Some(r) => format!("{gate} rule {r:?}"),
        None => gate,
    }
}

pub const IN_SYNC: &str = "No drift. Remote gates match the configuration.";

pub fn render_text(items: &[Drift], p: Palette) -> String {
    let mut out = String::new();
    if items.is_empty() {
        writeln!(out, "{}", p.bold(IN_SYNC)).unwrap();
        return out;
    }
    writeln!(
        out,
        "{}",
        p.bold(&format!(
            "Drift detected: {} difference{} between the remote gates and the configuration.",
            items.len(),
            if items.len() == 1 { "" } else { "s" }
        ))
    )
    .unwrap();
    for d in items {
        writeln!(out, "\n  {} {}: {}", p.update("!"), p.bold(&address(d)), d.kind.describe()).unwrap();
        if d.remote.is_some() || d.declared.is_some() {
            writeln!(out, "      remote:   {}", attrs_text(&d.remote)).unwrap();
            writeln!(out, "      declared: {}", attrs_text(&d.declared)).unwrap();
        }
    }
    writeln!(out, "\nRun `gatesctl plan` to see the changes that would restore the configuration, or update the files to adopt the remote state.").unwrap();
    out
}

/// The JSON drift report.
#[derive(Debug, Serialize)]
pub struct DriftDocument<'a> {
    pub format_version: &'static str,
    pub in_sync: bool,
    pub drift: &'a [Drift],
}

pub fn render_json(items: &[Drift]) -> String {
    let doc = DriftDocument { format_version: super::json::FORMAT_VERSION, in_sync: items.is_empty(), drift: items };
    let mut text = serde_json::to_string_pretty(&doc).expect("drift serialises");
    text.push('\n');
    text
}

pub const MARKER: &str = "<!-- gatesctl:drift -->";

pub fn render_markdown(items: &[Drift]) -> String {
    let mut out = format!("{MARKER}\n### gatesctl drift\n\n");
    if items.is_empty() {
        out.push_str("✅ **No drift.** Remote gates match the configuration.\n");
        return out;
    }
    writeln!(out, "⚠️ **{} difference(s)** between the remote gates and the configuration.\n", items.len()).unwrap();
    writeln!(out, "| What | Drift | Remote | Declared |\n|---|---|---|---|").unwrap();
    for d in items {
        let cell = |s: String| s.replace('|', "\\|");
        writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            cell(address(d)),
            d.kind.describe(),
            cell(attrs_text(&d.remote)),
            cell(attrs_text(&d.declared))
        )
        .unwrap();
    }
    out
}
