//! The report as a versioned JSON document (`schemas/report.schema.json`).

use schemars::JsonSchema;
use serde::Serialize;

use super::*;
use crate::views::WindowDocument;
use gatesctl_core::report::{GateReport, Recommendation, Report, Thresholds, Unattributed};
use gatesctl_files::edit::Promoted;

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

pub(super) fn subject((gate, rule): &gatesctl_files::edit::Subject, reason: Option<&str>) -> SubjectDocument {
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
    crate::views::pretty(&document(report, written))
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(ReportDocument<'static>), "report.schema.json")
}
