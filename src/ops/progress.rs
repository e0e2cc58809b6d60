//! How far an operation has got. Every operation tells its progress as [`Event`]s to one
//! [`Progress`]; the command line's reporter shows them, so that reads running side by side
//! share one line and each count is worded once.

use gatesctl_client::{DoraProgress, Fetched};

use super::apply::outcome::Outcome;

/// One step of an operation.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// Remote gates listed, then their rules read.
    Gates(Fetched),
    /// Monitor check lookups answered, of all it makes.
    Monitors { done: usize, total: usize },
    /// Software Catalog services read so far.
    Catalog(usize),
    /// Deployments (DORA) read so far.
    Deployments(DoraProgress),
    /// Gate evaluations of the history read so far.
    Evaluations(usize),
    /// Scorecard outcomes posted, of all to post.
    Published { posted: usize, total: usize },
    /// An action of an apply landed: the `done`-th of `total`.
    Applied { outcome: &'a Outcome, done: usize, total: usize },
    /// An evaluation waited on moved.
    Waiting(&'a WaitEvent),
}

/// How the wait for an evaluation's verdict goes.
#[derive(Clone, Debug)]
pub enum WaitEvent {
    Triggered {
        evaluation_id: String,
    },
    NotReady,
    InProgress {
        done: usize,
        total: usize,
    },
    /// A transient failure, retried.
    Retrying {
        error: String,
    },
}

/// Whoever watches an operation.
pub trait Progress: Sync {
    fn event(&self, event: Event<'_>);
}

/// Progress nobody watches: a read whose steps are not worth showing.
pub struct Unwatched;

impl Progress for Unwatched {
    fn event(&self, _: Event<'_>) {}
}
