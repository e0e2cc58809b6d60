//! `coverage`: every deployment of the window (DORA), and the gate evaluations of the services
//! that deployed, read and joined.

use crate::error::Error;
use gatesctl_client::{Client, DoraProgress, DoraQuery, Unreadable, MAX_WINDOW_MS};
use gatesctl_core::coverage::{Coverage, UNVERSIONED_LOOKBACK_MS};
use gatesctl_core::model::time::Window;
use gatesctl_files::DesiredState;

/// What a coverage read has got so far, for a progress display.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Reading {
    Deployments(DoraProgress),
    Evaluations(usize),
}

/// Reads the deployments of `[from, to)` and the evaluations they could have gone through (from
/// an hour earlier, for deployments without a version), then joins them.
pub(crate) async fn coverage(
    client: &Client,
    desired: &DesiredState,
    window: Window,
    parallelism: usize,
    progress: &(dyn Fn(Reading) + Sync),
) -> Result<(Coverage, Vec<Unreadable>), Error> {
    let Window { from_ms, to_ms } = window;
    let query = DoraQuery { from_ms, to_ms, query: String::new() };
    let (deployments, mut unreadable) =
        client.deployments(&query, parallelism, &|p| progress(Reading::Deployments(p))).await.map_err(|e| {
            if e.status() == Some(403) {
                Error::Refused(format!(
                    "coverage reads the deployments Datadog records (DORA metrics), and the application key lacks the dora_metrics_read permission (403: {}): grant it to the key",
                    gatesctl_core::escape::terminal(&e.detail())
                ))
            } else {
                Error::Api(e)
            }
        })?;
    let mut places: Vec<(&str, &str)> = deployments.iter().map(|d| (d.service.as_str(), d.env.as_str())).collect();
    places.sort_unstable();
    places.dedup();
    // From an hour earlier, for deployments without a version, within what the API serves.
    let history = Window { from_ms: (from_ms - UNVERSIONED_LOOKBACK_MS).max(to_ms - MAX_WINDOW_MS), to_ms };
    let evaluations = if places.is_empty() {
        Vec::new()
    } else {
        let queries = super::history::queries(&places, history);
        let (history, bad) =
            super::history::read(client, &queries, false, parallelism, &|n| progress(Reading::Evaluations(n))).await?;
        unreadable.extend(bad);
        history.gates
    };
    Ok((gatesctl_core::coverage::build(desired, &deployments, &evaluations), unreadable))
}
