//! Violations as diagnostics of the files, located where the gate, the exception or the policy
//! is written: what `validate` prints and CI annotates.

use super::judge::PolicyVerdict;
use super::model::Level;
use crate::diagnostic::ConfigDiagnostic;

/// Every located violation of `verdicts`: an error for an `error` policy, a warning for a
/// `warning` one.
pub fn diagnostics(verdicts: &[PolicyVerdict]) -> Vec<ConfigDiagnostic> {
    let mut out = Vec::new();
    for verdict in verdicts {
        for v in &verdict.violations {
            let Some(place) = v.place.as_ref().or(verdict.place.as_ref()) else { continue };
            let help = match verdict.description.trim() {
                "" => format!("policy {:?} ({}) asks for it", verdict.policy, verdict.level.as_str()),
                d => {
                    format!("policy {:?} ({}): {}", verdict.policy, verdict.level.as_str(), crate::escape::terminal(d))
                }
            };
            let d = ConfigDiagnostic::new(
                v.check.code(),
                &place.source,
                place.span.clone(),
                format!("breaks {:?}", verdict.policy),
                v.message.clone(),
            )
            .with_help(help);
            out.push(if verdict.level == Level::Warning { d.into_warning() } else { d });
        }
    }
    out
}
