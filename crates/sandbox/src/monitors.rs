//! The sandbox's monitors: a list it holds (from a `[[monitors]]` TOML file, a JSON state, or
//! the example organisation's `examples/monitors.toml` in a new state), searched as
//! `GET /api/v1/monitor/search` and monitor rule evaluations both use them, so `evaluate`
//! agrees with what `plan` reports.
//!
//! The search understands a documented subset of Datadog's monitor search syntax:
//! - terms are separated by blanks and must all hold (`AND` between them is allowed too);
//! - `key:value` is a tag the monitor carries (`service:checkout`, `team:payments`), and
//!   `tag:value` the tag `value` itself (`tag:deployment-gate`, `tag:"env:prod"`);
//! - `status:` (`ok`, `alert`, `warn`, `no_data`), `type:`, `id:` and `priority:` (`p1`…`p5`)
//!   match those fields; `title:word` or a bare word matches within the monitor's name;
//! - values compare without regard to case; one ending in `*` matches by prefix;
//! - `-term` or `NOT term` excludes;
//! - `OR` and parentheses are not supported: such a search is answered 400, saying so.

use super::error::SandboxError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The example organisation's monitors, which a new sandbox state starts with.
const EXAMPLE: &str = include_str!("../../../examples/monitors.toml");

/// A monitor's overall state, as the API names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MonitorStatus {
    #[default]
    Ok,
    Warn,
    Alert,
    NoData,
}

impl MonitorStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            MonitorStatus::Ok => "OK",
            MonitorStatus::Warn => "Warn",
            MonitorStatus::Alert => "Alert",
            MonitorStatus::NoData => "No Data",
        }
    }

    /// How bad the state is, for a multi-alert monitor's overall state.
    fn severity(self) -> u8 {
        match self {
            MonitorStatus::Ok => 0,
            MonitorStatus::Warn => 1,
            MonitorStatus::NoData => 2,
            MonitorStatus::Alert => 3,
        }
    }

    /// `ok`, `alert`, `warn`, and `no data` / `no_data` / `nodata`, in any case.
    fn parse(text: &str) -> Option<MonitorStatus> {
        match text.to_ascii_lowercase().replace(['_', ' '], "").as_str() {
            "ok" => Some(MonitorStatus::Ok),
            "warn" | "warning" => Some(MonitorStatus::Warn),
            "alert" => Some(MonitorStatus::Alert),
            "nodata" => Some(MonitorStatus::NoData),
            _ => None,
        }
    }
}

impl Serialize for MonitorStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for MonitorStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        MonitorStatus::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("unknown monitor status {text:?}: use OK, Warn, Alert or No Data"))
        })
    }
}

fn default_type() -> String {
    "metric alert".to_string()
}

/// A monitor the sandbox holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Monitor {
    /// Given when 0 or left out.
    #[serde(default)]
    pub id: u64,
    pub name: String,
    #[serde(default)]
    pub status: MonitorStatus,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default = "default_type", rename = "type")]
    pub monitor_type: String,
    /// The monitor's own query (its metric or log query), shown, never searched.
    #[serde(default)]
    pub query: String,
    /// 1 (highest) to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<u8>,
    /// A multi-alert monitor's groups and the state of each (`{ "region:eu" = "Alert" }`);
    /// none for a simple alert. The monitor's `status` is then the worst of them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub groups: std::collections::BTreeMap<String, MonitorStatus>,
    /// How long it has been in its state when the sandbox answers ("2h"): the API's
    /// `overall_state_modified`, and each failing group's last trigger. Unknown when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_state_for: Option<String>,
    /// When it entered its state (RFC 3339): set from `in_state_for` when the state is stored,
    /// so that time passes for it as for the real service's monitors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_state_since: Option<String>,
}

impl Monitor {
    /// Since when it has been in its state, when it says.
    pub(crate) fn in_state_since_ms(&self) -> Option<i64> {
        if let Some(at) = self.in_state_since.as_deref() {
            return gatesctl_core::model::time::parse_rfc3339(at).ok();
        }
        let d = humantime::parse_duration(self.in_state_for.as_deref()?).ok()?;
        Some(gatesctl_core::model::time::now_ms() - d.as_millis() as i64)
    }

    /// This monitor with its state's start fixed, counted back from now.
    pub(crate) fn anchored(mut self) -> Monitor {
        if self.in_state_since.is_none() {
            self.in_state_since = self.in_state_since_ms().map(gatesctl_core::model::time::format_rfc3339);
        }
        self
    }

    /// The groups a rule can watch, each with its state: the monitor's own groups, or the
    /// monitor as its one group (named "") when it has none.
    pub(crate) fn group_states(&self) -> Vec<(&str, MonitorStatus)> {
        if self.groups.is_empty() {
            vec![("", self.status)]
        } else {
            self.groups.iter().map(|(g, s)| (g.as_str(), *s)).collect()
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorFile {
    #[serde(default)]
    monitors: Vec<Monitor>,
}

/// Gives monitors without an id the next free one, and checks what a file may get wrong.
pub(crate) fn checked(mut monitors: Vec<Monitor>) -> Result<Vec<Monitor>, SandboxError> {
    let mut next = monitors.iter().map(|m| m.id).max().unwrap_or(0).max(1_000_000) + 1;
    let mut seen = std::collections::BTreeSet::new();
    for (i, m) in monitors.iter_mut().enumerate() {
        if m.name.trim().is_empty() {
            return Err(SandboxError::Monitors(format!("monitor #{} has no name", i + 1)));
        }
        if let Some(p) = m.priority.filter(|p| !(1..=5).contains(p)) {
            return Err(SandboxError::Monitors(format!("monitor {:?}: priority {p} is not from 1 to 5", m.name)));
        }
        if m.id == 0 {
            m.id = next;
            next += 1;
        }
        if let Some(d) = m.in_state_for.as_deref().filter(|d| humantime::parse_duration(d).is_err()) {
            return Err(SandboxError::Monitors(format!(
                "monitor {:?}: in_state_for {d:?} is not a duration such as \"2h\"",
                m.name
            )));
        }
        if let Some(worst) = m.groups.values().max_by_key(|s| s.severity()) {
            m.status = *worst;
        }
        if !seen.insert(m.id) {
            return Err(SandboxError::Monitors(format!("monitor {:?}: id {} is used twice", m.name, m.id)));
        }
    }
    Ok(monitors)
}

/// Monitors from a TOML file of `[[monitors]]` tables.
pub fn parse_file(text: &str) -> Result<Vec<Monitor>, SandboxError> {
    let file: MonitorFile = toml::from_str(text).map_err(|e| SandboxError::Monitors(e.to_string()))?;
    checked(file.monitors)
}

pub fn load(path: &std::path::Path) -> Result<Vec<Monitor>, SandboxError> {
    let file = |detail: String| SandboxError::File { path: path.to_path_buf(), detail };
    let text = gatesctl_fs::read::document(path).map(|(text, _)| text).map_err(|e| file(e.to_string()))?;
    parse_file(&text).map_err(|e| file(e.to_string()))
}

/// The example organisation's monitors.
pub(crate) fn example() -> Vec<Monitor> {
    parse_file(EXAMPLE).expect("examples/monitors.toml is valid")
}

/// What one term of a search asks of a monitor.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Test {
    /// A tag, `key:value` or a bare tag.
    Tag(String),
    Status(MonitorStatus),
    Type(String),
    Id(u64),
    Priority(u8),
    /// Within the name.
    Title(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Term {
    negated: bool,
    test: Test,
}

/// A parsed monitor search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Search {
    terms: Vec<Term>,
}

/// Splits on blanks outside double quotes, dropping the quotes.
fn words(query: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    let mut started = false;
    for c in query.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                started = true;
            }
            c if c.is_whitespace() && !quoted => {
                if started {
                    words.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            c => {
                word.push(c);
                started = true;
            }
        }
    }
    if quoted {
        return Err("a double quote is not closed".into());
    }
    if started {
        words.push(word);
    }
    Ok(words)
}

/// `value*` matches by prefix; otherwise equal, without regard to case.
fn same(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.to_lowercase().starts_with(&prefix.to_lowercase()),
        None => pattern.to_lowercase() == value.to_lowercase(),
    }
}

impl Search {
    pub(crate) fn parse(query: &str) -> Result<Search, String> {
        let unsupported = |what: &str| {
            Err(format!(
                "{what} is not supported by the sandbox's monitor search (terms joined by AND, key:value tags, status:, type:, id:, priority:, -term)"
            ))
        };
        let mut terms = Vec::new();
        let mut negate_next = false;
        for word in words(query)? {
            match word.as_str() {
                "AND" => continue,
                "NOT" => {
                    negate_next = true;
                    continue;
                }
                "OR" => return unsupported("OR"),
                _ => {}
            }
            if word.contains(['(', ')']) {
                return unsupported("a parenthesis");
            }
            let (negated, text) = match word.strip_prefix('-') {
                Some(rest) if !rest.is_empty() => (true, rest),
                _ => (false, word.as_str()),
            };
            let test = match text.split_once(':') {
                None => Test::Title(text.to_lowercase()),
                Some((key, value)) => match key.to_ascii_lowercase().as_str() {
                    "tag" | "tags" => Test::Tag(value.to_string()),
                    "status" => Test::Status(
                        MonitorStatus::parse(value).ok_or_else(|| format!("unknown monitor status {value:?}"))?,
                    ),
                    "type" => Test::Type(value.to_string()),
                    "id" => Test::Id(value.parse().map_err(|_| format!("monitor id {value:?} is not a number"))?),
                    "priority" => {
                        let digits = value.trim_start_matches(['p', 'P']);
                        match digits.parse::<u8>() {
                            Ok(p) if (1..=5).contains(&p) => Test::Priority(p),
                            _ => return Err(format!("priority {value:?} is not p1 to p5")),
                        }
                    }
                    "title" | "name" => Test::Title(value.to_lowercase()),
                    _ => Test::Tag(text.to_string()),
                },
            };
            terms.push(Term { negated: negated != negate_next, test });
            negate_next = false;
        }
        Ok(Search { terms })
    }

    pub(crate) fn matches(&self, monitor: &Monitor) -> bool {
        self.terms.iter().all(|term| {
            let holds = match &term.test {
                Test::Tag(tag) => monitor.tags.iter().any(|t| same(tag, t)),
                Test::Status(s) => monitor.status == *s,
                Test::Type(t) => same(t, &monitor.monitor_type) || same(&format!("{t} alert"), &monitor.monitor_type),
                Test::Id(id) => monitor.id == *id,
                Test::Priority(p) => monitor.priority == Some(*p),
                Test::Title(word) => match word.strip_suffix('*') {
                    Some(prefix) => monitor.name.to_lowercase().contains(prefix),
                    None => monitor.name.to_lowercase().contains(word.as_str()),
                },
            };
            holds != term.negated
        })
    }

    /// The monitors matching, in id order.
    pub(crate) fn run<'a>(&self, monitors: &'a [Monitor]) -> Vec<&'a Monitor> {
        let mut found: Vec<&Monitor> = monitors.iter().filter(|m| self.matches(m)).collect();
        found.sort_by_key(|m| m.id);
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn monitor(name: &str, status: MonitorStatus, tags: &[&str]) -> Monitor {
        Monitor {
            id: 0,
            name: name.into(),
            status,
            tags: tags.iter().map(|t| t.to_string()).collect(),
            monitor_type: default_type(),
            query: String::new(),
            priority: Some(1),
            groups: Default::default(),
            in_state_for: None,
            in_state_since: None,
        }
    }

    fn names(query: &str, monitors: &[Monitor]) -> Vec<String> {
        Search::parse(query).unwrap().run(monitors).into_iter().map(|m| m.name.clone()).collect()
    }

    #[test]
    fn terms_are_tags_fields_or_words_of_the_name_and_all_must_hold() {
        let monitors = checked(vec![
            monitor("Checkout errors", MonitorStatus::Ok, &["service:checkout", "env:prod", "deployment-gate"]),
            monitor("Checkout latency", MonitorStatus::Alert, &["service:checkout", "env:prod"]),
            monitor("Search latency", MonitorStatus::NoData, &["service:search", "env:prod"]),
        ])
        .unwrap();
        assert_eq!(names("service:checkout env:prod", &monitors), ["Checkout errors", "Checkout latency"]);
        assert_eq!(names("service:checkout AND tag:deployment-gate", &monitors), ["Checkout errors"]);
        assert_eq!(names("env:prod status:alert", &monitors), ["Checkout latency"]);
        assert_eq!(names("env:prod status:no_data", &monitors), ["Search latency"]);
        assert_eq!(names("latency -service:search", &monitors), ["Checkout latency"]);
        assert_eq!(names("latency NOT service:checkout", &monitors), ["Search latency"]);
        assert_eq!(names("service:check* priority:p1", &monitors).len(), 2);
        assert_eq!(names("SERVICE:Checkout title:ERRORS", &monitors), ["Checkout errors"]);
        assert_eq!(names("tag:\"service:search\"", &monitors), ["Search latency"]);
        assert!(names("service:checkout env:staging", &monitors).is_empty());
        assert_eq!(names("", &monitors).len(), 3, "an empty search matches every monitor");
    }

    #[test]
    fn what_the_sandbox_cannot_search_is_refused_not_guessed() {
        for query in ["service:a OR service:b", "(service:a)", "status:broken", "priority:p9", "name:\"open"] {
            assert!(Search::parse(query).is_err(), "{query}");
        }
    }

    #[test]
    fn a_monitor_file_is_checked_and_ids_are_given() {
        let monitors =
            parse_file("[[monitors]]\nname = \"A\"\nstatus = \"no data\"\n\n[[monitors]]\nname = \"B\"\nid = 7\n")
                .unwrap();
        assert_eq!(monitors[0].status, MonitorStatus::NoData);
        assert_eq!((monitors[0].id > 1_000_000, monitors[1].id), (true, 7));
        assert!(parse_file("[[monitors]]\nname = \"A\"\nstatsu = \"ok\"\n")
            .unwrap_err()
            .to_string()
            .contains("statsu"));
        assert!(parse_file("[[monitors]]\nname = \"A\"\nstatus = \"red\"\n")
            .unwrap_err()
            .to_string()
            .contains("OK, Warn, Alert"));
        assert!(parse_file("[[monitors]]\nname = \"A\"\nid = 3\n[[monitors]]\nname = \"B\"\nid = 3\n").is_err());
        assert!(!example().is_empty());
    }
}
