//! The `[[policy]]` tables of a file, validated as the gates are: every problem at once, each
//! located, with "did you mean" for a level or a requirement misspelt.

use std::collections::BTreeSet;

use super::checker::Checker;
use super::source::{Node, Span, Value};
use super::wire::{field_names, PolicyExceptionSpec, PolicyScopeSpec, PolicySpec};
use gatesctl_core::diagnostic::Code;
use gatesctl_core::model::{NamePatterns, MAX_DURATION};
use gatesctl_core::policy::{
    parse_date, CatalogQuery, ExceptionSubject, Level, Place, Policy, PolicyException, PolicyScope, Requirement,
};
use gatesctl_core::suggest::suggest;

impl Checker<'_> {
    fn place(&self, span: &Span) -> Place {
        Place { source: std::sync::Arc::clone(&self.file.named), span: span.clone() }
    }

    /// The policies of `node` (the file's `policy` key).
    pub(super) fn policies(&mut self, node: &Node<'_>) -> Vec<Policy> {
        let Value::Array(items) = &node.value else {
            self.wrong_type(node, "`policy`", "a list of tables ([[policy]] in TOML, a `- ` list in YAML)");
            return Vec::new();
        };
        items.iter().enumerate().filter_map(|(i, item)| self.policy(item, i)).collect()
    }

    fn policy(&mut self, node: &Node<'_>, index: usize) -> Option<Policy> {
        let numbered = format!("policy #{}", index + 1);
        let table = self.table(node, &numbered, field_names::<PolicySpec>())?;
        let name = self.required_string(&table, "name", &numbered, "every policy has a `name`: its Scorecards rule's");
        let name = self.checked_name(name, "name", &numbered);
        let what = name.as_ref().map_or(numbered.clone(), |(n, _)| format!("policy {n:?}"));
        let description = self.string(&table, "description", &what).map(|(d, _)| d).unwrap_or_default();
        let level = match table.get("level") {
            None => {
                self.missing(
                    &table,
                    "level",
                    &what,
                    "say how much it matters: `level = \"error\"` blocks plan and apply, `\"warning\"` shows".into(),
                );
                None
            }
            Some(_) => {
                let (text, span) = self.string(&table, "level", &what)?;
                let level = Level::parse(&text);
                if level.is_none() {
                    let names = Level::ALL.map(Level::as_str);
                    let help = suggest(&text, names).map_or_else(
                        || format!("a level is {}", names.join(" or ")),
                        |s| format!("did you mean `{s}`?"),
                    );
                    self.error(
                        Code::UnknownLevel,
                        span,
                        "unknown level",
                        format!("`level` of {what} is {text:?}"),
                        Some(help),
                    );
                }
                level
            }
        };
        let scope = table.get("scope").map(|(_, n)| self.policy_scope(n, &what)).unwrap_or_default();
        let mut require = BTreeSet::new();
        if let Some((_, n)) = table.get("require") {
            let subject = format!("`require` of {what}");
            for (text, span) in self.strings(n, &subject, "a list of requirements", None).unwrap_or_default() {
                match Requirement::parse(&text) {
                    Some(r) => {
                        require.insert(r);
                    }
                    None => {
                        let names = Requirement::ALL.map(Requirement::as_str);
                        let help = suggest(&text, names).map_or_else(
                            || format!("a requirement is one of {}", names.join(", ")),
                            |s| format!("did you mean `{s}`?"),
                        );
                        self.error(
                            Code::UnknownRequirement,
                            span,
                            "unknown requirement",
                            format!("{subject} names {text:?}"),
                            Some(help),
                        );
                    }
                }
            }
        }
        let max_dry_run_days = self.whole(&table, "max_dry_run_days", &what, (1, 365), |_| None);
        let min_coverage_percent = self.whole(&table, "min_coverage_percent", &what, (0, 100), |_| None);
        let min_rule_duration = table.get("min_rule_duration").and_then(|(_, n)| {
            let (text, span) = match &n.value {
                Value::Str(s) => (s.to_string(), n.span.clone()),
                _ => {
                    self.wrong_type(n, &format!("`min_rule_duration` of {what}"), "a duration such as \"5m\"");
                    return None;
                }
            };
            match gatesctl_core::model::time::parse_duration_ms(&text) {
                Ok(ms) if ms / 1000 <= MAX_DURATION as i64 => Some((ms / 1000) as u64),
                Ok(_) => {
                    self.error(
                        Code::OutOfRange,
                        span,
                        "longer than any rule",
                        format!("`min_rule_duration` of {what} is {text:?}, longer than the 2h a rule may watch"),
                        Some("no rule could meet it: give 2h or less".into()),
                    );
                    None
                }
                Err(why) => {
                    self.error(
                        Code::WrongType,
                        span,
                        "not a duration",
                        format!("`min_rule_duration` of {what}: {why}"),
                        None,
                    );
                    None
                }
            }
        });
        let exceptions = match table.get("exception") {
            None => Vec::new(),
            Some((_, n)) => match &n.value {
                Value::Array(items) => {
                    items.iter().enumerate().filter_map(|(i, e)| self.exception(e, i, &what)).collect()
                }
                _ => {
                    self.wrong_type(n, &format!("`exception` of {what}"), "a list of tables ([[policy.exception]])");
                    Vec::new()
                }
            },
        };
        let checks_nothing = require.is_empty()
            && max_dry_run_days.is_none()
            && min_rule_duration.is_none()
            && min_coverage_percent.is_none();
        if checks_nothing
            && !table.entries.iter().any(|(k, _)| {
                matches!(&*k.name, "require" | "max_dry_run_days" | "min_rule_duration" | "min_coverage_percent")
            })
        {
            self.error(
                Code::EmptyValue,
                self.head(&table.span),
                "checks nothing",
                format!("{what} checks nothing"),
                Some("give it `require = [\"gate\", …]` or a threshold (`max_dry_run_days`, `min_rule_duration`, `min_coverage_percent`)".into()),
            );
        }
        let (name, name_span) = name?;
        Some(Policy {
            name,
            description,
            level: level?,
            scope,
            require,
            max_dry_run_days,
            min_rule_duration,
            min_coverage_percent,
            exceptions,
            place: Some(self.place(&name_span)),
        })
    }

    fn policy_scope(&mut self, node: &Node<'_>, what: &str) -> PolicyScope {
        let subject = format!("`scope` of {what}");
        let Some(table) = self.table(node, &subject, field_names::<PolicyScopeSpec>()) else {
            return PolicyScope::default();
        };
        let globs = |this: &mut Self, key: &str| -> NamePatterns {
            let Some((_, n)) = table.get(key) else { return NamePatterns::default() };
            let texts: Vec<(String, Span)> = match &n.value {
                Value::Str(s) => vec![(s.to_string(), n.span.clone())],
                _ => this
                    .strings(n, &format!("`{key}` of {subject}"), "a name, a glob, or a list of them", None)
                    .unwrap_or_default(),
            };
            let mut patterns = Vec::new();
            for (text, span) in texts {
                match glob::Pattern::new(&text) {
                    Ok(p) => patterns.push(p),
                    Err(e) => this.error(
                        Code::BadPattern,
                        span,
                        "invalid glob",
                        format!("{text:?} is not a valid glob: {}", e.msg),
                        Some("use `*` for any run of characters, `?` for one, `[abc]` for a set".into()),
                    ),
                }
            }
            NamePatterns::from_patterns(patterns)
        };
        let services = globs(self, "service");
        let envs = globs(self, "env");
        let catalog = table.get("catalog").and_then(|(_, n)| match &n.value {
            Value::Str(text) => match CatalogQuery::parse(text) {
                Ok(q) => Some(q),
                Err(why) => {
                    self.error(
                        Code::BadPattern,
                        n.span.clone(),
                        "not a tag query",
                        format!("`catalog` of {subject}: {why}"),
                        None,
                    );
                    None
                }
            },
            _ => {
                self.wrong_type(n, &format!("`catalog` of {subject}"), "a tag query such as \"tier:1\"");
                None
            }
        });
        PolicyScope { services, envs, catalog }
    }

    fn exception(&mut self, node: &Node<'_>, index: usize, what: &str) -> Option<PolicyException> {
        let numbered = format!("exception #{} of {what}", index + 1);
        let table = self.table(node, &numbered, field_names::<PolicyExceptionSpec>())?;
        let gate = self.required_string(
            &table,
            "gate",
            &numbered,
            "name what it frees: `gate = \"service/env\"` or `\"service/env/identifier\"`",
        );
        let reason =
            self.required_string(&table, "reason", &numbered, "every exception says why, for whoever reads the audit");
        let until = self.required_string(
            &table,
            "until",
            &numbered,
            "every exception ends: `until = \"2027-01-31\"`; past it, the exception is itself a violation",
        );
        let subject = gate.and_then(|(text, span)| {
            let subject = ExceptionSubject::parse(&text);
            if subject.is_none() {
                self.error(
                    Code::WrongType,
                    span,
                    "not a gate",
                    format!("`gate` of {numbered} is {text:?}"),
                    Some("write `service/env` (every gate of it) or `service/env/identifier`".into()),
                );
            }
            subject
        });
        let until = until.and_then(|(text, span)| match parse_date(&text) {
            Some(day) => Some((text, day)),
            None => {
                self.error(
                    Code::BadDate,
                    span,
                    "not a date",
                    format!("`until` of {numbered} is {text:?}"),
                    Some("write the last day it holds as YYYY-MM-DD, e.g. \"2027-01-31\"".into()),
                );
                None
            }
        });
        let (until, until_day) = until?;
        Some(PolicyException {
            subject: subject?,
            reason: reason?.0,
            until,
            until_day,
            place: Some(self.place(&table.span)),
        })
    }
}
