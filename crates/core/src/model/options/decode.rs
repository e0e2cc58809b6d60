//! Reading options from any document (a spanned file, or the JSON of the API, of datadog-ci or
//! of Terraform), with every problem typed and placed.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

use super::*;
use crate::model::{RuleType, MAX_DURATION};

/// A value of a document, as the decoder sees it.
pub enum View<'a, N: ?Sized> {
    /// Absent (JSON null): the same as a key left out.
    Null,
    Bool(bool),
    Int(i64),
    Str(&'a str),
    List(Vec<&'a N>),
    Map(Vec<(&'a str, &'a N)>),
    /// Something the options never hold, named for messages ("a float", "null").
    Other(&'static str),
}

impl<N: ?Sized> View<'_, N> {
    pub fn kind(&self) -> &'static str {
        match self {
            View::Null => "null",
            View::Bool(_) => "a boolean",
            View::Int(_) => "an integer",
            View::Str(_) => "a string",
            View::List(_) => "a list",
            View::Map(_) => "a table",
            View::Other(kind) => kind,
        }
    }
}

impl View<'_, Value> {
    pub fn of(value: &Value) -> View<'_, Value> {
        match value {
            Value::Null => View::Null,
            Value::Bool(b) => View::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => View::Int(i),
                None if n.is_u64() => View::Other("a number too large"),
                None => View::Other("a number with a fraction"),
            },
            Value::String(s) => View::Str(s),
            Value::Array(items) => View::List(items.iter().collect()),
            Value::Object(map) => View::Map(map.iter().map(|(k, v)| (k.as_str(), v)).collect()),
        }
    }
}

/// A document's value that may hold rule options.
pub trait OptionValue {
    fn view(&self) -> View<'_, Self>;
    /// The value as JSON, for options kept as they are.
    fn to_json(&self) -> Value;
}

impl OptionValue for Value {
    fn view(&self) -> View<'_, Value> {
        View::of(self)
    }

    fn to_json(&self) -> Value {
        self.clone()
    }
}

/// What to do with a key that is no option gatesctl models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unknown {
    /// Keep it, as the API's answers must be kept.
    Keep,
    /// Refuse it, with a "did you mean" (datadog-ci and Terraform files).
    Refuse,
    /// The caller has reported it already (a configuration file's rule).
    Ignore,
}

/// One step of the way to a value inside the options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Where a problem is: `monitor_ids[1].id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Place(pub Vec<Step>);

impl Place {
    fn key(key: &str) -> Place {
        Place(vec![Step::Key(key.to_string())])
    }

    fn then(&self, step: Step) -> Place {
        let mut steps = self.0.clone();
        steps.push(step);
        Place(steps)
    }

    /// The option the problem is about.
    pub fn option(&self) -> Option<&str> {
        match self.0.first() {
            Some(Step::Key(k)) => Some(k),
            _ => None,
        }
    }

    /// Whether the problem is about the option as a whole, not a part of its value.
    pub fn is_option(&self) -> bool {
        self.0.len() == 1
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Key(k) if i == 0 => f.write_str(k)?,
                Step::Key(k) => write!(f, ".{k}")?,
                Step::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// What is wrong with options.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    WrongType {
        expected: &'static str,
        found: &'static str,
    },
    /// An empty text, or an empty list where one is needed.
    Empty,
    /// A number outside the range the API accepts.
    OutOfRange {
        min: u64,
        max: Option<u64>,
        found: i64,
    },
    /// An option rules of this type do not take.
    NotForType(RuleType),
    /// Two options that exclude each other, both given; the place is the second.
    Conflict(OptionName, OptionName),
    /// A monitor rule with neither `query` nor `monitor_ids`.
    NoMonitors,
    /// A monitor id that is not a whole number.
    BadMonitorId,
    /// A monitor listed twice in `monitor_ids`; `first` is the entry it was first listed at.
    DuplicateMonitor {
        id: u64,
        first: usize,
    },
    /// A `monitor_ids` entry without its `id`.
    MissingId,
    /// A key nothing knows; with the closest known one.
    UnknownKey {
        suggestion: Option<&'static str>,
    },
}

/// A problem with options, and where it is.
pub struct Problem {
    pub kind: ProblemKind,
    pub place: Place,
}

impl fmt::Debug for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self)
    }
}

impl Problem {
    /// What is wrong, without where: readers say where in their own way.
    pub fn message(&self) -> String {
        match &self.kind {
            ProblemKind::WrongType { expected, found } => format!("must be {expected}, not {found}"),
            ProblemKind::Empty
                if self.place.option() == Some(OptionName::MonitorIds.as_str()) && self.place.is_option() =>
            {
                "needs at least one monitor".to_string()
            }
            ProblemKind::Empty => "is empty".to_string(),
            ProblemKind::OutOfRange { min, max: Some(max), found } => {
                format!("{found} is out of range: give {min} to {max} seconds")
            }
            ProblemKind::OutOfRange { min, max: None, found } => {
                format!("{found} is out of range: give {min} seconds or more")
            }
            ProblemKind::NotForType(t) => format!("does not apply to a {t} rule"),
            ProblemKind::Conflict(a, b) => format!("`{a}` and `{b}` cannot both be given: keep one"),
            ProblemKind::NoMonitors => "a monitor rule needs `query` or `monitor_ids`".to_string(),
            ProblemKind::BadMonitorId => {
                "is not a monitor id: give a whole number (123) or one written as a decimal string (\"123\")"
                    .to_string()
            }
            ProblemKind::DuplicateMonitor { id, first } => {
                format!("monitor {id} is listed twice (first at monitor_ids[{first}])")
            }
            ProblemKind::MissingId => "has no `id`".to_string(),
            ProblemKind::UnknownKey { suggestion: Some(s) } => format!("unknown key (did you mean `{s}`?)"),
            ProblemKind::UnknownKey { suggestion: None } => "unknown key".to_string(),
        }
    }
}

/// `place: message`, or the message alone for a problem of the options as a whole.
impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.0.is_empty() {
            f.write_str(&self.message())
        } else {
            write!(f, "{}: {}", self.place, self.message())
        }
    }
}

/// Collects problems while reading values of one kind (file nodes, API JSON).
struct Reader<'a, N: ?Sized> {
    problems: Vec<Problem>,
    values: std::marker::PhantomData<&'a N>,
}

impl<'a, N: OptionValue + ?Sized> Reader<'a, N> {
    fn report(&mut self, kind: ProblemKind, place: Place) {
        self.problems.push(Problem { kind, place });
    }

    fn wrong(&mut self, expected: &'static str, place: Place, value: &'a N) {
        let found = value.view().kind();
        self.report(ProblemKind::WrongType { expected, found }, place);
    }

    fn seconds(&mut self, place: Place, value: &'a N, max: Option<u64>) -> Option<u64> {
        match value.view() {
            View::Int(n) if n >= 0 && max.is_none_or(|m| n as u64 <= m) => Some(n as u64),
            View::Int(n) => {
                self.report(ProblemKind::OutOfRange { min: 0, max, found: n }, place);
                None
            }
            _ => {
                self.wrong("a whole number of seconds", place, value);
                None
            }
        }
    }

    fn flag(&mut self, place: Place, value: &'a N) -> Option<bool> {
        match value.view() {
            View::Bool(b) => Some(b),
            _ => {
                self.wrong("true or false", place, value);
                None
            }
        }
    }

    fn text(&mut self, place: Place, value: &'a N) -> Option<String> {
        match value.view() {
            View::Str(s) if s.trim().is_empty() => {
                self.report(ProblemKind::Empty, place);
                None
            }
            View::Str(s) => Some(s.to_string()),
            _ => {
                self.wrong("a string", place, value);
                None
            }
        }
    }

    /// A list of non-empty strings; every other entry is reported.
    fn texts(&mut self, place: Place, value: &'a N) -> Option<Vec<String>> {
        let View::List(items) = value.view() else {
            self.wrong("a list of strings", place, value);
            return None;
        };
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            match self.text(place.then(Step::Index(i)), item) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn monitor_id(&mut self, place: Place, value: &'a N) -> Option<u64> {
        let id = match value.view() {
            View::Int(n) => u64::try_from(n).ok(),
            View::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
            View::Str(_) => None,
            _ => {
                self.wrong("a monitor id (a whole number)", place, value);
                return None;
            }
        };
        if id.is_none() {
            self.report(ProblemKind::BadMonitorId, place);
        }
        id
    }

    fn monitor_ids(&mut self, place: Place, value: &'a N) -> Option<Vec<MonitorRef>> {
        let View::List(items) = value.view() else {
            self.wrong("a list of monitors ({ id = 123, groups = [\"region:eu\"] })", place, value);
            return None;
        };
        if items.is_empty() {
            self.report(ProblemKind::Empty, place);
            return None;
        }
        let mut out: Vec<MonitorRef> = Vec::new();
        let mut firsts: BTreeMap<u64, usize> = BTreeMap::new();
        let mut ok = true;
        for (i, item) in items.into_iter().enumerate() {
            let at = place.then(Step::Index(i));
            // An entry with a readable id counts for duplicates even when the rest is wrong.
            let (id, groups) = match item.view() {
                // A bare id stands for the whole monitor.
                View::Int(_) | View::Str(_) => (self.monitor_id(at.clone(), item), Some(Vec::new())),
                View::Map(fields) => self.monitor_entry(&at, &fields),
                _ => {
                    self.wrong("a monitor ({ id = 123, groups = [\"region:eu\"] })", at.clone(), item);
                    (None, None)
                }
            };
            if let Some(id) = id {
                if let Some(first) = firsts.get(&id) {
                    self.report(ProblemKind::DuplicateMonitor { id, first: *first }, at);
                    ok = false;
                    continue;
                }
                firsts.insert(id, i);
            }
            match (id, groups) {
                (Some(id), Some(groups)) => out.push(MonitorRef { id, groups }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The id and groups of one `{ id, groups }` entry, each when readable.
    fn monitor_entry(&mut self, at: &Place, fields: &[(&'a str, &'a N)]) -> (Option<u64>, Option<Vec<String>>) {
        const FIELDS: [&str; 2] = ["id", "groups"];
        let mut ok = true;
        for (key, _) in fields {
            if !FIELDS.contains(key) {
                let suggestion = crate::suggest::suggest(key, FIELDS);
                self.report(ProblemKind::UnknownKey { suggestion }, at.then(Step::Key(key.to_string())));
                ok = false;
            }
        }
        let field =
            |name: &str| fields.iter().find(|(k, v)| *k == name && !matches!(v.view(), View::Null)).map(|(_, v)| *v);
        let id = match field("id") {
            Some(value) => self.monitor_id(at.then(Step::Key("id".into())), value),
            None => {
                self.report(ProblemKind::MissingId, at.clone());
                None
            }
        };
        let groups = match field("groups") {
            Some(value) => self.texts(at.then(Step::Key("groups".into())), value),
            None => Some(Vec::new()),
        };
        (id, groups.filter(|_| ok))
    }
}

/// Reads the options of a rule of type `rule_type` from a document's `entries` (its options
/// object, or the option keys of a file's rule). Returns the options when nothing is wrong,
/// and every problem found, each with its place, so that one reading reports them all.
pub fn decode<'a, N: OptionValue + ?Sized>(
    rule_type: RuleType,
    entries: &[(&'a str, &'a N)],
    unknown: Unknown,
) -> (Option<RuleOptions>, Vec<Problem>) {
    let mut r: Reader<'a, N> = Reader { problems: Vec::new(), values: std::marker::PhantomData };
    let mut extra = BTreeMap::new();
    // Present options: a null is the same as left out (Terraform writes unset attributes so).
    let mut given: BTreeMap<OptionName, &'a N> = BTreeMap::new();
    for (key, value) in entries {
        match OptionName::parse(key) {
            Some(_) if matches!(value.view(), View::Null) => {}
            Some(name) if !name.applies_to(rule_type) => r.report(ProblemKind::NotForType(rule_type), Place::key(key)),
            Some(name) => {
                given.insert(name, *value);
            }
            None => match unknown {
                Unknown::Keep => {
                    extra.insert(key.to_string(), value.to_json());
                }
                Unknown::Refuse => {
                    let names = OptionName::of(rule_type).map(OptionName::as_str);
                    let suggestion = crate::suggest::suggest(key, names);
                    r.report(ProblemKind::UnknownKey { suggestion }, Place::key(key));
                }
                Unknown::Ignore => {}
            },
        }
    }
    let at = |name: OptionName| Place::key(name.as_str());
    let duration =
        given.get(&OptionName::Duration).and_then(|v| r.seconds(at(OptionName::Duration), v, Some(MAX_DURATION)));
    let settings = match rule_type {
        RuleType::Monitor => {
            let query = given.get(&OptionName::Query).map(|v| r.text(at(OptionName::Query), v));
            let ids = given.get(&OptionName::MonitorIds).map(|v| r.monitor_ids(at(OptionName::MonitorIds), v));
            let warmup = given.get(&OptionName::Warmup).map(|v| r.seconds(at(OptionName::Warmup), v, None));
            let no_data = given.get(&OptionName::FailOnNoData).map(|v| r.flag(at(OptionName::FailOnNoData), v));
            let no_groups =
                given.get(&OptionName::FailOnNoGroupsFound).map(|v| r.flag(at(OptionName::FailOnNoGroupsFound), v));
            let watch = match (query, ids) {
                (Some(_), Some(_)) => {
                    r.report(
                        ProblemKind::Conflict(OptionName::Query, OptionName::MonitorIds),
                        at(OptionName::MonitorIds),
                    );
                    None
                }
                (None, None) => {
                    r.report(ProblemKind::NoMonitors, Place::default());
                    None
                }
                (Some(query), None) => query.map(Watch::Query),
                (None, Some(ids)) => ids.map(Watch::Monitors),
            };
            watch.map(|watch| {
                Settings::Monitor(MonitorSettings {
                    watch,
                    duration,
                    warmup: warmup.flatten().unwrap_or(DEFAULT_WARMUP),
                    fail_on_no_data: no_data.flatten().unwrap_or(DEFAULT_FAIL_ON_NO_DATA),
                    fail_on_no_groups_found: no_groups.flatten().unwrap_or(DEFAULT_FAIL_ON_NO_GROUPS_FOUND),
                })
            })
        }
        RuleType::FaultyDeploymentDetection => {
            let mut list = |name: OptionName| given.get(&name).and_then(|v| r.texts(at(name), v)).unwrap_or_default();
            let excluded_resources = list(OptionName::ExcludedResources);
            let allowed_resources = list(OptionName::AllowedResources);
            if !excluded_resources.is_empty() && !allowed_resources.is_empty() {
                r.report(
                    ProblemKind::Conflict(OptionName::ExcludedResources, OptionName::AllowedResources),
                    at(OptionName::AllowedResources),
                );
            }
            Some(Settings::FaultyDeploymentDetection(FddSettings { duration, excluded_resources, allowed_resources }))
        }
    };
    let options = settings.filter(|_| r.problems.is_empty()).map(|settings| RuleOptions { settings, extra });
    (options, r.problems)
}
