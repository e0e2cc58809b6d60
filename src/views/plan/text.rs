//! The terraform-style text plan.

use std::fmt::Write;

use similar::ChangeTag;

use crate::views::Palette;
use gatesctl_core::escape::{quoted, quoted_inner};
use gatesctl_core::model::{AttrChange, AttrName, AttrValue, Rule};
use gatesctl_core::plan::{GateAction, Plan, RuleAction, Summary};

/// Queries longer than this are shown as a word diff rather than old → new.
const LONG_TEXT: usize = 60;

pub(crate) const NO_CHANGES: &str = "No changes. Remote gates match the configuration.";

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
                    attr_change(&mut out, p, 6, "dry_run", &AttrValue::Bool(*before), &AttrValue::Bool(*after))
                }
                GateAction::Delete { dry_run, .. } => {
                    attr_line(&mut out, p, 6, "-", "dry_run", &dry_run.to_string(), None)
                }
                GateAction::Keep { .. } => {}
            }
            for rule in &gate.rules {
                render_rule(&mut out, p, rule, &gate.rules);
            }
        }
        out.push('\n');
        writeln!(out, "{}", summary_line(&plan.summary())).unwrap();
        deletions(&mut out, plan, p);
    }
    if !plan.targets.is_empty() {
        writeln!(
            out,
            "\n{} targeting is in effect (--target {}): this plan covers only the gates matched.\nChanges to other gates may be pending: use --target for emergencies, then plan without it.",
            p.update("Warning:"),
            plan.targets.join(", --target ")
        )
        .unwrap();
    }
    for duplicate in &plan.duplicate_gates {
        writeln!(
            out,
            "\n{} {} remote gates are {} (ids {}): gatesctl manages the first; the extra {} deleted only with --prune.",
            p.update("Warning:"),
            duplicate.ids.len(),
            duplicate.key,
            duplicate
                .ids
                .iter()
                .map(|id| gatesctl_core::escape::terminal(id).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
            if duplicate.ids.len() == 2 { "one is" } else { "ones are" }
        )
        .unwrap();
    }
    for key in &plan.vanished {
        writeln!(
            out,
            "\n{} gate {key} was deleted by someone else while gatesctl read it: planned as absent.",
            p.update("Note:")
        )
        .unwrap();
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

/// What the plan destroys, by address, after the counts: the lines a reviewer must not miss.
fn deletions(out: &mut String, plan: &Plan, p: Palette) {
    let mut lines = Vec::new();
    for gate in &plan.gates {
        if matches!(gate.action, GateAction::Delete { .. }) {
            let rules = gate.rules.len();
            let with = if rules > 0 {
                format!(" (gate, with its {})", gatesctl_core::text::plural(rules, "rule", "rules"))
            } else {
                " (gate)".into()
            };
            lines.push(format!("{}{with}", gate.key));
            continue;
        }
        for rule in &gate.rules {
            if let RuleAction::Delete { duplicate, .. } = rule {
                let what = if *duplicate { "extra rule of a declared name" } else { "rule" };
                lines.push(format!("{}/rules/{} ({what})", gate.key, gatesctl_core::escape::quoted(rule.name())));
            }
        }
    }
    if lines.is_empty() {
        return;
    }
    writeln!(out, "{}", p.delete("Deleted by this plan:")).unwrap();
    for line in lines {
        writeln!(out, "  {} {line}", p.delete("-")).unwrap();
    }
}

pub(crate) fn summary_line(s: &Summary) -> String {
    format!(
        "Plan: gates {} to create, {} to update, {} to delete; rules {} to create, {} to update, {} to replace, {} to delete.",
        s.gates_create, s.gates_update, s.gates_delete, s.rules_create, s.rules_update, s.rules_replace, s.rules_delete
    )
}

/// The attributes a rule line lists: its type is in the line itself.
fn rule_attrs(rule: &Rule) -> Vec<(String, String)> {
    rule.attributes()
        .into_iter()
        .filter(|a| a.name != AttrName::Type)
        .map(|a| (a.name.to_string(), a.value.to_string()))
        .collect()
}

/// The options of the API that gatesctl does not model that an update sends back unchanged, as
/// `key` and value shown.
pub(crate) fn kept_as_is(before: &Rule, after: &Rule) -> Vec<(String, String)> {
    after
        .options
        .extra
        .iter()
        .filter(|(key, value)| before.options.extra.get(*key) == Some(value))
        .map(|(key, value)| (gatesctl_core::escape::terminal(key).into_owned(), gatesctl_core::escape::json(value)))
        .collect()
}

/// How many remote rules share the name of a duplicate being deleted: the one kept, and each
/// deleted.
pub(crate) fn twins(action: &RuleAction, all: &[RuleAction]) -> usize {
    1 + all
        .iter()
        .filter(|a| matches!(a, RuleAction::Delete { duplicate: true, .. }) && a.name() == action.name())
        .count()
}

fn render_rule(out: &mut String, p: Palette, action: &RuleAction, all: &[RuleAction]) {
    match action {
        RuleAction::Delete { before, duplicate: true, .. } => {
            let name = quoted(&before.name);
            let why = format!(
                "({} remote rules named {name}: deleting the extra one, keeping the one the file matches)",
                twins(action, all)
            );
            writeln!(out, "      {} extra rule {name} ({}) {}", p.delete("-"), before.rule_type(), p.dim(&why))
                .unwrap();
            for (k, v) in rule_attrs(before) {
                attr_line(out, p, 10, "-", &k, &v, None);
            }
        }
        RuleAction::Create { after } => {
            writeln!(out, "      {} rule {} ({})", p.create("+"), quoted(&after.name), after.rule_type()).unwrap();
            for (k, v) in rule_attrs(after) {
                attr_line(out, p, 10, "+", &k, &v, None);
            }
        }
        RuleAction::Delete { before, .. } => {
            writeln!(out, "      {} rule {} ({})", p.delete("-"), quoted(&before.name), before.rule_type()).unwrap();
            for (k, v) in rule_attrs(before) {
                attr_line(out, p, 10, "-", &k, &v, None);
            }
        }
        RuleAction::Update { before, after, .. } => {
            writeln!(out, "      {} rule {} ({})", p.update("~"), quoted(&after.name), after.rule_type()).unwrap();
            for change in AttrChange::between(Some(before), Some(after)) {
                let key = change.name.to_string();
                match (change.before, change.after) {
                    (Some(b), Some(a)) => attr_change(out, p, 10, &key, &b, &a),
                    (None, Some(a)) => attr_line(out, p, 10, "+", &key, &a.to_string(), None),
                    (Some(b), None) => attr_line(out, p, 10, "-", &key, &b.to_string(), None),
                    (None, None) => {}
                }
            }
            // Options gatesctl does not model go back unchanged: say so, since they are not the file's.
            for (key, value) in kept_as_is(before, after) {
                writeln!(out, "            {}", p.dim(&format!("kept as is: {key} = {value}"))).unwrap();
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
                attr_line(out, p, 10, "-", &k, &v, None);
            }
            for (k, v) in rule_attrs(after) {
                attr_line(out, p, 10, "+", &k, &v, None);
            }
        }
    }
}

fn attr_line(out: &mut String, p: Palette, indent: usize, marker: &str, key: &str, value: &str, _: Option<&str>) {
    let painted = match marker {
        "+" => p.create(marker),
        "-" => p.delete(marker),
        _ => p.update(marker),
    };
    writeln!(out, "{}{painted} {key} = {value}", " ".repeat(indent)).unwrap();
}

/// `~ key = old → new`; long text also word by word.
fn attr_change(out: &mut String, p: Palette, indent: usize, key: &str, old: &AttrValue, new: &AttrValue) {
    let pad = " ".repeat(indent);
    let (old_text, new_text) = (old.to_string(), new.to_string());
    match (old, new) {
        (AttrValue::Text(a), AttrValue::Text(b)) if old_text.len() > LONG_TEXT || new_text.len() > LONG_TEXT => {
            writeln!(out, "{pad}{} {key}:", p.update("~")).unwrap();
            writeln!(out, "{pad}    {} {old_text}", p.delete("-")).unwrap();
            writeln!(out, "{pad}    {} {new_text}", p.create("+")).unwrap();
            if let Some(words) = word_diff(a, b, p) {
                writeln!(out, "{pad}    {} \"{words}\"", p.dim("words:")).unwrap();
            }
        }
        _ => writeln!(out, "{pad}{} {key} = {old_text} → {new_text}", p.update("~")).unwrap(),
    }
}

/// A word-level diff of two texts, git's `--word-diff=plain` style: `[-removed-]{+added+}`;
/// none for texts too long to diff. The words of the values are compared, then escaped: quotes
/// around the value are not part of its first and last words.
pub(crate) fn word_diff(old: &str, new: &str, p: Palette) -> Option<String> {
    let mut out = String::new();
    for (tag, text) in crate::views::words(old, new)? {
        let text = quoted_inner(&text);
        match tag {
            ChangeTag::Equal => out.push_str(&text),
            ChangeTag::Delete => out.push_str(&p.delete(&format!("[-{text}-]"))),
            ChangeTag::Insert => out.push_str(&p.create(&format!("{{+{text}+}}"))),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_only_changed_words() {
        let d = word_diff("service:a env:prod status:alert", "service:a env:staging status:alert", Palette::PLAIN);
        assert_eq!(d.as_deref(), Some("service:a [-env:prod-]{+env:staging+} status:alert"));
    }

    #[test]
    fn words_added_at_the_end_leave_the_last_word_alone() {
        let old = "service:checkout env:production tag:deployment-gate";
        let d = word_diff(old, &format!("{old} team:payments priority:p1"), Palette::PLAIN);
        assert_eq!(
            d.as_deref(),
            Some("service:checkout env:production tag:deployment-gate {+team:payments priority:p1+}")
        );
    }

    #[test]
    fn texts_too_long_to_diff_get_no_word_diff() {
        let long = "a ".repeat(5000);
        assert_eq!(word_diff(&long, &format!("{long} b"), Palette::PLAIN), None);
    }
}
