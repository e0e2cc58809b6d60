//! Whether a gate or rule in dry run has earned enforcing, from its judged evaluations: every
//! condition of `docs/report.md`, each with the words that say why not and what is missing.

use super::evidence::{spread_enough, weigh, Evidence, Judged, StreakEnd};
use super::outcome::Recommendation;
use super::thresholds::Thresholds;
use crate::escape::quoted;
use crate::model::time::{format_rfc3339, Window};
use crate::text::plural;

/// A gate's or rule's judgement: what it is, why, and what would change it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Verdict {
    pub(super) recommendation: Recommendation,
    pub(super) why: Option<String>,
    pub(super) missing: Vec<String>,
}

impl Verdict {
    pub(super) fn enforced(why: &str) -> Verdict {
        Verdict { recommendation: Recommendation::Enforced, why: Some(why.into()), missing: Vec::new() }
    }
}

/// What a verdict is made from.
pub(super) struct Case<'j, 'a> {
    pub(super) thresholds: &'j Thresholds,
    pub(super) window: Window,
    /// Newest first; a block charged with a failure already reads as not blocked.
    pub(super) judged: &'j [Judged<'a>],
    /// Whether the failures (DORA) were read: then only false alarms count against it.
    pub(super) weighed: bool,
    /// What keeps it in dry run whatever its evaluations say (it watches nothing, a monitor
    /// it watches is failing now).
    pub(super) problems: Vec<String>,
    /// Worth saying when it is not promoted (evaluations set aside, without data).
    pub(super) context: Vec<String>,
}

/// `part` of `whole` in whole percent, rounded to the nearest.
pub(super) fn percent(part: usize, whole: usize) -> usize {
    (part * 200 + whole).checked_div(whole * 2).unwrap_or(0)
}

pub(super) fn version_words(version: &str) -> String {
    if version.is_empty() {
        "an unversioned deploy".to_string()
    } else {
        format!("version {}", quoted(version))
    }
}

/// `3 days 4 hours`, `23 hours`: a span for people.
fn hours_words(hours: i64) -> String {
    let (days, hours) = (hours / 24, hours % 24);
    match (days, hours) {
        (0, h) => plural(h as usize, "hour", "hours"),
        (d, 0) => plural(d as usize, "day", "days"),
        (d, h) => format!("{} {}", plural(d as usize, "day", "days"), plural(h as usize, "hour", "hours")),
    }
}

/// The verdict on a gate or rule in dry run, and its evidence.
pub(super) fn judge(case: Case<'_, '_>) -> (Verdict, Evidence) {
    let t = case.thresholds;
    let (ev, end) = weigh(case.judged);
    let unfollowed = if case.weighed { " where no failure followed" } else { "" };
    let samples: Vec<_> = case
        .judged
        .iter()
        .filter_map(|j| match j {
            Judged::Counted(s) => Some(s),
            _ => None,
        })
        .collect();
    let evaluations = samples.len();
    let blocks: Vec<_> = samples.iter().filter(|s| s.blocked).collect();
    let (mut bad, mut short, mut missing) = (case.problems, Vec::new(), Vec::new());

    // Few blocks.
    if !blocks.is_empty() && !t.within(blocks.len(), evaluations) {
        bad.push(format!(
            "it would have blocked {} of {} ({}%){unfollowed}, more than the {}% allowed",
            blocks.len(),
            plural(evaluations, "evaluation", "evaluations"),
            percent(blocks.len(), evaluations),
            t.max_block_percent
        ));
        if t.max_block_percent == 0 {
            let leaves = blocks[0].at + (case.window.to_ms - case.window.from_ms);
            let what = if case.weighed { "false alarm" } else { "block" };
            missing.push(format!("no {what} in the window (the newest leaves it on {})", format_rfc3339(leaves)));
        } else {
            let needed = (blocks.len() * 100).div_ceil(t.max_block_percent as usize);
            missing.push(plural(needed.saturating_sub(evaluations), "more clean evaluation", "more clean evaluations"));
        }
    }

    // Recently clean: the newest run of clean evaluations, ended by nothing or long enough.
    let streak = t.clean_streak as usize;
    let more_in_a_row = |have: usize| {
        if have == 0 {
            plural(streak, "clean evaluation in a row", "clean evaluations in a row")
        } else {
            plural(streak - have, "more clean evaluation in a row", "more clean evaluations in a row")
        }
    };
    if ev.clean_in_a_row < streak {
        match end {
            Some(StreakEnd::Block { at, version }) => {
                bad.push(format!(
                    "it would have blocked {} at {}{unfollowed}, among its newest {}",
                    version_words(version),
                    format_rfc3339(at),
                    plural(streak, "evaluation", "evaluations")
                ));
                missing.push(more_in_a_row(ev.clean_in_a_row));
            }
            Some(StreakEnd::NoData { at }) => {
                bad.push(format!(
                    "its evaluation at {} proved nothing (no rule results, or a monitor with no data), among its newest {}: no data is not clean",
                    format_rfc3339(at),
                    plural(streak, "evaluation", "evaluations")
                ));
                missing.push(more_in_a_row(ev.clean_in_a_row));
            }
            Some(StreakEnd::Stuck { at }) => {
                bad.push(format!(
                    "its evaluation started at {} is stuck in progress, among its newest {}: a gate that hangs is not ready to enforce",
                    format_rfc3339(at),
                    plural(streak, "evaluation", "evaluations")
                ));
                missing.push(more_in_a_row(ev.clean_in_a_row));
            }
            None if evaluations >= t.min_evaluations as usize => {
                short.push(format!(
                    "{} counted, fewer than the {streak} clean in a row needed",
                    plural(evaluations, "evaluation", "evaluations")
                ));
                missing.push(more_in_a_row(ev.clean_in_a_row));
            }
            None => {}
        }
    }

    // Enough evaluations.
    if evaluations < t.min_evaluations as usize {
        short.push(format!(
            "{} counted, of the {} needed",
            plural(evaluations, "evaluation", "evaluations"),
            t.min_evaluations
        ));
        missing.push(plural(t.min_evaluations as usize - evaluations, "more evaluation", "more evaluations"));
    }

    // Spread over time: distinct UTC days, and a span from the first to the last.
    if !spread_enough(&ev, t.min_days) {
        if ev.days_evaluated < t.min_days as usize {
            short.push(format!(
                "evaluated on {}, of the {} needed",
                plural(ev.days_evaluated, "day", "days"),
                t.min_days
            ));
            missing.push(plural(t.min_days as usize - ev.days_evaluated, "more day", "more days"));
        } else {
            let needed = i64::from(t.min_days - 1) * 24;
            short.push(format!(
                "its evaluations span {} from the first to the last, less than the {} needed",
                hours_words(ev.span_hours),
                plural(t.min_days as usize - 1, "day", "days")
            ));
            missing.push(format!("a later evaluation, {} further on", hours_words(needed - ev.span_hours)));
        }
    }

    // Spread over versions.
    if ev.versions < t.min_versions as usize {
        short.push(format!(
            "{} deployed, of the {} needed",
            plural(ev.versions, "version", "versions"),
            t.min_versions
        ));
        missing.push(plural(t.min_versions as usize - ev.versions, "more version", "more versions"));
    }

    let recommendation = if !bad.is_empty() {
        Recommendation::KeepDryRun
    } else if !short.is_empty() {
        Recommendation::TooFewEvaluations
    } else {
        Recommendation::Promote
    };
    let why = (recommendation != Recommendation::Promote).then(|| {
        let mut all = bad;
        all.extend(short);
        all.extend(case.context);
        all.join("; ")
    });
    (Verdict { recommendation, why, missing }, ev)
}

#[cfg(test)]
mod tests {
    use super::super::evidence::Sample;
    use super::*;
    use crate::model::time::DAY_MS;

    const HOUR: i64 = 3600 * 1000;
    static ID: crate::model::EvaluationId = crate::model::EvaluationId::Uuid([0; 16]);

    /// `n` clean evaluations a day apart, newest first, each of its own version, ending an hour
    /// before `end`.
    fn clean_days(n: i64, end: i64) -> Vec<Judged<'static>> {
        const VERSIONS: [&str; 20] = [
            "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15",
            "v16", "v17", "v18", "v19",
        ];
        (0..n)
            .map(|i| {
                let version = VERSIONS[i as usize];
                Judged::Counted(Sample { id: &ID, at: end - HOUR - i * DAY_MS, version, blocked: false })
            })
            .collect()
    }

    fn verdict_of(judged: &[Judged<'_>], t: Thresholds, problems: Vec<String>) -> Verdict {
        let window = Window { from_ms: 0, to_ms: 30 * DAY_MS };
        judge(Case { thresholds: &t, window, judged, weighed: false, problems, context: Vec::new() }).0
    }

    #[test]
    fn each_condition_of_a_promotion_holds_it_alone() {
        use Recommendation::*;
        let end = 30 * DAY_MS;
        let t = Thresholds::DEFAULT;
        let clean = clean_days(12, end);
        let mut newest_blocked = clean.clone();
        newest_blocked[0] = Judged::Counted(Sample { id: &ID, at: end - HOUR, version: "v0", blocked: true });
        let mut newest_no_data = clean.clone();
        newest_no_data.insert(0, Judged::NoData { at: end - HOUR / 2 });
        let mut newest_stuck = clean.clone();
        newest_stuck.insert(0, Judged::Stuck { at: end - 5 * HOUR });
        let mut one_version = clean.clone();
        for j in &mut one_version {
            if let Judged::Counted(s) = j {
                s.version = "latest";
            }
        }
        let mut unversioned = clean.clone();
        for j in &mut unversioned {
            if let Judged::Counted(s) = j {
                s.version = "";
            }
        }
        // Ten evaluations in 73 hours, starting at 23:00 UTC: five strip days, a span of 3.
        let start = 20 * DAY_MS + 23 * HOUR;
        let crowded: Vec<Judged<'static>> = (0..10)
            .rev()
            .map(|i| {
                Judged::Counted(Sample {
                    id: &ID,
                    at: start + i * 73 * HOUR / 9,
                    version: ["a", "b", "c"][i as usize % 3],
                    blocked: false,
                })
            })
            .collect();
        // (the case, judged, thresholds, problems, expected, a word the why must hold)
        type Case = (&'static str, Vec<Judged<'static>>, Thresholds, Vec<String>, Recommendation, &'static str);
        let cases: Vec<Case> = vec![
            ("enough clean evidence", clean.clone(), t, vec![], Promote, ""),
            (
                "too few evaluations",
                clean_days(4, end),
                t,
                vec![],
                TooFewEvaluations,
                "4 evaluations counted, of the 10 needed",
            ),
            ("the newest blocked", newest_blocked, t, vec![], KeepDryRun, "among its newest 3 evaluations"),
            ("the newest proved nothing", newest_no_data, t, vec![], KeepDryRun, "no data is not clean"),
            ("the newest is stuck", newest_stuck, t, vec![], KeepDryRun, "stuck in progress"),
            ("one version", one_version, t, vec![], TooFewEvaluations, "1 version deployed, of the 3 needed"),
            ("unversioned deploys", unversioned.clone(), t, vec![], TooFewEvaluations, "of the 3 needed"),
            (
                "unversioned deploys, none asked for",
                unversioned,
                Thresholds { min_versions: 0, ..t },
                vec![],
                Promote,
                "",
            ),
            (
                "evaluations crowded in 73 hours",
                crowded,
                t,
                vec![],
                TooFewEvaluations,
                "span 3 days 1 hour from the first to the last",
            ),
            (
                "a problem whatever the evidence",
                clean.clone(),
                t,
                vec!["it watches nothing".into()],
                KeepDryRun,
                "it watches nothing",
            ),
            (
                "a stricter streak",
                clean.clone(),
                Thresholds { clean_streak: 13, ..t },
                vec![],
                TooFewEvaluations,
                "fewer than the 13 clean in a row",
            ),
        ];
        for (what, judged, thresholds, problems, expected, words) in cases {
            let v = verdict_of(&judged, thresholds, problems);
            assert_eq!(v.recommendation, expected, "{what}: {v:?}");
            if expected == Promote {
                assert_eq!((v.why, v.missing.len()), (None, 0), "{what}");
            } else {
                assert!(v.why.as_deref().unwrap_or_default().contains(words), "{what}: {v:?}");
                assert!(!v.missing.is_empty() || words.contains("watches"), "{what}: what would change it: {v:?}");
            }
        }
    }

    #[test]
    fn a_share_of_blocks_within_the_bar_is_allowed() {
        let end = 30 * DAY_MS;
        let mut judged = clean_days(20, end);
        judged[10] = Judged::Counted(Sample { id: &ID, at: end - HOUR - 10 * DAY_MS, version: "v10", blocked: true });
        let strict = verdict_of(&judged, Thresholds::DEFAULT, vec![]);
        assert_eq!(strict.recommendation, Recommendation::KeepDryRun);
        assert!(strict.why.unwrap().contains("1 of 20 evaluations (5%), more than the 0% allowed"));
        let lenient = verdict_of(&judged, Thresholds { max_block_percent: 5, ..Thresholds::DEFAULT }, vec![]);
        assert_eq!(lenient.recommendation, Recommendation::Promote);
    }
}
