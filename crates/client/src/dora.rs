//! Deployments and failures (DORA metrics), as `POST dora/deployments` and `POST dora/failures`
//! list them: at most 1,000 items an answer, sorted by `started_at` as asked, and no cursor.
//! A window is read whole by asking again from the last item's time (ids deduplicate the
//! overlap): `ceil(n / 1000)` requests, plus one that holds fewer than the limit.

use std::collections::HashSet;

use reqwest::Method;
use serde_json::Value;

use super::error::{ApiError, ApiErrorKind};
use super::history::Unreadable;
use super::transport::{Client, Retries};
use super::wire::dora::Answer;
use gatesctl_core::model::time::{format_rfc3339, format_rfc3339_millis, parse_rfc3339};
use gatesctl_core::model::{Deployment, Failure};

/// The most items one answer holds: an answer holding this many may have left some out.
pub(crate) const DORA_LIMIT: usize = 1000;
/// Requests one list may take at most: 50,000 deployments a month need about fifty.
const MAX_REQUESTS: usize = 10_000;
/// A name longer than any Datadog tag value (200 characters) is not a service, env or
/// version: the item is unreadable rather than sent back in a filter.
const MAX_NAME: usize = 1000;

/// Which events to list: `[from, to)`, and an event search query (empty: all).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DoraQuery {
    pub from_ms: i64,
    pub to_ms: i64,
    pub query: String,
}

impl DoraQuery {
    /// `service:(a OR b) env:(c)`: the events of these services and envs; a value the event
    /// search cannot hold quoted is left out of the query (the caller keeps what it covers).
    pub fn of(from_ms: i64, to_ms: i64, services: &[&str], envs: &[&str]) -> DoraQuery {
        let plain = |v: &&str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c));
        let clause = |key: &str, values: &[&str]| {
            if values.is_empty() || !values.iter().all(plain) || values.len() > 50 {
                return None;
            }
            Some(format!("{key}:({})", values.join(" OR ")))
        };
        let query =
            [clause("service", services), clause("env", envs)].into_iter().flatten().collect::<Vec<_>>().join(" ");
        DoraQuery { from_ms, to_ms, query }
    }
}

/// One kind of event the DORA lists hold.
trait Event: Sized {
    const PATH: &'static str;
    const REQUEST_TYPE: &'static str;
    const WHAT: &'static str;
    fn read(id: String, attributes: &serde_json::Map<String, Value>) -> Result<Self, String>;
    fn started_ms(&self) -> i64;
}

/// A time as the DORA lists write it: RFC 3339 (what the service answers), or Unix time as
/// recorded (nanoseconds; milliseconds and seconds read by their size).
fn time_ms(value: Option<&Value>, name: &str) -> Result<Option<i64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let n = n.as_i64().ok_or_else(|| format!("{name} out of range"))?;
            Ok(Some(match n.abs() {
                a if a >= 100_000_000_000_000_000 => n / 1_000_000,
                a if a >= 100_000_000_000_000 => n / 1_000,
                a if a >= 100_000_000_000 => n,
                _ => n.saturating_mul(1000),
            }))
        }
        Some(Value::String(s)) => parse_rfc3339(s).map(Some),
        Some(_) => Err(format!("{name} is not a time")),
    }
}

fn started(a: &serde_json::Map<String, Value>) -> Result<i64, String> {
    time_ms(a.get("started_at"), "started_at")?.ok_or_else(|| "no started_at".to_string())
}

/// A string attribute ("" when absent), refused when it is another type or longer than any
/// name Datadog keeps.
fn text(a: &serde_json::Map<String, Value>, key: &str) -> Result<String, String> {
    match a.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if s.chars().count() > MAX_NAME => {
            Err(format!("{key} is {} characters long, more than any Datadog name", s.chars().count()))
        }
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("{key} is not a string")),
    }
}

impl Event for Deployment {
    const PATH: &'static str = "api/v2/dora/deployments";
    const REQUEST_TYPE: &'static str = "dora_deployments_list_request";
    const WHAT: &'static str = "deployments";

    fn read(id: String, a: &serde_json::Map<String, Value>) -> Result<Deployment, String> {
        let service = text(a, "service")?;
        if service.is_empty() {
            return Err("no service".into());
        }
        Ok(Deployment {
            id,
            started_ms: started(a)?,
            finished_ms: time_ms(a.get("finished_at"), "finished_at")?,
            service,
            env: text(a, "env")?,
            version: text(a, "version")?,
        })
    }

    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

impl Event for Failure {
    const PATH: &'static str = "api/v2/dora/failures";
    const REQUEST_TYPE: &'static str = "dora_failures_list_request";
    const WHAT: &'static str = "failures";

    fn read(id: String, a: &serde_json::Map<String, Value>) -> Result<Failure, String> {
        let services = match a.get("services") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|s| match s {
                    Value::String(s) if s.chars().count() <= MAX_NAME => Ok(s.clone()),
                    Value::String(_) => Err("a service longer than any Datadog name".to_string()),
                    _ => Err("services holds something other than names".to_string()),
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("services is not a list".into()),
        };
        Ok(Failure {
            id,
            started_ms: started(a)?,
            name: text(a, "name")?,
            services,
            env: text(a, "env")?,
            version: text(a, "version")?,
        })
    }

    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

/// An item of a list: its id (a string) and its event, or why it could not be read.
fn item<E: Event>(value: &Value) -> Result<(String, E), Unreadable> {
    let Value::Object(item) = value else {
        return Err(Unreadable {
            id: "(no id)".into(),
            why: format!("an item that is not an object: {}", short(value)),
        });
    };
    let id = match item.get("id") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        Some(other) => {
            return Err(Unreadable { id: short(other), why: "its id is not a string".into() });
        }
        None => return Err(Unreadable { id: "(no id)".into(), why: "no id".into() }),
    };
    let unreadable = |why: String| Unreadable { id: id.clone(), why };
    let Some(Value::Object(attributes)) = item.get("attributes") else {
        return Err(unreadable("no attributes".into()));
    };
    match E::read(id.clone(), attributes) {
        Ok(e) => Ok((id, e)),
        Err(why) => Err(unreadable(why)),
    }
}

/// A value in a message: at most 60 characters of it.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else {
        text
    }
}

/// How far a DORA read has got: events read, and answers received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DoraProgress {
    pub events: usize,
    pub requests: usize,
}

/// A millisecond holding more events than one answer: those beyond the ones read were left
/// unread (the API has no cursor, and a millisecond cannot be split).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crowded {
    pub at_ms: i64,
    pub read: usize,
}

/// Every event of a window, and what could not be read.
#[derive(Debug)]
pub struct DoraRead<E> {
    /// Oldest first, then by id.
    pub events: Vec<E>,
    pub unreadable: Vec<Unreadable>,
    pub crowded: Vec<Crowded>,
    pub requests: usize,
}

impl Client {
    /// One answer of a list, for `[from, to)`, oldest first.
    async fn dora_window<E: Event>(&self, query: &str, from: i64, to: i64) -> Result<Vec<Value>, ApiError> {
        let mut attributes = serde_json::json!({
            "from": format_rfc3339_millis(from), "to": format_rfc3339_millis(to),
            "limit": DORA_LIMIT, "sort": "started_at",
        });
        if !query.is_empty() {
            attributes["query"] = Value::from(query);
        }
        let body = serde_json::json!({"data": {"type": E::REQUEST_TYPE, "attributes": attributes}});
        let answer: Answer = self.json_with(Method::POST, E::PATH, Some(&body), Retries::READ).await?;
        Ok(answer.data)
    }

    /// Every event of the window: an answer holding the limit is followed by one from its
    /// last item's time, until one holds fewer. Events outside the window asked, or a full
    /// answer out of time order, end the read: the API would be ignoring what it was asked.
    async fn dora_list<E: Event>(
        &self,
        query: &DoraQuery,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<DoraRead<E>, ApiError> {
        let call = format!("POST /{}", E::PATH);
        let fail = |kind: ApiErrorKind| ApiError { call: call.clone(), kind };
        let mut read = DoraRead { events: Vec::new(), unreadable: Vec::new(), crowded: Vec::new(), requests: 0 };
        let mut seen: HashSet<String> = HashSet::new();
        let mut seen_unreadable: HashSet<String> = HashSet::new();
        let to = query.to_ms;
        let mut from = query.from_ms;
        while from < to {
            if read.requests >= MAX_REQUESTS {
                return Err(fail(ApiErrorKind::EndlessList(format!(
                    "more than {MAX_REQUESTS} requests for the {} of one window; gatesctl stops rather than read forever (is --api-url the Datadog API?)",
                    E::WHAT
                ))));
            }
            let items = self.dora_window::<E>(&query.query, from, to).await?;
            read.requests += 1;
            let full = items.len() >= DORA_LIMIT;
            let (mut newest, mut ordered, mut at_newest) = (None::<i64>, true, 0usize);
            for value in &items {
                match item::<E>(value) {
                    Ok((id, event)) => {
                        let at = event.started_ms();
                        if at < from || at >= to {
                            return Err(fail(ApiErrorKind::Protocol(format!(
                                "asked for the {} started from {} to {}, it answered one started at {} (id {}): it ignores the time filter, so gatesctl stops rather than count events of another time (is --api-url the Datadog API?)",
                                E::WHAT,
                                format_rfc3339_millis(from),
                                format_rfc3339_millis(to),
                                format_rfc3339(at),
                                gatesctl_core::escape::quoted(&id)
                            ))));
                        }
                        match newest {
                            Some(n) if at < n => ordered = false,
                            Some(n) if at == n => at_newest += 1,
                            _ => (newest, at_newest) = (Some(at), 1),
                        }
                        if seen.insert(id) {
                            read.events.push(event);
                        }
                    }
                    Err(u) => {
                        if seen_unreadable.insert(value.to_string()) {
                            read.unreadable.push(u);
                        }
                    }
                }
            }
            progress(DoraProgress { events: read.events.len(), requests: read.requests });
            if !full {
                break;
            }
            if !ordered {
                return Err(fail(ApiErrorKind::Protocol(format!(
                    "a full answer of {} was not sorted by started_at as asked: without that order, a window cannot be read whole",
                    E::WHAT
                ))));
            }
            let Some(newest) = newest else {
                return Err(fail(ApiErrorKind::Protocol(format!(
                    "a full answer of {} held no item that could be read: there is no time to go on from",
                    E::WHAT
                ))));
            };
            if newest == from {
                // One millisecond holds a whole answer: what lies beyond it there cannot be
                // asked for. Say so, and go on after it.
                read.crowded.push(Crowded { at_ms: from, read: at_newest });
                from += 1;
            } else {
                from = newest;
            }
        }
        read.events.sort_by_key(|e: &E| e.started_ms());
        Ok(read)
    }

    /// Every deployment `query` selects.
    pub async fn deployments(
        &self,
        query: &DoraQuery,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<DoraRead<Deployment>, ApiError> {
        self.dora_list(query, progress).await
    }

    /// Every failure `query` selects.
    pub async fn failures(
        &self,
        query: &DoraQuery,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<DoraRead<Failure>, ApiError> {
        self.dora_list(query, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn times_read_as_rfc3339_or_in_any_unit_the_api_takes() {
        let ms = 1_764_000_000_123;
        for v in [json!(ms * 1_000_000), json!(ms), json!(ms / 1000 * 1000)] {
            assert_eq!(time_ms(Some(&v), "t").unwrap().unwrap() / 1000, ms / 1000, "{v}");
        }
        assert_eq!(time_ms(Some(&json!("2025-11-24T15:20:00.123Z")), "t").unwrap(), Some(1_763_997_600_123));
        assert_eq!(time_ms(None, "t").unwrap(), None);
        assert!(time_ms(Some(&json!([1])), "t").is_err());
    }

    #[test]
    fn queries_name_services_and_envs_when_they_can() {
        let q = DoraQuery::of(0, 1, &["checkout", "pay-ments"], &["production"]);
        assert_eq!(q.query, "service:(checkout OR pay-ments) env:(production)");
        assert_eq!(DoraQuery::of(0, 1, &["a b"], &["prod"]).query, "env:(prod)");
    }

    #[test]
    fn a_bad_item_is_unreadable_not_the_end_of_the_read() {
        let good = json!({"id": "d1", "type": "dora_deployment", "attributes": {"service": "a", "started_at": "2026-01-01T00:00:00Z"}});
        assert!(item::<Deployment>(&good).is_ok());
        for bad in [
            json!(null),
            json!("text"),
            json!({"id": 7, "attributes": {"service": "a", "started_at": "2026-01-01T00:00:00Z"}}),
            json!({"id": "d2"}),
            json!({"id": "d3", "attributes": {"service": "a".repeat(100_000), "started_at": "2026-01-01T00:00:00Z"}}),
            json!({"id": "d4", "attributes": {"service": 3, "started_at": "2026-01-01T00:00:00Z"}}),
        ] {
            assert!(item::<Deployment>(&bad).is_err(), "{}", short(&bad));
        }
    }

    /// Mutations of a real answer: each item reads or is unreadable, never a panic.
    #[test]
    fn a_mutation_fuzzer_finds_no_crash_in_the_items() {
        let seed = json!({"data": [
            {"id": "d1", "type": "dora_deployment", "attributes": {"service": "a", "env": "prod", "version": "v1",
                "started_at": "2026-01-01T00:00:00.123456789Z", "finished_at": "2026-01-01T00:01:00Z"}},
            {"id": "f1", "type": "dora_failure", "attributes": {"name": "x", "services": ["a", "b"], "env": "prod",
                "started_at": 1_767_225_600_000_000_000_i64}},
        ]})
        .to_string()
        .into_bytes();
        let tokens: [&[u8]; 12] = [
            b"\"",
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"null",
            b"1e999",
            b"-1",
            b"\"\\u0000\"",
            b"9999999999999999999999",
        ];
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        let mut next = move || rng.u64(..);
        let mut read = 0;
        for _ in 0..5000 {
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 3 {
                let at = (next() as usize) % (bytes.len() + 1);
                match next() % 2 {
                    0 => bytes.splice(at..at, tokens[(next() % 12) as usize].iter().copied()).for_each(drop),
                    _ => {
                        let end = (at + (next() % 8) as usize).min(bytes.len());
                        bytes.drain(at..end);
                    }
                }
            }
            let Ok(answer) = serde_json::from_slice::<Answer>(&bytes) else { continue };
            for value in &answer.data {
                read += usize::from(item::<Deployment>(value).is_ok());
                read += usize::from(item::<Failure>(value).is_ok());
            }
        }
        assert!(read > 100, "the mutations must leave items to read: {read}");
    }
}
