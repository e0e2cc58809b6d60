//! The outcome of one gate evaluation, as every output shows it.

use serde::Serialize;

use super::GateKey;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
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
pub(crate) struct RuleVerdict {
    pub(crate) name: String,
    pub(crate) status: String,
    pub(crate) dry_run: bool,
    pub(crate) reason: Option<String>,
}

#[derive(Clone, Debug)]
pub(crate) struct Evaluation {
    pub(crate) gate: GateKey,
    pub(crate) verdict: Verdict,
    pub(crate) evaluation_id: Option<String>,
    pub(crate) url: Option<String>,
    /// The last `gate_status` the API answered.
    pub(crate) gate_status: Option<String>,
    pub(crate) dry_run: Option<bool>,
    pub(crate) rules: Vec<RuleVerdict>,
    /// Why there is no verdict, or why the API refused.
    pub(crate) reason: Option<String>,
}
