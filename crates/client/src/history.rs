//! The evaluation history calls: every gate evaluation, and every rule's part of one, in a
//! window of time, read page by page with server-side filters, several slices at a time.
//!
//! A window of a busy organisation holds a million items, so they are kept compact: what
//! repeats across items (a gate's key, a version, a rule's name, reason, options, failures) is
//! read once and shared. A list is judged as it comes: an item outside the window asked, or a
//! gate list out of its newest-first order, breaks the API's contract; a list whose pages would
//! run past what gatesctl reads in one window (projected from how far back its pages have
//! come) ends within a few pages, not after thousands.

use std::collections::hash_map::DefaultHasher;
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};

use futures_util::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::Value;

use super::endpoints::{Page, PathBuilder};
use super::error::{ApiError, ApiErrorKind};
use super::transport::Client;
use super::wire;
use super::wire::history::{Common, GatePage, RulePage};
use gatesctl_core::model::time::{format_rfc3339, format_rfc3339_millis, parse_rfc3339, Window};
use gatesctl_core::model::{
    EvaluationId, EvaluationStatus, FailedMonitor, GateEvaluation, GateKey, History, RuleEvaluation, RuleFailures,
    RuleOptions, DEFAULT_IDENTIFIER,
};

/// The API's largest history page.
const PAGE_SIZE: usize = 100;
/// Pages one history list may take: a million items, 30 days of a very busy organisation.
const MAX_PAGES: usize = 10_000;
/// Pages read before a list's end is projected from how far back in time it has come.
const PAGES_BEFORE_PROJECTING: usize = 20;
/// Filter values per history request at most: the URL stays short, and a large organisation
/// is read in a few filtered slices rather than whole.
const VALUES_PER_REQUEST: usize = 50;

/// The longest window the API serves.
pub const MAX_WINDOW_MS: i64 = 30 * 24 * 3600 * 1000;

/// Which history to read: `[from, to)`, and the services and envs wanted (none: all). Values
/// of one filter are ORed by the API.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HistoryQuery {
    pub from_ms: i64,
    pub to_ms: i64,
    pub services: Vec<String>,
    pub envs: Vec<String>,
}

impl HistoryQuery {
    /// Server-side filters that select the history of `places` (service, env), in slices of a
    /// few values. A value holding a comma cannot be filtered on (the API splits at commas):
    /// that field is then left unfiltered, and the caller keeps only what it covers.
    pub fn slices(places: &[(&str, &str)], window: Window) -> Vec<HistoryQuery> {
        let values = |second: bool| {
            let mut v: Vec<String> = places.iter().map(|p| if second { p.1 } else { p.0 }.to_string()).collect();
            v.sort();
            v.dedup();
            v
        };
        let services = values(false);
        let envs = values(true);
        let filterable = |v: &[String]| !v.iter().any(|s| s.contains(','));
        let envs = if filterable(&envs) && envs.len() <= VALUES_PER_REQUEST { envs } else { Vec::new() };
        let base = HistoryQuery { from_ms: window.from_ms, to_ms: window.to_ms, services: Vec::new(), envs };
        if !filterable(&services) {
            return vec![base];
        }
        services
            .chunks(VALUES_PER_REQUEST)
            .map(|chunk| HistoryQuery { services: chunk.to_vec(), ..base.clone() })
            .collect()
    }

    fn path(&self, endpoint: &str) -> PathBuilder {
        let mut path = PathBuilder::new(endpoint)
            .query("filter[from]", &format_rfc3339_millis(self.from_ms))
            .query("filter[to]", &format_rfc3339_millis(self.to_ms))
            .query("page[size]", &PAGE_SIZE.to_string());
        if !self.services.is_empty() {
            path = path.query("filter[service]", &self.services.join(","));
        }
        if !self.envs.is_empty() {
            path = path.query("filter[env]", &self.envs.join(","));
        }
        path
    }
}

/// An item the history answered that gatesctl could not read, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    pub id: String,
    pub why: String,
}

/// What a history read shares between its items: each distinct string, gate key, rule
/// options and failures once.
#[derive(Default)]
struct Shared {
    strings: HashSet<Arc<str>>,
    keys: HashSet<Arc<GateKey>>,
    /// By rule type and the options' JSON text: decoded once.
    options: HashMap<(String, String), Option<Arc<RuleOptions>>>,
    failures: HashMap<String, Arc<RuleFailures>>,
}

impl Shared {
    fn string(&mut self, s: &str) -> Arc<str> {
        if let Some(found) = self.strings.get(s) {
            return Arc::clone(found);
        }
        let new: Arc<str> = Arc::from(s);
        self.strings.insert(Arc::clone(&new));
        new
    }

    fn key(&mut self, key: GateKey) -> Arc<GateKey> {
        if let Some(found) = self.keys.get(&key) {
            return Arc::clone(found);
        }
        let new = Arc::new(key);
        self.keys.insert(Arc::clone(&new));
        new
    }

    /// The options a rule was evaluated with, when they read as a rule's options.
    fn options(&mut self, rule_type: &str, configuration: &Value) -> Option<Arc<RuleOptions>> {
        if !configuration.is_object() {
            return None;
        }
        let key = (rule_type.to_string(), configuration.to_string());
        self.options
            .entry(key)
            .or_insert_with(|| wire::decode_options(rule_type, configuration).ok().map(Arc::new))
            .clone()
    }

    fn failures(&mut self, value: &Value) -> Arc<RuleFailures> {
        let key = value.to_string();
        Arc::clone(self.failures.entry(key).or_insert_with(|| Arc::new(failures(value))))
    }
}

impl Page for GatePage {
    type Item = Value;
    fn into_parts(self) -> (Vec<Value>, Option<String>) {
        self.0.split()
    }
}

impl Page for RulePage {
    type Item = Value;
    fn into_parts(self) -> (Vec<Value>, Option<String>) {
        self.0.split()
    }
}

impl Common {
    fn gate(&self) -> GateKey {
        let identifier = self.identifier.clone().filter(|i| !i.is_empty());
        GateKey::new(&self.service, &self.env, identifier.unwrap_or_else(|| DEFAULT_IDENTIFIER.to_string()))
    }

    fn status(&self) -> EvaluationStatus {
        EvaluationStatus::parse(self.status.as_deref().unwrap_or(""))
    }
}

fn parts<T: serde::de::DeserializeOwned>(item: &Value) -> Result<(String, T), Unreadable> {
    let id = item.get("id").and_then(Value::as_str).unwrap_or("(no id)").to_string();
    let attributes = item.get("attributes").cloned().unwrap_or(Value::Null);
    match serde_json::from_value(attributes) {
        Ok(t) => Ok((id, t)),
        Err(e) => Err(Unreadable { id, why: e.to_string() }),
    }
}

fn gate_evaluation(item: &Value, shared: &mut Shared) -> Result<GateEvaluation, Unreadable> {
    #[derive(Deserialize)]
    struct Attributes {
        #[serde(flatten)]
        common: Common,
        #[serde(default)]
        evaluation_id: Option<String>,
    }
    let (id, a): (String, Attributes) = parts(item)?;
    let started_ms = parse_rfc3339(&a.common.started_at).map_err(|why| Unreadable { id: id.clone(), why })?;
    let finished_ms = match a.common.finished_at.as_deref() {
        Some(text) => Some(parse_rfc3339(text).map_err(|why| Unreadable { id: id.clone(), why })?),
        None => None,
    };
    Ok(GateEvaluation {
        evaluation_id: EvaluationId::new(a.evaluation_id.as_deref().unwrap_or(&id)),
        gate: shared.key(a.common.gate()),
        dry_run: a.common.dry_run,
        status: a.common.status(),
        version: shared.string(a.common.version.as_deref().unwrap_or_default()),
        started_ms,
        finished_ms,
    })
}

fn rule_evaluation(item: &Value, shared: &mut Shared) -> Result<RuleEvaluation, Unreadable> {
    #[derive(Deserialize)]
    struct Attributes {
        #[serde(flatten)]
        common: Common,
        #[serde(default)]
        gate_evaluation_id: Option<String>,
        #[serde(default)]
        evaluation_id: Option<String>,
        name: String,
        #[serde(rename = "type")]
        rule_type: String,
        #[serde(default)]
        gate_dry_run: bool,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        configuration: Value,
        #[serde(default)]
        failures: Value,
    }
    let (id, a): (String, Attributes) = parts(item)?;
    let unreadable = |why: String| Unreadable { id: id.clone(), why };
    let started_ms = parse_rfc3339(&a.common.started_at).map_err(unreadable)?;
    let gate_evaluation_id =
        a.gate_evaluation_id.or(a.evaluation_id).ok_or_else(|| unreadable("no gate_evaluation_id".into()))?;
    Ok(RuleEvaluation {
        gate_evaluation_id: EvaluationId::new(&gate_evaluation_id),
        gate: shared.key(a.common.gate()),
        name: shared.string(&a.name),
        dry_run: a.common.dry_run,
        gate_dry_run: a.gate_dry_run,
        status: a.common.status(),
        reason: shared.string(a.reason.as_deref().unwrap_or_default()),
        version: shared.string(a.common.version.as_deref().unwrap_or_default()),
        started_ms,
        // The options as evaluated are shown when they read; a rule whose options do not is
        // still counted.
        configuration: shared.options(&a.rule_type, &a.configuration),
        failures: shared.failures(&a.failures),
        id: EvaluationId::new(&id),
    })
}

/// `failures{monitors[{id, state}], faulty_apm_resources[]}`, whatever else it holds.
fn failures(value: &Value) -> RuleFailures {
    let text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let monitors = value
        .get("monitors")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(|m| {
                    let id = m.get("id").and_then(text)?;
                    let state = m.get("state").and_then(text).unwrap_or_default();
                    Some(FailedMonitor { id, state })
                })
                .collect()
        })
        .unwrap_or_default();
    let faulty_apm_resources = value
        .get("faulty_apm_resources")
        .and_then(Value::as_array)
        .map(|list| list.iter().filter_map(|r| r.get("name").and_then(text).or_else(|| text(r))).collect())
        .unwrap_or_default();
    RuleFailures { monitors, faulty_apm_resources }
}

/// One kind of history item: how it reads, its own id, and when it started.
trait Listed: Sized {
    const ENDPOINT: &'static str;
    const WHAT: &'static str;
    /// The API lists these newest first (documented for gate evaluations).
    const NEWEST_FIRST: bool;
    fn read(item: &Value, shared: &mut Shared) -> Result<Self, Unreadable>;
    fn id(&self) -> &EvaluationId;
    fn started_ms(&self) -> i64;
}

impl Listed for GateEvaluation {
    const ENDPOINT: &'static str = "api/v2/deployment_gates/evaluations";
    const WHAT: &'static str = "gate evaluations";
    const NEWEST_FIRST: bool = true;
    fn read(item: &Value, shared: &mut Shared) -> Result<Self, Unreadable> {
        gate_evaluation(item, shared)
    }
    fn id(&self) -> &EvaluationId {
        &self.evaluation_id
    }
    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

impl Listed for RuleEvaluation {
    const ENDPOINT: &'static str = "api/v2/deployment_gates/evaluations/rules";
    const WHAT: &'static str = "rule evaluations";
    const NEWEST_FIRST: bool = false;
    fn read(item: &Value, shared: &mut Shared) -> Result<Self, Unreadable> {
        rule_evaluation(item, shared)
    }
    fn id(&self) -> &EvaluationId {
        &self.id
    }
    fn started_ms(&self) -> i64 {
        self.started_ms
    }
}

/// An item's id as the repeat check keeps it: 8 bytes, not the id's text (a million ids would
/// hold 70 MiB). Two ids sharing a hash in one list are as likely as 1 in 10^7 at a million.
fn id_hash(id: &impl Hash) -> u64 {
    let mut h = DefaultHasher::new();
    id.hash(&mut h);
    h.finish()
}

/// How far back a list's pages have come, to project where it ends.
#[derive(Default)]
struct Progress {
    pages: usize,
    items: usize,
    newest: Option<i64>,
    oldest: Option<i64>,
    /// Every item so far newest first: the projection holds only for an ordered list.
    ordered: bool,
}

impl Progress {
    /// Where the list stands after a page: a contract broken, or an end too far to read.
    fn after_page(
        &mut self,
        times: &[i64],
        query: &HistoryQuery,
        newest_first: bool,
        what: &str,
    ) -> Result<(), ApiErrorKind> {
        self.pages += 1;
        self.items += times.len();
        if self.pages == 1 {
            self.ordered = true;
        }
        for &at in times {
            if at < query.from_ms || at >= query.to_ms {
                return Err(ApiErrorKind::Protocol(format!(
                    "asked for the {what} started from {} to {}, it answered one started at {}: it ignores the time filter, so gatesctl stops rather than count evaluations of another time (is --api-url the Datadog API?)",
                    format_rfc3339_millis(query.from_ms),
                    format_rfc3339_millis(query.to_ms),
                    format_rfc3339(at)
                )));
            }
            if self.oldest.is_some_and(|o| at > o) {
                if newest_first {
                    return Err(ApiErrorKind::Protocol(format!(
                        "the {what} are listed newest first, and a page went back to {} after {}: without that order the list cannot be read whole",
                        format_rfc3339(at),
                        format_rfc3339(self.oldest.unwrap_or_default())
                    )));
                }
                self.ordered = false;
            }
            self.newest = Some(self.newest.map_or(at, |n| n.max(at)));
            self.oldest = Some(self.oldest.map_or(at, |o| o.min(at)));
        }
        if !self.ordered || self.pages < PAGES_BEFORE_PROJECTING {
            return Ok(());
        }
        let (Some(newest), Some(oldest)) = (self.newest, self.oldest) else { return Ok(()) };
        let covered = newest - oldest;
        let whole = newest - query.from_ms;
        let projected =
            if covered <= 0 { usize::MAX } else { (self.pages as i128 * whole as i128 / covered as i128) as usize };
        if projected > MAX_PAGES {
            let about = if covered <= 0 {
                format!("{} pages of them all started at one instant", self.pages)
            } else {
                format!(
                    "{} pages reached back to {}: the whole window would take about {projected} pages ({} items)",
                    self.pages,
                    format_rfc3339(oldest),
                    projected.saturating_mul(PAGE_SIZE)
                )
            };
            return Err(ApiErrorKind::EndlessList(format!(
                "{about}, more than the {MAX_PAGES} pages gatesctl reads for one list; narrow the window (--since) or the gates (--target), or check --api-url"
            )));
        }
        Ok(())
    }
}

impl Client {
    /// Every item of a history list, read or set aside: an item that does not read is named,
    /// not taken for something else.
    async fn history_list<T: Listed, P: Page<Item = Value>>(
        &self,
        query: &HistoryQuery,
        shared: &Mutex<Shared>,
    ) -> Result<(Vec<T>, Vec<Unreadable>), ApiError> {
        let (mut read, mut unreadable) = (Vec::new(), Vec::new());
        // An item listed twice means the pages repeat: a list that loops, whatever its cursors.
        let mut ids: HashSet<u64> = HashSet::new();
        let mut progress = Progress::default();
        let max_items = MAX_PAGES * PAGE_SIZE;
        self.each_page::<P>(query.path(T::ENDPOINT), T::WHAT, max_items, |page| {
            let mut times = Vec::with_capacity(page.len());
            let mut shared = shared.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            for value in page {
                let item = T::read(&value, &mut shared);
                let hash = match &item {
                    Ok(e) => id_hash(e.id()),
                    Err(u) => id_hash(&EvaluationId::new(&u.id)),
                };
                if !ids.insert(hash) {
                    let id = match &item {
                        Ok(e) => e.id().to_string(),
                        Err(u) => u.id.clone(),
                    };
                    return Err(ApiErrorKind::EndlessList(format!(
                        "the API listed {} item {} twice (after {} items): pages that repeat would never end, so gatesctl stops; retry later",
                        T::WHAT,
                        gatesctl_core::escape::quoted(&id),
                        ids.len()
                    )));
                }
                match item {
                    Ok(e) => {
                        times.push(e.started_ms());
                        read.push(e);
                    }
                    Err(u) => unreadable.push(u),
                }
            }
            drop(shared);
            progress.after_page(&times, query, T::NEWEST_FIRST, T::WHAT)
        })
        .await?;
        read.shrink_to_fit();
        Ok((read, unreadable))
    }

    /// Every gate evaluation `queries` select (and each rule's part, `with_rules`), at most
    /// `parallelism` requests at a time, telling `progress` how many gate evaluations were read.
    pub async fn history(
        &self,
        queries: &[HistoryQuery],
        with_rules: bool,
        parallelism: usize,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(History, Vec<Unreadable>), ApiError> {
        let shared = Mutex::new(Shared::default());
        // Each slice's items apart, then gathered at their exact size: a Vec doubling as it
        // grows would hold up to twice a million items' room.
        let (mut gate_slices, mut rule_slices, mut read_so_far) = (Vec::new(), Vec::new(), 0);
        let mut unreadable = Vec::new();
        let mut read = stream::iter(queries.iter())
            .map(|query| {
                let shared = &shared;
                async move {
                    let rules = async {
                        if with_rules {
                            self.history_list::<RuleEvaluation, RulePage>(query, shared).await
                        } else {
                            Ok((Vec::new(), Vec::new()))
                        }
                    };
                    tokio::try_join!(self.history_list::<GateEvaluation, GatePage>(query, shared), rules)
                }
            })
            .buffer_unordered(parallelism.div_ceil(2).max(1));
        while let Some(((gates, bad_gates), (rules, bad_rules))) = read.try_next().await? {
            read_so_far += gates.len();
            gate_slices.push(gates);
            rule_slices.push(rules);
            unreadable.extend(bad_gates.into_iter().chain(bad_rules));
            progress(read_so_far);
        }
        fn gathered<T>(slices: Vec<Vec<T>>) -> Vec<T> {
            let mut all = Vec::with_capacity(slices.iter().map(Vec::len).sum());
            for slice in slices {
                all.extend(slice);
            }
            all
        }
        let history =
            History { gates: gathered(gate_slices), rules: gathered(rule_slices), unreadable: unreadable.len() };
        Ok((history, unreadable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_item_reads_with_fields_added_tomorrow() {
        let item = json!({"id": "r1", "type": "deployment_gate_rule_evaluation", "attributes": {
            "service": "s", "env": "e", "identifier": "default", "name": "Errors", "type": "monitor",
            "dry_run": true, "gate_dry_run": false, "status": "fail", "reason": "One or more monitors in ALERT state",
            "started_at": "2026-11-30T10:00:00.000000Z", "gate_evaluation_id": "g1", "version": "v1",
            "configuration": {"query": "service:s", "duration": 300, "a_new_option": 1},
            "failures": {"monitors": [{"id": 12, "state": "Alert", "url": "https://x"}], "faulty_apm_resources": [], "narratives": []},
            "a_field_of_tomorrow": {"x": 1},
        }});
        let rule = rule_evaluation(&item, &mut Shared::default()).unwrap();
        assert_eq!(rule.status, EvaluationStatus::Fail);
        assert_eq!(rule.failures.monitors, [FailedMonitor { id: "12".into(), state: "Alert".into() }]);
        let options = rule.configuration.unwrap();
        assert_eq!(options.query(), Some("service:s"));
        assert!(options.extra.contains_key("a_new_option"), "unknown options travel");
    }

    #[test]
    fn an_item_without_a_time_is_set_aside_not_guessed() {
        let item = json!({"id": "g1", "attributes": {"service": "s", "env": "e", "status": "pass"}});
        assert_eq!(gate_evaluation(&item, &mut Shared::default()).unwrap_err().id, "g1");
    }

    #[test]
    fn what_repeats_across_items_is_held_once() {
        let mut shared = Shared::default();
        let item = |id: &str| {
            json!({"id": id, "attributes": {"service": "s", "env": "e", "name": "Errors", "type": "monitor",
                "status": "pass", "reason": "All monitors in OK state", "started_at": "2026-11-30T10:00:00Z",
                "gate_evaluation_id": "g", "version": "v1", "configuration": {"query": "service:s"}, "failures": {}}})
        };
        let (a, b) =
            (rule_evaluation(&item("r1"), &mut shared).unwrap(), rule_evaluation(&item("r2"), &mut shared).unwrap());
        assert!(Arc::ptr_eq(&a.gate, &b.gate) && Arc::ptr_eq(&a.name, &b.name) && Arc::ptr_eq(&a.reason, &b.reason));
        assert!(Arc::ptr_eq(a.configuration.as_ref().unwrap(), b.configuration.as_ref().unwrap()));
        assert!(Arc::ptr_eq(&a.failures, &b.failures));
    }

    #[test]
    fn a_list_that_would_run_past_the_window_ends_within_pages() {
        let query = HistoryQuery { from_ms: 0, to_ms: 1_000_000_000, ..HistoryQuery::default() };
        // Pages that come back only a millisecond each: hundreds of thousands of pages to go.
        let mut progress = Progress::default();
        let mut outcome = Ok(());
        for page in 0..PAGES_BEFORE_PROJECTING as i64 {
            outcome = progress.after_page(&[999_999_999 - page], &query, true, "gate evaluations");
        }
        let Err(ApiErrorKind::EndlessList(why)) = outcome else { panic!("{outcome:?}") };
        assert!(why.contains("narrow the window"), "{why}");
        // A list that covers a twentieth of the window in twenty pages ends in 400: read on.
        let mut progress = Progress::default();
        for page in 0..PAGES_BEFORE_PROJECTING as i64 {
            progress.after_page(&[1_000_000_000 - 1 - page * 2_500_000], &query, true, "gate evaluations").unwrap();
        }
        // Out of the window, or out of order: the contract is broken.
        let mut progress = Progress::default();
        assert!(matches!(progress.after_page(&[2_000_000_000], &query, true, "x"), Err(ApiErrorKind::Protocol(_))));
        let mut progress = Progress::default();
        progress.after_page(&[5, 4], &query, true, "x").unwrap();
        assert!(matches!(progress.after_page(&[6], &query, true, "x"), Err(ApiErrorKind::Protocol(_))));
        assert!(progress.after_page(&[6], &query, false, "x").is_ok(), "rule lists promise no order");
    }

    #[test]
    fn history_is_filtered_by_slices_of_services() {
        let names: Vec<String> = (0..120).map(|i| format!("svc{i:03}")).collect();
        let places: Vec<(&str, &str)> = names.iter().map(|s| (s.as_str(), "prod")).collect();
        let q = HistoryQuery::slices(&places, Window { from_ms: 0, to_ms: 1 });
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].services.len(), 50);
        assert_eq!(q[2].services.len(), 20);
        assert!(q.iter().all(|q| q.envs == ["prod"]));
    }

    #[test]
    fn a_comma_in_a_name_lifts_that_filter() {
        let q = HistoryQuery::slices(&[("a,b", "prod"), ("c", "prod")], Window { from_ms: 0, to_ms: 1 });
        assert_eq!(q.len(), 1);
        assert!(q[0].services.is_empty());
        assert_eq!(q[0].envs, ["prod"]);
    }
}
