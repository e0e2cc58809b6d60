//! Why the configuration could not be used: one enum, each variant its message.

use std::path::PathBuf;

use gatesctl_core::diagnostic::ConfigDiagnostic;

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no configuration file found: looked for {} in {}", .names.join(", "), gatesctl_core::escape::path(.dir))]
    NotFound { dir: PathBuf, names: &'static [&'static str] },
    #[error("{} are all in {}: which one to read is not guessed; name it with -f (or each, to read them together)", .found.join(" and "), gatesctl_core::escape::path(.dir))]
    Ambiguous { dir: PathBuf, found: Vec<String> },
    #[error("cannot read {}: {source}", gatesctl_core::escape::path(.path))]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: unknown file type; use .toml, .yaml or .yml", gatesctl_core::escape::path(.path))]
    UnknownFormat { path: PathBuf },
    #[error("{}: not a regular file ({kind}); name a regular file", gatesctl_core::escape::path(.path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{}: larger than {} MiB; a configuration file is never that large (is it the right file?)", gatesctl_core::escape::path(.path), gatesctl_fs::read::MAX_SIZE >> 20)]
    TooLarge { path: PathBuf },
    #[error("{}: not UTF-8 text: invalid byte at line {line}, byte {column} (offset {offset}); save the file as UTF-8", gatesctl_core::escape::path(.path))]
    NotUtf8 { path: PathBuf, line: usize, column: usize, offset: usize },
    #[error("standard input is named twice (-f -): it can be read once")]
    StdinTwice,
    #[error("cannot tell whether standard input is TOML or YAML: pass --format-in toml or --format-in yaml")]
    UnknownStdinFormat,
    #[error("standard input is empty (-f -): pipe a configuration into gatesctl, or name a file with -f FILE")]
    EmptyStdin,
    #[error("{} problem{} found in the configuration", .diagnostics.len(), if .diagnostics.len() == 1 { "" } else { "s" })]
    Invalid { diagnostics: Vec<ConfigDiagnostic> },
}
