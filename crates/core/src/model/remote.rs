//! What the API holds, as the plan compares it with the files.

use std::collections::BTreeMap;

use super::{GateKey, Rule};

/// A remote gate with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteGate {
    pub id: String,
    pub key: GateKey,
    pub dry_run: bool,
    /// When it last changed (its `updated_at`), when the API said: it has been as it is since.
    pub changed_ms: Option<i64>,
}

/// A remote rule with its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteRule {
    pub id: String,
    pub rule: Rule,
    /// When it last changed (its `updated_at`), when the API said.
    pub changed_ms: Option<i64>,
}

/// Every remote gate, and the rules of the gates whose rules were read.
#[derive(Clone, Debug, Default)]
pub struct RemoteState {
    /// The first gate listed under each key.
    pub gates: BTreeMap<GateKey, RemoteGate>,
    /// Rules by gate, sorted by name then id; only for gates whose rules were fetched.
    pub rules: BTreeMap<GateKey, Vec<RemoteRule>>,
    /// Gates listed under a key already taken (races, the UI): one key, several ids. With
    /// their rules, when read.
    pub duplicates: Vec<(RemoteGate, Vec<RemoteRule>)>,
    /// Gates listed, then gone when their rules were read: deleted meanwhile by someone else.
    pub vanished: Vec<GateKey>,
}

impl RemoteState {
    pub fn rules_of(&self, key: &GateKey) -> &[RemoteRule] {
        self.rules.get(key).map(Vec::as_slice).unwrap_or_default()
    }
}
