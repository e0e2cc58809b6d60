//! Migration from Terraform: the gates of the `datadog_deployment_gate` resources (with their
//! nested `rule` blocks, and any `datadog_deployment_rule` resources) of a Terraform state or
//! saved plan, as `terraform show -json` prints them (a raw `terraform.tfstate` is read too),
//! in any module; and what stops Terraform from managing them afterwards.
//!
//! Anything that cannot be carried over exactly is an error naming the resource address: an
//! attribute the provider's schema does not have (such as `allowed_resources`), the same gate
//! declared by two resources, a rule whose gate is not in the file.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use gatesctl_core::model::options::{self, OptionName, ProblemKind, Unknown};
use gatesctl_core::model::{GateKey, RemoteGate, RemoteRule, RemoteState, Rule, RuleType, DEFAULT_IDENTIFIER};

const GATE: &str = "datadog_deployment_gate";
const RULE: &str = "datadog_deployment_rule";

/// Attributes of the provider's schema, read-only ones included.
const GATE_KEYS: [&str; 8] = ["id", "service", "env", "identifier", "dry_run", "rule", "created_at", "updated_at"];
const RULE_BLOCK_KEYS: [&str; 5] = ["id", "name", "type", "dry_run", "options"];
const RULE_RESOURCE_KEYS: [&str; 6] = ["id", "gate_id", "name", "type", "dry_run", "options"];

/// Which kind of document the file was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `terraform show -json` of the state.
    State,
    /// `terraform show -json PLANFILE`: the gates as they will be once the plan is applied.
    Plan,
    /// A `terraform.tfstate` file itself.
    StateFile,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::State => "Terraform state (terraform show -json)",
            Source::Plan => "Terraform saved plan (terraform show -json PLANFILE), as it will be once applied",
            Source::StateFile => "Terraform state file",
        }
    }
}

/// The gates found, and the resources they came from.
#[derive(Debug)]
pub struct Migration {
    pub source: Source,
    pub remote: RemoteState,
    /// Every resource instance imported (`module.a.datadog_deployment_gate.x["k"]`) with the
    /// gate it holds or belongs to, sorted.
    pub instances: Vec<(String, GateKey)>,
}

impl Migration {
    /// Keeps the gates `keep` accepts, and the resources that hold them.
    pub fn retain(&mut self, keep: impl Fn(&GateKey) -> bool) {
        self.remote.gates.retain(|k, _| keep(k));
        self.remote.rules.retain(|k, _| keep(k));
        self.instances.retain(|(_, k)| keep(k));
    }

    /// The resources without instance keys, as `removed` blocks name them, sorted and unique.
    /// A resource some of whose instances were left out is not among them: a `removed` block
    /// takes all its instances.
    pub(crate) fn resources(&self, all: &[(String, GateKey)]) -> (Vec<String>, Vec<String>) {
        let mut kept: Vec<String> = self.instances.iter().map(|(a, _)| without_keys(a)).collect();
        kept.sort();
        kept.dedup();
        let partial: Vec<String> = kept
            .iter()
            .filter(|r| all.iter().any(|(a, _)| without_keys(a) == **r && !self.instances.iter().any(|(b, _)| b == a)))
            .cloned()
            .collect();
        kept.retain(|r| !partial.contains(r));
        (kept, partial)
    }
}

/// One managed resource instance of interest.
struct Instance {
    address: String,
    kind: &'static str,
    values: Map<String, Value>,
}

/// Why a Terraform document cannot be migrated.
#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    #[error("not JSON ({0}): give the output of `terraform show -json > state.json` (or of `terraform show -json PLANFILE`), or a terraform.tfstate file")]
    NotJson(serde_json::Error),
    #[error("neither `terraform show -json` output nor a Terraform state file (version 4)")]
    NotTerraform,
    /// A resource gatesctl cannot read as a gate or a rule, and why.
    #[error("{address}: {problem}")]
    Resource { address: String, problem: String },
}

fn error(address: &str, what: impl std::fmt::Display) -> TerraformError {
    TerraformError::Resource { address: address.to_string(), problem: what.to_string() }
}

/// `module.a["x"].datadog_deployment_gate.b[0]` → `module.a.datadog_deployment_gate.b`: the
/// instance keys dropped, quotes inside them respected.
pub(crate) fn without_keys(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in address.chars() {
        if depth > 0 {
            match (quoted, escaped, c) {
                (true, true, _) => escaped = false,
                (true, false, '\\') => escaped = true,
                (_, false, '"') => quoted = !quoted,
                (false, _, '[') => depth += 1,
                (false, _, ']') => depth -= 1,
                _ => {}
            }
            continue;
        }
        if c == '[' {
            depth = 1;
        } else {
            out.push(c);
        }
    }
    out
}

/// Which of the two resource types a resource is, when it is a managed one of them (data
/// sources and other types are skipped). Both document shapes name them alike.
fn kind_of(resource: &Value) -> Option<&'static str> {
    let text = |key: &str| resource.get(key).and_then(Value::as_str).unwrap_or_default();
    match (text("mode"), text("type")) {
        ("managed", GATE) => Some(GATE),
        ("managed", RULE) => Some(RULE),
        _ => None,
    }
}

/// The resources of a `terraform show -json` module (`values.root_module`), recursively.
fn show_module(module: &Value, found: &mut Vec<Instance>) -> Result<(), TerraformError> {
    for resource in module.get("resources").and_then(Value::as_array).into_iter().flatten() {
        let text = |key: &str| resource.get(key).and_then(Value::as_str).unwrap_or_default();
        let Some(kind) = kind_of(resource) else { continue };
        let address = text("address").to_string();
        let values = match resource.get("values") {
            Some(Value::Object(values)) => values.clone(),
            _ => return Err(error(&address, "has no `values`: is this the output of `terraform show -json`?")),
        };
        found.push(Instance { address, kind, values });
    }
    for child in module.get("child_modules").and_then(Value::as_array).into_iter().flatten() {
        show_module(child, found)?;
    }
    Ok(())
}

/// The resources of a raw state file (format version 4).
fn state_file(doc: &Value, found: &mut Vec<Instance>) -> Result<(), TerraformError> {
    for resource in doc.get("resources").and_then(Value::as_array).into_iter().flatten() {
        let text = |key: &str| resource.get(key).and_then(Value::as_str).unwrap_or_default();
        let Some(kind) = kind_of(resource) else { continue };
        let module = text("module");
        let base = if module.is_empty() {
            format!("{kind}.{}", text("name"))
        } else {
            format!("{module}.{kind}.{}", text("name"))
        };
        for instance in resource.get("instances").and_then(Value::as_array).into_iter().flatten() {
            let key = match instance.get("index_key") {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => format!("[{}]", Value::from(s.as_str())),
                Some(other) => format!("[{other}]"),
            };
            let address = format!("{base}{key}");
            let values = match instance.get("attributes") {
                Some(Value::Object(values)) => values.clone(),
                _ => return Err(error(&address, "has no `attributes` in the state file")),
            };
            found.push(Instance { address, kind, values });
        }
    }
    Ok(())
}

/// Keys the provider's schema does not have: refused, never dropped.
fn check_keys(address: &str, what: &str, values: &Map<String, Value>, known: &[&str]) -> Result<(), TerraformError> {
    match values.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(key) => Err(error(
            address,
            format!(
                "{what} has `{key}`, which the datadog_deployment_gate schema gatesctl knows does not (it has {}); gatesctl cannot tell what it means, so nothing was imported: remove it from the resource, or import this gate with `gatesctl import` from the API instead",
                known.join(", ")
            ),
        )),
    }
}

fn string(address: &str, values: &Map<String, Value>, key: &str) -> Result<Option<String>, TerraformError> {
    match values.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(error(address, format!("`{key}` is {other}, not a string"))),
    }
}

fn required(address: &str, values: &Map<String, Value>, key: &str) -> Result<String, TerraformError> {
    string(address, values, key)?.filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        error(address, format!("`{key}` is missing or unknown (a saved plan knows it only after apply)"))
    })
}

fn boolean(address: &str, values: &Map<String, Value>, key: &str) -> Result<bool, TerraformError> {
    match values.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        // HCL lets `dry_run = "false"` through; the state then holds what the provider read.
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(other) => Err(error(address, format!("`{key}` is {other}, not true or false"))),
    }
}

/// `options`: an object (plugin framework) or a list of at most one (SDKv2 blocks).
fn options_of<'a>(
    address: &str,
    rule: &'a Map<String, Value>,
) -> Result<Option<&'a Map<String, Value>>, TerraformError> {
    match rule.get("options") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(Value::Array(items)) => match items.as_slice() {
            [] => Ok(None),
            [Value::Object(o)] => Ok(Some(o)),
            _ => Err(error(address, "`options` holds more than one block")),
        },
        Some(other) => Err(error(address, format!("`options` is {other}, not a block"))),
    }
}

/// A rule block or resource as a gatesctl rule.
fn rule_of(address: &str, values: &Map<String, Value>, known: &[&str]) -> Result<Rule, TerraformError> {
    check_keys(address, "a rule", values, known)?;
    let name = required(address, values, "name")?;
    let at = format!("{address}, rule {}", gatesctl_core::escape::quoted(&name));
    let kind = required(&at, values, "type")?;
    let rule_type = RuleType::parse(&kind).ok_or_else(|| {
        let types: Vec<&str> = RuleType::ALL.iter().map(|t| t.as_str()).collect();
        error(&at, format!("unknown rule type {kind:?}: gatesctl knows {}", types.join(", ")))
    })?;
    let dry_run = boolean(&at, values, "dry_run")?;
    let empty = Map::new();
    let options = options_of(&at, values)?.unwrap_or(&empty);
    // The provider writes every attribute of its schema, unset ones as null, "" or [].
    let entries: Vec<(&str, &Value)> = options
        .iter()
        .filter(|(_, v)| {
            !matches!(v, Value::Null) && v.as_str() != Some("") && v.as_array().is_none_or(|a| !a.is_empty())
        })
        .map(|(k, v)| (k.as_str(), v))
        .collect();
    let (options, problems) = options::decode(rule_type, &entries, Unknown::Refuse);
    if let Some(problem) = problems.first() {
        let what = match &problem.kind {
            ProblemKind::UnknownKey { .. } => format!(
                "`options` has `{}`, which the provider's schema gatesctl knows does not (it has {}); gatesctl cannot tell what it means, so nothing was imported: remove it from the resource, or import this gate with `gatesctl import` from the API instead",
                problem.place,
                OptionName::of(rule_type).map(OptionName::as_str).collect::<Vec<_>>().join(", ")
            ),
            ProblemKind::NotForType(t) => format!("a {t} rule has `{}`, which the API refuses", problem.place),
            _ if problem.place.0.is_empty() => problem.message(),
            _ => format!("`{}` {}", problem.place, problem.message()),
        };
        return Err(error(&at, what));
    }
    let options = options.expect("no problem means options");
    Ok(Rule { name, dry_run, options })
}

/// Reads a `terraform show -json` document (state or saved plan) or a raw state file.
pub fn read(text: &str) -> Result<Migration, TerraformError> {
    let doc: Value = serde_json::from_str(text).map_err(TerraformError::NotJson)?;
    let mut found = Vec::new();
    let source = if let Some(planned) = doc.get("planned_values") {
        show_module(planned.get("root_module").unwrap_or(&Value::Null), &mut found)?;
        Source::Plan
    } else if let Some(values) = doc.get("values") {
        show_module(values.get("root_module").unwrap_or(&Value::Null), &mut found)?;
        Source::State
    } else if doc.get("version").and_then(Value::as_u64) == Some(4) && doc.get("resources").is_some() {
        state_file(&doc, &mut found)?;
        Source::StateFile
    } else if doc.get("format_version").is_some() {
        // `terraform show -json` of an empty state has no `values`.
        Source::State
    } else {
        return Err(TerraformError::NotTerraform);
    };

    let mut remote = RemoteState::default();
    let mut declared_by: BTreeMap<GateKey, String> = BTreeMap::new();
    let mut by_id: BTreeMap<String, GateKey> = BTreeMap::new();
    let mut instances = Vec::new();
    let mut rule_names: BTreeMap<(GateKey, String), String> = BTreeMap::new();
    let mut add_rule = |key: &GateKey, rule: Rule, id: String, address: &str, remote: &mut RemoteState| {
        let place = (key.clone(), rule.name.clone());
        if let Some(first) = rule_names.get(&place) {
            return Err(error(
                address,
                format!(
                    "gate {key} gets a second rule named {} (the first from {first}): gatesctl matches rules by name, so only one can be declared; rename one in Terraform and apply first",
                    gatesctl_core::escape::quoted(&rule.name)
                ),
            ));
        }
        rule_names.insert(place, address.to_string());
        remote.rules.entry(key.clone()).or_default().push(RemoteRule { id, rule, changed_ms: None });
        Ok(())
    };

    for instance in found.iter().filter(|i| i.kind == GATE) {
        let (address, values) = (&instance.address, &instance.values);
        check_keys(address, "the gate", values, &GATE_KEYS)?;
        let service = required(address, values, "service")?;
        let env = required(address, values, "env")?;
        let identifier = string(address, values, "identifier")?.filter(|i| !i.is_empty());
        let key = GateKey::new(service, env, identifier.unwrap_or_else(|| DEFAULT_IDENTIFIER.to_string()));
        if let Some(first) = declared_by.get(&key) {
            return Err(error(
                address,
                format!("gate {key} is also declared by {first}: one gate, two resources (in two modules?); keep one of them in Terraform, apply, then import again"),
            ));
        }
        declared_by.insert(key.clone(), address.clone());
        let id = string(address, values, "id")?.unwrap_or_default();
        if !id.is_empty() {
            by_id.insert(id.clone(), key.clone());
        }
        remote.gates.insert(
            key.clone(),
            RemoteGate { id, key: key.clone(), dry_run: boolean(address, values, "dry_run")?, changed_ms: None },
        );
        remote.rules.entry(key.clone()).or_default();
        let blocks = match values.get("rule") {
            None | Some(Value::Null) => &[][..],
            Some(Value::Array(items)) => items.as_slice(),
            Some(other) => return Err(error(address, format!("`rule` is {other}, not a list of blocks"))),
        };
        for block in blocks {
            let Value::Object(block) = block else {
                return Err(error(address, "a `rule` block that is not an object"));
            };
            let rule = rule_of(address, block, &RULE_BLOCK_KEYS)?;
            let id = string(address, block, "id")?.unwrap_or_default();
            add_rule(&key, rule, id, address, &mut remote)?;
        }
        instances.push((address.clone(), key.clone()));
    }
    for instance in found.iter().filter(|i| i.kind == RULE) {
        let (address, values) = (&instance.address, &instance.values);
        let gate_id = required(address, values, "gate_id")?;
        let key = by_id.get(&gate_id).cloned().ok_or_else(|| {
            error(
                address,
                format!("its gate_id {gate_id:?} is no datadog_deployment_gate of this file: include that gate's resource (or import the gate from the API with `gatesctl import`)"),
            )
        })?;
        let rule = rule_of(address, values, &RULE_RESOURCE_KEYS)?;
        let id = string(address, values, "id")?.unwrap_or_default();
        add_rule(&key, rule, id, address, &mut remote)?;
        instances.push((address.clone(), key));
    }
    for rules in remote.rules.values_mut() {
        rules.sort_by(|a, b| a.rule.name.cmp(&b.rule.name).then_with(|| a.id.cmp(&b.id)));
    }
    instances.sort();
    Ok(Migration { source, remote, instances })
}

/// Single quotes for a POSIX shell: addresses with instance keys hold `"` and `[`. An address
/// holding a control or invisible character is written `$'…'` with escapes (bash, zsh), so the
/// command still names it and the terminal never receives it raw.
fn shell_quote(text: &str) -> String {
    if !text.chars().any(gatesctl_core::escape::is_unsafe) {
        return format!("'{}'", text.replace('\'', r"'\''"));
    }
    let mut out = String::from("$'");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if gatesctl_core::escape::is_unsafe(c) && c.is_ascii() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if gatesctl_core::escape::is_unsafe(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// What stops Terraform from managing the imported resources without destroying them. `all`
/// is every instance the file held, so that a resource only partly imported (--service)
/// gets `terraform state rm` of its instances rather than a `removed` block.
pub fn removal(migration: &Migration, all: &[(String, GateKey)], removed_blocks: bool) -> String {
    let mut out = String::new();
    let (whole, partial) = if removed_blocks { migration.resources(all) } else { (Vec::new(), Vec::new()) };
    if removed_blocks && !whole.is_empty() {
        out.push_str("# Terraform 1.7+: delete these resources' blocks from your .tf files, add these blocks\n");
        out.push_str("# instead, and run `terraform apply`: Terraform forgets the gates and destroys nothing.\n");
        for resource in &whole {
            out.push_str(&format!(
                "removed {{\n  from = {}\n\n  lifecycle {{\n    destroy = false\n  }}\n}}\n\n",
                gatesctl_core::escape::terminal(resource)
            ));
        }
    }
    let commands: Vec<&String> = migration
        .instances
        .iter()
        .map(|(a, _)| a)
        .filter(|a| !removed_blocks || partial.contains(&without_keys(a)))
        .collect();
    if !commands.is_empty() {
        if removed_blocks {
            out.push_str("# Resources imported only in part (--service, --env): a removed block would take all\n");
            out.push_str("# their instances, so remove the imported ones from the state one by one:\n");
        } else {
            out.push_str("# Stop Terraform from managing these gates (nothing is destroyed), then delete their\n");
            out.push_str("# resource blocks from your .tf files, or the next `terraform apply` creates them again:\n");
        }
        for address in commands {
            out.push_str(&format!("terraform state rm {}\n", shell_quote(address)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_keys_are_dropped_even_when_they_hold_brackets() {
        assert_eq!(without_keys(r#"module.a["x"].datadog_deployment_gate.b[0]"#), "module.a.datadog_deployment_gate.b");
        assert_eq!(without_keys(r#"datadog_deployment_gate.b["a]b\"["]"#), "datadog_deployment_gate.b");
        assert_eq!(shell_quote(r#"x["it's"]"#), r#"'x["it'\''s"]'"#);
        assert_eq!(shell_quote("x[\"\u{1b}]0;t\u{7}\u{202e}'\"]"), r#"$'x["\x1b]0;t\x07\u202e\'"]'"#);
    }

    #[test]
    fn options_come_as_an_object_or_a_list_of_one() {
        for options in [r#"{"query": "service:a", "duration": 60}"#, r#"[{"query": "service:a", "duration": 60}]"#] {
            let text = format!(
                r#"{{"format_version": "1.0", "values": {{"root_module": {{"resources": [{{"address": "datadog_deployment_gate.a", "mode": "managed", "type": "datadog_deployment_gate", "name": "a",
                "values": {{"id": "g1", "service": "a", "env": "prod", "identifier": null, "dry_run": false, "rule": [{{"name": "r", "type": "monitor", "dry_run": true, "options": {options}}}]}}}}]}}}}}}"#
            );
            let m = read(&text).unwrap();
            let key = GateKey::new("a", "prod", "default");
            let rules = m.remote.rules_of(&key);
            assert_eq!(rules[0].rule.options.to_api(), serde_json::json!({"query": "service:a", "duration": 60}));
            assert!(rules[0].rule.dry_run);
        }
    }
}
