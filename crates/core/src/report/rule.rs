//! One rule's report, alone: its evaluations under today's configuration, and, for a rule in
//! dry run, whether it has earned enforcing on its own.

use std::collections::BTreeMap;

use super::classify::{self, Context};
use super::evidence::weigh;
use super::judge::{failing_words, Judge};
use super::outcome::{failure, newest_first, Causes, RuleReport};
use super::verdict::{self, Case, Verdict};
use crate::model::evaluation::{gate_blocks, RuleOutcome};
use crate::model::{EvaluationStatus, RuleEvaluation};
use crate::text::plural;

impl Judge<'_> {
    /// Each rule's report, alone: declared rules by name, then those only the history knows.
    pub(super) fn rule_reports(&self, rules: &[&RuleEvaluation]) -> Vec<RuleReport> {
        let gate = self.ctx.gate;
        let mut by_name: BTreeMap<&str, Vec<&RuleEvaluation>> = BTreeMap::new();
        for r in rules {
            by_name.entry(&*r.name).or_default().push(r);
        }
        for history in by_name.values_mut() {
            newest_first(history, |e| (e.started_ms, &e.gate_evaluation_id));
        }
        let mut out: Vec<RuleReport> = gate
            .rules
            .values()
            .map(|rule| {
                let history = by_name.remove(&*rule.name).unwrap_or_default();
                self.rule_report(&rule.name, true, rule.dry_run, &history)
            })
            .collect();
        for (name, history) in by_name {
            let dry_run = history.first().is_some_and(|e| e.dry_run);
            out.push(self.rule_report(name, false, dry_run, &history));
        }
        out
    }

    /// One rule's report; `history` is newest first.
    fn rule_report(&self, name: &str, declared: bool, dry_run: bool, history: &[&RuleEvaluation]) -> RuleReport {
        let ctx: &Context<'_> = &self.ctx;
        let sorted = classify::rule_evaluations(ctx, history, |r| !declared || ctx.current(r));
        let failed: Vec<&RuleEvaluation> =
            sorted.counted.iter().copied().filter(|e| e.status == EvaluationStatus::Fail).collect();
        let blocked = failed
            .iter()
            .filter(|e| gate_blocks(e.gate_dry_run, [RuleOutcome { dry_run: e.dry_run, failed: true }]))
            .count();
        let mut causes = Causes::default();
        for f in &failed {
            causes.count([&*f.failures]);
        }
        let key = (ctx.gate.key.clone(), name.to_string());
        let watches_nothing = self.online.watching_nothing.get(&key).cloned();
        let failing_now = self.online.failing_now.get(&key).cloned().unwrap_or_default();
        let judged = self.effective(&sorted.judged);
        let (verdict, evidence) = match (declared, dry_run) {
            (false, _) => (
                Verdict::enforced("no longer declared in the files (renamed or removed): nothing to change"),
                weigh(&sorted.judged).0,
            ),
            (true, false) => (Verdict::enforced("enforced already"), weigh(&sorted.judged).0),
            (true, true) => {
                let mut problems = Vec::new();
                if let Some(what) = &watches_nothing {
                    problems.push(format!(
                        "it watches nothing ({what}): a pass proves nothing; fix the query or the ids (see `gatesctl plan`'s monitor check), or remove the rule"
                    ));
                }
                if !failing_now.is_empty() {
                    problems.push(failing_words("its", &failing_now));
                }
                let mut context = Vec::new();
                if sorted.set_aside > 0 {
                    context.push(format!(
                        "{} set aside: made under another configuration than the files declare now, or before its last change",
                        plural(sorted.set_aside, "evaluation", "evaluations")
                    ));
                }
                if sorted.no_data > 0 {
                    context.push(format!(
                        "{} passed only because a monitor had no data (not clean)",
                        plural(sorted.no_data, "evaluation", "evaluations")
                    ));
                }
                let (mut verdict, _) = verdict::judge(Case {
                    thresholds: &self.thresholds,
                    window: ctx.window,
                    judged: &judged,
                    weighed: self.charges.as_ref().is_some_and(|c| c.any()),
                    problems,
                    context,
                });
                if !failing_now.is_empty() {
                    verdict.missing.push("its monitors back to OK".into());
                }
                // Shown as it happened: a block a failure bore out still ends "clean since".
                (verdict, weigh(&sorted.judged).0)
            }
        };
        RuleReport {
            name: name.to_string(),
            declared,
            dry_run,
            evaluations: sorted.counted.len(),
            set_aside: sorted.set_aside,
            no_data: sorted.no_data,
            in_progress: sorted.running + sorted.stuck,
            stuck: sorted.stuck,
            configuration_since: declared.then(|| ctx.configuration_since(name)).flatten(),
            failures: failed.len(),
            blocked,
            causes,
            evidence,
            watches_nothing,
            failing_now,
            recommendation: declared.then_some(verdict.recommendation),
            why: verdict.why,
            missing: verdict.missing,
            failed: failed.iter().map(|e| failure(e)).collect(),
        }
    }
}
