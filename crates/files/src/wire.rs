//! The file format as flat serde types: the single source of the JSON Schema in `schemas/`
//! and of the keys validation accepts.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use gatesctl_core::desired::ReportSpec;
use gatesctl_core::model::options::{OptionName, OptionsSpec, EXTRA_OPTIONS};
use gatesctl_core::model::RuleType;

/// A gatesctl configuration file (`gates.toml`, `gates.yaml`).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "gatesctl configuration")]
pub struct FileSpec {
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
    /// How `gatesctl coverage` joins deployments with gate evaluations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) coverage: Option<CoverageSpec>,
    /// The organisation's standards every gate in their scope is held to: checked by
    /// `validate` (what the files show), `plan` and `apply` (the changes), and `audit`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) policy: Vec<PolicySpec>,
    /// The deployment gates this file declares.
    #[serde(default)]
    pub(crate) gates: Vec<GateSpec>,
}

/// One policy: a closed set of checks over a scope (docs/policy.md).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySpec {
    /// Unique among the policies; its Scorecards rule's name.
    #[schemars(length(min = 1))]
    pub(crate) name: String,
    /// What it asks, in a sentence: shown beside its violations and in Scorecards.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) description: Option<String>,
    /// `error` fails plan, apply and the audit on a violation; `warning` shows it and passes.
    pub(crate) level: PolicyLevel,
    /// The gates it holds. Default: every gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) scope: Option<PolicyScopeSpec>,
    /// What every gate (or service and env) in scope must have.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) require: Vec<PolicyRequirement>,
    /// A gate or rule may stay in dry run, under today's configuration, at most this many days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 365))]
    pub(crate) max_dry_run_days: Option<u32>,
    /// Every rule watches at least this long ("5m", "900s").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) min_rule_duration: Option<String>,
    /// At least this share of the deployments in scope go through an enforcing gate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(max = 100))]
    pub(crate) min_coverage_percent: Option<u32>,
    /// Gates freed from it, each for a reason and until a date.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) exception: Vec<PolicyExceptionSpec>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PolicyLevel {
    Error,
    Warning,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum PolicyRequirement {
    /// Every service and env in scope has a gate.
    Gate,
    /// The gate enforces, with at least one enforcing rule.
    EnforcedRule,
    /// The gate has a monitor rule that watches something.
    MonitorRule,
    /// The gate has a faulty deployment detection rule.
    FaultyDeploymentDetection,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyScopeSpec {
    /// Services held, a name or glob (`pay*`), or a list of them. Default: every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) service: Option<NameOrNames>,
    /// Envs held, a name or glob (`prod*`), or a list of them. Default: every env.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) env: Option<NameOrNames>,
    /// A Software Catalog tag query (`tier:1`, `tier:1 -lifecycle:deprecated`): services whose
    /// tags hold every term. Judged online (plan, audit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) catalog: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum NameOrNames {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicyExceptionSpec {
    /// `service/env/identifier` (one gate) or `service/env` (every gate of it).
    pub(crate) gate: String,
    /// Why: shown with every outcome it frees.
    #[schemars(length(min = 1))]
    pub(crate) reason: String,
    /// The last day it holds, `YYYY-MM-DD` (UTC); past it, the exception is itself a violation.
    pub(crate) until: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageSpec {
    /// How long before a deployment started a gate evaluation may have started and still
    /// count for it ("90m", "6h"; from 1 minute to 24 hours). Default 6h: a CD tool often dates
    /// a deploy from its pipeline's start, and the gate runs inside the pipeline. With several
    /// files, the shortest wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) max_gap: Option<String>,
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
pub fn published(schema: schemars::Schema, name: &str) -> String {
    let mut value = with_id(serde_json::to_value(schema).expect("schema serialises"), name);
    if name == "gates.schema.json" {
        drop_null(&mut value);
    }
    let mut text = serde_json::to_string_pretty(&value).expect("schema serialises");
    text.push('\n');
    text
}

/// The JSON Schema of the file, as committed in `schemas/gates.schema.json`.
pub fn schema_json() -> String {
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
