//! One gate's report: its rules alone, then the gate with the rules it would enforce, judged
//! together. A gate in dry run is promoted with its rules; an enforcing gate's rules in dry
//! run are promoted one by one, as long as together they add no block.

use std::collections::BTreeSet;

use super::classify::{self, Classified, Context, Parts};
use super::evidence::{weigh, Evidence, Judged, Sample, StreakEnd};
use super::judge::{failing_words, Judge, Online};
use super::outcome::{
    failure, newest_first, Block, Causes, Day, Failure, GateReport, Recommendation, ReportSettings, RuleReport,
};
use super::record::Charges;
use super::thresholds::{Thresholds, ThresholdsSetBy};
use super::verdict::{self, percent, Case, Verdict};
use crate::desired::DesiredGate;
use crate::escape::quoted;
use crate::model::{EvaluationId, GateEvaluation, RuleEvaluation};
use crate::text::plural;

/// How a gate runs today, which decides what its report judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Promoted with the rules it would enforce, on its would-be blocks.
    DryRun,
    /// Enforced already: its dry-run rules are promoted one by one, and its real blocks are
    /// its record.
    Enforcing,
}

impl Mode {
    fn of(gate: &DesiredGate) -> Mode {
        if gate.dry_run {
            Mode::DryRun
        } else {
            Mode::Enforcing
        }
    }
}

/// What a gate's report shows, as its mode decides: the verdict, the evidence, the blocks
/// (real or would-be) with the rules that failed in them, the strip, and the verdicts its
/// record weighs.
struct Shown<'a> {
    verdict: Verdict,
    evidence: Evidence,
    blocks: Vec<(&'a GateEvaluation, Vec<&'a RuleEvaluation>)>,
    days: Vec<Day>,
    verdicts: Vec<Sample<'a>>,
}

/// The gate's report.
pub(super) fn report<'a>(
    gate: &'a DesiredGate,
    settings: &ReportSettings,
    online: &'a Online<'a>,
    mut evaluations: Vec<&'a GateEvaluation>,
    mut rules: Vec<&'a RuleEvaluation>,
) -> GateReport {
    newest_first(&mut evaluations, |e| (e.started_ms, &e.evaluation_id));
    newest_first(&mut rules, |e| (e.started_ms, &e.gate_evaluation_id));
    let (thresholds, set_by) = Thresholds::resolve(settings.flags, &gate.report);
    let judge = Judge {
        ctx: Context::new(gate, settings.window, &rules),
        thresholds,
        online,
        charges: online.failures.map(|f| Charges::of(&gate.key, &evaluations, f)),
    };
    judge.gate_report(&evaluations, &rules, set_by)
}

impl<'a> Judge<'a> {
    fn classify(&self, evaluations: &[&'a GateEvaluation], parts: &Parts<'a>, set: &BTreeSet<&str>) -> Classified<'a> {
        classify::gate_evaluations(&self.ctx, evaluations, parts, set)
    }

    /// Why enforcing the rules whose evaluations are `classified` would take the gate past the
    /// bar, if it would.
    fn why_not_together(&self, classified: &Classified<'_>) -> Option<String> {
        let t = &self.thresholds;
        let judged = self.effective(&classified.judged);
        let (ev, end) = weigh(&judged);
        let evaluations = classified.samples().len();
        let blocks = judged.iter().filter(|j| matches!(j, Judged::Counted(s) if s.blocked)).count();
        if evaluations == 0 {
            return Some(
                "no evaluation of the gate holds it beside the rules the gate enforces, under today's configuration: they cannot be judged together yet".into(),
            );
        }
        if !t.within(blocks, evaluations) {
            return Some(format!(
                "together with the rules the gate enforces, the gate would have blocked {blocks} of {} ({}%), more than the {}% allowed",
                plural(evaluations, "evaluation", "evaluations"),
                percent(blocks, evaluations),
                t.max_block_percent
            ));
        }
        if matches!(end, Some(StreakEnd::Block { .. })) && ev.clean_in_a_row < t.clean_streak as usize {
            return Some(format!(
                "together with the rules the gate enforces, the gate would have blocked one of its newest {}",
                plural(t.clean_streak as usize, "evaluation", "evaluations")
            ));
        }
        None
    }

    /// For an enforcing gate, the evaluations counted for `with`, each blocking only when a
    /// rule beyond `base` failed where none of `base` did: the blocks a promotion would add.
    fn new_blocks_only(
        &self,
        evaluations: &[&'a GateEvaluation],
        parts: &Parts<'a>,
        with: &BTreeSet<&str>,
        base: &BTreeSet<&str>,
    ) -> Classified<'a> {
        let mut classified = self.classify(evaluations, parts, with);
        let by_base: BTreeSet<&EvaluationId> = classified
            .blocks
            .iter()
            .filter(|(_, failing)| failing.iter().any(|r| base.contains(&*r.name)))
            .map(|(e, _)| &e.evaluation_id)
            .collect();
        for j in &mut classified.judged {
            if let Judged::Counted(s) = j {
                if by_base.contains(s.id) {
                    s.blocked = false;
                }
            }
        }
        classified.blocks.retain(|(e, _)| !by_base.contains(&e.evaluation_id));
        classified
    }

    /// The problems that keep a gate in dry run whatever its evaluations say: nothing to
    /// enforce, a rule that watches nothing, a monitor failing now (and whether one is).
    fn problems(&self, set: &BTreeSet<&str>) -> (Vec<String>, bool) {
        let gate = self.ctx.gate;
        let (mut problems, mut failing_now) = (Vec::new(), false);
        if set.is_empty() {
            problems.push(
                "no rule of it is enforced or recommended for enforcing: enforced, it would block nothing".to_string(),
            );
        }
        for name in set {
            let key = (gate.key.clone(), name.to_string());
            if let Some(what) = self.online.watching_nothing.get(&key) {
                problems.push(format!(
                    "its rule {} watches nothing ({what}): its passes prove nothing; fix the query or the ids, or remove the rule",
                    quoted(name)
                ));
            }
            if let Some(failing) = self.online.failing_now.get(&key).filter(|f| !f.is_empty()) {
                failing_now = true;
                problems.push(failing_words(&format!("its rule {}'s", quoted(name)), failing));
            }
        }
        (problems, failing_now)
    }

    fn gate_report(
        &self,
        evaluations: &[&'a GateEvaluation],
        rules: &[&'a RuleEvaluation],
        set_by: ThresholdsSetBy,
    ) -> GateReport {
        let gate = self.ctx.gate;
        let mode = Mode::of(gate);
        let mut parts: Parts<'a> = Parts::new();
        for r in rules {
            parts.entry(&r.gate_evaluation_id).or_default().push(r);
        }
        let mut reports = self.rule_reports(rules);
        let set = self.promoted_with(mode, evaluations, &parts, &mut reports);
        let classified = self.classify(evaluations, &parts, &set);
        let shown = match mode {
            Mode::DryRun => self.in_dry_run(&classified, &set),
            Mode::Enforcing => self.enforcing(evaluations, &parts, &classified),
        };
        let mut causes = Causes::default();
        let blocks = shown
            .blocks
            .iter()
            .map(|(e, failing)| {
                causes.count(failing.iter().map(|r| &*r.failures));
                let mut rules: Vec<Failure> = failing.iter().map(|r| failure(r)).collect();
                rules.sort_by(|a, b| a.rule.cmp(&b.rule));
                Block {
                    evaluation_id: e.evaluation_id.to_string(),
                    version: e.version.to_string(),
                    started_ms: e.started_ms,
                    rules,
                }
            })
            .collect();
        reports.sort_by(|a, b| b.declared.cmp(&a.declared).then(a.name.cmp(&b.name)));
        let record = self.charges.as_ref().map(|c| c.record(&shown.verdicts));
        let mut verdict = shown.verdict;
        if let (Some(r), Some(why)) = (&record, verdict.why.as_mut()) {
            if r.weighed_failures() {
                why.push_str(&format!("; against the failures that followed, it {}", r.words(gate.dry_run)));
            }
        }
        GateReport {
            gate: gate.key.clone(),
            file: gate.report.file_name.clone(),
            dry_run: gate.dry_run,
            thresholds: self.thresholds,
            thresholds_set_by: set_by,
            evaluations: classified.samples().len(),
            in_progress: evaluations.iter().filter(|e| !e.finished()).count(),
            stuck: evaluations.iter().filter(|e| !e.finished() && self.ctx.stuck(e.started_ms)).count(),
            no_data: classified.no_data,
            set_aside: classified.set_aside,
            would_block: classified.blocks.len(),
            blocked: evaluations.iter().filter(|e| e.blocked()).count(),
            causes,
            evidence: shown.evidence,
            recommendation: verdict.recommendation,
            why: verdict.why,
            missing: verdict.missing,
            record,
            days: shown.days,
            blocks,
            rules: reports,
        }
    }

    /// The rules the gate is judged with: those it enforces, and of those recommended for
    /// promotion, each in turn (fewest failures first) while the gate stays within the bar
    /// with them. One that would take it past the bar is held in dry run, in `reports`.
    fn promoted_with(
        &self,
        mode: Mode,
        evaluations: &[&'a GateEvaluation],
        parts: &Parts<'a>,
        reports: &mut [RuleReport],
    ) -> BTreeSet<&'a str> {
        let gate = self.ctx.gate;
        let enforced: BTreeSet<&'a str> = gate.rules.values().filter(|r| !r.dry_run).map(|r| &*r.name).collect();
        let mut candidates: Vec<(usize, &'a str)> = reports
            .iter()
            .filter(|r| r.declared && r.recommendation == Some(Recommendation::Promote))
            .filter_map(|r| gate.rules.get(&r.name).map(|declared| (r.failures, &*declared.name)))
            .collect();
        candidates.sort();
        let judged_together = match mode {
            // A gate in dry run that is not promoted on its enforced rules promotes nothing
            // with it: its rules' own verdicts stand.
            Mode::DryRun => {
                let alone = self.classify(evaluations, parts, &enforced);
                let (alone, _) = self.verdict(&alone, (Vec::new(), false), Vec::new());
                alone.recommendation == Recommendation::Promote || enforced.is_empty()
            }
            Mode::Enforcing => true,
        };
        let mut set = enforced.clone();
        for (_, name) in candidates {
            if !judged_together {
                set.insert(name);
                continue;
            }
            let mut with = set.clone();
            with.insert(name);
            // A gate starting to enforce blocks all its rules fail; an enforcing one adds only
            // the blocks of the rules promoted.
            let classified = match mode {
                Mode::DryRun => self.classify(evaluations, parts, &with),
                Mode::Enforcing => self.new_blocks_only(evaluations, parts, &with, &enforced),
            };
            match self.why_not_together(&classified) {
                None => {
                    set.insert(name);
                }
                Some(why) => {
                    if let Some(r) = reports.iter_mut().find(|r| r.name == name) {
                        r.recommendation = Some(Recommendation::KeepDryRun);
                        r.why = Some(why);
                        r.missing = vec!["fewer failures of this rule where the gate's other rules pass".into()];
                    }
                }
            }
        }
        set
    }

    /// A gate in dry run: judged on its would-be blocks, and its strip the rules it would
    /// enforce.
    fn in_dry_run(&self, classified: &Classified<'a>, set: &BTreeSet<&str>) -> Shown<'a> {
        let mut context = Vec::new();
        if classified.no_data > 0 {
            context.push(format!(
                "{} held no rule result, or passed only because a monitor had no data (no data, not clean)",
                plural(classified.no_data, "evaluation", "evaluations")
            ));
        }
        if classified.set_aside > 0 {
            context.push(format!(
                "{} set aside: a rule it enforces was missing from them or evaluated under another configuration",
                plural(classified.set_aside, "evaluation", "evaluations")
            ));
        }
        let (verdict, _) = self.verdict(classified, self.problems(set), context);
        Shown {
            verdict,
            // Shown as it happened: a block a failure bore out still ends "clean since".
            evidence: weigh(&classified.judged).0,
            blocks: classified.blocks.clone(),
            days: classified.days.clone(),
            verdicts: classified.samples(),
        }
    }

    /// An enforcing gate: its real blocks, and every finished evaluation weighed for its record.
    fn enforcing(
        &self,
        evaluations: &[&'a GateEvaluation],
        parts: &Parts<'a>,
        classified: &Classified<'a>,
    ) -> Shown<'a> {
        let blocks = evaluations
            .iter()
            .filter(|e| e.blocked())
            .map(|e| {
                let of = parts.get(&e.evaluation_id).map(Vec::as_slice).unwrap_or_default();
                let failing = of
                    .iter()
                    .copied()
                    .filter(|r| r.status == crate::model::EvaluationStatus::Fail && !r.dry_run)
                    .collect();
                (*e, failing)
            })
            .collect();
        let verdicts = evaluations
            .iter()
            .filter(|e| e.finished())
            .map(|e| Sample { id: &e.evaluation_id, at: e.started_ms, version: &e.version, blocked: e.blocked() })
            .collect();
        Shown {
            verdict: Verdict::enforced("enforced already"),
            evidence: weigh(&classified.judged).0,
            blocks,
            days: self.enforced_days(evaluations, parts),
            verdicts,
        }
    }

    /// The verdict on a gate in dry run with the rules of `classified`.
    fn verdict(
        &self,
        classified: &Classified<'_>,
        (problems, failing): (Vec<String>, bool),
        context: Vec<String>,
    ) -> (Verdict, Evidence) {
        let judged = self.effective(&classified.judged);
        let (mut verdict, evidence) = verdict::judge(Case {
            thresholds: &self.thresholds,
            window: self.ctx.window,
            judged: &judged,
            weighed: self.charges.as_ref().is_some_and(|c| c.any()),
            problems,
            context,
        });
        if failing {
            verdict.missing.push("its monitors back to OK".into());
        }
        (verdict, evidence)
    }

    /// An enforcing gate's strip: its real blocks, passes with rule results, and evaluations
    /// that prove nothing.
    fn enforced_days(&self, evaluations: &[&GateEvaluation], parts: &Parts<'_>) -> Vec<Day> {
        let window = self.ctx.window;
        let mut days = vec![Day::None; window.days()];
        for e in evaluations {
            let Some(d) = window.day_of(e.started_ms) else { continue };
            let shown = if !e.finished() {
                if !self.ctx.stuck(e.started_ms) {
                    continue;
                }
                Day::Unjudged
            } else if e.blocked() {
                Day::Block
            } else if parts.contains_key(&e.evaluation_id) {
                Day::Pass
            } else {
                Day::Unjudged
            };
            days[d] = days[d].with(shown);
        }
        days
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::record::tests::failure;
    use super::super::{build, Findings, GateReport, Recommendation, ReportSettings};
    use crate::desired::{DesiredGate, DesiredState, ReportSpec};
    use crate::model::time::{Window, DAY_MS};
    use crate::model::{
        EvaluationStatus, FailingMonitor, GateEvaluation, GateKey, History, MonitorSettings, Rule, RuleEvaluation,
        RuleFailures, RuleOptions, Watch,
    };

    const HOUR: i64 = 3600 * 1000;
    const END: i64 = 100 * DAY_MS;

    fn options(query: &str) -> RuleOptions {
        RuleOptions::monitor(MonitorSettings {
            duration: Some(300),
            ..MonitorSettings::watching(Watch::Query(query.into()))
        })
    }

    /// A gate `svc/prod/default` with rules `(name, dry_run)`, each watching `service:<name>`.
    fn gate(dry_run: bool, rules: &[(&str, bool)]) -> DesiredState {
        let key = GateKey::new("svc", "prod", "default");
        let rules = rules
            .iter()
            .map(|(name, dry_run)| {
                (
                    name.to_string(),
                    Rule { name: name.to_string(), dry_run: *dry_run, options: options(&format!("service:{name}")) },
                )
            })
            .collect();
        let mut desired = DesiredState::default();
        desired
            .gates
            .insert(key.clone(), DesiredGate { key, dry_run, rules, report: Default::default(), declared_at: None });
        desired
    }

    /// `days` evaluations a day apart, newest an hour before the end, each with the results
    /// `outcome(day, rule)` gives ("pass", "fail" or "" for none).
    fn history(days: i64, rules: &[&str], gate_dry_run: bool, outcome: impl Fn(i64, &str) -> &'static str) -> History {
        let mut h = History::default();
        for day in 0..days {
            let at = END - HOUR - day * DAY_MS;
            let id = format!("e{day}");
            let mut failed = false;
            for rule in rules {
                let status = outcome(day, rule);
                if status.is_empty() {
                    continue;
                }
                failed |= status == "fail";
                h.rules.push(RuleEvaluation {
                    id: format!("{id}-{rule}").into(),
                    gate_evaluation_id: id.clone().into(),
                    gate: GateKey::new("svc", "prod", "default").into(),
                    name: rule.to_string().into(),
                    dry_run: false,
                    gate_dry_run,
                    status: EvaluationStatus::parse(status),
                    reason: String::new().into(),
                    version: format!("v{day}").into(),
                    started_ms: at,
                    configuration: Some(options(&format!("service:{rule}")).into()),
                    failures: RuleFailures::default().into(),
                });
            }
            h.gates.push(GateEvaluation {
                evaluation_id: id.into(),
                gate: GateKey::new("svc", "prod", "default").into(),
                dry_run: gate_dry_run,
                status: if failed && !gate_dry_run { EvaluationStatus::Fail } else { EvaluationStatus::Pass },
                version: format!("v{day}").into(),
                started_ms: at,
                finished_ms: Some(at + 60_000),
            });
        }
        h
    }

    fn judged(desired: &DesiredState, history: &History, findings: &Findings<'_>) -> GateReport {
        judged_with(desired, history, findings, ReportSpec::default())
    }

    fn judged_with(
        desired: &DesiredState,
        history: &History,
        findings: &Findings<'_>,
        flags: ReportSpec,
    ) -> GateReport {
        let settings = ReportSettings { window: Window { from_ms: END - 14 * DAY_MS, to_ms: END }, flags };
        let keys: Vec<&GateKey> = desired.gates.keys().collect();
        build(desired, &keys, history, &settings, findings).gates.remove(0)
    }

    #[test]
    fn a_gate_and_the_rules_promoted_with_it_are_judged_together() {
        use Recommendation::*;
        // (the case, gate in dry run, rules (name, dry run), results, the gate's, each rule's)
        type Outcome = fn(i64, &str) -> &'static str;
        type Case = (
            &'static str,
            bool,
            Vec<(&'static str, bool)>,
            Outcome,
            Recommendation,
            Vec<(&'static str, Recommendation)>,
        );
        let cases: Vec<Case> = vec![
            ("a clean gate in dry run", true, vec![("a", false)], |_, _| "pass", Promote, vec![("a", Enforced)]),
            (
                "its rule blocked among the newest",
                true,
                vec![("a", false)],
                |d, _| if d == 0 { "fail" } else { "pass" },
                KeepDryRun,
                vec![("a", Enforced)],
            ),
            ("no rule enforced or promoted: it would block nothing", true, vec![], |_, _| "pass", KeepDryRun, vec![]),
            (
                "an enforcing gate's clean dry-run rule is promoted",
                false,
                vec![("a", false), ("b", true)],
                |_, _| "pass",
                Enforced,
                vec![("a", Enforced), ("b", Promote)],
            ),
            (
                "a dry-run rule that blocked is held by its own evidence",
                false,
                vec![("a", false), ("b", true)],
                |d, r| if r == "b" && d == 7 { "fail" } else { "pass" },
                Enforced,
                vec![("a", Enforced), ("b", KeepDryRun)],
            ),
            (
                "evaluations missing the enforced rule's result are set aside, not clean",
                true,
                vec![("a", false), ("b", false)],
                |_, r| if r == "b" { "" } else { "pass" },
                TooFewEvaluations,
                vec![("a", Enforced), ("b", Enforced)],
            ),
        ];
        for (what, dry_run, rules, outcome, expected, expected_rules) in cases {
            let desired = gate(dry_run, &rules);
            let names: Vec<&str> = rules.iter().map(|(n, _)| *n).collect();
            let report = judged(&desired, &history(12, &names, dry_run, outcome), &Findings::default());
            assert_eq!(report.recommendation, expected, "{what}: {:?}", report.why);
            for (name, r) in expected_rules {
                let rule = report.rules.iter().find(|x| x.name == name).unwrap();
                assert_eq!(rule.recommendation, Some(r), "{what}: rule {name}: {:?}", rule.why);
            }
        }
    }

    #[test]
    fn a_rule_within_the_bar_alone_is_held_when_together_the_gate_would_pass_it() {
        // 10% allowed: each rule blocked 1 of 12 alone (8%); together, 2 of 12 (17%).
        let flags = ReportSpec { max_block_percent: Some(10), ..ReportSpec::default() };
        let outcome = |d: i64, r: &str| if (r == "a" && d == 5) || (r == "b" && d == 9) { "fail" } else { "pass" };
        let history = history(12, &["a", "b"], true, outcome);
        let report = judged_with(&gate(true, &[("a", false), ("b", true)]), &history, &Findings::default(), flags);
        assert_eq!(report.recommendation, Recommendation::Promote, "{:?}", report.why);
        let b = report.rules.iter().find(|r| r.name == "b").unwrap();
        assert_eq!(b.recommendation, Some(Recommendation::KeepDryRun));
        assert!(
            b.why
                .as_deref()
                .unwrap()
                .contains("together with the rules the gate enforces, the gate would have blocked 2 of 12"),
            "{:?}",
            b.why
        );
    }

    #[test]
    fn what_the_monitor_check_found_holds_a_promotion() {
        let desired = gate(true, &[("a", false)]);
        let history = history(12, &["a"], true, |_, _| "pass");
        let key = (GateKey::new("svc", "prod", "default"), "a".to_string());
        let nothing = BTreeMap::from([(key.clone(), "its query matches no monitor".to_string())]);
        let failing = BTreeMap::from([(
            key,
            vec![FailingMonitor {
                id: 7,
                name: "Errors".into(),
                state: "Alert".into(),
                since_ms: Some(END - 2 * HOUR),
            }],
        )]);
        let cases = [
            ("nothing found", Findings::default(), Recommendation::Promote, ""),
            (
                "watches nothing",
                Findings { watching_nothing: Some(&nothing), ..Findings::default() },
                Recommendation::KeepDryRun,
                "watches nothing",
            ),
            (
                "a monitor failing now",
                Findings { failing_now: Some(&failing), ..Findings::default() },
                Recommendation::KeepDryRun,
                "monitor 7 (\"Errors\") is in ALERT now",
            ),
        ];
        for (what, findings, expected, words) in cases {
            let report = judged(&desired, &history, &findings);
            assert_eq!(report.recommendation, expected, "{what}: {:?}", report.why);
            assert!(report.why.as_deref().unwrap_or_default().contains(words), "{what}: {:?}", report.why);
        }
    }

    /// Condition 9 of docs/report.md: a would-be block charged with a failure that followed
    /// it was right, and holds nothing; a false alarm still does, and a failure before the
    /// block, or of another version, makes no block right.
    #[test]
    fn a_block_borne_out_by_what_followed_holds_no_promotion() {
        use Recommendation::*;
        // Twelve days in dry run, the only would-be block on day 8 (version "v8").
        let blocked_on_8 = |d: i64, _: &str| if d == 8 { "fail" } else { "pass" };
        let history = history(12, &["a"], true, blocked_on_8);
        let block_at = END - HOUR - 8 * DAY_MS;
        // (the case, the failures read, expected, a word the why must hold)
        let cases: Vec<(&str, Option<Vec<crate::model::Failure>>, Recommendation, &str)> = vec![
            ("the failures not read: a block is a block", None, KeepDryRun, "would have blocked 1 of 12"),
            ("no failure followed: a false alarm", Some(vec![]), KeepDryRun, "would have blocked 1 of 12"),
            (
                "its version failed after it: caught, and right",
                Some(vec![failure(&["svc"], "prod", "v8", block_at + HOUR)]),
                Promote,
                "",
            ),
            (
                "its version failed before it: not seen coming",
                Some(vec![failure(&["svc"], "prod", "v8", block_at - HOUR)]),
                KeepDryRun,
                "would have blocked 1 of 12",
            ),
            (
                "another version failed after passing: missed, and the block stays a false alarm",
                Some(vec![failure(&["svc"], "prod", "v3", END - HOUR / 2)]),
                KeepDryRun,
                "would have blocked 1 of 12 evaluations (8%) where no failure followed",
            ),
            (
                "another env failed: not this gate's",
                Some(vec![failure(&["svc"], "staging", "v8", block_at + HOUR)]),
                KeepDryRun,
                "would have blocked 1 of 12",
            ),
        ];
        let desired = gate(true, &[("a", false)]);
        for (what, failures, expected, words) in cases {
            let findings = Findings {
                failures: match &failures {
                    Some(f) => Ok(f.as_slice()),
                    None => Err(super::super::FailuresUnread::NotAsked),
                },
                ..Findings::default()
            };
            let report = judged(&desired, &history, &findings);
            assert_eq!(report.recommendation, expected, "{what}: {:?}", report.why);
            assert!(report.why.as_deref().unwrap_or_default().contains(words), "{what}: {:?}", report.why);
        }
    }

    /// A failure no gate can be charged with is counted, never dropped: no env, or a service
    /// neither the files nor the history know.
    #[test]
    fn failures_no_gate_can_be_charged_with_are_counted_apart() {
        let desired = gate(true, &[("a", false)]);
        let history = history(3, &["a"], true, |_, _| "pass");
        let failures = [
            failure(&["svc"], "prod", "v1", END - 2 * HOUR),
            failure(&["svc"], "", "v1", END - 2 * HOUR),
            failure(&["unknown"], "prod", "v1", END - 2 * HOUR),
            failure(&["unknown", "svc"], "prod", "v1", END - 2 * HOUR),
        ];
        let findings = Findings { failures: Ok(&failures), ..Findings::default() };
        let settings =
            ReportSettings { window: Window { from_ms: END - 14 * DAY_MS, to_ms: END }, flags: ReportSpec::default() };
        let keys: Vec<&GateKey> = desired.gates.keys().collect();
        let report = build(&desired, &keys, &history, &settings, &findings);
        assert_eq!((report.unattributed.no_env, report.unattributed.unknown_service), (1, 1));
    }
}
