//! gatesctl: Datadog Deployment Gates as code.
//!
//! Data flows one way: [`config`] (files → desired state) → [`remote`] (API → actual state)
//! → [`plan`] (diff → actions) → [`render`] (text, Markdown, JSON) / [`apply`] (execute
//! actions). [`ops`] holds the work several commands share, [`cli`] parses arguments and
//! prints, and [`sandbox`] is a local Datadog-compatible API server. [`model`], [`escape`],
//! [`suggest`] and [`output`] are the ground every layer stands on.

// Layer 0: shared ground.
pub(crate) mod escape;
pub mod model;
pub(crate) mod output;
pub(crate) mod suggest;
// Layer 1: the files, and the local API.
pub mod config;
pub mod sandbox;
// Layer 2: the API.
pub mod remote;
// Layer 3: the diff, the judged history, and the coverage of deployments.
pub(crate) mod coverage;
pub mod plan;
pub mod report;
// Layer 4: executing it, then every output (of plans and applies alike).
pub mod apply;
pub mod render;
// Layer 5: how commands end.
pub(crate) mod error;
// Layer 6: shared work, then the command line.
pub mod cli;
pub(crate) mod ops;
