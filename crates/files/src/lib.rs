//! gatesctl's files: gate files read into a spanned tree (`source`), validated into the
//! desired state with every problem at once (`validate`), formatted (`fmt`), edited in place
//! (`edit`), written from remote gates (`import`); Terraform's and datadog-ci's files read into
//! the same model. Which files to read, and reading them within bounds: `read`; writing them
//! is `gatesctl_fs`'s.

mod checker;
pub mod datadog_ci;
pub mod edit;
mod error;
pub mod fmt;
pub mod import;
mod load;
mod policy;
mod read;
pub mod source;
pub mod terraform;
pub mod validate;
pub mod wire;

pub use error::ConfigError;
pub use gatesctl_core::desired::{DesiredGate, DesiredState, Safety, Scope, WatchSource, Watched};
pub use gatesctl_core::diagnostic::{Code, ConfigDiagnostic};
pub use load::{load, load_files, load_sources};
pub use read::{is_policies_file, is_stdin, policies_file, read_file, read_stdin, read_text, resolve_paths};
