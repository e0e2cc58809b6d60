//! What the judgement concludes: each gate's and rule's report, its recommendation and the
//! evidence and record it rests on, as the views print them and the JSON document holds them.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Serialize, Serializer};

use super::evidence::Evidence;
use super::record::Record;
use super::thresholds::{Thresholds, ThresholdsSetBy};
use crate::desired::ReportSpec;
use crate::model::options::OptionsSpec;
use crate::model::time::Window;
use crate::model::{
    EvaluationId, FailingMonitor, Failure as Incident, GateKey, RuleEvaluation, RuleFailures, RuleOptions,
};

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

/// What the report covers, and the thresholds given on the command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportSettings {
    /// The window the history is read in; its end is now.
    pub window: Window,
    /// Thresholds given on the command line: they set the bar where no file does, and win
    /// over a file's only when stricter.
    pub flags: ReportSpec,
}

impl ReportSettings {
    /// The bar where no file sets any: the flags', else the defaults.
    pub fn default_thresholds(&self) -> Thresholds {
        Thresholds::resolve(self.flags, &crate::desired::ReportBar::default()).0
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
    pub(super) fn with(self, other: Day) -> Day {
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
    pub(super) fn count<'a>(&mut self, failures: impl IntoIterator<Item = &'a RuleFailures>) {
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

/// One rule's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct RuleReport {
    pub name: String,
    /// Declared in the files now; otherwise only its history knows it (renamed or removed).
    pub declared: bool,
    /// As declared; for a rule no longer declared, as last evaluated.
    pub dry_run: bool,
    /// Finished evaluations counted: under the configuration the files declare now, since it
    /// last changed (all of them, for a rule no longer declared), with a result.
    pub evaluations: usize,
    /// Finished evaluations set aside: made under another configuration than the files
    /// declare now, before its last change, or with none recorded.
    pub set_aside: usize,
    /// Evaluations that passed only because a monitor had no data: not clean.
    pub no_data: usize,
    /// Evaluations still running (stuck ones included): not counted.
    pub in_progress: usize,
    /// Of those, evaluations in progress longer than any rule takes (3 hours).
    pub stuck: usize,
    /// Since when it has been evaluated under today's configuration: its last change.
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
    /// The monitors it watches that are in ALERT or NO DATA now (the monitor check): enforced,
    /// it would block the next deploy.
    pub failing_now: Vec<FailingMonitor>,
    /// None for a rule no longer declared: nothing to change in the files.
    pub recommendation: Option<Recommendation>,
    /// Why it is not promoted, in plain words; null when it is.
    pub why: Option<String>,
    /// What would change that: "2 more days", "1 more version", "3 clean evaluations in a row".
    pub missing: Vec<String>,
    /// Its failures counted, newest first.
    pub failed: Vec<Failure>,
}

/// One gate's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, JsonSchema)]
pub struct GateReport {
    /// `service/env/identifier`.
    #[serde(serialize_with = "as_key")]
    #[schemars(with = "String")]
    pub gate: GateKey,
    /// The file that declares it.
    pub file: String,
    /// As declared.
    pub dry_run: bool,
    /// The bar this gate and its rules were held to.
    pub thresholds: Thresholds,
    /// Where each threshold came from: the flag, the gate's own `report` table, its file's
    /// `[report]`, or the default.
    pub thresholds_set_by: ThresholdsSetBy,
    /// Finished evaluations counted: with a result of every rule the gate would enforce (those
    /// the files enforce, and those promoted with it), each under today's configuration.
    pub evaluations: usize,
    /// Evaluations still running (stuck ones included): not counted.
    pub in_progress: usize,
    /// Of those, evaluations in progress longer than any rule takes (3 hours): they end a
    /// clean streak.
    pub stuck: usize,
    /// Finished evaluations without any rule result, or whose rules passed only because a
    /// monitor had no data: no data, not clean passes.
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
    /// Its verdicts (the counted would-be ones in dry run, every finished one when enforcing)
    /// against the failures charged to them (DORA); null when those were not read.
    #[serde(rename = "efficacy")]
    #[schemars(rename = "efficacy")]
    pub record: Option<Record>,
    /// One per day of the window, oldest first; the last is the 24 hours before its end.
    pub days: Vec<Day>,
    /// Would-be blocks for a gate in dry run, real ones for an enforced gate; newest first.
    pub blocks: Vec<Block>,
    /// Declared rules by name, then the rules only the history knows (`declared: false`).
    pub rules: Vec<RuleReport>,
}

/// Failures the report could charge to no gate: they name no env, or no service the files or
/// the history know.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Unattributed {
    pub no_env: usize,
    pub unknown_service: usize,
}

impl Unattributed {
    pub fn total(&self) -> usize {
        self.no_env + self.unknown_service
    }
}

/// Why the failures (DORA) were not read: the records are then left out, never the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FailuresUnread {
    /// Nobody asked for them.
    NotAsked,
    /// Asked for, and not answered: why, in the words of the error.
    Unavailable(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    pub settings: ReportSettings,
    /// The declared gates the report covers, in key order.
    pub gates: Vec<GateReport>,
    /// History items that could not be read, not counted.
    pub unreadable: usize,
    /// Why the monitor rules were not checked (watching nothing, failing now), when they were
    /// not.
    pub unchecked: Option<String>,
    /// Failures read (DORA), or why none were.
    pub failures: Result<usize, FailuresUnread>,
    /// Failures read that could be charged to no gate.
    pub unattributed: Unattributed,
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
#[derive(Debug)]
pub struct Findings<'a> {
    /// Monitor rules that watch nothing, by gate and rule, with what they watch.
    pub watching_nothing: Option<&'a BTreeMap<(GateKey, String), String>>,
    /// Monitors in ALERT or NO DATA now, by the gate and rule that watch them.
    pub failing_now: Option<&'a BTreeMap<(GateKey, String), Vec<FailingMonitor>>>,
    /// Why the monitor rules were not checked, when they were not.
    pub unchecked: Option<String>,
    /// The failures of the window (DORA), or why they were not read.
    pub failures: Result<&'a [Incident], FailuresUnread>,
}

/// Nothing found, and the failures not asked for.
impl Default for Findings<'_> {
    fn default() -> Self {
        Findings { watching_nothing: None, failing_now: None, unchecked: None, failures: Err(FailuresUnread::NotAsked) }
    }
}

/// Newest first, then by id: the order the API lists, made total.
pub(super) fn newest_first<T>(items: &mut [T], at: impl Fn(&T) -> (i64, &EvaluationId)) {
    items.sort_by(|a, b| {
        let (a, b) = (at(a), at(b));
        b.0.cmp(&a.0).then(a.1.cmp(b.1))
    });
}

pub(super) fn failure(e: &RuleEvaluation) -> Failure {
    Failure {
        rule: e.name.to_string(),
        version: e.version.to_string(),
        started_ms: e.started_ms,
        reason: e.reason.to_string(),
        failures: RuleFailures::clone(&e.failures),
        configuration: e.configuration.as_deref().cloned(),
    }
}
