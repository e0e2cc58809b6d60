//! Drift: how the remote gates differ from the files, each finding named for what it is.

use serde::Serialize;

use crate::model::{AttrChange, GateKey};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DriftKind {
    /// A declared gate that does not exist remotely: not applied yet, or deleted out of band.
    DeclaredGateMissing,
    /// A declared gate's `dry_run` differs remotely.
    GateChanged,
    /// A rule exists remotely that the files do not declare (added in the UI).
    RuleAddedRemotely,
    /// A second remote rule of a name the files declare (two applies at once, the UI).
    DuplicateRule,
    /// A declared rule that does not exist remotely: not applied yet, or deleted out of band.
    DeclaredRuleMissing,
    /// A declared rule's attributes differ remotely.
    RuleChanged,
    /// A remote gate that no file declares.
    UndeclaredGate,
}

impl DriftKind {
    pub(crate) fn describe(self) -> &'static str {
        match self {
            DriftKind::DeclaredGateMissing => {
                "declared gate missing remotely (not applied yet, or deleted out of band)"
            }
            DriftKind::GateChanged => "gate changed out of band",
            DriftKind::RuleAddedRemotely => "rule added remotely, declared nowhere",
            DriftKind::DuplicateRule => "a second remote rule of this declared name",
            DriftKind::DeclaredRuleMissing => {
                "declared rule missing remotely (not applied yet, or deleted out of band)"
            }
            DriftKind::RuleChanged => "rule changed out of band",
            DriftKind::UndeclaredGate => "remote gate declared in no file",
        }
    }
}

/// One finding: a gate, or a rule of it, and the attributes that differ (`before` is what
/// the API holds, `after` what the files declare; either is absent for a missing side).
#[derive(Clone, Debug)]
pub(crate) struct Drift {
    pub(crate) kind: DriftKind,
    pub(crate) gate: GateKey,
    pub(crate) rule: Option<String>,
    pub(crate) differences: Vec<AttrChange>,
}
