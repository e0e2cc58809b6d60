//! The command line: one file per command; this one holds the shared flags and the
//! connection to the API or the built-in sandbox.

mod apply;
mod ci;
mod completions;
mod drift;
mod evaluate;
mod help;
mod import;
mod interrupt;
mod plan;
mod progress;
mod report;
mod sandbox;
mod schema;
mod show;
mod validate;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};

use crate::error::{Error, ExitStatus};
use crate::output::errln;
use crate::remote::{site, Client, Credentials};
use crate::render::Palette;
use crate::sandbox::{RunningSandbox, SandboxOptions};

/// `gatesctl --version`: the release, the target it was built for and the commit.
pub const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("GATESCTL_TARGET"), ", commit ", env!("GATESCTL_COMMIT"), ")");

/// Where `--sandbox` keeps its state, under the working directory.
const SANDBOX_STATE: &str = ".gatesctl/sandbox.db";
/// Where earlier versions kept it: imported once into a new state.
const LEGACY_SANDBOX_STATE: &str = ".gatesctl/sandbox.json";

#[derive(Debug, Parser)]
#[command(
    name = "gatesctl",
    version = VERSION,
    about = "Datadog Deployment Gates as code: validate, plan, apply",
    max_term_width = 100
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: GlobalArgs,
    /// The connection flags may also come before the command: `gatesctl --sandbox plan`.
    #[command(flatten)]
    connect: ConnectArgs,
}

#[derive(Debug, Args)]
struct GlobalArgs {
    /// When to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Trace HTTP requests on stderr (keys are redacted)
    #[arg(short, long, global = true)]
    verbose: bool,
}

/// Where the API is: the flags of the commands that call it.
#[derive(Debug, Args, Default)]
struct ConnectArgs {
    /// Run against a built-in local sandbox (state in .gatesctl/sandbox.db); no credentials needed
    #[arg(long, conflicts_with_all = ["site", "api_url"])]
    sandbox: bool,
    /// Datadog site, e.g. datadoghq.eu or eu [env: DATADOG_SITE, DD_SITE] [default: datadoghq.com]
    #[arg(long)]
    site: Option<String>,
    /// Full API base URL, for proxies or a sandbox [env: DD_API_URL, DD_HOST]
    #[arg(long)]
    api_url: Option<String>,
}

impl ConnectArgs {
    fn is_set(&self) -> bool {
        self.sandbox || self.site.is_some() || self.api_url.is_some()
    }

    /// These flags, completed by those given before the command.
    fn merged(&self, before: &ConnectArgs) -> Result<ConnectArgs, Error> {
        let merged = ConnectArgs {
            sandbox: self.sandbox || before.sandbox,
            site: self.site.clone().or_else(|| before.site.clone()),
            api_url: self.api_url.clone().or_else(|| before.api_url.clone()),
        };
        if merged.sandbox && (merged.site.is_some() || merged.api_url.is_some()) {
            return Err(Error::Usage(
                "--sandbox runs against the built-in sandbox: do not pass --site or --api-url with it".into(),
            ));
        }
        Ok(merged)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check configuration files offline and report every problem
    #[command(after_help = help::VALIDATE)]
    Validate(validate::ValidateArgs),
    /// Show what apply would change
    #[command(after_help = help::PLAN)]
    Plan(plan::PlanArgs),
    /// Make the remote gates match the configuration
    #[command(after_help = help::APPLY)]
    Apply(apply::ApplyArgs),
    /// Show a plan saved by `plan --out`, as text, JSON or Markdown
    #[command(after_help = help::SHOW)]
    Show(show::ShowArgs),
    /// Compare the remote gates with the files: exit 0 in sync, 2 on drift
    #[command(after_help = help::DRIFT)]
    Drift(drift::DriftArgs),
    /// Write the remote gates to a configuration file
    #[command(after_help = help::IMPORT)]
    Import(import::ImportArgs),
    /// Which dry-run gates and rules to promote, from their evaluation history
    #[command(after_help = help::REPORT)]
    Report(report::ReportArgs),
    /// Trigger a gate evaluation and wait for pass or fail (for deploy pipelines)
    #[command(after_help = help::EVALUATE)]
    Evaluate(evaluate::EvaluateArgs),
    /// `datadog-ci deployment gate ARGS` works as `gatesctl deployment gate ARGS`
    #[command(hide = true, subcommand)]
    Deployment(Deployment),
    /// Serve a local Datadog-compatible Deployment Gates API
    #[command(after_help = help::SANDBOX)]
    Sandbox(sandbox::SandboxArgs),
    /// Print a JSON Schema: of the configuration file, or of a JSON output
    #[command(after_help = help::SCHEMA)]
    Schema(schema::SchemaArgs),
    /// Print a completion script for a shell (see the README to enable it)
    Completions(completions::CompletionsArgs),
    /// Print the man page (roff): `gatesctl man > gatesctl.1`
    Man,
}

/// The commands of `datadog-ci deployment` that gatesctl takes over.
#[derive(Debug, Subcommand)]
enum Deployment {
    /// As `gatesctl evaluate`: a drop-in for `datadog-ci deployment gate`
    #[command(after_help = help::EVALUATE)]
    Gate(evaluate::EvaluateArgs),
}

/// The configuration files a command reads.
#[derive(Debug, Args)]
struct FileArgs {
    /// Configuration file (.toml, .yaml, .yml, or - for standard input); repeat for several. Default: gates.toml, gates.yaml or gates.yml
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    files: Vec<PathBuf>,
    /// The format of standard input (-f -) [default: sniffed from its first line]
    #[arg(long, value_enum, value_name = "FORMAT")]
    format_in: Option<crate::config::source::Format>,
}

impl FileArgs {
    /// The files to read: those given, or the default one found in the working directory.
    fn paths(&self) -> Result<Vec<PathBuf>, crate::config::ConfigError> {
        if !self.files.is_empty() {
            return Ok(self.files.clone());
        }
        let found = crate::config::resolve_paths(&[], Path::new("."))?;
        // Relative to the working directory, as a user would type them.
        Ok(found.into_iter().map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)).collect())
    }

    fn load(&self) -> Result<crate::config::DesiredState, Error> {
        self.load_with(&[])
    }

    /// The files given, and `more` (positional files, as pre-commit passes them).
    fn load_with(&self, more: &[PathBuf]) -> Result<crate::config::DesiredState, Error> {
        let paths = if more.is_empty() { self.paths()? } else { self.files.iter().chain(more).cloned().collect() };
        Ok(crate::config::load_files(&paths, self.format_in)?)
    }

    /// Whether standard input is one of the files.
    fn reads_stdin(&self) -> bool {
        self.files.iter().any(|f| crate::config::is_stdin(f))
    }
}

/// Flags shared by the commands that compute a plan.
#[derive(Debug, Args)]
struct PlanFlags {
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    connect: ConnectArgs,
    /// Only gates matching service/env[/identifier] (globs allowed); repeatable
    #[arg(long = "target", value_name = "SERVICE/ENV[/ID]", value_parser = crate::plan::Target::parse)]
    targets: Vec<crate::plan::Target>,
    /// Requests in flight at once
    #[arg(long, default_value_t = crate::remote::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    parallelism: usize,
}

impl GlobalArgs {
    fn color_enabled(&self, is_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    fn stdout_palette(&self) -> Palette {
        Palette { enabled: self.color_enabled(std::io::stdout().is_terminal()) }
    }

    fn stderr_color(&self) -> bool {
        self.color_enabled(std::io::stderr().is_terminal())
    }
}

/// `--parallelism`: at least one request in flight, and few enough to stay polite.
fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err("expected a whole number from 1 to 64".into()),
    }
}

/// Durations as `90s`, `15m`, `3h`, `250ms`, or plain seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e}; use e.g. 90s, 15m, 3h or a number of seconds"))
}

/// Creates the sandbox's state folder with a `.gitignore` of its own, so that `git add .` in a
/// repository never commits a sandbox's state; a folder that exists is left as it is.
pub(super) fn ignore_state_dir(state: &Path) -> Result<(), Error> {
    let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) else { return Ok(()) };
    if dir.exists() {
        return Ok(());
    }
    let fail = |e: std::io::Error| Error::Sandbox(format!("cannot create {}: {e}", dir.display()));
    std::fs::create_dir_all(dir).map_err(fail)?;
    let ignore = "# Made by gatesctl: the built-in sandbox's state, not for version control.\n*\n";
    std::fs::write(dir.join(".gitignore"), ignore).map_err(fail)
}

/// A client, and the sandbox it talks to when `--sandbox` is given (kept alive with it).
struct Connection {
    client: Client,
    /// Which API this is, for saved plans: a base URL, or the built-in sandbox.
    target: String,
    _sandbox: Option<RunningSandbox>,
}

impl Connection {
    fn is_sandbox(&self) -> bool {
        self._sandbox.is_some()
    }
}

/// What every command receives besides its own arguments.
struct Context<'a> {
    global: &'a GlobalArgs,
    /// Connection flags given before the command.
    connect: &'a ConnectArgs,
}

impl Context<'_> {
    fn stdout_palette(&self) -> Palette {
        self.global.stdout_palette()
    }

    fn stderr_color(&self) -> bool {
        self.global.stderr_color()
    }

    /// Connects as the command's flags (and those before it) say: to the built-in sandbox, or
    /// to the API with the keys of the environment.
    async fn connect(&self, flags: &ConnectArgs) -> Result<Connection, Error> {
        let flags = flags.merged(self.connect)?;
        let verbose = self.global.verbose;
        if flags.sandbox {
            ignore_state_dir(Path::new(SANDBOX_STATE))?;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| Error::Sandbox(format!("no loopback port: {e}")))?;
            let legacy = Path::new(LEGACY_SANDBOX_STATE);
            let legacy = legacy
                .is_file()
                .then(|| crate::sandbox::store::Store::load(legacy))
                .transpose()
                .map_err(Error::Sandbox)?;
            let options = SandboxOptions { database: Some(PathBuf::from(SANDBOX_STATE)), legacy, ..Default::default() };
            let sandbox = crate::sandbox::start(listener, options).await.map_err(Error::Sandbox)?;
            errln!("Using the built-in sandbox at {} (state in {SANDBOX_STATE}).", sandbox.url());
            let base = site::base_url(None, Some(&sandbox.url()))?;
            let client = Client::new(base, Credentials::new("sandbox-api-key", "sandbox-app-key"), verbose)?;
            let target = format!("the built-in sandbox ({SANDBOX_STATE})");
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
        let client = Client::new(base, Credentials::from_env()?, verbose)?;
        Ok(Connection { client, target, _sandbox: None })
    }
}

/// Parses the command line, runs the command, and returns the process exit code.
pub fn main() -> i32 {
    // Usage errors exit 1, not clap's 2: 2 means "changes" under --detailed-exitcode.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitStatus::Error.code() } else { ExitStatus::Success.code() };
        }
    };
    let color = cli.global.stderr_color();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitStatus::Error.code();
        }
    };
    runtime.spawn(interrupt::watch());
    let status = match runtime.block_on(run(cli)) {
        Ok(status) => status,
        Err(e) => {
            report(&e, color);
            e.exit_status()
        }
    };
    // Output nobody received is not success (`gatesctl plan | head -1` under pipefail).
    if crate::output::stdout_broken() && status != ExitStatus::Error {
        errln!("error: standard output was closed before gatesctl finished writing; the output is incomplete");
        return ExitStatus::Error.code();
    }
    status.code()
}

/// Prints an error to stderr: config problems as labelled source excerpts.
fn report(e: &Error, color: bool) {
    use crate::render::diagnostics;
    if let Error::Config(crate::config::ConfigError::Invalid { diagnostics: found }) = e {
        crate::output::err(&diagnostics::render(found, color, diagnostics::terminal_width()));
        ci::annotate(found);
    }
    errln!("error: {e}");
}

async fn run(cli: Cli) -> Result<ExitStatus, Error> {
    let ctx = Context { global: &cli.global, connect: &cli.connect };
    let offline = match &cli.command {
        Command::Validate(args) if !args.is_online() => Some("validate (without --online)"),
        Command::Show(_) => Some("show"),
        Command::Sandbox(_) => Some("sandbox"),
        Command::Schema(_) => Some("schema"),
        Command::Completions(_) => Some("completions"),
        Command::Man => Some("man"),
        _ => None,
    };
    if let (Some(command), true) = (offline, cli.connect.is_set()) {
        return Err(Error::Usage(format!(
            "--sandbox, --site and --api-url are for the commands that call the API (plan, apply, drift, import, report, evaluate, validate --online), not for {command}"
        )));
    }
    match &cli.command {
        Command::Validate(args) => validate::run(args, &ctx).await,
        Command::Plan(args) => plan::run(args, &ctx).await,
        Command::Apply(args) => apply::run(args, &ctx).await,
        Command::Show(args) => show::run(args, &ctx),
        Command::Drift(args) => drift::run(args, &ctx).await,
        Command::Import(args) => import::run(args, &ctx).await,
        Command::Report(args) => report::run(args, &ctx).await,
        Command::Evaluate(args) | Command::Deployment(Deployment::Gate(args)) => evaluate::run(args, &ctx).await,
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run(args, Cli::command()),
        Command::Man => completions::man(Cli::command()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
