//! The desired state: everything the files declare, merged and keyed for the plan, with where
//! each thing is written (for diagnostics and in-place edits).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::{GateFilter, GateKey, Rule};
use crate::report::ReportSpec;
use crate::source::{SourceFile, Span};

/// A gate as the configuration wants it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DesiredGate {
    pub key: GateKey,
    pub dry_run: bool,
    pub rules: BTreeMap<String, Rule>,
    /// What `report` asks before recommending to enforce it (the files' thresholds).
    pub report: ReportSpec,
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

    pub fn contains(&self, key: &GateKey) -> bool {
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
