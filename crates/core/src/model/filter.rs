//! Selecting gates by name or glob, as `[manage]`, `--target` and `import --service` all do.

use super::GateKey;

/// Exact names or globs (`pay*`); no pattern at all matches every name.
#[derive(Clone, Debug, Default)]
pub struct NamePatterns(Vec<glob::Pattern>);

impl NamePatterns {
    /// Each text as a glob; the first invalid one is returned with the reason.
    pub fn parse<'a>(texts: impl IntoIterator<Item = &'a str>) -> Result<NamePatterns, (String, String)> {
        texts
            .into_iter()
            .map(|t| glob::Pattern::new(t).map_err(|e| (t.to_string(), e.msg.to_string())))
            .collect::<Result<_, _>>()
            .map(NamePatterns)
    }

    pub fn from_patterns(patterns: Vec<glob::Pattern>) -> NamePatterns {
        NamePatterns(patterns)
    }

    pub fn matches(&self, name: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|p| p.matches(name))
    }

    /// No pattern: every name matches.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The one exact name these patterns match, when they are one name without a glob.
    pub fn exact(&self) -> Option<&str> {
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
pub struct GateFilter {
    pub services: NamePatterns,
    pub envs: NamePatterns,
    pub identifiers: NamePatterns,
}

impl GateFilter {
    pub fn matches(&self, key: &GateKey) -> bool {
        self.services.matches(&key.service) && self.envs.matches(&key.env) && self.identifiers.matches(&key.identifier)
    }

    /// Whether it lets every gate through.
    pub fn is_everything(&self) -> bool {
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

/// Exact filters of the gate list: the server lists only what matches.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GateQuery {
    pub service: Option<String>,
    pub env: Option<String>,
    pub identifier: Option<String>,
}

impl GateQuery {
    /// The gate of one key, and only it.
    pub fn key(key: &GateKey) -> GateQuery {
        GateQuery {
            service: Some(key.service.clone()),
            env: Some(key.env.clone()),
            identifier: Some(key.identifier.clone()),
        }
    }
}
