//! gatesctl: Datadog Deployment Gates as code.
//!
//! Data flows one way: [`config`] (files → desired state) → [`remote`] (API → actual state)
//! → [`plan`] (diff → actions) → [`render`] (text) / [`apply`] (execute actions).
//! [`sandbox`] is a local Datadog-compatible API server and [`cli`] the command line.

pub mod apply;
pub mod cli;
pub mod config;
pub mod error;
pub mod evaluate;
pub mod model;
pub mod plan;
pub mod remote;
pub mod render;
pub mod sandbox;
