//! Guardrails as code: an organisation's gate policies (`[[policy]]`), each a closed set of
//! checks over a scope, judged against the gates, the Software Catalog, what deployed and the
//! evaluation history, with exceptions that need a reason and an end date. Pure: what is read
//! online is handed in.

mod change;
mod diagnostic;
mod evidence;
mod judge;
mod model;
pub mod scorecard;

pub use change::{changes, PolicyChange};
pub use diagnostic::diagnostics;
pub use evidence::{dry_run_facts, dry_run_since, DryRunKey};

pub use judge::{
    judge, judge_all, known_places, CoverageFigure, DryRunFacts, Excepted, Facts, GateFacts, PolicyVerdict, RuleFacts,
    ServiceOutcome, Subject, Violation,
};
pub use model::{
    parse_date, CatalogQuery, Check, ExceptionSubject, Level, Place, Policy, PolicyException, PolicyScope, Requirement,
};

#[cfg(test)]
mod tests;
