//! gatesctl's Datadog API client: the site and keys, a transport that retries what is safe
//! to retry and never follows a redirect with keys, one rate budget per named limit, and the
//! endpoints of gates, rules, evaluations, their history, monitors and DORA, read into
//! `gatesctl_core`'s model.

pub mod budget;
mod catalog;
mod create_once;
mod credentials;
mod dora;
mod endpoints;
mod error;
mod history;
mod say;
pub mod site;
mod transport;
mod wire;

use futures_util::stream::{self, StreamExt};

pub use catalog::OUTCOMES_PER_BATCH;
pub use create_once::Created;
pub use credentials::{Credentials, API_KEY_VARS, APP_KEY_VARS};
pub use dora::{Crowded, DoraProgress, DoraQuery, DoraRead};
pub use error::{ApiError, ApiErrorKind, ConnectionCause, SetupError};
pub use gatesctl_core::model::GateQuery;
pub use history::{HistoryQuery, Unreadable, MAX_WINDOW_MS};
pub use say::{silent, Say};
pub use transport::Client;

use gatesctl_core::model::{GateKey, RemoteGate, RemoteState};

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

/// Lists the gates `query` selects, then fetches rules for those `needs_rules` selects, at
/// most `parallelism` requests at a time, telling `progress` how far it got. A gate listed
/// twice under one key keeps the first listed; the others are kept apart as duplicates. A gate
/// deleted by someone else between the list and its rules is absent, and named so.
pub async fn fetch(
    client: &Client,
    parallelism: usize,
    query: &GateQuery,
    needs_rules: impl Fn(&GateKey) -> bool,
    progress: &(dyn Fn(Fetched) + Sync),
) -> Result<RemoteState, ApiError> {
    let mut state = RemoteState::default();
    for gate in client.list_gates(query).await? {
        if state.gates.contains_key(&gate.key) {
            state.duplicates.push((gate, Vec::new()));
        } else {
            state.gates.insert(gate.key.clone(), gate);
        }
    }
    progress(Fetched::Gates(state.gates.len() + state.duplicates.len()));
    let jobs: Vec<RemoteGate> = state
        .gates
        .values()
        .chain(state.duplicates.iter().map(|(g, _)| g))
        .filter(|g| needs_rules(&g.key))
        .cloned()
        .collect();
    let total = jobs.len();
    let mut done = 0;
    {
        let mut fetched = stream::iter(jobs)
            .map(|gate| async move {
                let rules = client.list_rules(&gate.id).await;
                (gate, rules)
            })
            .buffer_unordered(parallelism.max(1));
        progress(Fetched::Rules { done: 0, total });
        while let Some((gate, result)) = fetched.next().await {
            let mut list = match result {
                Ok(list) => list,
                // Deleted since it was listed? Asked again by id, once, before it counts as gone.
                Err(e) if e.status() == Some(404) => match client.get_gate(&gate.id).await {
                    Err(again) if again.status() == Some(404) => {
                        state.vanished.push(gate.key.clone());
                        state.gates.retain(|_, g| g.id != gate.id);
                        state.duplicates.retain(|(g, _)| g.id != gate.id);
                        done += 1;
                        progress(Fetched::Rules { done, total });
                        continue;
                    }
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            };
            list.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then(a.id.cmp(&b.id)));
            match state.duplicates.iter_mut().find(|(g, _)| g.id == gate.id) {
                Some((_, rules)) => *rules = list,
                None => {
                    state.rules.insert(gate.key.clone(), list);
                }
            }
            done += 1;
            progress(Fetched::Rules { done, total });
        }
    }
    Ok(state)
}
