//! Remote: the API client and the actual state it reads.

pub mod budget;
pub mod client;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use client::{ApiError, Client, Credentials, RemoteGate, RemoteRule, SetupError};

use crate::model::GateKey;

/// Default number of requests in flight when reading rules.
pub const DEFAULT_PARALLELISM: usize = 8;

/// What the API holds: every gate, and the rules of the gates the plan needs.
#[derive(Clone, Debug, Default)]
pub struct RemoteState {
    pub gates: BTreeMap<GateKey, RemoteGate>,
    /// Rules by gate, only for gates whose rules were fetched.
    pub rules: BTreeMap<GateKey, Vec<RemoteRule>>,
}

/// Lists every gate, then fetches rules for the gates `needs_rules` selects, a bounded number
/// of requests at a time.
pub async fn fetch(
    client: &Client,
    parallelism: usize,
    needs_rules: impl Fn(&GateKey) -> bool,
) -> Result<RemoteState, ApiError> {
    let gates: BTreeMap<GateKey, RemoteGate> =
        client.list_gates().await?.into_iter().map(|g| (g.key.clone(), g)).collect();
    let permits = Arc::new(tokio::sync::Semaphore::new(parallelism.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for gate in gates.values().filter(|g| needs_rules(&g.key)) {
        let client = client.clone();
        let permits = Arc::clone(&permits);
        let (key, id) = (gate.key.clone(), gate.id.clone());
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await.expect("semaphore is never closed");
            (key, client.list_rules(&id).await)
        });
    }
    let mut rules = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (key, result) = joined.expect("rule fetch task panicked");
        let mut list = result?;
        list.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then(a.id.cmp(&b.id)));
        rules.insert(key, list);
    }
    Ok(RemoteState { gates, rules })
}
