//! The Deployment Gates endpoints and the monitor endpoints the checks read, each a typed call;
//! lists read page by page, never forever.

use std::collections::HashSet;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::error::{ApiError, ApiErrorKind};
use super::transport::Client;
use super::wire::{self, Document, GateData, GateList, RuleListData};
use gatesctl_core::model::{AttrChange, GateKey, GateQuery, RemoteGate, RemoteRule, Rule};

/// Gates asked for per page: the API's largest page.
const PAGE_SIZE: usize = 1000;
/// Pages read at most in one list: far beyond any organisation, a bound for a server whose
/// cursors never end.
const MAX_PAGES: usize = 10_000;
/// Gates listed at most: more than any organisation holds.
pub(crate) const MAX_GATES: usize = 100_000;
/// Empty pages that name a next page, in a row, at most: a server may skip a page it filtered
/// out, but not a hundred of them.
const MAX_EMPTY_PAGES: usize = 100;

/// Everything but letters, digits and `-_.~` is encoded: ids, cursors and filter values go
/// into paths and queries as they are, whatever they hold.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// A request path: fixed parts, then parts (ids) and query values encoded.
pub(crate) struct PathBuilder {
    text: String,
    queried: bool,
}

impl PathBuilder {
    pub(crate) fn new(fixed: &str) -> PathBuilder {
        PathBuilder { text: fixed.to_string(), queried: false }
    }

    /// `/part`, encoded.
    pub(crate) fn part(mut self, part: &str) -> PathBuilder {
        self.text.push('/');
        self.text.extend(utf8_percent_encode(part, UNRESERVED));
        self
    }

    /// `?name=value` or `&name=value`, both encoded (`page[size]` becomes `page%5Bsize%5D`).
    pub(crate) fn query(mut self, name: &str, value: &str) -> PathBuilder {
        self.text.push(if self.queried { '&' } else { '?' });
        self.queried = true;
        self.text.extend(utf8_percent_encode(name, UNRESERVED));
        self.text.push('=');
        self.text.extend(utf8_percent_encode(value, UNRESERVED));
        self
    }

    pub(crate) fn build(self) -> String {
        self.text
    }
}

/// The filters of a gate list as request parameters.
fn filtered(query: &GateQuery, mut path: PathBuilder) -> PathBuilder {
    for (name, value) in
        [("filter[service]", &query.service), ("filter[env]", &query.env), ("filter[identifier]", &query.identifier)]
    {
        if let Some(v) = value {
            path = path.query(name, v);
        }
    }
    path
}

/// A list page's items and where the next page starts.
pub(crate) trait Page: DeserializeOwned {
    type Item;
    fn into_parts(self) -> (Vec<Self::Item>, Option<String>);
}

impl Page for GateList {
    type Item = RemoteGate;
    fn into_parts(self) -> (Vec<RemoteGate>, Option<String>) {
        let next = self.meta.and_then(|m| m.page).and_then(|p| p.next_cursor);
        (self.data.into_iter().map(RemoteGate::from).collect(), next)
    }
}

fn endless(call: &str, why: String) -> ApiError {
    ApiError { call: call.to_string(), kind: ApiErrorKind::EndlessList(why) }
}

fn check_gate(call: &str, key: &GateKey, dry_run: bool, answered: &RemoteGate) -> Result<(), ApiError> {
    if answered.key == *key && answered.dry_run == dry_run {
        return Ok(());
    }
    let kind = ApiErrorKind::Contradicted {
        asked: format!("gate {key} with dry_run = {dry_run}"),
        answered: format!("gate {} with dry_run = {}", answered.key, answered.dry_run),
    };
    Err(ApiError { call: call.to_string(), kind })
}

impl Client {
    /// Reads every page of a list, handing each page's items to `take` as it comes: a cursor
    /// the server gives twice, more than `max_items` items, [`MAX_PAGES`] pages,
    /// [`MAX_EMPTY_PAGES`] empty pages in a row, or a page `take` finds repeating the list
    /// (its error says why) end the list with an error, never a partial list taken for a whole
    /// one. An empty page that names a next page is followed.
    pub(crate) async fn each_page<P: Page>(
        &self,
        first: PathBuilder,
        what: &str,
        max_items: usize,
        mut take: impl FnMut(Vec<P::Item>) -> Result<(), ApiErrorKind>,
    ) -> Result<(), ApiError> {
        let base = first.build();
        let call = format!("GET /{base}");
        let mut seen: HashSet<String> = HashSet::new();
        let (mut cursor, mut items, mut empty): (Option<String>, usize, usize) = (None, 0, 0);
        for page in 0..MAX_PAGES {
            let mut path = base.clone();
            if let Some(c) = &cursor {
                let sep = if path.contains('?') { '&' } else { '?' };
                path = format!("{path}{sep}page%5Bcursor%5D={}", utf8_percent_encode(c, UNRESERVED));
            }
            let (list, next) = self.json::<P>(Method::GET, &path, None).await?.into_parts();
            let fetched = list.len();
            items += fetched;
            if items > max_items {
                return Err(endless(&call, format!("more than {max_items} {what} listed, more than any organisation holds; gatesctl stops rather than read forever (is --api-url the Datadog API?)")));
            }
            take(list).map_err(|kind| ApiError { call: call.clone(), kind })?;
            let Some(next) = next.filter(|c| !c.is_empty()) else { return Ok(()) };
            empty = if fetched == 0 { empty + 1 } else { 0 };
            if empty >= MAX_EMPTY_PAGES {
                return Err(endless(&call, format!(
                    "{MAX_EMPTY_PAGES} empty pages of {what} in a row, each naming another: a list that makes no progress would never end, so gatesctl stops; retry later"
                )));
            }
            if !seen.insert(next.clone()) {
                return Err(endless(&call, format!(
                    "the API gave the cursor {} a second time (after {} pages): a list that loops would never end, so gatesctl stops; retry later",
                    gatesctl_core::escape::quoted(&next),
                    page + 1
                )));
            }
            cursor = Some(next);
        }
        Err(endless(&call, format!("more than {MAX_PAGES} pages of {what}; gatesctl stops rather than read forever")))
    }

    /// Every gate the query selects, duplicates of one key included, in the order listed.
    pub async fn list_gates(&self, query: &GateQuery) -> Result<Vec<RemoteGate>, ApiError> {
        let mut gates = Vec::new();
        let first =
            filtered(query, PathBuilder::new("api/v2/deployment_gates").query("page[size]", &PAGE_SIZE.to_string()));
        self.each_page::<GateList>(first, "gates", MAX_GATES, |page| {
            gates.extend(page);
            Ok(())
        })
        .await?;
        Ok(gates)
    }

    pub async fn get_gate(&self, id: &str) -> Result<RemoteGate, ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(id).build();
        let doc: Document<GateData> = self.json(Method::GET, &path, None).await?;
        Ok(doc.data.into())
    }

    /// Creates a gate; an answer describing another gate is an error.
    pub async fn create_gate(&self, key: &GateKey, dry_run: bool) -> Result<RemoteGate, ApiError> {
        let call = "POST /api/v2/deployment_gates";
        let doc: Document<GateData> =
            self.json(Method::POST, "api/v2/deployment_gates", Some(&wire::create_gate_body(key, dry_run))).await?;
        let gate: RemoteGate = doc.data.into();
        check_gate(call, key, dry_run, &gate)?;
        Ok(gate)
    }

    /// Sets a gate's `dry_run`; an answer saying otherwise is an error.
    pub async fn update_gate(&self, id: &str, dry_run: bool) -> Result<RemoteGate, ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(id).build();
        let doc: Document<GateData> = self.json(Method::PUT, &path, Some(&wire::update_gate_body(id, dry_run))).await?;
        let gate: RemoteGate = doc.data.into();
        check_gate(&format!("PUT /{path}"), &gate.key.clone(), dry_run, &gate)?;
        Ok(gate)
    }

    pub async fn delete_gate(&self, id: &str) -> Result<(), ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(id).build();
        self.call(Method::DELETE, &path, None).await.map(|_| ())
    }

    pub async fn list_rules(&self, gate_id: &str) -> Result<Vec<RemoteRule>, ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(gate_id).part("rules").build();
        let call = format!("GET /{path}");
        let doc: Document<RuleListData> = self.json(Method::GET, &path, None).await?;
        doc.data
            .attributes
            .rules
            .iter()
            .map(|item| wire::decode_rule(item).map(|(id, rule, changed_ms)| RemoteRule { id, rule, changed_ms }))
            .collect::<Result<_, _>>()
            .map_err(|e| ApiError { call, kind: ApiErrorKind::Decode(e) })
    }

    /// Creates or updates a rule; an answer describing another rule is an error.
    async fn rule_call(
        &self,
        method: Method,
        path: String,
        asked: &Rule,
        id: Option<&str>,
    ) -> Result<RemoteRule, ApiError> {
        let call = format!("{method} /{path}");
        let doc: Document<Value> = self.json(method, &path, Some(&wire::rule_body(asked, id))).await?;
        let (id, answered, changed_ms) =
            wire::decode_rule(&doc.data).map_err(|e| ApiError { call: call.clone(), kind: ApiErrorKind::Decode(e) })?;
        if answered != *asked {
            let side = |v: &Option<gatesctl_core::model::AttrValue>| {
                v.as_ref().map_or("(none)".to_string(), |v| v.to_string())
            };
            let (mut wanted, mut got) = (Vec::new(), Vec::new());
            if answered.name != asked.name {
                wanted.push(format!("name = {}", gatesctl_core::escape::quoted(&asked.name)));
                got.push(format!("name = {}", gatesctl_core::escape::quoted(&answered.name)));
            }
            for change in AttrChange::between(Some(asked), Some(&answered)) {
                wanted.push(format!("{} = {}", change.name, side(&change.before)));
                got.push(format!("{} = {}", change.name, side(&change.after)));
            }
            let kind = ApiErrorKind::Contradicted { asked: wanted.join(", "), answered: got.join(", ") };
            return Err(ApiError { call, kind });
        }
        Ok(RemoteRule { id, rule: answered, changed_ms })
    }

    pub async fn create_rule(&self, gate_id: &str, rule: &Rule) -> Result<RemoteRule, ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(gate_id).part("rules").build();
        self.rule_call(Method::POST, path, rule, None).await
    }

    pub async fn update_rule(&self, gate_id: &str, rule_id: &str, rule: &Rule) -> Result<RemoteRule, ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(gate_id).part("rules").part(rule_id).build();
        self.rule_call(Method::PUT, path, rule, Some(rule_id)).await
    }

    pub async fn delete_rule(&self, gate_id: &str, rule_id: &str) -> Result<(), ApiError> {
        let path = PathBuilder::new("api/v2/deployment_gates").part(gate_id).part("rules").part(rule_id).build();
        self.call(Method::DELETE, &path, None).await.map(|_| ())
    }

    /// Triggers an evaluation; a 429 is returned at once (the caller keeps the trigger's budget).
    pub async fn trigger_evaluation(
        &self,
        request: &gatesctl_core::model::EvaluationRequest,
    ) -> Result<String, ApiError> {
        let body = wire::evaluation_body(request);
        let doc: Document<wire::EvaluationAccepted> = self
            .json_with(
                Method::POST,
                "api/v2/deployments/gates/evaluation",
                Some(&body),
                super::transport::Retries::RETURN_RATE_LIMITED,
            )
            .await?;
        Ok(doc.data.attributes.evaluation_id)
    }

    /// The result of evaluation `id`; an answer about another evaluation is an error, never
    /// taken for this one's verdict.
    pub async fn get_evaluation(&self, id: &str) -> Result<gatesctl_core::model::EvaluationAnswer, ApiError> {
        let path = PathBuilder::new("api/v2/deployments/gates/evaluation").part(id).build();
        let doc: Document<wire::Resource<wire::EvaluationResult>> = self.json_once(Method::GET, &path, None).await?;
        let result = doc.data.attributes;
        if result.evaluation_id != id {
            let kind = ApiErrorKind::OtherEvaluation { asked: id.to_string(), answered: result.evaluation_id };
            return Err(ApiError { call: format!("GET /{path}"), kind });
        }
        Ok(result.into())
    }

    /// How many monitors `query` matches, and how many of those fail now: one page of one
    /// monitor is enough, the counts cover them all.
    pub async fn search_monitors(&self, query: &str) -> Result<gatesctl_core::model::MonitorMatches, ApiError> {
        // One page as large as a rule may watch: the failing monitors of a rule that can pass.
        let per_page = gatesctl_core::model::MAX_MONITORS_PER_RULE.to_string();
        let path = PathBuilder::new("api/v1/monitor/search").query("query", query).query("per_page", &per_page).build();
        let answer: wire::MonitorSearch = self.json(Method::GET, &path, None).await?;
        Ok(answer.matches())
    }

    /// A monitor by id, with the state of each of its groups; `None` when it does not exist.
    pub async fn get_monitor(&self, id: u64) -> Result<Option<gatesctl_core::model::MonitorState>, ApiError> {
        let path = PathBuilder::new("api/v1/monitor").part(&id.to_string()).query("group_states", "all").build();
        match self.json::<wire::MonitorAnswer>(Method::GET, &path, None).await {
            Ok(answer) => Ok(Some(answer.into())),
            Err(e) if e.status() == Some(404) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_encode_every_part_and_query_value() {
        let path = PathBuilder::new("api/v2/deployment_gates")
            .part("a/b?c")
            .query("page[size]", "1000")
            .query("filter[service]", "x y&z")
            .build();
        assert_eq!(path, "api/v2/deployment_gates/a%2Fb%3Fc?page%5Bsize%5D=1000&filter%5Bservice%5D=x%20y%26z");
    }
}
