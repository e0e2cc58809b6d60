//! The integration tests, in one binary so they link once.

mod architecture;
mod common;
mod conformance;
mod e2e;
mod evaluate;
mod help;
mod output;
mod plan;
mod resilience;
mod robustness;
mod sandbox;
mod schema;
mod trust;
mod validate;
mod workflow;
