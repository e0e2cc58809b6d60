//! The report of `gatesctl report`: text for a terminal, Markdown for a pull request or a job
//! summary, and a versioned JSON document (`schemas/report.schema.json`).

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::markdown::{cell, code, inline};
use super::{window_words, Palette, WindowDocument};
use gatesctl_core::escape::{quoted, terminal};
use gatesctl_core::model::time::format_rfc3339;
use gatesctl_core::report::{
    Causes, Day, Failure, GateReport, Recommendation, Report, RuleReport, SetBy, Thresholds, Unattributed,
};
use gatesctl_core::text::plural;
use gatesctl_files::edit::Promoted;

/// Version of the JSON report's format, `MAJOR.MINOR`: additions bump the minor part.
/// 2.0: a failure is charged only to the evaluations before it (`efficacy` counts failures
/// caught and missed, blocks as false alarms), days are UTC days spanning the bar, and a
/// file's bar is never lowered by a flag.
pub(crate) const FORMAT_VERSION: &str = "2.0";
/// Lets a CI job find its own earlier comment or description.
pub(crate) const MARKER: &str = "<!-- gatesctl:report -->";
/// Failures and blocks shown per gate or rule in text and Markdown; JSON has them all.
const SHOWN: usize = 5;

/// A gatesctl report: the evaluation history of declared gates, judged.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl report")]
pub(crate) struct ReportDocument<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    pub(crate) window: WindowDocument,
    /// The bar where no file sets one (the flags', else the defaults); each gate has its own
    /// in `thresholds`.
    pub(crate) thresholds: Thresholds,
    /// As `thresholds.min_evaluations` (format 1.0).
    pub(crate) min_evaluations: u32,
    /// As `thresholds.max_block_percent` (format 1.0).
    pub(crate) max_block_percent: u32,
    /// Gates and rules per recommendation.
    pub(crate) summary: SummaryDocument,
    /// Every declared gate covered, in key order.
    pub(crate) gates: &'a [GateReport],
    /// History items the API answered that could not be read: not counted.
    pub(crate) unreadable: usize,
    /// Why monitor rules were not checked for watching nothing, when they were not.
    pub(crate) unchecked: Option<String>,
    /// Whether the failures that followed the evaluations (DORA) were read, for `efficacy`.
    pub(crate) dora: DoraDocument,
    /// What `--write` changed in the files; absent without `--write`.
    pub(crate) written: Option<WrittenDocument>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DoraDocument {
    /// Failures were read: each gate has its `efficacy`.
    pub(crate) read: bool,
    /// Failures of the window, of the covered gates' services and envs.
    pub(crate) failures: Option<usize>,
    /// Why they were not read (`--no-dora`, a key without `dora_metrics_read`).
    pub(crate) why: Option<String>,
    /// Failures read that could be charged to no gate: they name no env, or no service the
    /// files or the history know. Counted here, in no record.
    pub(crate) unattributed: Unattributed,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct SummaryDocument {
    pub(crate) promote: Tally,
    pub(crate) keep_dry_run: Tally,
    pub(crate) too_few_evaluations: Tally,
    pub(crate) enforced: Tally,
}

#[derive(Debug, Default, Serialize, JsonSchema)]
pub(crate) struct Tally {
    pub(crate) gates: usize,
    pub(crate) rules: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WrittenDocument {
    /// Files changed.
    pub(crate) files: Vec<String>,
    /// Gates and rules switched to enforcing.
    pub(crate) promoted: Vec<SubjectDocument>,
    /// Gates and rules recommended for promotion but left as they are, with why.
    pub(crate) left: Vec<SubjectDocument>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SubjectDocument {
    pub(crate) gate: String,
    /// The rule; absent for the gate itself.
    pub(crate) rule: Option<String>,
    pub(crate) reason: Option<String>,
}

fn subject((gate, rule): &gatesctl_files::edit::Subject, reason: Option<&str>) -> SubjectDocument {
    SubjectDocument { gate: gate.joined(), rule: rule.clone(), reason: reason.map(str::to_string) }
}

pub(crate) fn document<'a>(report: &'a Report, written: Option<&Promoted>) -> ReportDocument<'a> {
    let mut summary = SummaryDocument::default();
    for (recommendation, (gates, rules)) in report.tally() {
        let tally = match recommendation {
            Recommendation::Promote => &mut summary.promote,
            Recommendation::KeepDryRun => &mut summary.keep_dry_run,
            Recommendation::TooFewEvaluations => &mut summary.too_few_evaluations,
            Recommendation::Enforced => &mut summary.enforced,
        };
        *tally = Tally { gates, rules };
    }
    let s = &report.settings;
    let thresholds = s.default_thresholds();
    ReportDocument {
        format_version: FORMAT_VERSION.into(),
        gatesctl_version: env!("CARGO_PKG_VERSION").into(),
        window: s.window.into(),
        thresholds,
        min_evaluations: thresholds.min_evaluations,
        max_block_percent: thresholds.max_block_percent,
        summary,
        gates: &report.gates,
        unreadable: report.unreadable,
        unchecked: report.unchecked.clone(),
        dora: match &report.failures {
            Ok(n) => DoraDocument { read: true, failures: Some(*n), why: None, unattributed: report.unattributed },
            Err(unread) => DoraDocument {
                read: false,
                failures: None,
                why: Some(unread_words(unread)),
                unattributed: report.unattributed,
            },
        },
        written: written.map(|w| WrittenDocument {
            files: w.files.iter().map(|f| f.path.to_string_lossy().into_owned()).collect(),
            promoted: w.written.iter().map(|s| subject(s, None)).collect(),
            left: w.left.iter().map(|(s, why)| subject(s, Some(why))).collect(),
        }),
    }
}

pub(crate) fn render_json(report: &Report, written: Option<&Promoted>) -> String {
    super::pretty(&document(report, written))
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(ReportDocument<'static>), "report.schema.json")
}

/// "2 gates and 1 rule", "1 gate", "3 rules".
fn gates_and_rules(gates: usize, rules: usize) -> String {
    match (gates, rules) {
        (0, r) => plural(r, "rule", "rules"),
        (g, 0) => plural(g, "gate", "gates"),
        (g, r) => format!("{} and {}", plural(g, "gate", "gates"), plural(r, "rule", "rules")),
    }
}

/// The summary, the same words in text and Markdown.
fn summary_parts(report: &Report) -> Vec<(Recommendation, String)> {
    report
        .tally()
        .into_iter()
        .map(|(r, (g, n))| {
            let words = gates_and_rules(g, n);
            let text = match r {
                Recommendation::Promote => format!("promote {words}"),
                Recommendation::KeepDryRun => format!("keep {words} in dry run"),
                Recommendation::TooFewEvaluations => format!("{words} with too little evidence yet"),
                Recommendation::Enforced => format!("{words} enforced"),
            };
            (r, text)
        })
        .collect()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The bar, in words: what a gate or rule in dry run needs.
fn bar_words(t: &Thresholds) -> String {
    let versions = match t.min_versions {
        0 => String::new(),
        n => format!(", of {}", plural(n as usize, "version", "versions")),
    };
    let spread = match t.min_days {
        0 | 1 => String::new(),
        n => format!(" across at least {}", plural(n as usize - 1, "day", "days")),
    };
    format!(
        "{} with rule results under today's configuration, on {}{spread}{versions}, the newest {} clean, and at most {}% of them blocking",
        plural(t.min_evaluations as usize, "evaluation", "evaluations"),
        plural(t.min_days as usize, "UTC day", "UTC days"),
        t.clean_streak,
        t.max_block_percent
    )
}

fn strip_text(days: &[Day]) -> String {
    days.iter()
        .map(|d| match d {
            Day::None => '·',
            Day::Pass => '✓',
            Day::Block => '✗',
            Day::Unjudged => '?',
        })
        .collect()
}

fn strip_markdown(days: &[Day]) -> String {
    days.iter()
        .map(|d| match d {
            Day::None => "⬜",
            Day::Pass => "🟩",
            Day::Block => "🟥",
            Day::Unjudged => "🟨",
        })
        .collect()
}

/// What made a rule fail: its monitors and their states, or its faulty resources.
fn causes(f: &Failure) -> Vec<String> {
    let monitors = f.failures.monitors.iter().map(|m| {
        if m.state.is_empty() {
            format!("monitor {}", m.id)
        } else {
            format!("monitor {} {}", m.id, m.state)
        }
    });
    let resources = f.failures.faulty_apm_resources.iter().map(|r| format!("faulty resource {r}"));
    monitors.chain(resources).collect()
}

/// "2 with a monitor in ALERT, 1 with faulty resources".
fn cause_words(c: &Causes) -> Option<String> {
    if c.is_empty() {
        return None;
    }
    let parts: Vec<String> = [
        (c.alert, "with a monitor in ALERT"),
        (c.no_data, "with a monitor in NO DATA"),
        (c.faulty_resources, "with faulty resources"),
        (c.other, "for other reasons"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    Some(parts.join(", "))
}

fn version_words(version: &str) -> String {
    if version.is_empty() {
        "an unversioned deploy".into()
    } else {
        format!("version {}", quoted(version))
    }
}

fn paint_recommendation(p: Palette, r: Recommendation) -> String {
    match r {
        Recommendation::Promote => p.create(r.as_str()),
        Recommendation::KeepDryRun => p.update(r.as_str()),
        Recommendation::TooFewEvaluations => p.dim(r.as_str()),
        Recommendation::Enforced => r.as_str().to_string(),
    }
}

fn mode(dry_run: bool) -> &'static str {
    if dry_run {
        "dry run"
    } else {
        "enforced"
    }
}

/// Rules worth a line of their own: in dry run, failing, set aside or known only from
/// history; an enforced rule that never failed says nothing its gate does not.
fn worth_a_line(r: &RuleReport) -> bool {
    r.dry_run || r.failures > 0 || !r.declared || r.set_aside > 0 || r.watches_nothing.is_some() || r.no_data > 0
}

/// A gate or rule whose `why` is worth showing: not promoted, and not merely enforced.
fn explained(recommendation: Option<Recommendation>) -> bool {
    matches!(recommendation, Some(Recommendation::KeepDryRun | Recommendation::TooFewEvaluations))
}

/// Why a rule failed, for a terminal: its reason, then its causes.
fn why_text(f: &Failure) -> String {
    let mut why = terminal(if f.reason.is_empty() { "failed" } else { &f.reason }).into_owned();
    let causes = causes(f);
    if !causes.is_empty() {
        why.push_str(&format!(" ({})", terminal(&causes.join(", "))));
    }
    why
}

fn failure_line_text(f: &Failure) -> String {
    format!("rule {}: {}", quoted(&f.rule), why_text(f))
}

/// The counts of a gate: evaluations, and those running, without data or set aside.
fn gate_counts(g: &GateReport) -> String {
    let mut parts = vec![plural(g.evaluations, "evaluation", "evaluations")];
    if g.evaluations > 0 {
        parts[0].push_str(&format!(
            " on {}, {}",
            plural(g.evidence.days_evaluated, "day", "days"),
            plural(g.evidence.versions, "version", "versions")
        ));
    }
    if g.in_progress > g.stuck {
        parts.push(format!("{} in progress", g.in_progress - g.stuck));
    }
    if g.stuck > 0 {
        parts.push(format!("{} stuck in progress", g.stuck));
    }
    if g.no_data > 0 {
        parts.push(format!("{} without data", g.no_data));
    }
    if g.set_aside > 0 {
        parts.push(format!("{} set aside", g.set_aside));
    }
    parts.join(", ")
}

fn gate_text(out: &mut String, g: &GateReport, p: Palette) {
    writeln!(out, "{}: {}", p.bold(&g.gate.to_string()), paint_recommendation(p, g.recommendation)).unwrap();
    let blocks =
        if g.dry_run { format!("{} would have blocked", g.would_block) } else { format!("{} blocked", g.blocked) };
    let blocks = match cause_words(&g.causes) {
        Some(c) => format!("{blocks} ({c})"),
        None => blocks,
    };
    let clean = match (g.evaluations, g.evidence.clean_since) {
        (0, _) => String::new(),
        (_, Some(since)) => format!(" · clean since {}", format_rfc3339(since)),
        (_, None) => String::new(),
    };
    if g.evaluations == 0 && g.no_data == 0 && g.set_aside == 0 {
        let running = if g.in_progress > 0 { format!(", {} in progress", g.in_progress) } else { String::new() };
        writeln!(out, "  {} · never evaluated in the window{running}", mode(g.dry_run)).unwrap();
    } else {
        writeln!(out, "  {} · {} · {blocks}{clean} · {}", mode(g.dry_run), gate_counts(g), strip_text(&g.days))
            .unwrap();
    }
    if let Some(r) = g.record.filter(|r| r.weighed_failures()) {
        writeln!(out, "  record: {}", r.words(g.dry_run)).unwrap();
    }
    if explained(Some(g.recommendation)) {
        if let Some(why) = &g.why {
            writeln!(out, "  why: {}", terminal(why)).unwrap();
        }
        if !g.missing.is_empty() {
            writeln!(out, "  needs: {}", terminal(&g.missing.join(", "))).unwrap();
        }
    }
    let verb = if g.dry_run { "would have blocked" } else { "blocked" };
    for b in g.blocks.iter().take(SHOWN) {
        let rules: Vec<String> = b.rules.iter().map(failure_line_text).collect();
        let why = if rules.is_empty() { String::new() } else { format!(": {}", rules.join("; ")) };
        writeln!(out, "  {verb} {} at {}{why}", version_words(&b.version), format_rfc3339(b.started_ms)).unwrap();
    }
    if g.blocks.len() > SHOWN {
        writeln!(out, "  … and {} earlier", g.blocks.len() - SHOWN).unwrap();
    }
    for r in g.rules.iter().filter(|r| worth_a_line(r)) {
        let judged = match r.recommendation {
            Some(rec) => paint_recommendation(p, rec),
            None => p.dim("no longer declared (renamed or removed)"),
        };
        let blocked = if r.blocked > 0 { format!(", {} blocked", r.blocked) } else { String::new() };
        let aside = if r.set_aside > 0 { format!(", {} set aside", r.set_aside) } else { String::new() };
        let nothing = if r.watches_nothing.is_some() { " · watches nothing" } else { "" };
        let failing = if r.failing_now.is_empty() { "" } else { " · a monitor failing now" };
        writeln!(
            out,
            "  rule {}: {judged} ({} · {}{aside} · {} failed{blocked}{nothing}{failing})",
            quoted(&r.name),
            mode(r.dry_run),
            plural(r.evaluations, "evaluation", "evaluations"),
            r.failures
        )
        .unwrap();
        if explained(r.recommendation) {
            if let Some(why) = &r.why {
                writeln!(out, "    why: {}", terminal(why)).unwrap();
            }
            if !r.missing.is_empty() {
                writeln!(out, "    needs: {}", terminal(&r.missing.join(", "))).unwrap();
            }
        }
        if r.recommendation == Some(Recommendation::KeepDryRun) {
            for f in r.failed.iter().take(SHOWN) {
                writeln!(
                    out,
                    "    failed on {} at {}: {}",
                    version_words(&f.version),
                    format_rfc3339(f.started_ms),
                    why_text(f)
                )
                .unwrap();
            }
            if r.failed.len() > SHOWN {
                writeln!(out, "    … and {} earlier", r.failed.len() - SHOWN).unwrap();
            }
        }
    }
}

pub(crate) fn render_text(report: &Report, p: Palette) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "Evaluation history of {} over {}. {}",
        plural(report.gates.len(), "declared gate", "declared gates"),
        window_words(report.settings.window),
        bar_sentence(report)
    )
    .unwrap();
    writeln!(
        out,
        "Days, oldest first: ✓ every evaluation counted passed, ✗ blocked (or would have, in dry run), ? evaluations that prove nothing (no rule results or no data, rules under another configuration, stuck), · none.\n"
    )
    .unwrap();
    for g in &report.gates {
        gate_text(&mut out, g, p);
        out.push('\n');
    }
    if report.unreadable > 0 {
        writeln!(
            out,
            "{} of the history could not be read and was not counted.",
            plural(report.unreadable, "item", "items")
        )
        .unwrap();
    }
    if let Some(why) = &report.unchecked {
        writeln!(out, "Note: {}.", terminal(why)).unwrap();
    }
    match &report.failures {
        Ok(0) => writeln!(out, "No failure (DORA) was recorded for these gates in the window.").unwrap(),
        Ok(n) => writeln!(
            out,
            "Records weigh the {} (DORA) of the window, each charged to the evaluations that came before it: a would-be block charged with a failure was right, and does not count against promotion.",
            plural(*n, "failure", "failures")
        )
        .unwrap(),
        Err(unread) => writeln!(
            out,
            "Note: failures (DORA) were not read, so no gate has a record against them: {}.",
            terminal(&unread_words(unread))
        )
        .unwrap(),
    }
    if let Some(words) = unattributed_words(report) {
        writeln!(out, "{words}").unwrap();
    }
    let parts: Vec<String> = summary_parts(report).into_iter().map(|(_, t)| t).collect();
    if parts.is_empty() {
        writeln!(out, "No declared gate to report on.").unwrap();
    } else {
        writeln!(out, "{}.", capitalized(&parts.join(", "))).unwrap();
    }
    out
}

/// "2 failures (DORA) could be charged to no gate and are in no record: 1 names no env, 1 no
/// service the files or the history know."
fn unattributed_words(report: &Report) -> Option<String> {
    let u = report.unattributed;
    if u.total() == 0 {
        return None;
    }
    let mut parts = Vec::new();
    if u.no_env > 0 {
        parts.push(format!("{} {} no env", u.no_env, if u.no_env == 1 { "names" } else { "name" }));
    }
    if u.unknown_service > 0 {
        parts.push(format!(
            "{} {} no service the files or the history know",
            u.unknown_service,
            if u.unknown_service == 1 { "names" } else { "name" }
        ));
    }
    Some(format!(
        "{} (DORA) could be charged to no gate and {} in no record: {}.",
        plural(u.total(), "failure", "failures"),
        if u.total() == 1 { "is" } else { "are" },
        parts.join(", ")
    ))
}

/// The bars the gates were held to: one when they share it, else each with where it is set
/// (its file's `[report]`, or a gate's own `report` table), in the order of the gates.
fn bars(report: &Report) -> Vec<(Thresholds, Vec<String>)> {
    let mut out: Vec<(Thresholds, Vec<String>)> = Vec::new();
    for g in &report.gates {
        let by = g.thresholds_set_by;
        let own = [by.min_evaluations, by.min_days, by.min_versions, by.clean_streak, by.max_block_percent]
            .contains(&SetBy::Gate);
        let place = if own { format!("{} (its own report table)", g.gate) } else { terminal(&g.file).into_owned() };
        match out.iter_mut().find(|(t, _)| *t == g.thresholds) {
            Some((_, places)) if places.contains(&place) => {}
            Some((_, places)) => places.push(place),
            None => out.push((g.thresholds, vec![place])),
        }
    }
    if out.is_empty() {
        out.push((report.settings.default_thresholds(), Vec::new()));
    }
    out
}

/// The bars as Markdown: a sentence, or a list.
fn inline_bars(report: &Report) -> String {
    let bars = bars(report);
    if let [(only, _)] = bars.as_slice() {
        return format!("To be promoted, a gate or rule in dry run needs {}.", bar_words(only));
    }
    let mut out =
        "To be promoted, a gate or rule in dry run needs the bar its file or its own report table sets:\n".to_string();
    for (t, places) in bars {
        out.push_str(&format!("\n- {}: {}", inline(&places.join(", ")), bar_words(&t)));
    }
    out
}

/// "To be promoted, a gate or rule in dry run needs …", with the bars actually used.
fn bar_sentence(report: &Report) -> String {
    let bars = bars(report);
    if let [(only, _)] = bars.as_slice() {
        return format!("To be promoted, a gate or rule in dry run needs {}.", bar_words(only));
    }
    let mut out =
        "To be promoted, a gate or rule in dry run needs the bar its file or its own report table sets:".to_string();
    for (t, places) in bars {
        out.push_str(&format!("\n  {}: {}", places.join(", "), bar_words(&t)));
    }
    out
}

/// What `--write` did, for stderr (text and Markdown keep stdout for the report).
pub(crate) fn render_written(written: &Promoted, report: &Report) -> String {
    let mut out = String::new();
    for (subject, why) in &written.left {
        let what = gatesctl_files::edit::describe(subject);
        writeln!(out, "note: {what} is recommended for promotion but was not written: {why}").unwrap();
    }
    if written.files.is_empty() {
        let promotions = report.promotions().len();
        if promotions == 0 {
            writeln!(out, "Nothing to write: no gate or rule is recommended for promotion.").unwrap();
        } else {
            writeln!(
                out,
                "Nothing written: the {} recommended for promotion {} left for a person (see the notes above).",
                plural(promotions, "gate or rule", "gates and rules"),
                if promotions == 1 { "is" } else { "are" }
            )
            .unwrap();
        }
    } else {
        let files: Vec<String> = written.files.iter().map(|f| gatesctl_core::escape::path(&f.path)).collect();
        writeln!(
            out,
            "Wrote {} in {}: `gatesctl plan` shows the change; review it, then apply.",
            gates_and_rules(
                written.written.iter().filter(|s| s.1.is_none()).count(),
                written.written.iter().filter(|s| s.1.is_some()).count()
            ),
            files.join(", ")
        )
        .unwrap();
    }
    out
}

fn md_failure(f: &Failure) -> String {
    let reason = if f.reason.is_empty() { "failed".to_string() } else { inline(&f.reason) };
    let causes: Vec<String> = causes(f).iter().map(|c| inline(c)).collect();
    let causes = if causes.is_empty() { String::new() } else { format!(" ({})", causes.join(", ")) };
    format!("rule {}: {reason}{causes}", code(&f.rule))
}

fn md_recommendation(r: Option<Recommendation>) -> String {
    match r {
        Some(Recommendation::Promote) => "✅ **promote**".to_string(),
        Some(Recommendation::KeepDryRun) => "⚠️ keep-dry-run".to_string(),
        Some(other) => other.as_str().to_string(),
        None => "no longer declared".to_string(),
    }
}

fn md_version(version: &str) -> String {
    if version.is_empty() {
        "an unversioned deploy".into()
    } else {
        code(version)
    }
}

pub(crate) fn render_markdown(report: &Report, max_chars: usize) -> String {
    let mut out = String::new();
    writeln!(out, "{MARKER}\n### gatesctl report: {}\n", window_words(report.settings.window)).unwrap();
    let parts = summary_parts(report);
    if parts.is_empty() {
        writeln!(out, "No declared gate to report on.").unwrap();
        return out;
    }
    let line: Vec<String> = parts
        .into_iter()
        .enumerate()
        .map(|(i, (r, t))| {
            let t = if i == 0 { capitalized(&t) } else { t };
            if r == Recommendation::Promote {
                format!("**{t}**")
            } else {
                t
            }
        })
        .collect();
    writeln!(out, "{}\n", line.join(" · ")).unwrap();
    writeln!(
        out,
        "{}\n\nDays run oldest to newest: 🟩 every evaluation counted passed, 🟥 blocked (or would have, in dry run), 🟨 evaluations that prove nothing (no rule results or no data, rules under another configuration, stuck), ⬜ none.\n",
        inline_bars(report)
    )
    .unwrap();
    writeln!(
        out,
        "| Gate | Mode | Evaluations | In progress | Blocks | Clean since | Days | Recommendation |\n|---|---|---:|---:|---:|---|---|---|"
    )
    .unwrap();
    for g in &report.gates {
        let blocks = if g.dry_run { format!("{} would have", g.would_block) } else { g.blocked.to_string() };
        let clean = match (g.evaluations, g.evidence.clean_since) {
            (0, _) | (_, None) => "–".to_string(),
            (_, Some(since)) => format_rfc3339(since),
        };
        let mut evaluations = g.evaluations.to_string();
        if g.no_data + g.set_aside > 0 {
            evaluations.push_str(&format!(" (+{} not counted)", g.no_data + g.set_aside));
        }
        writeln!(
            out,
            "| {} | {} | {evaluations} | {} | {blocks} | {clean} | {} | {} |",
            cell(&g.gate.to_string()),
            mode(g.dry_run),
            g.in_progress,
            strip_markdown(&g.days),
            md_recommendation(Some(g.recommendation))
        )
        .unwrap();
    }
    // Why each gate or rule in dry run is not promoted, in the open.
    let mut reasons = Vec::new();
    for g in &report.gates {
        if explained(Some(g.recommendation)) {
            reasons.push((code(&g.gate.to_string()), g.why.as_deref(), &g.missing));
        }
        for r in g.rules.iter().filter(|r| explained(r.recommendation)) {
            reasons.push((
                format!("{} rule {}", code(&g.gate.to_string()), code(&r.name)),
                r.why.as_deref(),
                &r.missing,
            ));
        }
    }
    if !reasons.is_empty() {
        writeln!(out, "\n#### Why not promoted yet\n").unwrap();
        for (what, why, missing) in reasons {
            let needs = if missing.is_empty() {
                String::new()
            } else {
                format!(" **Needs:** {}.", inline(&missing.join(", ")))
            };
            writeln!(out, "- {what}: {}.{needs}", inline(why.unwrap_or("not promoted"))).unwrap();
        }
    }
    let weighed: Vec<&GateReport> =
        report.gates.iter().filter(|g| g.record.is_some_and(|r| r.weighed_failures())).collect();
    if !weighed.is_empty() {
        writeln!(out, "\n#### Against the failures that followed\n").unwrap();
        for g in weighed {
            let words = g.record.map(|r| r.words(g.dry_run)).unwrap_or_default();
            writeln!(out, "- {} {}", code(&g.gate.to_string()), inline(&words)).unwrap();
        }
    }
    if let Err(unread) = &report.failures {
        writeln!(
            out,
            "\n> Failures (DORA) were not read, so no gate has a record against them: {}.",
            inline(&unread_words(unread))
        )
        .unwrap();
    }
    if let Some(words) = unattributed_words(report) {
        writeln!(out, "\n> {words}").unwrap();
    }
    let blocking: Vec<&GateReport> = report.gates.iter().filter(|g| !g.blocks.is_empty()).collect();
    if !blocking.is_empty() {
        writeln!(out, "\n#### Blocks and would-be blocks\n").unwrap();
        for g in blocking {
            let verb = if g.dry_run { "would have blocked" } else { "blocked" };
            for b in g.blocks.iter().take(SHOWN) {
                let rules: Vec<String> = b.rules.iter().map(md_failure).collect();
                let why = if rules.is_empty() { String::new() } else { format!(": {}", rules.join("; ")) };
                writeln!(
                    out,
                    "- {} {verb} {} at {}{why}",
                    code(&g.gate.to_string()),
                    md_version(&b.version),
                    format_rfc3339(b.started_ms)
                )
                .unwrap();
            }
            if g.blocks.len() > SHOWN {
                writeln!(out, "- {}: … and {} earlier", code(&g.gate.to_string()), g.blocks.len() - SHOWN).unwrap();
            }
        }
    }
    let rules: Vec<(&GateReport, &RuleReport)> = report
        .gates
        .iter()
        .flat_map(|g| g.rules.iter().map(move |r| (g, r)))
        .filter(|(_, r)| worth_a_line(r))
        .collect();
    if !rules.is_empty() {
        writeln!(
            out,
            "\n#### Rules\n\n| Gate | Rule | Mode | Evaluations | Set aside | Failures | Recommendation | Why |\n|---|---|---|---:|---:|---:|---|---|"
        )
        .unwrap();
        for (g, r) in rules {
            let why = match (&r.why, explained(r.recommendation)) {
                (Some(why), true) => inline(why),
                _ => "–".to_string(),
            };
            let failures = match cause_words(&r.causes) {
                Some(c) => format!("{} ({})", r.failures, inline(&c)),
                None => r.failures.to_string(),
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {failures} | {} | {why} |",
                cell(&g.gate.to_string()),
                cell(&r.name),
                mode(r.dry_run),
                r.evaluations,
                r.set_aside,
                md_recommendation(r.recommendation)
            )
            .unwrap();
        }
    }
    if report.unreadable > 0 {
        writeln!(
            out,
            "\n{} of the history could not be read and was not counted.",
            plural(report.unreadable, "item", "items")
        )
        .unwrap();
    }
    if let Some(why) = &report.unchecked {
        writeln!(out, "\n> Note: {}.", inline(why)).unwrap();
    }
    super::markdown::fit(&out, max_chars, "report", "the JSON report (`gatesctl report --format json`)")
}

/// Why the failures were not read, as the report says it.
fn unread_words(unread: &gatesctl_core::report::FailuresUnread) -> String {
    match unread {
        gatesctl_core::report::FailuresUnread::NotAsked => "not read (--no-dora)".into(),
        gatesctl_core::report::FailuresUnread::Unavailable(why) => why.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_read_the_same_in_text_and_markdown() {
        let days = [Day::None, Day::Pass, Day::Block];
        assert_eq!(strip_text(&days), "·✓✗");
        assert_eq!(strip_markdown(&days), "⬜🟩🟥");
    }
}

