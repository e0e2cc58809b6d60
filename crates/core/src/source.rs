//! One configuration file as read: its path, format and text (kept for diagnostics, which
//! point into it, and for in-place edits).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::NamedSource;

pub use crate::diagnostic::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
}

impl Format {
    /// "TOML" or "YAML", as messages name it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Toml => "TOML",
            Format::Yaml => "YAML",
        }
    }

    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()? {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            _ => None,
        }
    }
}

/// A place in a file: where a gate, a policy or an exception is written, for diagnostics.
#[derive(Clone, Debug)]
pub struct Place {
    pub source: Arc<NamedSource<String>>,
    pub span: Span,
}

/// Two places are one when they name the same file and bytes.
impl PartialEq for Place {
    fn eq(&self, other: &Place) -> bool {
        self.source.name() == other.source.name() && self.span == other.span
    }
}

impl Eq for Place {}

/// One configuration file as read from disk.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    pub format: Format,
    pub named: Arc<NamedSource<String>>,
    /// The file began with a byte order mark (not part of the text): a file written back keeps it.
    pub bom: bool,
}

impl SourceFile {
    pub fn new(path: PathBuf, format: Format, text: String) -> Self {
        let name = if path.as_os_str() == "-" { "<stdin>".to_string() } else { crate::escape::path(&path) };
        let named = Arc::new(NamedSource::new(name, text).with_language(match format {
            Format::Toml => "toml",
            Format::Yaml => "yaml",
        }));
        SourceFile { path, format, named, bom: false }
    }

    /// As read from a file that began with a byte order mark.
    pub fn with_bom(mut self, bom: bool) -> Self {
        self.bom = bom;
        self
    }

    pub fn text(&self) -> &str {
        self.named.inner()
    }

    /// `text` as the file holds it: with its byte order mark when it had one.
    pub fn as_stored(&self, text: &str) -> String {
        if self.bom {
            format!("\u{feff}{text}")
        } else {
            text.to_string()
        }
    }
}
