//! Remote: the API client and the actual state it reads.

pub mod budget;
pub mod client;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

pub use client::{ApiError, Client, Credentials, RemoteGate, RemoteRule, SetupError};

use crate::model::GateKey;

/// Default number of requests in flight when reading rules.
pub const DEFAULT_PARALLELISM: usize = 16;

/// What the API holds: every gate, and the rules of the gates the plan needs.
#[derive(Clone, Debug, Default)]
pub struct RemoteState {
    pub gates: BTreeMap<GateKey, RemoteGate>,
    /// Rules by gate, only for gates whose rules were fetched.
    pub rules: BTreeMap<GateKey, Vec<RemoteRule>>,
}

/// Runs `work` on every job with at most `parallelism` running at once: a fixed set of
/// workers pull from a shared queue, so 10,000 jobs never mean 10,000 tasks in memory.
pub async fn for_each_concurrent<J, R, F, Fut>(jobs: Vec<J>, parallelism: usize, work: F) -> Vec<R>
where
    J: Send + 'static,
    R: Send + 'static,
    F: Fn(J) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = R> + Send,
{
    let queue =
        Arc::new(std::sync::Mutex::new(jobs.into_iter().enumerate().collect::<std::collections::VecDeque<_>>()));
    let work = Arc::new(work);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..parallelism.max(1) {
        let (queue, work) = (Arc::clone(&queue), Arc::clone(&work));
        workers.spawn(async move {
            let mut done = Vec::new();
            loop {
                let next = queue.lock().unwrap().pop_front();
                let Some((index, job)) = next else { return done };
                done.push((index, work(job).await));
            }
        });
    }
    let mut results = Vec::new();
    while let Some(joined) = workers.join_next().await {
        results.extend(joined.expect("worker panicked"));
    }
    // In job order, whatever order they finished in.
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, r)| r).collect()
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
    let jobs: Vec<(GateKey, String)> =
        gates.values().filter(|g| needs_rules(&g.key)).map(|g| (g.key.clone(), g.id.clone())).collect();
    let client = client.clone();
    let fetched = for_each_concurrent(jobs, parallelism, move |(key, id)| {
        let client = client.clone();
        async move { (key, client.list_rules(&id).await) }
    })
    .await;
    let mut rules = BTreeMap::new();
    for (key, result) in fetched {
        let mut list = result?;
        list.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then(a.id.cmp(&b.id)));
        rules.insert(key, list);
    }
    Ok(RemoteState { gates, rules })
}
