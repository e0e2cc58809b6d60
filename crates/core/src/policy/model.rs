//! An organisation's gate policies as the files declare them (`[[policy]]`): a closed set of
//! checks, a scope, a level, and exceptions with a reason and an end date.

use std::collections::BTreeSet;

use crate::diagnostic::Code;
use crate::model::{GateKey, NamePatterns};
pub use crate::source::Place;

/// How much a broken policy matters, as Sentinel's levels do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Blocks plan and apply (hard-mandatory), and fails the audit.
    Error,
    /// Shown, and passes.
    Warning,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::Error, Level::Warning];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == text)
    }
}

/// What a policy requires of the gates in its scope: the closed set of `require`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Requirement {
    /// Every service and env in scope has a gate.
    Gate,
    /// The gate enforces (not in dry run) with at least one enforcing rule.
    EnforcedRule,
    /// The gate has a monitor rule that watches something.
    MonitorRule,
    /// The gate has a faulty deployment detection rule.
    FaultyDeploymentDetection,
}

impl Requirement {
    pub const ALL: [Requirement; 4] = [
        Requirement::Gate,
        Requirement::EnforcedRule,
        Requirement::MonitorRule,
        Requirement::FaultyDeploymentDetection,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::Gate => "gate",
            Requirement::EnforcedRule => "enforced-rule",
            Requirement::MonitorRule => "monitor-rule",
            Requirement::FaultyDeploymentDetection => "faulty-deployment-detection",
        }
    }

    pub fn parse(text: &str) -> Option<Requirement> {
        Requirement::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Every check a policy can make: its requirements and its thresholds, each with its
/// diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Gate,
    EnforcedRule,
    MonitorRule,
    FaultyDeploymentDetection,
    MinRuleDuration,
    MaxDryRunDays,
    MinCoveragePercent,
    /// An exception whose end date has passed.
    Exception,
}

impl Check {
    pub fn code(self) -> Code {
        match self {
            Check::Gate => Code::PolicyMissingGate,
            Check::EnforcedRule => Code::PolicyNoEnforcedRule,
            Check::MonitorRule => Code::PolicyNoMonitorRule,
            Check::FaultyDeploymentDetection => Code::PolicyNoFaultyDeploymentDetection,
            Check::MinRuleDuration => Code::PolicyRuleTooShort,
            Check::MaxDryRunDays => Code::PolicyDryRunTooLong,
            Check::MinCoveragePercent => Code::PolicyCoverageBelow,
            Check::Exception => Code::PolicyExceptionExpired,
        }
    }

    /// The key of the policy that asks for it, as the file writes it.
    pub fn key(self) -> &'static str {
        match self {
            Check::Gate => "gate",
            Check::EnforcedRule => "enforced-rule",
            Check::MonitorRule => "monitor-rule",
            Check::FaultyDeploymentDetection => "faulty-deployment-detection",
            Check::MinRuleDuration => "min_rule_duration",
            Check::MaxDryRunDays => "max_dry_run_days",
            Check::MinCoveragePercent => "min_coverage_percent",
            Check::Exception => "exception",
        }
    }
}

impl From<Requirement> for Check {
    fn from(r: Requirement) -> Check {
        match r {
            Requirement::Gate => Check::Gate,
            Requirement::EnforcedRule => Check::EnforcedRule,
            Requirement::MonitorRule => Check::MonitorRule,
            Requirement::FaultyDeploymentDetection => Check::FaultyDeploymentDetection,
        }
    }
}

/// A Software Catalog tag query: blank-separated terms that must all hold, each a tag (a glob:
/// `team:pay*`), or `-tag` for one that must not.
#[derive(Clone, Debug)]
pub struct CatalogQuery {
    pub text: String,
    terms: Vec<(bool, glob::Pattern)>,
}

impl CatalogQuery {
    pub fn parse(text: &str) -> Result<CatalogQuery, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let (negated, tag) = match word.strip_prefix('-') {
                Some(tag) => (true, tag),
                None => (false, word),
            };
            if tag.is_empty() {
                return Err(format!("{word:?} names no tag"));
            }
            let pattern = glob::Pattern::new(tag).map_err(|e| format!("{tag:?} is not a valid glob: {}", e.msg))?;
            terms.push((negated, pattern));
        }
        if terms.is_empty() {
            return Err("it names no tag; write one such as \"tier:1\"".into());
        }
        Ok(CatalogQuery { text: text.trim().to_string(), terms })
    }

    pub fn matches(&self, tags: &[String]) -> bool {
        self.terms.iter().all(|(negated, p)| tags.iter().any(|t| p.matches(t)) != *negated)
    }
}

/// Which services and envs a policy holds: each glob set matches (none: all), and, when it has
/// a catalog query, the service is in the Software Catalog with tags that match.
#[derive(Clone, Debug, Default)]
pub struct PolicyScope {
    pub services: NamePatterns,
    pub envs: NamePatterns,
    pub catalog: Option<CatalogQuery>,
}

/// What an exception frees from a policy: one gate, or every gate of a service and env.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExceptionSubject {
    pub service: String,
    pub env: String,
    /// None: every identifier.
    pub identifier: Option<String>,
}

impl ExceptionSubject {
    /// `service/env` or `service/env/identifier`.
    pub fn parse(text: &str) -> Option<ExceptionSubject> {
        let parts: Vec<&str> = text.split('/').collect();
        match parts.as_slice() {
            [s, e] if !s.is_empty() && !e.is_empty() => {
                Some(ExceptionSubject { service: s.to_string(), env: e.to_string(), identifier: None })
            }
            [s, e, i] if !s.is_empty() && !e.is_empty() && !i.is_empty() => {
                Some(ExceptionSubject { service: s.to_string(), env: e.to_string(), identifier: Some(i.to_string()) })
            }
            _ => None,
        }
    }

    pub fn covers_gate(&self, key: &GateKey) -> bool {
        self.service == key.service
            && self.env == key.env
            && self.identifier.as_ref().is_none_or(|i| *i == key.identifier)
    }

    /// Every gate of the place: an exception of one identifier does not cover the place.
    pub fn covers_place(&self, service: &str, env: &str) -> bool {
        self.identifier.is_none() && self.service == service && self.env == env
    }

    pub fn text(&self) -> String {
        match &self.identifier {
            Some(i) => format!("{}/{}/{i}", self.service, self.env),
            None => format!("{}/{}", self.service, self.env),
        }
    }
}

/// A gate, or the gates of a service and env, freed from a policy until a date, for a reason.
#[derive(Clone, Debug)]
pub struct PolicyException {
    pub subject: ExceptionSubject,
    pub reason: String,
    /// The last day it holds (UTC), as days since 1970-01-01.
    pub until_day: i64,
    pub until: String,
    pub place: Option<Place>,
}

/// One `[[policy]]`.
#[derive(Clone, Debug)]
pub struct Policy {
    pub name: String,
    pub description: String,
    pub level: Level,
    pub scope: PolicyScope,
    pub require: BTreeSet<Requirement>,
    pub max_dry_run_days: Option<u32>,
    /// Seconds.
    pub min_rule_duration: Option<u64>,
    pub min_coverage_percent: Option<u32>,
    pub exceptions: Vec<PolicyException>,
    /// Where its name is written.
    pub place: Option<Place>,
}

impl Policy {
    /// The checks it makes.
    pub fn checks(&self) -> Vec<Check> {
        let mut checks: Vec<Check> = self.require.iter().map(|r| Check::from(*r)).collect();
        if self.min_rule_duration.is_some() {
            checks.push(Check::MinRuleDuration);
        }
        if self.max_dry_run_days.is_some() {
            checks.push(Check::MaxDryRunDays);
        }
        if self.min_coverage_percent.is_some() {
            checks.push(Check::MinCoveragePercent);
        }
        checks
    }
}

/// Days since 1970-01-01 of a `YYYY-MM-DD` date, when it is one.
pub fn parse_date(text: &str) -> Option<i64> {
    let at = crate::model::time::parse_rfc3339(&format!("{text}T00:00:00Z")).ok()?;
    (text.len() == 10).then_some(at.div_euclid(crate::model::time::DAY_MS))
}
