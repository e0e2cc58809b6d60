//! The evaluation history read for a window: server-side filters by service and env, in slices
//! of a few values, and the pages of each, several slices at a time.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::error::Error;
use gatesctl_client::{Client, HistoryQuery, Unreadable};
use gatesctl_core::model::time::Window;
use gatesctl_core::model::History;

/// Filter values per history request at most: the URL stays short, and a large organisation
/// is read in a few filtered slices rather than whole.
const VALUES_PER_REQUEST: usize = 50;

/// Server-side filters that select the history of `places` (service, env), in slices of a few
/// values. A value holding a comma cannot be filtered on (the API splits at commas): that
/// field is then left unfiltered, and the caller keeps only what it covers.
pub(crate) fn queries(places: &[(&str, &str)], window: Window) -> Vec<HistoryQuery> {
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
    services.chunks(VALUES_PER_REQUEST).map(|chunk| HistoryQuery { services: chunk.to_vec(), ..base.clone() }).collect()
}

/// Reads the gate evaluations `queries` select (and each rule's part, `with_rules`), at most
/// `parallelism` requests at a time, telling `progress` how many gate evaluations were read.
pub(crate) async fn read(
    client: &Client,
    queries: &[HistoryQuery],
    with_rules: bool,
    parallelism: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(History, Vec<Unreadable>), Error> {
    let mut history = History::default();
    let mut unreadable = Vec::new();
    let mut read = stream::iter(queries.iter())
        .map(|query| async move {
            let rules = async {
                if with_rules {
                    client.rule_evaluations(query).await
                } else {
                    Ok((Vec::new(), Vec::new()))
                }
            };
            tokio::try_join!(client.gate_evaluations(query), rules)
        })
        .buffer_unordered(parallelism.div_ceil(2).max(1));
    while let Some(((gates, bad_gates), (rules, bad_rules))) = read.try_next().await? {
        history.gates.extend(gates);
        history.rules.extend(rules);
        unreadable.extend(bad_gates.into_iter().chain(bad_rules));
        progress(history.gates.len());
    }
    history.unreadable = unreadable.len();
    Ok((history, unreadable))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_filtered_by_slices_of_services() {
        let names: Vec<String> = (0..120).map(|i| format!("svc{i:03}")).collect();
        let places: Vec<(&str, &str)> = names.iter().map(|s| (s.as_str(), "prod")).collect();
        let q = queries(&places, Window { from_ms: 0, to_ms: 1 });
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].services.len(), 50);
        assert_eq!(q[2].services.len(), 20);
        assert!(q.iter().all(|q| q.envs == ["prod"]));
    }

    #[test]
    fn a_comma_in_a_name_lifts_that_filter() {
        let q = queries(&[("a,b", "prod"), ("c", "prod")], Window { from_ms: 0, to_ms: 1 });
        assert_eq!(q.len(), 1);
        assert!(q[0].services.is_empty());
        assert_eq!(q[0].envs, ["prod"]);
    }
}
