//! Text from the API (or from a file) is data: before it reaches a terminal, control
//! characters and the invisible characters that reorder or hide text are shown as escapes,
//! so a gate named `\x1b]8;;…` or `x\u{202e}txt` can neither drive the terminal nor disguise
//! itself.

use std::borrow::Cow;

/// Characters that must never reach a terminal raw: C0 and C1 controls, DEL, and the
/// bidirectional and zero-width format characters (U+202E and friends).
pub(crate) fn is_unsafe(c: char) -> bool {
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

/// The text with every unsafe character written as an escape (`\n`, `\u{1b}`); borrowed when
/// there is nothing to escape, which is nearly always.
pub(crate) fn terminal(text: &str) -> Cow<'_, str> {
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

/// `"text"` with quotes, backslashes and unsafe characters escaped: the form of rule names and
/// query values in plans (the same as Rust's `{:?}` for ordinary text).
pub(crate) fn quoted(text: &str) -> String {
    format!("\"{}\"", quoted_inner(text))
}

/// What [`quoted`] puts between its quotes.
pub(crate) fn quoted_inner(text: &str) -> String {
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

/// One part of a gate key: as is when it cannot be misread, quoted otherwise.
pub(crate) fn key_part(part: &str) -> Cow<'_, str> {
    let plain = !part.is_empty()
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
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(terminal("plain"), "plain");
        assert_eq!(terminal("a\u{1b}[31mb\u{7}"), "a\\u{1b}[31mb\\u{7}");
        assert_eq!(terminal("x\u{202e}txt.exe\n"), "x\\u{202e}txt.exe\\n");
        assert_eq!(terminal("\u{9b}2J\0"), "\\u{9b}2J\\0");
    }

    #[test]
    fn quoting_matches_debug_for_ordinary_text() {
        for s in ["Errors", "say \"hi\"", "a\\b", "Détection", ""] {
            assert_eq!(quoted(s), format!("{s:?}"));
        }
        assert_eq!(quoted("a\u{202e}b"), "\"a\\u{202e}b\"");
    }

    #[test]
    fn key_parts_that_could_be_misread_are_quoted() {
        assert_eq!(key_part("checkout"), "checkout");
        assert_eq!(key_part("a/b"), "\"a/b\"");
        assert_eq!(key_part(""), "\"\"");
        assert_eq!(key_part("a b"), "\"a b\"");
    }
}
