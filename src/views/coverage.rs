//! The coverage of deployments (`gatesctl coverage`): text and Markdown that lead with the
//! deployments shipped through a block, then those no gate saw, and a versioned JSON document
//! (`schemas/coverage.schema.json`).

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::markdown::{cell, code, inline};
use super::{window_words, WindowDocument};
use gatesctl_core::coverage::{Bypass, Coverage, ServiceCoverage, Totals};
use gatesctl_core::escape::{quoted, terminal};
use gatesctl_core::model::time::{format_duration_ms, format_rfc3339, Window};
use gatesctl_core::text::plural;

/// Version of the JSON document's format, `MAJOR.MINOR`: additions bump the minor part, a
/// change of what a field counts the major one (2.0: a deploy is gated only by an evaluation
/// that came before it and let it through; `bypassed` is apart).
pub(crate) const FORMAT_VERSION: &str = "2.0";
/// Lets a CI job find its own earlier comment or job summary.
pub(crate) const MARKER: &str = "<!-- gatesctl:coverage -->";
/// Bypassed deployments listed per service and env in text and Markdown; JSON has them all.
const SHOWN: usize = 5;

/// A gatesctl coverage: which deployments went through a gate.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl coverage")]
pub(crate) struct CoverageDocument<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    pub(crate) window: WindowDocument,
    /// How long before a deployment started an evaluation may have started and still count
    /// for it (`[coverage] max_gap`), in seconds.
    pub(crate) max_gap_seconds: i64,
    /// Every deployment is in exactly one of `gated_enforced`, `gated_dry_run`, `bypassed` and
    /// `ungated`; `gated` is the first two.
    pub(crate) summary: Totals,
    /// Every deployment shipped although an enforcing gate blocked it, oldest first: the
    /// loudest finding, first (each service also lists its own).
    pub(crate) bypassed: Vec<&'a Bypass>,
    /// Every service and env that deployed in the window, declared or not, by service then env.
    pub(crate) services: &'a [ServiceCoverage],
    /// Declared gates that decided no deployment (`service/env/identifier`).
    pub(crate) idle_gates: Vec<String>,
    /// Deployments or evaluations the API answered that could not be read: not counted.
    pub(crate) unreadable: usize,
}

pub(crate) fn render_json(coverage: &Coverage, window: Window, unreadable: usize) -> String {
    super::pretty(&CoverageDocument {
        format_version: FORMAT_VERSION.into(),
        gatesctl_version: env!("CARGO_PKG_VERSION").into(),
        window: window.into(),
        max_gap_seconds: coverage.max_gap_seconds,
        summary: coverage.totals(),
        bypassed: {
            let mut all: Vec<&Bypass> = coverage.services.iter().flat_map(|s| &s.bypasses).collect();
            all.sort_by(|a, b| a.deployed_ms.cmp(&b.deployed_ms).then(a.gate.cmp(&b.gate)));
            all
        },
        services: &coverage.services,
        idle_gates: coverage.idle_gates.iter().map(|k| k.joined()).collect(),
        unreadable,
    })
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(CoverageDocument<'static>), "coverage.schema.json")
}

/// What matters first: deployments shipped through a block, the most first.
fn bypassing(coverage: &Coverage) -> Vec<&ServiceCoverage> {
    let mut out: Vec<&ServiceCoverage> = coverage.services.iter().filter(|s| s.bypassed > 0).collect();
    out.sort_by(|a, b| b.bypassed.cmp(&a.bypassed).then(a.name().cmp(&b.name())));
    out
}

/// Then: the deployments no gate saw, the most first.
fn unguarded(coverage: &Coverage) -> Vec<&ServiceCoverage> {
    let mut out: Vec<&ServiceCoverage> = coverage.services.iter().filter(|s| s.ungated > 0).collect();
    out.sort_by(|a, b| b.ungated.cmp(&a.ungated).then(a.name().cmp(&b.name())));
    out
}

/// "search/production: 1 deployment shipped although an enforcing gate blocked it".
fn bypass_headline(s: &ServiceCoverage) -> String {
    format!(
        "{}: {} shipped although an enforcing gate blocked {}",
        s.name(),
        plural(s.bypassed, "deployment", "deployments"),
        if s.bypassed == 1 { "it" } else { "them" }
    )
}

/// "version "v3.18.0" deployed at …, blocked by search/production/default at …".
fn bypass_lines(s: &ServiceCoverage) -> Vec<String> {
    let mut lines: Vec<String> = s
        .bypasses
        .iter()
        .rev()
        .take(SHOWN)
        .map(|b| {
            let version = if b.version.is_empty() {
                "an unversioned deploy".to_string()
            } else {
                format!("version {}", quoted(&b.version))
            };
            format!(
                "{version} deployed at {}, blocked by {} at {}",
                format_rfc3339(b.deployed_ms),
                b.gate,
                format_rfc3339(b.blocked_ms)
            )
        })
        .collect();
    if s.bypasses.len() > SHOWN {
        lines.push(format!("… and {} earlier", s.bypasses.len() - SHOWN));
    }
    lines
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

/// "all 16 deployments through a gate (16 enforcing)".
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
    let t = coverage.totals();
    let bypassed = match t.bypassed {
        0 => String::new(),
        n => format!("{n} shipped through an enforcing gate's block, "),
    };
    format!(
        "{} of {}: {} through a gate ({} enforcing, {} in dry run only), {bypassed}{} through none.",
        plural(t.deployments, "deployment", "deployments"),
        plural(coverage.services.len(), "service and env", "services and envs"),
        t.gated,
        t.gated_enforced,
        t.gated_dry_run,
        t.ungated
    )
}

/// How deployments were joined, in one line under the summary.
fn join_words(coverage: &Coverage) -> String {
    format!(
        "A deployment counts as gated by an evaluation that started at most {} before it (and before it finished) and let it through.",
        format_duration_ms(coverage.max_gap_seconds * 1000)
    )
}

pub(crate) fn render_text(coverage: &Coverage, window: Window, unreadable: usize) -> String {
    let mut out = String::new();
    writeln!(out, "Coverage of the deployments of {}. {}", window_words(window), summary_line(coverage)).unwrap();
    writeln!(out, "{}\n", join_words(coverage)).unwrap();
    let bypassed = bypassing(coverage);
    for s in &bypassed {
        writeln!(out, "{}", terminal(&bypass_headline(s))).unwrap();
        for line in bypass_lines(s) {
            writeln!(out, "  {}", terminal(&line)).unwrap();
        }
    }
    let lead = unguarded(coverage);
    for s in &lead {
        writeln!(out, "{}", terminal(&headline(s))).unwrap();
    }
    if !lead.is_empty() || !bypassed.is_empty() {
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
    let bypassed = bypassing(coverage);
    for s in &bypassed {
        writeln!(out, "- **{}**", inline(&bypass_headline(s))).unwrap();
        for line in bypass_lines(s) {
            writeln!(out, "  - {}", inline(&line)).unwrap();
        }
    }
    let lead = unguarded(coverage);
    for s in &lead {
        writeln!(out, "- **{}**", inline(&headline(s))).unwrap();
    }
    if !lead.is_empty() || !bypassed.is_empty() {
        out.push('\n');
    }
    writeln!(out, "{} {}\n", summary_line(coverage), join_words(coverage)).unwrap();
    if !coverage.services.is_empty() {
        writeln!(
            out,
            "| Service/env | Deployments | Enforcing | Dry run only | Bypassed | Through none | Declared |\n|---|---:|---:|---:|---:|---:|---|"
        )
        .unwrap();
        let bold = |n: usize| if n > 0 { format!("**{n}**") } else { "0".into() };
        for s in &coverage.services {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} |",
                cell(&s.name()),
                s.deployments,
                s.gated_enforced,
                s.gated_dry_run,
                bold(s.bypassed),
                bold(s.ungated),
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
