//! What the API holds, as the plan compares it with the files.

use std::collections::BTreeMap;

use super::{GateKey, Rule};

/// A remote gate with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteGate {
    pub id: String,
    pub key: GateKey,
    pub dry_run: bool,
}

/// A remote rule with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRule {
    pub id: String,
    pub rule: Rule,
}

/// Every remote gate, and the rules of the gates whose rules were read.
#[derive(Clone, Debug, Default)]
pub struct RemoteState {
    pub gates: BTreeMap<GateKey, RemoteGate>,
    /// Rules by gate, sorted by name then id; only for gates whose rules were fetched.
    pub rules: BTreeMap<GateKey, Vec<RemoteRule>>,
}

impl RemoteState {
    pub fn rules_of(&self, key: &GateKey) -> &[RemoteRule] {
        self.rules.get(key).map(Vec::as_slice).unwrap_or_default()
    }
}
