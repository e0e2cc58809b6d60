//! The report as Markdown: a pull-request description, a comment, a job summary.

use std::fmt::Write;

use super::*;
use crate::views::markdown::{cell, code, inline};
use crate::views::window_words;
use gatesctl_core::model::time::format_rfc3339;
use gatesctl_core::report::{Day, Failure, GateReport, Recommendation, Report, RuleReport};
use gatesctl_core::text::plural;

pub(super) fn strip_markdown(days: &[Day]) -> String {
    days.iter()
        .map(|d| match d {
            Day::None => "⬜",
            Day::Pass => "🟩",
            Day::Block => "🟥",
            Day::Unjudged => "🟨",
        })
        .collect()
}

pub(super) fn md_failure(f: &Failure) -> String {
    let reason = if f.reason.is_empty() { "failed".to_string() } else { inline(&f.reason) };
    let causes: Vec<String> = causes(f).iter().map(|c| inline(c)).collect();
    let causes = if causes.is_empty() { String::new() } else { format!(" ({})", causes.join(", ")) };
    format!("rule {}: {reason}{causes}", code(&f.rule))
}

pub(super) fn md_recommendation(r: Option<Recommendation>) -> String {
    match r {
        Some(Recommendation::Promote) => "✅ **promote**".to_string(),
        Some(Recommendation::KeepDryRun) => "⚠️ keep-dry-run".to_string(),
        Some(other) => other.as_str().to_string(),
        None => "no longer declared".to_string(),
    }
}

pub(super) fn md_version(version: &str) -> String {
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
    crate::views::markdown::fit(&out, max_chars, "report", "the JSON report (`gatesctl report --format json`)")
}

#[cfg(test)]
mod tests {
    use super::super::text::strip_text;
    use super::*;

    #[test]
    fn strips_read_the_same_in_text_and_markdown() {
        let days = [Day::None, Day::Pass, Day::Block];
        assert_eq!(strip_text(&days), "·✓✗");
        assert_eq!(strip_markdown(&days), "⬜🟩🟥");
    }
}
