//! `report`: read the history of the declared gates, judge it, and (with `--write`) switch
//! the gates and rules recommended for promotion to enforcing in the files.

use crate::error::Error;
use gatesctl_client::{Client, DoraQuery, HistoryQuery, Unreadable};
use gatesctl_core::model::GateKey;
use gatesctl_core::model::History;
use gatesctl_core::report::{FailuresUnread, Report, ReportSettings};
use gatesctl_files::edit::{self, Promoted};
use gatesctl_files::DesiredState;

/// Reads the covered gates' history in the window, both lists, at most `parallelism` requests
/// at a time, telling `progress` how many gate evaluations were read.
pub(crate) async fn read_history(
    client: &Client,
    gates: &[&GateKey],
    settings: &ReportSettings,
    parallelism: usize,
    progress: &dyn super::progress::Progress,
) -> Result<(History, Vec<Unreadable>), Error> {
    let places: Vec<(&str, &str)> = gates.iter().map(|k| (k.service.as_str(), k.env.as_str())).collect();
    let queries = HistoryQuery::slices(&places, settings.window);
    Ok(client.history(&queries, true, parallelism, &|n| progress.event(super::progress::Event::Evaluations(n))).await?)
}

/// The failures (DORA) of the covered gates' services in the window (of any env, so that those
/// naming none are counted as unattributed rather than never seen), with warnings about what
/// the API could not answer whole; or why they could not be read: the records are then left
/// out, never the report.
pub(crate) async fn read_failures(
    client: &Client,
    gates: &[&GateKey],
    settings: &ReportSettings,
) -> Result<(Vec<gatesctl_core::model::Failure>, Vec<String>), FailuresUnread> {
    if gates.is_empty() {
        return Ok((Vec::new(), Vec::new()));
    }
    let mut services: Vec<&str> = gates.iter().map(|k| k.service.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    let query = DoraQuery::of(settings.window.from_ms, settings.window.to_ms, &services, &[]);
    match client.failures(&query, &|_| {}).await {
        Ok(read) => {
            let warnings = read.crowded.iter().map(|c| super::dora::crowded_warning(c, "failures")).collect();
            Ok((read.events, warnings))
        }
        Err(e) => {
            Err(FailuresUnread::Unavailable(super::dora::missing_permission(&e).unwrap_or_else(|| e.to_string())))
        }
    }
}

/// The files with the promoted gates and rules enforcing, written in place (each whole or not
/// at all, keeping its mode).
pub(crate) fn write(desired: &DesiredState, report: &Report) -> Result<Promoted, Error> {
    use gatesctl_fs::write::{check_replaceable, replace_read_file, ReplaceError};
    let promoted = edit::promote(desired, &report.promotions())?;
    // A file someone changed since it was read (a colleague's edit, a branch switch), or one
    // its owner made read-only, is not written: checked for every file before any is written,
    // and again as each is replaced.
    let refused = |file: &edit::EditedFile, why: ReplaceError| match why {
        ReplaceError::Io(source) => Error::Write { path: file.path.clone(), source },
        why => Error::Refused(format!(
            "{}: {why}; no file was written: run `gatesctl report --write` again",
            gatesctl_core::escape::path(&file.path)
        )),
    };
    for file in &promoted.files {
        check_replaceable(&file.path, file.read.as_bytes()).map_err(|e| refused(file, e))?;
    }
    for file in &promoted.files {
        replace_read_file(&file.path, file.read.as_bytes(), file.text.as_bytes()).map_err(|e| refused(file, e))?;
    }
    Ok(promoted)
}
