//! Validation diagnostics: each carries a stable code, labels on the source and a help line.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

use super::source::Span;

/// Stable diagnostic codes: scripts and docs may rely on them, so never renumber or rename.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Code {
    Syntax,
    UnknownKey,
    DuplicateKey,
    MissingKey,
    EmptyValue,
    WrongType,
    UnsupportedVersion,
    UnknownRuleType,
    MissingQuery,
    QueryNotAllowed,
    ResourcesNotAllowed,
    ConflictingResources,
    DurationOutOfRange,
    DuplicateGate,
    DuplicateRule,
    EnvAndEnvs,
    DuplicateEnv,
    UnknownPlaceholder,
    BadPattern,
    OutOfRange,
    MultipleDocuments,
    UnsupportedTag,
    LimitExceeded,
    InvalidCharacter,
    QueryMatchesNoMonitor,
    QueryMatchesTooMany,
    QueryMonitorsFailing,
}

impl Code {
    pub const ALL: [Code; 27] = [
        Code::Syntax,
        Code::UnknownKey,
        Code::DuplicateKey,
        Code::MissingKey,
        Code::EmptyValue,
        Code::WrongType,
        Code::UnsupportedVersion,
        Code::UnknownRuleType,
        Code::MissingQuery,
        Code::QueryNotAllowed,
        Code::ResourcesNotAllowed,
        Code::ConflictingResources,
        Code::DurationOutOfRange,
        Code::DuplicateGate,
        Code::DuplicateRule,
        Code::EnvAndEnvs,
        Code::DuplicateEnv,
        Code::UnknownPlaceholder,
        Code::BadPattern,
        Code::OutOfRange,
        Code::MultipleDocuments,
        Code::UnsupportedTag,
        Code::LimitExceeded,
        Code::InvalidCharacter,
        Code::QueryMatchesNoMonitor,
        Code::QueryMatchesTooMany,
        Code::QueryMonitorsFailing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Syntax => "gates::syntax",
            Code::UnknownKey => "gates::unknown-key",
            Code::DuplicateKey => "gates::duplicate-key",
            Code::MissingKey => "gates::missing-key",
            Code::EmptyValue => "gates::empty-value",
            Code::WrongType => "gates::wrong-type",
            Code::UnsupportedVersion => "gates::unsupported-version",
            Code::UnknownRuleType => "gates::unknown-rule-type",
            Code::MissingQuery => "gates::missing-query",
            Code::QueryNotAllowed => "gates::query-not-allowed",
            Code::ResourcesNotAllowed => "gates::resources-not-allowed",
            Code::ConflictingResources => "gates::conflicting-resources",
            Code::DurationOutOfRange => "gates::duration-out-of-range",
            Code::DuplicateGate => "gates::duplicate-gate",
            Code::DuplicateRule => "gates::duplicate-rule",
            Code::EnvAndEnvs => "gates::env-and-envs",
            Code::DuplicateEnv => "gates::duplicate-env",
            Code::UnknownPlaceholder => "gates::unknown-placeholder",
            Code::BadPattern => "gates::bad-pattern",
            Code::OutOfRange => "gates::out-of-range",
            Code::MultipleDocuments => "gates::multiple-documents",
            Code::UnsupportedTag => "gates::unsupported-tag",
            Code::LimitExceeded => "gates::limit-exceeded",
            Code::InvalidCharacter => "gates::invalid-character",
            Code::QueryMatchesNoMonitor => "gates::query-matches-no-monitor",
            Code::QueryMatchesTooMany => "gates::query-matches-too-many",
            Code::QueryMonitorsFailing => "gates::query-monitors-failing",
        }
    }
}

/// One problem in a configuration file.
#[derive(Clone, Debug)]
pub struct ConfigDiagnostic {
    pub code: Code,
    pub message: String,
    pub help: Option<String>,
    pub source: Arc<NamedSource<String>>,
    pub labels: Vec<(Span, String)>,
    /// Further places, possibly in other files (the first of two duplicate gates).
    pub related: Vec<ConfigDiagnostic>,
    /// Related entries are notes, not errors of their own.
    pub advice: bool,
    /// A warning rather than an error.
    pub warning: bool,
    /// A note: worth knowing, not a problem of the file.
    pub note: bool,
}

impl ConfigDiagnostic {
    pub fn new(
        code: Code,
        source: &Arc<NamedSource<String>>,
        span: Span,
        label: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ConfigDiagnostic {
            code,
            message: message.into(),
            help: None,
            source: Arc::clone(source),
            labels: vec![(span, label.into())],
            related: Vec::new(),
            advice: false,
            warning: false,
            note: false,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, span: Span, label: impl Into<String>) -> Self {
        self.labels.push((span, label.into()));
        self
    }

    pub fn with_related(mut self, mut note: ConfigDiagnostic) -> Self {
        note.advice = true;
        self.related.push(note);
        self
    }

    /// A warning (from the online checks), not an error of the file.
    pub fn is_warning(&self) -> bool {
        self.warning
    }

    pub fn as_warning(mut self) -> Self {
        self.warning = true;
        self
    }

    pub fn as_note(mut self) -> Self {
        self.note = true;
        self
    }

    /// "error", "warning" or "note", for machines.
    pub fn severity_name(&self) -> &'static str {
        if self.note {
            "note"
        } else if self.warning {
            "warning"
        } else {
            "error"
        }
    }

    /// 1-based line of the first label, for sorting and for tests.
    pub fn line(&self) -> usize {
        let at = self.labels.first().map_or(0, |(s, _)| s.start);
        self.source.inner()[..at.min(self.source.inner().len())].matches('\n').count() + 1
    }

    pub fn file_name(&self) -> &str {
        self.source.name()
    }
}

impl fmt::Display for ConfigDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigDiagnostic {}

impl Diagnostic for ConfigDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        (!self.advice).then(|| Box::new(self.code.as_str()) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(if self.advice || self.note {
            miette::Severity::Advice
        } else if self.warning {
            miette::Severity::Warning
        } else {
            miette::Severity::Error
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        Some(&*self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(|(i, (span, label))| {
            let label = (!label.is_empty()).then(|| label.clone());
            if i == 0 {
                LabeledSpan::new_primary_with_span(label, span.clone())
            } else {
                LabeledSpan::new_with_span(label, span.clone())
            }
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|d| d as &dyn Diagnostic)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique() {
        let mut names: Vec<_> = Code::ALL.iter().map(|c| c.as_str()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Code::ALL.len());
    }
}
