//! `validate`: the policies judged on what the files declare, the monitor check with
//! `--online`, and each folder's files apart with `--per-directory`. The files themselves are
//! checked as they load, every problem at once.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::monitors::{self, Mode};
use super::progress::Progress;
use crate::error::Error;
use gatesctl_client::Client;
use gatesctl_core::monitor_check::MonitorCheck;
use gatesctl_core::policy::PolicyVerdict;
use gatesctl_files::source::Format;
use gatesctl_files::{ConfigDiagnostic, ConfigError, DesiredState};

/// What the files declare, what they break, and what the monitor check found.
pub(crate) struct Validated {
    /// Gates and rules declared.
    pub(crate) counts: (usize, usize),
    pub(crate) policies: Vec<PolicyVerdict>,
    /// Requirements of `error` policies broken.
    pub(crate) broken: usize,
    pub(crate) check: MonitorCheck,
}

/// The files' policies judged, and with a client the monitor check as `mode` asks for it.
pub(crate) async fn run(
    client: Option<&Client>,
    desired: &DesiredState,
    mode: Mode,
    progress: &dyn Progress,
) -> Validated {
    let check = match client {
        Some(client) => monitors::run(client, desired, gatesctl_client::DEFAULT_PARALLELISM, mode, progress).await,
        None => MonitorCheck::default(),
    };
    let policies = super::policy::offline(desired);
    Validated {
        counts: (desired.gates.len(), desired.rule_count()),
        broken: super::policy::errors(&policies),
        policies,
        check,
    }
}

/// A folder found valid: its gates and rules, and its policies.
pub(crate) struct ValidFolder {
    pub(crate) folder: PathBuf,
    pub(crate) counts: (usize, usize),
    pub(crate) policies: usize,
}

/// Every folder valid, with what their policies break.
pub(crate) struct Folders {
    pub(crate) valid: Vec<ValidFolder>,
    pub(crate) found: Vec<ConfigDiagnostic>,
    pub(crate) broken: usize,
}

/// Each folder's files validated as a configuration of their own (its policies file part of
/// it, named or not): every problem of every folder at once, an invalid folder's and the
/// policies the valid ones break.
pub(crate) fn per_directory(paths: Vec<PathBuf>, format_in: Option<Format>) -> Result<Folders, Error> {
    let mut folders: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for path in paths {
        let folder = path.parent().map(Path::to_path_buf).unwrap_or_default();
        folders.entry(folder).or_default().push(path);
    }
    for (folder, files) in folders.iter_mut() {
        if !files.iter().any(|f| gatesctl_files::is_policies_file(f)) {
            let dir = if folder.as_os_str().is_empty() { Path::new(".") } else { folder.as_path() };
            if let Some(policies) = gatesctl_files::policies_file(dir)? {
                files.push(folder.join(policies.file_name().unwrap_or_default()));
            }
        }
    }
    let (mut invalid, mut out) = (Vec::new(), Folders { valid: Vec::new(), found: Vec::new(), broken: 0 });
    for (folder, files) in folders {
        match gatesctl_files::load_files(&files, format_in) {
            Ok(desired) => {
                let policies = super::policy::offline(&desired);
                out.broken += super::policy::errors(&policies);
                out.found.extend(gatesctl_core::policy::diagnostics(&policies));
                let counts = (desired.gates.len(), desired.rule_count());
                out.valid.push(ValidFolder { folder, counts, policies: desired.policies.len() });
            }
            Err(ConfigError::Invalid { diagnostics }) => invalid.extend(diagnostics),
            Err(other) => return Err(Error::Config(other)),
        }
    }
    if !invalid.is_empty() {
        invalid.extend(out.found);
        return Err(Error::Config(ConfigError::Invalid { diagnostics: invalid }));
    }
    Ok(out)
}
