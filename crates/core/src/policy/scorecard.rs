//! Policies published to Datadog Scorecards: one custom rule per policy in one scorecard,
//! found by name (created or updated, never duplicated), and each service's outcome with
//! remarks that name the gate and what it breaks.

use std::collections::BTreeMap;

use super::judge::PolicyVerdict;
use super::model::Level;
use crate::model::{RuleFields, ScorecardOutcome, ScorecardRule};

/// The scorecard gatesctl's rules live in.
pub const SCORECARD: &str = "Deployment gates";

/// Remarks longer than this are cut, with a count of what was left out: a service breaking
/// hundreds of requirements is read in the audit, not in a Scorecards cell.
const MAX_REMARKS: usize = 2_000;

/// What a policy's rule says.
pub fn rule_fields(verdict: &PolicyVerdict) -> RuleFields {
    let level = verdict.level.as_str();
    let description = match verdict.description.trim() {
        "" => format!("gatesctl policy ({level}); outcomes posted by `gatesctl audit --publish-scorecard`"),
        d => format!("{d} (gatesctl policy, {level}; outcomes posted by `gatesctl audit --publish-scorecard`)"),
    };
    RuleFields {
        name: verdict.policy.clone(),
        scorecard_name: SCORECARD.to_string(),
        description,
        enabled: true,
        // Scorecards' first level holds what matters most.
        level: match verdict.level {
            Level::Error => 1,
            Level::Warning => 2,
        },
    }
}

/// What publishing does to one policy's rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleStep {
    Create(RuleFields),
    Update { id: String, fields: RuleFields },
    Keep { id: String },
}

/// Each policy's rule: kept when the scorecard has it as wanted, updated when it says
/// something else, created when it has none. Only rules of [`SCORECARD`] count: another
/// scorecard's rule of the same name is another team's.
pub fn rule_steps(verdicts: &[PolicyVerdict], existing: &[ScorecardRule]) -> Vec<(String, RuleStep)> {
    verdicts
        .iter()
        .map(|v| {
            let wanted = rule_fields(v);
            let found = existing.iter().find(|r| r.fields.scorecard_name == SCORECARD && r.fields.name == wanted.name);
            let step = match found {
                None => RuleStep::Create(wanted),
                Some(r) if r.fields == wanted => RuleStep::Keep { id: r.id.clone() },
                Some(r) => RuleStep::Update { id: r.id.clone(), fields: wanted },
            };
            (v.policy.clone(), step)
        })
        .collect()
}

/// A remark as HTML: a name from the files must not become markup, and a control character
/// is a space.
fn html(text: &str) -> String {
    let spaced: String = text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    crate::escape::html(&spaced)
}

/// Remarks as one HTML text: each on its own line, cut at [`MAX_REMARKS`] with a count.
fn remarks_text(remarks: &[String]) -> String {
    let mut out = String::new();
    for (i, remark) in remarks.iter().enumerate() {
        let line = html(remark);
        if out.len() + line.len() + 4 > MAX_REMARKS {
            out.push_str(&format!("<br>… and {} more: run `gatesctl audit`", remarks.len() - i));
            break;
        }
        if !out.is_empty() {
            out.push_str("<br>");
        }
        out.push_str(&line);
    }
    out
}

/// Every service's outcome of every policy whose rule has an id, in policy then service order.
pub fn outcomes(verdicts: &[PolicyVerdict], rule_ids: &BTreeMap<String, String>) -> Vec<ScorecardOutcome> {
    let mut out = Vec::new();
    for v in verdicts {
        let Some(id) = rule_ids.get(&v.policy) else { continue };
        for (service, outcome) in &v.services {
            out.push(ScorecardOutcome {
                rule_id: id.clone(),
                service: service.clone(),
                state: outcome.state,
                remarks: remarks_text(&outcome.remarks),
            });
        }
    }
    out
}
