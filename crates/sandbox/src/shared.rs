//! What every handler shares: the state, the options the sandbox started with, the faults'
//! counters and the log of requests answered.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use super::db::Database;
use super::faults::{self, Faults};
use super::monitors;
use super::store::Store;

#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// The SQLite file the state lives in; `None` keeps it in memory, for this process only.
    pub database: Option<PathBuf>,
    /// A JSON state (as `--export` writes) that replaces the state at start: for fixtures.
    pub seed: Option<Store>,
    /// The JSON state of earlier versions, imported once into a new database.
    pub legacy: Option<Store>,
    /// Monitors that replace those of the state at start (a new state has the example
    /// organisation's).
    pub monitors: Option<Vec<monitors::Monitor>>,
    pub eval: EvalSettings,
    pub faults: Faults,
}

/// One request the sandbox answered, for tests and `--verbose`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    /// The query string, as sent (percent-encoded); empty when none.
    pub query: String,
    /// 0 when the connection was dropped instead of answering.
    pub status: u16,
}

pub(crate) struct Shared {
    pub(crate) db: Database,
    /// The monitors, read once at start: they change only when a sandbox starts with others.
    pub(crate) monitors: Vec<monitors::Monitor>,
    pub(crate) options: SandboxOptions,
    /// Places for request bodies being read.
    pub(crate) bodies: tokio::sync::Semaphore,
    pub(crate) requests: Mutex<VecDeque<RecordedRequest>>,
    pub(crate) faults: faults::FaultState,
    pub(crate) base_url: String,
}

/// How evaluations unfold: how many polls find nothing yet, or the evaluation running, and
/// which rules always fail.
#[derive(Clone, Debug)]
pub struct EvalSettings {
    /// Polls answered 404 right after the trigger.
    pub not_found_polls: u32,
    /// Polls answered `in_progress` after those.
    pub pending_polls: u32,
    /// Rule names that always fail.
    pub fail_rules: Vec<String>,
}

impl Default for EvalSettings {
    fn default() -> Self {
        EvalSettings { not_found_polls: 0, pending_polls: 2, fail_rules: Vec::new() }
    }
}
