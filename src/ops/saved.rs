//! Saved plans: writing one, and checking that one is exactly right before applying it.

use std::path::{Path, PathBuf};

use crate::error::Error;
use gatesctl_client::Client;
use gatesctl_core::plan::saved::{relative_to, SavedOptions, SavedPlan, SavedPlanError};
use gatesctl_core::plan::{Plan, PlanOptions, Target};
use gatesctl_files::DesiredState;

/// Saves `plan`, with its file paths made relative to the plan file's folder, beside
/// `document`: the plan as `--format json` prints it (the view's), so what reads one reads the
/// other.
pub(crate) fn save(
    path: &Path,
    plan: &Plan,
    desired: &DesiredState,
    api: String,
    files: &[PathBuf],
    options: SavedOptions,
    document: serde_json::Value,
) -> Result<(), Error> {
    let absolute = |p: &Path| std::path::absolute(p).map_err(|source| Error::Write { path: p.to_path_buf(), source });
    let folder = absolute(path)?.parent().map(Path::to_path_buf).unwrap_or_default();
    let files = files.iter().map(|f| Ok(relative_to(&absolute(f)?, &folder))).collect::<Result<Vec<_>, Error>>()?;
    let saved = SavedPlan::new(plan, desired, api, files, options);
    let mut value = serde_json::to_value(&saved).expect("saved plans serialise");
    if let (Some(file), serde_json::Value::Object(document)) = (value.as_object_mut(), document) {
        for (key, field) in document {
            file.entry(key).or_insert(field);
        }
    }
    // As `--format json` writes it: nothing in a saved plan can drive a terminal that shows it.
    let text = serde_json::to_string_pretty(&value).expect("saved plans serialise");
    let text = gatesctl_core::escape::json_escaped(&text).into_owned() + "\n";
    gatesctl_fs::write::write_file(path, text.as_bytes(), gatesctl_fs::write::Readers::Owner)
        .map_err(|source| Error::Write { path: path.to_path_buf(), source })
}

fn bad(path: &Path, reason: SavedPlanError) -> Error {
    Error::BadSavedPlan { path: path.to_path_buf(), reason }
}

/// Reads a saved plan, re-reads its files and the remote state, recomputes the plan with the
/// saved options, and returns the recomputed plan only if it is exactly the saved one, with the
/// options it was made with and the warning of a plan made past the safety threshold with
/// `--force`, and what the plan does to the policies. What runs is the plan recomputed here,
/// never the actions read from the file.
pub(crate) async fn verify(
    path: &Path,
    client: &Client,
    api: &str,
    parallelism: usize,
    progress: &dyn super::progress::Progress,
) -> Result<Verified, Error> {
    let text = gatesctl_files::read_text(path)?;
    let saved = SavedPlan::parse(&text).map_err(|reason| bad(path, reason))?;
    let folder = path.parent().unwrap_or(Path::new(""));
    let files: Vec<PathBuf> = saved.files.iter().map(|f| folder.join(f)).collect();
    if let Some(missing) = files.iter().find(|f| !f.exists()) {
        return Err(bad(path, SavedPlanError::MissingFile(missing.clone())));
    }
    let desired = gatesctl_files::load(&files)?;
    let targets = saved
        .options
        .targets
        .iter()
        .map(|t| Target::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(path, SavedPlanError::BadTarget(e)))?;
    let options = PlanOptions { prune: saved.options.prune, targets };
    let (now, remote) = super::plan::compute(client, &desired, &options, parallelism, progress).await?;
    let problems = saved.differences(&desired, api, &now);
    if !problems.is_empty() {
        return Err(Error::StalePlan { path: path.to_path_buf(), problems });
    }
    let warning = super::plan::check_safety(&now, &remote, &desired, saved.options.force)?;
    // The policies may have changed since (an exception expired, the catalog retagged): judged
    // again, as the plan is.
    let policies = super::policy::plan_changes(client, &desired, &now, &remote).await?;
    Ok(Verified { plan: now, options: saved.options, warning, policies })
}

/// A saved plan found exactly right.
pub(crate) struct Verified {
    pub(crate) plan: Plan,
    pub(crate) options: SavedOptions,
    pub(crate) warning: Option<String>,
    pub(crate) policies: Vec<gatesctl_core::policy::PolicyChange>,
}
