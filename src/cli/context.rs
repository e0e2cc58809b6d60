//! What every command receives besides its own flags: the global flags, and the connection
//! to the API (the built-in sandbox, or Datadog with the keys of the environment) its
//! connection flags ask for.

use super::args::{ConnectArgs, GlobalArgs};
use crate::error::Error;
use crate::output::errln;
use crate::views::Palette;
use gatesctl_client::{site, Client, Credentials};

/// A client, and the sandbox it talks to when `--sandbox` is given (kept alive with it).
pub(super) struct Connection {
    pub(super) client: Client,
    /// Which API this is, for saved plans: a base URL, or the built-in sandbox.
    pub(super) target: String,
    pub(super) _sandbox: Option<super::sandbox::Running>,
}

impl Connection {
    pub(super) fn is_sandbox(&self) -> bool {
        self._sandbox.is_some()
    }
}

/// What every command receives besides its own arguments.
pub(super) struct Context<'a> {
    pub(super) global: &'a GlobalArgs,
    /// Connection flags given before the command.
    pub(super) connect: &'a ConnectArgs,
}

impl Context<'_> {
    pub(super) fn stdout_palette(&self) -> Palette {
        self.global.stdout_palette()
    }

    pub(super) fn stderr_color(&self) -> bool {
        self.global.stderr_color()
    }

    /// Connects as the command's flags (and those before it) say: to the built-in sandbox, or
    /// to the API with the keys of the environment.
    pub(super) async fn connect(&self, flags: &ConnectArgs) -> Result<Connection, Error> {
        let flags = flags.merged(self.connect)?;
        let verbose = self.global.verbose;
        if flags.sandbox {
            let (sandbox, url, state) = super::sandbox::start_built_in().await?;
            errln!("Using the built-in sandbox at {url} (state in {state}).");
            let base = site::base_url(None, Some(&url))?;
            let client =
                Client::new(base, Credentials::new("sandbox-api-key", "sandbox-app-key"), verbose)?.saying(to_stderr());
            let target = format!("the built-in sandbox ({state})");
            return Ok(Connection { client, target, _sandbox: Some(sandbox) });
        }
        // As datadog-ci reads them: DATADOG_* first.
        let env = |names: &[&str]| names.iter().find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()));
        let api_url = flags.api_url.clone().or_else(|| env(&["DD_API_URL", "DD_HOST"]));
        let site = flags.site.clone().or_else(|| env(&["DATADOG_SITE", "DD_SITE"]));
        let base = site::base_url(site.as_deref(), api_url.as_deref())?;
        if let Some(warning) = site::site_warning(site.as_deref(), api_url.as_deref()) {
            errln!("warning: {warning}");
        }
        // Saved plans and `import` store it: never with a proxy's password.
        let target = site::redacted(&base);
        let client = Client::new(base, Credentials::from_env()?, verbose)?.saying(to_stderr());
        Ok(Connection { client, target, _sandbox: None })
    }
}

/// The client's traces and notes, through the binary's stderr: past a progress display, never
/// failing on a closed pipe.
fn to_stderr() -> gatesctl_client::Say {
    std::sync::Arc::new(|line: &str| crate::output::err(line))
}
