//! The report for a terminal.

use std::fmt::Write;

use super::*;
use crate::views::{window_words, Palette};
use gatesctl_core::escape::{quoted, terminal};
use gatesctl_core::model::time::format_rfc3339;
use gatesctl_core::report::{Day, Failure, GateReport, Recommendation, Report};
use gatesctl_core::text::plural;
use gatesctl_files::edit::Promoted;

pub(super) fn strip_text(days: &[Day]) -> String {
    days.iter()
        .map(|d| match d {
            Day::None => '·',
            Day::Pass => '✓',
            Day::Block => '✗',
            Day::Unjudged => '?',
        })
        .collect()
}

pub(super) fn paint_recommendation(p: Palette, r: Recommendation) -> String {
    match r {
        Recommendation::Promote => p.create(r.as_str()),
        Recommendation::KeepDryRun => p.update(r.as_str()),
        Recommendation::TooFewEvaluations => p.dim(r.as_str()),
        Recommendation::Enforced => r.as_str().to_string(),
    }
}

/// Why a rule failed, for a terminal: its reason, then its causes.
pub(super) fn why_text(f: &Failure) -> String {
    let mut why = terminal(if f.reason.is_empty() { "failed" } else { &f.reason }).into_owned();
    let causes = causes(f);
    if !causes.is_empty() {
        why.push_str(&format!(" ({})", terminal(&causes.join(", "))));
    }
    why
}

pub(super) fn failure_line_text(f: &Failure) -> String {
    format!("rule {}: {}", quoted(&f.rule), why_text(f))
}

/// The counts of a gate: evaluations, and those running, without data or set aside.
pub(super) fn gate_counts(g: &GateReport) -> String {
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

pub(super) fn gate_text(out: &mut String, g: &GateReport, p: Palette) {
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
