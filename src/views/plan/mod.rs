//! The plan's view: text (terraform-style), Markdown (a pull-request comment) and JSON (a
//! versioned document, the one saved plans hold).

pub(crate) mod json;
pub(crate) mod markdown;
pub mod text;

use super::{Format, Palette};

/// A plan in `format`, with what it does to the policies, and what the monitor check found in
/// JSON and Markdown (a text plan gets those after it, as labelled excerpts).
pub(crate) fn render(
    plan: &gatesctl_core::plan::Plan,
    format: Format,
    palette: Palette,
    options: &markdown::MarkdownOptions,
    found: &[gatesctl_files::ConfigDiagnostic],
    unchecked: Option<&str>,
    policies: &[gatesctl_core::policy::PolicyChange],
) -> String {
    match format {
        Format::Text => text::render_plan(plan, palette) + &super::policy::render_text(policies, palette),
        Format::Json => json::render_plan(plan, found, unchecked, policies),
        Format::Markdown => markdown::render_plan(plan, options, found, unchecked, policies),
    }
}

pub(crate) use markdown::MarkdownOptions;
