//! Saved plans: writing one, and checking one is still exactly right before applying it.

use std::path::{Path, PathBuf};

use crate::config::DesiredState;
use crate::error::Error;
use crate::model::{GateKey, RemoteState};
use crate::plan::saved::SavedPlan;
use crate::plan::Plan;
use crate::remote::{self, Client};

/// What a saved plan records besides its actions.
pub(crate) struct SaveRequest<'a> {
    pub(crate) plan: &'a Plan,
    pub(crate) remote: &'a RemoteState,
    pub(crate) desired: &'a DesiredState,
    /// The API the plan was made against.
    pub(crate) api: String,
    pub(crate) files: Vec<PathBuf>,
    pub(crate) prune: bool,
    pub(crate) targets: Vec<String>,
}

pub(crate) fn save(path: &Path, request: SaveRequest<'_>) -> Result<(), Error> {
    let saved = SavedPlan::new(
        request.plan,
        request.remote,
        request.desired,
        request.api,
        request.files,
        request.prune,
        request.targets,
    );
    let text = serde_json::to_string_pretty(&saved).expect("saved plan serialises") + "\n";
    std::fs::write(path, text).map_err(|source| Error::Write { path: path.to_path_buf(), source })
}

/// Reads a saved plan and checks that neither the files nor the remote state it was computed
/// from have moved; only then is it returned, to be applied as is.
pub(crate) async fn verify(path: &Path, client: &Client, api: &str, parallelism: usize) -> Result<SavedPlan, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    let saved = SavedPlan::parse(&text).map_err(|reason| Error::BadSavedPlan { path: path.to_path_buf(), reason })?;
    let desired = crate::config::load(&saved.files)?;
    // Re-read only what the plan's actions depend on.
    let in_plan = |k: &GateKey| saved.remote.contains_key(&k.to_string());
    let remote = remote::fetch(client, parallelism, in_plan).await?;
    let problems = saved.staleness(&desired, &remote, api);
    if !problems.is_empty() {
        return Err(Error::StalePlan { path: path.to_path_buf(), problems });
    }
    Ok(saved)
}
