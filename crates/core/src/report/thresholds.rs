//! The bar a gate or rule in dry run must pass to be promoted, and where each part of it was
//! set. A file's bar (a gate's own `report` table, else its file's `[report]`) is never
//! lowered by a flag: a flag sets the bar where no file does, and where both do, the stricter
//! wins.

use schemars::JsonSchema;
use serde::Serialize;

use crate::desired::{ReportBar, ReportSpec};

/// The bar a gate or rule in dry run must pass to be recommended for promotion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct Thresholds {
    /// Evaluations counted (finished, with rule results, under today's configuration).
    pub min_evaluations: u32,
    /// Distinct UTC days with a counted evaluation; the first and the last must also be at
    /// least `min_days - 1` days apart.
    pub min_days: u32,
    /// Distinct versions deployed through counted evaluations.
    pub min_versions: u32,
    /// The newest counted evaluations that must all have passed.
    pub clean_streak: u32,
    /// The share of counted evaluations, in percent, that may have blocked.
    pub max_block_percent: u32,
}

/// Where one threshold came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SetBy {
    Default,
    /// The command's flag: no file set it, or the flag's is stricter.
    Flag,
    /// The file's `[report]` table.
    File,
    /// The gate's own `report` table.
    Gate,
}

/// Where each threshold of a bar came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, JsonSchema)]
pub struct ThresholdsSetBy {
    pub min_evaluations: SetBy,
    pub min_days: SetBy,
    pub min_versions: SetBy,
    pub clean_streak: SetBy,
    pub max_block_percent: SetBy,
}

/// One threshold: the stricter of the flag and the files', else whichever is set, else the
/// default.
fn pick(
    flag: Option<u32>,
    gate: Option<u32>,
    file: Option<u32>,
    default: u32,
    lower_is_stricter: bool,
) -> (u32, SetBy) {
    let files = gate.map(|v| (v, SetBy::Gate)).or(file.map(|v| (v, SetBy::File)));
    let stricter = |a: u32, b: u32| if lower_is_stricter { a < b } else { a > b };
    match (flag, files) {
        (None, None) => (default, SetBy::Default),
        (Some(f), None) => (f, SetBy::Flag),
        (None, Some(files)) => files,
        (Some(f), Some((v, by))) => {
            if stricter(f, v) {
                (f, SetBy::Flag)
            } else {
                (v, by)
            }
        }
    }
}

impl Thresholds {
    pub const DEFAULT: Thresholds =
        Thresholds { min_evaluations: 10, min_days: 5, min_versions: 3, clean_streak: 3, max_block_percent: 0 };

    /// The bar of a gate: for each key, the flag's or the files' (the gate's own table over its
    /// file's), the stricter where both are set, else the default.
    pub fn resolve(flags: ReportSpec, files: &ReportBar) -> (Thresholds, ThresholdsSetBy) {
        let d = Thresholds::DEFAULT;
        let (g, f) = (&files.gate, &files.file);
        let min_evaluations =
            pick(flags.min_evaluations, g.min_evaluations, f.min_evaluations, d.min_evaluations, false);
        let min_days = pick(flags.min_days, g.min_days, f.min_days, d.min_days, false);
        let min_versions = pick(flags.min_versions, g.min_versions, f.min_versions, d.min_versions, false);
        let clean_streak = pick(flags.clean_streak, g.clean_streak, f.clean_streak, d.clean_streak, false);
        let max_block_percent =
            pick(flags.max_block_percent, g.max_block_percent, f.max_block_percent, d.max_block_percent, true);
        (
            Thresholds {
                min_evaluations: min_evaluations.0,
                min_days: min_days.0,
                min_versions: min_versions.0,
                clean_streak: clean_streak.0,
                max_block_percent: max_block_percent.0,
            },
            ThresholdsSetBy {
                min_evaluations: min_evaluations.1,
                min_days: min_days.1,
                min_versions: min_versions.1,
                clean_streak: clean_streak.1,
                max_block_percent: max_block_percent.1,
            },
        )
    }

    /// Whether `blocks` of `evaluations` is within the bar.
    pub(crate) fn within(&self, blocks: usize, evaluations: usize) -> bool {
        blocks as u128 * 100 <= u128::from(self.max_block_percent) * evaluations as u128
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(min_evaluations: Option<u32>, max_block_percent: Option<u32>) -> ReportSpec {
        ReportSpec { min_evaluations, max_block_percent, ..ReportSpec::default() }
    }

    #[test]
    fn a_flag_sets_the_bar_where_no_file_does_and_never_lowers_a_files() {
        // (flags, the gate's table, its file's, expected min_evaluations and max_block_percent)
        let cases = [
            (spec(None, None), spec(None, None), spec(None, None), (10, SetBy::Default), (0, SetBy::Default)),
            (spec(Some(5), Some(20)), spec(None, None), spec(None, None), (5, SetBy::Flag), (20, SetBy::Flag)),
            // The gate asked for 30 evaluations: --min-evaluations 5 does not lower it.
            (spec(Some(5), None), spec(Some(30), None), spec(None, None), (30, SetBy::Gate), (0, SetBy::Default)),
            // A stricter flag wins over a weaker file.
            (spec(Some(50), Some(5)), spec(None, None), spec(Some(30), Some(10)), (50, SetBy::Flag), (5, SetBy::Flag)),
            // The gate's table over its file's.
            (spec(None, None), spec(Some(20), None), spec(Some(30), Some(10)), (20, SetBy::Gate), (10, SetBy::File)),
            // A weaker flag on max_block_percent does not raise a file's.
            (spec(None, Some(50)), spec(None, None), spec(None, Some(10)), (10, SetBy::Default), (10, SetBy::File)),
        ];
        for (flags, gate, file, evaluations, blocks) in cases {
            let bar = ReportBar { gate, file, file_name: "gates.toml".into() };
            let (t, by) = Thresholds::resolve(flags, &bar);
            assert_eq!((t.min_evaluations, by.min_evaluations), evaluations, "{flags:?} {bar:?}");
            assert_eq!((t.max_block_percent, by.max_block_percent), blocks, "{flags:?} {bar:?}");
        }
    }

    #[test]
    fn the_block_share_is_compared_exactly() {
        let t = Thresholds { max_block_percent: 5, ..Thresholds::DEFAULT };
        assert!(t.within(1, 20) && !t.within(2, 20));
        assert!(Thresholds::DEFAULT.within(0, 0));
    }
}
