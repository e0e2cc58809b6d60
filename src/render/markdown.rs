//! The plan as Markdown, ready to post as a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::json::{changes, ActionKind, Attributes, Change, ResourceKind};
use crate::plan::Plan;

/// Lets a CI job find and update its own earlier comment.
pub const MARKER: &str = "<!-- gatesctl:plan -->";

fn cell(text: &str) -> String {
    let escaped = text.replace('|', "\\|").replace('`', "'").replace('\n', " ");
    format!("`{escaped}`")
}

fn symbol(actions: &[ActionKind]) -> &'static str {
    match actions {
        [ActionKind::Create] => "➕ create",
        [ActionKind::Update] => "🔄 update",
        [ActionKind::Delete] => "➖ delete",
        _ => "♻️ replace",
    }
}

/// Attribute rows: (name, before, after), only those that differ.
fn rows(change: &Change) -> Vec<(String, String, String)> {
    let flat = |a: &Option<Attributes>| -> BTreeMap<String, String> {
        let Some(a) = a else { return BTreeMap::new() };
        let value = serde_json::to_value(a).expect("attributes serialise");
        let mut out = BTreeMap::new();
        let mut put = |k: &str, v: &serde_json::Value| {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.insert(k.to_string(), text);
        };
        if let serde_json::Value::Object(map) = &value {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("name", _) => {}
                    ("options", serde_json::Value::Object(opts)) => opts.iter().for_each(|(k, v)| put(k, v)),
                    _ => put(k, v),
                }
            }
        }
        out
    };
    let (before, after) = (flat(&change.before), flat(&change.after));
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let order = ["type", "dry_run", "query", "duration", "excluded_resources", "allowed_resources"];
    keys.sort_by_key(|k| order.iter().position(|o| o == k).unwrap_or(order.len()));
    keys.into_iter()
        .filter_map(|k| {
            let b = before.get(k).map(|v| cell(v)).unwrap_or_else(|| "–".into());
            let a = after.get(k).map(|v| cell(v)).unwrap_or_else(|| "–".into());
            (b != a).then(|| (k.clone(), b, a))
        })
        .collect()
}

pub fn render_plan(plan: &Plan) -> String {
    let mut out = String::new();
    writeln!(out, "{MARKER}\n### gatesctl plan\n").unwrap();
    if plan.is_empty() {
        writeln!(out, "✅ **No changes.** Remote gates match the configuration.").unwrap();
    } else {
        let s = plan.summary();
        writeln!(out, "| | Gates | Rules |\n|---|---:|---:|").unwrap();
        writeln!(out, "| ➕ Create | {} | {} |", s.gates_create, s.rules_create).unwrap();
        writeln!(out, "| 🔄 Update | {} | {} |", s.gates_update, s.rules_update).unwrap();
        writeln!(out, "| ♻️ Replace | – | {} |", s.rules_replace).unwrap();
        writeln!(out, "| ➖ Delete | {} | {} |", s.gates_delete, s.rules_delete).unwrap();

        let all = changes(plan);
        let mut by_service: BTreeMap<&str, Vec<&Change>> = BTreeMap::new();
        for c in &all {
            by_service.entry(c.gate.service.as_str()).or_default().push(c);
        }
        for (service, list) in by_service {
            let n = list.len();
            writeln!(
                out,
                "\n<details><summary><b>{service}</b>: {n} change{}</summary>\n",
                if n == 1 { "" } else { "s" }
            )
            .unwrap();
            for change in list {
                let what = match change.kind {
                    ResourceKind::Gate => format!("gate `{}`", change.address),
                    ResourceKind::Rule => format!(
                        "rule **{}** on `{}/{}/{}`",
                        change.rule.as_deref().unwrap_or_default().replace('|', "\\|"),
                        change.gate.service,
                        change.gate.env,
                        change.gate.identifier
                    ),
                };
                writeln!(out, "**{}** {what}\n", symbol(&change.actions)).unwrap();
                let rows = rows(change);
                if !rows.is_empty() {
                    writeln!(out, "| Attribute | Before | After |\n|---|---|---|").unwrap();
                    for (k, b, a) in rows {
                        writeln!(out, "| {k} | {b} | {a} |").unwrap();
                    }
                    out.push('\n');
                }
            }
            writeln!(out, "</details>").unwrap();
        }
    }
    if !plan.unmanaged.is_empty() {
        let list: Vec<String> = plan.unmanaged.iter().map(|k| format!("`{k}`")).collect();
        writeln!(out, "\n> ℹ️ {} remote gate(s) declared in no file, left untouched: {}", list.len(), list.join(", "))
            .unwrap();
    }
    out
}
