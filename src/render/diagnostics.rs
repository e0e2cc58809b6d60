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

/// Where a diagnostic points: 1-based line and column (in characters).
#[derive(Debug, serde::Serialize)]
pub(crate) struct Location {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

fn locate(source: &miette::NamedSource<String>, offset: usize) -> Location {
    let text = source.inner();
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location { file: source.name().to_string(), line, column }
}

/// One diagnostic for machines: code, place, message, help.
#[derive(Debug, serde::Serialize)]
pub(crate) struct DiagnosticDocument {
    pub(crate) code: &'static str,
    pub(crate) severity: &'static str,
    #[serde(flatten)]
    pub(crate) location: Location,
    pub(crate) end: Location,
    pub(crate) message: String,
    pub(crate) label: String,
    pub(crate) help: Option<String>,
    /// Further places: the first of two duplicates, in another file perhaps.
    pub(crate) related: Vec<Related>,
}

#[derive(Debug, serde::Serialize)]
pub(crate) struct Related {
    #[serde(flatten)]
    pub(crate) location: Location,
    pub(crate) message: String,
}

pub(crate) fn document(d: &ConfigDiagnostic) -> DiagnosticDocument {
    let (span, label) = d.labels.first().cloned().unwrap_or((0..0, String::new()));
    DiagnosticDocument {
        code: d.code.as_str(),
        severity: if d.is_warning() { "warning" } else { "error" },
        location: locate(&d.source, span.start),
        end: locate(&d.source, span.end),
        message: d.message.clone(),
        label,
        help: d.help.clone(),
        related: d
            .labels
            .iter()
            .skip(1)
            .map(|(s, l)| Related { location: locate(&d.source, s.start), message: l.clone() })
            .chain(d.related.iter().map(|r| Related {
                location: locate(&r.source, r.labels.first().map_or(0, |(s, _)| s.start)),
                message: r.message.clone(),
            }))
            .collect(),
    }
}

/// The outcome of `validate --format json`.
#[derive(Debug, serde::Serialize)]
struct ValidationDocument<'a> {
    valid: bool,
    /// What the files declare, when valid.
    gates: Option<usize>,
    rules: Option<usize>,
    diagnostics: Vec<DiagnosticDocument>,
    /// An error that is not about a place in a file (a missing file, bytes that are not UTF-8).
    error: Option<&'a str>,
}

pub(crate) fn render_json(
    declared: Option<(usize, usize)>,
    diagnostics: &[ConfigDiagnostic],
    error: Option<&str>,
) -> String {
    let mut sorted: Vec<&ConfigDiagnostic> = diagnostics.iter().collect();
    sorted.sort_by(|a, b| (a.file_name(), a.line()).cmp(&(b.file_name(), b.line())));
    let doc = ValidationDocument {
        valid: declared.is_some() && !sorted.iter().any(|d| !d.is_warning()),
        gates: declared.map(|(g, _)| g),
        rules: declared.map(|(_, r)| r),
        diagnostics: sorted.into_iter().map(document).collect(),
        error,
    };
    serde_json::to_string_pretty(&doc).expect("diagnostics serialise") + "\n"
}
