//! The monitor rules judged against what the organisation holds. The API accepts any query
//! and any monitor id, and a rule watching nothing passes without checking anything (or, with
//! `fail_on_no_groups_found`, fails every evaluation): so `plan` and `validate --online` search
//! the monitors of each distinct query and look up each monitor watched by id (the binary's
//! I/O), and this says what they found, on the line of the file that asks for it.

use std::collections::BTreeMap;

use crate::desired::{DesiredState, WatchSource, Watched};
use crate::diagnostic::{Code, ConfigDiagnostic, Severity};
use crate::escape::quoted;
use crate::model::{is_failing_state, FailingMonitor, GateKey, MonitorMatches, MonitorState, MAX_MONITORS_PER_RULE};

/// What the check found.
#[derive(Debug, Default)]
pub struct MonitorCheck {
    /// Warnings (nothing watched, too many, a monitor or group missing) and notes (monitors
    /// failing now), on the queries and ids.
    pub diagnostics: Vec<ConfigDiagnostic>,
    /// Why some were not checked, when some were not.
    pub unchecked: Option<String>,
    /// Distinct queries searched, and distinct monitors looked up.
    pub(crate) queries: usize,
    pub(crate) monitors: usize,
    /// The monitor rules found watching nothing, by gate and rule name, with what they watch:
    /// a query matching no monitor, or a monitor id that does not exist.
    pub watching_nothing: BTreeMap<(GateKey, String), String>,
    /// The monitors in ALERT or NO DATA now, by the gate and rule that watch them: enforced,
    /// those rules would block the next deploy.
    pub failing_now: BTreeMap<(GateKey, String), Vec<FailingMonitor>>,
}

impl MonitorCheck {
    /// One line saying what was checked and found, for the log.
    pub fn summary(&self) -> Option<String> {
        let checked = self.queries + self.monitors;
        if checked == 0 {
            return None;
        }
        let count = |code: Code| self.diagnostics.iter().filter(|d| d.code == code).count();
        let mut found = Vec::new();
        for (code, one, many) in [
            (Code::QueryMatchesNoMonitor, "matches no monitor", "match no monitor"),
            (Code::QueryMatchesTooMany, "matches more than 50", "match more than 50"),
            (Code::QueryMonitorsFailing, "has monitors failing now", "have monitors failing now"),
            (Code::MonitorNotFound, "monitor does not exist", "monitors do not exist"),
            (Code::MonitorGroupNotFound, "monitor lacks a group watched", "monitors lack a group watched"),
            (Code::MonitorFailing, "monitor is failing now", "monitors are failing now"),
        ] {
            match count(code) {
                0 => {}
                1 => found.push(format!("1 {one}")),
                n => found.push(format!("{n} {many}")),
            }
        }
        let mut what = Vec::new();
        if self.queries > 0 {
            what.push(crate::text::plural(self.queries, "monitor query", "monitor queries"));
        }
        if self.monitors > 0 {
            what.push(crate::text::plural(self.monitors, "monitor watched by id", "monitors watched by id"));
        }
        let what = what.join(" and ");
        Some(if found.is_empty() && self.monitors == 0 && self.queries == 1 {
            "Monitor check: the monitor query matches 1 to 50 monitors, none failing now.".to_string()
        } else if found.is_empty() && self.monitors == 0 {
            format!("Monitor check: the {what} each match 1 to 50 monitors, none failing now.")
        } else if found.is_empty() {
            format!("Monitor check of {what}: every query matches 1 to 50 monitors, every monitor exists, none failing now.")
        } else {
            format!("Monitor check of {what}: {}.", found.join(", "))
        })
    }

    /// Problems of the file (not notes): what `--strict` refuses.
    pub fn problems(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.severity != Severity::Note).count()
    }

    /// With `--strict`, the warnings become errors.
    pub fn strict_if(mut self, strict: bool) -> Self {
        if strict {
            for d in self.diagnostics.iter_mut().filter(|d| d.severity == Severity::Warning) {
                d.severity = Severity::Error;
            }
        }
        self
    }
}

/// "rule "Errors" of gate checkout/production/default", or a count when several use it.
fn users(uses: &[&WatchSource]) -> String {
    match uses {
        [one] => format!("rule {} of gate {}", quoted(&one.rule), one.gate),
        [first, rest @ ..] => {
            format!("rule {} of gate {} and {} more", quoted(&first.rule), first.gate, rest.len())
        }
        [] => String::new(),
    }
}

fn located(code: Code, uses: &[&WatchSource], label: String, message: String, help: String) -> ConfigDiagnostic {
    let first = uses[0];
    let mut diagnostic = ConfigDiagnostic::new(code, &first.source, first.span.clone(), label, message).with_help(help);
    // Other places asking the same: labelled in the same file, notes for other files.
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
                format!("the same, in rule {} of gate {}", quoted(&other.rule), other.gate),
            );
            diagnostic = diagnostic.with_related(note);
        }
    }
    diagnostic
}

/// What a rule that finds nothing to watch does, in its own words.
fn when_nothing_found(uses: &[&WatchSource], until: &str) -> String {
    let who = users(uses);
    if uses.iter().all(|u| u.fail_on_no_groups_found) {
        format!("{who} fails every evaluation {until}")
    } else {
        format!("{who} watches nothing {until}, and meanwhile passes every evaluation without checking anything (fail_on_no_groups_found is off)")
    }
}

/// The diagnostics of one query's search.
fn judge_query(query: &str, uses: &[&WatchSource], found: &MonitorMatches) -> Option<ConfigDiagnostic> {
    if found.total == 0 {
        let help = format!(
            "{}: check the query's tags and spelling (search it in Monitors › Manage Monitors), or create the monitor first",
            when_nothing_found(uses, "until a monitor matches")
        );
        let message = format!("monitor query {} matches no monitor", quoted(query));
        return Some(
            located(Code::QueryMatchesNoMonitor, uses, "matches no monitor".into(), message, help).into_warning(),
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
                format!(
                    "{} fails every evaluation: narrow the query, e.g. with env:, service: or team: tags",
                    users(uses)
                ),
            )
            .into_warning(),
        );
    }
    let failing = found.alert + found.no_data;
    if failing == 0 {
        return None;
    }
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
    let help = format!("{} would fail if evaluated now", users(uses));
    Some(located(Code::QueryMonitorsFailing, uses, label, message, help).into_note())
}

/// The diagnostics of one monitor watched by id: it must exist, have the groups watched, and
/// is worth a note when failing now.
fn judge_monitor(id: u64, uses: &[&WatchSource], found: Option<&MonitorState>) -> Vec<ConfigDiagnostic> {
    let Some(monitor) = found else {
        let message = format!("monitor {id} does not exist");
        let help = format!(
            "{} fails every evaluation until it does: check the id (the number in the monitor's URL), or create the monitor first",
            users(uses)
        );
        return vec![located(Code::MonitorNotFound, uses, "no such monitor".into(), message, help).into_warning()];
    };
    let named = format!("monitor {id} ({})", quoted(&monitor.name));
    let mut out = Vec::new();
    // Groups asked for by name that the monitor does not report.
    let mut missing: BTreeMap<&str, Vec<&WatchSource>> = BTreeMap::new();
    for source in uses {
        if let Watched::Monitor { groups, .. } = &source.watched {
            for group in groups.iter().filter(|g| !monitor.groups.contains_key(g.as_str())) {
                missing.entry(group).or_default().push(source);
            }
        }
    }
    for (group, users_of) in &missing {
        let has = if monitor.groups.is_empty() {
            "it reports no groups (a simple alert)".to_string()
        } else {
            let names: Vec<String> = monitor.groups.keys().take(5).map(|g| quoted(g)).collect();
            format!("its groups: {}{}", names.join(", "), if monitor.groups.len() > 5 { ", …" } else { "" })
        };
        out.push(
            located(
                Code::MonitorGroupNotFound,
                users_of,
                format!("no group {}", quoted(group)),
                format!("{named} has no group {}", quoted(group)),
                format!("{has}: the group is watched only once the monitor reports it; check its exact name on the monitor's status page"),
            )
            .into_warning(),
        );
    }
    let watched_failing = failing_groups(monitor, None);
    if !watched_failing.is_empty() {
        let states: Vec<String> = watched_failing
            .iter()
            .take(5)
            .map(|(group, state)| {
                if group.is_empty() {
                    state.to_uppercase()
                } else {
                    format!("{} in {}", quoted(group), state.to_uppercase())
                }
            })
            .collect();
        out.push(
            located(
                Code::MonitorFailing,
                uses,
                "failing now".into(),
                format!("{named} is failing now ({})", states.join(", ")),
                format!("{} would fail if evaluated now (unless none of its failing groups is watched)", users(uses)),
            )
            .into_note(),
        );
    }
    out
}

/// The groups of a monitor failing now, with their states: its overall state for a simple
/// alert, else those of `watched` groups (every group when `None` or empty).
fn failing_groups<'m>(monitor: &'m MonitorState, watched: Option<&[String]>) -> Vec<(&'m str, &'m str)> {
    let watched = watched.filter(|w| !w.is_empty());
    match monitor.groups.is_empty() {
        true if is_failing_state(&monitor.overall_state) => vec![("", monitor.overall_state.as_str())],
        true => Vec::new(),
        false => monitor
            .groups
            .iter()
            .filter(|(g, s)| is_failing_state(s) && watched.is_none_or(|w| w.iter().any(|x| x == *g)))
            .map(|(g, s)| (g.as_str(), s.as_str()))
            .collect(),
    }
}

/// The monitor's failing groups a rule watches, as the report names them.
fn failing_watched(id: u64, monitor: &MonitorState, watched: &[String]) -> Vec<FailingMonitor> {
    failing_groups(monitor, Some(watched))
        .into_iter()
        .map(|(group, state)| FailingMonitor {
            id,
            name: if group.is_empty() { monitor.name.clone() } else { format!("{}, group {group}", monitor.name) },
            state: state.to_string(),
            since_ms: if group.is_empty() {
                monitor.overall_since_ms
            } else {
                monitor.group_since_ms.get(group).copied().or(monitor.overall_since_ms)
            },
        })
        .collect()
}

/// One lookup of the check.
#[derive(Debug)]
pub enum Lookup<'a> {
    Query(&'a str),
    Monitor(u64),
}

/// What a lookup found.
#[derive(Debug)]
pub enum Found {
    Query(MonitorMatches),
    Monitor(Option<MonitorState>),
}

/// A lookup the API did not answer: its status (403 is a missing permission) and what it said.
#[derive(Debug)]
pub struct Unanswered {
    pub status: Option<u16>,
    /// The API's `detail`, for the permission message.
    pub detail: String,
    /// The whole error, for any other failure.
    pub message: String,
}

/// The distinct queries and monitors the files watch, with who watches each.
#[derive(Debug, Default)]
pub struct Lookups<'a> {
    by_query: BTreeMap<&'a str, Vec<&'a WatchSource>>,
    by_monitor: BTreeMap<u64, Vec<&'a WatchSource>>,
}

impl<'a> Lookups<'a> {
    pub fn of(desired: &'a DesiredState) -> Lookups<'a> {
        let mut lookups = Lookups::default();
        for source in &desired.watched {
            match &source.watched {
                Watched::Query(query) => lookups.by_query.entry(query.as_str()).or_default().push(source),
                Watched::Monitor { id, .. } => lookups.by_monitor.entry(*id).or_default().push(source),
            }
        }
        lookups
    }

    /// Every lookup to make: queries, then monitors, each sorted.
    pub fn all(&self) -> Vec<Lookup<'a>> {
        self.by_query
            .keys()
            .map(|q| Lookup::Query(q))
            .chain(self.by_monitor.keys().map(|id| Lookup::Monitor(*id)))
            .collect()
    }

    /// What the answers say, each on the places that ask for it. A 403 among them (no
    /// `monitors_read`) is one line, not one per query.
    pub fn judge(&self, results: Vec<(&Lookup<'_>, Result<Found, Unanswered>)>) -> MonitorCheck {
        let total = self.by_query.len() + self.by_monitor.len();
        let (by_query, by_monitor) = (&self.by_query, &self.by_monitor);
        let mut report = MonitorCheck::default();
        let mut failures: Vec<Unanswered> = Vec::new();
        let mut query_findings: BTreeMap<&str, Vec<ConfigDiagnostic>> = BTreeMap::new();
        let mut monitor_findings: BTreeMap<u64, Vec<ConfigDiagnostic>> = BTreeMap::new();
        for (lookup, found) in results {
            match (lookup, found) {
                (Lookup::Query(query), Ok(Found::Query(found))) => {
                    report.queries += 1;
                    if found.total == 0 {
                        for u in &by_query[query] {
                            let what = format!("its query {} matches no monitor", quoted(query));
                            report.watching_nothing.insert((u.gate.clone(), u.rule.clone()), what);
                        }
                    }
                    // Rules that fail on finding nothing and rules that pass are told apart.
                    let uses = &by_query[query];
                    if found.total <= MAX_MONITORS_PER_RULE && !found.failing.is_empty() {
                        for u in uses {
                            let entry = report.failing_now.entry((u.gate.clone(), u.rule.clone())).or_default();
                            entry.extend(found.failing.iter().cloned());
                        }
                    }
                    let (failing, passing): (Vec<&WatchSource>, Vec<&WatchSource>) =
                        uses.iter().partition(|u| u.fail_on_no_groups_found);
                    for group in [failing, passing].into_iter().filter(|g| !g.is_empty()) {
                        query_findings.entry(query).or_default().extend(judge_query(query, &group, &found));
                    }
                }
                (Lookup::Monitor(id), Ok(Found::Monitor(found))) => {
                    report.monitors += 1;
                    if found.is_none() {
                        for u in &by_monitor[id] {
                            let what = format!("monitor {id} of its monitor_ids does not exist");
                            report.watching_nothing.insert((u.gate.clone(), u.rule.clone()), what);
                        }
                    }
                    if let Some(monitor) = &found {
                        for u in &by_monitor[id] {
                            let Watched::Monitor { groups, .. } = &u.watched else { continue };
                            let failing = failing_watched(*id, monitor, groups);
                            if !failing.is_empty() {
                                report.failing_now.entry((u.gate.clone(), u.rule.clone())).or_default().extend(failing);
                            }
                        }
                    }
                    monitor_findings.insert(*id, judge_monitor(*id, &by_monitor[id], found.as_ref()));
                }
                (_, Err(e)) => failures.push(e),
                _ => unreachable!("each lookup answers its own kind"),
            }
        }
        for failing in report.failing_now.values_mut() {
            failing.sort();
            failing.dedup();
        }
        // In the order of the lookups: queries, then monitors, each sorted.
        report.diagnostics.extend(query_findings.into_values().flatten());
        report.diagnostics.extend(monitor_findings.into_values().flatten());
        let checked = report.queries + report.monitors;
        report.unchecked = if let Some(e) = failures.iter().find(|e| e.status == Some(403)) {
            Some(format!(
                "monitor queries and ids were not checked: the application key lacks the monitors_read permission (403: {}). Grant it to check that every monitor rule watches monitors, or pass --no-monitor-check",
                crate::escape::terminal(&e.detail)
            ))
        } else {
            failures.first().map(|e| {
                format!("{} of {total} monitor queries and ids could not be checked: {}", total - checked, e.message)
            })
        };
        report
    }
}
