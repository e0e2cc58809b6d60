//! The gates written as a configuration file: what `import` writes, sorted, in the layout
//! `fmt` keeps, with a modeline that points editors at the schema.

use std::collections::BTreeMap;
use std::path::Path;

use gatesctl_core::model::{RemoteState, Rule, DEFAULT_IDENTIFIER};

use crate::source::Format;
use crate::wire::{DefaultsSpec, FileSpec, GateSpec, RuleSpec};

/// The gates could not be written as a file (a value TOML or YAML cannot hold).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the imported gates as {format}: {detail}")]
pub struct SerialiseError {
    pub(crate) format: &'static str,
    pub(crate) detail: String,
}

/// The format import writes: the one asked for; else the one the output file's extension
/// names; else TOML.
pub fn output_format(asked: Option<Format>, output: Option<&Path>) -> Format {
    asked.or_else(|| output.and_then(Format::from_path)).unwrap_or(Format::Toml)
}

fn rule_spec(rule: &Rule, default_dry_run: bool) -> RuleSpec {
    RuleSpec {
        name: rule.name.clone(),
        rule_type: rule.rule_type(),
        dry_run: (rule.dry_run != default_dry_run).then_some(rule.dry_run),
        options: (&rule.options).into(),
    }
}

/// The remote gates as a file: sorted, with the most common `dry_run` factored into [defaults].
pub fn file_spec(remote: &RemoteState) -> FileSpec {
    let mut votes: BTreeMap<bool, usize> = BTreeMap::new();
    for gate in remote.gates.values() {
        *votes.entry(gate.dry_run).or_default() += 1;
        for r in remote.rules_of(&gate.key) {
            *votes.entry(r.rule.dry_run).or_default() += 1;
        }
    }
    let default_dry_run = votes.get(&true).copied().unwrap_or(0) > votes.get(&false).copied().unwrap_or(0);
    let gates = remote
        .gates
        .values()
        .map(|gate| {
            let mut rules: Vec<&Rule> = remote.rules_of(&gate.key).iter().map(|r| &r.rule).collect();
            rules.sort_by(|a, b| a.name.cmp(&b.name));
            // Two remote rules with one name cannot both be declared: keep the first.
            rules.dedup_by(|a, b| a.name == b.name);
            GateSpec {
                service: gate.key.service.clone(),
                env: Some(gate.key.env.clone()),
                envs: None,
                identifier: (gate.key.identifier != DEFAULT_IDENTIFIER).then(|| gate.key.identifier.clone()),
                dry_run: (gate.dry_run != default_dry_run).then_some(gate.dry_run),
                report: None,
                rules: rules.into_iter().map(|r| rule_spec(r, default_dry_run)).collect(),
            }
        })
        .collect();
    FileSpec {
        version: 1,
        defaults: Some(DefaultsSpec { dry_run: Some(default_dry_run) }),
        manage: None,
        safety: None,
        report: None,
        coverage: None,
        policy: Vec::new(),
        gates,
    }
}

/// A TOML value as a YAML node, keys in the order serde wrote them (the fields' declaration
/// order: service and env before rules, as in the TOML file).
fn yaml(value: &toml::Value) -> saphyr::Yaml<'_> {
    use saphyr::{Scalar, Yaml};
    use toml::Value;
    match value {
        Value::Boolean(b) => Yaml::Value(Scalar::Boolean(*b)),
        Value::Integer(i) => Yaml::Value(Scalar::Integer(*i)),
        Value::Float(f) => Yaml::Value(Scalar::FloatingPoint((*f).into())),
        Value::String(s) => Yaml::Value(Scalar::String(s.as_str().into())),
        Value::Datetime(d) => Yaml::Value(Scalar::String(d.to_string().into())),
        Value::Array(items) => Yaml::Sequence(items.iter().map(yaml).collect()),
        Value::Table(map) => {
            Yaml::Mapping(map.iter().map(|(k, v)| (Yaml::Value(Scalar::String(k.as_str().into())), yaml(v))).collect())
        }
    }
}

/// A TOML document as people write one: `[defaults]` and `[[gates]]`/`[[gates.rules]]` as
/// tables, every other table inline (`monitor_ids = [{ id = 123 }]`), keys in the order serde
/// wrote them.
fn toml_text(value: &toml::Value) -> String {
    use toml_edit::{ArrayOfTables, DocumentMut, Item, Table};

    fn inline(value: &toml::Value) -> toml_edit::Value {
        match value {
            toml::Value::String(s) => s.as_str().into(),
            toml::Value::Integer(i) => (*i).into(),
            toml::Value::Float(f) => (*f).into(),
            toml::Value::Boolean(b) => (*b).into(),
            toml::Value::Datetime(d) => d.to_string().into(),
            toml::Value::Array(items) => toml_edit::Value::Array(items.iter().map(inline).collect()),
            toml::Value::Table(map) => {
                toml_edit::Value::InlineTable(map.iter().map(|(k, v)| (k.as_str(), inline(v))).collect())
            }
        }
    }

    fn fill(table: &mut Table, map: &toml::Table, top: bool) {
        for (key, value) in map {
            let item = match value {
                toml::Value::Table(sub) if top => {
                    let mut t = Table::new();
                    fill(&mut t, sub, false);
                    Item::Table(t)
                }
                toml::Value::Array(items)
                    if (key == "gates" || key == "rules")
                        && items.iter().all(|i| matches!(i, toml::Value::Table(_))) =>
                {
                    let mut list = ArrayOfTables::new();
                    for item in items {
                        let mut t = Table::new();
                        if let toml::Value::Table(sub) = item {
                            fill(&mut t, sub, false);
                        }
                        list.push(t);
                    }
                    Item::ArrayOfTables(list)
                }
                other => Item::Value(inline(other)),
            };
            table.insert(key, item);
        }
    }

    let mut doc = DocumentMut::new();
    if let toml::Value::Table(map) = value {
        fill(doc.as_table_mut(), map, true);
    }
    doc.to_string()
}

/// Text that must not reach a terminal raw (U+202E, C1 controls), in strings and keys, set
/// aside: each is replaced by a placeholder both emitters write as `"\u0000gatesctl-N"`, and the
/// emitted file gets the text back written with escapes (`"a\u202eb"`), the same value in TOML
/// and YAML alike. A string holding a NUL is set aside itself, so no placeholder can collide.
struct SetAside(Vec<String>);

impl SetAside {
    fn walk(&mut self, value: &mut toml::Value) {
        match value {
            toml::Value::String(s) => self.take(s),
            toml::Value::Array(items) => items.iter_mut().for_each(|v| self.walk(v)),
            toml::Value::Table(map) => {
                let entries: Vec<(String, toml::Value)> = std::mem::take(map).into_iter().collect();
                for (mut key, mut v) in entries {
                    self.take(&mut key);
                    self.walk(&mut v);
                    map.insert(key, v);
                }
            }
            _ => {}
        }
    }

    fn take(&mut self, text: &mut String) {
        if text.chars().any(gatesctl_core::escape::is_unsafe) {
            let json = serde_json::to_string(text.as_str()).expect("strings serialise");
            let escaped = gatesctl_core::escape::json_escaped(&json).into_owned();
            *text = format!("\0gatesctl-{}", self.0.len());
            self.0.push(escaped);
        }
    }

    fn restore(&self, mut emitted: String) -> String {
        for (i, escaped) in self.0.iter().enumerate().rev() {
            emitted = emitted.replace(&format!("\"\\u0000gatesctl-{i}\""), escaped);
        }
        emitted
    }
}

/// A JSON value as a file holds it, exactly: what TOML and YAML cannot hold as it is (null, an
/// integer beyond 64 bits, a decimal beyond a double) becomes `{ "$json" = "…" }`, its JSON
/// text, which the loader reads back as the same value.
fn file_value(value: &serde_json::Value) -> toml::Value {
    use gatesctl_core::model::options::{file_number, needs_exact_text, FileNumber, EXACT_JSON};
    use serde_json::Value as J;
    if needs_exact_text(value) {
        let mut table = toml::Table::new();
        table.insert(EXACT_JSON.to_string(), toml::Value::String(value.to_string()));
        return toml::Value::Table(table);
    }
    match value {
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match file_number(n) {
            Some(FileNumber::Integer(i)) => toml::Value::Integer(i),
            Some(FileNumber::Float(f)) => toml::Value::Float(f),
            None => unreachable!("needs_exact_text takes the others"),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(items) => toml::Value::Array(items.iter().map(file_value).collect()),
        J::Object(map) => toml::Value::Table(map.iter().map(|(k, v)| (k.clone(), file_value(v))).collect()),
        J::Null => unreachable!("needs_exact_text takes null"),
    }
}

pub fn serialise(spec: &FileSpec, format: Format, source: &str) -> Result<String, SerialiseError> {
    let failed = |detail: String| SerialiseError { format: format.name(), detail };
    // Editors (taplo, the YAML language server) complete and check the file from its schema.
    let schema = format!("{}/gates.schema.json", crate::wire::SCHEMAS_URL);
    let modeline = match format {
        Format::Toml => format!("#:schema {schema}\n"),
        Format::Yaml => format!("# yaml-language-server: $schema={schema}\n"),
    };
    let header = format!(
        "{modeline}# Deployment gates imported by gatesctl from {}.\n",
        gatesctl_core::escape::terminal(source)
    );
    let json = serde_json::to_value(spec).map_err(|e| failed(e.to_string()))?;
    let mut value = file_value(&json);
    let mut aside = SetAside(Vec::new());
    aside.walk(&mut value);
    let body = match format {
        Format::Toml => toml_text(&value),
        Format::Yaml => {
            let mut body = String::new();
            saphyr::YamlEmitter::new(&mut body).dump(&yaml(&value)).map_err(|e| failed(e.to_string()))?;
            body + "\n"
        }
    };
    let text = header + &aside.restore(body);
    // In the layout `gatesctl fmt` keeps, so an imported file passes `fmt --check` as written.
    let (source_format, name) = match format {
        Format::Toml => (Format::Toml, "imported.toml"),
        Format::Yaml => (Format::Yaml, "imported.yaml"),
    };
    let file = crate::source::SourceFile::new(name.into(), source_format, text);
    crate::fmt::format(&file).map_err(|e| failed(e.to_string()))
}

/// One warning per query or option holding a control or invisible formatting character: it is
/// written escaped (`\u202e`), the same value, so the file cannot drive a terminal.
pub fn unprintable_options(remote: &RemoteState) -> Vec<String> {
    let mut warnings = Vec::new();
    for (key, rules) in &remote.rules {
        for rule in rules {
            let options = rule.rule.options.to_api().to_string();
            if options.chars().any(gatesctl_core::escape::is_unsafe) {
                warnings.push(format!(
                    "rule {} of gate {key} has control or invisible characters in its options: written escaped (\\u…), check them before you trust this rule",
                    gatesctl_core::escape::quoted(&rule.rule.name)
                ));
            }
        }
    }
    warnings
}

/// One warning per gate or rule whose name holds a control or invisible formatting character:
/// it is written as it is, and `validate` refuses it until it is renamed.
pub fn unprintable_names(remote: &RemoteState) -> Vec<String> {
    let unsafe_text = |s: &str| s.chars().any(gatesctl_core::escape::is_unsafe);
    let mut warnings = Vec::new();
    for key in remote.gates.keys() {
        if [&key.service, &key.env, &key.identifier].into_iter().any(|s| unsafe_text(s)) {
            warnings.push(format!("gate {key} has a name with a control or invisible character; `gatesctl validate` refuses it until the gate is recreated under a printable name"));
        }
        for rule in remote.rules_of(key).iter().filter(|r| unsafe_text(&r.rule.name)) {
            warnings.push(format!(
                "rule {} of gate {key} has a control or invisible character in its name; `gatesctl validate` refuses it until it is renamed in the file (apply then creates the renamed rule and deletes this one)",
                gatesctl_core::escape::quoted(&rule.rule.name)
            ));
        }
    }
    warnings
}

/// One warning per rule holding options gatesctl does not model: they are written under
/// `extra_options`, and every apply sends them back as they are.
pub fn extra_options(remote: &RemoteState) -> Vec<String> {
    let mut warnings = Vec::new();
    for (key, rules) in &remote.rules {
        for rule in rules.iter().filter(|r| !r.rule.options.extra.is_empty()) {
            let options: Vec<String> = rule
                .rule
                .options
                .extra
                .iter()
                .map(|(k, v)| format!("{} = {}", gatesctl_core::escape::terminal(k), gatesctl_core::escape::json(v)))
                .collect();
            warnings.push(format!(
                "rule {} of gate {key} has options gatesctl does not model ({}): written under `extra_options`, and kept as they are by every apply",
                gatesctl_core::escape::quoted(&rule.rule.name),
                options.join(", ")
            ));
        }
    }
    warnings
}
