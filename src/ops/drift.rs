//! `drift`: the whole organisation (or the gates targeted) against the files, each difference
//! named for what it is.

use super::progress::Progress;
use crate::error::Error;
use gatesctl_client::{Client, GateQuery};
use gatesctl_core::model::GateKey;
use gatesctl_core::plan::drift::Drift;
use gatesctl_core::plan::{self, PlanOptions};
use gatesctl_files::DesiredState;

/// What `drift` is asked, its flags checked by the command line.
pub(crate) struct DriftRequest<'a> {
    pub(crate) desired: &'a DesiredState,
    pub(crate) options: PlanOptions,
    pub(crate) parallelism: usize,
}

/// Each difference, and the gates deleted by someone else while they were read.
pub(crate) struct Drifted {
    pub(crate) items: Vec<Drift>,
    pub(crate) vanished: Vec<GateKey>,
}

pub(crate) async fn run(
    client: &Client,
    request: &DriftRequest<'_>,
    progress: &dyn Progress,
) -> Result<Drifted, Error> {
    let DriftRequest { desired, options, parallelism } = request;
    // A gate no file declares is drift wherever it is: the whole organisation is read, unless
    // targets narrow it.
    let query = if options.targets.is_empty() { GateQuery::default() } else { plan::list_query(desired, options) };
    let (plan, remote) = super::plan::compute_over(client, desired, options, &query, *parallelism, progress).await?;
    let items = plan::drift::classify(&plan, &remote, desired);
    Ok(Drifted { items, vanished: plan.vanished })
}
