//! The coverage of deployments (`gatesctl coverage`): text and Markdown that lead with the
//! deployments no gate saw, and a versioned JSON document (`schemas/coverage.schema.json`).

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::markdown::{cell, code, inline};
use super::{window_words, WindowDocument};
use gatesctl_core::coverage::{Coverage, ServiceCoverage};
use gatesctl_core::escape::terminal;
use gatesctl_core::model::time::Window;
use gatesctl_core::text::plural;

/// Version of the JSON document's format, `MAJOR.MINOR`: additions bump the minor part.
pub(crate) const FORMAT_VERSION: &str = "1.0";
/// Lets a CI job find its own earlier comment or job summary.
pub(crate) const MARKER: &str = "<!-- gatesctl:coverage -->";

/// A gatesctl coverage: which deployments went through a gate.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl coverage")]
pub(crate) struct CoverageDocument<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    pub(crate) window: WindowDocument,
    pub(crate) summary: SummaryDocument,
    /// Every service and env that deployed in the window, declared or not, by service then env.
    pub(crate) services: &'a [ServiceCoverage],
    /// Declared gates no deployment went through (`service/env/identifier`).
    pub(crate) idle_gates: Vec<String>,
    /// Deployments or evaluations the API answered that could not be read: not counted.
    pub(crate) unreadable: usize,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SummaryDocument {
    pub(crate) deployments: usize,
    pub(crate) gated: usize,
    pub(crate) ungated: usize,
}

pub(crate) fn render_json(coverage: &Coverage, window: Window, unreadable: usize) -> String {
    let (deployments, gated, ungated) = coverage.totals();
    super::pretty(&CoverageDocument {
        format_version: FORMAT_VERSION.into(),
        gatesctl_version: env!("CARGO_PKG_VERSION").into(),
        window: window.into(),
        summary: SummaryDocument { deployments, gated, ungated },
        services: &coverage.services,
        idle_gates: coverage.idle_gates.iter().map(|k| k.joined()).collect(),
        unreadable,
    })
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(CoverageDocument<'static>), "coverage.schema.json")
}

/// What matters first: the deployments no gate saw, the most first.
fn unguarded(coverage: &Coverage) -> Vec<&ServiceCoverage> {
    let mut out: Vec<&ServiceCoverage> = coverage.services.iter().filter(|s| s.ungated > 0).collect();
    out.sort_by(|a, b| b.ungated.cmp(&a.ungated).then(a.name().cmp(&b.name())));
    out
}

/// "billing/production deployed 31 times with no gate".
fn headline(s: &ServiceCoverage) -> String {
    let name = s.name();
    if s.ungated == s.deployments {
        let declared = if s.declared { ", though the files declare one (no pipeline evaluates it)" } else { "" };
        format!("{name} deployed {} with no gate{declared}", plural(s.deployments, "time", "times"))
    } else {
        format!("{name}: {} of {} deployments went through no gate", s.ungated, s.deployments)
    }
}

/// "all 16 deployments went through a gate (16 enforcing)".
fn gated_words(s: &ServiceCoverage) -> String {
    let mut how = Vec::new();
    if s.gated_enforced > 0 {
        how.push(format!("{} enforcing", s.gated_enforced));
    }
    if s.gated_dry_run > 0 {
        how.push(format!("{} in dry run only", s.gated_dry_run));
    }
    let undeclared = if s.declared { "" } else { "; no file declares its gate" };
    let all = if s.gated == s.deployments && s.gated > 1 { "all " } else { "" };
    format!("{all}{} through a gate ({}){undeclared}", plural(s.gated, "deployment", "deployments"), how.join(", "))
}

fn summary_line(coverage: &Coverage) -> String {
    let (deployments, gated, ungated) = coverage.totals();
    let enforcing: usize = coverage.services.iter().map(|s| s.gated_enforced).sum();
    let dry: usize = coverage.services.iter().map(|s| s.gated_dry_run).sum();
    format!(
        "{} of {}: {gated} through a gate ({enforcing} enforcing, {dry} in dry run only), {ungated} through none.",
        plural(deployments, "deployment", "deployments"),
        plural(coverage.services.len(), "service and env", "services and envs")
    )
}

pub(crate) fn render_text(coverage: &Coverage, window: Window, unreadable: usize) -> String {
    let mut out = String::new();
    writeln!(out, "Coverage of the deployments of {}. {}\n", window_words(window), summary_line(coverage)).unwrap();
    let lead = unguarded(coverage);
    for s in &lead {
        writeln!(out, "{}", terminal(&headline(s))).unwrap();
    }
    if !lead.is_empty() {
        out.push('\n');
    }
    for s in coverage.services.iter().filter(|s| s.gated > 0) {
        writeln!(out, "{}: {}", terminal(&s.name()), gated_words(s)).unwrap();
    }
    if coverage.services.is_empty() {
        writeln!(out, "No deployment was recorded in the window (DORA metrics: `datadog-ci dora deployment`, or a CD integration).").unwrap();
    }
    if !coverage.idle_gates.is_empty() {
        let keys: Vec<String> = coverage.idle_gates.iter().map(ToString::to_string).collect();
        writeln!(out, "\nIdle gates, declared but no deployment went through them: {}.", keys.join(", ")).unwrap();
    }
    if unreadable > 0 {
        writeln!(
            out,
            "\n{} could not be read and {} not counted.",
            plural(unreadable, "item", "items"),
            if unreadable == 1 { "was" } else { "were" }
        )
        .unwrap();
    }
    out
}

pub(crate) fn render_markdown(coverage: &Coverage, window: Window, unreadable: usize, max_chars: usize) -> String {
    let mut out = String::new();
    writeln!(out, "{MARKER}\n### gatesctl coverage: {}\n", window_words(window)).unwrap();
    let lead = unguarded(coverage);
    for s in &lead {
        writeln!(out, "- **{}**", inline(&headline(s))).unwrap();
    }
    if !lead.is_empty() {
        out.push('\n');
    }
    writeln!(out, "{}\n", summary_line(coverage)).unwrap();
    if !coverage.services.is_empty() {
        writeln!(
            out,
            "| Service/env | Deployments | Through a gate | Enforcing | Dry run only | Through none | Declared |\n|---|---:|---:|---:|---:|---:|---|"
        )
        .unwrap();
        for s in &coverage.services {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&s.name()),
                s.deployments,
                s.gated,
                s.gated_enforced,
                s.gated_dry_run,
                if s.ungated > 0 { format!("**{}**", s.ungated) } else { "0".into() },
                if s.declared { "yes" } else { "no" }
            )
            .unwrap();
        }
    }
    if !coverage.idle_gates.is_empty() {
        writeln!(out, "\n#### Idle gates\n\nDeclared, but no deployment went through them:\n").unwrap();
        for key in &coverage.idle_gates {
            writeln!(out, "- {}", code(&key.to_string())).unwrap();
        }
    }
    if unreadable > 0 {
        writeln!(out, "\n{} could not be read and not counted.", plural(unreadable, "item", "items")).unwrap();
    }
    super::markdown::fit(&out, max_chars, "coverage", "the JSON document (`gatesctl coverage --format json`)")
}
