//! The monitor check's view, for `plan` and `validate --online`: labelled excerpts of the
//! files (the first few, the rest counted), a line saying what was checked, and what to warn.

use gatesctl_core::diagnostic::Code;
use gatesctl_core::monitor_check::MonitorCheck;

/// Excerpts of the monitor check shown in full; the rest are counted.
const SHOWN_FINDINGS: usize = 20;

/// The check as shown: its findings and summary, and the warnings for stderr.
pub(crate) struct Shown {
    pub(crate) text: String,
    pub(crate) warnings: Vec<String>,
}

pub(crate) fn render(check: &MonitorCheck, color: bool, sandbox: bool) -> Shown {
    let mut text = String::new();
    if !check.diagnostics.is_empty() {
        let width = super::validate::terminal_width();
        text.push_str(&super::validate::render_capped(&check.diagnostics, color, width, SHOWN_FINDINGS));
    }
    if let Some(summary) = check.summary() {
        text.push_str(&format!("{summary}\n"));
    }
    let mut warnings = Vec::new();
    if let Some(reason) = &check.unchecked {
        warnings.push(format!("warning: {reason}"));
    }
    let unmatched = check.diagnostics.iter().filter(|d| d.code == Code::QueryMatchesNoMonitor).count();
    if sandbox && unmatched > 1 {
        warnings.push(
            "note: the built-in sandbox holds the example organisation's monitors (examples/monitors.toml); give it yours with `gatesctl sandbox --monitors FILE`, or pass --no-monitor-check".into(),
        );
    }
    Shown { text, warnings }
}
