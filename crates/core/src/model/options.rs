//! A rule's options: the one typed model that every reader, writer and renderer uses.
//!
//! - [`OptionName`] is the one list of the options gatesctl models, with the rule types that
//!   take each; the file's keys, the API's keys and the schema all come from it.
//! - [`decode`] reads options from any document through [`OptionValue`] (a spanned file, or
//!   the JSON of the API, of datadog-ci or of Terraform) and reports typed [`Problem`]s, which
//!   each reader places in its own way (a span, a JSON path, an `attribute "…"` detail).
//! - [`RuleOptions::attributes`] is the one list of attributes every output walks; the API
//!   body ([`RuleOptions::to_api`]) and the file's shape ([`RuleOptions::to_file`]) are
//!   written from it.
//!
//! Monitor options equal to their defaults mean the same as options left out: the API omits
//! them in its answers, so a plan compares values, never presence. Options of the API that
//! gatesctl does not model are kept in [`RuleOptions::extra`], sent back unchanged in every
//! update of the rule, and never dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::{RuleType, MAX_DURATION};

/// `warmup` when left out: the monitors are looked at as soon as the deployment starts.
pub const DEFAULT_WARMUP: u64 = 0;
/// `fail_on_no_data` when left out.
pub const DEFAULT_FAIL_ON_NO_DATA: bool = true;
/// `fail_on_no_groups_found` when left out.
pub const DEFAULT_FAIL_ON_NO_GROUPS_FOUND: bool = false;
/// The file's key for options of the API that gatesctl does not model.
pub const EXTRA_OPTIONS: &str = "extra_options";
/// In `extra_options`, a value TOML or YAML cannot hold exactly (null, an integer beyond 64
/// bits, a decimal beyond a double) is written as `{ "$json" = "…" }`: its exact JSON text.
pub const EXACT_JSON: &str = "$json";

/// Whether a file must write `value` as [`EXACT_JSON`] text to keep it exactly: null, a
/// number that neither a 64-bit integer nor a double writes back as the same text, or an
/// object that would itself read as such text.
pub fn needs_exact_text(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Number(n) => file_number(n).is_none(),
        Value::Object(map) => map.len() == 1 && map.contains_key(EXACT_JSON),
        _ => false,
    }
}

/// A number as a file holds it natively, when that keeps its exact text.
pub enum FileNumber {
    Integer(i64),
    Float(f64),
}

pub fn file_number(n: &serde_json::Number) -> Option<FileNumber> {
    let text = n.to_string();
    if let Some(i) = n.as_i64().filter(|i| i.to_string() == text) {
        return Some(FileNumber::Integer(i));
    }
    let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    let back = serde_json::Number::from_f64(f)?;
    (back.to_string() == text).then_some(FileNumber::Float(f))
}

/// The options gatesctl models, in the order every output lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionName {
    Query,
    MonitorIds,
    Duration,
    Warmup,
    FailOnNoData,
    FailOnNoGroupsFound,
    ExcludedResources,
    AllowedResources,
}

impl OptionName {
    pub const ALL: [OptionName; 8] = [
        OptionName::Query,
        OptionName::MonitorIds,
        OptionName::Duration,
        OptionName::Warmup,
        OptionName::FailOnNoData,
        OptionName::FailOnNoGroupsFound,
        OptionName::ExcludedResources,
        OptionName::AllowedResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OptionName::Query => "query",
            OptionName::MonitorIds => "monitor_ids",
            OptionName::Duration => "duration",
            OptionName::Warmup => "warmup",
            OptionName::FailOnNoData => "fail_on_no_data",
            OptionName::FailOnNoGroupsFound => "fail_on_no_groups_found",
            OptionName::ExcludedResources => "excluded_resources",
            OptionName::AllowedResources => "allowed_resources",
        }
    }

    pub fn parse(text: &str) -> Option<OptionName> {
        OptionName::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether rules of type `t` take this option.
    pub fn applies_to(self, t: RuleType) -> bool {
        match self {
            OptionName::Duration => true,
            OptionName::Query
            | OptionName::MonitorIds
            | OptionName::Warmup
            | OptionName::FailOnNoData
            | OptionName::FailOnNoGroupsFound => t == RuleType::Monitor,
            OptionName::ExcludedResources | OptionName::AllowedResources => t == RuleType::FaultyDeploymentDetection,
        }
    }

    /// The options rules of type `t` take, in display order.
    pub fn of(t: RuleType) -> impl Iterator<Item = OptionName> {
        OptionName::ALL.into_iter().filter(move |o| o.applies_to(t))
    }

    /// What the option means, for the schema and `--help`-like listings.
    pub fn describe(self) -> &'static str {
        match self {
            OptionName::Query => "Monitor search query: the monitors it matches are watched (monitor rules; this or `monitor_ids`).",
            OptionName::MonitorIds => "The monitors watched, by id, each with the groups watched (none: every group) (monitor rules; this or `query`).",
            OptionName::Duration => "Seconds to watch, at most the API's limit (900 or more advised for faulty deployment detection).",
            OptionName::Warmup => "Seconds to wait after the deployment starts before the monitors are looked at (monitor rules). Default 0.",
            OptionName::FailOnNoData => "Fail when a watched monitor group is in NO DATA (monitor rules). Default true.",
            OptionName::FailOnNoGroupsFound => "Fail when the query or ids find no monitor group (monitor rules). Default false: such a rule watches nothing and passes.",
            OptionName::ExcludedResources => "APM resources ignored by faulty deployment detection. Not with `allowed_resources`.",
            OptionName::AllowedResources => "The only APM resources faulty deployment detection watches. Not with `excluded_resources`.",
        }
    }
}

impl OptionName {
    /// The JSON Schema of the option's value, as a file writes it.
    pub fn value_schema(self) -> Value {
        let seconds = |max: Option<u64>| match max {
            Some(max) => serde_json::json!({"type": "integer", "minimum": 0, "maximum": max}),
            None => serde_json::json!({"type": "integer", "minimum": 0}),
        };
        let strings = serde_json::json!({"type": "array", "items": {"type": "string", "minLength": 1}});
        let mut schema = match self {
            OptionName::Query => serde_json::json!({"type": "string", "minLength": 1}),
            OptionName::MonitorIds => serde_json::json!({
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {
                            "description": "The monitor's id: a whole number, or one written as a decimal string.",
                            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^[0-9]+$"}],
                        },
                        "groups": {
                            "description": "The groups of the monitor watched, by exact name; none: every group.",
                            "type": "array",
                            "items": {"type": "string", "minLength": 1},
                        },
                    },
                    "required": ["id"],
                    "additionalProperties": false,
                },
            }),
            OptionName::Duration => seconds(Some(MAX_DURATION)),
            OptionName::Warmup => seconds(None),
            OptionName::FailOnNoData | OptionName::FailOnNoGroupsFound => serde_json::json!({"type": "boolean"}),
            OptionName::ExcludedResources | OptionName::AllowedResources => strings,
        };
        schema["description"] = Value::from(self.describe());
        schema
    }
}

impl fmt::Display for OptionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A monitor a rule watches by id, and which of its groups (none: every group).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorRef {
    pub id: u64,
    pub groups: Vec<String>,
}

/// What a monitor rule watches: the monitors a search query matches, or monitors by id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Watch {
    Query(String),
    Monitors(Vec<MonitorRef>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorSettings {
    pub watch: Watch,
    pub duration: Option<u64>,
    pub warmup: u64,
    pub fail_on_no_data: bool,
    pub fail_on_no_groups_found: bool,
}

impl MonitorSettings {
    /// A rule watching `watch`, every other option at its default.
    pub fn watching(watch: Watch) -> MonitorSettings {
        MonitorSettings {
            watch,
            duration: None,
            warmup: DEFAULT_WARMUP,
            fail_on_no_data: DEFAULT_FAIL_ON_NO_DATA,
            fail_on_no_groups_found: DEFAULT_FAIL_ON_NO_GROUPS_FOUND,
        }
    }
}

/// Absent lists are held as empty ones: the API drops empty lists in some periods and keeps
/// them in others, and a plan must settle either way.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FddSettings {
    pub duration: Option<u64>,
    pub excluded_resources: Vec<String>,
    pub allowed_resources: Vec<String>,
}

/// The options gatesctl models, typed by the rule's type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settings {
    Monitor(MonitorSettings),
    FaultyDeploymentDetection(FddSettings),
}

/// A rule's options: those gatesctl models, and those of the API it does not, kept as they are.
#[derive(Clone, Debug)]
pub struct RuleOptions {
    pub settings: Settings,
    /// Options gatesctl does not model, by key: never dropped, sent back unchanged.
    pub extra: BTreeMap<String, Value>,
}

impl RuleOptions {
    pub fn monitor(settings: MonitorSettings) -> RuleOptions {
        RuleOptions { settings: Settings::Monitor(settings), extra: BTreeMap::new() }
    }

    pub fn fdd(settings: FddSettings) -> RuleOptions {
        RuleOptions { settings: Settings::FaultyDeploymentDetection(settings), extra: BTreeMap::new() }
    }
}

impl RuleOptions {
    pub fn rule_type(&self) -> RuleType {
        match self.settings {
            Settings::Monitor(_) => RuleType::Monitor,
            Settings::FaultyDeploymentDetection(_) => RuleType::FaultyDeploymentDetection,
        }
    }

    /// The query of a monitor rule that watches a query.
    pub fn query(&self) -> Option<&str> {
        match &self.settings {
            Settings::Monitor(MonitorSettings { watch: Watch::Query(q), .. }) => Some(q),
            _ => None,
        }
    }

    pub fn monitor_settings(&self) -> Option<&MonitorSettings> {
        match &self.settings {
            Settings::Monitor(m) => Some(m),
            Settings::FaultyDeploymentDetection(_) => None,
        }
    }

    /// Every option, modelled ones in display order (those at their default marked so), then
    /// the extra ones by key.
    pub fn attributes(&self) -> Vec<Attribute> {
        let mut out = Vec::new();
        let mut push = |name: OptionName, value: AttrValue, default: bool| {
            out.push(Attribute { name: AttrName::Option(name), value, default })
        };
        match &self.settings {
            Settings::Monitor(m) => {
                match &m.watch {
                    Watch::Query(q) => push(OptionName::Query, AttrValue::Text(q.clone()), false),
                    Watch::Monitors(ids) => push(OptionName::MonitorIds, AttrValue::Monitors(ids.clone()), false),
                }
                if let Some(d) = m.duration {
                    push(OptionName::Duration, AttrValue::Number(d), false);
                }
                push(OptionName::Warmup, AttrValue::Number(m.warmup), m.warmup == DEFAULT_WARMUP);
                push(
                    OptionName::FailOnNoData,
                    AttrValue::Bool(m.fail_on_no_data),
                    m.fail_on_no_data == DEFAULT_FAIL_ON_NO_DATA,
                );
                push(
                    OptionName::FailOnNoGroupsFound,
                    AttrValue::Bool(m.fail_on_no_groups_found),
                    m.fail_on_no_groups_found == DEFAULT_FAIL_ON_NO_GROUPS_FOUND,
                );
            }
            Settings::FaultyDeploymentDetection(f) => {
                if let Some(d) = f.duration {
                    push(OptionName::Duration, AttrValue::Number(d), false);
                }
                // An empty list means the same as none.
                if !f.excluded_resources.is_empty() {
                    push(OptionName::ExcludedResources, AttrValue::List(f.excluded_resources.clone()), false);
                }
                if !f.allowed_resources.is_empty() {
                    push(OptionName::AllowedResources, AttrValue::List(f.allowed_resources.clone()), false);
                }
            }
        }
        out.extend(self.extra.iter().map(|(key, value)| Attribute {
            name: AttrName::Extra(key.clone()),
            value: AttrValue::Json(value.clone()),
            default: false,
        }));
        out
    }

    /// The options in the API's shape: options at their default and empty lists left out,
    /// monitor ids as decimal strings, extra options as they came.
    pub fn to_api(&self) -> Value {
        let mut map: Map<String, Value> = Map::new();
        for attribute in self.attributes().into_iter().filter(|a| !a.default) {
            let value = match attribute.value {
                AttrValue::Monitors(ids) => Value::Array(
                    ids.iter().map(|m| serde_json::json!({"id": m.id.to_string(), "groups": m.groups})).collect(),
                ),
                other => other.to_json(),
            };
            map.insert(attribute.name.as_str().to_string(), value);
        }
        Value::Object(map)
    }

    /// The options as a file writes them, flat in the rule: options at their default left out,
    /// monitor ids as numbers, extra options under `extra_options`.
    pub fn to_file(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        let mut extra = Map::new();
        for attribute in self.attributes().into_iter().filter(|a| !a.default) {
            match (attribute.name, attribute.value) {
                (AttrName::Extra(key), AttrValue::Json(value)) => {
                    extra.insert(key, value);
                }
                (name, AttrValue::Monitors(ids)) => out.push((
                    name.as_str().to_string(),
                    Value::Array(
                        ids.iter()
                            .map(|m| {
                                let mut entry = Map::new();
                                entry.insert("id".into(), Value::from(m.id));
                                if !m.groups.is_empty() {
                                    entry.insert("groups".into(), Value::from(m.groups.clone()));
                                }
                                Value::Object(entry)
                            })
                            .collect(),
                    ),
                )),
                (name, value) => out.push((name.as_str().to_string(), value.to_json())),
            }
        }
        if !extra.is_empty() {
            out.push((EXTRA_OPTIONS.to_string(), Value::Object(extra)));
        }
        out
    }

    /// Reads the options of an API answer (or of any JSON in the API's shape), typed by the
    /// rule's `type`; keys gatesctl does not model are kept.
    pub fn from_api(rule_type: RuleType, options: &Value) -> Result<RuleOptions, String> {
        let entries: Vec<(&str, &Value)> = match options {
            Value::Null => Vec::new(),
            Value::Object(map) => map.iter().map(|(k, v)| (k.as_str(), v)).collect(),
            other => return Err(format!("options are {}, not an object", View::of(other).kind())),
        };
        let (options, problems) = decode(rule_type, &entries, Unknown::Keep);
        match options {
            Some(options) if problems.is_empty() => Ok(options),
            _ => Err(problems.iter().map(|p| p.to_string()).collect::<Vec<_>>().join("; ")),
        }
    }

    /// Whether `recorded`, the options an evaluation history shows a rule was evaluated with,
    /// are these options. Compared as the API means them (defaults, sets); the history writes
    /// `monitor_ids` as bare ids, without their groups, so only the monitors are compared.
    pub fn same_as_evaluated(&self, recorded: &RuleOptions) -> bool {
        fn without_groups(options: &RuleOptions) -> RuleOptions {
            let mut out = options.clone();
            if let Settings::Monitor(MonitorSettings { watch: Watch::Monitors(ids), .. }) = &mut out.settings {
                ids.iter_mut().for_each(|m| m.groups.clear());
            }
            out
        }
        without_groups(self) == without_groups(recorded)
    }

    /// The options set here that the API's inline (just-in-time) configuration does not take:
    /// `monitor_ids`, `warmup`, `fail_on_…` away from their defaults, and every extra option.
    pub fn not_inline(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .attributes()
            .into_iter()
            .filter(|a| !a.default)
            .filter(|a| {
                matches!(
                    a.name,
                    AttrName::Option(
                        OptionName::MonitorIds
                            | OptionName::Warmup
                            | OptionName::FailOnNoData
                            | OptionName::FailOnNoGroupsFound
                    ) | AttrName::Extra(_)
                )
            })
            .map(|a| a.name.as_str().to_string())
            .collect();
        out.dedup();
        out
    }

    /// These options with the extra options of `remote` that these do not set: what an update
    /// of that remote rule sends, so that nothing gatesctl does not know is erased.
    pub fn keeping_extra_of(&self, remote: &RuleOptions) -> RuleOptions {
        let mut kept = self.clone();
        if self.rule_type() == remote.rule_type() {
            for (key, value) in &remote.extra {
                kept.extra.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        kept
    }
}

fn as_set(items: &[String]) -> BTreeSet<&str> {
    items.iter().map(String::as_str).collect()
}

/// Monitor ids as the API means them: a set of monitors, each with a set of groups.
fn monitor_set(ids: &[MonitorRef]) -> BTreeMap<u64, BTreeSet<&str>> {
    let mut out: BTreeMap<u64, BTreeSet<&str>> = BTreeMap::new();
    for m in ids {
        out.entry(m.id).or_default().extend(m.groups.iter().map(String::as_str));
    }
    out
}

/// Semantic equality: lists are sets, a missing list equals an empty one, and an option at its
/// default equals one left out (the typed model holds the value either way).
impl PartialEq for RuleOptions {
    fn eq(&self, other: &Self) -> bool {
        let settings = match (&self.settings, &other.settings) {
            (Settings::Monitor(a), Settings::Monitor(b)) => {
                let watch = match (&a.watch, &b.watch) {
                    (Watch::Query(x), Watch::Query(y)) => x == y,
                    (Watch::Monitors(x), Watch::Monitors(y)) => monitor_set(x) == monitor_set(y),
                    _ => false,
                };
                watch
                    && a.duration == b.duration
                    && a.warmup == b.warmup
                    && a.fail_on_no_data == b.fail_on_no_data
                    && a.fail_on_no_groups_found == b.fail_on_no_groups_found
            }
            (Settings::FaultyDeploymentDetection(a), Settings::FaultyDeploymentDetection(b)) => {
                a.duration == b.duration
                    && as_set(&a.excluded_resources) == as_set(&b.excluded_resources)
                    && as_set(&a.allowed_resources) == as_set(&b.allowed_resources)
            }
            _ => false,
        };
        settings && self.extra == other.extra
    }
}

impl Eq for RuleOptions {}

/// Saved plans hold options flat, in the API's shape, beside the rule's `type`: the shape plans
/// of format 1.1 and 1.2 had, so they stay readable.
impl serde::Serialize for RuleOptions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let Value::Object(mut map) = self.to_api() else { unreachable!("options are an object") };
        map.insert("type".into(), Value::from(self.rule_type().as_str()));
        map.serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for RuleOptions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let Value::Object(mut map) = Value::deserialize(d)? else {
            return Err(D::Error::custom("rule options must be an object"));
        };
        let kind = map.remove("type").and_then(|t| t.as_str().and_then(RuleType::parse));
        let kind = kind.ok_or_else(|| D::Error::custom("rule options without a known `type`"))?;
        RuleOptions::from_api(kind, &Value::Object(map)).map_err(D::Error::custom)
    }
}

/// The name of an attribute of a rule, in the order every output shows them.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttrName {
    Type,
    DryRun,
    Option(OptionName),
    /// An option of the API that gatesctl does not model.
    Extra(String),
}

impl AttrName {
    pub fn as_str(&self) -> &str {
        match self {
            AttrName::Type => "type",
            AttrName::DryRun => "dry_run",
            AttrName::Option(o) => o.as_str(),
            AttrName::Extra(key) => key,
        }
    }
}

impl fmt::Display for AttrName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // An extra option's key comes from the API: never raw to a terminal.
        f.write_str(&crate::escape::terminal(self.as_str()))
    }
}

/// The value of one attribute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttrValue {
    Type(RuleType),
    Bool(bool),
    Text(String),
    Number(u64),
    List(Vec<String>),
    Monitors(Vec<MonitorRef>),
    /// An extra option's value, as the API gave it.
    Json(Value),
}

impl AttrValue {
    /// The value as JSON; monitor ids as the file writes them (numbers).
    pub fn to_json(&self) -> Value {
        match self {
            AttrValue::Type(t) => Value::from(t.as_str()),
            AttrValue::Bool(b) => Value::Bool(*b),
            AttrValue::Text(s) => Value::from(s.as_str()),
            AttrValue::Number(n) => Value::from(*n),
            AttrValue::List(items) => Value::from(items.clone()),
            AttrValue::Monitors(ids) => {
                Value::Array(ids.iter().map(|m| serde_json::json!({"id": m.id, "groups": m.groups})).collect())
            }
            AttrValue::Json(v) => v.clone(),
        }
    }

    /// Equal as the API means it: lists are sets.
    pub fn same_as(&self, other: &AttrValue) -> bool {
        match (self, other) {
            (AttrValue::List(a), AttrValue::List(b)) => as_set(a) == as_set(b),
            (AttrValue::Monitors(a), AttrValue::Monitors(b)) => monitor_set(a) == monitor_set(b),
            (a, b) => a == b,
        }
    }
}

/// As plans show values: text quoted and escaped, lists bracketed, monitors as a file writes
/// them, extra options as JSON.
impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, items: &[String]| -> fmt::Result {
            f.write_str("[")?;
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                f.write_str(&crate::escape::quoted(item))?;
            }
            f.write_str("]")
        };
        match self {
            AttrValue::Type(t) => f.write_str(t.as_str()),
            AttrValue::Bool(b) => write!(f, "{b}"),
            AttrValue::Text(s) => f.write_str(&crate::escape::quoted(s)),
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::List(items) => list(f, items),
            AttrValue::Monitors(ids) => {
                f.write_str("[")?;
                for (i, m) in ids.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{{ id = {}", m.id)?;
                    if !m.groups.is_empty() {
                        f.write_str(", groups = ")?;
                        list(f, &m.groups)?;
                    }
                    f.write_str(" }")?;
                }
                f.write_str("]")
            }
            AttrValue::Json(v) => f.write_str(&crate::escape::json(v)),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub name: AttrName,
    pub value: AttrValue,
    /// The option is at its default: the same as left out.
    pub default: bool,
}

// ---------------------------------------------------------------------------------------------
// Reading options from any document.

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(rule_type: RuleType, options: Value) -> Result<RuleOptions, String> {
        RuleOptions::from_api(rule_type, &options)
    }

    #[test]
    fn defaults_spelled_out_or_left_out_are_the_same_options() {
        let spelled = read(
            RuleType::Monitor,
            json!({"query": "a", "warmup": 0, "fail_on_no_data": true, "fail_on_no_groups_found": false}),
        )
        .unwrap();
        assert_eq!(spelled, read(RuleType::Monitor, json!({"query": "a"})).unwrap());
        assert_eq!(spelled.to_api(), json!({"query": "a"}), "defaults are left out of the body");
        let set = read(RuleType::Monitor, json!({"query": "a", "warmup": 120, "fail_on_no_data": false})).unwrap();
        assert_ne!(set, spelled);
        assert_eq!(set.to_api(), json!({"query": "a", "warmup": 120, "fail_on_no_data": false}));
    }

    #[test]
    fn unknown_keys_are_kept_and_sent_back() {
        let options = read(RuleType::Monitor, json!({"query": "a", "future_knob": 7})).unwrap();
        assert_eq!(options.extra["future_knob"], json!(7));
        assert_eq!(options.to_api(), json!({"query": "a", "future_knob": 7}));
        let declared = read(RuleType::Monitor, json!({"query": "a", "duration": 60})).unwrap();
        assert_eq!(
            declared.keeping_extra_of(&options).to_api(),
            json!({"query": "a", "duration": 60, "future_knob": 7})
        );
    }

    #[test]
    fn monitor_ids_are_a_set_of_monitors_each_with_a_set_of_groups() {
        let a = read(
            RuleType::Monitor,
            json!({"monitor_ids": [{"id": "2", "groups": ["b", "a"]}, {"id": "1", "groups": []}]}),
        )
        .unwrap();
        let b =
            read(RuleType::Monitor, json!({"monitor_ids": [{"id": 1}, {"id": "2", "groups": ["a", "b"]}]})).unwrap();
        assert_eq!(a, b);
        assert_eq!(b.to_api(), json!({"monitor_ids": [{"id": "1", "groups": []}, {"id": "2", "groups": ["a", "b"]}]}));
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let problems = |rule_type, options: Value| {
            let entries: Vec<(&str, &Value)> =
                options.as_object().unwrap().iter().map(|(k, v)| (k.as_str(), v)).collect();
            let (_, problems) = decode(rule_type, &entries, Unknown::Refuse);
            problems.iter().map(|p| p.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(
            problems(RuleType::Monitor, json!({"query": "a", "monitor_ids": [{"id": "x1"}, {"id": 5, "grups": []}, {"id": 5}], "warmup": -1, "duratoin": 3})),
            [
                "duratoin: unknown key (did you mean `duration`?)",
                "monitor_ids[0].id: is not a monitor id: give a whole number (123) or one written as a decimal string (\"123\")",
                "monitor_ids[1].grups: unknown key (did you mean `groups`?)",
                "monitor_ids[2]: monitor 5 is listed twice (first at monitor_ids[1])",
                "warmup: -1 is out of range: give 0 seconds or more",
                "monitor_ids: `query` and `monitor_ids` cannot both be given: keep one",
            ]
        );
        assert_eq!(
            problems(RuleType::Monitor, json!({"monitor_ids": []})),
            ["monitor_ids: needs at least one monitor"]
        );
        assert_eq!(problems(RuleType::Monitor, json!({})), ["a monitor rule needs `query` or `monitor_ids`"]);
        assert_eq!(
            problems(
                RuleType::FaultyDeploymentDetection,
                json!({"warmup": 5, "allowed_resources": ["a"], "excluded_resources": ["b"]})
            ),
            [
                "warmup: does not apply to a faulty_deployment_detection rule",
                "allowed_resources: `excluded_resources` and `allowed_resources` cannot both be given: keep one",
            ]
        );
    }

    #[test]
    fn changes_show_a_default_against_a_set_value() {
        let before = read(RuleType::Monitor, json!({"query": "a", "warmup": 120})).unwrap();
        let after = read(RuleType::Monitor, json!({"query": "a"})).unwrap();
        let shown: Vec<String> =
            before.attributes().iter().filter(|a| !a.default).map(|a| a.name.to_string()).collect();
        assert_eq!(shown, ["query", "warmup"]);
        assert_ne!(before, after);
        assert_eq!(after.to_file(), vec![("query".to_string(), json!("a"))]);
    }
}

/// A rule's options as a file writes them (and the JSON plan shows them), in display order:
/// the schema of every option comes from [`OptionName`], the one list of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OptionsSpec(pub Vec<(String, serde_json::Value)>);

impl Serialize for OptionsSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for OptionsSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = serde_json::Map::<String, serde_json::Value>::deserialize(d)?;
        Ok(OptionsSpec(map.into_iter().collect()))
    }
}

impl JsonSchema for OptionsSpec {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuleOptions".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut properties = serde_json::Map::new();
        for option in OptionName::ALL {
            properties.insert(option.as_str().to_string(), option.value_schema());
        }
        properties.insert(
            EXTRA_OPTIONS.to_string(),
            serde_json::json!({
                "description": "Options of the API that gatesctl does not model, sent as they are (gatesctl keeps those it finds remotely too, and `import` writes them here).",
                "type": "object",
            }),
        );
        schemars::json_schema!({"type": "object", "properties": properties})
    }
}

impl From<&RuleOptions> for OptionsSpec {
    fn from(options: &crate::model::RuleOptions) -> Self {
        OptionsSpec(options.to_file())
    }
}
