//! The audit (`gatesctl audit`): text and Markdown that lead with what breaks `error`
//! policies, then warnings, exceptions and what could not be checked; and a versioned JSON
//! document (`schemas/audit.schema.json`).

use std::fmt::Write;

use schemars::JsonSchema;
use serde::Serialize;

use super::markdown::{cell, code, inline};
use super::{window_words, Palette, WindowDocument};
use crate::ops::audit::{Audit, Published};
use gatesctl_core::escape::terminal;
use gatesctl_core::model::OutcomeState;
use gatesctl_core::policy::{Level, PolicyVerdict, Subject, Violation};
use gatesctl_core::text::plural;

/// Version of the JSON document's format, `MAJOR.MINOR`: additions bump the minor part.
pub(crate) const FORMAT_VERSION: &str = "1.0";
/// Lets a CI job find its own earlier comment, issue or job summary.
pub(crate) const MARKER: &str = "<!-- gatesctl:audit -->";
/// Violations listed per policy in text and Markdown; JSON has them all.
const SHOWN: usize = 20;

/// A gatesctl audit: every policy judged against what runs and what deployed.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl audit")]
struct AuditDocument<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    format_version: &'static str,
    gatesctl_version: &'static str,
    /// The window DORA and the history were read in.
    window: WindowDocument,
    /// Remote gates judged.
    gates: usize,
    /// Software Catalog services read; null when the catalog was not read.
    catalog_services: Option<usize>,
    /// Deployments of the window; null when DORA was not read.
    deployments: Option<usize>,
    /// Requirements of `error` policies broken: the audit fails (exit 1) when above 0.
    errors: usize,
    /// Requirements of `warning` policies broken.
    warnings: usize,
    policies: &'a [PolicyVerdict],
    /// What `--publish-scorecard` did; null without it.
    published: Option<PublishedDocument>,
    /// Items the API answered that could not be read: not counted.
    unreadable: usize,
}

/// What publishing to Scorecards did.
#[derive(Debug, Serialize, JsonSchema)]
struct PublishedDocument {
    scorecard: &'static str,
    /// Policies whose rule was created, updated, or found as wanted.
    created: Vec<String>,
    updated: Vec<String>,
    kept: Vec<String>,
    /// Outcomes posted, one per policy and service.
    outcomes: usize,
    /// Of those, the ones the API says changed.
    changed: u64,
}

fn counts(verdicts: &[PolicyVerdict], level: Level) -> usize {
    verdicts.iter().filter(|v| v.level == level).map(|v| v.violations.len()).sum()
}

pub(crate) fn render_json(audit: &Audit, published: Option<&Published>) -> String {
    super::pretty(&AuditDocument {
        format_version: FORMAT_VERSION,
        gatesctl_version: env!("CARGO_PKG_VERSION"),
        window: audit.window.into(),
        gates: audit.gates,
        catalog_services: audit.catalog,
        deployments: audit.deployments,
        errors: counts(&audit.verdicts, Level::Error),
        warnings: counts(&audit.verdicts, Level::Warning),
        policies: &audit.verdicts,
        published: published.map(|p| PublishedDocument {
            scorecard: gatesctl_core::policy::scorecard::SCORECARD,
            created: p.created.clone(),
            updated: p.updated.clone(),
            kept: p.kept.clone(),
            outcomes: p.outcomes,
            changed: p.changed,
        }),
        unreadable: audit.unreadable.len(),
    })
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(AuditDocument<'static>), "audit.schema.json")
}

/// What a violation is about, as people name it.
fn about(v: &Violation) -> String {
    match &v.subject {
        Subject::Gate { gate } | Subject::Rule { gate, .. } => gate.to_string(),
        Subject::Place { service, env } => format!("{service}/{env}"),
        Subject::Service { service } => service.clone(),
        Subject::Policy => "deployments in scope".into(),
        Subject::Exception { names } => format!("exception {names}"),
    }
}

/// What the audit read, in one sentence.
fn read(audit: &Audit) -> String {
    let mut parts = vec![plural(audit.gates, "remote gate", "remote gates")];
    if let Some(n) = audit.catalog {
        parts.push(plural(n, "Software Catalog service", "Software Catalog services"));
    }
    if let Some(n) = audit.deployments {
        parts.push(format!("{} in {}", plural(n, "deployment", "deployments"), window_words(audit.window)));
    }
    parts.join(", ")
}

fn tally(v: &PolicyVerdict) -> String {
    let (mut pass, mut fail, mut skip) = (0, 0, 0);
    for o in v.services.values() {
        match o.state {
            OutcomeState::Pass => pass += 1,
            OutcomeState::Fail => fail += 1,
            OutcomeState::Skip => skip += 1,
        }
    }
    format!("services in scope: {pass} pass, {fail} fail, {skip} excepted")
}

/// The last line: the verdict, and how the command ends.
fn verdict(audit: &Audit) -> String {
    let (errors, warnings) = (counts(&audit.verdicts, Level::Error), counts(&audit.verdicts, Level::Warning));
    match (errors, warnings) {
        (0, 0) => format!("Audit passed: every policy holds ({}).", plural(audit.verdicts.len(), "policy", "policies")),
        (0, w) => format!("Audit passed with {}: no error-level policy is broken.", plural(w, "warning", "warnings")),
        (e, 0) => format!("Audit failed: {} of error-level policies broken.", plural(e, "requirement", "requirements")),
        (e, w) => format!(
            "Audit failed: {} of error-level policies broken, and {}.",
            plural(e, "requirement", "requirements"),
            plural(w, "warning", "warnings")
        ),
    }
}

pub(crate) fn render_text(audit: &Audit, published: Option<&Published>, p: Palette) -> String {
    let mut out = String::new();
    writeln!(
        out,
        "Audit of {} against what runs and what deployed: {}.",
        plural(audit.verdicts.len(), "policy", "policies"),
        read(audit)
    )
    .unwrap();
    // Error-level policies first: what fails the audit.
    let mut ordered: Vec<&PolicyVerdict> = audit.verdicts.iter().collect();
    ordered.sort_by_key(|v| v.level);
    for v in ordered {
        let broken = !v.violations.is_empty();
        let head = format!("{} ({})", terminal(&v.policy), v.level.as_str());
        let head = match (broken, v.level) {
            (false, _) => p.create(&format!("✓ {head}")),
            (true, Level::Error) => p.delete(&format!("✗ {head}")),
            (true, Level::Warning) => p.update(&format!("! {head}")),
        };
        let status = if broken { plural(v.violations.len(), "violation", "violations") } else { "holds".into() };
        writeln!(out, "\n{head}: {status}").unwrap();
        if !v.description.is_empty() {
            writeln!(out, "  {}", p.dim(&terminal(&v.description))).unwrap();
        }
        for violation in v.violations.iter().take(SHOWN) {
            writeln!(out, "  {}  {}", violation.code, terminal(&violation.message)).unwrap();
        }
        if v.violations.len() > SHOWN {
            writeln!(out, "  … and {} more (--format json lists every one)", v.violations.len() - SHOWN).unwrap();
        }
        for e in &v.excepted {
            writeln!(out, "  excepted until {}: {}: {}", e.until, terminal(&e.names), terminal(&e.reason)).unwrap();
        }
        if let Some(c) = v.coverage {
            writeln!(
                out,
                "  coverage: {} of {} in scope through an enforcing gate ({}%)",
                c.enforced,
                plural(c.deployments, "deployment", "deployments"),
                c.percent()
            )
            .unwrap();
        }
        for why in &v.unchecked {
            writeln!(out, "  note: {}", terminal(why)).unwrap();
        }
        writeln!(out, "  {}", tally(v)).unwrap();
    }
    if let Some(published) = published {
        writeln!(out, "\n{}", published_line(published)).unwrap();
    }
    writeln!(out, "\n{}", verdict(audit)).unwrap();
    out
}

fn published_line(p: &Published) -> String {
    format!(
        "Published to the {:?} scorecard: rules {} created, {} updated, {} unchanged; {} posted ({} changed).",
        gatesctl_core::policy::scorecard::SCORECARD,
        p.created.len(),
        p.updated.len(),
        p.kept.len(),
        plural(p.outcomes, "outcome", "outcomes"),
        p.changed
    )
}

pub(crate) fn render_markdown(audit: &Audit, published: Option<&Published>, max_chars: usize) -> String {
    let mut out = String::new();
    writeln!(out, "{MARKER}\n### gatesctl audit\n").unwrap();
    writeln!(out, "{} judged against {}.\n", plural(audit.verdicts.len(), "policy", "policies"), inline(&read(audit)))
        .unwrap();
    writeln!(out, "| Policy | Level | Violations | Services (pass / fail / excepted) |\n|---|---|---:|---|").unwrap();
    let mut ordered: Vec<&PolicyVerdict> = audit.verdicts.iter().collect();
    ordered.sort_by_key(|v| v.level);
    for v in &ordered {
        let icon = match (v.violations.is_empty(), v.level) {
            (true, _) => "✅",
            (false, Level::Error) => "❌",
            (false, Level::Warning) => "⚠️",
        };
        let count = |s: OutcomeState| v.services.values().filter(|o| o.state == s).count();
        writeln!(
            out,
            "| {icon} {} | {} | {} | {} / {} / {} |",
            code(&v.policy),
            v.level.as_str(),
            v.violations.len(),
            count(OutcomeState::Pass),
            count(OutcomeState::Fail),
            count(OutcomeState::Skip)
        )
        .unwrap();
    }
    for v in ordered.iter().filter(|v| !v.violations.is_empty() || !v.unchecked.is_empty() || !v.excepted.is_empty()) {
        writeln!(
            out,
            "\n<details><summary><b>{}</b> ({})</summary>\n",
            super::markdown::html(&v.policy),
            v.level.as_str()
        )
        .unwrap();
        if !v.description.is_empty() {
            writeln!(out, "{}\n", inline(&v.description)).unwrap();
        }
        if !v.violations.is_empty() {
            writeln!(out, "| Code | About | What |\n|---|---|---|").unwrap();
            for violation in v.violations.iter().take(SHOWN) {
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    code(violation.code),
                    cell(&about(violation)),
                    inline(&violation.message)
                )
                .unwrap();
            }
            if v.violations.len() > SHOWN {
                writeln!(
                    out,
                    "\n… and {} more: `gatesctl audit --format json` lists every one.",
                    v.violations.len() - SHOWN
                )
                .unwrap();
            }
        }
        for e in &v.excepted {
            writeln!(out, "\n- excepted until {}: {}: {}", e.until, code(&e.names), inline(&e.reason)).unwrap();
        }
        for why in &v.unchecked {
            writeln!(out, "\n- note: {}", inline(why)).unwrap();
        }
        writeln!(out, "\n</details>").unwrap();
    }
    if let Some(published) = published {
        writeln!(out, "\n{}", inline(&published_line(published))).unwrap();
    }
    writeln!(out, "\n**{}**", inline(&verdict(audit))).unwrap();
    super::markdown::fit(&out, max_chars, "audit", "`gatesctl audit --format json`")
}
