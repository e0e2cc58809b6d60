//! What a plan does to the policies, as its text, Markdown and JSON show it: the requirements
//! it breaks (an `error` policy's stop it), mends, or leaves broken, for the gates it changes.

use std::fmt::Write as _;

use schemars::JsonSchema;
use serde::Serialize;

use super::markdown::{code, inline};
use super::Palette;
use gatesctl_core::escape::terminal;
use gatesctl_core::policy::{Level, PolicyChange, Violation};

/// One requirement in a plan's policy section.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct ViolationDocument {
    /// The stable diagnostic code: `policy::no-enforced-rule`.
    code: &'static str,
    /// What it is about, as `service/env/identifier`, `service/env` or `service`; empty for
    /// the policy as a whole.
    about: String,
    message: String,
}

impl From<&Violation> for ViolationDocument {
    fn from(v: &Violation) -> Self {
        use gatesctl_core::policy::Subject;
        let about = match &v.subject {
            Subject::Gate { gate } | Subject::Rule { gate, .. } => gate.joined(),
            Subject::Place { service, env } => format!("{service}/{env}"),
            Subject::Service { service } => service.clone(),
            Subject::Policy => String::new(),
            Subject::Exception { names } => names.clone(),
        };
        ViolationDocument { code: v.code, about, message: v.message.clone() }
    }
}

/// One policy in a plan.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct PolicyChangeDocument {
    policy: String,
    level: Level,
    /// It stops the plan: an `error` policy the plan breaks.
    stops: bool,
    breaks: Vec<ViolationDocument>,
    mends: Vec<ViolationDocument>,
    /// Broken before and after by gates the plan changes.
    still: Vec<ViolationDocument>,
    /// Checks it could not make, and why.
    unchecked: Vec<String>,
}

pub(crate) fn documents(changes: &[PolicyChange]) -> Vec<PolicyChangeDocument> {
    changes
        .iter()
        .filter(|c| !(c.breaks.is_empty() && c.mends.is_empty() && c.still.is_empty() && c.unchecked.is_empty()))
        .map(|c| PolicyChangeDocument {
            policy: c.policy.clone(),
            level: c.level,
            stops: c.stops(),
            breaks: c.breaks.iter().map(Into::into).collect(),
            mends: c.mends.iter().map(Into::into).collect(),
            still: c.still.iter().map(Into::into).collect(),
            unchecked: c.unchecked.clone(),
        })
        .collect()
}

/// The lines of the section, each `(kind, policy, level, message)`, in the order people act
/// on them: what stops the plan, what it warns of, what it mends, what stays broken.
fn lines(changes: &[PolicyChange]) -> Vec<(&'static str, &str, Level, &str)> {
    let mut out = Vec::new();
    for (kind, pick) in [
        ("breaks", (|c: &PolicyChange| &c.breaks) as fn(&PolicyChange) -> &Vec<Violation>),
        ("mends", |c: &PolicyChange| &c.mends),
        ("still breaks", |c: &PolicyChange| &c.still),
    ] {
        let mut ordered: Vec<&PolicyChange> = changes.iter().collect();
        ordered.sort_by_key(|c| c.level);
        for c in ordered {
            for v in pick(c) {
                out.push((kind, c.policy.as_str(), c.level, v.message.as_str()));
            }
        }
    }
    out
}

/// The section under a text plan; empty when the plan touches no policy.
pub(crate) fn render_text(changes: &[PolicyChange], p: Palette) -> String {
    let listed = lines(changes);
    let unchecked: Vec<(&str, &str)> =
        changes.iter().flat_map(|c| c.unchecked.iter().map(move |u| (c.policy.as_str(), u.as_str()))).collect();
    if listed.is_empty() && unchecked.is_empty() {
        return String::new();
    }
    let mut out = String::from("\nPolicies, for the gates this plan changes:\n");
    for (kind, policy, level, message) in listed {
        let head = format!("{kind} {} ({})", terminal(policy), level.as_str());
        let head = match (kind, level) {
            ("breaks", Level::Error) => p.delete(&head),
            ("breaks", Level::Warning) => p.update(&head),
            ("mends", _) => p.create(&head),
            _ => p.dim(&head),
        };
        writeln!(out, "  {head}: {}", terminal(message)).unwrap();
    }
    for (policy, why) in unchecked {
        writeln!(out, "  not checked: {}: {}", terminal(policy), terminal(why)).unwrap();
    }
    if changes.iter().any(PolicyChange::stops) {
        writeln!(out, "  {}", p.delete("An error-level policy is broken: this plan cannot be applied.")).unwrap();
    }
    out
}

/// The section of a Markdown plan, always visible; empty when the plan touches no policy.
pub(crate) fn render_markdown(changes: &[PolicyChange]) -> String {
    let listed = lines(changes);
    let unchecked: Vec<(&str, &str)> =
        changes.iter().flat_map(|c| c.unchecked.iter().map(move |u| (c.policy.as_str(), u.as_str()))).collect();
    if listed.is_empty() && unchecked.is_empty() {
        return String::new();
    }
    let mut out = String::from("\n**Policies**, for the gates this plan changes:\n\n");
    for (kind, policy, level, message) in listed {
        let icon = match (kind, level) {
            ("breaks", Level::Error) => "❌",
            ("breaks", Level::Warning) => "⚠️",
            ("mends", _) => "✅",
            _ => "▫️",
        };
        writeln!(out, "- {icon} {kind} {} ({}): {}", code(policy), level.as_str(), inline(message)).unwrap();
    }
    for (policy, why) in unchecked {
        writeln!(out, "- ❔ not checked: {}: {}", code(policy), inline(why)).unwrap();
    }
    if changes.iter().any(PolicyChange::stops) {
        writeln!(out, "\n> ❌ **An error-level policy is broken: this plan cannot be applied.**").unwrap();
    }
    out
}
