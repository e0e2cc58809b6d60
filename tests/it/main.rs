//! The integration tests, in one binary so they link once.

// A test crate: its helpers are `pub` for its modules, and a skipped test says why on stderr.
#![allow(unreachable_pub, clippy::print_stderr, clippy::print_stdout)]

mod adversary;
mod common;
mod conformance;
mod conventions;
mod coverage;
mod datadog_ci;
mod docs;
mod e2e;
mod escaping;
mod evaluate;
mod help;
mod listing;
mod monitors;
mod network;
mod options;
mod output;
mod plan;
mod release;
mod report;
mod resilience;
mod robustness;
mod sandbox;
mod schema;
mod terraform;
mod trust;
mod validate;
mod workflow;
