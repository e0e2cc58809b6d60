//! `gatesctl fmt`: one canonical layout for gate files, as `terraform fmt` has one, keeping
//! every comment and every value as written.
//!
//! The layout, in TOML and YAML alike: each level of nesting indented two spaces more than its
//! parent (a gate's rules under the gate), `key = value` (`key: value`) with one space on each
//! side, comments indented with what they describe, at most one blank line in a row, a blank
//! line before each table header in TOML, no trailing blanks, and one newline at the end. Line
//! endings and a byte order mark are kept. What a file says never changes: the formatted text
//! is read again and must hold exactly the same values, or nothing is returned but the reason.

use std::collections::{BTreeMap, BTreeSet};

use super::source::{self, Format, Node, SourceFile, Value};

/// Spaces per level of nesting.
const INDENT: usize = 2;

/// Why a file cannot be formatted.
#[derive(Debug, thiserror::Error)]
pub enum FmtError {
    /// Not TOML or YAML to begin with: `validate` says where.
    #[error("{0}; run `gatesctl validate` to see where")]
    Syntax(String),
    /// Formatting would have changed a value: a bug, never written.
    #[error("formatting would change what the file says, so it was left as it is (please report this)")]
    WouldChange,
}

/// The file's text in the canonical layout; the same text when it is already.
pub fn format(file: &SourceFile) -> Result<String, FmtError> {
    let text = file.text();
    let crlf = text.contains("\r\n");
    let plain = SourceFile::new("-".into(), file.format, text.replace("\r\n", "\n"));
    // A TOML syntax error is told in toml_edit's words: TOML is laid out before it is read.
    let (root, formatted) = match file.format {
        Format::Toml => {
            let laid_out = SourceFile::new("-".into(), Format::Toml, toml(plain.text())?);
            // The lines of multi-line strings are values: kept as they are, blanks and all.
            let verbatim = match parse(&laid_out) {
                Ok(node) => multi_line_strings(laid_out.text(), &node, false),
                Err(_) => return Err(FmtError::WouldChange),
            };
            (parse(&plain)?, finish(laid_out.text(), &verbatim))
        }
        Format::Yaml => {
            let root = parse(&plain)?;
            let formatted = yaml(plain.text(), &root);
            (root, formatted)
        }
    };
    let after = SourceFile::new("-".into(), file.format, formatted);
    let same = parse(&after).is_ok_and(|formatted| formatted.to_json() == root.to_json());
    if !same {
        return Err(FmtError::WouldChange);
    }
    let formatted = after.text();
    Ok(if crlf { formatted.replace('\n', "\r\n") } else { formatted.to_string() })
}

/// The file's values, with their places: what formatting must keep.
fn parse(file: &SourceFile) -> Result<Node<'_>, FmtError> {
    source::parse(file).map_err(|errors| {
        FmtError::Syntax(errors.first().map_or_else(|| "not valid".to_string(), |e| e.message.clone()))
    })
}

/// Lines of a decor (the text before a key or header): comments re-indented, blank lines kept
/// one at most, and the last line the indentation of what follows. `blank_before` decides the
/// blank line before it all (a table header has one, the first excepted); `None` keeps what
/// the file had.
fn decor_prefix(prefix: &str, indent: &str, blank_before: Option<bool>) -> String {
    let mut lines: Vec<&str> = prefix.split('\n').collect();
    // The last piece is what stands before the key on its own line.
    lines.pop();
    let had_blank = lines.iter().take_while(|l| l.trim().is_empty()).count() > 1;
    let mut out = String::new();
    if blank_before.unwrap_or(had_blank) {
        out.push('\n');
    }
    let mut pending_blank = false;
    let mut wrote = false;
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            // Between comments, a blank line stays (one).
            pending_blank = wrote;
            continue;
        }
        if pending_blank {
            out.push('\n');
            pending_blank = false;
        }
        out.push_str(indent);
        out.push_str(trimmed);
        out.push('\n');
        wrote = true;
    }
    if pending_blank {
        out.push('\n');
    }
    out.push_str(indent);
    out
}

fn toml(text: &str) -> Result<String, FmtError> {
    use toml_edit::{DocumentMut, Item, Table};

    let mut doc: DocumentMut =
        text.parse().map_err(|e: toml_edit::TomlError| FmtError::Syntax(e.message().to_string()))?;

    /// The keys of a table, each on its own line at `indent`.
    fn entries(table: &mut Table, indent: &str) {
        for (mut key, item) in table.iter_mut() {
            let Item::Value(value) = item else { continue };
            let prefix = key.leaf_decor().prefix().and_then(|p| p.as_str()).unwrap_or_default().to_string();
            key.leaf_decor_mut().set_prefix(decor_prefix(&format!("\n{prefix}"), indent, None));
            key.leaf_decor_mut().set_suffix(" ");
            let suffix = value.decor().suffix().and_then(|s| s.as_str()).unwrap_or_default().trim_end().to_string();
            value.decor_mut().set_prefix(" ");
            let suffix = match suffix.find('#') {
                Some(at) => format!("{}{}", if at == 0 { " " } else { &suffix[..at] }, &suffix[at..]),
                None => String::new(),
            };
            value.decor_mut().set_suffix(suffix);
        }
    }

    /// A table header and its keys at `depth`, then the tables within.
    fn layout(table: &mut Table, depth: usize, first: &mut bool) {
        let indent = " ".repeat(depth * INDENT);
        if !table.is_implicit() {
            let prefix = table.decor().prefix().and_then(|p| p.as_str()).unwrap_or_default().to_string();
            let blank = !std::mem::take(first);
            let prefix = decor_prefix(&format!("\n{prefix}"), &indent, Some(blank));
            table.decor_mut().set_prefix(if blank { prefix } else { prefix.trim_start_matches('\n').to_string() });
            let suffix = table.decor().suffix().and_then(|s| s.as_str()).unwrap_or_default().trim_end().to_string();
            table.decor_mut().set_suffix(suffix);
        }
        entries(table, &indent);
        for (_, item) in table.iter_mut() {
            match item {
                Item::Table(sub) => layout(sub, depth + usize::from(!sub.is_implicit()), first),
                Item::ArrayOfTables(list) => {
                    for sub in list.iter_mut() {
                        layout(sub, depth + 1, first);
                    }
                }
                _ => {}
            }
        }
    }

    let root = doc.as_table_mut();
    entries(root, "");
    let mut first = root.iter().all(|(_, i)| !i.is_value());
    for (_, item) in root.iter_mut() {
        match item {
            Item::Table(sub) => layout(sub, 0, &mut first),
            // `[[gates]]` at the left margin, `[[gates.rules]]` one level in.
            Item::ArrayOfTables(list) => {
                for sub in list.iter_mut() {
                    layout(sub, 0, &mut first);
                }
            }
            _ => {}
        }
    }
    let trailing = doc.trailing().as_str().unwrap_or_default().to_string();
    let comments: Vec<&str> = trailing.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let mut tail = String::new();
    if !comments.is_empty() {
        tail.push('\n');
        for c in comments {
            tail.push_str(c);
            tail.push('\n');
        }
    }
    doc.set_trailing(tail);
    Ok(doc.to_string())
}

/// The lines of string values spanning several lines: what they hold is the value (trailing
/// blanks, blank lines), so no layout may trim or fold them. A TOML string's first line ends
/// with content and its last with the closing quotes; a YAML block scalar's lines are all
/// content, while a quoted or plain one starts on its key's line.
fn multi_line_strings(text: &str, node: &Node<'_>, yaml: bool) -> BTreeSet<usize> {
    let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |at: usize| starts.partition_point(|s| *s <= at) - 1;
    let mut out = BTreeSet::new();
    let mut stack = vec![node];
    while let Some(node) = stack.pop() {
        match &node.value {
            Value::Str(_) => {
                let body = &text[node.span.clone()];
                // A span may run on to the next line's indentation: that is not the value's.
                let len = match body.rfind('\n') {
                    Some(at) if body[at + 1..].trim().is_empty() => at,
                    _ => body.len(),
                };
                let (first, last) = (line_of(node.span.start), line_of(node.span.start + len.saturating_sub(1)));
                let starts_line = text[starts[first]..node.span.start].trim().is_empty();
                let from = match (yaml, starts_line) {
                    (true, false) => first + 1,
                    // A block scalar's value starts after its header: blank lines between are
                    // its leading newlines, though its span starts at the first content.
                    (true, true) => after_block_header(text, &starts, first).unwrap_or(first),
                    (false, _) => first,
                };
                // One line, all of it the value's, has nothing a layout could fold.
                if first == last && from == first {
                    continue;
                }
                let to = if yaml { last } else { last - 1 };
                out.extend(from..=to);
            }
            Value::Array(items) => stack.extend(items),
            Value::Table(entries) => stack.extend(entries.iter().map(|(_, n)| n)),
            _ => {}
        }
    }
    out
}

/// The line after the block scalar header (`|`, `>-`, `|+2` …, a comment allowed after it)
/// that the blank lines above `line` follow, if they follow one.
fn after_block_header(text: &str, starts: &[usize], line: usize) -> Option<usize> {
    let line_text = |i: usize| {
        let end = starts.get(i + 1).map_or(text.len(), |e| e - 1);
        &text[starts[i]..end]
    };
    let header = (0..line).rev().find(|i| !line_text(*i).trim().is_empty())?;
    let code = line_text(header).split(" #").next().unwrap_or_default();
    let token = code.split_whitespace().last()?;
    let indicator = token.starts_with(['|', '>']) && token[1..].chars().all(|c| matches!(c, '+' | '-' | '1'..='9'));
    (indicator && header + 1 < line).then_some(header + 1)
}

/// No trailing blanks, at most one blank line in a row, one newline at the end; the lines of
/// `verbatim` (inside multi-line values) as they are.
fn finish(text: &str, verbatim: &BTreeSet<usize>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut blank = 0;
    for (i, line) in text.lines().enumerate() {
        if verbatim.contains(&i) {
            blank = 0;
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let line = line.trim_end();
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// `root` is `text` parsed.
fn yaml(text: &str, root: &Node<'_>) -> String {
    let starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let line_of = |at: usize| starts.partition_point(|s| *s <= at) - 1;
    let first_char = |line: usize| {
        let start = starts[line];
        start + text[start..].len() - text[start..].trim_start_matches([' ', '\t']).len()
    };
    // Lines that begin a mapping key or a list item, with the column they belong at; and
    // `key:   value` gaps to close.
    let mut wanted: BTreeMap<usize, usize> = BTreeMap::new();
    let mut gaps: Vec<(usize, usize)> = Vec::new();

    struct Walk<'t, F: Fn(usize) -> usize, G: Fn(usize) -> usize> {
        text: &'t str,
        line_of: F,
        first_char: G,
    }

    impl<F: Fn(usize) -> usize, G: Fn(usize) -> usize> Walk<'_, F, G> {
        fn block(&self, node: &Node<'_>) -> bool {
            !matches!(self.text[node.span.start..].chars().next(), Some('{' | '['))
        }

        /// Marks the lines a value spanning several lines continues on (a block scalar, a
        /// flow list): they move with their key, whatever they start with.
        fn inside(&self, node: &Node<'_>, lines: &mut BTreeSet<usize>) {
            let (first, last) =
                ((self.line_of)(node.span.start), (self.line_of)(node.span.end.saturating_sub(1).max(node.span.start)));
            lines.extend(first + 1..=last);
        }

        fn node(
            &self,
            node: &Node<'_>,
            col: usize,
            wanted: &mut BTreeMap<usize, usize>,
            gaps: &mut Vec<(usize, usize)>,
            inside: &mut BTreeSet<usize>,
        ) {
            match &node.value {
                Value::Table(entries) if self.block(node) => {
                    for (key, value) in entries {
                        let line = (self.line_of)(key.span.start);
                        if (self.first_char)(line) == key.span.start {
                            wanted.entry(line).or_insert(col);
                        }
                        // `key:   value` on one line: one space after the colon.
                        if (self.line_of)(value.span.start) == line && value.span.start > key.span.end {
                            let between = &self.text[key.span.end..value.span.start];
                            let trimmed = between.trim_start_matches(['"', '\'']);
                            if let Some(colon) = trimmed.find(':') {
                                let after = key.span.end + (between.len() - trimmed.len()) + colon + 1;
                                if self.text[after..value.span.start].chars().all(|c| c == ' ') {
                                    gaps.push((after, value.span.start));
                                }
                            }
                        }
                        let nested = matches!(value.value, Value::Table(_) | Value::Array(_))
                            && self.block(value)
                            && (self.line_of)(value.span.start) != line;
                        if nested {
                            self.node(value, col + INDENT, wanted, gaps, inside);
                        } else if !(matches!(value.value, Value::Table(_) | Value::Array(_)) && self.block(value)) {
                            self.inside(value, inside);
                        }
                    }
                }
                Value::Array(items) if self.block(node) => {
                    for item in items {
                        let line = (self.line_of)(item.span.start);
                        let dash = self.text[..item.span.start].rfind('-').filter(|d| (self.line_of)(*d) == line);
                        if dash.is_some_and(|d| (self.first_char)(line) == d) {
                            wanted.entry(line).or_insert(col);
                        }
                        // `-   key: value`: one space after the dash, so that the item's other
                        // keys, laid out two columns in, stay in line with its first.
                        if let Some(d) = dash {
                            if d + 2 < item.span.start && self.text[d + 1..item.span.start].chars().all(|c| c == ' ') {
                                gaps.push((d + 1, item.span.start));
                            }
                        }
                        if matches!(item.value, Value::Table(_) | Value::Array(_)) && self.block(item) {
                            self.node(item, col + INDENT, wanted, gaps, inside);
                        } else {
                            self.inside(item, inside);
                        }
                    }
                }
                _ => self.inside(node, inside),
            }
        }
    }

    let mut inside: BTreeSet<usize> = BTreeSet::new();
    let walk = Walk { text, line_of: &line_of, first_char: &first_char };
    walk.node(root, 0, &mut wanted, &mut gaps, &mut inside);
    // A scalar's lines are its value: kept but for the indentation they move by.
    let mut verbatim = multi_line_strings(text, root, true);
    // `|+` and `>+` keep the blank lines after their last line: those are the value too.
    keep_kept_blanks(text, root, &line_of, &mut verbatim);

    // Close the gaps first (they never cross a line), from the end so offsets hold.
    let mut closed = text.to_string();
    gaps.sort_unstable();
    for (from, to) in gaps.into_iter().rev() {
        closed.replace_range(from..to, " ");
    }
    let lines: Vec<&str> = closed.split('\n').collect();
    let indent_of = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let mut out: Vec<String> = Vec::with_capacity(lines.len());
    let mut delta: isize = 0;
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        if verbatim.contains(&i) && trimmed.is_empty() {
            // A blank line of a value stays blank (its spaces were never content).
            out.push(String::new());
            continue;
        }
        if let Some(col) = wanted.get(&i) {
            delta = *col as isize - indent_of(line) as isize;
            out.push(format!("{}{}", " ".repeat(*col), trimmed.trim_end()));
        } else if trimmed.trim().is_empty() && !inside.contains(&i) {
            out.push(String::new());
        } else if trimmed.starts_with('#') && !inside.contains(&i) {
            // A comment goes with what follows it.
            let next = wanted.range(i + 1..).next().map(|(_, c)| *c).unwrap_or(0);
            out.push(format!("{}{}", " ".repeat(next), trimmed.trim_end()));
        } else {
            // Inside a value spanning lines (a block scalar, a flow list): moved with its key.
            let col = (indent_of(line) as isize + delta).max(0) as usize;
            out.push(format!("{}{}", " ".repeat(col), trimmed));
        }
    }
    finish(&out.join("\n"), &verbatim)
}

/// The blank lines after a `|+` or `>+` block scalar, which keeps them in its value.
fn keep_kept_blanks(text: &str, node: &Node<'_>, line_of: &dyn Fn(usize) -> usize, out: &mut BTreeSet<usize>) {
    match &node.value {
        Value::Str(_) => {
            let header: String = text[node.span.start..].chars().take_while(|c| !c.is_whitespace()).collect();
            let keep = (header.starts_with('|') || header.starts_with('>')) && header.contains('+');
            if keep {
                let lines: Vec<&str> = text.split('\n').collect();
                let mut next = line_of(node.span.end.saturating_sub(1).max(node.span.start)) + 1;
                while lines.get(next).is_some_and(|l| l.trim().is_empty()) {
                    out.insert(next);
                    next += 1;
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|n| keep_kept_blanks(text, n, line_of, out)),
        Value::Table(entries) => entries.iter().for_each(|(_, n)| keep_kept_blanks(text, n, line_of, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(name: &str, text: &str) -> String {
        let kind = Format::from_path(std::path::Path::new(name)).unwrap();
        super::format(&SourceFile::new(name.into(), kind, text.into())).unwrap()
    }

    #[test]
    fn toml_takes_the_canonical_layout_and_keeps_its_comments() {
        let messy = "# Gates.\nversion=1\n\n\n[defaults]\n  dry_run   =   false   # start safe\n[[gates]]\n   service = \"a\"\nenv=\"prod\"\n# the rules\n[[gates.rules]]\nname = \"Errors\"\n      type = \"monitor\"\nquery = \"q\"   \n\n\n\n";
        let want = "# Gates.\nversion = 1\n\n[defaults]\ndry_run = false   # start safe\n\n[[gates]]\nservice = \"a\"\nenv = \"prod\"\n\n  # the rules\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"q\"\n";
        assert_eq!(formatted("gates.toml", messy), want);
        assert_eq!(formatted("gates.toml", want), want, "formatting is idempotent");
    }

    #[test]
    fn yaml_takes_the_canonical_layout_and_keeps_its_comments() {
        let messy = "version:   1\ngates:\n- service: a   # the shop\n  env: prod\n  rules:\n      # errors first\n      - name: Errors\n        type:    monitor\n        query: |\n          service:a\n          # not a comment\n          env:prod\n\n\n- service: b\n  env: prod\n";
        let got = formatted("gates.yaml", messy);
        assert_eq!(formatted("gates.yaml", &got), got, "idempotent: {got}");
        assert!(got.starts_with("version: 1\ngates:\n  - service: a   # the shop\n    env: prod\n    rules:\n      # errors first\n      - name: Errors\n        type: monitor\n"), "{got}");
    }

    /// Files validate accepts whose values fmt's layout must not touch: each formats, keeps its
    /// values (the proof `format` makes), and formats again to itself.
    #[test]
    fn multi_line_values_and_wide_dashes_keep_their_meaning() {
        let cases = [
            (
                "toml multi-line strings with trailing blanks and blank lines",
                "gates.toml",
                "version = 1\n\n[[gates]]\nservice = \"a\"\nenv = \"prod\"\n\n  [[gates.rules]]\n  name = \"m\"\n  type = \"monitor\"\n  query = '''q  \n\n\n  x'''\n\n  [[gates.rules]]\n    name = \"n\"\n  type = \"monitor\"\n  query = \"\"\"r  \n\n\ns\"\"\"\n",
            ),
            (
                "toml multi-line strings in an inline table and array",
                "gates.toml",
                "version = 1\n\n[[gates]]\nservice = \"a\"\nenv = \"prod\"\nrules = [{ name = \"a\", type = \"faulty_deployment_detection\", excluded_resources = [\"\"\"x  \n\n\ny\"\"\"] }, { name = \"b\", type = \"monitor\", query = \"\"\"p  \n\n\nq\"\"\" }]\n",
            ),
            (
                "yaml |, |+, quoted and plain multi-line scalars",
                "gates.yaml",
                "version: 1\ngates:\n  - service: a\n    env: prod\n    rules:\n      - name: m\n        type: monitor\n        query: |\n          multi  \n\n\n          line\n      - name: n\n        type:   monitor\n        query: |+\n          q\n\n\n      - name: o\n        type: monitor\n        query: \"quoted\n\n\n          more  \"\n      - name: p\n        type: monitor\n        query: plain\n          multi\n\n\n          line\n",
            ),
            (
                "yaml block scalars starting with blank lines, after a header and a comment",
                "gates.yaml",
                "version: 1\ngates:\n  - service: a\n    env: prod\n    rules:\n      - name: m\n        type: monitor\n        query: |\n\n\n\n          multi\n          line\n      - name: n\n        type: monitor\n        query: >-2   # two leading blanks\n\n\n          q\n",
            ),
            (
                "yaml items written -  key: and -   key:",
                "gates.yaml",
                "version: 1\ngates:\n-  service: a\n   env: prod\n   rules:\n   -   name: x\n       type: monitor\n       query: q\n",
            ),
        ];
        for (what, name, text) in cases {
            let kind = Format::from_path(std::path::Path::new(name)).unwrap();
            let once = super::format(&SourceFile::new(name.into(), kind, text.into()))
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let again = super::format(&SourceFile::new(name.into(), kind, once.clone())).unwrap();
            assert_eq!(again, once, "{what}: formatting is idempotent");
        }
        let wide = formatted("gates.yaml", cases[4].2);
        assert!(
            wide.contains("\n  - service: a\n    env: prod\n    rules:\n      - name: x\n        type: monitor\n"),
            "{wide}"
        );
    }
}
