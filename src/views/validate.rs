//! Configuration diagnostics as labelled source excerpts.

use std::collections::HashMap;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, NamedSource};

use gatesctl_core::diagnostic::Severity;
use gatesctl_files::ConfigDiagnostic;

/// Config diagnostics as labelled source excerpts, in file and line order.
pub fn render(diagnostics: &[ConfigDiagnostic], color: bool, width: usize) -> String {
    render_capped(diagnostics, color, width, usize::MAX)
}

/// As [`render`], with at most `limit` excerpts: the others are counted by code (a plan of a
/// large organisation may find thousands of queries matching nothing, say in a sandbox).
pub(crate) fn render_capped(diagnostics: &[ConfigDiagnostic], color: bool, width: usize, limit: usize) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_links(false);
    let mut locator = Locator::default();
    let mut sorted: Vec<(String, usize, &ConfigDiagnostic)> =
        diagnostics.iter().map(|d| (d.file_name().to_string(), locator.line(d), d)).collect();
    sorted.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut out = String::new();
    let mut shown = Printable::default();
    for (_, _, d) in sorted.iter().take(limit) {
        let _ = handler.render_report(&mut out, &shown.diagnostic(d));
        out.push('\n');
    }
    if sorted.len() > limit {
        let mut by_code: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for (_, _, d) in &sorted[limit..] {
            *by_code.entry(d.code.as_str()).or_default() += 1;
        }
        let counts: Vec<String> = by_code.iter().map(|(code, n)| format!("{n} × {code}")).collect();
        out.push_str(&format!(
            "… and {} more not shown: {} (--format json lists every one)\n\n",
            sorted.len() - limit,
            counts.join(", ")
        ));
    }
    out
}

/// Diagnostics whose excerpts cannot drive a terminal: a file is shown as it is written, so
/// its control and invisible characters (ESC, a lone CR, U+202E …) are replaced by visible
/// ones of the same length in bytes, which keeps every span in place.
#[derive(Default)]
struct Printable {
    sources: HashMap<*const NamedSource<String>, Arc<NamedSource<String>>>,
}

impl Printable {
    fn diagnostic(&mut self, d: &ConfigDiagnostic) -> ConfigDiagnostic {
        ConfigDiagnostic {
            source: self.source(&d.source),
            related: d.related.iter().map(|r| self.diagnostic(r)).collect(),
            ..d.clone()
        }
    }

    fn source(&mut self, source: &Arc<NamedSource<String>>) -> Arc<NamedSource<String>> {
        let entry = self.sources.entry(Arc::as_ptr(source));
        Arc::clone(entry.or_insert_with(|| match gatesctl_core::escape::same_length_printable(source.inner()) {
            std::borrow::Cow::Borrowed(_) => Arc::clone(source),
            std::borrow::Cow::Owned(text) => Arc::new(NamedSource::new(source.name(), text)),
        }))
    }
}

/// Lines and columns of offsets, each file's line starts found once: thousands of findings in
/// a large file must not each count lines from the top.
#[derive(Default)]
pub(crate) struct Locator {
    starts: HashMap<*const NamedSource<String>, Vec<usize>>,
}

impl Locator {
    pub(crate) fn locate(&mut self, source: &Arc<NamedSource<String>>, offset: usize) -> Location {
        let text = source.inner();
        let starts = self
            .starts
            .entry(Arc::as_ptr(source))
            .or_insert_with(|| std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect());
        let offset = offset.min(text.len());
        let line = starts.partition_point(|s| *s <= offset);
        let start = starts[line - 1];
        let column = text.get(start..offset).map_or(0, |t| t.chars().count()) + 1;
        Location { file: source.name().to_string(), line, column }
    }

    /// 1-based line of a diagnostic's first label.
    pub(crate) fn line(&mut self, d: &ConfigDiagnostic) -> usize {
        self.locate(&d.source, d.labels.first().map_or(0, |(s, _)| s.start)).line
    }
}

/// The width diagnostics wrap at: `COLUMNS` when set to something usable.
pub(crate) fn terminal_width() -> usize {
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100)
}

/// Where a diagnostic points: 1-based line and column (in characters).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Location {
    pub(crate) file: String,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

/// One diagnostic for machines: code, place, message, help.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct DiagnosticDocument {
    /// Stable: `gates::…`.
    pub(crate) code: &'static str,
    /// `error`, `warning` or `note`.
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

#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct Related {
    #[serde(flatten)]
    pub(crate) location: Location,
    pub(crate) message: String,
}

pub(crate) fn document(d: &ConfigDiagnostic, locator: &mut Locator) -> DiagnosticDocument {
    let (span, label) = d.labels.first().cloned().unwrap_or((0..0, String::new()));
    let mut related: Vec<Related> = d
        .labels
        .iter()
        .skip(1)
        .map(|(s, l)| Related { location: locator.locate(&d.source, s.start), message: l.clone() })
        .collect();
    related.extend(d.related.iter().map(|r| Related {
        location: locator.locate(&r.source, r.labels.first().map_or(0, |(s, _)| s.start)),
        message: r.message.clone(),
    }));
    DiagnosticDocument {
        code: d.code.as_str(),
        severity: d.severity.as_str(),
        location: locator.locate(&d.source, span.start),
        end: locator.locate(&d.source, span.end),
        message: d.message.clone(),
        label,
        help: d.help.clone(),
        related,
    }
}

/// Version of the JSON validation's format, `MAJOR.MINOR`: additions bump the minor part.
pub(crate) const FORMAT_VERSION: &str = "1.1";

/// The outcome of `validate --format json`.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(title = "gatesctl validation")]
struct ValidationDocument<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    format_version: &'static str,
    valid: bool,
    /// What the files declare, when valid.
    gates: Option<usize>,
    rules: Option<usize>,
    diagnostics: Vec<DiagnosticDocument>,
    /// An error that is not about a place in a file (a missing file, bytes that are not UTF-8).
    error: Option<&'a str>,
    /// With `--online`: why some checks were not made (a missing permission).
    #[serde(skip_serializing_if = "Option::is_none")]
    unchecked: Option<&'a str>,
    /// The policies the files declare, when valid; their violations the files alone show are
    /// among `diagnostics` (`policy::…`).
    policies: Option<usize>,
    /// What the policies could not check offline, and why (checked by plan and audit).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    policy_notes: Vec<String>,
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(ValidationDocument<'static>), "validate.schema.json")
}

pub(crate) fn render_json(
    declared: Option<(usize, usize)>,
    diagnostics: &[ConfigDiagnostic],
    error: Option<&str>,
    unchecked: Option<&str>,
    policies: Option<(usize, &[String])>,
) -> String {
    let mut locator = Locator::default();
    let mut documents: Vec<DiagnosticDocument> = diagnostics.iter().map(|d| document(d, &mut locator)).collect();
    documents.sort_by(|a, b| (&a.location.file, a.location.line).cmp(&(&b.location.file, b.location.line)));
    let doc = ValidationDocument {
        format_version: FORMAT_VERSION,
        valid: declared.is_some() && !diagnostics.iter().any(|d| d.severity == Severity::Error),
        gates: declared.map(|(g, _)| g),
        rules: declared.map(|(_, r)| r),
        diagnostics: documents,
        error,
        unchecked,
        policies: policies.map(|(n, _)| n),
        policy_notes: policies.map(|(_, notes)| notes.to_vec()).unwrap_or_default(),
    };
    super::pretty(&doc)
}

/// A workflow-command property value (`file=…`): `%`, CR, LF, `:` and `,` are escaped, as the
/// runner expects.
fn property(text: &str) -> String {
    message(text).replace(':', "%3A").replace(',', "%2C")
}

/// A workflow-command message: `%`, CR and LF escaped, so one command stays one line.
fn message(text: &str) -> String {
    // Line by line: the breaks become the runner's escapes, what is inside a line the terminal's.
    text.split('\n')
        .map(|line| gatesctl_core::escape::terminal(line).replace('%', "%25"))
        .collect::<Vec<_>>()
        .join("%0A")
}

/// The diagnostics as GitHub Actions workflow commands (`::error file=…,line=…::message`), so
/// each shows on the pull request's diff at its line. `file` is the path from the repository
/// root when `workspace` (GITHUB_WORKSPACE) holds it; standard input gets no place.
pub(crate) fn github_annotations(diagnostics: &[ConfigDiagnostic], workspace: Option<&std::path::Path>) -> String {
    let mut locator = Locator::default();
    let mut documents: Vec<_> = diagnostics.iter().map(|d| document(d, &mut locator)).collect();
    // In the order of the text output: by file, then place.
    documents.sort_by(|a, b| {
        (&a.location.file, a.location.line, a.location.column).cmp(&(
            &b.location.file,
            b.location.line,
            b.location.column,
        ))
    });
    let mut out = String::new();
    for doc in documents {
        let command = match doc.severity {
            "error" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        let mut properties = Vec::new();
        if doc.location.file != "<stdin>" {
            properties.push(format!("file={}", property(&from_workspace(&doc.location.file, workspace))));
            properties.push(format!("line={}", doc.location.line));
            properties.push(format!("col={}", doc.location.column));
            if doc.end.line > doc.location.line {
                properties.push(format!("endLine={}", doc.end.line));
            } else {
                properties.push(format!("endColumn={}", doc.end.column));
            }
        }
        properties.push(format!("title={}", property(&format!("gatesctl {}", doc.code))));
        let mut text = doc.message.clone();
        if let Some(help) = &doc.help {
            text.push_str(&format!("\nhelp: {help}"));
        }
        out.push_str(&format!("::{command} {}::{}\n", properties.join(","), message(&text)));
    }
    out
}

/// A file's path from the repository root, when the workspace holds it; as given otherwise.
fn from_workspace(file: &str, workspace: Option<&std::path::Path>) -> String {
    let relative = workspace.and_then(|root| {
        let root = std::fs::canonicalize(root).ok()?;
        let file = std::fs::canonicalize(file).ok()?;
        file.strip_prefix(root).ok().map(|p| p.to_string_lossy().replace('\\', "/"))
    });
    relative.unwrap_or_else(|| file.to_string())
}
