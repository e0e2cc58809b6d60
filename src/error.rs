//! The errors a command can end with; each owns its exit code.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::config::{ConfigDiagnostic, ConfigError};
use crate::remote::{ApiError, SetupError};

/// Exit codes, as documented in the README.
pub mod exit {
    /// Success; with `--detailed-exitcode`, also "no changes".
    pub const OK: i32 = 0;
    /// Invalid configuration, API or network error, refused or failed apply.
    pub const ERROR: i32 = 1;
    /// With `--detailed-exitcode`: the plan has changes.
    pub const CHANGES: i32 = 2;
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("{0}")]
    Api(#[from] ApiError),
    #[error("{0}")]
    Refused(String),
    #[error("apply finished with {failed} failed and {skipped} skipped action(s); see the failures above, fix them, then run `gatesctl apply` again")]
    ApplyFailed { failed: usize, skipped: usize },
    #[error("{0}")]
    Other(String),
}

impl CliError {
    pub fn exit_code(&self) -> i32 {
        exit::ERROR
    }

    /// Prints the error to stderr: config problems as labelled source excerpts.
    pub fn report(&self, color: bool) {
        if let CliError::Config(ConfigError::Invalid { diagnostics }) = self {
            eprint!("{}", render_diagnostics(diagnostics, color, terminal_width()));
        }
        eprintln!("error: {self}");
    }
}

/// Config diagnostics as labelled source excerpts, in file and line order.
pub fn render_diagnostics(diagnostics: &[ConfigDiagnostic], color: bool, width: usize) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_links(false);
    let mut sorted: Vec<&ConfigDiagnostic> = diagnostics.iter().collect();
    sorted.sort_by(|a, b| (a.file_name(), a.line()).cmp(&(b.file_name(), b.line())));
    let mut out = String::new();
    for d in sorted {
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    out
}

pub fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}
