//! Markdown that holds whatever the API names things: code spans, escaped inline text and
//! HTML, table cells, and a cap on a document's length; every Markdown view writes through it.

use gatesctl_core::model::AttrValue;

/// Text as a code span: literal whatever it holds. The fence is longer than any run of
/// backticks inside, and control characters and newlines are shown as escapes, so nothing
/// leaves the span.
pub(crate) fn code(text: &str) -> String {
    let text = gatesctl_core::escape::terminal(text);
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.starts_with(' ') { " " } else { "" };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Text in running Markdown: every character that could start emphasis, a link, a tag, an
/// entity, math or a table cell is escaped, so the text renders as itself.
pub(crate) fn inline(text: &str) -> String {
    let text = gatesctl_core::escape::terminal(text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '$' | '#' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    unlinked(&out)
}

/// Text that can neither mention (`@org/team` pings a team from a comment) nor autolink
/// (`https://…`, `www.`, and GitHub's `GH-9` issue references, in any case): a zero-width
/// space, written as an entity, breaks each.
fn unlinked(text: &str) -> String {
    const ZWSP: &str = "&#8203;";
    let text = text
        .replace('@', &format!("@{ZWSP}"))
        .replace("://", &format!(":{ZWSP}//"))
        .replace("www.", &format!("www{ZWSP}."));
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest
        .char_indices()
        .find(|(i, _)| rest[*i..].get(..3).is_some_and(|p| p.eq_ignore_ascii_case("gh-")))
        .map(|(i, _)| i)
    {
        out.push_str(&rest[..at + 2]);
        out.push_str(ZWSP);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}

/// Text inside raw HTML (`<summary>`), where Markdown escapes do not apply: entities only.
pub(crate) fn html(text: &str) -> String {
    unlinked(&gatesctl_core::escape::html(&gatesctl_core::escape::terminal(text)))
}

/// A code span in a table cell: GFM splits cells on `|` even inside code, unless escaped.
pub(crate) fn cell(text: &str) -> String {
    code(&text.replace('|', "\\|"))
}

/// A value as a table cell shows it: text as is, lists as JSON.
pub(crate) fn plain(value: &AttrValue) -> String {
    match value {
        AttrValue::Text(s) => s.clone(),
        AttrValue::List(items) => serde_json::to_string(items).expect("strings serialise"),
        AttrValue::Json(value) => value.to_string(),
        other => other.to_string(),
    }
}

/// An attribute's name in a table: an option of the API that gatesctl does not model comes from
/// the API, so it sits in a code span.
pub(crate) fn attribute_name(name: &gatesctl_core::model::AttrName) -> String {
    match name {
        gatesctl_core::model::AttrName::Extra(key) => code(key),
        known => known.as_str().to_string(),
    }
}

/// The longest comment GitHub takes is 65,536 characters; a comment stays under this.
pub(crate) const DEFAULT_MAX_CHARS: usize = 60_000;

/// The text whole when it holds in `max` characters; otherwise the lines that fit, in order
/// (the marker first), and a line saying how many were left out: the cap holds whatever the
/// names in the plan.
pub(crate) fn fit(text: &str, max: usize, what: &str, pointer: &str) -> String {
    let length = |s: &str| s.chars().count();
    if length(text) <= max {
        return text.to_string();
    }
    let footer = |n: usize| {
        format!("\n> ✂️ {n} more lines left out to stay under {max} characters; the full {what} is in {pointer}.\n")
    };
    let room = max.saturating_sub(length(&footer(usize::MAX)));
    let (mut out, mut used, mut left_out) = (String::new(), 0, 0);
    for line in text.lines() {
        let cost = length(line) + 1;
        if used + cost <= room {
            out.push_str(line);
            out.push('\n');
            used += cost;
        } else {
            left_out += 1;
        }
    }
    out + &footer(left_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_keep_ordinary_values_and_contain_hostile_ones() {
        assert_eq!(code("service:checkout env:prod"), "`service:checkout env:prod`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("x </details>\n# HIJACK"), "`x </details>\\n# HIJACK`");
        assert_eq!(cell("x | y"), "`x \\| y`");
    }

    #[test]
    fn names_can_neither_mention_nor_link() {
        assert_eq!(inline("ping @acme/sre"), "ping @&#8203;acme/sre");
        assert_eq!(
            inline("see https://evil.example and www.evil.example"),
            "see https:&#8203;//evil.example and www&#8203;.evil.example"
        );
        assert_eq!(html("@team"), "@&#8203;team");
    }

    #[test]
    fn a_comment_keeps_under_its_cap_whatever_its_lines() {
        let text = format!("<!-- marker -->\nshort\n{}\nlast\n", "x".repeat(5000));
        let shown = fit(&text, 1000, "plan", "the job log");
        assert!(shown.chars().count() <= 1000, "{}", shown.chars().count());
        assert!(
            shown.starts_with("<!-- marker -->") && shown.contains("last") && shown.contains("1 more lines left out")
        );
    }

    #[test]
    fn inline_and_html_text_cannot_open_anything() {
        assert_eq!(inline("x | y </details>\n# HIJACK"), "x \\| y &lt;/details&gt;\\\\n\\# HIJACK");
        assert_eq!(inline("[a](http://x) *b* $c$"), "\\[a\\](http:&#8203;//x) \\*b\\* \\$c\\$");
        assert_eq!(html("<b>x</b> & \"y\""), "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot;");
    }
}
