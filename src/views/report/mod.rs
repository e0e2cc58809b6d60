//! The report of `gatesctl report`: text for a terminal (`text`), Markdown for a pull request
//! or a job summary (`markdown`), and a versioned JSON document (`json`); what they share
//! is here.

mod json;
mod markdown;
mod text;

pub(crate) use json::{render_json, schema_json};
pub(crate) use markdown::render_markdown;
pub(crate) use text::{render_text, render_written};

use super::markdown::inline;
use gatesctl_core::escape::{quoted, terminal};
use gatesctl_core::report::{Causes, Failure, Recommendation, Report, RuleReport, SetBy, Thresholds};
use gatesctl_core::text::plural;

/// Version of the JSON report's format, `MAJOR.MINOR`: additions bump the minor part.
/// 2.0: a failure is charged only to the evaluations before it (`efficacy` counts failures
/// caught and missed, blocks as false alarms), days are UTC days spanning the bar, and a
/// file's bar is never lowered by a flag.
pub(crate) const FORMAT_VERSION: &str = "2.0";
/// Lets a CI job find its own earlier comment or description.
pub(crate) const MARKER: &str = "<!-- gatesctl:report -->";
/// Failures and blocks shown per gate or rule in text and Markdown; JSON has them all.
const SHOWN: usize = 5;

/// "2 gates and 1 rule", "1 gate", "3 rules".
pub(super) fn gates_and_rules(gates: usize, rules: usize) -> String {
    match (gates, rules) {
        (0, r) => plural(r, "rule", "rules"),
        (g, 0) => plural(g, "gate", "gates"),
        (g, r) => format!("{} and {}", plural(g, "gate", "gates"), plural(r, "rule", "rules")),
    }
}

/// The summary, the same words in text and Markdown.
pub(super) fn summary_parts(report: &Report) -> Vec<(Recommendation, String)> {
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

pub(super) fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// The bar, in words: what a gate or rule in dry run needs.
pub(super) fn bar_words(t: &Thresholds) -> String {
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

/// What made a rule fail: its monitors and their states, or its faulty resources.
pub(super) fn causes(f: &Failure) -> Vec<String> {
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
pub(super) fn cause_words(c: &Causes) -> Option<String> {
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

pub(super) fn version_words(version: &str) -> String {
    if version.is_empty() {
        "an unversioned deploy".into()
    } else {
        format!("version {}", quoted(version))
    }
}

pub(super) fn mode(dry_run: bool) -> &'static str {
    if dry_run {
        "dry run"
    } else {
        "enforced"
    }
}

/// Rules worth a line of their own: in dry run, failing, set aside or known only from
/// history; an enforced rule that never failed says nothing its gate does not.
pub(super) fn worth_a_line(r: &RuleReport) -> bool {
    r.dry_run || r.failures > 0 || !r.declared || r.set_aside > 0 || r.watches_nothing.is_some() || r.no_data > 0
}

/// A gate or rule whose `why` is worth showing: not promoted, and not merely enforced.
pub(super) fn explained(recommendation: Option<Recommendation>) -> bool {
    matches!(recommendation, Some(Recommendation::KeepDryRun | Recommendation::TooFewEvaluations))
}

/// "2 failures (DORA) could be charged to no gate and are in no record: 1 names no env, 1 no
/// service the files or the history know."
pub(super) fn unattributed_words(report: &Report) -> Option<String> {
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
pub(super) fn bars(report: &Report) -> Vec<(Thresholds, Vec<String>)> {
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
pub(super) fn inline_bars(report: &Report) -> String {
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
pub(super) fn bar_sentence(report: &Report) -> String {
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

/// Why the failures were not read, as the report says it.
pub(super) fn unread_words(unread: &gatesctl_core::report::FailuresUnread) -> String {
    match unread {
        gatesctl_core::report::FailuresUnread::NotAsked => "not read (--no-dora)".into(),
        gatesctl_core::report::FailuresUnread::Unavailable(why) => why.clone(),
    }
}
