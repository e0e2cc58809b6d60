//! The plan as Markdown, ready to post as a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{AttrChange, AttrValue, GateKey, Rule};
use crate::plan::{GateAction, Plan, RuleAction};

/// Lets a CI job find and update its own earlier comment.
pub(crate) const MARKER: &str = "<!-- gatesctl:plan -->";

fn cell(text: &str) -> String {
    let escaped = text.replace('|', "\\|").replace('`', "'").replace('\n', " ");
    format!("`{escaped}`")
}

/// A value as a table cell shows it: text as is, lists as JSON.
fn plain(value: &AttrValue) -> String {
    match value {
        AttrValue::Text(s) => s.clone(),
        AttrValue::List(items) => serde_json::to_string(items).expect("strings serialise"),
        other => other.to_string(),
    }
}

/// One changed gate or rule: its heading and the attributes that differ.
struct Change {
    heading: String,
    rows: Vec<(String, String, String)>,
}

fn rows(changes: Vec<AttrChange>) -> Vec<(String, String, String)> {
    let side = |v: &Option<AttrValue>| v.as_ref().map_or_else(|| "–".to_string(), |v| cell(&plain(v)));
    changes.into_iter().map(|c| (c.name.as_str().to_string(), side(&c.before), side(&c.after))).collect()
}

fn gate_rows(before: Option<bool>, after: Option<bool>) -> Vec<(String, String, String)> {
    let side = |v: Option<bool>| v.map_or_else(|| "–".to_string(), |b| cell(&b.to_string()));
    vec![("dry_run".to_string(), side(before), side(after))]
}

fn rule_sides(action: &RuleAction) -> (&'static str, Option<&Rule>, Option<&Rule>) {
    match action {
        RuleAction::Create { after } => ("➕ create", None, Some(after)),
        RuleAction::Update { before, after, .. } => ("🔄 update", Some(before), Some(after)),
        RuleAction::Replace { before, after, .. } => ("♻️ replace", Some(before), Some(after)),
        RuleAction::Delete { before, .. } => ("➖ delete", Some(before), None),
    }
}

/// Every changed gate and rule of a gate, in plan order.
fn changes(key: &GateKey, action: &GateAction, rules: &[RuleAction]) -> Vec<Change> {
    let mut out = Vec::new();
    let gate = |symbol: &str, rows| Change { heading: format!("**{symbol}** gate `{key}`"), rows };
    match action {
        GateAction::Create { dry_run } => out.push(gate("➕ create", gate_rows(None, Some(*dry_run)))),
        GateAction::Update { before, after, .. } => out.push(gate("🔄 update", gate_rows(Some(*before), Some(*after)))),
        GateAction::Delete { dry_run, .. } => out.push(gate("➖ delete", gate_rows(Some(*dry_run), None))),
        GateAction::Keep { .. } => {}
    }
    for rule in rules {
        let (symbol, before, after) = rule_sides(rule);
        let name = rule.name().replace('|', "\\|");
        out.push(Change {
            heading: format!("**{symbol}** rule **{name}** on `{key}`"),
            rows: rows(AttrChange::between(before, after)),
        });
    }
    out
}

pub(crate) fn render_plan(plan: &Plan) -> String {
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

        let mut by_service: BTreeMap<&str, Vec<Change>> = BTreeMap::new();
        for gate in &plan.gates {
            by_service.entry(gate.key.service.as_str()).or_default().extend(changes(
                &gate.key,
                &gate.action,
                &gate.rules,
            ));
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
                writeln!(out, "{}\n", change.heading).unwrap();
                if !change.rows.is_empty() {
                    writeln!(out, "| Attribute | Before | After |\n|---|---|---|").unwrap();
                    for (k, b, a) in change.rows {
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
