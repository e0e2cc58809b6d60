//! The integration tests, in one binary so they link once.

mod adversary;
mod architecture;
mod common;
mod conformance;
mod conventions;
mod datadog_ci;
mod e2e;
mod evaluate;
mod help;
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
