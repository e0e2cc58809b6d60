//! Drift reports: what changed remotely behind the files' back, as text, JSON or Markdown.

use serde::Serialize;

use std::fmt::Write;

use super::json::{Attributes, GateRef};
use super::Palette;
use crate::escape::quoted;
use crate::model::{AttrValue, GateKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DriftKind {
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
    pub(crate) fn describe(self) -> &'static str {
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
pub(crate) struct Drift {
    pub(crate) kind: DriftKind,
    pub(crate) gate: GateRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rule: Option<String>,
    /// What the API holds.
    pub(crate) remote: Option<Attributes>,
    /// What the files declare.
    pub(crate) declared: Option<Attributes>,
}

fn attrs_text(a: &Option<Attributes>) -> String {
    match a {
        None => "absent".into(),
        Some(Attributes::Gate(g)) => format!("dry_run = {}", g.dry_run),
        Some(Attributes::Rule(r)) => {
            let mut parts = vec![format!("type = {}", r.rule_type), format!("dry_run = {}", r.dry_run)];
            let o = &r.options;
            if let Some(q) = &o.query {
                parts.push(format!("query = {}", quoted(q)));
            }
            if let Some(d) = o.duration {
                parts.push(format!("duration = {d}"));
            }
            if let Some(l) = &o.excluded_resources {
                parts.push(format!("excluded_resources = {}", AttrValue::List(l.clone())));
            }
            if let Some(l) = &o.allowed_resources {
                parts.push(format!("allowed_resources = {}", AttrValue::List(l.clone())));
            }
            parts.join(", ")
        }
    }
}

fn address(d: &Drift) -> String {
    let gate = GateKey::new(&d.gate.service, &d.gate.env, &d.gate.identifier);
    match &d.rule {
        Some(r) => format!("{gate} rule {}", quoted(r)),
        None => gate.to_string(),
    }
}

pub(crate) const IN_SYNC: &str = "No drift. Remote gates match the configuration.";

pub(crate) fn render_text(items: &[Drift], p: Palette) -> String {
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
pub(crate) struct DriftDocument<'a> {
    pub(crate) format_version: &'static str,
    pub(crate) in_sync: bool,
    pub(crate) drift: &'a [Drift],
}

pub(crate) fn render_json(items: &[Drift]) -> String {
    let doc = DriftDocument { format_version: super::json::FORMAT_VERSION, in_sync: items.is_empty(), drift: items };
    let mut text = serde_json::to_string_pretty(&doc).expect("drift serialises");
    text.push('\n');
    text
}

pub(crate) const MARKER: &str = "<!-- gatesctl:drift -->";

pub(crate) fn render_markdown(items: &[Drift]) -> String {
    let mut out = format!("{MARKER}\n### gatesctl drift\n\n");
    if items.is_empty() {
        out.push_str("✅ **No drift.** Remote gates match the configuration.\n");
        return out;
    }
    writeln!(out, "⚠️ **{} difference(s)** between the remote gates and the configuration.\n", items.len()).unwrap();
    writeln!(out, "| What | Drift | Remote | Declared |\n|---|---|---|---|").unwrap();
    for d in items {
        let cell = |s: String| super::markdown::code(&s.replace('|', "\\|"));
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            cell(address(d)),
            d.kind.describe(),
            super::markdown::inline(&attrs_text(&d.remote)),
            super::markdown::inline(&attrs_text(&d.declared))
        )
        .unwrap();
    }
    out
}
