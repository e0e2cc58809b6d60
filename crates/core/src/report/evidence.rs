//! The evidence a recommendation rests on, from a gate's or rule's judged evaluations: how
//! many, on which UTC days and over what span, of which versions, and how long the newest run
//! of clean ones is. A run of clean evaluations ends at a block, and also at an evaluation
//! that proves nothing although it should have: one without rule results (or that passed only
//! because a monitor had no data), or one stuck in progress.

use std::collections::BTreeSet;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::model::time::DAY_MS;
use crate::model::EvaluationId;

fn as_optional_rfc3339<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    ms.map(crate::model::time::format_rfc3339).serialize(s)
}

/// One counted evaluation: when, of which version, and whether it blocked (or would have).
#[derive(Clone, Copy, Debug)]
pub(super) struct Sample<'a> {
    /// The gate evaluation's id.
    pub(super) id: &'a EvaluationId,
    pub(super) at: i64,
    pub(super) version: &'a str,
    pub(super) blocked: bool,
}

/// One finished or stuck evaluation, as judged: counted, or one that proves nothing.
#[derive(Clone, Copy, Debug)]
pub(super) enum Judged<'a> {
    Counted(Sample<'a>),
    /// Finished without rule results, or passed only because a monitor had no data.
    NoData {
        at: i64,
    },
    /// Still in progress long after any rule could have finished.
    Stuck {
        at: i64,
    },
}

/// What ended the newest run of clean evaluations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum StreakEnd<'a> {
    Block { at: i64, version: &'a str },
    NoData { at: i64 },
    Stuck { at: i64 },
}

/// The evidence a recommendation rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Evidence {
    /// Distinct UTC days with a counted evaluation.
    pub days_evaluated: usize,
    /// Whole hours from the first counted evaluation to the last.
    pub span_hours: i64,
    /// Distinct versions deployed through counted evaluations (an unversioned deploy is none).
    pub versions: usize,
    /// Since when it has been clean: the oldest evaluation of the newest run of clean ones;
    /// null when the newest evaluation ends the run.
    #[serde(serialize_with = "as_optional_rfc3339")]
    #[schemars(with = "Option<String>")]
    pub clean_since: Option<i64>,
    /// Counted evaluations in the newest run of clean ones.
    pub clean_in_a_row: usize,
}

/// The UTC day of a time, counted from the epoch.
fn utc_day(at: i64) -> i64 {
    at.div_euclid(DAY_MS)
}

/// The evidence of `judged` (newest first), and what ended the newest clean run, if anything
/// did. A block charged with a failure was right: `samples` already carry it as not blocked.
pub(super) fn weigh<'a>(judged: &[Judged<'a>]) -> (Evidence, Option<StreakEnd<'a>>) {
    let samples: Vec<&Sample<'a>> = judged
        .iter()
        .filter_map(|j| match j {
            Judged::Counted(s) => Some(s),
            _ => None,
        })
        .collect();
    let days: BTreeSet<i64> = samples.iter().map(|s| utc_day(s.at)).collect();
    let versions: BTreeSet<&str> = samples.iter().map(|s| s.version).filter(|v| !v.is_empty()).collect();
    let span_ms = match (samples.first(), samples.last()) {
        (Some(newest), Some(oldest)) => newest.at - oldest.at,
        _ => 0,
    };
    let mut clean_in_a_row = 0;
    let mut clean_since = None;
    let mut end = None;
    for j in judged {
        match j {
            Judged::Counted(s) if !s.blocked => {
                clean_in_a_row += 1;
                clean_since = Some(s.at);
            }
            Judged::Counted(s) => {
                end = Some(StreakEnd::Block { at: s.at, version: s.version });
                break;
            }
            Judged::NoData { at } => {
                end = Some(StreakEnd::NoData { at: *at });
                break;
            }
            Judged::Stuck { at } => {
                end = Some(StreakEnd::Stuck { at: *at });
                break;
            }
        }
    }
    // A run that starts at an evaluation proving nothing has no clean start to name.
    if clean_in_a_row == 0 {
        clean_since = None;
    }
    (
        Evidence {
            days_evaluated: days.len(),
            span_hours: span_ms / (3600 * 1000),
            versions: versions.len(),
            clean_since,
            clean_in_a_row,
        },
        end,
    )
}

/// Whether counted evaluations `span_hours` apart, on `days` UTC days, are spread over
/// `min_days`: that many distinct days, the first and the last at least `min_days - 1` days
/// apart. Ten evaluations in 73 hours touch at most 4 or 5 days but span only 3.
pub(super) fn spread_enough(evidence: &Evidence, min_days: u32) -> bool {
    let needed_span_hours = i64::from(min_days.saturating_sub(1)) * 24;
    evidence.days_evaluated >= min_days as usize && evidence.span_hours >= needed_span_hours
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3600 * 1000;
    static ID: crate::model::EvaluationId = crate::model::EvaluationId::Uuid([0; 16]);

    fn counted(at: i64, version: &'static str, blocked: bool) -> Judged<'static> {
        Judged::Counted(Sample { id: &ID, at, version, blocked })
    }

    #[test]
    fn days_are_utc_days_and_the_span_runs_first_to_last() {
        // Ten evaluations over 73 hours starting at 23:00 UTC: five UTC days, a span of 3 days.
        let start = 10 * DAY_MS + 23 * HOUR;
        let judged: Vec<Judged<'static>> =
            (0..10).rev().map(|i| counted(start + i * 73 * HOUR / 9, "v", false)).collect();
        let (evidence, end) = weigh(&judged);
        assert_eq!((evidence.days_evaluated, evidence.span_hours), (5, 73));
        assert!(!spread_enough(&evidence, 5), "5 days touched, but 73 hours is not 4 days apart");
        assert!(spread_enough(&evidence, 4));
        assert_eq!(end, None);
        assert_eq!(evidence.clean_in_a_row, 10);
        assert_eq!(evidence.clean_since, Some(start));
    }

    #[test]
    fn a_clean_run_ends_at_a_block_no_data_or_a_stuck_evaluation() {
        // (the case, newest first, clean in a row, what ended it)
        let cases: Vec<(&str, Vec<Judged<'static>>, usize, Option<StreakEnd<'static>>)> = vec![
            ("all clean", vec![counted(3, "c", false), counted(2, "b", false)], 2, None),
            (
                "a block second newest",
                vec![counted(3, "c", false), counted(2, "b", true)],
                1,
                Some(StreakEnd::Block { at: 2, version: "b" }),
            ),
            (
                "the newest is stuck",
                vec![Judged::Stuck { at: 9 }, counted(3, "c", false)],
                0,
                Some(StreakEnd::Stuck { at: 9 }),
            ),
            (
                "the newest held no rule results",
                vec![Judged::NoData { at: 9 }, counted(3, "c", false)],
                0,
                Some(StreakEnd::NoData { at: 9 }),
            ),
            (
                "no data behind two clean ones",
                vec![counted(3, "c", false), counted(2, "b", false), Judged::NoData { at: 1 }],
                2,
                Some(StreakEnd::NoData { at: 1 }),
            ),
        ];
        for (what, judged, clean, expected_end) in cases {
            let (evidence, end) = weigh(&judged);
            assert_eq!((evidence.clean_in_a_row, end), (clean, expected_end), "{what}");
            assert_eq!(evidence.clean_since.is_some(), clean > 0, "{what}");
        }
    }

    #[test]
    fn unversioned_deploys_are_no_version() {
        let judged = [counted(2, "", false), counted(1, "v1", false), counted(0, "v1", false)];
        assert_eq!(weigh(&judged).0.versions, 1);
    }
}
