//! Operations: the orchestration several commands share, over the client, the files and the
//! core's decisions (computing a plan with what it needs read, applying it, verifying a saved
//! plan, importing, evaluating, the monitor check's lookups, reading history and deployments),
//! so that `cli/` only parses arguments, calls one operation and prints its view.

pub mod apply;
pub(crate) mod audit;
pub(crate) mod coverage;
pub(crate) mod dora;
pub(crate) mod drift;
pub(crate) mod evaluate;
pub(crate) mod fmt;
pub(crate) mod import;
pub(crate) mod monitors;
pub(crate) mod permission;
pub(crate) mod plan;
pub(crate) mod policy;
pub mod progress;
pub(crate) mod report;
pub(crate) mod saved;
