//! The monitor check's I/O: every distinct query searched and every monitor watched by id
//! looked up, under the client's rate budget; `gatesctl_core::monitor_check` judges the answers.

use futures_util::stream::{self, StreamExt};
use gatesctl_client::{ApiError, Client};
use gatesctl_core::desired::DesiredState;
use gatesctl_core::monitor_check::{Found, Lookup, Lookups, MonitorCheck, Unanswered};

use super::progress::{Event, Progress};
use crate::error::Error;

async fn look_up(client: &Client, lookup: &Lookup<'_>) -> Result<Found, Unanswered> {
    let answer = match lookup {
        Lookup::Query(query) => client.search_monitors(query).await.map(Found::Query),
        Lookup::Monitor(id) => client.get_monitor(*id).await.map(Found::Monitor),
    };
    answer.map_err(|e: ApiError| Unanswered { status: e.status(), detail: e.detail(), message: e.to_string() })
}

/// Searches the monitors of every distinct query and looks up every distinct monitor watched
/// by id, `parallelism` at a time and under the client's rate budget, and reports on each. A
/// 403 (no `monitors_read`) stops the check with one line, not one per query.
pub(crate) async fn check(
    client: &Client,
    desired: &DesiredState,
    parallelism: usize,
    progress: &dyn Progress,
) -> MonitorCheck {
    if desired.watched.is_empty() {
        return MonitorCheck::default();
    }
    let planned = Lookups::of(desired);
    let lookups = planned.all();
    let total = lookups.len();
    let mut lookups = lookups.iter();
    // The first goes alone: without monitors_read, one 403 is all the API sees.
    let mut results: Vec<(&Lookup<'_>, Result<Found, Unanswered>)> = Vec::with_capacity(total);
    progress.event(Event::Monitors { done: 0, total });
    if let Some(first) = lookups.next() {
        results.push((first, look_up(client, first).await));
        progress.event(Event::Monitors { done: 1, total });
    }
    let forbidden = matches!(results.first(), Some((_, Err(e))) if e.status == Some(403));
    if !forbidden {
        let mut rest = stream::iter(lookups)
            .map(|lookup| async move { (lookup, look_up(client, lookup).await) })
            .buffer_unordered(parallelism.max(1));
        while let Some(result) = rest.next().await {
            results.push(result);
            progress.event(Event::Monitors { done: results.len(), total });
        }
    }
    planned.judge(results)
}

/// Whether the monitor check is made, and whether what it finds ends the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Off,
    /// Its findings are warnings.
    Warn,
    /// Its findings are errors, and end the command.
    Strict,
}

/// The monitor check as `mode` asks for it.
pub(crate) async fn run(
    client: &Client,
    desired: &DesiredState,
    parallelism: usize,
    mode: Mode,
    progress: &dyn Progress,
) -> MonitorCheck {
    match mode {
        Mode::Off => MonitorCheck::default(),
        Mode::Warn | Mode::Strict => {
            check(client, desired, parallelism, progress).await.strict_if(mode == Mode::Strict)
        }
    }
}

/// With `--strict`, the problems found end the command.
pub(crate) fn verdict(check: &MonitorCheck, mode: Mode) -> Result<(), Error> {
    match check.problems() {
        problems if mode == Mode::Strict && problems > 0 => Err(Error::Strict { problems }),
        _ => Ok(()),
    }
}
