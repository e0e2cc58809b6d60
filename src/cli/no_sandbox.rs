//! A gatesctl built without its sandbox (`--no-default-features`): `--sandbox` says so.

use crate::error::Error;

/// Nothing runs: there is no sandbox to start.
pub(super) enum Running {}

pub(super) async fn start_built_in() -> Result<(Running, String, &'static str), Error> {
    Err(Error::NoSandbox)
}
