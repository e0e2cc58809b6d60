//! What a CI system reads besides the log: GitHub Actions' workflow commands (annotations on
//! the pull request's diff) and its step summary.

use std::io::Write;

use crate::config::ConfigDiagnostic;
use crate::output::errln;

/// Under GitHub Actions.
pub(super) fn github_actions() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Under GitHub Actions, each diagnostic as a workflow command, on stderr (stdout stays the
/// plan, whatever it is redirected to; the runner reads commands from both).
pub(super) fn annotate(diagnostics: &[ConfigDiagnostic]) {
    if diagnostics.is_empty() || !github_actions() {
        return;
    }
    let workspace = std::env::var_os("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
    crate::output::err(&crate::render::diagnostics::github_annotations(diagnostics, workspace.as_deref()));
}

/// Appends `markdown` to the step summary when `GITHUB_STEP_SUMMARY` names one; a summary that
/// cannot be written is a warning, not a failed plan.
pub(super) fn step_summary(markdown: impl FnOnce() -> String) {
    let Some(path) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) else { return };
    let markdown = markdown();
    let written = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(&path)
        .and_then(|mut f| f.write_all(format!("{markdown}\n").as_bytes()));
    if let Err(e) = written {
        errln!("warning: cannot append to the step summary {}: {e}", crate::escape::path(std::path::Path::new(&path)));
    }
}
