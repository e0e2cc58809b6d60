//! The Software Catalog's entities and the custom Scorecards rules with their outcomes, in
//! SQLite: listed by offset as the API lists them; one rule of a name in a scorecard, one
//! outcome of a rule for a service (a later one replaces it).

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use super::{db_error, now, Refusal};
use crate::store::{StoredEntity, StoredOutcome, StoredScorecardRule};

pub(crate) const SCHEMA: &str = "
    CREATE TABLE IF NOT EXISTS catalog_entities (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        owner TEXT NOT NULL,
        tags TEXT NOT NULL,
        UNIQUE (kind, name)
    );
    CREATE TABLE IF NOT EXISTS scorecard_rules (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        scorecard_name TEXT NOT NULL,
        description TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        level INTEGER NOT NULL,
        owner TEXT NOT NULL,
        scope_query TEXT NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        UNIQUE (scorecard_name, name)
    );
    CREATE TABLE IF NOT EXISTS scorecard_outcomes (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        rule_id TEXT NOT NULL REFERENCES scorecard_rules(id) ON DELETE CASCADE,
        service_name TEXT NOT NULL,
        state TEXT NOT NULL,
        remarks TEXT NOT NULL,
        created_at TEXT NOT NULL,
        modified_at TEXT NOT NULL,
        UNIQUE (rule_id, service_name)
    );
";

/// Which entities a list selects: each filter given must match exactly.
#[derive(Debug, Default)]
pub(crate) struct EntityFilter {
    pub(crate) kind: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) owner: Option<String>,
}

fn entity_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredEntity> {
    let tags: String = row.get("tags")?;
    Ok(StoredEntity {
        id: row.get("id")?,
        kind: row.get("kind")?,
        name: row.get("name")?,
        owner: row.get("owner")?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
    })
}

/// The entities `filter` selects, in the order they were added, from `offset`, at most
/// `limit`, and how many it selects in all.
pub(crate) fn entities(
    conn: &Connection,
    filter: &EntityFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<StoredEntity>, u64), Refusal> {
    let clause = "WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR name = ?2) AND (?3 IS NULL OR owner = ?3)";
    let args = params![filter.kind, filter.name, filter.owner];
    let total: i64 = conn
        .prepare_cached(&format!("SELECT COUNT(*) FROM catalog_entities {clause}"))
        .and_then(|mut s| s.query_row(args, |r| r.get(0)))
        .map_err(db_error)?;
    let mut statement = conn
        .prepare_cached(&format!("SELECT * FROM catalog_entities {clause} ORDER BY seq LIMIT ?4 OFFSET ?5"))
        .map_err(db_error)?;
    let rows = statement
        .query_map(params![filter.kind, filter.name, filter.owner, limit as i64, offset as i64], entity_row)
        .map_err(db_error)?;
    let list = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)?;
    Ok((list, total.max(0) as u64))
}

/// Replaces every entity; an id left empty is given.
pub(crate) fn replace_entities(conn: &Connection, entities: &[StoredEntity]) -> Result<(), Refusal> {
    conn.execute("DELETE FROM catalog_entities", []).map_err(db_error)?;
    let mut insert = conn
        .prepare_cached("INSERT INTO catalog_entities (id, kind, name, owner, tags) VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(db_error)?;
    for e in entities {
        let id = if e.id.is_empty() { uuid::Uuid::new_v4().to_string() } else { e.id.clone() };
        let tags = serde_json::to_string(&e.tags).expect("tags serialise");
        insert.execute(params![id, e.kind, e.name, e.owner, tags]).map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => {
                Refusal::new(400, "two catalog entities of one kind and name")
            }
            _ => db_error(e),
        })?;
    }
    Ok(())
}

pub(crate) fn export_entities(conn: &Connection) -> Result<Vec<StoredEntity>, Refusal> {
    Ok(entities(conn, &EntityFilter::default(), 0, i64::MAX as u64)?.0)
}

fn rule_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<StoredScorecardRule> {
    Ok(StoredScorecardRule {
        id: row.get("id")?,
        name: row.get("name")?,
        scorecard_name: row.get("scorecard_name")?,
        description: row.get("description")?,
        enabled: row.get("enabled")?,
        level: row.get("level")?,
        owner: row.get("owner")?,
        scope_query: row.get("scope_query")?,
        created_at: row.get("created_at")?,
        modified_at: row.get("modified_at")?,
        outcomes: Vec::new(),
    })
}

/// Which rules a list selects.
#[derive(Debug, Default)]
pub(crate) struct RuleFilter {
    pub(crate) id: Option<String>,
    pub(crate) name: Option<String>,
    pub(crate) enabled: Option<bool>,
}

/// The rules `filter` selects, oldest first, from `offset`, at most `limit`.
pub(crate) fn rules(
    conn: &Connection,
    filter: &RuleFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<StoredScorecardRule>, Refusal> {
    let mut statement = conn
        .prepare_cached(
            "SELECT * FROM scorecard_rules WHERE (?1 IS NULL OR id = ?1) AND (?2 IS NULL OR name = ?2)
             AND (?3 IS NULL OR enabled = ?3) ORDER BY seq LIMIT ?4 OFFSET ?5",
        )
        .map_err(db_error)?;
    let rows = statement
        .query_map(params![filter.id, filter.name, filter.enabled, limit as i64, offset as i64], rule_row)
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}

pub(crate) fn rule(conn: &Connection, id: &str) -> Result<Option<StoredScorecardRule>, Refusal> {
    conn.prepare_cached("SELECT * FROM scorecard_rules WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], rule_row).optional())
        .map_err(db_error)
}

fn taken(rule: &StoredScorecardRule) -> Refusal {
    Refusal::new(409, format!("a rule named {:?} already exists in the scorecard {:?}", rule.name, rule.scorecard_name))
}

/// Adds a rule; a second of one name in one scorecard is refused (409).
pub(crate) fn insert_rule(conn: &Connection, rule: &StoredScorecardRule) -> Result<(), Refusal> {
    conn.prepare_cached(
        "INSERT INTO scorecard_rules (id, name, scorecard_name, description, enabled, level, owner, scope_query, created_at, modified_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut s| {
        s.execute(params![
            rule.id,
            rule.name,
            rule.scorecard_name,
            rule.description,
            rule.enabled,
            rule.level,
            rule.owner,
            rule.scope_query,
            rule.created_at,
            rule.modified_at
        ])
    })
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => taken(rule),
        _ => db_error(e),
    })?;
    Ok(())
}

/// Replaces a rule's attributes; `None` when there is no such rule.
pub(crate) fn update_rule(conn: &Connection, rule: &StoredScorecardRule) -> Result<Option<()>, Refusal> {
    let changed = conn
        .prepare_cached(
            "UPDATE scorecard_rules SET name = ?2, scorecard_name = ?3, description = ?4, enabled = ?5, level = ?6,
             owner = ?7, scope_query = ?8, modified_at = ?9 WHERE id = ?1",
        )
        .and_then(|mut s| {
            s.execute(params![
                rule.id,
                rule.name,
                rule.scorecard_name,
                rule.description,
                rule.enabled,
                rule.level,
                rule.owner,
                rule.scope_query,
                rule.modified_at
            ])
        })
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => taken(rule),
            _ => db_error(e),
        })?;
    Ok((changed > 0).then_some(()))
}

pub(crate) fn delete_rule(conn: &Connection, id: &str) -> Result<bool, Refusal> {
    conn.prepare_cached("DELETE FROM scorecard_rules WHERE id = ?1")
        .and_then(|mut s| s.execute([id]))
        .map(|n| n > 0)
        .map_err(db_error)
}

/// One posted result.
#[derive(Debug)]
pub(crate) struct Posted {
    pub(crate) rule_id: String,
    pub(crate) service_name: String,
    pub(crate) state: String,
    pub(crate) remarks: String,
}

/// Records each result, replacing the earlier outcome of its rule and service; every rule
/// must exist (404 names the first that does not). Returns the outcomes as stored, with their
/// rule's id, and how many replaced one that said something else.
pub(crate) fn post_outcomes(
    conn: &Connection,
    results: &[Posted],
) -> Result<(Vec<(String, StoredOutcome)>, usize), Refusal> {
    let at = now();
    let (mut out, mut updated) = (Vec::new(), 0);
    for r in results {
        if rule(conn, &r.rule_id)?.is_none() {
            return Err(Refusal::new(404, format!("rule {:?} not found", r.rule_id)));
        }
        let before: Option<(String, String, String, String)> = conn
            .prepare_cached(
                "SELECT id, state, remarks, created_at FROM scorecard_outcomes WHERE rule_id = ?1 AND service_name = ?2",
            )
            .and_then(|mut s| {
                s.query_row(params![r.rule_id, r.service_name], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?))
                })
                .optional()
            })
            .map_err(db_error)?;
        let (id, created_at) = match &before {
            Some((id, state, remarks, created)) => {
                if *state != r.state || *remarks != r.remarks {
                    updated += 1;
                }
                (id.clone(), created.clone())
            }
            None => {
                updated += 1;
                (uuid::Uuid::new_v4().to_string(), at.clone())
            }
        };
        conn.prepare_cached(
            "INSERT INTO scorecard_outcomes (id, rule_id, service_name, state, remarks, created_at, modified_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (rule_id, service_name) DO UPDATE SET state = excluded.state, remarks = excluded.remarks,
             modified_at = excluded.modified_at",
        )
        .and_then(|mut s| s.execute(params![id, r.rule_id, r.service_name, r.state, r.remarks, created_at, at]))
        .map_err(db_error)?;
        let outcome = StoredOutcome {
            id,
            service_name: r.service_name.clone(),
            state: r.state.clone(),
            remarks: r.remarks.clone(),
            created_at,
            modified_at: at.clone(),
        };
        out.push((r.rule_id.clone(), outcome));
    }
    Ok((out, updated))
}

/// Which outcomes a list selects.
#[derive(Debug, Default)]
pub(crate) struct OutcomeFilter {
    pub(crate) rule_name: Option<String>,
    pub(crate) rule_id: Option<String>,
    pub(crate) service_name: Option<String>,
    pub(crate) state: Option<String>,
}

/// The outcomes `filter` selects with their rule's id, by rule then service, from `offset`,
/// at most `limit`.
pub(crate) fn outcomes(
    conn: &Connection,
    filter: &OutcomeFilter,
    offset: u64,
    limit: u64,
) -> Result<Vec<(String, StoredOutcome)>, Refusal> {
    let mut statement = conn
        .prepare_cached(
            "SELECT o.*, r.id AS rule FROM scorecard_outcomes o JOIN scorecard_rules r ON r.id = o.rule_id
             WHERE (?1 IS NULL OR r.name = ?1) AND (?2 IS NULL OR r.id = ?2) AND (?3 IS NULL OR o.service_name = ?3)
             AND (?4 IS NULL OR o.state = ?4) ORDER BY r.seq, o.service_name LIMIT ?5 OFFSET ?6",
        )
        .map_err(db_error)?;
    let rows = statement
        .query_map(
            params![filter.rule_name, filter.rule_id, filter.service_name, filter.state, limit as i64, offset as i64],
            |row| {
                Ok((
                    row.get::<_, String>("rule")?,
                    StoredOutcome {
                        id: row.get("id")?,
                        service_name: row.get("service_name")?,
                        state: row.get("state")?,
                        remarks: row.get("remarks")?,
                        created_at: row.get("created_at")?,
                        modified_at: row.get("modified_at")?,
                    },
                ))
            },
        )
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
}

/// Every rule with its outcomes, as `--export` writes them.
pub(crate) fn export_scorecards(conn: &Connection) -> Result<Vec<StoredScorecardRule>, Refusal> {
    let mut list = rules(conn, &RuleFilter::default(), 0, i64::MAX as u64)?;
    for rule in &mut list {
        let filter = OutcomeFilter { rule_id: Some(rule.id.clone()), ..OutcomeFilter::default() };
        rule.outcomes = outcomes(conn, &filter, 0, i64::MAX as u64)?.into_iter().map(|(_, o)| o).collect();
    }
    Ok(list)
}

/// Replaces every rule and outcome.
pub(crate) fn replace_scorecards(conn: &Connection, list: &[StoredScorecardRule]) -> Result<(), Refusal> {
    conn.execute_batch("DELETE FROM scorecard_outcomes; DELETE FROM scorecard_rules;").map_err(db_error)?;
    for rule in list {
        insert_rule(conn, rule)?;
        for o in &rule.outcomes {
            conn.prepare_cached(
                "INSERT INTO scorecard_outcomes (id, rule_id, service_name, state, remarks, created_at, modified_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![o.id, rule.id, o.service_name, o.state, o.remarks, o.created_at, o.modified_at])
            })
            .map_err(db_error)?;
        }
    }
    Ok(())
}

/// The example organisation's Software Catalog (`examples/catalog.toml`): what a new sandbox
/// state lists, so that policies scoped by tags have services to hold.
const EXAMPLE: &str = include_str!("../../../../examples/catalog.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleFile {
    services: Vec<ExampleService>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExampleService {
    name: String,
    owner: String,
    tags: Vec<String>,
}

pub(crate) fn example() -> Vec<StoredEntity> {
    let file: ExampleFile = toml::from_str(EXAMPLE).expect("examples/catalog.toml is valid");
    file.services
        .into_iter()
        .map(|s| StoredEntity { id: String::new(), kind: "service".into(), name: s.name, owner: s.owner, tags: s.tags })
        .collect()
}
