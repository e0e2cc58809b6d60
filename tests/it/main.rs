//! The integration tests, in one binary so they link once.

// A test crate: its helpers are `pub` for its modules, and a skipped test says why on stderr.
#![allow(unreachable_pub, clippy::print_stderr, clippy::print_stdout)]

mod apply;
mod architecture;
mod ci;
mod cli;
mod common;
mod conformance;
mod coverage;
mod datadog_ci;
mod docs;
mod drift;
mod escaping;
mod evaluate;
mod fmt;
mod import;
mod monitors;
mod network;
mod options;
mod plan;
mod policy;
mod prune;
mod release;
mod report;
mod resilience;
mod sandbox;
mod saved_plans;
mod schema;
mod security;
mod terraform;
mod validate;
