//! The outcome of one gate evaluation, as every output shows it.

use serde::Serialize;

use super::GateKey;

/// One rule's part in a gate's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleOutcome {
    pub dry_run: bool,
    pub failed: bool,
}

/// The rule every gate evaluation follows, Datadog's and the sandbox's alike: a rule in dry run
/// reports its real result and never fails the gate, and a gate in dry run reports its rules'
/// results and always passes. So a gate blocks a deploy exactly when it enforces, and a rule it
/// enforces failed. The report reads what a gate in dry run would have blocked with the same
/// rule (`gate_dry_run: false`).
pub fn gate_blocks(gate_dry_run: bool, rules: impl IntoIterator<Item = RuleOutcome>) -> bool {
    !gate_dry_run && rules.into_iter().any(|r| r.failed && !r.dry_run)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// The gate's rules said no.
    Fail,
    /// No verdict could be had in time (timeout, API unavailable): the caller decides between
    /// fail-open and fail-closed.
    Unavailable,
    /// The API refused the evaluation itself (no such gate, bad request, no permission).
    Error,
}

/// One rule's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct RuleVerdict {
    pub name: String,
    pub status: String,
    pub dry_run: bool,
    pub reason: Option<String>,
}

/// What an evaluation is asked for: a gate, what is deployed, and (just in time) the rules to
/// evaluate instead of the stored ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvaluationRequest {
    pub service: String,
    pub env: String,
    pub identifier: Option<String>,
    pub version: Option<String>,
    pub primary_tag: Option<String>,
    pub configuration: Option<InlineConfiguration>,
}

/// The gate and rules an evaluation takes inline, instead of the stored ones.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlineConfiguration {
    pub dry_run: bool,
    pub rules: Vec<super::Rule>,
}

/// What the API answers about an evaluation: its status so far, its mode, its rules' results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvaluationAnswer {
    /// `in_progress`, `pass`, `fail`, or a status this client does not know.
    pub gate_status: String,
    pub dry_run: bool,
    /// The evaluation's page in Datadog, when given.
    pub url: Option<String>,
    pub rules: Vec<RuleVerdict>,
}

#[derive(Clone, Debug)]
pub struct Evaluation {
    pub gate: GateKey,
    pub verdict: Verdict,
    pub evaluation_id: Option<String>,
    pub url: Option<String>,
    /// The last `gate_status` the API answered.
    pub gate_status: Option<String>,
    pub dry_run: Option<bool>,
    pub rules: Vec<RuleVerdict>,
    /// Why there is no verdict, or why the API refused.
    pub reason: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAILED: RuleOutcome = RuleOutcome { dry_run: false, failed: true };
    const FAILED_IN_DRY_RUN: RuleOutcome = RuleOutcome { dry_run: true, failed: true };
    const PASSED: RuleOutcome = RuleOutcome { dry_run: false, failed: false };

    #[test]
    fn a_gate_blocks_when_it_enforces_and_a_rule_it_enforces_failed() {
        assert!(gate_blocks(false, [PASSED, FAILED]));
        assert!(!gate_blocks(false, [PASSED, FAILED_IN_DRY_RUN]), "a rule in dry run only reports");
        assert!(!gate_blocks(true, [FAILED]), "a gate in dry run always passes");
        assert!(!gate_blocks(false, []), "no rule, nothing to fail");
    }
}
