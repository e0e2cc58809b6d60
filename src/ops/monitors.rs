//! The monitor rules checked against the live organisation. A rule whose query matches no
//! monitor, or more than 50, fails every evaluation (Datadog's rule semantics), and the API
//! accepts any query: so `plan` and `validate --online` search the monitors of each distinct
//! query and say so on the query's line in the file.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt};

use crate::config::{Code, ConfigDiagnostic, DesiredState, QuerySource};
use crate::escape::quoted;
use crate::model::{MonitorMatches, MAX_MONITORS_PER_RULE};
use crate::remote::{ApiError, Client};

/// What the check found.
#[derive(Debug, Default)]
pub(crate) struct MonitorCheck {
    /// Warnings (no monitor, too many) and notes (monitors failing now), on the queries.
    pub(crate) diagnostics: Vec<ConfigDiagnostic>,
    /// Why some queries went unchecked, when some did.
    pub(crate) unchecked: Option<String>,
    /// Distinct queries searched.
    pub(crate) checked: usize,
}

impl MonitorCheck {
    /// One line saying what was checked and found, for the log.
    pub(crate) fn summary(&self) -> Option<String> {
        if self.checked == 0 {
            return None;
        }
        let count = |code: Code| self.diagnostics.iter().filter(|d| d.code == code).count();
        let mut found = Vec::new();
        for (code, one, many) in [
            (Code::QueryMatchesNoMonitor, "matches no monitor", "match no monitor"),
            (Code::QueryMatchesTooMany, "matches more than 50", "match more than 50"),
            (Code::QueryMonitorsFailing, "has monitors failing now", "have monitors failing now"),
        ] {
            match count(code) {
                0 => {}
                1 => found.push(format!("1 {one}")),
                n => found.push(format!("{n} {many}")),
            }
        }
        let queries = if self.checked == 1 { "query" } else { "queries" };
        Some(if found.is_empty() {
            format!(
                "Monitor check: the {} monitor {queries} each match 1 to 50 monitors, none failing now.",
                self.checked
            )
        } else {
            format!("Monitor check of {} monitor {queries}: {}.", self.checked, found.join(", "))
        })
    }

    /// Problems of the file (not notes): what `--strict` refuses.
    pub(crate) fn problems(&self) -> usize {
        self.diagnostics.iter().filter(|d| !d.note).count()
    }

    /// With `--strict`, the warnings become errors.
    pub(crate) fn strict(mut self) -> Self {
        for d in &mut self.diagnostics {
            d.warning = false;
        }
        self
    }
}

/// "rule "Errors" of gate checkout/production/default", or a count when several use it.
fn users(uses: &[&QuerySource]) -> String {
    match uses {
        [one] => format!("rule {} of gate {}", quoted(&one.rule), one.gate),
        [first, rest @ ..] => {
            format!("rule {} of gate {} and {} more", quoted(&first.rule), first.gate, rest.len())
        }
        [] => String::new(),
    }
}

fn located(code: Code, uses: &[&QuerySource], label: String, message: String, help: String) -> ConfigDiagnostic {
    let first = uses[0];
    let mut diagnostic = ConfigDiagnostic::new(code, &first.source, first.span.clone(), label, message).with_help(help);
    // Other places with the same query: labelled in the same file, notes for other files.
    let mut seen = vec![(first.source.name().to_string(), first.span.clone())];
    for other in &uses[1..] {
        let place = (other.source.name().to_string(), other.span.clone());
        if seen.contains(&place) {
            continue;
        }
        seen.push(place);
        if other.source.name() == first.source.name() {
            diagnostic = diagnostic.with_label(other.span.clone(), "also here");
        } else {
            let note = ConfigDiagnostic::new(
                code,
                &other.source,
                other.span.clone(),
                "also here",
                format!("the same query, in rule {} of gate {}", quoted(&other.rule), other.gate),
            );
            diagnostic = diagnostic.with_related(note);
        }
    }
    diagnostic
}

/// The diagnostics of one query's search.
fn judge(query: &str, uses: &[&QuerySource], found: MonitorMatches) -> Option<ConfigDiagnostic> {
    let who = users(uses);
    if found.total == 0 {
        return Some(
            located(
                Code::QueryMatchesNoMonitor,
                uses,
                "matches no monitor".into(),
                format!("monitor query {} matches no monitor", quoted(query)),
                format!(
                    "{who} fails every evaluation until a monitor matches: check the query's tags and spelling (search it in Monitors › Manage Monitors), or create the monitor first"
                ),
            )
            .as_warning(),
        );
    }
    if found.total > MAX_MONITORS_PER_RULE {
        return Some(
            located(
                Code::QueryMatchesTooMany,
                uses,
                format!("matches {} monitors", found.total),
                format!(
                    "monitor query {} matches {} monitors, more than the {MAX_MONITORS_PER_RULE} a rule allows",
                    quoted(query),
                    found.total
                ),
                format!("{who} fails every evaluation: narrow the query, e.g. with env:, service: or team: tags"),
            )
            .as_warning(),
        );
    }
    let failing = found.alert + found.no_data;
    if failing > 0 {
        let mut states = Vec::new();
        if found.alert > 0 {
            states.push(format!("{} in ALERT", found.alert));
        }
        if found.no_data > 0 {
            states.push(format!("{} in NO_DATA", found.no_data));
        }
        let (label, message) = match (found.total, failing) {
            (1, _) => (
                "failing now".to_string(),
                format!("the monitor matching {} is failing now ({})", quoted(query), states.join(", ")),
            ),
            (total, failing) if total == failing => (
                "all failing now".to_string(),
                format!("all {total} monitors matching {} are failing now ({})", quoted(query), states.join(", ")),
            ),
            (total, failing) => (
                format!("{failing} of {total} failing now"),
                format!(
                    "{failing} of the {total} monitors matching {} are failing now ({})",
                    quoted(query),
                    states.join(", ")
                ),
            ),
        };
        return Some(
            located(Code::QueryMonitorsFailing, uses, label, message, format!("{who} would fail if evaluated now"))
                .as_note(),
        );
    }
    None
}

/// Searches the monitors of every distinct monitor query declared, `parallelism` at a time
/// and under the client's rate budget, and reports on each. A 403 (no `monitors_read`) stops
/// the check with one line, not one per query.
pub(crate) async fn check(client: &Client, desired: &DesiredState, parallelism: usize) -> MonitorCheck {
    let mut by_query: BTreeMap<&str, Vec<&QuerySource>> = BTreeMap::new();
    for source in &desired.queries {
        by_query.entry(source.query.as_str()).or_default().push(source);
    }
    // The first search goes alone: without monitors_read, one 403 is all the API sees.
    let mut queries = by_query.keys().copied();
    let mut results: Vec<(&str, Result<MonitorMatches, ApiError>)> = Vec::new();
    if let Some(first) = queries.next() {
        results.push((first, client.search_monitors(first).await));
    }
    let forbidden = matches!(results.first(), Some((_, Err(e))) if e.status() == Some(403));
    let rest: Vec<(&str, Result<MonitorMatches, ApiError>)> = if forbidden {
        Vec::new()
    } else {
        stream::iter(queries)
            .map(|query| async move { (query, client.search_monitors(query).await) })
            .buffer_unordered(parallelism.max(1))
            .collect()
            .await
    };
    results.extend(rest);
    let mut report = MonitorCheck::default();
    let mut failures: Vec<ApiError> = Vec::new();
    results.sort_by(|a, b| a.0.cmp(b.0));
    for (query, found) in results {
        match found {
            Ok(found) => {
                report.checked += 1;
                report.diagnostics.extend(judge(query, &by_query[query], found));
            }
            Err(e) => failures.push(e),
        }
    }
    let total = by_query.len();
    report.unchecked = if let Some(e) = failures.iter().find(|e| e.status() == Some(403)) {
        Some(format!(
            "monitor queries were not checked: the application key lacks the monitors_read permission (403: {}). Grant it to check that every monitor rule matches monitors, or pass --no-monitor-check",
            crate::escape::terminal(&e.detail())
        ))
    } else {
        failures
            .first()
            .map(|e| format!("{} of {total} monitor queries could not be checked: {e}", total - report.checked))
    };
    report
}
