//! Configuration diagnostics as labelled source excerpts.

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::config::ConfigDiagnostic;

/// Config diagnostics as labelled source excerpts, in file and line order.
pub fn render(diagnostics: &[ConfigDiagnostic], color: bool, width: usize) -> String {
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

/// The width diagnostics wrap at: `COLUMNS` when set to something usable.
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}
