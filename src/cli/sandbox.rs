use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::error::{Error, ExitStatus, Usage};
use crate::output::errln;
use gatesctl_sandbox::store::Store;
use gatesctl_sandbox::{EvalSettings, Faults, RateLimit, SandboxOptions};

/// Where `--sandbox` keeps its state, under the working directory.
const SANDBOX_STATE: &str = ".gatesctl/sandbox.db";
/// Where earlier versions kept the state: imported once into a new state.
const LEGACY_SANDBOX_STATE: &str = ".gatesctl/sandbox.json";

/// The built-in sandbox of `--sandbox`, running as long as the command's connection.
pub(super) type Running = gatesctl_sandbox::RunningSandbox;

/// Starts the built-in sandbox on an ephemeral loopback port, its state in `.gatesctl/`.
pub(super) async fn start_built_in() -> Result<(Running, String, &'static str), Error> {
    ignore_state_dir(std::path::Path::new(SANDBOX_STATE))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Error::Sandbox(gatesctl_sandbox::SandboxError::Listen(e)))?;
    let legacy = std::path::Path::new(LEGACY_SANDBOX_STATE);
    let legacy = legacy.is_file().then(|| Store::load(legacy)).transpose()?;
    let options = SandboxOptions { database: Some(PathBuf::from(SANDBOX_STATE)), legacy, ..Default::default() };
    let sandbox = gatesctl_sandbox::start(listener, options).await?;
    let url = sandbox.url();
    Ok((sandbox, url, SANDBOX_STATE))
}

/// Creates the sandbox's state folder with a `.gitignore` of its own, so that `git add .` in a
/// repository never commits a sandbox's state; a folder that exists is left as it is.
fn ignore_state_dir(state: &Path) -> Result<(), Error> {
    let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    if dir.exists() {
        return Ok(());
    }
    let fail = |source| Error::Sandbox(gatesctl_sandbox::SandboxError::Folder { path: dir.to_path_buf(), source });
    std::fs::create_dir_all(dir).map_err(fail)?;
    let ignore = "# Made by gatesctl: the built-in sandbox's state, not for version control.\n*\n";
    std::fs::write(dir.join(".gitignore"), ignore).map_err(fail)
}

#[derive(Debug, Args)]
pub(super) struct SandboxArgs {
    /// Loopback address to listen on (4283, "GATE" on a phone's keypad: no Datadog component
    /// listens there, unlike the Agent's 8126)
    #[arg(long, default_value = "127.0.0.1:4283")]
    listen: SocketAddr,
    /// SQLite file holding the state; several sandboxes may share one
    #[arg(long, default_value = SANDBOX_STATE)]
    state: PathBuf,
    /// Replace the state with this JSON state (as --export writes it) before serving
    #[arg(long, value_name = "FILE")]
    import: Option<PathBuf>,
    /// Write the state as JSON to FILE and exit, without serving
    #[arg(long, value_name = "FILE", conflicts_with = "import")]
    export: Option<PathBuf>,
    /// Polls of a new evaluation answered 404, as the service sometimes does right after a trigger
    #[arg(long, default_value_t = 0)]
    not_found_polls: u32,
    /// Polls of an evaluation answered in_progress before its result
    #[arg(long, default_value_t = 2)]
    pending_polls: u32,
    /// Rule name that always fails evaluation (repeatable)
    #[arg(long = "fail-rule", value_name = "NAME")]
    fail_rules: Vec<String>,
    /// Fault: latency added to every request, e.g. 20ms
    #[arg(long, value_parser = super::args::parse_duration, value_name = "DURATION")]
    latency: Option<Duration>,
    /// Fault: rate limit as REQUESTS/PERIOD, e.g. 100/10s (answers 429 with X-RateLimit-* headers)
    #[arg(long, value_parser = parse_rate_limit, value_name = "N/PERIOD")]
    rate_limit: Option<RateLimit>,
    /// Fault: every Nth mutating request answers 500 and changes nothing
    #[arg(long, value_name = "N")]
    fail_every: Option<u32>,
    /// Fault: every Nth create is committed, then the connection drops before the answer
    #[arg(long, value_name = "N")]
    drop_every_create: Option<u32>,
    /// Fault: every Nth evaluation poll fails, alternately with 503 and a dropped connection
    #[arg(long, value_name = "N")]
    flaky_polls: Option<u32>,
    /// Fault: drop empty lists from rule options, as the service did in 2025
    #[arg(long)]
    drop_empty_lists: bool,
    /// Replace the monitors (what monitor rules and the monitor search see) with those of a
    /// TOML file of [[monitors]] tables, kept in the state; a new state has the example
    /// organisation's (examples/monitors.toml)
    #[arg(long, value_name = "FILE")]
    monitors: Option<PathBuf>,
    /// Fault: the application key lacks monitors_read (the monitor search answers 403)
    #[arg(long)]
    no_monitors_read: bool,
    /// Fault: the application key lacks dora_metrics_read (the deployment and failure lists
    /// answer 403)
    #[arg(long)]
    no_dora_read: bool,
    /// Fault: the application key lacks apm_service_catalog_read (the Software Catalog and
    /// Scorecards answer 403)
    #[arg(long)]
    no_catalog_read: bool,
    /// Fault: the application key lacks apm_service_catalog_write (Scorecards refuse writes)
    #[arg(long)]
    no_catalog_write: bool,
}

fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    let (n, period) = s.split_once('/').ok_or("expected REQUESTS/PERIOD, e.g. 100/10s")?;
    let limit = n.trim().parse::<u32>().map_err(|_| format!("{n:?} is not a number of requests"))?;
    let period = super::args::parse_duration(period)?;
    if limit == 0 || period.is_zero() {
        return Err("both the number of requests and the period must be above zero".into());
    }
    Ok(RateLimit { limit, period })
}

impl SandboxArgs {
    /// The sandbox the flags ask for: its state, what it starts with, how it evaluates, and
    /// the faults it plays.
    fn options(&self) -> Result<SandboxOptions, Error> {
        let seed = match &self.import {
            Some(path) => Some(Store::load(path)?),
            None => None,
        };
        let monitors = match &self.monitors {
            Some(path) => Some(gatesctl_sandbox::monitors::load(path)?),
            None => None,
        };
        Ok(SandboxOptions {
            database: Some(self.state.clone()),
            seed,
            legacy: None,
            monitors,
            eval: EvalSettings {
                not_found_polls: self.not_found_polls,
                pending_polls: self.pending_polls,
                fail_rules: self.fail_rules.clone(),
            },
            faults: Faults {
                latency: self.latency.unwrap_or_default(),
                rate_limit: self.rate_limit,
                fail_every: self.fail_every,
                drop_every_create: self.drop_every_create,
                flaky_polls: self.flaky_polls,
                drop_empty_lists: self.drop_empty_lists,
                no_monitors_read: self.no_monitors_read,
                no_dora_read: self.no_dora_read,
                no_catalog_read: self.no_catalog_read,
                no_catalog_write: self.no_catalog_write,
            },
        })
    }
}

pub(super) async fn run(args: &SandboxArgs) -> Result<ExitStatus, Error> {
    if !args.listen.ip().is_loopback() {
        return Err(Usage::NotLoopback { listen: args.listen }.into());
    }
    let options = args.options()?;
    if args.state == std::path::Path::new(SANDBOX_STATE) {
        ignore_state_dir(&args.state)?;
    }
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|error| Usage::CannotListen { listen: args.listen, error })?;
    let sandbox = gatesctl_sandbox::start(listener, options).await?;
    if let Some(path) = &args.export {
        let store = sandbox.store().await;
        store.save(path).map_err(|source| Error::Write { path: path.clone(), source })?;
        let monitors = store.monitors.as_ref().map_or(0, Vec::len);
        errln!(
            "Exported {} gates and {monitors} monitors from {} to {}.",
            store.gates.len(),
            gatesctl_core::escape::path(&args.state),
            gatesctl_core::escape::path(path)
        );
        return Ok(ExitStatus::Success);
    }
    errln!("gatesctl sandbox listening on {} (state: {})", sandbox.url(), gatesctl_core::escape::path(&args.state));
    errln!("Try: DD_API_URL={} DD_API_KEY=x DD_APP_KEY=x gatesctl plan", sandbox.url());
    // Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, then exit. Every
    // write answered is already on disk.
    super::interrupt::graceful(true);
    super::interrupt::stop_requested().await;
    sandbox.shutdown().await;
    errln!("sandbox stopped");
    Ok(ExitStatus::Success)
}
