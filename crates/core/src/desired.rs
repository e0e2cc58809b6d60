//! The desired state: everything the files declare, merged and keyed for the plan, with where
//! each thing is written (for diagnostics and in-place edits).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{GateFilter, GateKey, Rule};
use crate::source::{SourceFile, Span};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A gate as the configuration wants it.
#[derive(Clone, Debug)]
pub struct DesiredGate {
    pub key: GateKey,
    pub dry_run: bool,
    pub rules: BTreeMap<String, Rule>,
    /// What `report` asks before recommending to enforce it, and where the files say it.
    pub report: ReportBar,
    /// Where the files declare it (its `service`, or its env in a template), for diagnostics.
    pub declared_at: Option<crate::source::Place>,
}

/// Two gates are the same when they want the same: where they are written is not part of it
/// (an edit moves it, a YAML copy has its own).
impl PartialEq for DesiredGate {
    fn eq(&self, other: &DesiredGate) -> bool {
        (&self.key, self.dry_run, &self.rules, &self.report) == (&other.key, other.dry_run, &other.rules, &other.report)
    }
}

impl Eq for DesiredGate {}

/// The bar a file sets for `report`: the gate's own `report` table, its file's `[report]`, and
/// the file's name (to say which bar applied).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportBar {
    pub gate: ReportSpec,
    pub file: ReportSpec,
    /// The file that declares the gate, as the user named it.
    pub file_name: String,
}

/// Everything the files declare, merged and keyed for the plan.
#[derive(Clone, Debug, Default)]
pub struct DesiredState {
    pub gates: BTreeMap<GateKey, DesiredGate>,
    /// What the files own (their `[manage]` tables); empty when none has one.
    pub scope: Scope,
    pub safety: Safety,
    /// What every monitor rule watches, with where it is written, for the checks made online.
    pub watched: Vec<WatchSource>,
    /// The files read, in order: what `report --write` edits.
    pub files: Vec<SourceFile>,
    /// How `coverage` joins deployments with evaluations (the files' `[coverage]`).
    pub coverage: CoverageSettings,
    /// The organisation's policies (the files' `[[policy]]` tables), in file order.
    pub policies: Vec<crate::policy::Policy>,
}

/// How `coverage` joins deployments with evaluations (the files' `[coverage]` tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoverageSettings {
    /// How long before a deployment started an evaluation may have started and still count.
    pub max_gap_ms: i64,
}

impl CoverageSettings {
    /// A CD tool often dates a deploy from its pipeline's start, and the gate runs inside it.
    pub const DEFAULT_MAX_GAP_MS: i64 = 6 * 3600 * 1000;
    /// The shortest and longest `max_gap` a file may set.
    pub const MAX_GAP_RANGE_MS: (i64, i64) = (60 * 1000, 24 * 3600 * 1000);
}

impl Default for CoverageSettings {
    fn default() -> Self {
        CoverageSettings { max_gap_ms: Self::DEFAULT_MAX_GAP_MS }
    }
}

/// What a monitor rule watches: its query (placeholders replaced), or one monitor of its
/// `monitor_ids`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Watched {
    Query(String),
    Monitor { id: u64, groups: Vec<String> },
}

/// One thing a monitor rule watches, and the place in a file it comes from (a template's query
/// serves each of its envs).
#[derive(Clone, Debug)]
pub struct WatchSource {
    pub gate: GateKey,
    pub rule: String,
    pub watched: Watched,
    /// The rule fails when nothing is found to watch (else it passes, watching nothing).
    pub fail_on_no_groups_found: bool,
    pub source: Arc<miette::NamedSource<String>>,
    pub span: Span,
}

impl DesiredState {
    /// Rules declared in all, over every gate.
    pub fn rule_count(&self) -> usize {
        self.gates.values().map(|g| g.rules.len()).sum()
    }
}

/// The union of the files' `[manage]` tables, each services × envs (no envs: every env).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    pub tables: Vec<GateFilter>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    pub(crate) fn contains(&self, key: &GateKey) -> bool {
        self.tables.iter().any(|t| t.matches(key))
    }
}

/// Deletion limits, as octoDNS has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Safety {
    pub max_delete_percent: u32,
    /// Off unless set, as in octoDNS.
    pub max_update_percent: Option<u32>,
    pub min_existing: usize,
}

impl Default for Safety {
    fn default() -> Self {
        Safety { max_delete_percent: 30, max_update_percent: None, min_existing: 10 }
    }
}

/// What `gatesctl report` asks of a gate or rule in dry run before it recommends enforcing it.
/// Each key left out comes from the file's `[report]`, else the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// Evaluations, finished with rule results under today's configuration, in the window.
    /// Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000))]
    pub min_evaluations: Option<u32>,
    /// Distinct days (24-hour periods of the window) with such an evaluation. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 30))]
    pub min_days: Option<u32>,
    /// Distinct versions deployed through such evaluations; 0 for services deployed without a
    /// version. Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 10000))]
    pub min_versions: Option<u32>,
    /// The newest evaluations that must all have passed. Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub clean_streak: Option<u32>,
    /// The share of evaluations, in percent, that may have blocked. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub max_block_percent: Option<u32>,
}

impl ReportSpec {
    /// Each key of `self`, else of `under`.
    pub fn over(self, under: ReportSpec) -> ReportSpec {
        ReportSpec {
            min_evaluations: self.min_evaluations.or(under.min_evaluations),
            min_days: self.min_days.or(under.min_days),
            min_versions: self.min_versions.or(under.min_versions),
            clean_streak: self.clean_streak.or(under.clean_streak),
            max_block_percent: self.max_block_percent.or(under.max_block_percent),
        }
    }

    /// Every key with its range, as files and flags take them.
    pub const RANGES: [(&'static str, u32, u32); 5] = [
        ("min_evaluations", 1, 100_000),
        ("min_days", 1, 30),
        ("min_versions", 0, 10_000),
        ("clean_streak", 1, 1_000),
        ("max_block_percent", 0, 100),
    ];

    pub fn set(&mut self, key: &str, value: u32) {
        match key {
            "min_evaluations" => self.min_evaluations = Some(value),
            "min_days" => self.min_days = Some(value),
            "min_versions" => self.min_versions = Some(value),
            "clean_streak" => self.clean_streak = Some(value),
            "max_block_percent" => self.max_block_percent = Some(value),
            other => unreachable!("{other} is not a [report] key"),
        }
    }
}
