//! The plan as Markdown, ready to post as a pull-request comment.

use std::collections::BTreeMap;
use std::fmt::Write;

use gatesctl_core::diagnostic::Severity;
use gatesctl_core::model::{AttrChange, AttrValue, GateKey, Rule};
use gatesctl_core::plan::{GateAction, Plan, RuleAction};
use gatesctl_files::ConfigDiagnostic;

use crate::views::markdown::{attribute_name, cell, code, fit, html, inline, plain};

/// Lets a CI job find and update its own earlier comment.
pub(crate) const MARKER: &str = "<!-- gatesctl:plan -->";

/// One changed gate or rule: its heading, the attributes that differ, and the word diff of a
/// long query.
struct Change {
    heading: String,
    rows: Vec<(String, String, String)>,
    words: Option<String>,
    /// Options of the API that gatesctl does not model, sent back unchanged.
    kept: Option<String>,
}

fn rows(changes: &[AttrChange]) -> Vec<(String, String, String)> {
    let side = |v: &Option<AttrValue>| v.as_ref().map_or_else(|| "–".to_string(), |v| cell(&plain(v)));
    changes.iter().map(|c| (attribute_name(&c.name), side(&c.before), side(&c.after))).collect()
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
        RuleAction::Delete { before, duplicate: true, .. } => ("➖ delete extra", Some(before), None),
        RuleAction::Delete { before, .. } => ("➖ delete", Some(before), None),
    }
}

/// Texts longer than this also get their changed words highlighted.
const LONG_TEXT: usize = 60;

/// `service:checkout <del>env:prod</del> <ins>env:staging</ins>`; none for texts too long to diff.
fn highlighted_words(old: &str, new: &str) -> Option<String> {
    let mut out = String::new();
    for (tag, text) in crate::views::words(old, new)? {
        let text = inline(&text);
        match tag {
            similar::ChangeTag::Equal => out.push_str(&text),
            similar::ChangeTag::Delete => out.push_str(&format!("<del>{text}</del>")),
            similar::ChangeTag::Insert => out.push_str(&format!("<ins>{text}</ins>")),
        }
    }
    Some(out)
}

/// Every changed gate and rule of a gate, in plan order.
fn changes(key: &GateKey, action: &GateAction, rules: &[RuleAction]) -> Vec<Change> {
    let mut out = Vec::new();
    let gate = |symbol: &str, rows| Change {
        heading: format!("**{symbol}** gate {}", code(&key.to_string())),
        rows,
        words: None,
        kept: None,
    };
    match action {
        GateAction::Create { dry_run } => out.push(gate("➕ create", gate_rows(None, Some(*dry_run)))),
        GateAction::Update { before, after, .. } => out.push(gate("🔄 update", gate_rows(Some(*before), Some(*after)))),
        GateAction::Delete { dry_run, .. } => out.push(gate("➖ delete", gate_rows(Some(*dry_run), None))),
        GateAction::Keep { .. } => {}
    }
    for rule in rules {
        let (symbol, before, after) = rule_sides(rule);
        let differences = AttrChange::between(before, after);
        let words = differences.iter().find_map(|c| match (&c.before, &c.after) {
            (Some(AttrValue::Text(a)), Some(AttrValue::Text(b))) if a.len().max(b.len()) > LONG_TEXT => {
                highlighted_words(a, b).map(|words| format!("{}, word by word: {words}", attribute_name(&c.name)))
            }
            _ => None,
        });
        let kept = match rule {
            RuleAction::Update { before, after, .. } => {
                let kept: Vec<String> = super::text::kept_as_is(before, after)
                    .into_iter()
                    .map(|(k, v)| format!("{} = {}", code(&k), code(&v)))
                    .collect();
                (!kept.is_empty()).then(|| format!("Kept as is (options gatesctl does not model): {}", kept.join(", ")))
            }
            _ => None,
        };
        out.push(Change {
            heading: format!("**{symbol}** rule **{}** on {}", inline(rule.name()), code(&key.to_string())),
            rows: rows(&differences),
            words,
            kept,
        });
    }
    out
}

/// Where a capped comment sends the reader for the whole plan.
fn pointer(options: &MarkdownOptions) -> String {
    match &options.details {
        Some(Details::Url(url)) => format!("[the full plan]({})", url.replace(')', "%29").replace(' ', "%20")),
        Some(Details::Text(text)) => inline(text),
        None => "the job log".to_string(),
    }
}

/// Where the full plan is when the comment cannot hold it.
#[derive(Clone, Debug)]
pub(crate) enum Details {
    Url(String),
    Text(String),
}

#[derive(Clone, Debug)]
pub(crate) struct MarkdownOptions {
    /// The longest comment, in characters: GitHub refuses comments over 65,536.
    pub(crate) max_chars: usize,
    pub(crate) details: Option<Details>,
}

impl MarkdownOptions {
    /// Where a capped comment points for the full plan: the URL given, else the GitHub Actions
    /// run (from `GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, `GITHUB_RUN_ID`), else the saved plan.
    pub(crate) fn for_run(max_chars: usize, details_url: Option<String>, saved: Option<&std::path::Path>) -> Self {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let run = match (env("GITHUB_SERVER_URL"), env("GITHUB_REPOSITORY"), env("GITHUB_RUN_ID")) {
            (Some(server), Some(repo), Some(id)) => Some(format!("{server}/{repo}/actions/runs/{id}")),
            _ => None,
        };
        let details = match (details_url, run, saved) {
            (Some(url), _, _) => Some(Details::Url(url)),
            (None, Some(run), _) => Some(Details::Url(run)),
            (None, None, Some(path)) => Some(Details::Text(format!(
                "the job log, and in the saved plan {} ({})",
                code(&path.to_string_lossy()),
                code(&format!("gatesctl show {}", path.to_string_lossy()))
            ))),
            (None, None, None) => None,
        };
        MarkdownOptions { max_chars, details }
    }
}

/// What the online checks found, always visible: a reviewer must see that a rule can never
/// pass before approving it.
fn checks(found: &[ConfigDiagnostic], unchecked: Option<&str>) -> String {
    let mut out = String::new();
    let (problems, notes): (Vec<&ConfigDiagnostic>, Vec<&ConfigDiagnostic>) =
        found.iter().partition(|d| d.severity != Severity::Note);
    let line = |d: &ConfigDiagnostic| {
        let help = d.help.as_deref().map(|h| format!(": {}", inline(h))).unwrap_or_default();
        format!("{} {}:{}: {}{help}", code(d.code.as_str()), inline(d.file_name()), d.line(), inline(&d.message))
    };
    if !problems.is_empty() {
        let severity = if problems.iter().all(|d| d.severity == Severity::Warning) {
            "⚠️ **Warnings**"
        } else {
            "❌ **Errors**"
        };
        writeln!(out, "\n{severity} ({}):\n", problems.len()).unwrap();
        out.push_str(&capped_list(problems.into_iter().map(line)));
    }
    if !notes.is_empty() {
        writeln!(out, "\nℹ️ **Notes** ({}):\n", notes.len()).unwrap();
        out.push_str(&capped_list(notes.into_iter().map(line)));
    }
    if let Some(reason) = unchecked {
        writeln!(out, "\n> ⚠️ {}", inline(reason)).unwrap();
    }
    out
}

/// Lists in the always-visible part stop at this many entries.
const VISIBLE_ENTRIES: usize = 50;

fn capped_list(items: impl ExactSizeIterator<Item = String>) -> String {
    let total = items.len();
    let mut out: String = items.take(VISIBLE_ENTRIES).map(|i| format!("- {i}\n")).collect();
    if total > VISIBLE_ENTRIES {
        out.push_str(&format!("- … and {} more\n", total - VISIBLE_ENTRIES));
    }
    out
}

/// The comment: what is always visible (summary, targeting, destructive changes), then one
/// collapsed section per service, unless the whole would pass `max_chars`: then the sections
/// give way to a pointer to the full plan.
pub(crate) fn render_plan(
    plan: &Plan,
    options: &MarkdownOptions,
    found: &[ConfigDiagnostic],
    unchecked: Option<&str>,
    policies: &[gatesctl_core::policy::PolicyChange],
) -> String {
    let mut head = String::new();
    writeln!(head, "{MARKER}\n### gatesctl plan\n").unwrap();
    if plan.is_empty() {
        writeln!(head, "✅ **No changes.** Remote gates match the configuration.").unwrap();
    } else {
        let s = plan.summary();
        writeln!(head, "| | Gates | Rules |\n|---|---:|---:|").unwrap();
        writeln!(head, "| ➕ Create | {} | {} |", s.gates_create, s.rules_create).unwrap();
        writeln!(head, "| 🔄 Update | {} | {} |", s.gates_update, s.rules_update).unwrap();
        writeln!(head, "| ♻️ Replace | – | {} |", s.rules_replace).unwrap();
        writeln!(head, "| ➖ Delete | {} | {} |", s.gates_delete, s.rules_delete).unwrap();
    }
    if !plan.targets.is_empty() {
        let targets: Vec<String> = plan.targets.iter().map(|t| code(t)).collect();
        writeln!(
            head,
            "\n> ⚠️ **Targeting is in effect** ({}): this plan covers only the gates matched; changes to others may be pending.",
            targets.join(", ")
        )
        .unwrap();
    }
    // Deletions and replacements are never hidden in a collapsed section.
    let destructive: Vec<String> = plan
        .gates
        .iter()
        .flat_map(|g| {
            let gate = matches!(g.action, GateAction::Delete { .. })
                .then(|| format!("➖ delete gate {}", code(&g.key.to_string())));
            let rules = g.rules.iter().filter_map(|r| {
                match r {
                    RuleAction::Delete { duplicate: true, .. } => Some("➖ delete extra (duplicate)"),
                    RuleAction::Delete { .. } => Some("➖ delete"),
                    RuleAction::Replace { .. } => Some("♻️ replace"),
                    _ => None,
                }
                .map(|verb| format!("{verb} rule **{}** on {}", inline(r.name()), code(&g.key.to_string())))
            });
            gate.into_iter().chain(rules)
        })
        .collect();
    if !destructive.is_empty() {
        writeln!(head, "\n**Destructive changes** ({}):\n", destructive.len()).unwrap();
        head.push_str(&capped_list(destructive.into_iter()));
    }
    for duplicate in &plan.duplicate_gates {
        let ids: Vec<String> = duplicate.ids.iter().map(|id| code(id)).collect();
        writeln!(
            head,
            "\n> ⚠️ {} remote gates are {} (ids {}): gatesctl manages the first; the extra ones are deleted only with `--prune`.",
            duplicate.ids.len(),
            code(&duplicate.key.to_string()),
            ids.join(", ")
        )
        .unwrap();
    }
    for key in &plan.vanished {
        writeln!(
            head,
            "\n> ℹ️ Gate {} was deleted by someone else while gatesctl read it: planned as absent.",
            code(&key.to_string())
        )
        .unwrap();
    }
    head.push_str(&crate::views::policy::render_markdown(policies));
    head.push_str(&checks(found, unchecked));

    let mut body = String::new();
    let mut by_service: BTreeMap<&str, Vec<Change>> = BTreeMap::new();
    for gate in &plan.gates {
        by_service.entry(gate.key.service.as_str()).or_default().extend(changes(&gate.key, &gate.action, &gate.rules));
    }
    for (service, list) in by_service {
        let n = list.len();
        writeln!(
            body,
            "\n<details><summary><b>{}</b>: {n} change{}</summary>\n",
            html(service),
            if n == 1 { "" } else { "s" }
        )
        .unwrap();
        for change in list {
            writeln!(body, "{}\n", change.heading).unwrap();
            if !change.rows.is_empty() {
                writeln!(body, "| Attribute | Before | After |\n|---|---|---|").unwrap();
                for (k, b, a) in change.rows {
                    writeln!(body, "| {k} | {b} | {a} |").unwrap();
                }
                body.push('\n');
            }
            if let Some(words) = change.words {
                writeln!(body, "{words}\n").unwrap();
            }
            if let Some(kept) = change.kept {
                writeln!(body, "{kept}\n").unwrap();
            }
        }
        writeln!(body, "</details>").unwrap();
    }

    let mut tail = String::new();
    if !plan.unmanaged.is_empty() {
        let n = plan.unmanaged.len();
        let shown: Vec<String> = plan.unmanaged.iter().take(VISIBLE_ENTRIES).map(|k| code(&k.to_string())).collect();
        let more = if n > VISIBLE_ENTRIES { format!(" … and {} more", n - VISIBLE_ENTRIES) } else { String::new() };
        writeln!(
            tail,
            "\n> ℹ️ {n} remote gate{} declared in no file, left untouched: {}{more}",
            if n == 1 { "" } else { "s" },
            shown.join(", ")
        )
        .unwrap();
    }

    let length = |s: &str| s.chars().count();
    if length(&head) + length(&body) + length(&tail) <= options.max_chars {
        return head + &body + &tail;
    }
    let total = length(&head) + length(&body) + length(&tail);
    let note = format!(
        "\n> 📄 The details of the {} changes do not fit in one comment ({total} characters, over {}); they are in {}.\n",
        plan.action_count(),
        options.max_chars,
        pointer(options)
    );
    fit(&(head + &note + &tail), options.max_chars, "plan", &pointer(options))
}
