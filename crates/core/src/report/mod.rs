//! The report: the evaluation history of the declared gates, judged. For each gate and rule,
//! how often it was evaluated, what it blocked or would have blocked (when, which version,
//! why), and whether a gate or rule in dry run has earned enforcing. Pure: the history is read
//! elsewhere, and nothing here does I/O.
//!
//! Promoting a gate is a release decision, so the evidence is held to what canary analysis
//! asks of a rollout:
//! - it spans time and versions: enough evaluations, on enough days, of enough versions;
//! - it is about today's rules: a rule evaluated under another configuration than the files
//!   declare now is set aside, and a gate evaluation without any rule result is no data, never
//!   a clean pass;
//! - a rule that watches nothing (its query matches no monitor, its monitors do not exist)
//!   proves nothing by passing, and is never promoted;
//! - it is recent: none of the newest evaluations may have blocked;
//! - a gate and the rules promoted with it are judged on what they would block together.

mod efficacy;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use crate::desired::{DesiredGate, DesiredState, ReportSpec};
use crate::model::evaluation::{gate_blocks, RuleOutcome};
use crate::model::options::OptionsSpec;
use crate::model::time::Window;
use crate::model::History;
use crate::model::{
    EvaluationStatus, Failure as Incident, GateEvaluation, GateKey, RuleEvaluation, RuleFailures, RuleOptions,
};
pub use efficacy::Efficacy;

// The report is its own JSON document (`report --format json`): times as RFC 3339, gates as
// `service/env/identifier`, options as a file writes them.
fn as_rfc3339<S: Serializer>(ms: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&crate::model::time::format_rfc3339(*ms))
}

fn as_optional_rfc3339<S: Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    ms.map(crate::model::time::format_rfc3339).serialize(s)
}

fn as_key<S: Serializer>(key: &GateKey, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&key.joined())
}

fn as_file_options<S: Serializer>(options: &Option<RuleOptions>, s: S) -> Result<S::Ok, S::Error> {
    options.as_ref().map(OptionsSpec::from).serialize(s)
}

/// The bar a gate or rule in dry run must pass to be recommended for promotion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Thresholds {
    /// Evaluations counted (finished, with rule results, under today's configuration).
    pub min_evaluations: u32,
    /// Distinct days (24-hour periods of the window) with a counted evaluation.
    pub min_days: u32,
    /// Distinct versions deployed through counted evaluations.
    pub min_versions: u32,
    /// The newest counted evaluations that must all have passed.
    pub clean_streak: u32,
    /// The share of counted evaluations, in percent, that may have blocked.
    pub max_block_percent: u32,
}

impl Thresholds {
    pub(crate) const DEFAULT: Thresholds =
        Thresholds { min_evaluations: 10, min_days: 5, min_versions: 3, clean_streak: 3, max_block_percent: 0 };

    /// The flags' values, else the files' (a gate's `report`, else its file's `[report]`),
    /// else the defaults.
    pub(crate) fn resolve(flags: ReportSpec, files: ReportSpec) -> Thresholds {
        let s = flags.over(files);
        let d = Thresholds::DEFAULT;
        Thresholds {
            min_evaluations: s.min_evaluations.unwrap_or(d.min_evaluations),
            min_days: s.min_days.unwrap_or(d.min_days),
            min_versions: s.min_versions.unwrap_or(d.min_versions),
            clean_streak: s.clean_streak.unwrap_or(d.clean_streak),
            max_block_percent: s.max_block_percent.unwrap_or(d.max_block_percent),
        }
    }

    /// Whether `blocks` of `evaluations` is within the bar.
    fn within(&self, blocks: usize, evaluations: usize) -> bool {
        blocks as u128 * 100 <= u128::from(self.max_block_percent) * evaluations as u128
    }
}

/// What the report covers, and the flags that override the files' thresholds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSettings {
    /// The window the history is read in.
    pub window: Window,
    /// Thresholds given on the command line: they win over the files'.
    pub flags: ReportSpec,
}

impl ReportSettings {
    /// The thresholds of a gate: the flags', else its files'.
    pub(crate) fn thresholds(&self, gate: &DesiredGate) -> Thresholds {
        Thresholds::resolve(self.flags, gate.report)
    }

    /// The thresholds where no file sets any: the flags', else the defaults.
    pub fn default_thresholds(&self) -> Thresholds {
        Thresholds::resolve(self.flags, ReportSpec::default())
    }
}

/// What to do with a gate or a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Recommendation {
    /// In dry run, and the evidence is enough and clean: enforce it.
    Promote,
    /// In dry run, and the evidence speaks against enforcing it: it would have blocked, lately
    /// or too often, or it watches nothing. See `why`.
    KeepDryRun,
    /// In dry run, and the evidence is not enough yet (evaluations, days, versions): see
    /// `missing`.
    TooFewEvaluations,
    /// Already enforcing.
    Enforced,
}

impl Recommendation {
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::Promote => "promote",
            Recommendation::KeepDryRun => "keep-dry-run",
            Recommendation::TooFewEvaluations => "too-few-evaluations",
            Recommendation::Enforced => "enforced",
        }
    }
}

/// One column of a gate's strip: a day with no evaluation, one where every evaluation
/// counted passed, one with a block (would-be, for a gate in dry run), or one whose
/// evaluations prove nothing (no rule results, or rules under another configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Day {
    None,
    Pass,
    Block,
    Unjudged,
}

impl Day {
    /// A day holding both: a block outweighs a pass, and a pass evaluations that prove nothing.
    fn with(self, other: Day) -> Day {
        match (self, other) {
            (Day::Block, _) | (_, Day::Block) => Day::Block,
            (Day::Pass, _) | (_, Day::Pass) => Day::Pass,
            _ => Day::Unjudged,
        }
    }
}

/// Why blocks and failures happened, where the history says it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Causes {
    /// With a monitor in ALERT.
    pub alert: usize,
    /// With a monitor in NO DATA.
    pub no_data: usize,
    /// With faulty APM resources.
    pub faulty_resources: usize,
    /// With none of those in the history (its reason only).
    pub other: usize,
}

impl Causes {
    /// Counts one block or failure made of `failures`: once per kind of cause it shows.
    fn count<'a>(&mut self, failures: impl IntoIterator<Item = &'a RuleFailures>) {
        let (mut alert, mut no_data, mut faulty) = (false, false, false);
        for f in failures {
            for m in &f.monitors {
                let state: String = m.state.chars().filter(|c| c.is_ascii_alphabetic()).collect();
                match state.to_ascii_lowercase().as_str() {
                    "alert" => alert = true,
                    "nodata" => no_data = true,
                    _ => {}
                }
            }
            faulty |= !f.faulty_apm_resources.is_empty();
        }
        self.alert += usize::from(alert);
        self.no_data += usize::from(no_data);
        self.faulty_resources += usize::from(faulty);
        self.other += usize::from(!(alert || no_data || faulty));
    }

    pub fn is_empty(&self) -> bool {
        self.alert + self.no_data + self.faulty_resources + self.other == 0
    }
}

/// One rule's failure in one evaluation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Failure {
    pub rule: String,
    pub version: String,
    #[serde(rename = "started_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "started_at", with = "String")]
    pub started_ms: i64,
    pub reason: String,
    /// Its failing monitors and faulty APM resources.
    #[serde(flatten)]
    pub failures: RuleFailures,
    /// The options it was evaluated with, as a file writes them; null when they did not read.
    #[serde(serialize_with = "as_file_options")]
    #[schemars(with = "Option<OptionsSpec>")]
    pub(crate) configuration: Option<RuleOptions>,
}

/// A gate evaluation that blocked a deploy, or would have had the gate been enforcing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Block {
    pub(crate) evaluation_id: String,
    pub version: String,
    #[serde(rename = "started_at", serialize_with = "as_rfc3339")]
    #[schemars(rename = "started_at", with = "String")]
    pub started_ms: i64,
    /// The rules that made it block.
    pub rules: Vec<Failure>,
}

/// The evidence a recommendation rests on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Evidence {
    /// Distinct days (24-hour periods of the window) with a counted evaluation.
    pub days_evaluated: usize,
    /// Distinct versions deployed through counted evaluations (an unversioned deploy is none).
    pub versions: usize,
    /// Since when nothing has blocked: the first counted evaluation after the newest block (or
    /// the oldest counted one, when none blocked); null when the newest blocked.
    #[serde(serialize_with = "as_optional_rfc3339")]
    #[schemars(with = "Option<String>")]
    pub clean_since: Option<i64>,
    /// Counted evaluations since the newest block.
    pub clean_in_a_row: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RuleReport {
    pub name: String,
    /// Declared in the files now; otherwise only its history knows it (renamed or removed).
    pub declared: bool,
    /// As declared; for a rule no longer declared, as last evaluated.
    pub dry_run: bool,
    /// Finished evaluations counted: under the configuration the files declare now (all of
    /// them, for a rule no longer declared).
    pub evaluations: usize,
    /// Finished evaluations set aside: made under another configuration than the files
    /// declare now (or with none recorded).
    pub set_aside: usize,
    /// The oldest evaluation under today's configuration, in the window.
    #[serde(serialize_with = "as_optional_rfc3339")]
    #[schemars(with = "Option<String>")]
    pub(crate) configuration_since: Option<i64>,
    pub failures: usize,
    /// Failures that blocked a deploy: the rule and its gate were enforcing.
    pub blocked: usize,
    /// The failures counted, by cause.
    pub causes: Causes,
    #[serde(flatten)]
    pub(crate) evidence: Evidence,
    /// What the monitor check found it watching: nothing, and why. Null when it watches
    /// something, or was not checked.
    pub watches_nothing: Option<String>,
    /// None for a rule no longer declared: nothing to change in the files.
    pub recommendation: Option<Recommendation>,
    /// Why it is not promoted, in plain words; null when it is.
    pub why: Option<String>,
    /// What would change that: "2 more days", "1 more version", "3 clean evaluations in a row".
    pub missing: Vec<String>,
    /// Its failures counted, newest first.
    pub failed: Vec<Failure>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GateReport {
    /// `service/env/identifier`.
    #[serde(serialize_with = "as_key")]
    #[schemars(with = "String")]
    pub gate: GateKey,
    /// As declared.
    pub dry_run: bool,
    /// The bar this gate and its rules were held to.
    pub thresholds: Thresholds,
    /// Finished evaluations counted: with a result of every rule the gate would enforce (those
    /// the files enforce, and those promoted with it), each under today's configuration.
    pub evaluations: usize,
    /// Evaluations still running: not counted.
    pub in_progress: usize,
    /// Finished evaluations without any rule result: no data, not clean passes.
    pub no_data: usize,
    /// Finished evaluations set aside: a rule the gate would enforce is missing from them, or
    /// was evaluated under another configuration.
    pub set_aside: usize,
    /// Counted evaluations in which a rule the gate would enforce failed: what it would have
    /// blocked, enforcing them.
    pub would_block: usize,
    /// Evaluations the gate failed while enforcing: deploys it stopped.
    pub blocked: usize,
    /// The blocks listed, by cause.
    pub causes: Causes,
    #[serde(flatten)]
    pub evidence: Evidence,
    pub recommendation: Recommendation,
    /// Why it is not promoted, in plain words; null when it is.
    pub why: Option<String>,
    /// What would change that: "2 more days", "1 more version", "3 clean evaluations in a row".
    pub missing: Vec<String>,
    /// Its verdicts (the blocks and passes counted above; real ones for an enforced gate)
    /// against the failures that followed them (DORA); null when those were not read.
    pub efficacy: Option<Efficacy>,
    /// One per day of the window, oldest first; the last is the 24 hours before its end.
    pub days: Vec<Day>,
    /// Would-be blocks for a gate in dry run, real ones for an enforced gate; newest first.
    pub blocks: Vec<Block>,
    /// Declared rules by name, then the rules only the history knows (`declared: false`).
    pub rules: Vec<RuleReport>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub settings: ReportSettings,
    /// The declared gates the report covers, in key order.
    pub gates: Vec<GateReport>,
    /// History items that could not be read, not counted.
    pub unreadable: usize,
    /// Why the monitor rules were not checked for watching nothing, when they were not.
    pub unchecked: Option<String>,
    /// Failures read (DORA), or why none were.
    pub failures: Result<usize, String>,
}

impl Report {
    /// The gates (rule `None`) and rules recommended for promotion, in report order.
    pub fn promotions(&self) -> Vec<(GateKey, Option<String>)> {
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
    pub fn tally(&self) -> BTreeMap<Recommendation, (usize, usize)> {
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

/// What was found online besides the history.
#[derive(Debug, Default)]
pub struct Findings<'a> {
    /// Monitor rules that watch nothing, by gate and rule, with what they watch.
    pub watching_nothing: Option<&'a BTreeMap<(GateKey, String), String>>,
    /// Why the monitor rules were not checked, when they were not.
    pub unchecked: Option<String>,
    /// The failures of the window (DORA), or why they were not read.
    pub failures: Option<Result<&'a [Incident], String>>,
}

/// Judges the history of `gates` (declared gates, already narrowed to the targets).
pub fn build(
    desired: &DesiredState,
    gates: &[&GateKey],
    history: &History,
    settings: &ReportSettings,
    findings: &Findings<'_>,
) -> Report {
    let wanted: BTreeSet<&GateKey> = gates.iter().copied().collect();
    let in_window = |at: i64| settings.window.contains(at);
    let mut gate_history: HashMap<&GateKey, Vec<&GateEvaluation>> = HashMap::new();
    for e in history.gates.iter().filter(|e| wanted.contains(&e.gate) && in_window(e.started_ms)) {
        gate_history.entry(&e.gate).or_default().push(e);
    }
    let mut rule_history: HashMap<&GateKey, Vec<&RuleEvaluation>> = HashMap::new();
    for e in history.rules.iter().filter(|e| wanted.contains(&e.gate) && in_window(e.started_ms)) {
        rule_history.entry(&e.gate).or_default().push(e);
    }
    let none = BTreeMap::new();
    let hollow = findings.watching_nothing.unwrap_or(&none);
    let failures = findings.failures.as_ref().and_then(|f| f.as_ref().ok().copied());
    let followed = failures.map(|f| {
        let evaluations: Vec<&GateEvaluation> = gate_history.values().flatten().copied().collect();
        efficacy::followed(f, &evaluations)
    });
    let gates = wanted
        .into_iter()
        .filter_map(|key| desired.gates.get(key))
        .map(|gate| {
            let evaluations = gate_history.remove(&gate.key).unwrap_or_default();
            let rules = rule_history.remove(&gate.key).unwrap_or_default();
            Judge { gate, settings, thresholds: settings.thresholds(gate), hollow, followed: followed.as_ref() }
                .gate_report(evaluations, rules)
        })
        .collect();
    Report {
        settings: settings.clone(),
        gates,
        unreadable: history.unreadable,
        unchecked: findings.unchecked.clone(),
        failures: match &findings.failures {
            None => Err("not read (--no-dora)".into()),
            Some(Ok(f)) => Ok(f.len()),
            Some(Err(why)) => Err(why.clone()),
        },
    }
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

/// One counted evaluation: when, of which version, and whether it blocked (or would have).
#[derive(Clone, Copy, Debug)]
struct Sample<'a> {
    /// The gate evaluation's id.
    id: &'a str,
    at: i64,
    version: &'a str,
    blocked: bool,
}

/// `1 day`, `3 days`.
fn count(n: usize, one: &str, many: &str) -> String {
    crate::text::plural(n, one, many)
}

/// `part` of `whole` in whole percent, rounded to the nearest.
fn percent(part: usize, whole: usize) -> usize {
    (part * 200 + whole).checked_div(whole * 2).unwrap_or(0)
}

/// A gate's or rule's judgement: what it is, why, and what would change it.
struct Verdict {
    recommendation: Recommendation,
    why: Option<String>,
    missing: Vec<String>,
}

struct Judge<'a> {
    gate: &'a DesiredGate,
    settings: &'a ReportSettings,
    thresholds: Thresholds,
    hollow: &'a BTreeMap<(GateKey, String), String>,
    /// The evaluations a failure followed (DORA), when failures were read: a block of one of
    /// them was borne out, not a false alarm.
    followed: Option<&'a HashSet<&'a str>>,
}

/// A gate's finished evaluations sorted by what they prove about a set of rules.
struct Classified<'a> {
    /// Counted evaluations, newest first.
    samples: Vec<Sample<'a>>,
    /// The counted evaluations that blocked (or would have), newest first, with the failing
    /// rules of the set.
    blocks: Vec<(&'a GateEvaluation, Vec<&'a RuleEvaluation>)>,
    no_data: usize,
    set_aside: usize,
    /// Per strip column: whether a counted evaluation fell on it, and whether one blocked.
    days: Vec<Day>,
}

impl<'a> Judge<'a> {
    fn current(&self, r: &RuleEvaluation) -> bool {
        let Some(declared) = self.gate.rules.get(&r.name) else { return false };
        r.configuration.as_ref().is_some_and(|recorded| declared.options.same_as_evaluated(recorded))
    }

    /// The evidence of counted samples (newest first).
    fn evidence(&self, samples: &[Sample<'_>]) -> Evidence {
        let days: BTreeSet<usize> = samples.iter().filter_map(|s| self.settings.window.day_of(s.at)).collect();
        let versions: BTreeSet<&str> = samples.iter().map(|s| s.version).filter(|v| !v.is_empty()).collect();
        let clean_in_a_row = samples.iter().take_while(|s| !s.blocked).count();
        let clean_since = (clean_in_a_row > 0).then(|| samples[clean_in_a_row - 1].at);
        Evidence { days_evaluated: days.len(), versions: versions.len(), clean_since, clean_in_a_row }
    }

    fn was_followed(&self, id: &str) -> bool {
        self.followed.is_some_and(|f| f.contains(id))
    }

    /// The samples with only their unjustified blocks: a block a failure followed was right.
    fn false_alarms_only<'s>(&self, samples: &[Sample<'s>]) -> Vec<Sample<'s>> {
        samples.iter().map(|s| Sample { blocked: s.blocked && !self.was_followed(s.id), ..*s }).collect()
    }

    /// The judgement of a gate or rule in dry run on its counted `samples`, with `problems`
    /// that keep it in dry run whatever the samples say, and `context` worth saying when it
    /// is not promoted.
    fn verdict(&self, samples: &[Sample<'_>], problems: Vec<String>, context: Vec<String>) -> Verdict {
        let t = &self.thresholds;
        let samples = &self.false_alarms_only(samples);
        // With the failures read, a block a failure followed was right: only false alarms count.
        let weighed = self.followed.is_some_and(|f| !f.is_empty());
        let unfollowed = if weighed { " where no failure followed" } else { "" };
        let ev = self.evidence(samples);
        let evaluations = samples.len();
        let blocks: Vec<&Sample<'_>> = samples.iter().filter(|s| s.blocked).collect();
        let (mut bad, mut short, mut missing) = (problems, Vec::new(), Vec::new());
        if !blocks.is_empty() && !t.within(blocks.len(), evaluations) {
            bad.push(format!(
                "it would have blocked {} of {} ({}%){unfollowed}, more than the {}% allowed",
                blocks.len(),
                count(evaluations, "evaluation", "evaluations"),
                percent(blocks.len(), evaluations),
                t.max_block_percent
            ));
            if t.max_block_percent == 0 {
                let leaves = blocks[0].at + (self.settings.window.to_ms - self.settings.window.from_ms);
                let what = if weighed { "false alarm" } else { "block" };
                missing.push(format!(
                    "no {what} in the window (the newest leaves it on {})",
                    crate::model::time::format_rfc3339(leaves)
                ));
            } else {
                let needed = (blocks.len() * 100).div_ceil(t.max_block_percent as usize);
                missing.push(count(
                    needed.saturating_sub(evaluations),
                    "more clean evaluation",
                    "more clean evaluations",
                ));
            }
        }
        let streak = t.clean_streak as usize;
        if let Some(recent) = samples.iter().take(streak).find(|s| s.blocked) {
            bad.push(format!(
                "it would have blocked {} at {}{unfollowed}, among its newest {}",
                if recent.version.is_empty() {
                    "an unversioned deploy".to_string()
                } else {
                    format!("version {}", crate::escape::quoted(recent.version))
                },
                crate::model::time::format_rfc3339(recent.at),
                count(streak, "evaluation", "evaluations")
            ));
            missing.push(if ev.clean_in_a_row == 0 {
                count(streak, "clean evaluation in a row", "clean evaluations in a row")
            } else {
                count(streak - ev.clean_in_a_row, "more clean evaluation in a row", "more clean evaluations in a row")
            });
        }
        if evaluations < t.min_evaluations as usize {
            short.push(format!(
                "{} counted, of the {} needed",
                count(evaluations, "evaluation", "evaluations"),
                t.min_evaluations
            ));
            missing.push(count(t.min_evaluations as usize - evaluations, "more evaluation", "more evaluations"));
        } else if evaluations < streak && blocks.is_empty() {
            missing.push(count(
                streak - evaluations,
                "more clean evaluation in a row",
                "more clean evaluations in a row",
            ));
            short.push(format!(
                "{} counted, fewer than the {streak} clean in a row needed",
                count(evaluations, "evaluation", "evaluations")
            ));
        }
        if ev.days_evaluated < t.min_days as usize {
            short.push(format!(
                "evaluated on {}, of the {} needed",
                count(ev.days_evaluated, "day", "days"),
                t.min_days
            ));
            missing.push(count(t.min_days as usize - ev.days_evaluated, "more day", "more days"));
        }
        if ev.versions < t.min_versions as usize {
            short.push(format!(
                "{} deployed, of the {} needed",
                count(ev.versions, "version", "versions"),
                t.min_versions
            ));
            missing.push(count(t.min_versions as usize - ev.versions, "more version", "more versions"));
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
            all.extend(context);
            all.join("; ")
        });
        Verdict { recommendation, why, missing }
    }

    /// The gate's finished evaluations as evidence about the rules `set` (names): counted
    /// when each rule of the set has a result under today's configuration.
    fn classify(
        &self,
        evaluations: &[&'a GateEvaluation],
        parts: &HashMap<&str, Vec<&'a RuleEvaluation>>,
        set: &BTreeSet<&str>,
    ) -> Classified<'a> {
        let mut out = Classified {
            samples: Vec::new(),
            blocks: Vec::new(),
            no_data: 0,
            set_aside: 0,
            days: vec![Day::None; self.settings.window.days()],
        };
        for e in evaluations.iter().copied().filter(|e| e.status != EvaluationStatus::InProgress) {
            let of = parts.get(e.evaluation_id.as_str()).map(Vec::as_slice).unwrap_or_default();
            let day = self.settings.window.day_of(e.started_ms);
            let mark = |days: &mut Vec<Day>, shown: Day| {
                if let Some(d) = day {
                    days[d] = days[d].with(shown);
                }
            };
            if of.is_empty() {
                out.no_data += 1;
                mark(&mut out.days, Day::Unjudged);
                continue;
            }
            let complete = set.iter().all(|name| {
                of.iter().any(|r| r.name == *name && r.status != EvaluationStatus::InProgress && self.current(r))
            });
            if !complete {
                out.set_aside += 1;
                mark(&mut out.days, Day::Unjudged);
                continue;
            }
            let judged: Vec<&RuleEvaluation> = of.iter().copied().filter(|r| set.contains(r.name.as_str())).collect();
            // As if the gate enforced the set: the verdict rule of every evaluation.
            let blocked = gate_blocks(
                false,
                judged.iter().map(|r| RuleOutcome { dry_run: false, failed: r.status == EvaluationStatus::Fail }),
            );
            let failing: Vec<&RuleEvaluation> =
                judged.into_iter().filter(|r| r.status == EvaluationStatus::Fail).collect();
            out.samples.push(Sample { id: &e.evaluation_id, at: e.started_ms, version: &e.version, blocked });
            mark(&mut out.days, if blocked { Day::Block } else { Day::Pass });
            if blocked {
                out.blocks.push((e, failing));
            }
        }
        out
    }

    /// Why enforcing the rules whose evaluations are `classified` would take the gate past the
    /// bar, if it would.
    fn together(&self, classified: &Classified<'_>) -> Option<String> {
        let t = &self.thresholds;
        let samples = self.false_alarms_only(&classified.samples);
        let evaluations = samples.len();
        let blocks = samples.iter().filter(|s| s.blocked).count();
        if evaluations == 0 {
            return Some(
                "no evaluation of the gate holds it beside the rules the gate enforces, under today's configuration: they cannot be judged together yet".into(),
            );
        }
        if !t.within(blocks, evaluations) {
            return Some(format!(
                "together with the rules the gate enforces, the gate would have blocked {blocks} of {} ({}%), more than the {}% allowed",
                count(evaluations, "evaluation", "evaluations"),
                percent(blocks, evaluations),
                t.max_block_percent
            ));
        }
        if samples.iter().take(t.clean_streak as usize).any(|s| s.blocked) {
            return Some(format!(
                "together with the rules the gate enforces, the gate would have blocked one of its newest {}",
                count(t.clean_streak as usize, "evaluation", "evaluations")
            ));
        }
        None
    }

    fn gate_report(&self, mut evaluations: Vec<&'a GateEvaluation>, rules: Vec<&'a RuleEvaluation>) -> GateReport {
        let gate = self.gate;
        newest_first(&mut evaluations, |e| (e.started_ms, e.evaluation_id.as_str()));
        let mut parts: HashMap<&str, Vec<&RuleEvaluation>> = HashMap::new();
        for r in &rules {
            parts.entry(r.gate_evaluation_id.as_str()).or_default().push(r);
        }
        let mut reports = self.rule_reports(rules);
        let base: BTreeSet<&str> = gate.rules.values().filter(|r| !r.dry_run).map(|r| r.name.as_str()).collect();

        // The rules promoted with the gate's own decision: each in turn, fewest failures
        // first, kept while the gate stays within the bar with them.
        let mut candidates: Vec<(usize, String)> = reports
            .iter()
            .filter(|r| r.declared && r.recommendation == Some(Recommendation::Promote))
            .map(|r| (r.failures, r.name.clone()))
            .collect();
        candidates.sort();
        let alone = self.classify(&evaluations, &parts, &base);
        let gate_alone = self.verdict(&alone.samples, Vec::new(), Vec::new());
        let judged_together = !gate.dry_run || gate_alone.recommendation == Recommendation::Promote || base.is_empty();
        let mut set = base.clone();
        for (_, name) in &candidates {
            if !judged_together {
                set.insert(name.as_str());
                continue;
            }
            let mut with = set.clone();
            with.insert(name.as_str());
            // A gate starting to enforce blocks all its rules fail; an enforcing one adds only
            // the blocks of the rules promoted.
            let classified = if gate.dry_run {
                self.classify(&evaluations, &parts, &with)
            } else {
                self.new_blocks_only(&evaluations, &parts, &with, &base)
            };
            match self.together(&classified) {
                None => {
                    set.insert(name.as_str());
                }
                Some(why) => {
                    if let Some(r) = reports.iter_mut().find(|r| r.name == *name) {
                        r.recommendation = Some(Recommendation::KeepDryRun);
                        r.why = Some(why);
                        r.missing = vec!["fewer failures of this rule where the gate's other rules pass".into()];
                    }
                }
            }
        }

        let classified = self.classify(&evaluations, &parts, &set);
        let in_progress = evaluations.iter().filter(|e| e.status == EvaluationStatus::InProgress).count();
        let blocked = evaluations.iter().filter(|e| e.status == EvaluationStatus::Fail && !e.dry_run).count();
        let mut context = Vec::new();
        if classified.no_data > 0 {
            context.push(format!(
                "{} held no rule result (no data, not clean)",
                count(classified.no_data, "evaluation", "evaluations")
            ));
        }
        if classified.set_aside > 0 {
            context.push(format!(
                "{} set aside: a rule it enforces was missing from them or evaluated under another configuration",
                count(classified.set_aside, "evaluation", "evaluations")
            ));
        }
        let verdict = if gate.dry_run {
            let mut problems = Vec::new();
            if set.is_empty() {
                problems.push(
                    "no rule of it is enforced or recommended for enforcing: enforced, it would block nothing"
                        .to_string(),
                );
            }
            for name in &set {
                if let Some(what) = self.hollow.get(&(gate.key.clone(), name.to_string())) {
                    problems.push(format!(
                        "its rule {} watches nothing ({what}): its passes prove nothing; fix the query or the ids, or remove the rule",
                        crate::escape::quoted(name)
                    ));
                }
            }
            self.verdict(&classified.samples, problems, context)
        } else {
            Verdict {
                recommendation: Recommendation::Enforced,
                why: Some("enforced already".into()),
                missing: Vec::new(),
            }
        };
        // Blocks shown: would-be for a gate in dry run, real ones for an enforced gate.
        let mut causes = Causes::default();
        let mut block = |e: &GateEvaluation, failing: &[&RuleEvaluation]| {
            causes.count(failing.iter().map(|r| &r.failures));
            let mut rules: Vec<Failure> = failing.iter().map(|r| failure(r)).collect();
            rules.sort_by(|a, b| a.rule.cmp(&b.rule));
            Block {
                evaluation_id: e.evaluation_id.clone(),
                version: e.version.clone(),
                started_ms: e.started_ms,
                rules,
            }
        };
        let blocks: Vec<Block> = if gate.dry_run {
            classified.blocks.iter().map(|(e, failing)| block(e, failing)).collect()
        } else {
            evaluations
                .iter()
                .filter(|e| e.status == EvaluationStatus::Fail && !e.dry_run)
                .map(|e| {
                    let of = parts.get(e.evaluation_id.as_str()).map(Vec::as_slice).unwrap_or_default();
                    let failing: Vec<&RuleEvaluation> =
                        of.iter().copied().filter(|r| r.status == EvaluationStatus::Fail && !r.dry_run).collect();
                    block(e, &failing)
                })
                .collect()
        };
        let days = if gate.dry_run {
            classified.days.clone()
        } else {
            let mut days = vec![Day::None; self.settings.window.days()];
            for e in evaluations.iter().filter(|e| e.status != EvaluationStatus::InProgress) {
                let Some(d) = self.settings.window.day_of(e.started_ms) else { continue };
                let has_data = parts.contains_key(e.evaluation_id.as_str());
                let shown = if e.status == EvaluationStatus::Fail && !e.dry_run {
                    Day::Block
                } else if has_data {
                    Day::Pass
                } else {
                    Day::Unjudged
                };
                days[d] = days[d].with(shown);
            }
            days
        };
        reports.sort_by(|a, b| b.declared.cmp(&a.declared).then(a.name.cmp(&b.name)));
        // The verdicts weighed: would-be ones of the counted evaluations in dry run, real ones
        // of every finished evaluation when enforcing.
        let efficacy = self.followed.map(|_| {
            let mut e = Efficacy::default();
            if gate.dry_run {
                for s in &classified.samples {
                    e.count(s.blocked, self.was_followed(s.id));
                }
            } else {
                for ev in evaluations.iter().filter(|e| e.status != EvaluationStatus::InProgress) {
                    e.count(ev.status == EvaluationStatus::Fail && !ev.dry_run, self.was_followed(&ev.evaluation_id));
                }
            }
            e
        });
        let mut verdict = verdict;
        if let (Some(e), Some(why)) = (&efficacy, verdict.why.as_mut()) {
            if e.caught + e.missed > 0 {
                why.push_str(&format!("; against the failures that followed, it {}", e.words(gate.dry_run)));
            }
        }
        GateReport {
            gate: gate.key.clone(),
            dry_run: gate.dry_run,
            thresholds: self.thresholds,
            evaluations: classified.samples.len(),
            in_progress,
            no_data: classified.no_data,
            set_aside: classified.set_aside,
            would_block: classified.blocks.len(),
            blocked,
            causes,
            evidence: self.evidence(&classified.samples),
            recommendation: verdict.recommendation,
            why: verdict.why,
            missing: verdict.missing,
            efficacy,
            days,
            blocks,
            rules: reports,
        }
    }

    /// For an enforcing gate, the evaluations counted for `with`, each blocking only when a
    /// rule beyond `base` failed where none of `base` did: the blocks a promotion would add.
    fn new_blocks_only(
        &self,
        evaluations: &[&'a GateEvaluation],
        parts: &HashMap<&str, Vec<&'a RuleEvaluation>>,
        with: &BTreeSet<&str>,
        base: &BTreeSet<&str>,
    ) -> Classified<'a> {
        let mut classified = self.classify(evaluations, parts, with);
        let by_base: BTreeSet<&str> = classified
            .blocks
            .iter()
            .filter(|(_, failing)| failing.iter().any(|r| base.contains(r.name.as_str())))
            .map(|(e, _)| e.evaluation_id.as_str())
            .collect();
        for sample in classified.samples.iter_mut().filter(|s| by_base.contains(s.id)) {
            sample.blocked = false;
        }
        classified.blocks.retain(|(e, _)| !by_base.contains(e.evaluation_id.as_str()));
        classified
    }

    /// Each rule's report, alone: declared rules by name, then those only the history knows.
    fn rule_reports(&self, mut rules: Vec<&'a RuleEvaluation>) -> Vec<RuleReport> {
        let gate = self.gate;
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
                self.rule_report(&rule.name, true, rule.dry_run, history)
            })
            .collect();
        for (name, history) in by_name {
            let dry_run = history.first().is_some_and(|e| e.dry_run);
            out.push(self.rule_report(name, false, dry_run, history));
        }
        out
    }

    /// One rule's report; `history` is newest first.
    fn rule_report(&self, name: &str, declared: bool, dry_run: bool, history: Vec<&RuleEvaluation>) -> RuleReport {
        let (counted, aside): (Vec<&RuleEvaluation>, Vec<&RuleEvaluation>) =
            history.into_iter().partition(|e| !declared || self.current(e));
        let failed: Vec<&&RuleEvaluation> = counted.iter().filter(|e| e.status == EvaluationStatus::Fail).collect();
        let blocked = failed
            .iter()
            .filter(|e| gate_blocks(e.gate_dry_run, [RuleOutcome { dry_run: e.dry_run, failed: true }]))
            .count();
        let mut causes = Causes::default();
        for f in &failed {
            causes.count([&f.failures]);
        }
        let samples: Vec<Sample<'_>> = counted
            .iter()
            .map(|e| Sample {
                id: &e.gate_evaluation_id,
                at: e.started_ms,
                version: &e.version,
                blocked: e.status == EvaluationStatus::Fail,
            })
            .collect();
        let watches_nothing = self.hollow.get(&(self.gate.key.clone(), name.to_string())).cloned();
        let verdict = match (declared, dry_run) {
            (false, _) => Verdict {
                recommendation: Recommendation::Enforced,
                why: Some("no longer declared in the files (renamed or removed): nothing to change".into()),
                missing: Vec::new(),
            },
            (true, false) => Verdict {
                recommendation: Recommendation::Enforced,
                why: Some("enforced already".into()),
                missing: Vec::new(),
            },
            (true, true) => {
                let mut problems = Vec::new();
                if let Some(what) = &watches_nothing {
                    problems.push(format!(
                        "it watches nothing ({what}): a pass proves nothing; fix the query or the ids (see `gatesctl plan`'s monitor check), or remove the rule"
                    ));
                }
                let mut context = Vec::new();
                if !aside.is_empty() {
                    context.push(format!(
                        "{} set aside: made under another configuration than the files declare now",
                        count(aside.len(), "evaluation", "evaluations")
                    ));
                }
                self.verdict(&samples, problems, context)
            }
        };
        RuleReport {
            name: name.to_string(),
            declared,
            dry_run,
            evaluations: counted.len(),
            set_aside: aside.len(),
            configuration_since: declared.then(|| counted.last().map(|e| e.started_ms)).flatten(),
            failures: failed.len(),
            blocked,
            causes,
            evidence: self.evidence(&samples),
            watches_nothing,
            recommendation: declared.then_some(verdict.recommendation),
            why: verdict.why,
            missing: verdict.missing,
            failed: failed.iter().map(|e| failure(e)).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_files_and_the_files_over_the_defaults() {
        let files = ReportSpec { min_days: Some(2), max_block_percent: Some(10), ..ReportSpec::default() };
        let flags = ReportSpec { max_block_percent: Some(5), ..ReportSpec::default() };
        let t = Thresholds::resolve(flags, files);
        assert_eq!((t.min_days, t.max_block_percent, t.min_evaluations), (2, 5, 10));
        assert!(t.within(1, 20) && !t.within(2, 20));
    }
}
