//! Text from the API (or from a file) is data: before it reaches a terminal, control
//! characters and the invisible characters that reorder or hide text are shown as escapes,
//! so a gate named `\x1b]8;;…` or `x\u{202e}txt` can neither drive the terminal nor disguise
//! itself.

use std::borrow::Cow;

/// Characters that must never reach a terminal raw: C0 and C1 controls, DEL, and the
/// bidirectional and zero-width format characters (U+202E and friends).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}')
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\0' => out.push_str("\\0"),
        c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
    }
}

/// Why a name (a service, env, identifier, rule name) cannot be taken, if it cannot: names are
/// shown in terminals and pull requests, so a control or invisible formatting character in one
/// is refused, wherever the name comes from (a TOML or YAML file, datadog-ci's `--config`).
pub fn name_problem(name: &str) -> Option<String> {
    let c = name.chars().find(|c| is_unsafe(*c))?;
    Some(format!("contains {}: {NAME_HELP}", terminal(&c.to_string())))
}

/// What to do about a name [`name_problem`] refuses.
pub const NAME_HELP: &str = "names are shown in terminals and pull requests: use printable text only";

/// The text with every unsafe character written as an escape (`\n`, `\u{1b}`); borrowed when
/// there is nothing to escape, which is nearly always.
pub fn terminal(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// The text with every character that must not reach a terminal replaced by a visible one of
/// the same length in bytes (`?`, `¿`, `�`), newlines, tabs and CRLF kept: for source
/// excerpts, whose spans are byte offsets into the text. Borrowed when nothing is replaced.
pub fn same_length_printable(text: &str) -> Cow<'_, str> {
    let replaced = |(i, c): (usize, char)| {
        let crlf = c == '\r' && text[i + 1..].starts_with('\n');
        (is_unsafe(c) && c != '\n' && c != '\t' && !crlf).then(|| match c.len_utf8() {
            1 => "?",
            2 => "\u{bf}",
            3 => "\u{fffd}",
            _ => "????",
        })
    };
    if !text.char_indices().any(|ic| replaced(ic).is_some()) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match replaced((i, c)) {
            Some(shown) => out.push_str(shown),
            None => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `"text"` with quotes, backslashes and unsafe characters escaped: the form of rule names and
/// query values in plans (the same as Rust's `{:?}` for ordinary text).
pub fn quoted(text: &str) -> String {
    format!("\"{}\"", quoted_inner(text))
}

/// What [`quoted`] puts between its quotes.
pub fn quoted_inner(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if is_unsafe(c) => push_escaped(&mut out, c),
            c => out.push(c),
        }
    }
    out
}

/// JSON text whose strings cannot drive a terminal: every unsafe character is written as a
/// `\uXXXX` escape (still the same JSON), where serde_json leaves DEL, C1 controls and U+202E
/// raw.
pub fn json_escaped(text: &str) -> Cow<'_, str> {
    // serde_json escapes C0 controls inside strings: a raw newline or tab is layout.
    let escaped = |c: char| is_unsafe(c) && !matches!(c, '\n' | '\t' | '\r');
    if !text.chars().any(escaped) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if escaped(c) {
            // Every unsafe character is in the Basic Multilingual Plane: one escape each.
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `&`, `<`, `>` and both quotes as HTML entities: text, from the files or the API, that must
/// not become markup (a Markdown comment's raw HTML, a Scorecards remark).
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as compact text, safe for a terminal.
pub fn json(value: &serde_json::Value) -> String {
    json_escaped(&value.to_string()).into_owned()
}

/// A path as a terminal, a log or a CI runner may see it: a name holding a newline or a control
/// character (git allows them, so a pull request can carry one) is written with escapes, so it
/// can never start a line of its own (`::add-mask::…` under GitHub Actions) or drive a terminal.
pub fn path(path: &std::path::Path) -> String {
    terminal(&path.to_string_lossy()).into_owned()
}

/// Whether text at the start of a line could be read as a CI runner's command: GitHub Actions
/// runs a line that begins `::` after any blanks (`::add-mask::…`). Such text is quoted.
fn could_start_a_command(text: &str) -> bool {
    text.trim_start().starts_with(':')
}

/// Text from the API that begins a line (a table's first column): shown as [`terminal`] shows
/// it, quoted when it could start a command.
pub fn line_start(text: &str) -> Cow<'_, str> {
    if could_start_a_command(text) {
        Cow::Owned(quoted(text))
    } else {
        terminal(text)
    }
}

/// One part of a gate key or of `service/env`: as is when it cannot be misread, quoted
/// otherwise. A part that begins with `:` is quoted too: such names start lines (`billing/prod
/// deployed 3 times`), and a line beginning `::` is a command to GitHub Actions
/// (`::add-mask::…`). This is the one rule for every line that can begin with a name.
pub fn key_part(part: &str) -> Cow<'_, str> {
    let plain = !part.is_empty()
        && !could_start_a_command(part)
        && !part.chars().any(|c| c == '/' || c == '"' || c == '\\' || c.is_whitespace() || is_unsafe(c));
    if plain {
        Cow::Borrowed(part)
    } else {
        Cow::Owned(quoted(part))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_entities() {
        assert_eq!(html("<b>x</b> & \"y\" 'z'"), "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot; &#39;z&#39;");
        assert_eq!(html("plain"), "plain");
    }

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\u{1b}[31mb\u{7}"), "a\\u{1b}[31mb\\u{7}");
        assert_eq!(terminal("x\u{202e}txt.exe\n"), "x\\u{202e}txt.exe\\n");
        assert_eq!(terminal("\u{9b}2J\0"), "\\u{9b}2J\\0");
    }

    #[test]
    fn excerpts_keep_their_length_in_bytes_and_their_lines() {
        assert!(matches!(same_length_printable("a\tb\r\nc\n"), Cow::Borrowed(_)));
        let hostile = "# \u{1b}]0;x\u{7}\rspoof \u{9b} \u{202e}evil\r\n";
        let shown = same_length_printable(hostile);
        assert_eq!(shown, "# ?]0;x??spoof \u{bf} \u{fffd}evil\r\n");
        assert_eq!(shown.len(), hostile.len());
    }

    #[test]
    fn quoting_matches_debug_for_ordinary_text() {
        for s in ["Errors", "say \"hi\"", "a\\b", "Détection", ""] {
            assert_eq!(quoted(s), format!("{s:?}"));
        }
        assert_eq!(quoted("a\u{202e}b"), "\"a\\u{202e}b\"");
    }

    #[test]
    fn json_text_escapes_what_serde_json_leaves_raw() {
        let v = serde_json::json!({"k": "a\u{202e}b\u{7f}\u{9b}\n"});
        let shown = json(&v);
        assert_eq!(shown, r#"{"k":"a\u202eb\u007f\u009b\n"}"#);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&shown).unwrap(), v, "still the same JSON");
    }

    #[test]
    fn key_parts_that_could_be_misread_are_quoted() {
        assert_eq!(key_part("checkout"), "checkout");
        assert_eq!(key_part("a/b"), "\"a/b\"");
        assert_eq!(key_part(""), "\"\"");
        assert_eq!(key_part("a b"), "\"a b\"");
        assert_eq!(key_part("::add-mask::x"), "\"::add-mask::x\"", "never the start of a workflow command");
        assert_eq!(key_part("a::b"), "a::b");
        assert_eq!(line_start("  ::error::x"), "\"  ::error::x\"");
        assert_eq!(line_start("Errors and\u{1b}"), "Errors and\\u{1b}");
    }
}
