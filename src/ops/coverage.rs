//! `coverage`: every deployment of the window (DORA), and the gate evaluations of the services
//! that deployed, read and joined.

use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{Client, DoraQuery, HistoryQuery, Unreadable, MAX_WINDOW_MS};
use gatesctl_core::coverage::Coverage;
use gatesctl_core::model::time::Window;
use gatesctl_files::DesiredState;

/// A coverage, and what was read but not counted.
pub(crate) struct Measured {
    pub(crate) coverage: Coverage,
    pub(crate) unreadable: Vec<Unreadable>,
    /// Warnings about what the API could not answer whole.
    pub(crate) warnings: Vec<String>,
}

/// What `coverage` is asked, its flags checked by the command line.
pub(crate) struct CoverageRequest<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) window: Window,
    pub(crate) parallelism: usize,
}

pub(crate) async fn run(
    client: &Client,
    request: &CoverageRequest<'_>,
    progress: &dyn Progress,
) -> Result<Measured, Error> {
    let CoverageRequest { desired, window, parallelism } = *request;
    measure(&client.limited_to(parallelism), desired, window, parallelism, progress).await
}

/// Reads the deployments of `[from, to)` and the evaluations they could have gone through (from
/// `max_gap` earlier), then joins them.
pub(crate) async fn measure(
    client: &Client,
    desired: &DesiredState,
    window: Window,
    parallelism: usize,
    progress: &dyn Progress,
) -> Result<Measured, Error> {
    let Window { from_ms, to_ms } = window;
    let query = DoraQuery { from_ms, to_ms, query: String::new() };
    let read = client.deployments(&query, &|p| progress.event(Event::Deployments(p))).await.map_err(|e| {
        match super::dora::missing_permission(&e) {
            Some(why) => {
                Error::Refused(format!("coverage reads the deployments Datadog records (DORA metrics), and {why}"))
            }
            None => Error::Api(e),
        }
    })?;
    let mut unreadable = read.unreadable;
    let warnings = read.crowded.iter().map(|c| super::dora::crowded_warning(c, "deployments")).collect();
    let mut places: Vec<(&str, &str)> = read.events.iter().map(|d| (d.service.as_str(), d.env.as_str())).collect();
    places.sort_unstable();
    places.dedup();
    // From `max_gap` earlier, for the evaluations made in a deploy's pipeline before it started,
    // within what the API serves.
    let settings = desired.coverage;
    let history = Window { from_ms: (from_ms - settings.max_gap_ms).max(to_ms - MAX_WINDOW_MS), to_ms };
    let evaluations = if places.is_empty() {
        Vec::new()
    } else {
        let queries = HistoryQuery::slices(&places, history);
        let (history, bad) =
            client.history(&queries, false, parallelism, &|n| progress.event(Event::Evaluations(n))).await?;
        unreadable.extend(bad);
        history.gates
    };
    let coverage = gatesctl_core::coverage::build(desired, &read.events, &evaluations, settings);
    Ok(Measured { coverage, unreadable, warnings })
}
