//! `report`: read the history of the declared gates, judge it, and (with `--write`) switch
//! the gates and rules recommended for promotion to enforcing in the files.

use futures_util::stream::{self, StreamExt, TryStreamExt};

use crate::config::edit::{self, Promoted};
use crate::config::wire::ReportSpec;
use crate::config::DesiredState;
use crate::error::Error;
use crate::model::GateKey;
use crate::plan::Target;
use crate::remote::{Client, HistoryQuery, Unreadable, MAX_WINDOW_MS};
use crate::report::{History, Report, ReportSettings};

/// Filter values per history request at most: the URL stays short, and a large organisation
/// is read in a few filtered slices rather than whole.
const VALUES_PER_REQUEST: usize = 50;

/// The declared gates the report covers: all, or those the targets match (each target must
/// match one).
pub(crate) fn covered<'a>(desired: &'a DesiredState, targets: &[Target]) -> Result<Vec<&'a GateKey>, Error> {
    for target in targets {
        if !desired.gates.keys().any(|k| target.matches(k)) {
            return Err(Error::Usage(format!(
                "--target {} matches no gate declared in the files; the report covers declared gates only",
                crate::escape::quoted(&target.text)
            )));
        }
    }
    Ok(desired.gates.keys().filter(|k| targets.is_empty() || targets.iter().any(|t| t.matches(k))).collect())
}

/// The window ending now (`now_ms` included: `to` is exclusive), checked against the API's
/// limit, with the thresholds the flags set.
pub(crate) fn settings(since: std::time::Duration, now_ms: i64, flags: ReportSpec) -> Result<ReportSettings, Error> {
    let since_ms = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
    if since_ms <= 0 {
        return Err(Error::Usage("--since must be longer than 0, e.g. 14d".into()));
    }
    if since_ms > MAX_WINDOW_MS {
        return Err(Error::Usage(format!(
            "--since {} is longer than the 30 days of history the API serves in one window; use --since 30d or less",
            // In the largest unit that holds it whole, as it was most likely typed (humantime
            // counts months of 30.44 days: "1month 14days 13h 26m 24s" for 45d).
            match since.as_secs() {
                s if s % 86_400 == 0 => format!("{}d", s / 86_400),
                s if s % 3_600 == 0 => format!("{}h", s / 3_600),
                s if s % 60 == 0 => format!("{}m", s / 60),
                s => format!("{s}s"),
            }
        )));
    }
    // An evaluation that started in this very millisecond is in the window.
    let to_ms = now_ms + 1;
    Ok(ReportSettings { from_ms: to_ms - since_ms, to_ms, flags })
}

/// Server-side filters that select the covered gates' history, in slices of a few values. A
/// value holding a comma cannot be filtered on (the API splits at commas): that field is
/// then left unfiltered, and the report keeps only what it covers.
fn queries(gates: &[&GateKey], settings: &ReportSettings) -> Vec<HistoryQuery> {
    let values = |part: fn(&GateKey) -> &str| {
        let mut v: Vec<String> = gates.iter().map(|k| part(k).to_string()).collect();
        v.sort();
        v.dedup();
        v
    };
    let services = values(|k| &k.service);
    let envs = values(|k| &k.env);
    let filterable = |v: &[String]| !v.iter().any(|s| s.contains(','));
    let envs = if filterable(&envs) && envs.len() <= VALUES_PER_REQUEST { envs } else { Vec::new() };
    let base = HistoryQuery { from_ms: settings.from_ms, to_ms: settings.to_ms, services: Vec::new(), envs };
    if !filterable(&services) {
        return vec![base];
    }
    services.chunks(VALUES_PER_REQUEST).map(|chunk| HistoryQuery { services: chunk.to_vec(), ..base.clone() }).collect()
}

/// Reads the covered gates' history in the window, at most `parallelism` requests at a time,
/// telling `progress` how many evaluations were read.
pub(crate) async fn read_history(
    client: &Client,
    gates: &[&GateKey],
    settings: &ReportSettings,
    parallelism: usize,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<(History, Vec<Unreadable>), Error> {
    let mut history = History::default();
    let mut unreadable = Vec::new();
    if gates.is_empty() {
        return Ok((history, unreadable));
    }
    let slices = queries(gates, settings);
    let mut read = stream::iter(slices.iter())
        .map(|query| async move {
            let (gates, rules) = tokio::try_join!(client.gate_evaluations(query), client.rule_evaluations(query))?;
            Ok::<_, crate::remote::ApiError>((gates, rules))
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

/// The files with the promoted gates and rules enforcing, written in place (each whole or not
/// at all, keeping its mode).
pub(crate) fn write(desired: &DesiredState, report: &Report) -> Result<Promoted, Error> {
    let promoted = edit::promote(desired, &report.promotions())?;
    // A file someone changed since it was read (a colleague's edit, a branch switch) is not
    // overwritten: checked for every file before any is written.
    for file in &promoted.files {
        let now = std::fs::read(&file.path).map_err(|source| Error::Write { path: file.path.clone(), source })?;
        if now != file.read.as_bytes() {
            return Err(Error::Refused(format!(
                "{} changed on disk while the report was made; nothing was written, so that change is kept: run `gatesctl report --write` again",
                crate::escape::path(&file.path)
            )));
        }
    }
    for file in &promoted.files {
        crate::output::write_file(&file.path, file.text.as_bytes(), crate::output::Readers::Everyone)
            .map_err(|source| Error::Write { path: file.path.clone(), source })?;
    }
    Ok(promoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ReportSettings {
        ReportSettings { from_ms: 0, to_ms: 1, flags: ReportSpec::default() }
    }

    #[test]
    fn history_is_filtered_by_slices_of_services() {
        let keys: Vec<GateKey> = (0..120).map(|i| GateKey::new(format!("svc{i:03}"), "prod", "default")).collect();
        let refs: Vec<&GateKey> = keys.iter().collect();
        let q = queries(&refs, &settings());
        assert_eq!(q.len(), 3);
        assert_eq!(q[0].services.len(), 50);
        assert_eq!(q[2].services.len(), 20);
        assert!(q.iter().all(|q| q.envs == ["prod"]));
    }

    #[test]
    fn a_comma_in_a_name_lifts_that_filter() {
        let keys = [GateKey::new("a,b", "prod", "default"), GateKey::new("c", "prod", "default")];
        let refs: Vec<&GateKey> = keys.iter().collect();
        let q = queries(&refs, &settings());
        assert_eq!(q.len(), 1);
        assert!(q[0].services.is_empty());
        assert_eq!(q[0].envs, ["prod"]);
    }
}
