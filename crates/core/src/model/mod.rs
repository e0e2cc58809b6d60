//! The domain every stage shares: gates keyed by (service, env, identifier), their rules, and
//! the remote state the API holds.

mod dora;
pub mod evaluation;
mod filter;
mod history;
mod monitor;
pub mod options;
mod remote;
mod rule;
mod scorecard;
pub mod time;

use std::fmt;

use serde::{Deserialize, Serialize};

pub use dora::{Deployment, Failure};
pub use evaluation::{Evaluation, EvaluationAnswer, EvaluationRequest, InlineConfiguration, RuleVerdict, Verdict};
pub use filter::{GateFilter, GateQuery, NamePatterns};
pub use history::{
    EvaluationId, EvaluationIndex, EvaluationStatus, FailedMonitor, GateEvaluation, History, RuleEvaluation,
    RuleFailures,
};
pub use monitor::{is_failing_state, FailingMonitor, MonitorMatches, MonitorState, MAX_MONITORS_PER_RULE};
pub use options::{
    AttrName, AttrValue, Attribute, MonitorRef, MonitorSettings, OptionName, RuleOptions, Settings, Watch,
};
pub use remote::{RemoteGate, RemoteRule, RemoteState};
pub use rule::{AttrChange, Rule, RuleType};
pub use scorecard::{CatalogService, OutcomeState, RuleFields, ScorecardOutcome, ScorecardRule};

/// The identifier a gate gets when the file or the API leaves it out.
pub const DEFAULT_IDENTIFIER: &str = "default";
/// Upper bound of a rule's `duration`, in seconds, as the API enforces it.
pub const MAX_DURATION: u64 = 7200;

/// The natural key of a gate: the API refuses two gates with the same three.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct GateKey {
    pub service: String,
    pub env: String,
    pub identifier: String,
}

impl GateKey {
    pub fn new(service: impl Into<String>, env: impl Into<String>, identifier: impl Into<String>) -> Self {
        GateKey { service: service.into(), env: env.into(), identifier: identifier.into() }
    }

    /// `service/env/identifier` as is, unquoted: for documents with escaping of their own
    /// (JSON) and for matching what a person types; a terminal gets the `Display` form.
    pub fn joined(&self) -> String {
        format!("{}/{}/{}", self.service, self.env, self.identifier)
    }
}

/// `service/env/identifier`. A part that could be misread (it holds a `/`, a quote, blanks or
/// control characters, or is empty) is quoted, so `a/b` + `c` never prints like `a` + `b/c`
/// and text from the API cannot drive the terminal.
impl fmt::Display for GateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts = [&self.service, &self.env, &self.identifier];
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            f.write_str(&crate::escape::key_part(part))?;
        }
        Ok(())
    }
}
