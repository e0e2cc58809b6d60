//! Operations: one per command (`ops::<cmd>::run(&Client, &Request, &dyn Progress)`, whose
//! answer the command hands to its view), over the client, the files and the core's
//! decisions; and what several share (saved plans, the monitor check's lookups, policies,
//! DORA's refusals, progress events). Flags are the command line's: nothing here raises a
//! usage error.

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
pub(crate) mod validate;
