//! `report`: read the history of the declared gates, judge it, and (with `--write`) switch
//! the gates and rules recommended for promotion to enforcing in the files.

use crate::error::Error;
use gatesctl_client::{Client, DoraQuery, HistoryQuery, Unreadable, MAX_WINDOW_MS};
use gatesctl_core::model::time::Window;
use gatesctl_core::model::GateKey;
use gatesctl_core::model::History;
use gatesctl_core::plan::Target;
use gatesctl_core::report::{FailuresUnread, Report, ReportSettings};
use gatesctl_files::edit::{self, Promoted};
use gatesctl_files::DesiredState;

/// The declared gates the report covers: all, or those the targets match (each target must
/// match one).
pub(crate) fn covered<'a>(desired: &'a DesiredState, targets: &[Target]) -> Result<Vec<&'a GateKey>, Error> {
    for target in targets {
        if !desired.gates.keys().any(|k| target.matches(k)) {
            return Err(Error::Usage(format!(
                "--target {} matches no gate declared in the files; the report covers declared gates only",
                gatesctl_core::escape::quoted(&target.text)
            )));
        }
    }
    Ok(desired.gates.keys().filter(|k| targets.is_empty() || targets.iter().any(|t| t.matches(k))).collect())
}

/// The window `since` long ending now (`now_ms` included: `to` is exclusive), checked against
/// the API's limit: what report and coverage read.
pub(crate) fn window(since: std::time::Duration, now_ms: i64) -> Result<Window, Error> {
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
    Ok(Window { from_ms: to_ms - since_ms, to_ms })
}

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
