//! The integration tests, in one binary so they link once.

mod architecture;
mod common;
mod e2e;
mod evaluate;
mod help;
mod plan;
mod resilience;
mod sandbox;
mod schema;
mod validate;
mod workflow;
