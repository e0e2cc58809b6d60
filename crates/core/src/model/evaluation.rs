//! The outcome of one gate evaluation, as every output shows it.

use serde::Serialize;

use super::GateKey;

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
