//! Import: the remote gates written as a configuration file.

use std::path::Path;

use crate::error::Error;
use gatesctl_client::{self as remote, ApiError, Client};
use gatesctl_core::model::{GateFilter, RemoteState};
use gatesctl_files::import::{extra_options, file_spec, serialise, unprintable_names, unprintable_options};
use gatesctl_files::source::Format;
use gatesctl_files::terraform;

/// What an import made: the file's text, how much it holds, and what to say about it.
pub(crate) struct Imported {
    pub(crate) text: String,
    pub(crate) gates: usize,
    pub(crate) rules: usize,
    /// Where it came from, in the user's words.
    pub(crate) source: String,
    pub(crate) warnings: Vec<String>,
    /// From Terraform: what stops Terraform managing the gates imported.
    pub(crate) removal: Option<String>,
}

/// The remote gates the filter selects, as a file.
pub(crate) async fn from_api(
    client: &Client,
    api: &str,
    filter: &GateFilter,
    format: Format,
    parallelism: usize,
    progress: &dyn super::progress::Progress,
) -> Result<Imported, Error> {
    let (remote, warnings) = read(client, filter, parallelism, progress).await?;
    Ok(Imported {
        text: serialise(&file_spec(&remote), format, api)?,
        gates: remote.gates.len(),
        rules: remote.rules.values().map(Vec::len).sum(),
        source: api.to_string(),
        warnings,
        removal: None,
    })
}

/// The gates of a Terraform state or saved plan the filter selects, as a file, and the way out
/// of Terraform for exactly those. No API call.
pub(crate) fn from_terraform(
    path: &Path,
    filter: &GateFilter,
    format: Format,
    removed_blocks: bool,
) -> Result<Imported, Error> {
    let text = gatesctl_files::read_text(path)?;
    let mut migration =
        terraform::read(&text).map_err(|source| Error::Terraform { path: path.to_path_buf(), source })?;
    let all = migration.instances.clone();
    migration.retain(|k| filter.matches(k));
    if migration.remote.gates.is_empty() {
        return Err(Error::NothingToImport {
            path: path.to_path_buf(),
            filtered: !filter.is_everything(),
            what: migration.source.describe().to_string(),
        });
    }
    let warnings =
        unprintable_names(&migration.remote).into_iter().chain(unprintable_options(&migration.remote)).collect();
    let source = format!("{} ({})", gatesctl_core::escape::path(path), migration.source.describe());
    Ok(Imported {
        text: serialise(&file_spec(&migration.remote), format, &source)?,
        gates: migration.remote.gates.len(),
        rules: migration.remote.rules.values().map(Vec::len).sum(),
        source,
        warnings,
        removal: Some(terraform::removal(&migration, &all, removed_blocks)),
    })
}

/// Remote gates of the filter, with all their rules, and one warning per gate holding several
/// rules of one name (only one can be declared) or a name validation refuses.
pub(crate) async fn read(
    client: &Client,
    filter: &GateFilter,
    parallelism: usize,
    progress: &dyn super::progress::Progress,
) -> Result<(RemoteState, Vec<String>), ApiError> {
    let query = remote::GateQuery {
        service: filter.services.exact().map(str::to_string),
        env: filter.envs.exact().map(str::to_string),
        identifier: None,
    };
    let mut remote = remote::fetch(client, parallelism, &query, |k| filter.matches(k), &|f| {
        progress.event(super::progress::Event::Gates(f))
    })
    .await?;
    remote.gates.retain(|k, _| filter.matches(k));
    let mut warnings = Vec::new();
    for (key, rules) in &remote.rules {
        let mut names: Vec<&str> = rules.iter().map(|r| r.rule.name.as_str()).collect();
        names.sort_unstable();
        for pair in names.windows(2).filter(|p| p[0] == p[1]) {
            warnings.push(format!(
                "gate {key} has several rules named {}; only one is imported, and a plan with this file deletes the others",
                gatesctl_core::escape::quoted(pair[0])
            ));
        }
    }
    warnings.extend(unprintable_names(&remote));
    warnings.extend(unprintable_options(&remote));
    warnings.extend(extra_options(&remote));
    for (extra, _) in &remote.duplicates {
        let first = remote.gates.get(&extra.key).map(|g| g.id.as_str()).unwrap_or_default();
        warnings.push(format!(
            "2 remote gates are {} (ids {}, {}): the first is imported; the other is not in the file, and a plan with --prune deletes it",
            extra.key,
            gatesctl_core::escape::terminal(first),
            gatesctl_core::escape::terminal(&extra.id)
        ));
    }
    for key in &remote.vanished {
        warnings.push(format!("gate {key} was deleted by someone else while it was read: not imported"));
    }
    Ok((remote, warnings))
}
