//! The Software Catalog's services and Scorecards' custom rules and outcomes, as the client
//! reads and writes them.

use schemars::JsonSchema;
use serde::Serialize;

/// A service of the Software Catalog: its tags are what a policy's scope selects on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CatalogService {
    pub name: String,
    pub owner: String,
    pub tags: Vec<String>,
}

/// A custom Scorecards rule as the API holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScorecardRule {
    pub id: String,
    pub fields: RuleFields,
}

/// What a rule says, as a create or an update sends it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleFields {
    pub name: String,
    pub scorecard_name: String,
    pub description: String,
    pub enabled: bool,
    /// 1 to 3.
    pub level: i64,
}

/// What Scorecards gets for one service: pass, fail, or skip (excepted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeState {
    Pass,
    Fail,
    Skip,
}

impl OutcomeState {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeState::Pass => "pass",
            OutcomeState::Fail => "fail",
            OutcomeState::Skip => "skip",
        }
    }

    pub fn parse(text: &str) -> Option<OutcomeState> {
        [OutcomeState::Pass, OutcomeState::Fail, OutcomeState::Skip].into_iter().find(|s| s.as_str() == text)
    }
}

/// One service's outcome of one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScorecardOutcome {
    pub rule_id: String,
    pub service: String,
    pub state: OutcomeState,
    pub remarks: String,
}
