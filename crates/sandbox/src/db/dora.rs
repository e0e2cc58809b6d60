//! Deployments and failures (DORA) in SQLite: recorded as the API records them, listed through
//! a window of time, oldest or newest first, up to a limit and with no cursor, as the API lists
//! them.

use std::collections::BTreeMap;

use rusqlite::{params, Connection};
use serde::Deserialize;
use serde_json::Value;

use super::{db_error, Refusal};
use crate::store::StoredDoraEvent;

/// Events kept at most, of each kind; the oldest go first.
const KEPT: i64 = 1_000_000;

pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS dora_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        kind TEXT NOT NULL,
        id TEXT NOT NULL,
        started_ns INTEGER NOT NULL,
        attributes TEXT NOT NULL,
        UNIQUE (kind, id)
    );
    CREATE INDEX IF NOT EXISTS dora_events_by_time ON dora_events (kind, started_ns, seq);
    CREATE INDEX IF NOT EXISTS dora_events_by_seq ON dora_events (kind, seq);
";

/// Stores one event (replacing one of the same id), then forgets the oldest of its kind
/// beyond [`KEPT`]; an id left empty is given.
pub(crate) fn record(conn: &Connection, event: &StoredDoraEvent) -> Result<String, Refusal> {
    let id = insert(conn, event)?;
    trim(conn, &event.kind)?;
    Ok(id)
}

fn trim(conn: &Connection, kind: &str) -> Result<(), Refusal> {
    conn.execute(
        "DELETE FROM dora_events WHERE kind = ?1 AND seq <= (SELECT seq FROM dora_events WHERE kind = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        params![kind, KEPT],
    )
    .map_err(db_error)?;
    Ok(())
}

fn insert(conn: &Connection, event: &StoredDoraEvent) -> Result<String, Refusal> {
    let started = event.attributes.get("started_at").and_then(Value::as_i64).ok_or_else(|| {
        Refusal::new(400, "attribute \"started_at\" is required (Unix time in nanoseconds, milliseconds or seconds)")
    })?;
    let id = if event.id.is_empty() { uuid::Uuid::new_v4().to_string() } else { event.id.clone() };
    conn.prepare_cached(
        "INSERT INTO dora_events (kind, id, started_ns, attributes) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (kind, id) DO UPDATE SET started_ns = excluded.started_ns, attributes = excluded.attributes",
    )
    .and_then(|mut s| s.execute(params![event.kind, id, started, event.attributes.to_string()]))
    .map_err(db_error)?;
    Ok(id)
}

/// The events of `kind` started in `[from_ns, to_ns)` that `keep` selects, in time order
/// (newest first when `descending`), at most `limit`.
pub(crate) fn list(
    conn: &Connection,
    kind: &str,
    (from_ns, to_ns): (i64, i64),
    descending: bool,
    limit: usize,
    keep: &dyn Fn(&Value) -> bool,
) -> Result<Vec<StoredDoraEvent>, Refusal> {
    let order = if descending { "DESC" } else { "ASC" };
    let mut statement = conn
        .prepare_cached(&format!(
            "SELECT id, attributes FROM dora_events WHERE kind = ?1 AND started_ns >= ?2 AND started_ns < ?3
             ORDER BY started_ns {order}, seq {order}"
        ))
        .map_err(db_error)?;
    let mut rows = statement.query(params![kind, from_ns, to_ns]).map_err(db_error)?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(row) = rows.next().map_err(db_error)? else { break };
        let text: String = row.get(1).map_err(db_error)?;
        let attributes: Value =
            serde_json::from_str(&text).map_err(|e| Refusal::new(500, format!("damaged event: {e}")))?;
        if keep(&attributes) {
            out.push(StoredDoraEvent { kind: kind.to_string(), id: row.get(0).map_err(db_error)?, attributes });
        }
    }
    Ok(out)
}

/// One event of `kind` by its id.
pub(crate) fn get(conn: &Connection, kind: &str, id: &str) -> Result<Option<StoredDoraEvent>, Refusal> {
    let mut statement =
        conn.prepare_cached("SELECT attributes FROM dora_events WHERE kind = ?1 AND id = ?2").map_err(db_error)?;
    let mut rows = statement.query(params![kind, id]).map_err(db_error)?;
    let Some(row) = rows.next().map_err(db_error)? else { return Ok(None) };
    let text: String = row.get(0).map_err(db_error)?;
    let attributes = serde_json::from_str(&text).map_err(|e| Refusal::new(500, format!("damaged event: {e}")))?;
    Ok(Some(StoredDoraEvent { kind: kind.to_string(), id: id.to_string(), attributes }))
}

/// Every event, oldest first, as `--export` writes them.
pub(crate) fn export(conn: &Connection) -> Result<Vec<StoredDoraEvent>, Refusal> {
    let mut statement = conn
        .prepare_cached("SELECT kind, id, attributes FROM dora_events ORDER BY started_ns, seq")
        .map_err(db_error)?;
    let rows = statement
        .query_map([], |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?, row.get::<_, String>(2)?)))
        .map_err(db_error)?;
    let mut out = Vec::new();
    for row in rows {
        let (kind, id, text) = row.map_err(db_error)?;
        let attributes = serde_json::from_str(&text).map_err(|e| Refusal::new(500, format!("damaged event: {e}")))?;
        out.push(StoredDoraEvent { kind, id, attributes });
    }
    Ok(out)
}

/// Replaces every event.
pub(crate) fn replace(conn: &Connection, events: &[StoredDoraEvent]) -> Result<(), Refusal> {
    conn.execute("DELETE FROM dora_events", []).map_err(db_error)?;
    for event in events {
        insert(conn, event)?;
    }
    for kind in ["deployment", "failure"] {
        trim(conn, kind)?;
    }
    Ok(())
}

/// The example organisation's deployments and failures (`examples/dora.toml`), times counted
/// back from now, so that a new sandbox state has a fortnight to measure coverage on.
const EXAMPLE: &str = include_str!("../../../../examples/dora.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    deployments: Vec<ExampleDeployment>,
    failures: Vec<ExampleFailure>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleDeployment {
    /// `service/env`.
    deployed: String,
    #[serde(default)]
    version: String,
    ago: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFailure {
    name: String,
    services: Vec<String>,
    #[serde(default)]
    env: String,
    #[serde(default)]
    version: String,
    severity: String,
    ago: String,
}

pub(crate) fn example() -> Vec<StoredDoraEvent> {
    let file: ExampleFile = toml::from_str(EXAMPLE).expect("examples/dora.toml is valid");
    let now = gatesctl_core::model::time::now_ms();
    let at_ns = |ago: &str| {
        let ago = humantime::parse_duration(ago).expect("examples/dora.toml: ago is a duration");
        (now - ago.as_millis() as i64) * 1_000_000
    };
    let mut out = Vec::new();
    for d in file.deployments {
        let (service, env) = d.deployed.split_once('/').expect("examples/dora.toml: deployed is service/env");
        let started = at_ns(&d.ago);
        let mut attributes: BTreeMap<&str, Value> = BTreeMap::new();
        attributes.insert("service", Value::from(service));
        attributes.insert("env", Value::from(env));
        if !d.version.is_empty() {
            attributes.insert("version", Value::from(d.version));
        }
        attributes.insert("started_at", Value::from(started));
        attributes.insert("finished_at", Value::from(started + 240 * 1_000_000_000));
        out.push(StoredDoraEvent {
            kind: "deployment".into(),
            id: String::new(),
            attributes: serde_json::json!(attributes),
        });
    }
    for f in file.failures {
        let started = at_ns(&f.ago);
        let mut attributes = serde_json::json!({
            "name": f.name, "services": f.services, "severity": f.severity,
            "started_at": started, "finished_at": started + 3600 * 1_000_000_000_i64,
        });
        if !f.env.is_empty() {
            attributes["env"] = Value::from(f.env);
        }
        if !f.version.is_empty() {
            attributes["version"] = Value::from(f.version);
        }
        out.push(StoredDoraEvent { kind: "failure".into(), id: String::new(), attributes });
    }
    out
}
