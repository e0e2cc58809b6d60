//! Why the sandbox cannot start or take a file: each failure named, its message decided here.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The state database cannot be opened, migrated, seeded or served.
    #[error("{0}")]
    State(String),
    #[error("{path} was written by a newer gatesctl (state format {version}); upgrade gatesctl")]
    NewerState { path: String, version: i64 },
    /// A state or monitors file that cannot be read or used.
    #[error("{}: {detail}", gatesctl_core::escape::path(.path))]
    File { path: PathBuf, detail: String },
    /// Monitors that break the sandbox's rules (no name, a priority out of range, an id twice).
    #[error("{0}")]
    Monitors(String),
    #[error("cannot listen: {0}")]
    Listen(std::io::Error),
    #[error("cannot create {}: {source}", gatesctl_core::escape::path(.path))]
    Folder { path: PathBuf, source: std::io::Error },
}
