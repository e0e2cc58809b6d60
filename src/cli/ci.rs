//! What a CI system reads besides the log: GitHub Actions' workflow commands (annotations on
//! the pull request's diff) and its step summary.

use std::io::Write;

use crate::output::errln;
use gatesctl_files::ConfigDiagnostic;

/// When problems are also printed as GitHub workflow commands (`--annotations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum Annotations {
    // Under GitHub Actions (`GITHUB_ACTIONS=true`).
    Auto,
    Always,
    Never,
}

/// The choice of this run, set once its flags are read.
static ANNOTATIONS: std::sync::OnceLock<Annotations> = std::sync::OnceLock::new();

pub(super) fn set_annotations(choice: Annotations) {
    let _ = ANNOTATIONS.set(choice);
}

/// Whether problems are annotated: asked for, or under GitHub Actions.
fn annotating() -> bool {
    match ANNOTATIONS.get().copied().unwrap_or(Annotations::Auto) {
        Annotations::Always => true,
        Annotations::Never => false,
        Annotations::Auto => std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
    }
}

/// Each diagnostic as a workflow command, on stderr (stdout stays the plan, whatever it is
/// redirected to; the runner reads commands from both), when annotating.
pub(super) fn annotate(diagnostics: &[ConfigDiagnostic]) {
    if diagnostics.is_empty() || !annotating() {
        return;
    }
    let workspace = std::env::var_os("GITHUB_WORKSPACE").map(std::path::PathBuf::from);
    crate::output::err(&crate::views::validate::github_annotations(diagnostics, workspace.as_deref()));
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
        errln!(
            "warning: cannot append to the step summary {}: {e}",
            gatesctl_core::escape::path(std::path::Path::new(&path))
        );
    }
}
