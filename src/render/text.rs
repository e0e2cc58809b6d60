//! The terraform-style text plan.

use std::fmt::Write;

use similar::{ChangeTag, TextDiff};

use crate::escape::quoted;

use super::Palette;
use crate::model::{AttrChange, AttrName, Rule};
use crate::plan::{GateAction, Plan, RuleAction, Summary};

/// Queries longer than this are shown as a word diff rather than old → new.
const LONG_TEXT: usize = 60;

pub const NO_CHANGES: &str = "No changes. Remote gates match the configuration.";

pub fn render_plan(plan: &Plan, p: Palette) -> String {
    let mut out = String::new();
    if plan.is_empty() {
        writeln!(out, "{}", p.bold(NO_CHANGES)).unwrap();
    } else {
        writeln!(
            out,
            "Legend: {} create, {} update in place, {} delete, {} replace (create the new, then delete the old)\n",
            p.create("+"),
            p.update("~"),
            p.delete("-"),
            p.update("+/-")
        )
        .unwrap();
        writeln!(out, "gatesctl will perform the following actions:").unwrap();
        for gate in &plan.gates {
            out.push('\n');
            let (marker, word) = match gate.action {
                GateAction::Create { .. } => (p.create("+"), "will be created"),
                GateAction::Update { .. } => (p.update("~"), "will be updated in place"),
                GateAction::Keep { .. } => (p.update("~"), "has rule changes"),
                GateAction::Delete { .. } => {
                    (p.delete("-"), "will be deleted: declared in no file, in the managed scope")
                }
            };
            writeln!(out, "  {marker} gate {} {}", p.bold(&gate.key.to_string()), p.dim(&format!("({word})"))).unwrap();
            match &gate.action {
                GateAction::Create { dry_run } => attr_line(&mut out, p, 6, "+", "dry_run", &dry_run.to_string(), None),
                GateAction::Update { before, after, .. } => {
                    attr_line(&mut out, p, 6, "~", "dry_run", &before.to_string(), Some(&after.to_string()))
                }
                GateAction::Delete { dry_run, .. } => {
                    attr_line(&mut out, p, 6, "-", "dry_run", &dry_run.to_string(), None)
                }
                GateAction::Keep { .. } => {}
            }
            for rule in &gate.rules {
                render_rule(&mut out, p, rule);
            }
        }
        out.push('\n');
        writeln!(out, "{}", summary_line(&plan.summary())).unwrap();
    }
    if !plan.unmanaged.is_empty() {
        let n = plan.unmanaged.len();
        writeln!(
            out,
            "\nNote: {n} remote gate{} {} declared in no file and left untouched (unmanaged):",
            if n == 1 { "" } else { "s" },
            if n == 1 { "is" } else { "are" }
        )
        .unwrap();
        for key in &plan.unmanaged {
            writeln!(out, "  {}", p.dim(&key.to_string())).unwrap();
        }
    }
    out
}

pub fn summary_line(s: &Summary) -> String {
    format!(
        "Plan: gates {} to create, {} to update, {} to delete; rules {} to create, {} to update, {} to replace, {} to delete.",
        s.gates_create, s.gates_update, s.gates_delete, s.rules_create, s.rules_update, s.rules_replace, s.rules_delete
    )
}

/// The attributes a rule line lists: its type is in the line itself.
fn rule_attrs(rule: &Rule) -> Vec<(AttrName, String)> {
    rule.attributes().into_iter().filter(|a| a.name != AttrName::Type).map(|a| (a.name, a.value.to_string())).collect()
}

fn render_rule(out: &mut String, p: Palette, action: &RuleAction) {
    match action {
        RuleAction::Create { after } => {
            writeln!(out, "      {} rule {} ({})", p.create("+"), quoted(&after.name), after.rule_type()).unwrap();
            for (k, v) in rule_attrs(after) {
                attr_line(out, p, 10, "+", k.as_str(), &v, None);
            }
        }
        RuleAction::Delete { before, .. } => {
            writeln!(out, "      {} rule {} ({})", p.delete("-"), quoted(&before.name), before.rule_type()).unwrap();
            for (k, v) in rule_attrs(before) {
                attr_line(out, p, 10, "-", k.as_str(), &v, None);
            }
        }
        RuleAction::Update { before, after, .. } => {
            writeln!(out, "      {} rule {} ({})", p.update("~"), quoted(&after.name), after.rule_type()).unwrap();
            for change in AttrChange::between(Some(before), Some(after)) {
                let key = change.name.as_str();
                match (change.before, change.after) {
                    (Some(b), Some(a)) => attr_line(out, p, 10, "~", key, &b.to_string(), Some(&a.to_string())),
                    (None, Some(a)) => attr_line(out, p, 10, "+", key, &a.to_string(), None),
                    (Some(b), None) => attr_line(out, p, 10, "-", key, &b.to_string(), None),
                    (None, None) => {}
                }
            }
        }
        RuleAction::Replace { before, after, .. } => {
            writeln!(
                out,
                "    {} rule {} ({} → {}) {}",
                p.update("+/-"),
                quoted(&after.name),
                before.rule_type(),
                after.rule_type(),
                p.dim("(type changed: created anew, then the old rule deleted)")
            )
            .unwrap();
            for (k, v) in rule_attrs(before) {
                attr_line(out, p, 10, "-", k.as_str(), &v, None);
            }
            for (k, v) in rule_attrs(after) {
                attr_line(out, p, 10, "+", k.as_str(), &v, None);
            }
        }
    }
}

fn attr_line(out: &mut String, p: Palette, indent: usize, marker: &str, key: &str, old: &str, new: Option<&str>) {
    let pad = " ".repeat(indent);
    let painted = match marker {
        "+" => p.create(marker),
        "-" => p.delete(marker),
        _ => p.update(marker),
    };
    match new {
        None => writeln!(out, "{pad}{painted} {key} = {old}").unwrap(),
        Some(new) if old.len() > LONG_TEXT || new.len() > LONG_TEXT => {
            writeln!(out, "{pad}{painted} {key}:").unwrap();
            writeln!(out, "{pad}    {} {old}", p.delete("-")).unwrap();
            writeln!(out, "{pad}    {} {new}", p.create("+")).unwrap();
            writeln!(out, "{pad}    {} {}", p.dim("words:"), word_diff(old, new, p)).unwrap();
        }
        Some(new) => writeln!(out, "{pad}{painted} {key} = {old} → {new}").unwrap(),
    }
}

/// A word-level diff, git's `--word-diff=plain` style: `[-removed-]{+added+}`.
pub fn word_diff(old: &str, new: &str, p: Palette) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Equal => out.push_str(text),
            ChangeTag::Delete if text.trim().is_empty() => {}
            ChangeTag::Insert if text.trim().is_empty() => out.push_str(text),
            ChangeTag::Delete => out.push_str(&p.delete(&format!("[-{text}-]"))),
            ChangeTag::Insert => out.push_str(&p.create(&format!("{{+{text}+}}"))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_only_changed_words() {
        let d = word_diff("service:a env:prod status:alert", "service:a env:staging status:alert", Palette::PLAIN);
        assert_eq!(d, "service:a [-env:prod-]{+env:staging+} status:alert");
    }
}
