//! The file format as flat serde types: the single source of the JSON Schema in `schemas/`
//! and of the keys validation accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::model::options::{OptionName, EXTRA_OPTIONS};
use crate::model::RuleType;

/// A gatesctl configuration file (`gates.toml`, `gates.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "gatesctl configuration")]
pub(crate) struct FileSpec {
    /// Version of the file format. Only `1` exists.
    #[schemars(range(min = 1, max = 1))]
    pub(crate) version: u32,
    /// Values inherited by every gate and rule that does not set them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) defaults: Option<DefaultsSpec>,
    /// What this file owns: remote gates in this scope that no file declares are deleted by
    /// `--prune`. Without it, nothing undeclared is ever deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) manage: Option<ManageSpec>,
    /// Limits that stop a plan deleting too much at once (override with `--force`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) safety: Option<SafetySpec>,
    /// The evidence `gatesctl report` asks before it recommends enforcing a gate or rule of
    /// this file (a gate's own `report` table, then the command's flags, override it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<ReportSpec>,
    /// The deployment gates this file declares.
    #[serde(default)]
    pub(crate) gates: Vec<GateSpec>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ManageSpec {
    /// Services owned, as exact names or globs (`pay*`). Required.
    pub(crate) services: Vec<String>,
    /// Environments owned, as exact names or globs. Default: every env.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) envs: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SafetySpec {
    /// Refuse plans deleting more than this percentage of the gates in scope. Default 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub(crate) max_delete_percent: Option<u32>,
    /// Refuse plans changing more than this percentage of the existing gates they cover.
    /// Default: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub(crate) max_update_percent: Option<u32>,
    /// The percentage applies only from this many existing gates in scope. Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_existing: Option<u32>,
}

/// What `gatesctl report` asks of a gate or rule in dry run before it recommends enforcing it.
/// Each key left out comes from the file's `[report]`, else the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportSpec {
    /// Evaluations, finished with rule results under today's configuration, in the window.
    /// Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 100000))]
    pub(crate) min_evaluations: Option<u32>,
    /// Distinct days (24-hour periods of the window) with such an evaluation. Default 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 30))]
    pub(crate) min_days: Option<u32>,
    /// Distinct versions deployed through such evaluations; 0 for services deployed without a
    /// version. Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 10000))]
    pub(crate) min_versions: Option<u32>,
    /// The newest evaluations that must all have passed. Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 1000))]
    pub(crate) clean_streak: Option<u32>,
    /// The share of evaluations, in percent, that may have blocked. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub(crate) max_block_percent: Option<u32>,
}

impl ReportSpec {
    /// Each key of `self`, else of `under`.
    pub(crate) fn over(self, under: ReportSpec) -> ReportSpec {
        ReportSpec {
            min_evaluations: self.min_evaluations.or(under.min_evaluations),
            min_days: self.min_days.or(under.min_days),
            min_versions: self.min_versions.or(under.min_versions),
            clean_streak: self.clean_streak.or(under.clean_streak),
            max_block_percent: self.max_block_percent.or(under.max_block_percent),
        }
    }

    /// Every key with its range, as files and flags take them.
    pub(crate) const RANGES: [(&'static str, u32, u32); 5] = [
        ("min_evaluations", 1, 100_000),
        ("min_days", 1, 30),
        ("min_versions", 0, 10_000),
        ("clean_streak", 1, 1_000),
        ("max_block_percent", 0, 100),
    ];

    pub(crate) fn set(&mut self, key: &str, value: u32) {
        match key {
            "min_evaluations" => self.min_evaluations = Some(value),
            "min_days" => self.min_days = Some(value),
            "min_versions" => self.min_versions = Some(value),
            "clean_streak" => self.clean_streak = Some(value),
            "max_block_percent" => self.max_block_percent = Some(value),
            other => unreachable!("{other} is not a [report] key"),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DefaultsSpec {
    /// Evaluate gates and rules in dry run: they report but never block a deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dry_run: Option<bool>,
}

/// A deployment gate: one per (service, env, identifier).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct GateSpec {
    /// The service being deployed, as tagged in APM.
    #[schemars(length(min = 1))]
    pub(crate) service: String,
    /// The environment deployed to. Give `env` or `envs`, not both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub(crate) env: Option<String>,
    /// Declares one gate per environment from this template; `{service}`, `{env}` and
    /// `{identifier}` in rule queries are replaced for each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub(crate) envs: Option<Vec<String>>,
    /// Tells apart several gates of one service and env. Defaults to `default`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub(crate) identifier: Option<String>,
    /// Evaluate this gate in dry run. Defaults to `defaults.dry_run`, else false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dry_run: Option<bool>,
    /// What `gatesctl report` asks of this gate and its rules before recommending to enforce
    /// them; keys left out come from the file's `[report]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) report: Option<ReportSpec>,
    /// The rules evaluated when the gate is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) rules: Vec<RuleSpec>,
}

/// A rule of a gate. Which options apply depends on `type`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    /// Unique within its gate; rules are matched to remote ones by name.
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) rule_type: RuleType,
    /// Evaluate this rule in dry run. Defaults to `defaults.dry_run`, else false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) dry_run: Option<bool>,
    /// The rule's options, flat in the rule.
    #[serde(flatten)]
    pub(crate) options: OptionsSpec,
}

/// The keys of a rule: its own, then every option gatesctl models, then `extra_options`.
pub(crate) fn rule_keys() -> Vec<&'static str> {
    let own = ["name", "type", "dry_run"];
    own.into_iter().chain(OptionName::ALL.iter().map(|o| o.as_str())).chain([EXTRA_OPTIONS]).collect()
}

/// A rule's options as a file writes them (and the JSON plan shows them), in display order:
/// the schema of every option comes from [`OptionName`], the one list of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct OptionsSpec(pub Vec<(String, serde_json::Value)>);

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

impl From<&crate::model::RuleOptions> for OptionsSpec {
    fn from(options: &crate::model::RuleOptions) -> Self {
        OptionsSpec(options.to_file())
    }
}

/// Where the committed schemas are published: their `$id`, and what the files gatesctl writes
/// point editors at.
pub(crate) const SCHEMAS_URL: &str = "https://raw.githubusercontent.com/gatesctl/gatesctl/main/schemas";

/// A schema document with its `$id`, `SCHEMAS_URL/name`, first among its keys after `$schema`.
pub(crate) fn with_id(schema: serde_json::Value, name: &str) -> serde_json::Value {
    let serde_json::Value::Object(map) = schema else { return schema };
    let mut out = serde_json::Map::new();
    let mut rest = map.into_iter().peekable();
    if let Some((k, v)) = rest.next_if(|(k, _)| k == "$schema") {
        out.insert(k, v);
    }
    out.insert("$id".into(), serde_json::Value::from(format!("{SCHEMAS_URL}/{name}")));
    out.extend(rest);
    serde_json::Value::Object(out)
}

/// A schema as `schemas/NAME` holds it: with its `$id`, indented, ending in a newline.
pub(crate) fn published(schema: schemars::Schema, name: &str) -> String {
    let mut value = with_id(serde_json::to_value(schema).expect("schema serialises"), name);
    if name == "gates.schema.json" {
        drop_null(&mut value);
    }
    let mut text = serde_json::to_string_pretty(&value).expect("schema serialises");
    text.push('\n');
    text
}

/// The JSON Schema of the file, as committed in `schemas/gates.schema.json`.
pub(crate) fn schema_json() -> String {
    published(schemars::schema_for!(FileSpec), "gates.schema.json")
}

/// TOML has no null, so an optional key means "may be left out", never "may be null":
/// removes the null alternatives schemars adds for `Option` fields.
fn drop_null(schema: &mut serde_json::Value) {
    use serde_json::Value;
    let Value::Object(map) = schema else {
        if let Value::Array(items) = schema {
            items.iter_mut().for_each(drop_null);
        }
        return;
    };
    if let Some(Value::Array(types)) = map.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            map.insert("type".into(), only);
        }
    }
    if let Some(Value::Array(alternatives)) = map.get("anyOf") {
        let rest: Vec<Value> =
            alternatives.iter().filter(|a| a.get("type").is_none_or(|t| t != "null")).cloned().collect();
        if rest.len() == 1 {
            map.remove("anyOf");
            if let Value::Object(inner) = &rest[0] {
                for (k, v) in inner {
                    map.insert(k.clone(), v.clone());
                }
            }
        }
    }
    map.values_mut().for_each(drop_null);
}

/// The keys a serde struct accepts, read from its derived `Deserialize` so that validation
/// and the schema can never disagree about them.
pub(crate) fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    use serde::de::{self, Visitor};

    struct Probe<'a>(&'a mut &'static [&'static str]);

    #[derive(Debug)]
    struct Stop;
    impl std::fmt::Display for Stop {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("probe")
        }
    }
    impl std::error::Error for Stop {}
    impl de::Error for Stop {
        fn custom<M: std::fmt::Display>(_: M) -> Self {
            Stop
        }
    }

    impl<'de> de::Deserializer<'de> for Probe<'_> {
        type Error = Stop;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
            Err(Stop)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Stop> {
            *self.0 = fields;
            Err(Stop)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
            option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
            ignored_any
        }
    }

    let mut fields: &'static [&'static str] = &[];
    let _ = T::deserialize(Probe(&mut fields));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_come_from_serde() {
        assert_eq!(field_names::<DefaultsSpec>(), ["dry_run"]);
        assert!(rule_keys().contains(&"type") && rule_keys().contains(&"monitor_ids"));
        assert!(field_names::<GateSpec>().contains(&"identifier"));
    }
}
