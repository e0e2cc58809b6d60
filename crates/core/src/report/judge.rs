//! What the judgement of one gate holds: its context, its bar, what was found online and the
//! failures charged to its evaluations. `rule` and `gate` judge with it.

use std::collections::BTreeMap;

use super::classify::Context;
use super::evidence::{Judged, Sample};
use super::record::Charges;
use super::thresholds::Thresholds;
use crate::escape::quoted;
use crate::model::{FailingMonitor, Failure as Incident, GateKey};

/// What was found online besides the history, for every gate.
pub(super) struct Online<'a> {
    pub(super) watching_nothing: &'a BTreeMap<(GateKey, String), String>,
    pub(super) failing_now: &'a BTreeMap<(GateKey, String), Vec<FailingMonitor>>,
    /// The failures of the window, when they were read.
    pub(super) failures: Option<&'a [Incident]>,
}

/// The judgement of one gate: what it knows, and the bar it holds the gate to.
pub(super) struct Judge<'a> {
    pub(super) ctx: Context<'a>,
    pub(super) thresholds: Thresholds,
    pub(super) online: &'a Online<'a>,
    /// The failures charged to the gate's evaluations, when failures were read.
    pub(super) charges: Option<Charges<'a>>,
}

/// "its monitor 1004 ("Checkout p99") is in ALERT now (since 2026-12-06T10:00:00Z)".
pub(super) fn failing_words(whose: &str, monitors: &[FailingMonitor]) -> String {
    let each: Vec<String> = monitors
        .iter()
        .take(5)
        .map(|m| {
            let since =
                m.since_ms.map(|s| format!(", since {}", crate::model::time::format_rfc3339(s))).unwrap_or_default();
            let name = if m.name.is_empty() { String::new() } else { format!(" ({})", quoted(&m.name)) };
            format!("monitor {}{name} is in {} now{since}", m.id, m.state.to_uppercase())
        })
        .collect();
    let more = if monitors.len() > 5 { format!(" and {} more", monitors.len() - 5) } else { String::new() };
    format!("{whose} {}{more}: enforced, it would block the next deploy", each.join("; "))
}

impl Judge<'_> {
    /// `judged` with each block a failure was charged to read as not blocked: it was right.
    pub(super) fn effective<'a>(&self, judged: &[Judged<'a>]) -> Vec<Judged<'a>> {
        judged
            .iter()
            .map(|j| match j {
                Judged::Counted(s) if s.blocked && self.charges.as_ref().is_some_and(|c| c.charged(s.id)) => {
                    Judged::Counted(Sample { blocked: false, ..*s })
                }
                other => *other,
            })
            .collect()
    }
}
