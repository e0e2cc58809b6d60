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

mod attribute;
mod decode;
mod exact;
mod file;
mod name;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

pub use attribute::{AttrName, AttrValue, Attribute};
pub use decode::{decode, OptionValue, Place, Problem, ProblemKind, Step, Unknown, View};
pub use exact::{file_number, needs_exact_text, FileNumber, EXACT_JSON};
pub use file::OptionsSpec;
pub use name::OptionName;

use super::RuleType;

/// `warmup` when left out: the monitors are looked at as soon as the deployment starts.
pub(crate) const DEFAULT_WARMUP: u64 = 0;
/// `fail_on_no_data` when left out.
pub(crate) const DEFAULT_FAIL_ON_NO_DATA: bool = true;
/// `fail_on_no_groups_found` when left out.
pub const DEFAULT_FAIL_ON_NO_GROUPS_FOUND: bool = false;
/// The file's key for options of the API that gatesctl does not model.
pub const EXTRA_OPTIONS: &str = "extra_options";
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
    pub(crate) duration: Option<u64>,
    pub(crate) warmup: u64,
    pub(crate) fail_on_no_data: bool,
    pub fail_on_no_groups_found: bool,
}

#[cfg(test)]
impl MonitorSettings {
    /// A rule watching `watch`, every other option at its default.
    pub(crate) fn watching(watch: Watch) -> MonitorSettings {
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
    pub(crate) duration: Option<u64>,
    pub(crate) excluded_resources: Vec<String>,
    pub(crate) allowed_resources: Vec<String>,
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
    #[cfg(test)]
    pub(crate) fn monitor(settings: MonitorSettings) -> RuleOptions {
        RuleOptions { settings: Settings::Monitor(settings), extra: BTreeMap::new() }
    }

    /// A faulty deployment detection rule's options, nothing the API added beside them.
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
    pub(crate) fn to_file(&self) -> Vec<(String, Value)> {
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
    pub(crate) fn same_as_evaluated(&self, recorded: &RuleOptions) -> bool {
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

    /// What the inline configuration takes of a rule of this kind, in words: the rest of
    /// [`RuleOptions::not_inline`]'s rule.
    pub fn inline_takes(&self) -> &'static str {
        match self.rule_type() {
            RuleType::Monitor => "`query` and `duration`",
            RuleType::FaultyDeploymentDetection => "`duration`, `excluded_resources` and `allowed_resources`",
        }
    }

    /// These options with the extra options of `remote` that these do not set: what an update
    /// of that remote rule sends, so that nothing gatesctl does not know is erased.
    pub(crate) fn keeping_extra_of(&self, remote: &RuleOptions) -> RuleOptions {
        let mut kept = self.clone();
        if self.rule_type() == remote.rule_type() {
            for (key, value) in &remote.extra {
                kept.extra.entry(key.clone()).or_insert_with(|| value.clone());
            }
        }
        kept
    }
}

pub(super) fn as_set(items: &[String]) -> BTreeSet<&str> {
    items.iter().map(String::as_str).collect()
}

/// Monitor ids as the API means them: a set of monitors, each with a set of groups.
pub(super) fn monitor_set(ids: &[MonitorRef]) -> BTreeMap<u64, BTreeSet<&str>> {
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
