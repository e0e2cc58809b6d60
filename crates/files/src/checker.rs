//! The generic half of validation: reading typed values (strings, booleans, lists, tables of
//! known keys) out of the spanned tree, each wrong type or missing key reported where it is,
//! every problem collected rather than the first returned.

use super::source::{Key, Node, SourceFile, Span, Value};
use gatesctl_core::diagnostic::{Code, ConfigDiagnostic};
use gatesctl_core::suggest::suggest;

pub(super) struct Checker<'a> {
    pub(super) file: &'a SourceFile,
    pub(super) diags: Vec<ConfigDiagnostic>,
    /// Note where each `dry_run` is decided (for `report --write`).
    pub(super) places: bool,
}

/// A table's entries with its span, looked up by key.
pub(super) struct Table<'n> {
    pub(super) span: Span,
    pub(super) entries: &'n [(Key<'n>, Node<'n>)],
}

impl<'n> Table<'n> {
    pub(super) fn get(&self, name: &str) -> Option<(&'n Key<'n>, &'n Node<'n>)> {
        self.entries.iter().find(|(k, _)| k.name == name).map(|(k, n)| (k, n))
    }
}

impl<'a> Checker<'a> {
    pub(super) fn error(
        &mut self,
        code: Code,
        span: Span,
        label: impl Into<String>,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        let mut d = ConfigDiagnostic::new(code, &self.file.named, span, label, message);
        d.help = help;
        self.diags.push(d);
    }

    /// A problem found in two places: reported at the second, pointing back at the first.
    pub(super) fn twice(&mut self, code: Code, here: (Span, &str), first: (Span, &str), message: String, help: &str) {
        let d = ConfigDiagnostic::new(code, &self.file.named, here.0, here.1, message)
            .with_label(first.0, first.1)
            .with_help(help);
        self.diags.push(d);
    }

    /// The first line of a span: a missing key is reported on the table's header, not its body.
    pub(super) fn head(&self, span: &Span) -> Span {
        let text = self.file.text();
        let start = span.start.min(text.len());
        let end = text[start..span.end.min(text.len())].find('\n').map_or(span.end, |i| start + i);
        start..end.max(start)
    }

    pub(super) fn table<'n>(&mut self, node: &'n Node<'n>, what: &str, allowed: &[&str]) -> Option<Table<'n>> {
        let Value::Table(entries) = &node.value else {
            self.wrong_type(node, what, "a table");
            return None;
        };
        // Tables have a handful of keys: a scan beats building a map for each of thousands.
        for (index, (key, _)) in entries.iter().enumerate() {
            if let Some((first, _)) = entries[..index].iter().find(|(k, _)| k.name == key.name) {
                self.twice(
                    Code::DuplicateKey,
                    (key.span.clone(), "repeated here"),
                    (first.span.clone(), "first set here"),
                    format!("`{}` is set twice in {what}", key.name),
                    "keep one of the two",
                );
                continue;
            }
            if !allowed.contains(&key.name.as_ref()) {
                let help = match suggest(&key.name, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{what} accepts: {}", allowed.join(", ")),
                };
                self.error(
                    Code::UnknownKey,
                    key.span.clone(),
                    "unknown key",
                    format!("unknown key `{}` in {what}", key.name),
                    Some(help),
                );
            }
        }
        Some(Table { span: node.span.clone(), entries })
    }

    pub(super) fn wrong_type(&mut self, node: &Node<'_>, what: &str, expected: &str) {
        self.error(
            Code::WrongType,
            node.span.clone(),
            format!("this is {}", node.value.kind()),
            format!("{what} must be {expected}"),
            None,
        );
    }

    pub(super) fn missing(&mut self, table: &Table<'_>, key: &str, what: &str, help: String) {
        let span = self.head(&table.span);
        self.error(
            Code::MissingKey,
            span,
            format!("`{key}` is missing here"),
            format!("{what} has no `{key}`"),
            Some(help),
        );
    }

    pub(super) fn string(&mut self, table: &Table<'_>, key: &str, what: &str) -> Option<(String, Span)> {
        let (_, node) = table.get(key)?;
        match &node.value {
            Value::Str(s) if s.trim().is_empty() => {
                self.error(
                    Code::EmptyValue,
                    node.span.clone(),
                    "empty",
                    format!("`{key}` of {what} is empty"),
                    Some(format!("give `{key}` a value, or remove the key if it is optional")),
                );
                None
            }
            Value::Str(s) => Some((s.to_string(), node.span.clone())),
            _ => {
                self.wrong_type(node, &format!("`{key}` of {what}"), "a string");
                None
            }
        }
    }

    /// A name (service, env, identifier, rule): text without control characters or the
    /// invisible ones that reorder text, so that every output shows it as it is.
    pub(super) fn checked_name(
        &mut self,
        name: Option<(String, Span)>,
        key: &str,
        what: &str,
    ) -> Option<(String, Span)> {
        let (text, span) = name?;
        if let Some(c) = text.chars().find(|c| gatesctl_core::escape::is_unsafe(*c)) {
            self.error(
                Code::InvalidCharacter,
                span,
                format!("contains {}", gatesctl_core::escape::terminal(&c.to_string())),
                format!("`{key}` of {what} contains a control or invisible formatting character"),
                Some(gatesctl_core::escape::NAME_HELP.into()),
            );
            return None;
        }
        Some((text, span))
    }

    pub(super) fn required_string(
        &mut self,
        table: &Table<'_>,
        key: &str,
        what: &str,
        help: &str,
    ) -> Option<(String, Span)> {
        if table.get(key).is_none() {
            self.missing(table, key, what, help.to_string());
            return None;
        }
        self.string(table, key, what)
    }

    pub(super) fn boolean(&mut self, table: &Table<'_>, key: &str, what: &str) -> Option<bool> {
        let (_, node) = table.get(key)?;
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, &format!("`{key}` of {what}"), "true or false");
                None
            }
        }
    }

    /// A whole number of a table, in `min..=max` (`max` of `u32::MAX` reads as no upper
    /// bound); out of range, `help` may say more about the value given.
    pub(super) fn whole(
        &mut self,
        table: &Table<'_>,
        key: &str,
        what: &str,
        (min, max): (i64, i64),
        help: impl Fn(i64) -> Option<String>,
    ) -> Option<u32> {
        let (_, n) = table.get(key)?;
        match n.value {
            Value::Int(v) if (min..=max).contains(&v) => Some(v as u32),
            Value::Int(v) => {
                let range = if max == i64::from(u32::MAX) {
                    format!("{min} or more")
                } else {
                    format!("between {min} and {max}")
                };
                self.error(
                    Code::OutOfRange,
                    n.span.clone(),
                    format!("{v} is out of range"),
                    format!("`{key}` of {what} must be {range}"),
                    help(v),
                );
                None
            }
            _ => {
                self.wrong_type(n, &format!("`{key}` of {what}"), "a whole number");
                None
            }
        }
    }

    /// The non-empty strings of a list, with their spans; every other entry is reported.
    /// `subject` names the list in messages: "`envs` of gate #2".
    pub(super) fn strings(
        &mut self,
        node: &Node<'_>,
        subject: &str,
        expected: &str,
        empty_help: Option<&str>,
    ) -> Option<Vec<(String, Span)>> {
        let Value::Array(items) = &node.value else {
            self.wrong_type(node, subject, expected);
            return None;
        };
        let mut out = Vec::new();
        for item in items {
            match &item.value {
                Value::Str(s) if s.trim().is_empty() => self.error(
                    Code::EmptyValue,
                    item.span.clone(),
                    "empty",
                    format!("an entry of {subject} is empty"),
                    empty_help.map(str::to_string),
                ),
                Value::Str(s) => out.push((s.to_string(), item.span.clone())),
                _ => self.wrong_type(item, &format!("each entry of {subject}"), "a string"),
            }
        }
        Some(out)
    }
}
