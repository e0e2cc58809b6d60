//! `report`: read the history of the declared gates, judge it, and (with `--write`) switch
//! the gates and rules recommended for promotion to enforcing in the files.

use super::progress::{Event, Progress};
use crate::error::Error;
use gatesctl_client::{Client, DoraQuery, HistoryQuery, Unreadable};
use gatesctl_core::model::GateKey;
use gatesctl_core::model::History;
use gatesctl_core::report::{FailuresUnread, Report, ReportSettings};
use gatesctl_files::edit::{self, Promoted};
use gatesctl_files::DesiredState;

/// What `report` is asked, its flags checked by the command line.
pub(crate) struct ReportRequest<'a> {
    pub(crate) desired: &'a DesiredState,
    /// The declared gates covered: all, or those the targets match.
    pub(crate) gates: Vec<&'a GateKey>,
    pub(crate) settings: ReportSettings,
    pub(crate) parallelism: usize,
    /// Check that monitor rules watch something, and the monitors' state now.
    pub(crate) monitor_check: bool,
    /// Read the deployments' failures (DORA).
    pub(crate) dora: bool,
    /// Switch what is recommended for promotion to enforcing in the files.
    pub(crate) write: bool,
}

/// A report, what `--write` changed, and what could not be read whole.
pub(crate) struct Reported {
    pub(crate) report: Report,
    pub(crate) written: Option<Promoted>,
    pub(crate) unreadable: Vec<Unreadable>,
    pub(crate) warnings: Vec<String>,
}

/// Reads the history, the monitors and the failures side by side, judges them, and with
/// `write` switches the files.
pub(crate) async fn run(
    client: &Client,
    request: &ReportRequest<'_>,
    progress: &dyn Progress,
) -> Result<Reported, Error> {
    let ReportRequest { desired, gates, settings, parallelism, .. } = request;
    let client = &client.limited_to(*parallelism);
    let read = read_history(client, gates, settings, *parallelism, progress);
    let check = async {
        match request.monitor_check {
            true => Some(super::monitors::check(client, desired, *parallelism, progress).await),
            false => None,
        }
    };
    let failures = async {
        match request.dora {
            true => read_failures(client, gates, settings).await,
            false => Err(FailuresUnread::NotAsked),
        }
    };
    let (history, check, failures) = tokio::join!(read, check, failures);
    let (history, unreadable) = history?;
    let mut warnings = Vec::new();
    let unchecked = match &check {
        None => Some(
            "monitor rules were not checked for watching nothing, nor promotions against the monitors' state now (--no-monitor-check)"
                .to_string(),
        ),
        Some(check) => {
            warnings.extend(check.unchecked.clone());
            check.unchecked.clone()
        }
    };
    match &failures {
        Err(FailuresUnread::Unavailable(why)) => warnings.push(format!(
            "failures (DORA) were not read, so each gate's record against them is left out: {why} (or pass --no-dora)"
        )),
        Ok((_, crowded)) => warnings.extend(crowded.iter().cloned()),
        Err(FailuresUnread::NotAsked) => {}
    }
    let findings = gatesctl_core::report::Findings {
        watching_nothing: check.as_ref().map(|c| &c.watching_nothing),
        failing_now: check.as_ref().map(|c| &c.failing_now),
        unchecked,
        failures: failures.as_ref().map(|(f, _)| f.as_slice()).map_err(FailuresUnread::clone),
    };
    let report = gatesctl_core::report::build(desired, gates, &history, settings, &findings);
    let written = if request.write { Some(write(desired, &report)?) } else { None };
    Ok(Reported { report, written, unreadable, warnings })
}

/// Reads the covered gates' history in the window, both lists, at most `parallelism` requests
/// at a time, telling `progress` how many gate evaluations were read.
async fn read_history(
    client: &Client,
    gates: &[&GateKey],
    settings: &ReportSettings,
    parallelism: usize,
    progress: &dyn Progress,
) -> Result<(History, Vec<Unreadable>), Error> {
    let places: Vec<(&str, &str)> = gates.iter().map(|k| (k.service.as_str(), k.env.as_str())).collect();
    let queries = HistoryQuery::slices(&places, settings.window);
    Ok(client.history(&queries, true, parallelism, &|n| progress.event(Event::Evaluations(n))).await?)
}

/// The failures (DORA) of the covered gates' services in the window (of any env, so that those
/// naming none are counted as unattributed rather than never seen), with warnings about what
/// the API could not answer whole; or why they could not be read: the records are then left
/// out, never the report.
async fn read_failures(
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
fn write(desired: &DesiredState, report: &Report) -> Result<Promoted, Error> {
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
