//! Selecting gates by name or glob, as `[manage]`, `--target` and `import --service` all do.

use super::GateKey;

/// Exact names or globs (`pay*`); no pattern at all matches every name.
#[derive(Clone, Debug, Default)]
pub(crate) struct NamePatterns(Vec<glob::Pattern>);

impl NamePatterns {
    /// Each text as a glob; the first invalid one is returned with the reason.
    pub(crate) fn parse<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<NamePatterns, (String, String)> {
        texts
            .into_iter()
            .map(|t| glob::Pattern::new(t).map_err(|e| (t.to_string(), e.msg.to_string())))
            .collect::<Result<_, _>>()
            .map(NamePatterns)
    }

    pub(crate) fn from_patterns(patterns: Vec<glob::Pattern>) -> NamePatterns {
        NamePatterns(patterns)
    }

    pub(crate) fn matches(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p.matches(name))
    }

    /// No pattern: every name matches.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The one exact name these patterns match, when they are one name without a glob.
    pub(crate) fn exact(&self) -> Option<&str> {
        match self.0.as_slice() {
            [one] if !one.as_str().contains(['*', '?', '[', ']']) => Some(one.as_str()),
            _ => None,
        }
    }

    pub(crate) fn texts(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(glob::Pattern::as_str)
    }
}

/// Gates whose service, env and identifier each match their patterns.
#[derive(Clone, Debug, Default)]
pub(crate) struct GateFilter {
    pub(crate) services: NamePatterns,
    pub(crate) envs: NamePatterns,
    pub(crate) identifiers: NamePatterns,
}

impl GateFilter {
    pub(crate) fn matches(&self, key: &GateKey) -> bool {
        self.services.matches(&key.service) && self.envs.matches(&key.env) && self.identifiers.matches(&key.identifier)
    }

    /// Whether it lets every gate through.
    pub(crate) fn is_everything(&self) -> bool {
        self.services.is_empty() && self.envs.is_empty() && self.identifiers.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_patterns_match_everything_and_globs_match_names() {
        let filter = GateFilter {
            services: NamePatterns::parse(["pay*", "checkout"]).unwrap(),
            envs: NamePatterns::default(),
            identifiers: NamePatterns::parse(["default"]).unwrap(),
        };
        assert!(filter.matches(&GateKey::new("payments", "prod", "default")));
        assert!(filter.matches(&GateKey::new("checkout", "qa", "default")));
        assert!(!filter.matches(&GateKey::new("search", "prod", "default")));
        assert!(!filter.matches(&GateKey::new("payments", "prod", "canary")));
        assert_eq!(NamePatterns::parse(["[x"]).unwrap_err().0, "[x");
    }
}
