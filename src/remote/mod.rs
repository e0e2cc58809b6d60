//! Remote: the API client and the actual state it reads.

pub(crate) mod budget;
pub mod client;
pub(crate) mod wire;

use futures_util::stream::{self, StreamExt};

pub use client::{ApiError, Client, Credentials, SetupError};

use crate::model::{GateKey, RemoteGate, RemoteState};

/// Default number of requests in flight when reading rules.
pub const DEFAULT_PARALLELISM: usize = 16;

/// Lists every gate, then fetches rules for the gates `needs_rules` selects, at most
/// `parallelism` requests at a time.
pub async fn fetch(
    client: &Client,
    parallelism: usize,
    needs_rules: impl Fn(&GateKey) -> bool,
) -> Result<RemoteState, ApiError> {
    let gates: std::collections::BTreeMap<GateKey, RemoteGate> =
        client.list_gates().await?.into_iter().map(|g| (g.key.clone(), g)).collect();
    let jobs = gates.values().filter(|g| needs_rules(&g.key));
    let mut rules = std::collections::BTreeMap::new();
    {
        let mut fetched = stream::iter(jobs)
            .map(|gate| async move { (gate.key.clone(), client.list_rules(&gate.id).await) })
            .buffer_unordered(parallelism.max(1));
        while let Some((key, result)) = fetched.next().await {
            let mut list = result?;
            list.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then(a.id.cmp(&b.id)));
            rules.insert(key, list);
        }
    }
    Ok(RemoteState { gates, rules })
}
