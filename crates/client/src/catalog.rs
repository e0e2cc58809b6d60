//! The Software Catalog's services and Scorecards' custom rules and outcomes: lists read by
//! offset, page by page and never forever; outcomes posted in batches.

use reqwest::Method;
use serde_json::Value;

use super::endpoints::PathBuilder;
use super::error::{ApiError, ApiErrorKind};
use super::history::Unreadable;
use super::transport::Client;
use super::wire::catalog::{self as wire, Page};
use gatesctl_core::model::{CatalogService, RuleFields, ScorecardOutcome, ScorecardRule};

/// Items asked for per page: the largest page both APIs serve.
const PAGE: usize = 100;
/// Items listed at most: more than any organisation's catalog or scorecards hold.
const MAX_ITEMS: usize = 200_000;
/// Results per outcomes batch.
pub const OUTCOMES_PER_BATCH: usize = 500;

fn endless(call: &str, why: String) -> ApiError {
    ApiError { call: call.to_string(), kind: ApiErrorKind::EndlessList(why) }
}

impl Client {
    /// Every item of an offset-paged list: `path(offset)` is a page's request. A page shorter
    /// than asked, or one whose links name no next page, ends it; more than [`MAX_ITEMS`], or
    /// a page that repeats the one before (a server ignoring the offset), is an error.
    async fn each_offset_page(
        &self,
        path: impl Fn(usize) -> PathBuilder,
        what: &str,
        mut take: impl FnMut(Vec<Value>),
    ) -> Result<(), ApiError> {
        let call = format!("GET /{}", path(0).build());
        let mut offset = 0;
        let mut previous_first: Option<String> = None;
        loop {
            let page: Page = self.json(Method::GET, &path(offset).build(), None).await?;
            let fetched = page.data.len();
            let first = page.data.first().map(wire::id_of);
            if fetched > 0 && first.is_some() && first == previous_first {
                return Err(endless(&call, format!(
                    "the page at offset {offset} repeats the one before: a server that ignores page[offset] would be read forever, so gatesctl stops (is --api-url the Datadog API?)"
                )));
            }
            previous_first = first;
            let more = page.names_next().unwrap_or(fetched == PAGE) && fetched > 0;
            take(page.data);
            offset += fetched;
            if offset > MAX_ITEMS {
                return Err(endless(
                    &call,
                    format!("more than {MAX_ITEMS} {what} listed; gatesctl stops rather than read forever"),
                ));
            }
            if !more {
                return Ok(());
            }
        }
    }

    /// Every service of the Software Catalog, and the entities that could not be read (left
    /// out, each named), telling `progress` how many were read.
    pub async fn catalog_services(
        &self,
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<(Vec<CatalogService>, Vec<Unreadable>), ApiError> {
        let (mut services, mut unreadable) = (Vec::new(), Vec::new());
        let path = |offset: usize| {
            PathBuilder::new("api/v2/catalog/entity")
                .query("filter[kind]", "service")
                .query("page[offset]", &offset.to_string())
                .query("page[limit]", &PAGE.to_string())
        };
        self.each_offset_page(path, "catalog entities", |items| {
            for item in items {
                match wire::service(&item) {
                    Ok(Some(service)) => services.push(service),
                    Ok(None) => {}
                    Err(why) => unreadable.push(Unreadable { id: wire::id_of(&item), why }),
                }
            }
            progress(services.len());
        })
        .await?;
        Ok((services, unreadable))
    }

    /// The custom Scorecards rules of a name, or all of them.
    pub async fn scorecard_rules(&self, name: Option<&str>) -> Result<Vec<ScorecardRule>, ApiError> {
        let mut rules = Vec::new();
        let mut bad = None;
        let path = |offset: usize| {
            let path = PathBuilder::new("api/v2/scorecard/rules")
                .query("page[offset]", &offset.to_string())
                .query("page[size]", &PAGE.to_string());
            match name {
                Some(n) => path.query("filter[rule][name]", n),
                None => path,
            }
        };
        self.each_offset_page(path, "scorecard rules", |items| {
            for item in items {
                match wire::rule(&item) {
                    Ok(rule) => rules.push(rule),
                    Err(why) => bad = bad.take().or(Some(why)),
                }
            }
        })
        .await?;
        // A rule that cannot be read might be ours: creating another of its name would
        // duplicate it, so the list is not trusted.
        if let Some(why) = bad {
            let call = "GET /api/v2/scorecard/rules".to_string();
            return Err(ApiError { call, kind: ApiErrorKind::Decode(why) });
        }
        Ok(rules)
    }

    async fn scorecard_rule_call(
        &self,
        method: Method,
        path: String,
        fields: &RuleFields,
    ) -> Result<ScorecardRule, ApiError> {
        let call = format!("{method} /{path}");
        let answer: Value = self.json(method, &path, Some(&wire::rule_body(fields))).await?;
        let rule = answer.get("data").ok_or("an answer without data".to_string()).and_then(wire::rule);
        rule.map_err(|why| ApiError { call, kind: ApiErrorKind::Decode(why) })
    }

    pub async fn create_scorecard_rule(&self, fields: &RuleFields) -> Result<ScorecardRule, ApiError> {
        self.scorecard_rule_call(Method::POST, PathBuilder::new("api/v2/scorecard/rules").build(), fields).await
    }

    pub async fn update_scorecard_rule(&self, id: &str, fields: &RuleFields) -> Result<ScorecardRule, ApiError> {
        self.scorecard_rule_call(Method::PUT, PathBuilder::new("api/v2/scorecard/rules").part(id).build(), fields).await
    }

    /// Posts the outcomes, [`OUTCOMES_PER_BATCH`] at a time, telling `progress` how many were
    /// posted; returns how many the API says it changed. A later outcome for a rule and a
    /// service replaces the earlier, so posting again is safe.
    pub async fn post_outcomes(
        &self,
        outcomes: &[ScorecardOutcome],
        progress: &(dyn Fn(usize) + Sync),
    ) -> Result<u64, ApiError> {
        let path = PathBuilder::new("api/v2/scorecard/outcomes/batch").build();
        let (mut updated, mut posted) = (0, 0);
        for batch in outcomes.chunks(OUTCOMES_PER_BATCH) {
            let answer: Value = self.json(Method::POST, &path, Some(&wire::outcomes_body(batch))).await?;
            updated += wire::updated(&answer).unwrap_or(0);
            posted += batch.len();
            progress(posted);
        }
        Ok(updated)
    }

    /// The outcomes of the rule of a name.
    pub async fn scorecard_outcomes(&self, rule_name: &str) -> Result<Vec<ScorecardOutcome>, ApiError> {
        let (mut outcomes, mut bad) = (Vec::new(), None);
        let path = |offset: usize| {
            PathBuilder::new("api/v2/scorecard/outcomes")
                .query("filter[rule][name]", rule_name)
                .query("page[offset]", &offset.to_string())
                .query("page[size]", &PAGE.to_string())
        };
        self.each_offset_page(path, "scorecard outcomes", |items| {
            for item in items {
                match wire::outcome(&item) {
                    Ok(o) => outcomes.push(o),
                    Err(why) => bad = bad.take().or(Some(why)),
                }
            }
        })
        .await?;
        match bad {
            Some(why) => {
                Err(ApiError { call: "GET /api/v2/scorecard/outcomes".into(), kind: ApiErrorKind::Decode(why) })
            }
            None => Ok(outcomes),
        }
    }
}
