//! A gate's evaluations sorted by what they prove about a set of its rules: counted (with a
//! result of each rule of the set, under today's configuration), no data (no rule results, or
//! a rule that passed only because a monitor had no data), set aside (a rule missing, or
//! evaluated under another configuration or before its last change), still running, or stuck.
//! A rule's own evaluations are sorted the same way.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::evidence::{Judged, Sample};
use super::outcome::Day;
use crate::desired::DesiredGate;
use crate::model::evaluation::{gate_blocks, RuleOutcome};
use crate::model::time::Window;
use crate::model::{EvaluationId, EvaluationStatus, GateEvaluation, RuleEvaluation};

/// An evaluation still in progress this long after it started is stuck: the longest rule
/// watches for 2 hours (`duration` 7200).
pub const STUCK_AFTER_MS: i64 = 3 * 3600 * 1000;

/// What the judgement of one gate knows about it: its declaration, the window, and since when
/// each declared rule has been evaluated under the configuration the files declare today.
pub(super) struct Context<'a> {
    pub(super) gate: &'a DesiredGate,
    pub(super) window: Window,
    since: BTreeMap<&'a str, Option<i64>>,
}

/// When a rule's configuration last became today's: the oldest of the newest run of its
/// evaluations under the configuration declared now (`history` newest first). A query changed
/// and changed back starts over at the change back; an evaluation that recorded no
/// configuration neither proves nor breaks the run.
fn configuration_since(declared: &crate::model::Rule, history: &[&RuleEvaluation]) -> Option<i64> {
    let mut since = None;
    for r in history {
        match &r.configuration {
            None => continue,
            Some(c) if declared.options.same_as_evaluated(c) => since = Some(r.started_ms),
            Some(_) => break,
        }
    }
    since
}

impl<'a> Context<'a> {
    /// `rules` is the gate's rule history, newest first.
    pub(super) fn new(gate: &'a DesiredGate, window: Window, rules: &[&'a RuleEvaluation]) -> Context<'a> {
        let mut by_name: HashMap<&str, Vec<&RuleEvaluation>> = HashMap::new();
        for r in rules {
            by_name.entry(&*r.name).or_default().push(r);
        }
        let since = gate
            .rules
            .values()
            .map(|rule| {
                let history = by_name.get(&*rule.name).map(Vec::as_slice).unwrap_or_default();
                (&*rule.name, configuration_since(rule, history))
            })
            .collect();
        Context { gate, window, since }
    }

    /// Since when a declared rule has been evaluated under today's configuration.
    pub(super) fn configuration_since(&self, rule: &str) -> Option<i64> {
        self.since.get(rule).copied().flatten()
    }

    /// Whether a rule evaluation is about the rule the files declare today: the same
    /// configuration, made since it last changed.
    pub(super) fn current(&self, r: &RuleEvaluation) -> bool {
        let Some(declared) = self.gate.rules.get(&*r.name) else { return false };
        let Some(since) = self.configuration_since(&r.name) else { return false };
        r.started_ms >= since && r.configuration.as_ref().is_some_and(|c| declared.options.same_as_evaluated(c))
    }

    pub(super) fn stuck(&self, started_ms: i64) -> bool {
        self.window.to_ms - started_ms >= STUCK_AFTER_MS
    }
}

/// A gate's finished (or stuck) evaluations as evidence about a set of its rules.
pub(super) struct Classified<'a> {
    /// Newest first: counted, no data and stuck ones (running and set-aside ones say nothing).
    pub(super) judged: Vec<Judged<'a>>,
    /// The counted evaluations that blocked (or would have), newest first, with the failing
    /// rules of the set.
    pub(super) blocks: Vec<(&'a GateEvaluation, Vec<&'a RuleEvaluation>)>,
    pub(super) running: usize,
    pub(super) stuck: usize,
    pub(super) no_data: usize,
    pub(super) set_aside: usize,
    /// Per strip column: whether a counted evaluation fell on it, and whether one blocked.
    pub(super) days: Vec<Day>,
}

impl<'a> Classified<'a> {
    /// The counted evaluations, newest first.
    pub(super) fn samples(&self) -> Vec<Sample<'a>> {
        self.judged
            .iter()
            .filter_map(|j| match j {
                Judged::Counted(s) => Some(*s),
                _ => None,
            })
            .collect()
    }
}

/// The rule evaluations of each gate evaluation, by its id.
pub(super) type Parts<'a> = HashMap<&'a EvaluationId, Vec<&'a RuleEvaluation>>;

/// Sorts `evaluations` (newest first) as evidence about the rules `set`.
pub(super) fn gate_evaluations<'a>(
    ctx: &Context<'_>,
    evaluations: &[&'a GateEvaluation],
    parts: &Parts<'a>,
    set: &BTreeSet<&str>,
) -> Classified<'a> {
    let mut out = Classified {
        judged: Vec::new(),
        blocks: Vec::new(),
        running: 0,
        stuck: 0,
        no_data: 0,
        set_aside: 0,
        days: vec![Day::None; ctx.window.days()],
    };
    for e in evaluations.iter().copied() {
        let day = ctx.window.day_of(e.started_ms);
        let mut mark = |shown: Day| {
            if let Some(d) = day {
                out.days[d] = out.days[d].with(shown);
            }
        };
        if !e.finished() {
            if ctx.stuck(e.started_ms) {
                out.stuck += 1;
                mark(Day::Unjudged);
                out.judged.push(Judged::Stuck { at: e.started_ms });
            } else {
                out.running += 1;
            }
            continue;
        }
        let of = parts.get(&e.evaluation_id).map(Vec::as_slice).unwrap_or_default();
        if of.is_empty() {
            out.no_data += 1;
            mark(Day::Unjudged);
            out.judged.push(Judged::NoData { at: e.started_ms });
            continue;
        }
        let complete = set.iter().all(|name| {
            of.iter().any(|r| &*r.name == *name && r.status != EvaluationStatus::InProgress && ctx.current(r))
        });
        if !complete {
            out.set_aside += 1;
            mark(Day::Unjudged);
            continue;
        }
        let judged: Vec<&RuleEvaluation> = of.iter().copied().filter(|r| set.contains(&*r.name)).collect();
        // As if the gate enforced the set: the verdict rule of every evaluation.
        let blocked = gate_blocks(
            false,
            judged.iter().map(|r| RuleOutcome { dry_run: false, failed: r.status == EvaluationStatus::Fail }),
        );
        if !blocked && judged.iter().any(|r| r.passed_on_no_data()) {
            out.no_data += 1;
            mark(Day::Unjudged);
            out.judged.push(Judged::NoData { at: e.started_ms });
            continue;
        }
        out.judged.push(Judged::Counted(Sample {
            id: &e.evaluation_id,
            at: e.started_ms,
            version: &e.version,
            blocked,
        }));
        mark(if blocked { Day::Block } else { Day::Pass });
        if blocked {
            let failing = judged.into_iter().filter(|r| r.status == EvaluationStatus::Fail).collect();
            out.blocks.push((e, failing));
        }
    }
    out
}

/// One rule's evaluations (newest first) as evidence about it.
pub(super) struct RuleClassified<'a> {
    pub(super) judged: Vec<Judged<'a>>,
    /// Counted ones, newest first.
    pub(super) counted: Vec<&'a RuleEvaluation>,
    pub(super) set_aside: usize,
    pub(super) running: usize,
    pub(super) stuck: usize,
    pub(super) no_data: usize,
}

/// Sorts a rule's evaluations (newest first); `current` says which are about the rule as
/// declared today (every one, for a rule no longer declared).
pub(super) fn rule_evaluations<'a>(
    ctx: &Context<'_>,
    history: &[&'a RuleEvaluation],
    current: impl Fn(&RuleEvaluation) -> bool,
) -> RuleClassified<'a> {
    let mut out =
        RuleClassified { judged: Vec::new(), counted: Vec::new(), set_aside: 0, running: 0, stuck: 0, no_data: 0 };
    for r in history.iter().copied() {
        if r.status == EvaluationStatus::InProgress {
            if ctx.stuck(r.started_ms) {
                out.stuck += 1;
                out.judged.push(Judged::Stuck { at: r.started_ms });
            } else {
                out.running += 1;
            }
        } else if !current(r) {
            out.set_aside += 1;
        } else if r.passed_on_no_data() {
            out.no_data += 1;
            out.judged.push(Judged::NoData { at: r.started_ms });
        } else {
            out.counted.push(r);
            out.judged.push(Judged::Counted(Sample {
                id: &r.gate_evaluation_id,
                at: r.started_ms,
                version: &r.version,
                blocked: r.status == EvaluationStatus::Fail,
            }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::DesiredGate;
    use crate::model::{GateKey, MonitorSettings, Rule, RuleFailures, RuleOptions, Watch};

    const HOUR: i64 = 3600 * 1000;

    fn query_options(query: &str) -> RuleOptions {
        RuleOptions::monitor(MonitorSettings {
            duration: Some(300),
            ..MonitorSettings::watching(Watch::Query(query.into()))
        })
    }

    fn rule_evaluation(query: Option<&str>, at: i64, status: &str, reason: &str) -> RuleEvaluation {
        RuleEvaluation {
            id: format!("r{at}").into(),
            gate_evaluation_id: format!("g{at}").into(),
            gate: GateKey::new("svc", "prod", "default").into(),
            name: "Errors".into(),
            dry_run: true,
            gate_dry_run: true,
            status: EvaluationStatus::parse(status),
            reason: reason.into(),
            version: format!("v{at}").into(),
            started_ms: at,
            configuration: query.map(|q| query_options(q).into()),
            failures: RuleFailures::default().into(),
        }
    }

    fn gate() -> DesiredGate {
        let rule = Rule { name: "Errors".into(), dry_run: true, options: query_options("service:svc") };
        DesiredGate {
            key: GateKey::new("svc", "prod", "default"),
            dry_run: true,
            rules: [("Errors".to_string(), rule)].into(),
            report: Default::default(),
            declared_at: None,
        }
    }

    #[test]
    fn a_configuration_changed_and_changed_back_starts_over_at_the_change_back() {
        // Newest first: today's query, then another, then today's again before it.
        let history = [
            rule_evaluation(Some("service:svc"), 5 * HOUR, "pass", ""),
            rule_evaluation(Some("service:svc"), 4 * HOUR, "pass", ""),
            rule_evaluation(None, 3 * HOUR, "pass", ""),
            rule_evaluation(Some("service:other"), 2 * HOUR, "pass", ""),
            rule_evaluation(Some("service:svc"), HOUR, "pass", ""),
        ];
        let refs: Vec<&RuleEvaluation> = history.iter().collect();
        let g = gate();
        let ctx = Context::new(&g, Window { from_ms: 0, to_ms: 10 * HOUR }, &refs);
        assert_eq!(ctx.configuration_since("Errors"), Some(4 * HOUR));
        let current: Vec<bool> = history.iter().map(|r| ctx.current(r)).collect();
        assert_eq!(current, [true, true, false, false, false], "the first period under today's query is set aside");
        // The newest under another query: nothing is current until it is evaluated again.
        let changed = [rule_evaluation(Some("service:other"), 6 * HOUR, "pass", "")];
        let all: Vec<&RuleEvaluation> = changed.iter().chain(history.iter()).collect();
        let ctx = Context::new(&g, Window { from_ms: 0, to_ms: 10 * HOUR }, &all);
        assert_eq!(ctx.configuration_since("Errors"), None);
    }

    #[test]
    fn rule_evaluations_sort_into_counted_no_data_stuck_running_and_set_aside() {
        let window = Window { from_ms: 0, to_ms: 100 * HOUR };
        let history = [
            rule_evaluation(Some("service:svc"), 100 * HOUR - HOUR, "in_progress", ""),
            rule_evaluation(Some("service:svc"), 100 * HOUR - 30 * HOUR, "in_progress", ""),
            rule_evaluation(Some("service:svc"), 50 * HOUR, "pass", "All monitors in OK state or NO DATA"),
            rule_evaluation(Some("service:svc"), 40 * HOUR, "pass", "All monitors in OK state"),
            rule_evaluation(Some("service:svc"), 30 * HOUR, "fail", "One or more monitors in ALERT state"),
            rule_evaluation(Some("service:other"), 20 * HOUR, "pass", "All monitors in OK state"),
        ];
        let refs: Vec<&RuleEvaluation> = history.iter().collect();
        let g = gate();
        let ctx = Context::new(&g, window, &refs);
        // Today's query since the run before the other query.
        let c = rule_evaluations(&ctx, &refs, |r| {
            r.configuration.as_ref().is_some_and(|o| o.query() == Some("service:svc"))
        });
        assert_eq!((c.running, c.stuck, c.no_data, c.counted.len(), c.set_aside), (1, 1, 1, 2, 1));
        assert!(matches!(c.judged[0], Judged::Stuck { .. }), "the stuck one is the newest judged");
        assert!(matches!(c.judged[1], Judged::NoData { .. }));
    }
}
