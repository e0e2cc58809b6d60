//! An evaluation's verdict: a rule table for people, one JSON object for machines.

use serde::Serialize;

use super::Palette;
use gatesctl_core::escape::terminal;
use gatesctl_core::model::{Evaluation, RuleVerdict, Verdict};

/// Version of the JSON verdict's format, `MAJOR.MINOR`: additions bump the minor part.
pub(crate) const FORMAT_VERSION: &str = "1.0";

/// The JSON document `evaluate --format json` prints. `outcome` tells a failed gate
/// (`fail`) from one that could not be evaluated (`unavailable`, `error`).
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(title = "gatesctl evaluate verdict")]
struct Report<'a> {
    /// Version of this document's format, `MAJOR.MINOR`: additions bump the minor part.
    format_version: &'static str,
    outcome: Verdict,
    service: &'a str,
    env: &'a str,
    identifier: &'a str,
    evaluation_id: Option<&'a str>,
    evaluation_url: Option<&'a str>,
    gate_status: Option<&'a str>,
    dry_run: Option<bool>,
    rules: &'a [RuleVerdict],
    error: Option<&'a str>,
}

pub(crate) fn render_json(e: &Evaluation) -> String {
    let report = Report {
        format_version: FORMAT_VERSION,
        outcome: e.verdict,
        service: &e.gate.service,
        env: &e.gate.env,
        identifier: &e.gate.identifier,
        evaluation_id: e.evaluation_id.as_deref(),
        evaluation_url: e.url.as_deref(),
        gate_status: e.gate_status.as_deref(),
        dry_run: e.dry_run,
        rules: &e.rules,
        error: e.reason.as_deref(),
    };
    super::pretty(&report)
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(Report<'static>), "evaluate.schema.json")
}

pub(crate) fn render_text(e: &Evaluation, p: Palette) -> String {
    let mut out = String::new();
    let verdict = match e.verdict {
        Verdict::Pass => p.create("PASS"),
        Verdict::Fail => p.delete("FAIL"),
        Verdict::Unavailable => p.update("UNAVAILABLE"),
        Verdict::Error => p.delete("ERROR"),
    };
    out.push_str(&format!("Gate {}: {verdict}\n", p.bold(&e.gate.to_string())));
    if let Some(reason) = &e.reason {
        out.push_str(&format!("Reason: {}\n", terminal(reason)));
    }
    if let Some(dry_run) = e.dry_run {
        out.push_str(&format!(
            "Dry run: {}{}\n",
            yes_no(dry_run),
            if dry_run { " (the gate passes whatever its rules say)" } else { "" }
        ));
    }
    if let Some(url) = &e.url {
        out.push_str(&format!("Evaluation: {}\n", terminal(url)));
    }
    if e.dry_run.is_none() {
        if let Some(id) = &e.evaluation_id {
            out.push_str(&format!("Evaluation id: {}\n", terminal(id)));
        }
    }
    if !e.rules.is_empty() {
        let header = ["RULE", "STATUS", "DRY RUN", "REASON"];
        let rows: Vec<[String; 4]> = e
            .rules
            .iter()
            .map(|rule| {
                [
                    gatesctl_core::escape::line_start(&rule.name).into_owned(),
                    terminal(&rule.status).into_owned(),
                    yes_no(rule.dry_run).to_string(),
                    terminal(rule.reason.as_deref().unwrap_or_default()).into_owned(),
                ]
            })
            .collect();
        let width =
            |i: usize| rows.iter().map(|row| row[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0);
        let widths = [width(0), width(1), width(2)];
        out.push('\n');
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:w2$}  {}\n",
            header[0],
            header[1],
            header[2],
            header[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
        for row in rows {
            let status = format!("{:w$}", row[1], w = widths[1]);
            let status = match row[1].as_str() {
                "pass" => p.create(&status),
                "fail" => p.delete(&status),
                _ => p.update(&status),
            };
            let line = format!("{:w0$}  {status}  {:w2$}  {}", row[0], row[2], row[3], w0 = widths[0], w2 = widths[2]);
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    out
}
