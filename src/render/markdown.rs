//! The plan as Markdown, ready to post as a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::model::{AttrChange, AttrValue, GateKey, Rule};
use crate::plan::{GateAction, Plan, RuleAction};

/// Lets a CI job find and update its own earlier comment.
pub(crate) const MARKER: &str = "<!-- gatesctl:plan -->";

/// Text as a code span: literal whatever it holds. The fence is longer than any run of
/// backticks inside, and control characters and newlines are shown as escapes, so nothing
/// leaves the span.
pub(crate) fn code(text: &str) -> String {
    let text = crate::escape::terminal(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.starts_with(' ') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text in running Markdown: every character that could start emphasis, a link, a tag, an
/// entity, math or a table cell is escaped, so the text renders as itself.
pub(crate) fn inline(text: &str) -> String {
    let text = crate::escape::terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// Text inside raw HTML (`<summary>`), where Markdown escapes do not apply: entities only.
pub(crate) fn html(text: &str) -> String {
    let text = crate::escape::terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A code span in a table cell: GFM splits cells on `|` even inside code, unless escaped.
fn cell(text: &str) -> String {
    code(&text.replace('|', "\\|"))
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
    let gate = |symbol: &str, rows| Change { heading: format!("**{symbol}** gate {}", code(&key.to_string())), rows };
    match action {
        GateAction::Create { dry_run } => out.push(gate("➕ create", gate_rows(None, Some(*dry_run)))),
        GateAction::Update { before, after, .. } => out.push(gate("🔄 update", gate_rows(Some(*before), Some(*after)))),
        GateAction::Delete { dry_run, .. } => out.push(gate("➖ delete", gate_rows(Some(*dry_run), None))),
        GateAction::Keep { .. } => {}
    }
    for rule in rules {
        let (symbol, before, after) = rule_sides(rule);
        out.push(Change {
            heading: format!("**{symbol}** rule **{}** on {}", inline(rule.name()), code(&key.to_string())),
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
                "\n<details><summary><b>{}</b>: {n} change{}</summary>\n",
                html(service),
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
        let list: Vec<String> = plan.unmanaged.iter().map(|k| code(&k.to_string())).collect();
        writeln!(out, "\n> ℹ️ {} remote gate(s) declared in no file, left untouched: {}", list.len(), list.join(", "))
            .unwrap();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_keep_ordinary_values_and_contain_hostile_ones() {
        assert_eq!(code("service:checkout env:prod"), "`service:checkout env:prod`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x </details>\n# HIJACK"), "`x </details>\\n# HIJACK`");
        assert_eq!(cell("x | y"), "`x \\| y`");
    }

    #[test]
    fn inline_and_html_text_cannot_open_anything() {
        assert_eq!(inline("x | y </details>\n# HIJACK"), "x \\| y &lt;/details&gt;\\\\n\\# HIJACK");
        assert_eq!(inline("[a](http://x) *b* $c$"), "\\[a\\](http://x) \\*b\\* \\$c\\$");
        assert_eq!(html("<b>x</b> & \"y\""), "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;");
    }
}
