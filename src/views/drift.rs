//! Drift reports: what changed remotely behind the files' back, as text, JSON or Markdown,
//! attribute by attribute.

use std::fmt::Write;

use serde::Serialize;

use super::markdown::{attribute_name, cell, inline, plain};
use super::GateRef;
use super::Palette;
use gatesctl_core::escape::quoted;
use gatesctl_core::model::{AttrChange, AttrValue};
use gatesctl_core::plan::drift::{Drift, DriftKind};
use gatesctl_core::text::plural;

/// The drift report's format: 2.0 named the kinds for what they are and listed differences
/// attribute by attribute.
const FORMAT_VERSION: &str = "2.0";

fn address(d: &Drift) -> String {
    match &d.rule {
        Some(r) => format!("{} rule {}", d.gate, quoted(r)),
        None => d.gate.to_string(),
    }
}

fn side(value: &Option<AttrValue>) -> String {
    value.as_ref().map_or_else(|| "(none)".to_string(), |v| v.to_string())
}

pub(crate) const IN_SYNC: &str = "No drift. Remote gates match the configuration.";

pub(crate) fn render_text(items: &[Drift], p: Palette) -> String {
    let mut out = String::new();
    if items.is_empty() {
        writeln!(out, "{}", p.bold(IN_SYNC)).unwrap();
        return out;
    }
    let summary = format!(
        "Drift detected: {} between the remote gates and the configuration.",
        plural(items.len(), "difference", "differences")
    );
    writeln!(out, "{}", p.bold(&summary)).unwrap();
    for d in items {
        writeln!(out, "\n  {} {}: {}", p.update("!"), p.bold(&address(d)), d.kind.describe()).unwrap();
        let width = d.differences.iter().map(|c| c.name.to_string().chars().count()).max().unwrap_or(0);
        for c in &d.differences {
            writeln!(
                out,
                "      {:width$}  remote {}, declared {}",
                c.name.to_string(),
                side(&c.before),
                side(&c.after)
            )
            .unwrap();
        }
    }
    writeln!(out, "\nRun `gatesctl plan` to see the changes that would restore the configuration, or update the files to adopt the remote state.").unwrap();
    out
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DifferenceDocument {
    attribute: String,
    /// What the API holds; null when absent there.
    remote: serde_json::Value,
    /// What the files declare; null when absent there.
    declared: serde_json::Value,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
struct DriftEntry {
    kind: DriftKind,
    description: &'static str,
    gate: GateRef,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    differences: Vec<DifferenceDocument>,
}

/// The JSON drift report.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(title = "gatesctl drift report")]
struct DriftDocument {
    format_version: &'static str,
    in_sync: bool,
    drift: Vec<DriftEntry>,
}

fn json_value(v: &Option<AttrValue>) -> serde_json::Value {
    v.as_ref().map_or(serde_json::Value::Null, AttrValue::to_json)
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(DriftDocument), "drift.schema.json")
}

pub(crate) fn render_json(items: &[Drift]) -> String {
    let drift = items
        .iter()
        .map(|d| DriftEntry {
            kind: d.kind,
            description: d.kind.describe(),
            gate: (&d.gate).into(),
            rule: d.rule.clone(),
            differences: d
                .differences
                .iter()
                .map(|c: &AttrChange| DifferenceDocument {
                    attribute: c.name.as_str().to_string(),
                    remote: json_value(&c.before),
                    declared: json_value(&c.after),
                })
                .collect(),
        })
        .collect();
    let doc = DriftDocument { format_version: FORMAT_VERSION, in_sync: items.is_empty(), drift };
    super::pretty(&doc)
}

pub(crate) const MARKER: &str = "<!-- gatesctl:drift -->";

pub(crate) fn render_markdown(items: &[Drift]) -> String {
    let mut out = format!("{MARKER}\n### gatesctl drift\n\n");
    if items.is_empty() {
        out.push_str("✅ **No drift.** Remote gates match the configuration.\n");
        return out;
    }
    writeln!(
        out,
        "⚠️ **{}** between the remote gates and the configuration.\n",
        plural(items.len(), "difference", "differences")
    )
    .unwrap();
    writeln!(out, "| What | Drift | Attribute | Remote | Declared |\n|---|---|---|---|---|").unwrap();
    let value = |v: &Option<AttrValue>| v.as_ref().map_or_else(|| "–".to_string(), |v| cell(&plain(v)));
    for d in items {
        let what = match &d.rule {
            Some(r) => format!("{} rule **{}**", cell(&d.gate.to_string()), inline(r)),
            None => cell(&d.gate.to_string()),
        };
        for (i, c) in d.differences.iter().enumerate() {
            let (what, kind) = if i == 0 { (what.as_str(), d.kind.describe()) } else { ("", "") };
            writeln!(
                out,
                "| {what} | {kind} | {} | {} | {} |",
                attribute_name(&c.name),
                value(&c.before),
                value(&c.after)
            )
            .unwrap();
        }
    }
    out
}
