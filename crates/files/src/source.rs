//! Phase one of loading: read TOML or YAML into a tree of values that keep their byte spans,
//! so that validation can point at the offending key or value in either format.

use gatesctl_core::diagnostic::Code;
pub use gatesctl_core::source::{Format, SourceFile, Span};
use std::borrow::Cow;

/// Keys and strings borrow from the source where they can: a large file is mostly strings.
#[derive(Clone, Debug)]
pub(crate) struct Key<'a> {
    pub(crate) name: Cow<'a, str>,
    pub(crate) span: Span,
}

#[derive(Clone, Debug)]
pub struct Node<'a> {
    pub(crate) span: Span,
    pub(crate) value: Value<'a>,
}

#[derive(Clone, Debug)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Entries in source order; YAML may repeat a key, which validation reports.
    Table(Vec<(Key<'a>, Node<'a>)>),
    /// A value of a kind the file format has but the model never uses (TOML datetimes).
    Other(&'static str),
}

impl Value<'_> {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Str(_) => "a string",
            Value::Array(_) => "a list",
            Value::Table(_) => "a table",
            Value::Other(kind) => kind,
        }
    }
}

impl Node<'_> {
    /// The value as JSON, for checking files against the JSON Schema.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null | Value::Other(_) => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => J::from(*f),
            Value::Str(s) => J::String(s.to_string()),
            Value::Array(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Table(entries) => {
                J::Object(entries.iter().map(|(k, v)| (k.name.to_string(), v.to_json())).collect())
            }
        }
    }
}

/// A problem found while reading the file's structure, with the place it was found.
#[derive(Clone, Debug)]
pub struct SyntaxError {
    pub(crate) code: Code,
    pub(crate) message: String,
    pub(crate) span: Span,
    pub(crate) label: &'static str,
    /// How to fix it, when the format's general advice does not fit.
    pub(crate) help: Option<&'static str>,
}

impl SyntaxError {
    fn syntax(message: impl Into<String>, span: Span) -> SyntaxError {
        SyntaxError { code: Code::Syntax, message: message.into(), span, label: "here", help: None }
    }
}

/// Nesting deeper than this is refused: a configuration is four levels deep, and a deeper
/// tree (130,000 nested lists) would overflow the stack when dropped.
pub(crate) const MAX_DEPTH: usize = 64;
/// YAML aliases may add at most this many nodes beyond the file's own size in bytes: a file
/// without aliases never comes near, and a 388-byte "billion laughs" is stopped early.
const ALIAS_ALLOWANCE: usize = 100_000;

pub fn parse(file: &SourceFile) -> Result<Node<'_>, Vec<SyntaxError>> {
    match file.format {
        Format::Toml => parse_toml(file.text()),
        Format::Yaml => parse_yaml(file.text()),
    }
}

fn parse_toml(text: &str) -> Result<Node<'_>, Vec<SyntaxError>> {
    use toml::de::{DeTable, DeValue};
    use toml::Spanned;

    let (doc, errors) = DeTable::parse_recoverable(text);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|e| SyntaxError::syntax(e.message().trim(), e.span().unwrap_or(0..0)))
            .collect());
    }

    fn without_underscores(digits: &str) -> Cow<'_, str> {
        if digits.contains('_') {
            Cow::Owned(digits.replace('_', ""))
        } else {
            Cow::Borrowed(digits)
        }
    }

    // By value: the parser's tree is handed over piece by piece, never held twice.
    fn table(t: DeTable<'_>) -> Value<'_> {
        let mut entries: Vec<(Key, Node)> = t
            .into_iter()
            .map(|(k, v)| {
                let span = k.span();
                (Key { name: k.into_inner(), span }, value(v))
            })
            .collect();
        // DeTable keeps keys sorted; source order reads better in diagnostics.
        entries.sort_by_key(|(k, _)| k.span.start);
        Value::Table(entries)
    }

    fn value(v: Spanned<DeValue<'_>>) -> Node<'_> {
        let span = v.span();
        let value = match v.into_inner() {
            DeValue::String(s) => Value::Str(s),
            DeValue::Integer(i) => match i64::from_str_radix(&without_underscores(i.as_str()), i.radix()) {
                Ok(n) => Value::Int(n),
                Err(_) => Value::Other("an integer too large"),
            },
            DeValue::Float(f) => Value::Float(without_underscores(f.as_str()).parse().unwrap_or(f64::NAN)),
            DeValue::Boolean(b) => Value::Bool(b),
            DeValue::Datetime(_) => Value::Other("a datetime"),
            DeValue::Array(items) => Value::Array(items.into_iter().map(value).collect()),
            DeValue::Table(t) => table(t),
        };
        Node { span, value }
    }

    let span = doc.span();
    Ok(Node { span, value: table(doc.into_inner()) })
}

/// Maps the YAML parser's character offsets to byte offsets.
struct CharOffsets {
    bytes: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let bytes = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        CharOffsets { bytes, len: text.len() }
    }

    fn byte(&self, char_index: usize) -> usize {
        match &self.bytes {
            None => char_index.min(self.len),
            Some(map) => map.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

/// A YAML scalar's value under the core schema, honouring an explicit core tag (`!!str 300`
/// is text, `!!int "300"` a number); other tags are refused rather than ignored.
fn yaml_scalar<'a>(
    value: Cow<'a, str>,
    style: saphyr_parser::ScalarStyle,
    tag: Option<&saphyr_parser::Tag>,
    span: &Span,
) -> Result<Value<'a>, SyntaxError> {
    let Some(tag) = tag else {
        return Ok(match style {
            saphyr_parser::ScalarStyle::Plain => resolve_plain(value),
            _ => Value::Str(value),
        });
    };
    let refuse = |what: String| SyntaxError {
        code: Code::UnsupportedTag,
        message: what,
        span: span.clone(),
        label: "this tag",
        help: Some(
            "remove the tag: plain values are typed by the YAML core schema (`300` is a number, `\"300\"` text)",
        ),
    };
    if !tag.is_yaml_core_schema() {
        return Err(refuse(format!("the YAML tag {tag} is not supported")));
    }
    let text = value.as_ref();
    let typed = match tag.suffix.as_str() {
        "str" => Some(Value::Str(value.clone())),
        "int" => match resolve_plain(Cow::Borrowed(text)) {
            Value::Int(n) => Some(Value::Int(n)),
            _ => None,
        },
        "float" => match resolve_plain(Cow::Borrowed(text)) {
            Value::Int(n) => Some(Value::Float(n as f64)),
            Value::Float(f) => Some(Value::Float(f)),
            _ => None,
        },
        "bool" => match resolve_plain(Cow::Borrowed(text)) {
            Value::Bool(b) => Some(Value::Bool(b)),
            _ => None,
        },
        "null" => match resolve_plain(Cow::Borrowed(text)) {
            Value::Null => Some(Value::Null),
            _ => None,
        },
        other => return Err(refuse(format!("the YAML tag !!{other} is not supported"))),
    };
    typed.ok_or_else(|| SyntaxError {
        code: Code::UnsupportedTag,
        message: format!("{text:?} is not a valid !!{}", tag.suffix),
        span: span.clone(),
        label: "this value",
        help: Some("fix the value, or remove the tag"),
    })
}

fn parse_yaml(text: &str) -> Result<Node<'_>, Vec<SyntaxError>> {
    use saphyr_parser::{Event, Parser};

    enum Frame<'a> {
        Seq { start: usize, anchor: usize, nodes: usize, items: Vec<Node<'a>> },
        Map { start: usize, anchor: usize, nodes: usize, entries: Vec<(Key<'a>, Node<'a>)>, key: Option<Key<'a>> },
    }

    let offsets = CharOffsets::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame<'_>> = Vec::new();
    // Anchored nodes, with the number of nodes each holds (what an alias to it adds).
    let mut anchors: std::collections::HashMap<usize, (Node<'_>, usize)> = std::collections::HashMap::new();
    let mut root: Option<Node<'_>> = None;
    let mut total_nodes = 0usize;
    let node_budget = text.len() + ALIAS_ALLOWANCE;

    // Hands a finished node (holding `size` nodes) to its parent, or makes it the root.
    fn push<'a>(
        stack: &mut [Frame<'a>],
        node: Node<'a>,
        size: usize,
        root: &mut Option<Node<'a>>,
    ) -> Result<(), SyntaxError> {
        match stack.last_mut() {
            None => {
                *root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, nodes, .. }) => {
                *nodes += size;
                items.push(node);
                Ok(())
            }
            Some(Frame::Map { entries, key, nodes, .. }) => {
                *nodes += size;
                match key.take() {
                    None => match node.value {
                        Value::Str(name) => {
                            *key = Some(Key { name, span: node.span });
                            Ok(())
                        }
                        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
                            let name = yaml_scalar_text(&node.value);
                            *key = Some(Key { name: Cow::Owned(name), span: node.span });
                            Ok(())
                        }
                        _ => Err(SyntaxError::syntax("mapping keys must be plain strings", node.span)),
                    },
                    Some(k) => {
                        entries.push((k, node));
                        Ok(())
                    }
                }
            }
        }
    }

    let mut documents = 0;
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let at = offsets.byte(e.marker().index());
                return Err(vec![SyntaxError::syntax(e.info(), at..at)]);
            }
        };
        let start = offsets.byte(span.start.index());
        let end = offsets.byte(span.end.index()).max(start);
        let here = start..end;
        let (node, size) = match event {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    // Never ignored: a gate in the second document would be pruned as undeclared.
                    let at = text[start..].find("---").map_or(start, |i| start + i);
                    return Err(vec![SyntaxError {
                        code: Code::MultipleDocuments,
                        message: "the file holds more than one YAML document; gatesctl reads one document per file"
                            .into(),
                        span: at..(at + 3).min(text.len()),
                        label: "a second document starts here",
                        help: Some(
                            "merge the documents into one, or put each in its own file and pass every file with -f",
                        ),
                    }]);
                }
                continue;
            }
            Event::Scalar(value, style, anchor, tag) => {
                let value = yaml_scalar(value, style, tag.as_deref(), &here).map_err(|e| vec![e])?;
                let node = Node { span: here, value };
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), 1));
                }
                (node, 1)
            }
            Event::Alias(id) => match anchors.get(&id) {
                Some((n, size)) => (n.clone(), *size),
                None => return Err(vec![SyntaxError::syntax("unknown alias", here)]),
            },
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag)
                if tag
                    .as_ref()
                    .is_some_and(|t| !(t.is_yaml_core_schema() && matches!(t.suffix.as_str(), "seq" | "map"))) =>
            {
                let tag = tag.expect("checked above");
                let _ = anchor;
                return Err(vec![SyntaxError {
                    code: Code::UnsupportedTag,
                    message: format!("the YAML tag {tag} is not supported"),
                    span: here,
                    label: "this tag",
                    help: Some("remove the tag"),
                }]);
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) if stack.len() >= MAX_DEPTH => {
                let _ = anchor;
                return Err(vec![SyntaxError {
                    code: Code::LimitExceeded,
                    message: format!("lists and tables are nested more than {MAX_DEPTH} levels deep"),
                    span: here,
                    label: "too deep",
                    help: Some("a gatesctl file is four levels deep: version, gates, rules, resources"),
                }]);
            }
            Event::SequenceStart(anchor, _) => {
                total_nodes += 1;
                stack.push(Frame::Seq { start, anchor, nodes: 1, items: Vec::new() });
                continue;
            }
            Event::MappingStart(anchor, _) => {
                total_nodes += 1;
                stack.push(Frame::Map { start, anchor, nodes: 1, entries: Vec::new(), key: None });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor, size) = match stack.pop() {
                    Some(Frame::Seq { start: s, anchor, nodes, items }) => {
                        let e = items.last().map_or(end, |n| n.span.end).max(s);
                        (Node { span: s..e, value: Value::Array(items) }, anchor, nodes)
                    }
                    Some(Frame::Map { start: s, anchor, nodes, entries, .. }) => {
                        let e = entries.last().map_or(end, |(_, n)| n.span.end).max(s);
                        (Node { span: s..e, value: Value::Table(entries) }, anchor, nodes)
                    }
                    None => continue,
                };
                if anchor > 0 {
                    anchors.insert(anchor, (node.clone(), size));
                }
                // Its nodes were counted as they came.
                push(&mut stack, node, size, &mut root).map_err(|e| vec![e])?;
                continue;
            }
            _ => continue,
        };
        // A scalar is one node; an alias, every node of what it names.
        total_nodes = total_nodes.saturating_add(size);
        if total_nodes > node_budget {
            return Err(vec![SyntaxError {
                code: Code::LimitExceeded,
                message: format!("YAML aliases expand this file to more than {node_budget} values"),
                span: node.span,
                label: "expanded here",
                help: Some("write the values out, or use fewer nested aliases (is this file an alias bomb?)"),
            }]);
        }
        push(&mut stack, node, size, &mut root).map_err(|e| vec![e])?;
    }
    Ok(root.unwrap_or(Node { span: 0..0, value: Value::Null }))
}

fn yaml_scalar_text(v: &Value<'_>) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Str(s) => s.to_string(),
        _ => String::new(),
    }
}

/// YAML 1.2 core schema resolution of an unquoted scalar.
fn resolve_plain(text: Cow<'_, str>) -> Value<'_> {
    let s = text.as_ref();
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return match s.parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::Other("an integer too large"),
        };
    }
    if let Some(hex) = s.strip_prefix("0x") {
        if let Ok(n) = i64::from_str_radix(hex, 16) {
            return Value::Int(n);
        }
    }
    let looks_numeric = digits.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && digits.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if looks_numeric {
        if let Ok(f) = s.parse::<f64>() {
            return Value::Float(f);
        }
    }
    Value::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Node<'_> {
        parse_yaml(text).expect("valid yaml")
    }

    #[test]
    fn yaml_spans_point_at_keys_and_values() {
        let text = "version: 1\ngates:\n  - service: \"checkout\"\n    env: prod\n";
        let root = yaml(text);
        let Value::Table(entries) = &root.value else { panic!("table") };
        let (gates_key, gates) = &entries[1];
        assert_eq!(&text[gates_key.span.clone()], "gates");
        let Value::Array(items) = &gates.value else { panic!("array") };
        let Value::Table(gate) = &items[0].value else { panic!("table") };
        assert_eq!(&text[gate[0].0.span.clone()], "service");
        assert_eq!(&text[gate[0].1.span.clone()], "\"checkout\"");
        assert_eq!(&text[gate[1].1.span.clone()], "prod");
    }

    #[test]
    fn yaml_plain_scalars_are_typed_and_quoted_ones_stay_strings() {
        let root = yaml("a: 300\nb: \"300\"\nc: true\nd: ~\ne: 1.5\n");
        let Value::Table(entries) = root.value else { panic!("table") };
        let kinds: Vec<_> = entries.iter().map(|(_, n)| n.value.kind()).collect();
        assert_eq!(kinds, ["an integer", "a string", "a boolean", "null", "a float"]);
    }

    #[test]
    fn yaml_non_ascii_text_keeps_byte_spans() {
        let text = "name: \"Détection\"\nenv: prod\n";
        let Value::Table(entries) = yaml(text).value else { panic!("table") };
        assert_eq!(&text[entries[1].1.span.clone()], "prod");
    }

    #[test]
    fn toml_spans_point_at_keys_in_source_order() {
        let text = "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"b\"\n";
        let root = parse_toml(text).expect("valid toml");
        let Value::Table(entries) = &root.value else { panic!("table") };
        assert_eq!(entries[0].0.name, "version");
        let Value::Array(gates) = &entries[1].1.value else { panic!("array") };
        let Value::Table(gate) = &gates[0].value else { panic!("table") };
        assert_eq!(&text[gate[1].1.span.clone()], "\"b\"");
    }
}
