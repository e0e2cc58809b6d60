//! The views: one per command, as Terraform's `command/views`, each writing its model as text
//! (with colour only where asked for), Markdown and JSON. `markdown` is the Markdown every view
//! writes through; what several share (formats, colours, word diffs, JSON documents) is here.

pub mod apply;
pub(crate) mod audit;
pub mod coverage;
pub(crate) mod drift;
pub(crate) mod evaluate;
pub(crate) mod fmt;
pub(crate) mod markdown;
pub(crate) mod monitor_check;
pub mod plan;
pub(crate) mod policy;
pub mod report;
pub mod validate;

use anstyle::{AnsiColor, Style};
use gatesctl_core::model::time::{format_rfc3339, Window, DAY_MS};
use gatesctl_core::text::plural;
use schemars::JsonSchema;
use serde::Serialize;

/// The output formats; a command offers those that make sense for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Format {
    Text,
    Json,
    Markdown,
}

impl Format {
    /// The `--format` of commands that have no Markdown output (validate, evaluate): markdown
    /// is refused when parsed rather than silently printed as text.
    pub(crate) fn text_or_json() -> impl clap::builder::TypedValueParser<Value = Format> {
        use clap::builder::TypedValueParser;
        use clap::ValueEnum;
        clap::builder::PossibleValuesParser::new(["text", "json"])
            .map(|s| Format::from_str(&s, false).unwrap_or(Format::Text))
    }
}

/// Colours for one output stream; plain text when disabled.
#[derive(Clone, Copy, Debug)]
pub struct Palette {
    pub(crate) enabled: bool,
}

impl Palette {
    pub const PLAIN: Palette = Palette { enabled: false };

    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        if self.enabled && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub(crate) fn create(&self, text: &str) -> String {
        self.paint(AnsiColor::Green.on_default(), text)
    }

    pub(crate) fn update(&self, text: &str) -> String {
        self.paint(AnsiColor::Yellow.on_default(), text)
    }

    pub(crate) fn delete(&self, text: &str) -> String {
        self.paint(AnsiColor::Red.on_default(), text)
    }

    pub(crate) fn bold(&self, text: &str) -> String {
        self.paint(Style::new().bold(), text)
    }

    pub(crate) fn dim(&self, text: &str) -> String {
        self.paint(Style::new().dimmed(), text)
    }
}

/// Texts of more words than this get no word diff, only their old and new values: a diff's
/// cost grows with the square of the words changed, and no reader follows a longer one.
const MAX_DIFF_WORDS: usize = 1000;

/// The words of two texts, each equal, removed or added: the word diff of long queries in
/// text and Markdown plans, none for texts over [`MAX_DIFF_WORDS`] words. Runs of one kind are
/// joined, and blanks between words are shown as kept, so a change reads as whole words
/// (`a {+b c+}`, not `a{+ b c+}`).
pub(crate) fn words(old: &str, new: &str) -> Option<Vec<(similar::ChangeTag, String)>> {
    use similar::{ChangeTag, TextDiff};
    if old.split_whitespace().nth(MAX_DIFF_WORDS).is_some() || new.split_whitespace().nth(MAX_DIFF_WORDS).is_some() {
        return None;
    }
    let diff = TextDiff::from_words(old, new);
    let mut out: Vec<(ChangeTag, String)> = Vec::new();
    for change in diff.iter_all_changes() {
        let (tag, text) = (change.tag(), change.value());
        if text.trim().is_empty() && tag == ChangeTag::Delete {
            continue;
        }
        match out.last_mut() {
            Some((last, run)) if *last == tag => run.push_str(text),
            Some((_, run)) if text.trim().is_empty() && tag == ChangeTag::Insert => run.push_str(text),
            _ => out.push((tag, text.to_string())),
        }
    }
    Some(out)
}

/// A document as indented JSON, with what could drive a terminal (U+202E, C1 controls) escaped.
pub(crate) fn pretty(document: &impl serde::Serialize) -> String {
    let text = serde_json::to_string_pretty(document).expect("documents serialise");
    gatesctl_core::escape::json_escaped(&text).into_owned() + "\n"
}

// A gate as JSON documents name it (a doc comment would change the schemas).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub(crate) struct GateRef {
    pub(crate) service: String,
    pub(crate) env: String,
    pub(crate) identifier: String,
}

impl From<&gatesctl_core::model::GateKey> for GateRef {
    fn from(k: &gatesctl_core::model::GateKey) -> Self {
        GateRef { service: k.service.clone(), env: k.env.clone(), identifier: k.identifier.clone() }
    }
}

/// The window a report or a coverage read, in its JSON document.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct WindowDocument {
    /// Start, inclusive (RFC 3339).
    pub(crate) from: String,
    /// End, exclusive (RFC 3339).
    pub(crate) to: String,
    /// Days the window spans, the last the 24 hours before `to`: in a report, the length of
    /// each gate's `days`.
    pub(crate) days: usize,
}

impl From<Window> for WindowDocument {
    fn from(window: Window) -> Self {
        WindowDocument { from: format_rfc3339(window.from_ms), to: format_rfc3339(window.to_ms), days: window.days() }
    }
}

/// "the last 14 days", or the span itself when it is not whole days ("the last 36h").
pub(crate) fn window_words(window: Window) -> String {
    let span = window.to_ms - window.from_ms;
    // A window that ends a millisecond after now, so that now is in it, is still whole days.
    if span % DAY_MS == 0 || (span - 1) % DAY_MS == 0 {
        format!("the last {}", plural(window.days(), "day", "days"))
    } else {
        format!("the last {}", humantime::format_duration(std::time::Duration::from_secs((span / 1000) as u64)))
    }
}
