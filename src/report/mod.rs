//! The report: the evaluation history of the declared gates, judged. For each gate and rule,
//! how often it was evaluated, what it blocked or would have blocked (when, which version,
//! why), and whether a gate or rule in dry run has earned enforcing. Pure: the history is read
//! elsewhere, and nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::config::wire::OptionsSpec;
use crate::config::{DesiredGate, DesiredState};
use crate::model::{EvaluationStatus, GateEvaluation, GateKey, RuleEvaluation, RuleFailures, RuleOptions};

const DAY_MS: i64 = 24 * 3600 * 1000;

// The report is its own JSON document (`report --format json`): times as RFC 3339, gates as
// `service/env/identifier`, options as a file writes them.
fn as_rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::time::format_rfc3339(*ms))
}

fn as_key<S: Serializer>(key: &GateKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.joined())
}

fn as_file_options<S: Serializer>(options: &Option<RuleOptions>, s: S) -> Result<S::Ok, S::Error> {
    options.as_ref().map(OptionsSpec::from).serialize(s)
}

/// What the report covers and the bar for promotion.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ReportSettings {
    /// The window, `[from, to)`, in milliseconds since the epoch.
    pub(crate) from_ms: i64,
    pub(crate) to_ms: i64,
    /// Evaluations a gate or rule needs before it is judged.
    pub(crate) min_evaluations: usize,
    /// The share of evaluations, in percent, a gate or rule may have blocked and still be
    /// promoted.
    pub(crate) max_block_percent: u32,
}

impl ReportSettings {
    /// Days the window spans, each a column of the strip: the last is the 24 hours before
    /// `to`, whatever the time of day.
    pub(crate) fn days(&self) -> usize {
        usize::try_from((self.to_ms - self.from_ms + DAY_MS - 1) / DAY_MS).unwrap_or(0).max(1)
    }

    /// The strip column of a time in the window.
    fn day_of(&self, at_ms: i64) -> Option<usize> {
        if at_ms < self.from_ms || at_ms >= self.to_ms {
            return None;
        }
        let back = usize::try_from((self.to_ms - 1 - at_ms) / DAY_MS).ok()?;
        self.days().checked_sub(back + 1)
    }

    /// Whether `blocks` of `evaluations` is within the bar.
    fn within(&self, blocks: usize, evaluations: usize) -> bool {
        blocks as u128 * 100 <= u128::from(self.max_block_percent) * evaluations as u128
    }

    fn judge(&self, dry_run: bool, evaluations: usize, blocks: usize) -> Recommendation {
        if !dry_run {
            Recommendation::Enforced
        } else if evaluations < self.min_evaluations {
            Recommendation::TooFewEvaluations
        } else if self.within(blocks, evaluations) {
            Recommendation::Promote
        } else {
            Recommendation::KeepDryRun
        }
    }
}

/// What to do with a gate or a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Recommendation {
    /// In dry run, evaluated enough, and it would have blocked no more than allowed: enforce it.
    Promote,
    /// In dry run, and it would have blocked more than allowed: see when and why.
    KeepDryRun,
    /// In dry run, with fewer evaluations in the window than the bar asks.
    TooFewEvaluations,
    /// Already enforcing.
    Enforced,
}

impl Recommendation {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Recommendation::Promote => "promote",
            Recommendation::KeepDryRun => "keep-dry-run",
            Recommendation::TooFewEvaluations => "too-few-evaluations",
            Recommendation::Enforced => "enforced",
        }
    }
}

/// One column of a gate's strip: a day with no evaluation, one where every evaluation
/// passed, or one with a block (would-be, for a gate in dry run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Day {
    None,
    Pass,
    Block,
}

/// One rule's failure in one evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct Failure {
    pub(crate) rule: String,
    pub(crate) version: String,
    #[serde(rename = "started_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "started_at", with = "String")]
    pub(crate) started_ms: i64,
    pub(crate) reason: String,
    /// Its failing monitors and faulty APM resources.
    #[serde(flatten)]
    pub(crate) failures: RuleFailures,
    /// The options it was evaluated with, as a file writes them; null when they did not read.
    #[serde(serialize_with = "as_file_options")]
    #[schemars(with = "Option<OptionsSpec>")]
    pub(crate) configuration: Option<RuleOptions>,
}

/// A gate evaluation that blocked a deploy, or would have had the gate been enforcing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct Block {
    pub(crate) evaluation_id: String,
    pub(crate) version: String,
    #[serde(rename = "started_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "started_at", with = "String")]
    pub(crate) started_ms: i64,
    /// The rules that made it block.
    pub(crate) rules: Vec<Failure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct RuleReport {
    pub(crate) name: String,
    /// Declared in the files now; otherwise only its history knows it (renamed or removed).
    pub(crate) declared: bool,
    /// As declared; for a rule no longer declared, as last evaluated.
    pub(crate) dry_run: bool,
    pub(crate) evaluations: usize,
    pub(crate) failures: usize,
    /// Failures that blocked a deploy: the rule and its gate were enforcing.
    pub(crate) blocked: usize,
    /// None for a rule no longer declared: nothing to change in the files.
    pub(crate) recommendation: Option<Recommendation>,
    /// Its failures, newest first.
    pub(crate) failed: Vec<Failure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub(crate) struct GateReport {
    /// `service/env/identifier`.
    #[serde(serialize_with = "as_key")]
    #[schemars(with = "String")]
    pub(crate) gate: GateKey,
    /// As declared.
    pub(crate) dry_run: bool,
    /// Finished evaluations in the window.
    pub(crate) evaluations: usize,
    /// Evaluations still running: not counted.
    pub(crate) in_progress: usize,
    /// Evaluations in which a rule the files enforce failed: what the gate would have
    /// blocked enforcing.
    pub(crate) would_block: usize,
    /// Evaluations the gate failed while enforcing: deploys it stopped.
    pub(crate) blocked: usize,
    pub(crate) recommendation: Recommendation,
    /// One per day of the window, oldest first; the last is the 24 hours before its end.
    pub(crate) days: Vec<Day>,
    /// Would-be blocks for a gate in dry run, real ones for an enforced gate; newest first.
    pub(crate) blocks: Vec<Block>,
    /// Declared rules by name, then the rules only the history knows (`declared: false`).
    pub(crate) rules: Vec<RuleReport>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub(crate) settings: ReportSettings,
    /// The declared gates the report covers, in key order.
    pub(crate) gates: Vec<GateReport>,
    /// History items that could not be read, not counted.
    pub(crate) unreadable: usize,
}

impl Report {
    /// The gates (rule `None`) and rules recommended for promotion, in report order.
    pub(crate) fn promotions(&self) -> Vec<(GateKey, Option<String>)> {
        let mut out = Vec::new();
        for gate in &self.gates {
            if gate.recommendation == Recommendation::Promote {
                out.push((gate.gate.clone(), None));
            }
            for rule in gate.rules.iter().filter(|r| r.recommendation == Some(Recommendation::Promote)) {
                out.push((gate.gate.clone(), Some(rule.name.clone())));
            }
        }
        out
    }

    /// How many gates and rules each recommendation went to.
    pub(crate) fn tally(&self) -> BTreeMap<Recommendation, (usize, usize)> {
        let mut out: BTreeMap<Recommendation, (usize, usize)> = BTreeMap::new();
        for gate in &self.gates {
            out.entry(gate.recommendation).or_default().0 += 1;
            for rule in &gate.rules {
                if let Some(r) = rule.recommendation {
                    out.entry(r).or_default().1 += 1;
                }
            }
        }
        out
    }
}

/// The history read for a report.
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    pub(crate) gates: Vec<GateEvaluation>,
    pub(crate) rules: Vec<RuleEvaluation>,
    pub(crate) unreadable: usize,
}

/// Judges the history of `gates` (declared gates, already narrowed to the targets).
pub(crate) fn build(
    desired: &DesiredState,
    gates: &[&GateKey],
    history: &History,
    settings: &ReportSettings,
) -> Report {
    let wanted: BTreeSet<&GateKey> = gates.iter().copied().collect();
    let in_window = |at: i64| at >= settings.from_ms && at < settings.to_ms;
    let mut gate_history: HashMap<&GateKey, Vec<&GateEvaluation>> = HashMap::new();
    for e in history.gates.iter().filter(|e| wanted.contains(&e.gate) && in_window(e.started_ms)) {
        gate_history.entry(&e.gate).or_default().push(e);
    }
    let mut rule_history: HashMap<&GateKey, Vec<&RuleEvaluation>> = HashMap::new();
    for e in history.rules.iter().filter(|e| wanted.contains(&e.gate) && in_window(e.started_ms)) {
        rule_history.entry(&e.gate).or_default().push(e);
    }
    let gates = wanted
        .into_iter()
        .filter_map(|key| desired.gates.get(key))
        .map(|gate| {
            let evaluations = gate_history.remove(&gate.key).unwrap_or_default();
            let rules = rule_history.remove(&gate.key).unwrap_or_default();
            gate_report(gate, evaluations, rules, settings)
        })
        .collect();
    Report { settings: settings.clone(), gates, unreadable: history.unreadable }
}

fn failure(e: &RuleEvaluation) -> Failure {
    Failure {
        rule: e.name.clone(),
        version: e.version.clone(),
        started_ms: e.started_ms,
        reason: e.reason.clone(),
        failures: e.failures.clone(),
        configuration: e.configuration.clone(),
    }
}

/// Newest first, then by id: the order the API lists, made total.
fn newest_first<T>(items: &mut [T], at: impl Fn(&T) -> (i64, &str)) {
    items.sort_by(|a, b| {
        let (a, b) = (at(a), at(b));
        b.0.cmp(&a.0).then(a.1.cmp(b.1))
    });
}

fn gate_report(
    gate: &DesiredGate,
    mut evaluations: Vec<&GateEvaluation>,
    rules: Vec<&RuleEvaluation>,
    settings: &ReportSettings,
) -> GateReport {
    newest_first(&mut evaluations, |e| (e.started_ms, e.evaluation_id.as_str()));
    let mut by_evaluation: HashMap<&str, Vec<&RuleEvaluation>> = HashMap::new();
    for r in &rules {
        by_evaluation.entry(r.gate_evaluation_id.as_str()).or_default().push(r);
    }
    // A rule counts against the gate as the files have it now; one they no longer declare,
    // as it was when evaluated.
    let enforced = |r: &RuleEvaluation| match gate.rules.get(&r.name) {
        Some(declared) => !declared.dry_run,
        None => !r.dry_run,
    };
    let (mut finished, mut in_progress, mut would_block, mut blocked) = (0, 0, 0, 0);
    let mut blocks = Vec::new();
    let mut days = vec![Day::None; settings.days()];
    for e in &evaluations {
        if e.status == EvaluationStatus::InProgress {
            in_progress += 1;
            continue;
        }
        finished += 1;
        let failing = || {
            by_evaluation
                .get(e.evaluation_id.as_str())
                .into_iter()
                .flatten()
                .filter(|r| r.status == EvaluationStatus::Fail)
        };
        let would = failing().any(|r| enforced(r));
        let real = e.status == EvaluationStatus::Fail && !e.dry_run;
        would_block += usize::from(would);
        blocked += usize::from(real);
        let shown = if gate.dry_run { would } else { real };
        if let Some(day) = settings.day_of(e.started_ms) {
            days[day] = match (days[day], shown) {
                (_, true) | (Day::Block, _) => Day::Block,
                _ => Day::Pass,
            };
        }
        if shown {
            // The rules that block: as the files enforce them for a would-be block, as they
            // were for a real one.
            let mut failed: Vec<Failure> =
                failing().filter(|r| if gate.dry_run { enforced(r) } else { !r.dry_run }).map(|r| failure(r)).collect();
            failed.sort_by(|a, b| a.rule.cmp(&b.rule));
            blocks.push(Block {
                evaluation_id: e.evaluation_id.clone(),
                version: e.version.clone(),
                started_ms: e.started_ms,
                rules: failed,
            });
        }
    }
    let judged = if gate.dry_run { would_block } else { blocked };
    GateReport {
        gate: gate.key.clone(),
        dry_run: gate.dry_run,
        evaluations: finished,
        in_progress,
        would_block,
        blocked,
        blocks,
        days,
        recommendation: settings.judge(gate.dry_run, finished, judged),
        rules: rule_reports(gate, rules, settings),
    }
}

fn rule_reports(gate: &DesiredGate, mut rules: Vec<&RuleEvaluation>, settings: &ReportSettings) -> Vec<RuleReport> {
    // Sorted once: each rule's history keeps the order.
    newest_first(&mut rules, |e| (e.started_ms, e.gate_evaluation_id.as_str()));
    let mut by_name: BTreeMap<&str, Vec<&RuleEvaluation>> = BTreeMap::new();
    for r in rules.into_iter().filter(|r| r.status != EvaluationStatus::InProgress) {
        by_name.entry(r.name.as_str()).or_default().push(r);
    }
    let mut out: Vec<RuleReport> = gate
        .rules
        .values()
        .map(|rule| {
            let history = by_name.remove(rule.name.as_str()).unwrap_or_default();
            rule_report(&rule.name, true, rule.dry_run, history, settings)
        })
        .collect();
    for (name, history) in by_name {
        let dry_run = history.first().is_some_and(|e| e.dry_run);
        out.push(rule_report(name, false, dry_run, history, settings));
    }
    out
}

/// One rule's report; `history` is newest first.
fn rule_report(
    name: &str,
    declared: bool,
    dry_run: bool,
    history: Vec<&RuleEvaluation>,
    settings: &ReportSettings,
) -> RuleReport {
    let failed: Vec<&&RuleEvaluation> = history.iter().filter(|e| e.status == EvaluationStatus::Fail).collect();
    let blocked = failed.iter().filter(|e| !e.dry_run && !e.gate_dry_run).count();
    RuleReport {
        name: name.to_string(),
        declared,
        dry_run,
        evaluations: history.len(),
        failures: failed.len(),
        blocked,
        failed: failed.iter().map(|e| failure(e)).collect(),
        recommendation: declared.then(|| settings.judge(dry_run, history.len(), failed.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ReportSettings {
        ReportSettings { from_ms: 0, to_ms: 14 * DAY_MS, min_evaluations: 3, max_block_percent: 0 }
    }

    #[test]
    fn the_strip_ends_with_the_last_24_hours_and_ignores_the_outside() {
        let s = settings();
        assert_eq!(s.days(), 14);
        assert_eq!(s.day_of(14 * DAY_MS - 1), Some(13));
        assert_eq!(s.day_of(13 * DAY_MS), Some(13));
        assert_eq!(s.day_of(13 * DAY_MS - 1), Some(12));
        assert_eq!(s.day_of(0), Some(0));
        assert_eq!(s.day_of(-1), None, "before the window");
        assert_eq!(s.day_of(14 * DAY_MS), None, "`to` is exclusive");
    }

    #[test]
    fn the_bar_is_a_share_of_evaluations() {
        let mut s = settings();
        assert_eq!(s.judge(true, 2, 0), Recommendation::TooFewEvaluations);
        assert_eq!(s.judge(true, 10, 0), Recommendation::Promote);
        assert_eq!(s.judge(true, 10, 1), Recommendation::KeepDryRun);
        s.max_block_percent = 10;
        assert_eq!(s.judge(true, 10, 1), Recommendation::Promote);
        assert_eq!(s.judge(true, 10, 2), Recommendation::KeepDryRun);
        assert_eq!(s.judge(false, 0, 5), Recommendation::Enforced);
    }
}
