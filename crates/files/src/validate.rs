//! Phase two of loading: turn the spanned tree of one file into gates, collecting every
//! problem at once instead of stopping at the first.

use std::collections::BTreeMap;

use super::checker::{Checker, Table};
use super::source::{Node, SourceFile, Span, Value};
use super::wire::{
    field_names, rule_keys, CoverageSpec, DefaultsSpec, FileSpec, GateSpec, ManageSpec, ReportSpec, SafetySpec,
};
use gatesctl_core::desired::{CoverageSettings, ReportBar};
use gatesctl_core::diagnostic::{Code, ConfigDiagnostic};
use gatesctl_core::model::options::{
    self, OptionName, Place, Problem, ProblemKind, Step, Unknown, View, EXTRA_OPTIONS,
};
use gatesctl_core::model::{
    GateFilter, GateKey, NamePatterns, Rule, RuleOptions, RuleType, Watch, DEFAULT_IDENTIFIER, MAX_DURATION,
};
use gatesctl_core::suggest::suggest;

/// Where a gate's or a rule's table sits in its file, the `dry_run` value it writes, and the
/// entry (`service = …`, `name = …`) after whose line a new `dry_run` line would go (none for
/// an inline table).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DryRunSpans {
    /// The whole table: one declaration serves every gate of an `envs` template.
    pub(crate) declaration: Span,
    /// The `dry_run` value; none when it is inherited from `[defaults]`.
    pub(crate) value: Option<Span>,
    pub(crate) anchor: Option<Span>,
}

/// A gate as one file declares it, with where it was declared.
#[derive(Clone, Debug)]
pub(crate) struct DeclaredGate {
    pub(crate) key: GateKey,
    pub(crate) dry_run: bool,
    pub(crate) rules: BTreeMap<String, Rule>,
    /// What `report` asks of it: its own `report` table, its file's `[report]`.
    pub(crate) report: ReportBar,
    /// The span that names the gate (its `service` value), for duplicate reports.
    pub(crate) span: Span,
    /// Where what each monitor rule watches is written, by rule name: its query, or each
    /// entry of its `monitor_ids`.
    pub(crate) watch_spans: BTreeMap<String, Vec<Span>>,
    /// Where the gate's `dry_run` is decided, and each rule's, by rule name.
    /// Found only when asked for ([`Places::Keep`]): `report --write` needs them, a load does not.
    pub(crate) dry_run_spans: Option<DryRunSpans>,
    pub(crate) rule_dry_run_spans: BTreeMap<String, DryRunSpans>,
}

/// Where a gate's or a rule's table sits, the `dry_run` it writes, and the key a new `dry_run`
/// line would follow (none for an inline table, which has no lines of its own).
fn spans_of_dry_run(text: &str, node: &Node<'_>, anchor_key: &str) -> DryRunSpans {
    let Value::Table(entries) = &node.value else {
        return DryRunSpans { declaration: node.span.clone(), value: None, anchor: None };
    };
    let find = |name: &str| entries.iter().find(|(k, _)| k.name == name);
    let inline = text.get(node.span.clone()).is_some_and(|t| t.trim_start().starts_with('{'));
    DryRunSpans {
        declaration: node.span.clone(),
        value: find("dry_run").map(|(_, v)| v.span.clone()),
        anchor: if inline { None } else { find(anchor_key).map(|(k, v)| k.span.start..v.span.end) },
    }
}

pub(crate) const SUPPORTED_VERSION: i64 = 1;

/// The node at `place` inside a table node, and the span of the key naming it (when the last
/// step is a key).
fn locate<'n>(table: &'n Node<'n>, place: &Place) -> Option<(&'n Node<'n>, Option<Span>)> {
    let (mut node, mut key_span) = (table, None);
    for step in &place.0 {
        match (step, &node.value) {
            (Step::Key(name), Value::Table(entries)) => {
                let (key, value) = entries.iter().find(|(k, _)| k.name == name.as_str())?;
                (node, key_span) = (value, Some(key.span.clone()));
            }
            (Step::Index(i), Value::Array(items)) => (node, key_span) = (items.get(*i)?, None),
            _ => return None,
        }
    }
    Some((node, key_span))
}

/// A file's value as the options decoder reads it. A null is a value of the wrong kind here
/// (`duration:` left empty in YAML), not an option left out.
impl options::OptionValue for Node<'_> {
    fn view(&self) -> View<'_, Self> {
        match &self.value {
            Value::Null => View::Other("null"),
            Value::Bool(b) => View::Bool(*b),
            Value::Int(i) => View::Int(*i),
            Value::Float(_) => View::Other("a float"),
            Value::Str(s) => View::Str(s),
            Value::Array(items) => View::List(items.iter().collect()),
            Value::Table(entries) => View::Map(entries.iter().map(|(k, v)| (k.name.as_ref(), v)).collect()),
            Value::Other(kind) => View::Other(kind),
        }
    }

    fn to_json(&self) -> serde_json::Value {
        Node::to_json(self)
    }
}

/// Placeholders replaced in rule queries, per gate.
pub(crate) const PLACEHOLDERS: [&str; 3] = ["service", "env", "identifier"];

/// What one file declares.
#[derive(Debug, Default)]
pub(crate) struct FileOutcome {
    pub(crate) gates: Vec<DeclaredGate>,
    pub(crate) manage: Option<GateFilter>,
    pub(crate) safety: Option<SafetySpec>,
    /// `[coverage] max_gap`, in milliseconds.
    pub(crate) max_gap_ms: Option<i64>,
    pub(crate) policies: Vec<gatesctl_core::policy::Policy>,
}

/// The `{word}` placeholders of a text.
fn placeholders(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let Some(close) = rest.find('}') else { break };
        let word = &rest[..close];
        if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            out.push(word);
        }
    }
    out
}

/// A rule of a gate with its placeholders replaced.
fn expand(mut rule: Rule, key: &GateKey) -> Rule {
    if let options::Settings::Monitor(options::MonitorSettings { watch: Watch::Query(query), .. }) =
        &mut rule.options.settings
    {
        if query.contains('{') {
            *query = query
                .replace("{service}", &key.service)
                .replace("{env}", &key.env)
                .replace("{identifier}", &key.identifier);
        }
    }
    rule
}

/// Whether validation also notes where each `dry_run` is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Places {
    Keep,
    Skip,
}

pub(crate) fn validate_file(
    file: &SourceFile,
    root: &Node<'_>,
    places: Places,
) -> (FileOutcome, Vec<ConfigDiagnostic>) {
    let mut c = Checker { file, diags: Vec::new(), places: places == Places::Keep };
    let outcome = c.file_root(root);
    (outcome, c.diags)
}

impl<'a> Checker<'a> {
    fn file_root(&mut self, root: &Node<'_>) -> FileOutcome {
        let mut outcome = FileOutcome::default();
        if matches!(root.value, Value::Null) {
            self.error(
                Code::MissingKey,
                root.span.clone(),
                "empty file",
                "the file is empty",
                Some("start with `version = 1` (TOML) or `version: 1` (YAML)".into()),
            );
            return outcome;
        }
        let Some(top) = self.table(root, "the file", field_names::<FileSpec>()) else {
            return outcome;
        };

        match top.get("version") {
            None => self.missing(&top, "version", "the file", "add `version = 1` (TOML) or `version: 1` (YAML) at the top".into()),
            Some((_, node)) => match node.value {
                Value::Int(SUPPORTED_VERSION) => {}
                Value::Int(v) => self.error(
                    Code::UnsupportedVersion,
                    node.span.clone(),
                    "unsupported",
                    format!("file format version {v} is not supported"),
                    Some(format!("this gatesctl reads version {SUPPORTED_VERSION}; upgrade gatesctl or set `version = {SUPPORTED_VERSION}`")),
                ),
                _ => self.wrong_type(node, "`version`", "an integer"),
            },
        }

        let mut default_dry_run = false;
        if let Some((_, node)) = top.get("defaults") {
            if let Some(defaults) = self.table(node, "[defaults]", field_names::<DefaultsSpec>()) {
                default_dry_run = self.boolean(&defaults, "dry_run", "[defaults]").unwrap_or(false);
            }
        }
        if let Some((_, node)) = top.get("manage") {
            outcome.manage = self.manage(node);
        }
        if let Some((_, node)) = top.get("safety") {
            outcome.safety = self.safety(node);
        }
        let report = top.get("report").and_then(|(_, node)| self.report(node, "[report]")).unwrap_or_default();
        if let Some((_, node)) = top.get("coverage") {
            outcome.max_gap_ms = self.coverage(node);
        }
        if let Some((_, node)) = top.get("policy") {
            outcome.policies = self.policies(node);
        }

        // Duplicates, within this file and across files, are found where files are merged.
        if let Some((_, node)) = top.get("gates") {
            let Value::Array(items) = &node.value else {
                self.wrong_type(node, "`gates`", "a list of tables ([[gates]] in TOML, a `- ` list in YAML)");
                return outcome;
            };
            for (index, item) in items.iter().enumerate() {
                outcome.gates.extend(self.gate(item, index, default_dry_run, report));
            }
        }
        outcome
    }

    /// A list of glob patterns, each checked.
    fn patterns(&mut self, node: &Node<'_>, key: &str) -> NamePatterns {
        let subject = format!("`{key}` of [manage]");
        let Some(items) = self.strings(node, &subject, "a list of names or globs", None) else {
            return NamePatterns::default();
        };
        if matches!(&node.value, Value::Array(all) if all.is_empty()) {
            self.error(
                Code::EmptyValue,
                node.span.clone(),
                "empty list",
                format!("{subject} is empty"),
                Some("list at least one name or glob, such as \"checkout\" or \"pay*\"".into()),
            );
        }
        let mut out = Vec::new();
        for (text, span) in items {
            match glob::Pattern::new(&text) {
                Ok(p) => out.push(p),
                Err(e) => self.error(
                    Code::BadPattern,
                    span,
                    "invalid glob",
                    format!("{text:?} is not a valid glob: {}", e.msg),
                    Some("use `*` for any run of characters, `?` for one, `[abc]` for a set".into()),
                ),
            }
        }
        NamePatterns::from_patterns(out)
    }

    fn manage(&mut self, node: &Node<'_>) -> Option<GateFilter> {
        let table = self.table(node, "[manage]", field_names::<ManageSpec>())?;
        let envs = table.get("envs").map(|(_, n)| self.patterns(n, "envs")).unwrap_or_default();
        let Some((_, services)) = table.get("services") else {
            let help = "name the services this file owns, e.g. `services = [\"checkout\", \"pay*\"]`";
            self.missing(&table, "services", "[manage]", help.into());
            return None;
        };
        let services = self.patterns(services, "services");
        Some(GateFilter { services, envs, identifiers: NamePatterns::default() })
    }

    fn safety(&mut self, node: &Node<'_>) -> Option<SafetySpec> {
        let table = self.table(node, "[safety]", field_names::<SafetySpec>())?;
        let mut safety = SafetySpec::default();
        let none = |_| None;
        if let Some(v) = self.whole(&table, "max_delete_percent", "[safety]", (0, 100), none) {
            safety.max_delete_percent = Some(v);
        }
        if let Some(v) = self.whole(&table, "max_update_percent", "[safety]", (0, 100), none) {
            safety.max_update_percent = Some(v);
        }
        if let Some(v) = self.whole(&table, "min_existing", "[safety]", (0, i64::from(u32::MAX)), none) {
            safety.min_existing = Some(v);
        }
        Some(safety)
    }

    /// A `[coverage]` table: `max_gap`, a duration from 1 minute to 24 hours.
    fn coverage(&mut self, node: &Node<'_>) -> Option<i64> {
        let table = self.table(node, "[coverage]", field_names::<CoverageSpec>())?;
        let (text, span) = self.string(&table, "max_gap", "[coverage]")?;
        let (min, max) = CoverageSettings::MAX_GAP_RANGE_MS;
        match gatesctl_core::model::time::parse_duration_ms(&text) {
            Ok(ms) if (min..=max).contains(&ms) => Some(ms),
            Ok(_) => {
                self.error(
                    Code::OutOfRange,
                    span,
                    "out of range",
                    format!("`max_gap` of [coverage] must be between 1m and 24h, not {text:?}"),
                    Some("the longest a gate evaluation may precede the deploy it let through, e.g. \"6h\"".into()),
                );
                None
            }
            Err(why) => {
                self.error(Code::WrongType, span, "not a duration", format!("`max_gap` of [coverage]: {why}"), None);
                None
            }
        }
    }

    /// A `[report]` table (or a gate's `report`): whole numbers, each in its range.
    fn report(&mut self, node: &Node<'_>, what: &str) -> Option<ReportSpec> {
        let table = self.table(node, what, field_names::<ReportSpec>())?;
        let mut report = ReportSpec::default();
        for (key, min, max) in ReportSpec::RANGES {
            let help = |v: i64| {
                (key == "min_evaluations" && v < 1)
                    .then(|| "a recommendation needs evidence: at least one evaluation (10 by default)".to_string())
            };
            if let Some(v) = self.whole(&table, key, what, (i64::from(min), i64::from(max)), help) {
                report.set(key, v);
            }
        }
        Some(report)
    }

    /// The envs a gate declares: `env`, or each entry of `envs` with its span.
    fn envs(&mut self, table: &Table<'_>, what: &str) -> Option<Vec<(String, Span)>> {
        match (table.get("env"), table.get("envs")) {
            (Some((k1, _)), Some((k2, _))) => {
                self.twice(
                    Code::EnvAndEnvs,
                    (k2.span.clone(), "envs here"),
                    (k1.span.clone(), "env here"),
                    format!("{what} sets both `env` and `envs`"),
                    "use `env` for one environment, or `envs` to declare the gate once per environment",
                );
                None
            }
            (None, None) => {
                self.missing(
                    table,
                    "env",
                    what,
                    "every gate names the `env` it guards (or `envs = [...]` for one gate per env)".into(),
                );
                None
            }
            (Some(_), None) => {
                let env = self.string(table, "env", what);
                self.checked_name(env, "env", what).map(|e| vec![e])
            }
            (None, Some((_, node))) => {
                if matches!(&node.value, Value::Array(all) if all.is_empty()) {
                    let help = "list the environments, e.g. `envs = [\"staging\", \"production\"]`";
                    let message = format!("`envs` of {what} is empty");
                    self.error(Code::EmptyValue, node.span.clone(), "empty list", message, Some(help.into()));
                    return None;
                }
                let subject = format!("`envs` of {what}");
                let items = self.strings(node, &subject, "a list of environment names", None)?;
                let mut out: Vec<(String, Span)> = Vec::new();
                let items: Vec<(String, Span)> =
                    items.into_iter().filter_map(|item| self.checked_name(Some(item), "envs", what)).collect();
                for (env, span) in items {
                    match out.iter().find(|(e, _)| *e == env) {
                        Some((_, first)) => self.twice(
                            Code::DuplicateEnv,
                            (span, "listed again here"),
                            (first.clone(), "first listed here"),
                            format!("env {env:?} is listed twice in {subject}"),
                            "list each environment once",
                        ),
                        None => out.push((env, span)),
                    }
                }
                Some(out)
            }
        }
    }

    /// One gate, or one per entry of `envs`.
    fn gate(
        &mut self,
        node: &Node<'_>,
        index: usize,
        default_dry_run: bool,
        file_report: ReportSpec,
    ) -> Vec<DeclaredGate> {
        let numbered = format!("gate #{}", index + 1);
        let Some(table) = self.table(node, &numbered, field_names::<GateSpec>()) else { return Vec::new() };
        let service = self.required_string(&table, "service", &numbered, "every gate names the `service` it guards");
        let service = self.checked_name(service, "service", &numbered);
        let envs = self.envs(&table, &numbered);
        let identifier = match table.get("identifier") {
            Some(_) => {
                let identifier = self.string(&table, "identifier", &numbered);
                self.checked_name(identifier, "identifier", &numbered).map(|(s, _)| s)
            }
            None => Some(DEFAULT_IDENTIFIER.to_string()),
        };
        // Name the gate in later messages when it can be named.
        let what = match (&service, &envs, &identifier) {
            (Some((s, _)), Some(e), Some(i)) if e.len() == 1 => format!("gate {s}/{}/{i}", e[0].0),
            (Some((s, _)), Some(_), Some(i)) => format!("gate template {s}/{{env}}/{i}"),
            _ => numbered,
        };
        let dry_run = self.boolean(&table, "dry_run", &what).unwrap_or(default_dry_run);
        let report = ReportBar {
            gate: match table.get("report") {
                Some((_, n)) => self.report(n, &format!("`report` of {what}")).unwrap_or_default(),
                None => ReportSpec::default(),
            },
            file: file_report,
            file_name: self.file.named.name().to_string(),
        };
        let templated = table.get("envs").is_some();
        let dry_run_spans = self.places.then(|| spans_of_dry_run(self.file.text(), node, "service"));
        let mut rule_dry_run_spans = BTreeMap::new();

        let mut rules = BTreeMap::new();
        let mut rule_spans: BTreeMap<String, Span> = BTreeMap::new();
        let mut watch_spans: BTreeMap<String, Vec<Span>> = BTreeMap::new();
        if let Some((_, rules_node)) = table.get("rules") {
            match &rules_node.value {
                Value::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        let Some((name, span, rule)) = self.rule(item, &what, i, default_dry_run) else { continue };
                        if let Some(first) = rule_spans.get(&name) {
                            self.twice(
                                Code::DuplicateRule,
                                (span, "used again here"),
                                (first.clone(), "first used here"),
                                format!("rule name {name:?} is used twice in {what}"),
                                "rules are matched to remote rules by name: give each rule of a gate its own name",
                            );
                            continue;
                        }
                        // Read from the file, not from the decoded rule: another problem of
                        // the rule (its duration, say) must not hide this one.
                        if let Value::Table(entries) = &item.value {
                            if let Some((_, Node { value: Value::Str(query), .. })) =
                                entries.iter().find(|(k, _)| k.name == OptionName::Query.as_str())
                            {
                                self.check_placeholders(item, query, templated);
                            }
                        }
                        let option = |o: OptionName| match &item.value {
                            Value::Table(entries) => entries.iter().find(|(k, _)| k.name == o.as_str()).map(|(_, v)| v),
                            _ => None,
                        };
                        match rule.as_ref().and_then(|r| r.options.monitor_settings()).map(|m| &m.watch) {
                            Some(Watch::Query(_)) => {
                                let spans = option(OptionName::Query).map(|n| n.span.clone()).into_iter().collect();
                                watch_spans.insert(name.clone(), spans);
                            }
                            Some(Watch::Monitors(_)) => {
                                let entries = match option(OptionName::MonitorIds).map(|n| &n.value) {
                                    Some(Value::Array(items)) => items.iter().map(|n| n.span.clone()).collect(),
                                    _ => Vec::new(),
                                };
                                watch_spans.insert(name.clone(), entries);
                            }
                            None => {}
                        }
                        rule_spans.insert(name.clone(), span);
                        if self.places {
                            rule_dry_run_spans.insert(name.clone(), spans_of_dry_run(self.file.text(), item, "name"));
                        }
                        if let Some(rule) = rule {
                            rules.insert(name, rule);
                        }
                    }
                }
                _ => self.wrong_type(
                    rules_node,
                    &format!("`rules` of {what}"),
                    "a list of tables ([[gates.rules]] in TOML)",
                ),
            }
        }

        let (Some((service, service_span)), Some(envs), Some(identifier)) = (service, envs, identifier) else {
            return Vec::new();
        };
        // Each env but the last gets copies; the last takes the originals (most gates have one).
        let mut out = Vec::with_capacity(envs.len());
        let mut envs = envs.into_iter().peekable();
        let mut rules = Some(rules);
        let (mut watch_spans, mut rule_dry_run_spans) = (Some(watch_spans), Some(rule_dry_run_spans));
        while let Some((env, env_span)) = envs.next() {
            let last = envs.peek().is_none();
            let key = GateKey { service: service.clone(), env, identifier: identifier.clone() };
            fn share<T: Clone>(value: &mut Option<T>, last: bool) -> T {
                if last {
                    value.take().expect("taken once, by the last")
                } else {
                    value.clone().expect("there until the last")
                }
            }
            let rules = share(&mut rules, last).into_iter().map(|(name, r)| (name, expand(r, &key))).collect();
            // A templated gate is reported at its env entry, the one thing telling it apart.
            let span = if templated { env_span } else { service_span.clone() };
            out.push(DeclaredGate {
                key,
                dry_run,
                rules,
                report: report.clone(),
                span,
                watch_spans: share(&mut watch_spans, last),
                dry_run_spans: dry_run_spans.clone(),
                rule_dry_run_spans: share(&mut rule_dry_run_spans, last),
            });
        }
        out
    }

    /// `{word}` in a query must be one of the known placeholders.
    fn check_placeholders(&mut self, rule: &Node<'_>, query: &str, templated: bool) {
        let Value::Table(entries) = &rule.value else { return };
        let Some((_, node)) = entries.iter().find(|(k, _)| k.name == "query") else { return };
        for name in placeholders(query) {
            if PLACEHOLDERS.contains(&name) {
                continue;
            }
            let help = match suggest(name, PLACEHOLDERS) {
                Some(p) => format!("did you mean `{{{p}}}`?"),
                None => format!("placeholders are {}", PLACEHOLDERS.map(|p| format!("{{{p}}}")).join(", ")),
            };
            let help = if templated { help } else { format!("{help} (placeholders are replaced in every gate)") };
            self.error(
                Code::UnknownPlaceholder,
                node.span.clone(),
                format!("unknown placeholder `{{{name}}}`"),
                format!("unknown placeholder `{{{name}}}` in a query"),
                Some(help),
            );
        }
    }

    /// The rule's name and its span when it has one, and the rule when it is valid: a
    /// duplicate name is worth reporting even on a rule with other problems.
    fn rule(
        &mut self,
        node: &Node<'_>,
        gate: &str,
        index: usize,
        default_dry_run: bool,
    ) -> Option<(String, Span, Option<Rule>)> {
        let numbered = format!("rule #{} of {gate}", index + 1);
        let table = self.table(node, &numbered, &rule_keys())?;
        let name = self.required_string(&table, "name", &numbered, "every rule needs a `name`, unique within its gate");
        let name = self.checked_name(name, "name", &numbered);
        let what = match &name {
            Some((n, _)) => format!("rule {n:?} of {gate}"),
            None => numbered,
        };
        let rule = self.rule_body(node, &table, &what, gate, default_dry_run);
        let (name, span) = name?;
        let rule = rule.map(|(dry_run, options)| Rule { name: name.clone(), dry_run, options });
        Some((name, span, rule))
    }

    fn rule_body(
        &mut self,
        node: &Node<'_>,
        table: &Table<'_>,
        what: &str,
        gate: &str,
        default_dry_run: bool,
    ) -> Option<(bool, RuleOptions)> {
        let type_names: Vec<&str> = RuleType::ALL.iter().map(|t| t.as_str()).collect();
        let rule_type = match table.get("type") {
            None => {
                self.missing(table, "type", what, format!("set `type` to one of: {}", type_names.join(", ")));
                None
            }
            Some((_, t)) => match &t.value {
                Value::Str(s) => match RuleType::parse(s) {
                    Some(rt) => Some(rt),
                    None => {
                        let help = match suggest(s, type_names.iter().copied()) {
                            Some(m) => format!("did you mean `{m}`?"),
                            None => format!("rule types are: {}", type_names.join(", ")),
                        };
                        let help = format!(
                            "{help} (`name`, `dry_run` and `duration`, which every rule has, are checked; its other keys, once its type is known)"
                        );
                        self.error(
                            Code::UnknownRuleType,
                            t.span.clone(),
                            "unknown rule type",
                            format!("unknown rule type {s:?}"),
                            Some(help),
                        );
                        None
                    }
                },
                _ => {
                    self.wrong_type(t, &format!("`type` of {what}"), "a string");
                    None
                }
            },
        };
        let dry_run = self.boolean(table, "dry_run", what).unwrap_or(default_dry_run);
        let extra = table.get(EXTRA_OPTIONS).map(|(_, n)| self.extra_options(n, what));
        let entries: Vec<(&str, &Node<'_>)> = table
            .entries
            .iter()
            .filter(|(k, _)| OptionName::parse(&k.name).is_some())
            .map(|(k, v)| (k.name.as_ref(), v))
            .collect();
        // Without a type, only the keys every type has are checked: the others wait for it.
        let Some(rule_type) = rule_type else {
            let common: Vec<(&str, &Node<'_>)> =
                entries.iter().copied().filter(|(k, _)| *k == OptionName::Duration.as_str()).collect();
            // Any type reads `duration` the same way.
            let (_, problems) = options::decode(RuleType::Monitor, &common, Unknown::Ignore);
            let about_duration = |p: &&Problem| p.place.option() == Some(OptionName::Duration.as_str());
            for problem in problems.iter().filter(about_duration) {
                self.option_problem(node, table, problem, what, gate);
            }
            return None;
        };
        let (options, problems) = options::decode(rule_type, &entries, Unknown::Ignore);
        for problem in &problems {
            self.option_problem(node, table, problem, what, gate);
        }
        let mut options = options?;
        if let Some(extra) = extra {
            options.extra = extra?;
        }
        Some((dry_run, options))
    }

    /// `extra_options`: options of the API gatesctl does not model, sent as they are.
    fn extra_options(&mut self, node: &Node<'_>, what: &str) -> Option<BTreeMap<String, serde_json::Value>> {
        let Value::Table(entries) = &node.value else {
            self.wrong_type(
                node,
                &format!("`{EXTRA_OPTIONS}` of {what}"),
                "a table of options the API takes and gatesctl does not know",
            );
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in entries {
            if let Some(known) = OptionName::parse(&key.name) {
                self.error(
                    Code::KnownExtraOption,
                    key.span.clone(),
                    "gatesctl knows this option",
                    format!("`{known}` is an option gatesctl knows, so it does not belong in `{EXTRA_OPTIONS}` of {what}"),
                    Some(format!("set it in the rule itself: `{known} = …`; `{EXTRA_OPTIONS}` is for options of the API that gatesctl does not model")),
                );
                ok = false;
            } else if let Value::Other(kind) = value.value {
                self.wrong_type(
                    value,
                    &format!("`{EXTRA_OPTIONS}.{}` of {what}", key.name),
                    &format!("a JSON value, not {kind}"),
                );
                ok = false;
            } else {
                match self.exact_json(value, &format!("`{EXTRA_OPTIONS}.{}` of {what}", key.name)) {
                    Some(json) => {
                        out.insert(key.name.to_string(), json);
                    }
                    None => ok = false,
                }
            }
        }
        ok.then_some(out)
    }

    /// A value of `extra_options` as JSON, exactly: a `{ "$json" = "…" }` table (as `import`
    /// writes what TOML or YAML cannot hold) stands for the JSON its text holds.
    fn exact_json(&mut self, node: &Node<'_>, what: &str) -> Option<serde_json::Value> {
        match &node.value {
            Value::Table(entries) if entries.len() == 1 && entries[0].0.name == options::EXACT_JSON => {
                let inner = &entries[0].1;
                let parsed = match &inner.value {
                    Value::Str(text) => serde_json::from_str::<serde_json::Value>(text).map_err(|e| e.to_string()),
                    other => Err(format!("it is {}", other.kind())),
                };
                match parsed {
                    Ok(json) => Some(json),
                    Err(why) => {
                        self.error(
                            Code::WrongType,
                            inner.span.clone(),
                            "not JSON text",
                            format!("`{}` in {what} must hold a JSON value as text ({why})", options::EXACT_JSON),
                            Some(format!(
                                "write the value as JSON in a string, e.g. `{{ \"{}\" = \"18446744073709551617\" }}`",
                                options::EXACT_JSON
                            )),
                        );
                        None
                    }
                }
            }
            Value::Table(entries) => {
                let mut map = serde_json::Map::new();
                let mut ok = true;
                for (k, v) in entries {
                    match self.exact_json(v, what) {
                        Some(json) => {
                            map.insert(k.name.to_string(), json);
                        }
                        None => ok = false,
                    }
                }
                ok.then_some(serde_json::Value::Object(map))
            }
            Value::Array(items) => {
                let values: Vec<Option<serde_json::Value>> = items.iter().map(|v| self.exact_json(v, what)).collect();
                values.into_iter().collect::<Option<Vec<_>>>().map(serde_json::Value::Array)
            }
            _ => Some(node.to_json()),
        }
    }

    /// One problem of a rule's options, located in the file.
    fn option_problem(&mut self, rule: &Node<'_>, table: &Table<'_>, problem: &Problem, what: &str, gate: &str) {
        let place = &problem.place;
        let found = locate(rule, place);
        let value_span = found.as_ref().map(|(n, _)| n.span.clone()).unwrap_or_else(|| self.head(&table.span));
        let key_span = found.as_ref().and_then(|(_, k)| k.clone()).unwrap_or_else(|| value_span.clone());
        let key = place.option().unwrap_or_default().to_string();
        // `excluded_resources[2]` reads as "each entry of `excluded_resources`".
        let subject = match place.0.last() {
            Some(Step::Index(_)) => {
                let parent = Place(place.0[..place.0.len() - 1].to_vec());
                format!("each entry of `{parent}` of {what}")
            }
            _ => format!("`{place}` of {what}"),
        };
        match &problem.kind {
            ProblemKind::WrongType { expected, found } => {
                self.error(Code::WrongType, value_span, format!("this is {found}"), format!("{subject} must be {expected}"), None)
            }
            ProblemKind::Empty => {
                let (message, help) = match (key.as_str(), place.is_option()) {
                    ("monitor_ids", true) => (
                        format!("`monitor_ids` of {what} is empty"),
                        "list at least one monitor, such as `monitor_ids = [{ id = 123 }]`, or watch a `query` instead".to_string(),
                    ),
                    (_, true) => (format!("`{key}` of {what} is empty"), format!("give `{key}` a value, or remove the key if it is optional")),
                    ("monitor_ids", false) => (
                        format!("an entry of `{}` of {what} is empty", Place(place.0[..place.0.len() - 1].to_vec())),
                        "name a group of the monitor, such as \"region:eu\"".to_string(),
                    ),
                    _ => (
                        format!("an entry of `{key}` of {what} is empty"),
                        "name an APM resource, such as \"GET /healthz\"".to_string(),
                    ),
                };
                self.error(Code::EmptyValue, value_span, "empty", message, Some(help))
            }
            ProblemKind::OutOfRange { found, .. } if key == OptionName::Duration.as_str() => self.error(
                Code::DurationOutOfRange,
                value_span,
                format!("{found} is out of range"),
                format!("`duration` of {what} must be between 0 and {MAX_DURATION} seconds"),
                Some(if table.get("type").is_some_and(|(_, t)| matches!(&t.value, Value::Str(s) if s == "faulty_deployment_detection")) {
                    format!("the API accepts 0 to {MAX_DURATION} seconds (two hours); 900 or more is advised for faulty deployment detection")
                } else {
                    format!("the API accepts 0 to {MAX_DURATION} seconds (two hours): how long the monitors must stay OK")
                }),
            ),
            ProblemKind::OutOfRange { found, .. } => self.error(
                Code::OutOfRange,
                value_span,
                format!("{found} is out of range"),
                format!("`{key}` of {what} must be 0 or more seconds"),
                Some("how long to wait after the deployment starts before the monitors are looked at: 0 (the default) looks at once".into()),
            ),
            ProblemKind::NotForType(RuleType::FaultyDeploymentDetection) if key == OptionName::Query.as_str() => self.error(
                Code::QueryNotAllowed,
                key_span,
                "only for monitor rules",
                format!("`query` does not apply to a faulty_deployment_detection rule of {gate}"),
                Some("remove `query`, or set `type = \"monitor\"`".into()),
            ),
            ProblemKind::NotForType(RuleType::FaultyDeploymentDetection) => self.error(
                Code::OptionNotAllowed,
                key_span,
                "only for monitor rules",
                format!("`{key}` does not apply to a faulty_deployment_detection rule of {gate}"),
                Some("remove it, or set `type = \"monitor\"`".into()),
            ),
            ProblemKind::NotForType(RuleType::Monitor) => self.error(
                Code::ResourcesNotAllowed,
                key_span,
                "only for faulty_deployment_detection",
                format!("`{key}` does not apply to a monitor rule"),
                Some("remove it, or set `type = \"faulty_deployment_detection\"`".into()),
            ),
            ProblemKind::Conflict(first, second) => {
                let first_span = table.get(first.as_str()).map_or_else(|| key_span.clone(), |(k, _)| k.span.clone());
                let (code, here, there, message, help) = match first {
                    OptionName::ExcludedResources => (
                        Code::ConflictingResources,
                        "allowed here",
                        "excluded here",
                        format!("{what} sets both `{second}` and `{first}`"),
                        "the API takes one or the other: keep only the list you need",
                    ),
                    _ => (
                        Code::QueryAndMonitorIds,
                        "monitor_ids here",
                        "query here",
                        format!("{what} sets both `{first}` and `{second}`"),
                        "a monitor rule watches the monitors its query matches, or monitors by id: keep one of the two",
                    ),
                };
                self.twice(code, (key_span, here), (first_span, there), message, help)
            }
            ProblemKind::NoMonitors => {
                let span = self.head(&table.span);
                self.error(
                    Code::MissingQuery,
                    span,
                    "monitor rule without `query` or `monitor_ids`",
                    format!("{what} is a monitor rule but has neither `query` nor `monitor_ids`"),
                    Some("add a monitor search query, such as `query = \"service:checkout env:production\"`, or monitors by id, such as `monitor_ids = [{ id = 123 }]`".into()),
                );
            }
            ProblemKind::BadMonitorId => self.error(
                Code::BadMonitorId,
                value_span,
                "not a monitor id",
                format!("{subject} is not a monitor id"),
                Some("a monitor id is a whole number, as in the monitor's URL: `id = 123` (or `id = \"123\"`)".into()),
            ),
            ProblemKind::DuplicateMonitor { id, first } => {
                let mut first_place = place.clone();
                first_place.0.truncate(1);
                first_place.0.push(Step::Index(*first));
                let first_span = locate(rule, &first_place).map_or_else(|| value_span.clone(), |(n, _)| n.span.clone());
                self.twice(
                    Code::DuplicateMonitorId,
                    (value_span, "listed again here"),
                    (first_span, "first listed here"),
                    format!("monitor {id} is listed twice in `monitor_ids` of {what}"),
                    "list each monitor once, with all the groups it is watched for",
                )
            }
            ProblemKind::MissingId => self.error(
                Code::MissingKey,
                value_span,
                "`id` is missing here",
                format!("`{place}` of {what} has no `id`"),
                Some("give each monitor its id: `{ id = 123 }`, or `{ id = 123, groups = [\"region:eu\"] }`".into()),
            ),
            ProblemKind::UnknownKey { suggestion } => {
                let help = match suggestion {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a monitor of `monitor_ids` has `id` and `groups`".to_string(),
                };
                let name = match place.0.last() {
                    Some(Step::Key(k)) => k.clone(),
                    _ => key.clone(),
                };
                let parent = Place(place.0[..place.0.len().saturating_sub(1)].to_vec());
                self.error(Code::UnknownKey, key_span, "unknown key", format!("unknown key `{name}` in `{parent}` of {what}"), Some(help))
            }
        }
    }
}
