//! Validation diagnostics: each carries a stable code, labels on the source and a help line.

use std::fmt;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};

/// A byte range in a file's text.
pub type Span = std::ops::Range<usize>;

/// Declares the codes once: the enum, the list of all of them, and their stable names.
macro_rules! codes {
    ($($(#[$doc:meta])* $code:ident => $name:literal,)*) => {
        /// Stable diagnostic codes: scripts and docs may rely on them, so never renumber or rename.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum Code {
            $($(#[$doc])* $code,)*
        }

        impl Code {
            #[cfg(test)]
            pub const ALL: &'static [Code] = &[$(Code::$code,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$code => $name,)*
                }
            }
        }
    };
}

codes! {
    Syntax => "gates::syntax",
    UnknownKey => "gates::unknown-key",
    DuplicateKey => "gates::duplicate-key",
    MissingKey => "gates::missing-key",
    EmptyValue => "gates::empty-value",
    WrongType => "gates::wrong-type",
    UnsupportedVersion => "gates::unsupported-version",
    UnknownRuleType => "gates::unknown-rule-type",
    /// A monitor rule with neither `query` nor `monitor_ids`.
    MissingQuery => "gates::missing-query",
    QueryNotAllowed => "gates::query-not-allowed",
    ResourcesNotAllowed => "gates::resources-not-allowed",
    ConflictingResources => "gates::conflicting-resources",
    DurationOutOfRange => "gates::duration-out-of-range",
    DuplicateGate => "gates::duplicate-gate",
    DuplicateRule => "gates::duplicate-rule",
    EnvAndEnvs => "gates::env-and-envs",
    DuplicateEnv => "gates::duplicate-env",
    UnknownPlaceholder => "gates::unknown-placeholder",
    BadPattern => "gates::bad-pattern",
    OutOfRange => "gates::out-of-range",
    MultipleDocuments => "gates::multiple-documents",
    UnsupportedTag => "gates::unsupported-tag",
    LimitExceeded => "gates::limit-exceeded",
    InvalidCharacter => "gates::invalid-character",
    QueryMatchesNoMonitor => "gates::query-matches-no-monitor",
    QueryMatchesTooMany => "gates::query-matches-too-many",
    QueryMonitorsFailing => "gates::query-monitors-failing",
    /// A monitor rule with both `query` and `monitor_ids`.
    QueryAndMonitorIds => "gates::query-and-monitor-ids",
    BadMonitorId => "gates::bad-monitor-id",
    DuplicateMonitorId => "gates::duplicate-monitor-id",
    /// A monitor rule's option (`warmup`, `monitor_ids` …) on a faulty deployment detection rule.
    OptionNotAllowed => "gates::option-not-allowed",
    /// An option gatesctl models, written in `extra_options`.
    KnownExtraOption => "gates::known-extra-option",
    /// Online: a monitor of `monitor_ids` does not exist.
    MonitorNotFound => "gates::monitor-not-found",
    /// Online: a group of `monitor_ids` that the monitor does not have.
    MonitorGroupNotFound => "gates::monitor-group-not-found",
    /// Online: a monitor of `monitor_ids` is in ALERT or NO DATA right now.
    MonitorFailing => "gates::monitor-failing",
    /// A `[[policy]]` level other than error or warning.
    UnknownLevel => "gates::unknown-level",
    /// A `require` entry outside the closed set.
    UnknownRequirement => "gates::unknown-requirement",
    /// A date that is not `YYYY-MM-DD`.
    BadDate => "gates::bad-date",
    /// Two policies of one name.
    DuplicatePolicy => "gates::duplicate-policy",
    /// A service and env in a policy's scope without a gate.
    PolicyMissingGate => "policy::missing-gate",
    /// A gate in dry run, or whose rules all are.
    PolicyNoEnforcedRule => "policy::no-enforced-rule",
    /// A gate without a monitor rule that watches something.
    PolicyNoMonitorRule => "policy::no-monitor-rule",
    /// A gate without a faulty deployment detection rule.
    PolicyNoFaultyDeploymentDetection => "policy::no-faulty-deployment-detection",
    /// A rule watching for less than `min_rule_duration`.
    PolicyRuleTooShort => "policy::rule-too-short",
    /// A gate or rule in dry run longer than `max_dry_run_days`.
    PolicyDryRunTooLong => "policy::dry-run-too-long",
    /// Fewer deployments through an enforcing gate than `min_coverage_percent`.
    PolicyCoverageBelow => "policy::coverage-below",
    /// An exception past its end date.
    PolicyExceptionExpired => "policy::exception-expired",
}

/// How much a diagnostic matters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A problem of the file: it is not valid.
    Error,
    /// A problem the online checks found (or a warning-level policy broken): shown, not failed.
    Warning,
    /// Worth knowing, not a problem of the file (a monitor failing now).
    Note,
    /// A further place of another diagnostic (the first of two duplicates), not one of its own.
    Advice,
}

impl Severity {
    /// "error", "warning" or "note" (advice is a note), for machines.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note | Severity::Advice => "note",
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
    pub severity: Severity,
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
            severity: Severity::Error,
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
        note.severity = Severity::Advice;
        self.related.push(note);
        self
    }

    pub(crate) fn into_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    pub(crate) fn into_note(mut self) -> Self {
        self.severity = Severity::Note;
        self
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
        (self.severity != Severity::Advice).then(|| Box::new(self.code.as_str()) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Advice | Severity::Note => miette::Severity::Advice,
            Severity::Warning => miette::Severity::Warning,
            Severity::Error => miette::Severity::Error,
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

    #[test]
    fn every_code_is_documented() {
        let pages = [include_str!("../../../docs/validate.md"), include_str!("../../../docs/policy.md")];
        let missing: Vec<_> = Code::ALL
            .iter()
            .map(|c| c.as_str())
            .filter(|name| !pages.iter().any(|page| page.contains(&format!("| `{name}` |"))))
            .collect();
        assert!(missing.is_empty(), "docs/validate.md and docs/policy.md have no row for {missing:?}");
    }
}
