//! Remote: the API client and the actual state it reads.

pub(crate) mod budget;
pub mod client;
pub(crate) mod wire;

use futures_util::stream::{self, StreamExt};

pub use client::{ApiError, Client, Credentials, SetupError};

use crate::model::{GateKey, RemoteGate, RemoteState};

/// Default number of requests in flight when reading rules.
pub const DEFAULT_PARALLELISM: usize = 16;

/// How far a [`fetch`] has got, for a progress display.
#[derive(Clone, Copy, Debug)]
pub enum Fetched {
    /// Every gate listed.
    Gates(usize),
    /// Rules read for `done` of the `total` gates that need them.
    Rules { done: usize, total: usize },
}

/// Lists every gate, then fetches rules for the gates `needs_rules` selects, at most
/// `parallelism` requests at a time, telling `progress` how far it got.
pub async fn fetch(
    client: &Client,
    parallelism: usize,
    needs_rules: impl Fn(&GateKey) -> bool,
    progress: &(dyn Fn(Fetched) + Sync),
) -> Result<RemoteState, ApiError> {
    let gates: std::collections::BTreeMap<GateKey, RemoteGate> =
        client.list_gates().await?.into_iter().map(|g| (g.key.clone(), g)).collect();
    progress(Fetched::Gates(gates.len()));
    let jobs: Vec<&RemoteGate> = gates.values().filter(|g| needs_rules(&g.key)).collect();
    let total = jobs.len();
    let mut rules = std::collections::BTreeMap::new();
    {
        let mut fetched = stream::iter(jobs)
            .map(|gate| async move { (gate.key.clone(), client.list_rules(&gate.id).await) })
            .buffer_unordered(parallelism.max(1));
        progress(Fetched::Rules { done: 0, total });
        while let Some((key, result)) = fetched.next().await {
            let mut list = result?;
            list.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then(a.id.cmp(&b.id)));
            rules.insert(key, list);
            progress(Fetched::Rules { done: rules.len(), total });
        }
    }
    Ok(RemoteState { gates, rules })
}
