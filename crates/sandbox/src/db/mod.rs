//! The sandbox's state in SQLite: WAL mode with full synchronisation, so a write the sandbox
//! has answered survives a crash, and several processes can share one state file safely (each
//! write is a transaction; the service's natural key is a unique index).
//!
//! One thread owns the connection and runs every request as a job. Jobs waiting together share
//! one transaction and one flush (group commit), each inside its own savepoint, and none is
//! answered before that commit is on disk.

use std::path::Path;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde_json::Value;

pub(crate) mod catalog;
pub(crate) mod dora;
pub(crate) mod evaluations;

pub(crate) use evaluations::{evaluation, record_evaluation};

use super::monitors::Monitor;
use super::store::{Store, StoredGate, StoredRule};
use crate::error::SandboxError;

/// A refused request: the status and the service's own `detail`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub(crate) status: u16,
    pub(crate) detail: String,
}

impl Refusal {
    pub(crate) fn new(status: u16, detail: impl Into<String>) -> Refusal {
        Refusal { status, detail: detail.into() }
    }
}

/// One request's work, in two steps: run inside the batch's transaction (saying whether to
/// keep its writes), then answered once the fate of that transaction is known.
trait Job: Send {
    fn run(&mut self, conn: &Connection) -> bool;
    fn finish(self: Box<Self>, committed: bool);
}

struct Pending<T, F> {
    work: Option<F>,
    result: Option<Result<T, Refusal>>,
    reply: tokio::sync::oneshot::Sender<Result<T, Refusal>>,
}

impl<T: Send, F: FnOnce(&Connection) -> Result<T, Refusal> + Send> Job for Pending<T, F> {
    fn run(&mut self, conn: &Connection) -> bool {
        let result = self.work.take().map(|work| work(conn));
        let keep = matches!(result, Some(Ok(_)));
        self.result = result;
        keep
    }

    fn finish(self: Box<Self>, committed: bool) {
        let outcome = match self.result {
            Some(Err(refusal)) => Err(refusal),
            Some(Ok(value)) if committed => Ok(value),
            Some(Ok(_)) => Err(Refusal::new(500, "the sandbox could not save this change, so it was not made; retry")),
            None => Err(Refusal::new(503, "the sandbox's state is busy; retry")),
        };
        let _ = self.reply.send(outcome);
    }
}

/// Jobs that share one commit at most.
const BATCH: usize = 256;
/// How long a write waits for another process holding the state.
const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) struct Database {
    jobs: Option<mpsc::Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
}

const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS gates (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        service TEXT NOT NULL,
        env TEXT NOT NULL,
        identifier TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        UNIQUE (service, env, identifier)
    );
    CREATE TABLE IF NOT EXISTS rules (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        gate_id TEXT NOT NULL REFERENCES gates(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        options TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rules_of_gate ON rules (gate_id, seq);
    CREATE TABLE IF NOT EXISTS monitors (
        id INTEGER PRIMARY KEY,
        monitor TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS evaluations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        gate_id TEXT,
        service TEXT NOT NULL,
        env TEXT NOT NULL,
        identifier TEXT NOT NULL,
        version TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        started_ms INTEGER NOT NULL,
        finished_at TEXT NOT NULL,
        finished_ms INTEGER NOT NULL,
        status TEXT NOT NULL,
        polls INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS evaluations_by_time ON evaluations (started_ms, seq);
    CREATE TABLE IF NOT EXISTS rule_evaluations (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        evaluation_id TEXT NOT NULL REFERENCES evaluations(id) ON DELETE CASCADE,
        rule_id TEXT,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        dry_run INTEGER NOT NULL,
        configuration TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        failures TEXT NOT NULL,
        warmup INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS rule_evaluations_of ON rule_evaluations (evaluation_id, seq);
";

/// The state file's format; an older JSON state found beside it is imported once. 2 added
/// the monitors (a state of format 1 gets the example ones), 3 the evaluation history (a new
/// state gets the example organisation's), 4 the deployments and failures (DORA; a state of an
/// earlier format gets the example organisation's), 5 the Software Catalog and Scorecards (a
/// state of an earlier format gets the example catalog and no scorecard rule).
const SCHEMA_VERSION: i64 = 5;

fn open(path: Option<&Path>) -> rusqlite::Result<Connection> {
    let conn = match path {
        Some(p) => Connection::open(p)?,
        None => Connection::open_in_memory()?,
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    if path.is_some() {
        switch_to_wal(&conn)?;
    }
    // Full: each commit reaches the disk before it is acknowledged.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// Two processes creating one state at once both read it, then both ask to write the journal
/// mode: SQLite answers one of them "busy" at once rather than wait (waiting could deadlock),
/// so the switch is retried here within the same patience as any other write.
fn switch_to_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mut pause = Duration::from_millis(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy) => {
                if std::time::Instant::now() + pause > deadline {
                    return Err(e);
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            done => return done,
        }
    }
}

impl Database {
    /// Opens (or creates) the state at `path`, in memory without one. A fresh state is filled
    /// from `legacy` (the JSON state of earlier versions) when given, and gets the example
    /// organisation's monitors; `seed` replaces whatever the state holds (its monitors too,
    /// when it has some), then `monitors` replace the monitors.
    pub(crate) fn open(
        path: Option<&Path>,
        legacy: Option<Store>,
        seed: Option<Store>,
        monitors: Option<Vec<Monitor>>,
    ) -> Result<Database, SandboxError> {
        if let Some(dir) = path.and_then(Path::parent).filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| SandboxError::Folder { path: dir.to_path_buf(), source })?;
        }
        let shown = path.map_or("memory".to_string(), gatesctl_core::escape::path);
        // SQLite writes the state and its journals wherever their names lead: never through a
        // link planted there.
        if let Some(path) = path {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                let file = std::path::PathBuf::from(name);
                gatesctl_fs::write::refuse_foreign_link(&file).map_err(|e| {
                    SandboxError::State(format!(
                        "cannot open the sandbox state {}: {e}",
                        gatesctl_core::escape::path(&file)
                    ))
                })?;
            }
        }
        let fail = |e: rusqlite::Error| SandboxError::State(format!("cannot open the sandbox state {shown}: {e}"));
        let mut conn = open(path).map_err(fail)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).map_err(fail)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0)).map_err(fail)?;
        if version > SCHEMA_VERSION {
            return Err(SandboxError::NewerState { path: shown, version });
        }
        tx.execute_batch(SCHEMA).map_err(fail)?;
        tx.execute_batch(dora::SCHEMA).map_err(fail)?;
        tx.execute_batch(catalog::SCHEMA).map_err(fail)?;
        if version < SCHEMA_VERSION {
            if version == 0 {
                if let Some(store) = legacy {
                    import(&tx, &store).map_err(|e| {
                        SandboxError::State(format!("cannot import the earlier JSON state: {}", e.detail))
                    })?;
                }
            }
            if version < 2 {
                replace_monitors(&tx, &super::monitors::example()).map_err(|e| SandboxError::State(e.detail))?;
            }
            if version == 0 {
                replace_evaluations(&tx, &evaluations::example()).map_err(|e| SandboxError::State(e.detail))?;
            }
            if version < 4 {
                dora::replace(&tx, &dora::example()).map_err(|e| SandboxError::State(e.detail))?;
            }
            if version < 5 {
                catalog::replace_entities(&tx, &catalog::example()).map_err(|e| SandboxError::State(e.detail))?;
            }
            tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(fail)?;
        }
        if let Some(store) = seed {
            import(&tx, &store)
                .map_err(|e| SandboxError::State(format!("cannot load the sandbox fixture: {}", e.detail)))?;
        }
        if let Some(monitors) = monitors {
            replace_monitors(&tx, &monitors).map_err(|e| SandboxError::State(e.detail))?;
        }
        tx.commit().map_err(fail)?;

        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("sandbox-db".into())
            .spawn(move || write_loop(conn, queue))
            .map_err(|e| SandboxError::State(format!("cannot start the sandbox's storage thread: {e}")))?;
        Ok(Database { jobs: Some(jobs), thread: Some(thread) })
    }

    /// Runs `work` in a transaction and returns its result once the transaction is durable;
    /// a refused request rolls back only its own writes.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, Refusal> + Send + 'static,
    ) -> Result<T, Refusal> {
        let (reply, rx) = tokio::sync::oneshot::channel();
        let job: Box<dyn Job> = Box::new(Pending { work: Some(work), result: None, reply });
        let stopped = || Refusal::new(503, "the sandbox is stopping");
        self.jobs.as_ref().ok_or_else(stopped)?.send(job).map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

impl Drop for Database {
    /// Waits for the jobs already queued: each was promised an answer.
    fn drop(&mut self) {
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_loop(mut conn: Connection, queue: mpsc::Receiver<Box<dyn Job>>) {
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A transaction that cannot begin (another process held the state too long) runs
        // nothing: every job of the batch is refused, and none is acknowledged.
        let committed = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Err(_) => false,
            Ok(tx) => {
                for job in batch.iter_mut() {
                    if tx.execute_batch("SAVEPOINT job").is_err() {
                        continue;
                    }
                    let end = if job.run(&tx) { "RELEASE job" } else { "ROLLBACK TO job; RELEASE job" };
                    let _ = tx.execute_batch(end);
                }
                tx.commit().is_ok()
            }
        };
        for job in batch {
            job.finish(committed);
        }
    }
}

pub(crate) fn now() -> String {
    humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()
}

pub(crate) fn db_error(e: rusqlite::Error) -> Refusal {
    Refusal::new(500, format!("sandbox storage error: {e}"))
}

fn gate_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredGate> {
    Ok(StoredGate {
        id: row.get("id")?,
        service: row.get("service")?,
        env: row.get("env")?,
        identifier: row.get("identifier")?,
        dry_run: row.get("dry_run")?,
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
        rules: Vec::new(),
    })
}

fn rule_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredRule> {
    let options: String = row.get("options")?;
    Ok(StoredRule {
        id: row.get("id")?,
        name: row.get("name")?,
        rule_type: row.get("type")?,
        dry_run: row.get("dry_run")?,
        options: serde_json::from_str(&options).unwrap_or(Value::Object(Default::default())),
        created_at: row.get("created_at")?,
        updated_at: row.get("updated_at")?,
    })
}

const GATE_COLUMNS: &str = "id, service, env, identifier, dry_run, created_at, updated_at";
const RULE_COLUMNS: &str = "id, name, type, dry_run, options, created_at, updated_at";

pub(crate) fn gate_not_found() -> Refusal {
    Refusal::new(404, "Gate does not exist")
}

pub(crate) fn rule_not_found() -> Refusal {
    Refusal::new(404, "Rule does not exist")
}

/// Exact filters of the gate list.
#[derive(Clone, Debug, Default)]
pub(crate) struct GateFilters {
    pub(crate) service: Option<String>,
    pub(crate) env: Option<String>,
    pub(crate) identifier: Option<String>,
    pub(crate) dry_run: Option<bool>,
}

/// Gates in creation order after the gate of sequence number `after`, at most `limit`, and
/// whether more follow: a cursor that stays right while other clients create and delete.
pub(crate) fn list_gates(
    conn: &Connection,
    after: i64,
    limit: usize,
    filters: &GateFilters,
) -> Result<(Vec<(i64, StoredGate)>, bool), Refusal> {
    let mut sql = format!("SELECT seq, {GATE_COLUMNS} FROM gates WHERE seq > ?");
    let mut values: Vec<rusqlite::types::Value> = vec![after.into()];
    for (column, value) in [("service", &filters.service), ("env", &filters.env), ("identifier", &filters.identifier)] {
        if let Some(v) = value {
            sql.push_str(&format!(" AND {column} = ?"));
            values.push(v.clone().into());
        }
    }
    if let Some(d) = filters.dry_run {
        sql.push_str(" AND dry_run = ?");
        values.push(i64::from(d).into());
    }
    sql.push_str(" ORDER BY seq LIMIT ?");
    values.push((limit as i64 + 1).into());
    let mut stmt = conn.prepare_cached(&sql).map_err(db_error)?;
    let rows = stmt
        .query_map(rusqlite::params_from_iter(values), |row| Ok((row.get::<_, i64>("seq")?, gate_row(row)?)))
        .map_err(db_error)?;
    let mut gates = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)?;
    let more = gates.len() > limit;
    gates.truncate(limit);
    Ok((gates, more))
}

pub(crate) fn get_gate(conn: &Connection, id: &str) -> Result<Option<StoredGate>, Refusal> {
    conn.prepare_cached(&format!("SELECT {GATE_COLUMNS} FROM gates WHERE id = ?1"))
        .and_then(|mut s| s.query_row([id], gate_row).optional())
        .map_err(db_error)
}

pub(crate) fn gate_by_key(
    conn: &Connection,
    service: &str,
    env: &str,
    identifier: &str,
) -> Result<Option<StoredGate>, Refusal> {
    conn.prepare_cached(&format!(
        "SELECT {GATE_COLUMNS} FROM gates WHERE service = ?1 AND env = ?2 AND identifier = ?3"
    ))
    .and_then(|mut s| s.query_row([service, env, identifier], gate_row).optional())
    .map_err(db_error)
}

pub(crate) fn insert_gate(conn: &Connection, gate: &StoredGate) -> Result<(), Refusal> {
    let inserted = conn.prepare_cached(
        "INSERT INTO gates (id, service, env, identifier, dry_run, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![gate.id, gate.service, gate.env, gate.identifier, gate.dry_run, gate.created_at, gate.updated_at])
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _)) if e.code == rusqlite::ErrorCode::ConstraintViolation => {
            Err(Refusal::new(400, "Gate already exists with the given env, service and identifier"))
        }
        Err(e) => Err(db_error(e)),
    }
}

pub(crate) fn update_gate(conn: &Connection, id: &str, dry_run: bool) -> Result<Option<StoredGate>, Refusal> {
    let changed = conn
        .prepare_cached("UPDATE gates SET dry_run = ?2, updated_at = ?3 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![id, dry_run, now()]))
        .map_err(db_error)?;
    if changed == 0 {
        return Ok(None);
    }
    get_gate(conn, id)
}

/// Deletes a gate and, with it, its rules.
pub(crate) fn delete_gate(conn: &Connection, id: &str) -> Result<bool, Refusal> {
    conn.prepare_cached("DELETE FROM gates WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map(|n| n > 0)
        .map_err(db_error)
}

pub(crate) fn rules_of(conn: &Connection, gate_id: &str) -> Result<Vec<StoredRule>, Refusal> {
    let mut stmt = conn
        .prepare_cached(&format!("SELECT {RULE_COLUMNS} FROM rules WHERE gate_id = ?1 ORDER BY seq"))
        .map_err(db_error)?;
    let rows = stmt.query_map([gate_id], rule_row).map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}

pub(crate) fn get_rule(conn: &Connection, gate_id: &str, id: &str) -> Result<Option<StoredRule>, Refusal> {
    conn.prepare_cached(&format!("SELECT {RULE_COLUMNS} FROM rules WHERE gate_id = ?1 AND id = ?2"))
        .and_then(|mut s| s.query_row([gate_id, id], rule_row).optional())
        .map_err(db_error)
}

pub(crate) fn insert_rule(conn: &Connection, gate_id: &str, rule: &StoredRule) -> Result<(), Refusal> {
    conn.prepare_cached(
        "INSERT INTO rules (id, gate_id, name, type, dry_run, options, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            rule.id,
            gate_id,
            rule.name,
            rule.rule_type,
            rule.dry_run,
            rule.options.to_string(),
            rule.created_at,
            rule.updated_at
        ])
    })
    .map(|_| ())
    .map_err(db_error)
}

pub(crate) fn update_rule(conn: &Connection, gate_id: &str, rule: &StoredRule) -> Result<bool, Refusal> {
    conn.prepare_cached(
        "UPDATE rules SET name = ?3, dry_run = ?4, options = ?5, updated_at = ?6 WHERE gate_id = ?1 AND id = ?2",
    )
    .and_then(|mut s| {
        s.execute(params![gate_id, rule.id, rule.name, rule.dry_run, rule.options.to_string(), rule.updated_at])
    })
    .map(|n| n > 0)
    .map_err(db_error)
}

pub(crate) fn delete_rule(conn: &Connection, gate_id: &str, id: &str) -> Result<bool, Refusal> {
    conn.prepare_cached("DELETE FROM rules WHERE gate_id = ?1 AND id = ?2")
        .and_then(|mut s| s.execute([gate_id, id]))
        .map(|n| n > 0)
        .map_err(db_error)
}

/// The whole state, as the JSON of fixtures and `--export`.
pub(crate) fn export(conn: &Connection) -> Result<Store, Refusal> {
    let (mut gates, mut after) = (Vec::new(), 0);
    loop {
        let (page, more) = list_gates(conn, after, 1000, &GateFilters::default())?;
        after = page.last().map_or(after, |(seq, _)| *seq);
        for (_, mut gate) in page {
            gate.rules = rules_of(conn, &gate.id)?;
            gates.push(gate);
        }
        if !more {
            let evaluations = evaluations::export(conn)?;
            return Ok(Store {
                gates,
                monitors: Some(monitors(conn)?),
                evaluations: Some(evaluations),
                dora: Some(dora::export(conn)?),
                catalog: Some(catalog::export_entities(conn)?),
                scorecards: Some(catalog::export_scorecards(conn)?),
            });
        }
    }
}

/// Replaces the state with `store`.
pub(crate) fn import(conn: &Connection, store: &Store) -> Result<(), Refusal> {
    conn.execute_batch("DELETE FROM rules; DELETE FROM gates;").map_err(db_error)?;
    for gate in &store.gates {
        insert_gate(conn, gate)?;
        for rule in &gate.rules {
            insert_rule(conn, &gate.id, rule)?;
        }
    }
    if let Some(monitors) = &store.monitors {
        replace_monitors(conn, monitors)?;
    }
    if let Some(history) = &store.evaluations {
        replace_evaluations(conn, history)?;
    }
    if let Some(events) = &store.dora {
        dora::replace(conn, events)?;
    }
    if let Some(entities) = &store.catalog {
        catalog::replace_entities(conn, entities)?;
    }
    if let Some(rules) = &store.scorecards {
        catalog::replace_scorecards(conn, rules)?;
    }
    Ok(())
}

/// Replaces the evaluation history.
pub(crate) fn replace_evaluations(
    conn: &Connection,
    history: &[super::store::StoredEvaluation],
) -> Result<(), Refusal> {
    conn.execute_batch("DELETE FROM rule_evaluations; DELETE FROM evaluations;").map_err(db_error)?;
    // Oldest first, so that the order of sequence numbers is the order of time.
    let mut sorted: Vec<&super::store::StoredEvaluation> = history.iter().collect();
    sorted.sort_by_key(|e| gatesctl_core::model::time::parse_rfc3339(&e.started_at).unwrap_or(0));
    for evaluation in sorted {
        evaluations::insert_evaluation(conn, evaluation)?;
    }
    evaluations::trim(conn)
}

/// The monitors, in id order.
pub(crate) fn monitors(conn: &Connection) -> Result<Vec<Monitor>, Refusal> {
    let mut statement = conn.prepare_cached("SELECT monitor FROM monitors ORDER BY id").map_err(db_error)?;
    let rows = statement.query_map([], |row| row.get::<_, String>(0)).map_err(db_error)?;
    let mut monitors = Vec::new();
    for row in rows {
        let text = row.map_err(db_error)?;
        monitors.push(serde_json::from_str(&text).map_err(|e| Refusal::new(500, format!("damaged monitor: {e}")))?);
    }
    Ok(monitors)
}

pub(crate) fn replace_monitors(conn: &Connection, monitors: &[Monitor]) -> Result<(), Refusal> {
    let monitors = super::monitors::checked(monitors.to_vec()).map_err(|e| Refusal::new(400, e.to_string()))?;
    conn.execute("DELETE FROM monitors", []).map_err(db_error)?;
    let mut statement = conn.prepare_cached("INSERT INTO monitors (id, monitor) VALUES (?1, ?2)").map_err(db_error)?;
    for m in monitors.into_iter().map(Monitor::anchored) {
        let text = serde_json::to_string(&m).expect("monitors serialise");
        statement.execute(params![m.id as i64, text]).map_err(db_error)?;
    }
    Ok(())
}
