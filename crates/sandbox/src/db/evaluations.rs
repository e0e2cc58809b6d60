//! The evaluation history in SQLite: every gate evaluation the sandbox runs, with each rule's
//! part, kept durably so that another process and a restart see them, and listed newest first
//! through a window of time, filters and a cursor.

use std::collections::BTreeMap;

use rusqlite::types::Value as Sql;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;
use serde_json::Value;

use super::{db_error, Refusal};
use crate::store::{StoredEvaluation, StoredRuleEvaluation};

/// Evaluations kept at most; the oldest go first.
const KEPT: i64 = 100_000;

use gatesctl_core::model::time::{now_ms, parse_rfc3339};

/// An RFC 3339 time, with microseconds as the service writes them.
pub(crate) fn rfc3339(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_micros(at).to_string()
}

/// Stores one evaluation and its rules; ids left empty are given.
pub(crate) fn insert_evaluation(conn: &Connection, e: &StoredEvaluation) -> Result<(), Refusal> {
    let bad = |what: String| Refusal::new(400, format!("evaluation {}: {what}", e.id));
    let started = parse_rfc3339(&e.started_at).map_err(bad)?;
    let finished_at = e.finished_at.clone().unwrap_or_else(|| e.started_at.clone());
    let finished = parse_rfc3339(&finished_at).map_err(bad)?;
    if !matches!(e.status.as_str(), "pass" | "fail") {
        return Err(bad(format!("status {:?} is not pass or fail", e.status)));
    }
    let id = if e.id.is_empty() { uuid::Uuid::new_v4().to_string() } else { e.id.clone() };
    conn.prepare_cached(
        "INSERT INTO evaluations (id, gate_id, service, env, identifier, version, dry_run, started_at, started_ms, finished_at, finished_ms, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )
    .and_then(|mut s| {
        s.execute(params![
            id,
            e.gate_id,
            e.service,
            e.env,
            e.identifier,
            e.version,
            e.dry_run,
            rfc3339(started),
            started,
            rfc3339(finished),
            finished,
            e.status
        ])
    })
    .map_err(db_error)?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO rule_evaluations (id, evaluation_id, rule_id, name, type, dry_run, configuration, status, reason, failures, warmup)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        )
        .map_err(db_error)?;
    for r in &e.rules {
        if !matches!(r.status.as_str(), "pass" | "fail") {
            return Err(Refusal::new(
                400,
                format!("evaluation {id}: rule {:?}: status {:?} is not pass or fail", r.name, r.status),
            ));
        }
        let rule_id = if r.id.is_empty() { uuid::Uuid::new_v4().to_string() } else { r.id.clone() };
        let failures = if r.failures.is_null() { empty_failures() } else { r.failures.clone() };
        let configuration =
            if r.configuration.is_null() { Value::Object(Default::default()) } else { r.configuration.clone() };
        insert
            .execute(params![
                rule_id,
                id,
                r.rule_id,
                r.name,
                r.rule_type,
                r.dry_run,
                configuration.to_string(),
                r.status,
                r.reason,
                failures.to_string(),
                r.warmup as i64
            ])
            .map_err(db_error)?;
    }
    Ok(())
}

/// Stores one evaluation, then forgets the oldest beyond [`KEPT`].
pub(crate) fn record_evaluation(conn: &Connection, e: &StoredEvaluation) -> Result<(), Refusal> {
    insert_evaluation(conn, e)?;
    trim(conn)
}

/// Forgets the oldest evaluations beyond [`KEPT`]: once per request, or once per import (each
/// pass walks the newest `KEPT`).
pub(crate) fn trim(conn: &Connection) -> Result<(), Refusal> {
    conn.execute(
        "DELETE FROM evaluations WHERE seq <= (SELECT seq FROM evaluations ORDER BY seq DESC LIMIT 1 OFFSET ?1)",
        [KEPT],
    )
    .map_err(db_error)?;
    Ok(())
}

pub(crate) fn empty_failures() -> Value {
    serde_json::json!({"faulty_apm_resources": [], "monitors": [], "narratives": []})
}

const EVALUATION_COLUMNS: &str =
    "e.seq, e.id, e.gate_id, e.service, e.env, e.identifier, e.version, e.dry_run, e.started_at, e.started_ms, e.finished_at, e.status";
const RULE_COLUMNS: &str =
    "r.seq AS rseq, r.id AS rid, r.rule_id, r.name, r.type, r.dry_run AS rdry_run, r.configuration, r.status AS rstatus, r.reason, r.failures, r.warmup";

fn evaluation_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEvaluation> {
    Ok(StoredEvaluation {
        id: row.get("id")?,
        gate_id: row.get("gate_id")?,
        service: row.get("service")?,
        env: row.get("env")?,
        identifier: row.get("identifier")?,
        version: row.get("version")?,
        dry_run: row.get("dry_run")?,
        started_at: row.get("started_at")?,
        finished_at: Some(row.get("finished_at")?),
        status: row.get("status")?,
        rules: Vec::new(),
    })
}

fn rule_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRuleEvaluation> {
    let json = |text: String| serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(StoredRuleEvaluation {
        id: row.get("rid")?,
        rule_id: row.get("rule_id")?,
        name: row.get("name")?,
        rule_type: row.get("type")?,
        dry_run: row.get("rdry_run")?,
        configuration: json(row.get("configuration")?),
        status: row.get("rstatus")?,
        reason: row.get("reason")?,
        failures: json(row.get("failures")?),
        warmup: row.get::<_, i64>("warmup")?.max(0) as u64,
    })
}

fn rules_of(conn: &Connection, evaluation_id: &str) -> Result<Vec<StoredRuleEvaluation>, Refusal> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {RULE_COLUMNS} FROM rule_evaluations r WHERE r.evaluation_id = ?1 ORDER BY r.seq"
        ))
        .map_err(db_error)?;
    let rows = stmt.query_map([evaluation_id], rule_row).map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}

/// One evaluation with its rules, counting a poll of it; with the polls counted so far.
pub(crate) fn evaluation(conn: &Connection, id: &str) -> Result<Option<(StoredEvaluation, u32)>, Refusal> {
    let updated = conn.execute("UPDATE evaluations SET polls = polls + 1 WHERE id = ?1", [id]).map_err(db_error)?;
    if updated == 0 {
        return Ok(None);
    }
    let found = conn
        .prepare_cached(&format!("SELECT {EVALUATION_COLUMNS}, e.polls FROM evaluations e WHERE e.id = ?1"))
        .and_then(|mut s| s.query_row([id], |row| Ok((evaluation_row(row)?, row.get::<_, i64>("polls")?))).optional())
        .map_err(db_error)?;
    let Some((mut evaluation, polls)) = found else { return Ok(None) };
    evaluation.rules = rules_of(conn, id)?;
    Ok(Some((evaluation, polls.clamp(0, i64::from(u32::MAX)) as u32)))
}

/// The whole history, newest first, as the state file holds it.
pub(crate) fn export(conn: &Connection) -> Result<Vec<StoredEvaluation>, Refusal> {
    let mut stmt = conn
        .prepare_cached(&format!(
            "SELECT {EVALUATION_COLUMNS} FROM evaluations e ORDER BY e.started_ms DESC, e.seq DESC"
        ))
        .map_err(db_error)?;
    let rows = stmt.query_map([], evaluation_row).map_err(db_error)?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)?;
    for evaluation in &mut out {
        evaluation.rules = rules_of(conn, &evaluation.id)?;
    }
    Ok(out)
}

/// The span of time listed: from (inclusive) to (exclusive), in milliseconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    pub(crate) from: i64,
    pub(crate) to: i64,
}

/// Where a page starts: after the item of this time and sequence number, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub(crate) ms: i64,
    pub(crate) seq: i64,
}

impl Cursor {
    pub(crate) fn parse(text: &str) -> Option<Cursor> {
        let (ms, seq) = text.split_once('-')?;
        Some(Cursor { ms: ms.parse().ok()?, seq: seq.parse().ok()? })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

/// Filters of a history list: each a column and the values any of which it may hold.
#[derive(Clone, Debug, Default)]
pub(crate) struct HistoryFilters {
    pub(crate) columns: Vec<(&'static str, Vec<Sql>)>,
    /// Statuses asked for (`pass`, `fail`, `in_progress`), on `status_column`.
    pub(crate) statuses: Vec<String>,
}

/// One item of a history list, and the cursor just past it.
pub(crate) struct HistoryItem {
    pub(crate) cursor: Cursor,
    pub(crate) evaluation: StoredEvaluation,
    pub(crate) rule: Option<StoredRuleEvaluation>,
}

/// A page of a history list, and whether more follow.
pub(crate) type HistoryPage = (Vec<HistoryItem>, bool);

/// What one history list asks for: the window, the filters, and the page.
#[derive(Clone, Debug)]
pub(crate) struct Listing {
    pub(crate) window: Window,
    pub(crate) filters: HistoryFilters,
    pub(crate) after: Option<Cursor>,
    pub(crate) size: usize,
}

/// `WHERE` clauses of a history list, and their values.
fn conditions(listing: &Listing, status_column: &str, seq: &str) -> (String, Vec<Sql>) {
    let Listing { window, filters, after, .. } = listing;
    let mut sql = String::from(" WHERE e.started_ms >= ? AND e.started_ms < ?");
    let mut values: Vec<Sql> = vec![window.from.into(), window.to.into()];
    for (column, wanted) in &filters.columns {
        sql.push_str(&format!(" AND {column} IN ({})", vec!["?"; wanted.len()].join(", ")));
        values.extend(wanted.iter().cloned());
    }
    if !filters.statuses.is_empty() {
        // Unfinished evaluations are in progress, whatever their outcome will be.
        let mut any = Vec::new();
        for status in &filters.statuses {
            if status == "in_progress" {
                any.push("e.finished_ms > ?".to_string());
                values.push(now_ms().into());
            } else {
                any.push(format!("(e.finished_ms <= ? AND {status_column} = ?)"));
                values.push(now_ms().into());
                values.push(status.clone().into());
            }
        }
        sql.push_str(&format!(" AND ({})", any.join(" OR ")));
    }
    if let Some(c) = after {
        sql.push_str(&format!(" AND (e.started_ms < ? OR (e.started_ms = ? AND {seq} < ?))"));
        values.extend([c.ms.into(), c.ms.into(), c.seq.into()]);
    }
    (sql, values)
}

/// One page of a history list: `sql` ends in `LIMIT ?`, one more than the page holds, so
/// that whether more follow is known without a second query.
fn page(
    conn: &Connection,
    sql: &str,
    mut values: Vec<Sql>,
    size: usize,
    item: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<HistoryItem>,
) -> Result<HistoryPage, Refusal> {
    values.push((size as i64 + 1).into());
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(values), item).map_err(db_error)?;
    let mut items = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)?;
    let more = items.len() > size;
    items.truncate(size);
    Ok((items, more))
}

/// Gate evaluations of the window, newest first, at most a page, and whether more follow.
pub(crate) fn list_evaluations(conn: &Connection, listing: &Listing) -> Result<HistoryPage, Refusal> {
    let (conditions, values) = conditions(listing, "e.status", "e.seq");
    let sql = format!(
        "SELECT {EVALUATION_COLUMNS} FROM evaluations e{conditions} ORDER BY e.started_ms DESC, e.seq DESC LIMIT ?"
    );
    page(conn, &sql, values, listing.size, |row| {
        let cursor = Cursor { ms: row.get("started_ms")?, seq: row.get("seq")? };
        Ok(HistoryItem { cursor, evaluation: evaluation_row(row)?, rule: None })
    })
}

/// Rule evaluations of the window, newest first, at most a page, and whether more follow.
pub(crate) fn list_rule_evaluations(conn: &Connection, listing: &Listing) -> Result<HistoryPage, Refusal> {
    let (conditions, values) = conditions(listing, "r.status", "r.seq");
    let sql = format!(
        "SELECT {EVALUATION_COLUMNS}, {RULE_COLUMNS} FROM rule_evaluations r JOIN evaluations e ON e.id = r.evaluation_id{conditions}
         ORDER BY e.started_ms DESC, r.seq DESC LIMIT ?"
    );
    page(conn, &sql, values, listing.size, |row| {
        let cursor = Cursor { ms: row.get("started_ms")?, seq: row.get("rseq")? };
        Ok(HistoryItem { cursor, evaluation: evaluation_row(row)?, rule: Some(rule_row(row)?) })
    })
}

/// The example organisation's history (`examples/history.toml`), its times counted back from
/// now, so that a new sandbox state has a fortnight of evaluations to report on.
const EXAMPLE: &str = include_str!("../../../../examples/history.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    evaluations: Vec<ExampleEvaluation>,
    /// The options each rule was evaluated with, by gate, then rule name.
    #[serde(default)]
    configurations: BTreeMap<String, BTreeMap<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleEvaluation {
    /// `service/env/identifier`.
    gate: String,
    /// How long before now it started: `3d 4h`.
    ago: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    dry_run: bool,
    rules: Vec<ExampleRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleRule {
    name: String,
    #[serde(rename = "type", default = "monitor")]
    rule_type: String,
    #[serde(default)]
    dry_run: bool,
    status: String,
    #[serde(default)]
    reason: String,
    /// The monitors in ALERT that failed it.
    #[serde(default)]
    monitors: Vec<u64>,
    /// The options it was evaluated with, when not those of `[configurations]`.
    #[serde(default)]
    configuration: Option<Value>,
}

fn monitor() -> String {
    "monitor".to_string()
}

pub(crate) fn example() -> Vec<StoredEvaluation> {
    let file: ExampleFile = toml::from_str(EXAMPLE).expect("examples/history.toml is valid");
    let now = now_ms();
    let ExampleFile { evaluations, configurations } = file;
    evaluations
        .into_iter()
        .map(|e| {
            let ago = humantime::parse_duration(&e.ago).expect("examples/history.toml: ago is a duration");
            let configured = configurations.get(&e.gate);
            let started = now - ago.as_millis() as i64;
            let mut parts = e.gate.split('/');
            let mut part = || parts.next().unwrap_or(gatesctl_core::model::DEFAULT_IDENTIFIER).to_string();
            let (service, env, identifier) = (part(), part(), part());
            // A gate fails when a rule that is not in dry run fails; in dry run it passes.
            let failed = e.rules.iter().any(|r| r.status == "fail" && !r.dry_run);
            StoredEvaluation {
                id: String::new(),
                gate_id: None,
                service,
                env,
                identifier,
                version: e.version,
                dry_run: e.dry_run,
                started_at: rfc3339(started),
                finished_at: Some(rfc3339(started + 95_000)),
                status: if failed && !e.dry_run { "fail" } else { "pass" }.to_string(),
                rules: e
                    .rules
                    .into_iter()
                    .map(|r| StoredRuleEvaluation {
                        id: String::new(),
                        rule_id: None,
                        name: r.name.clone(),
                        rule_type: r.rule_type,
                        dry_run: r.dry_run,
                        configuration: r
                            .configuration
                            .clone()
                            .or_else(|| configured.and_then(|c| c.get(&r.name)).cloned())
                            .unwrap_or(Value::Null),
                        status: r.status,
                        reason: r.reason,
                        failures: serde_json::json!({
                            "faulty_apm_resources": [],
                            "monitors": r.monitors.iter().map(|id| serde_json::json!({
                                "id": id.to_string(), "state": "Alert", "url": format!("/monitors/{id}"),
                            })).collect::<Vec<_>>(),
                            "narratives": [],
                        }),
                        warmup: 0,
                    })
                    .collect(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_history_reads_and_lies_within_a_fortnight() {
        let history = example();
        assert!(history.len() > 40);
        let now = now_ms();
        for e in &history {
            let started = parse_rfc3339(&e.started_at).unwrap();
            assert!(started <= now && now - started < 14 * 24 * 3600 * 1000, "{e:?}");
        }
    }

    #[test]
    fn cursors_read_back_what_they_wrote() {
        let c = Cursor { ms: 1_700_000_000_123, seq: 42 };
        assert_eq!(Cursor::parse(&c.to_string()), Some(c));
        assert_eq!(Cursor::parse("x-1"), None);
    }
}
