//! Deployments and failures (DORA metrics), as `POST dora/deployments` and `POST dora/failures`
//! list them: at most 1,000 items an answer and no cursor, so a window is read in halves until
//! every answer holds fewer than the limit.

use std::collections::{HashSet, VecDeque};

use futures_util::stream::{FuturesUnordered, StreamExt};
use reqwest::Method;
use serde_json::Value;

use super::error::{ApiError, ApiErrorKind};
use super::history::Unreadable;
use super::transport::Client;
use super::wire::dora::{Answer, Item};
use gatesctl_core::model::time::{format_rfc3339_millis, parse_rfc3339};
use gatesctl_core::model::{Deployment, Failure};

/// The most items one answer holds: an answer holding this many may have left some out.
pub(crate) const DORA_LIMIT: usize = 1000;
/// Requests one list may take at most: 50,000 deployments a month need about a hundred.
const MAX_REQUESTS: usize = 10_000;
/// A window this short that still fills an answer is not split again: more than a thousand
/// events a second is not a real organisation.
const SHORTEST_WINDOW_MS: i64 = 1000;

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
    fn read(id: String, attributes: Value) -> Result<Self, String>;
    fn id(&self) -> &str;
    fn started_ms(&self) -> i64;
}

/// A time as the DORA lists write it: Unix nanoseconds (as they are recorded; milliseconds and
/// seconds are read by their size), or RFC 3339.
fn time_ms(value: Option<&Value>) -> Result<i64, String> {
    match value {
        Some(Value::Number(n)) => {
            let n = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)).ok_or("a time out of range")?;
            Ok(match n.abs() {
                a if a >= 100_000_000_000_000_000 => n / 1_000_000,
                a if a >= 100_000_000_000_000 => n / 1_000,
                a if a >= 100_000_000_000 => n,
                _ => n.saturating_mul(1000),
            })
        }
        Some(Value::String(s)) => parse_rfc3339(s),
        _ => Err("no started_at".into()),
    }
}

fn text(attributes: &Value, key: &str) -> String {
    attributes.get(key).and_then(Value::as_str).unwrap_or_default().to_string()
}

impl Event for Deployment {
    const PATH: &'static str = "api/v2/dora/deployments";
    const REQUEST_TYPE: &'static str = "dora_deployments_list_request";
    const WHAT: &'static str = "deployments";

    fn read(id: String, a: Value) -> Result<Deployment, String> {
        let service = text(&a, "service");
        if service.is_empty() {
            return Err("no service".into());
        }
        Ok(Deployment {
            id,
            started_ms: time_ms(a.get("started_at"))?,
            service,
            env: text(&a, "env"),
            version: text(&a, "version"),
        })
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

impl Event for Failure {
    const PATH: &'static str = "api/v2/dora/failures";
    const REQUEST_TYPE: &'static str = "dora_failures_list_request";
    const WHAT: &'static str = "failures";

    fn read(id: String, a: Value) -> Result<Failure, String> {
        let services: Vec<String> = match a.get("services") {
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        Ok(Failure {
            id,
            started_ms: time_ms(a.get("started_at"))?,
            name: text(&a, "name"),
            services,
            env: text(&a, "env"),
            version: text(&a, "version"),
        })
    }

    fn id(&self) -> &str {
        &self.id
    }

    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

/// How far a DORA read has got: events read, and answers received.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DoraProgress {
    pub events: usize,
    pub requests: usize,
}

impl Client {
    /// One answer of a list, for `[from, to)`.
    async fn dora_window<E: Event>(&self, query: &str, from: i64, to: i64) -> Result<Vec<Item>, ApiError> {
        let mut attributes = serde_json::json!({
            "from": format_rfc3339_millis(from), "to": format_rfc3339_millis(to),
            "limit": DORA_LIMIT, "sort": "started_at",
        });
        if !query.is_empty() {
            attributes["query"] = Value::from(query);
        }
        let body = serde_json::json!({"data": {"type": E::REQUEST_TYPE, "attributes": attributes}});
        let answer: Answer = self.json(Method::POST, E::PATH, Some(&body)).await?;
        Ok(answer.data)
    }

    /// Every event of the window, `parallelism` requests at a time: a window whose answer
    /// holds the limit is read again in two halves, until every answer holds fewer.
    async fn dora_list<E: Event>(
        &self,
        query: &DoraQuery,
        parallelism: usize,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<(Vec<E>, Vec<Unreadable>), ApiError> {
        let call = format!("POST /{}", E::PATH);
        let fail = |why: String| ApiError { call: call.clone(), kind: ApiErrorKind::EndlessList(why) };
        let mut windows: VecDeque<(i64, i64)> = VecDeque::from([(query.from_ms, query.to_ms)]);
        let mut in_flight = FuturesUnordered::new();
        let (mut events, mut unreadable) = (Vec::new(), Vec::new());
        let mut seen: HashSet<String> = HashSet::new();
        let mut done = DoraProgress::default();
        loop {
            while in_flight.len() < parallelism.max(1) {
                let Some((from, to)) = windows.pop_front() else { break };
                in_flight.push(async move { ((from, to), self.dora_window::<E>(&query.query, from, to).await) });
            }
            let Some(((from, to), answer)) = in_flight.next().await else { break };
            let items = answer?;
            done.requests += 1;
            if done.requests > MAX_REQUESTS {
                return Err(fail(format!(
                    "more than {MAX_REQUESTS} requests for the {} of one window; gatesctl stops rather than read forever (is --api-url the Datadog API?)",
                    E::WHAT
                )));
            }
            if items.len() >= DORA_LIMIT {
                // Full: some may have been left out. Read each half again.
                if to - from <= SHORTEST_WINDOW_MS {
                    return Err(fail(format!(
                        "the API answers {DORA_LIMIT} {} or more for a window of {} ms ({}): it cannot be read whole",
                        E::WHAT,
                        to - from,
                        gatesctl_core::model::time::format_rfc3339(from)
                    )));
                }
                let middle = from + (to - from) / 2;
                windows.push_back((from, middle));
                windows.push_back((middle, to));
                continue;
            }
            for item in items {
                let id = item.id.clone().unwrap_or_default();
                match E::read(id.clone(), item.attributes) {
                    // Each window is [from, to): an event at a boundary is read once.
                    Ok(event) if event.started_ms() >= from && event.started_ms() < to => {
                        if id.is_empty() || seen.insert(id) {
                            events.push(event);
                        }
                    }
                    Ok(_) => {}
                    Err(why) => {
                        unreadable.push(Unreadable { id: if id.is_empty() { "(no id)".into() } else { id }, why })
                    }
                }
            }
            done.events = events.len();
            progress(done);
        }
        events.sort_by(|a: &E, b: &E| a.started_ms().cmp(&b.started_ms()).then_with(|| a.id().cmp(b.id())));
        Ok((events, unreadable))
    }

    /// Every deployment `query` selects.
    pub async fn deployments(
        &self,
        query: &DoraQuery,
        parallelism: usize,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<(Vec<Deployment>, Vec<Unreadable>), ApiError> {
        self.dora_list(query, parallelism, progress).await
    }

    /// Every failure `query` selects.
    pub async fn failures(
        &self,
        query: &DoraQuery,
        parallelism: usize,
        progress: &(dyn Fn(DoraProgress) + Sync),
    ) -> Result<(Vec<Failure>, Vec<Unreadable>), ApiError> {
        self.dora_list(query, parallelism, progress).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_in_any_unit_the_api_takes() {
        let ms = 1_764_000_000_123;
        for v in [serde_json::json!(ms * 1_000_000), serde_json::json!(ms), serde_json::json!(ms / 1000 * 1000)] {
            assert_eq!(time_ms(Some(&v)).unwrap() / 1000, ms / 1000, "{v}");
        }
        assert_eq!(time_ms(Some(&serde_json::json!("2025-11-24T15:20:00.123Z"))).unwrap(), 1_763_997_600_123);
    }

    #[test]
    fn queries_name_services_and_envs_when_they_can() {
        let q = DoraQuery::of(0, 1, &["checkout", "pay-ments"], &["production"]);
        assert_eq!(q.query, "service:(checkout OR pay-ments) env:(production)");
        assert_eq!(DoraQuery::of(0, 1, &["a b"], &["prod"]).query, "env:(prod)");
    }
}
