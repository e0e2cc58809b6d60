//! What every command shares: the global flags, where the API is (the built-in sandbox or
//! Datadog, with the keys of the environment), the files read, and the flags of the commands
//! that compute a plan.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::Error;
use crate::output::errln;
use crate::views::Palette;
use gatesctl_client::{site, Client, Credentials};

#[derive(Debug, Args)]
pub(super) struct GlobalArgs {
    /// When to colour output
    // Listed last in every command's help, after the command's own flags.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, display_order = 900)]
    pub(super) color: ColorChoice,
    /// Trace HTTP requests on stderr (keys are redacted)
    #[arg(short, long, global = true, display_order = 901)]
    pub(super) verbose: bool,
    /// When to also print file problems as GitHub annotations (auto: under GitHub Actions)
    #[arg(long, global = true, value_enum, default_value_t = super::ci::Annotations::Auto, display_order = 902)]
    pub(super) annotations: super::ci::Annotations,
}

/// Where the API is: the flags of the commands that call it.
#[derive(Debug, Args, Default)]
pub(super) struct ConnectArgs {
    /// Run against a built-in local sandbox (state in .gatesctl/sandbox.db); no credentials needed
    #[arg(long, conflicts_with_all = ["site", "api_url"])]
    pub(super) sandbox: bool,
    /// Datadog site, e.g. datadoghq.eu or eu [env: DATADOG_SITE, DD_SITE] [default: datadoghq.com]
    #[arg(long)]
    pub(super) site: Option<String>,
    /// Full API base URL, for proxies or a sandbox [env: DD_API_URL, DD_HOST]
    #[arg(long)]
    pub(super) api_url: Option<String>,
}

impl ConnectArgs {
    pub(super) fn is_set(&self) -> bool {
        self.sandbox || self.site.is_some() || self.api_url.is_some()
    }

    /// These flags, completed by those given before the command.
    pub(super) fn merged(&self, before: &ConnectArgs) -> Result<ConnectArgs, Error> {
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
pub(super) enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// The configuration files a command reads.
#[derive(Debug, Args)]
pub(super) struct FileArgs {
    /// Configuration file (.toml, .yaml, .yml, or - for standard input); repeat for several.
    /// Default: gates.toml, gates.yaml or gates.yml, and policies.toml (.yaml, .yml) beside it
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub(super) files: Vec<PathBuf>,
    /// The format of standard input (-f -) [default: sniffed from its first line]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(super) format_in: Option<FileFormat>,
}

impl FileArgs {
    /// The files to read: those given, or the default one found in the working directory.
    pub(super) fn paths(&self) -> Result<Vec<PathBuf>, gatesctl_files::ConfigError> {
        if !self.files.is_empty() {
            return Ok(self.files.clone());
        }
        let found = gatesctl_files::resolve_paths(&[], Path::new("."))?;
        // Relative to the working directory, as a user would type them.
        Ok(found.into_iter().map(|p| p.strip_prefix(".").map(Path::to_path_buf).unwrap_or(p)).collect())
    }

    pub(super) fn load(&self) -> Result<gatesctl_files::DesiredState, Error> {
        self.load_with(&[])
    }

    /// The files given, and `more` (positional files, as pre-commit passes them).
    pub(super) fn load_with(&self, more: &[PathBuf]) -> Result<gatesctl_files::DesiredState, Error> {
        let paths = if more.is_empty() { self.paths()? } else { self.files.iter().chain(more).cloned().collect() };
        if self.format_in.is_some() && !paths.iter().any(|p| gatesctl_files::is_stdin(p)) {
            return Err(Error::Usage(
                "--format-in is the format of standard input (-f -); a named file's format comes from its extension (.toml, .yaml, .yml)".into(),
            ));
        }
        let desired = gatesctl_files::load_files(&paths, self.format_in.map(FileFormat::into))?;
        crate::output::release_freed_memory();
        Ok(desired)
    }

    /// Whether standard input is one of the files.
    pub(super) fn reads_stdin(&self) -> bool {
        self.files.iter().any(|f| gatesctl_files::is_stdin(f))
    }
}

/// Flags shared by the commands that compute a plan.
#[derive(Debug, Args)]
pub(super) struct PlanFlags {
    #[command(flatten)]
    pub(super) files: FileArgs,
    #[command(flatten)]
    pub(super) connect: ConnectArgs,
    /// Only gates matching service/env[/identifier] (globs allowed); repeatable
    #[arg(long = "target", value_name = "SERVICE/ENV[/ID]", value_parser = gatesctl_core::plan::Target::parse)]
    pub(super) targets: Vec<gatesctl_core::plan::Target>,
    /// Requests in flight at once
    #[arg(long, default_value_t = gatesctl_client::DEFAULT_PARALLELISM, value_parser = parse_parallelism)]
    pub(super) parallelism: usize,
}

impl GlobalArgs {
    pub(super) fn color_enabled(&self, is_terminal: bool) -> bool {
        match self.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    pub(super) fn stdout_palette(&self) -> Palette {
        Palette { enabled: self.color_enabled(std::io::stdout().is_terminal()) }
    }

    pub(super) fn stderr_color(&self) -> bool {
        self.color_enabled(std::io::stderr().is_terminal())
    }
}

/// `--parallelism`: at least one request in flight, and few enough to stay polite.
pub(super) fn parse_parallelism(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=64).contains(&n) => Ok(n),
        _ => Err("expected a whole number from 1 to 64".into()),
    }
}

/// Durations as `90s`, `15m`, `3h`, `250ms`, or plain seconds.
pub(super) fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e}; use e.g. 90s, 15m, 3h or a number of seconds"))
}

/// How far back `report` and `coverage` look: a duration with its unit ("14d", "36h"), at
/// least a minute. A bare number is refused (is "14" seconds or days?), and so is a window
/// shorter than a minute, whose evaluations could not make a day of evidence anyway.
pub(super) fn parse_since(s: &str) -> Result<std::time::Duration, String> {
    let ms = gatesctl_core::model::time::parse_duration_ms(s)?;
    if ms < 60_000 {
        return Err(format!("{:?} is shorter than a minute; look back at least 1m (14d by default)", s.trim()));
    }
    Ok(std::time::Duration::from_millis(ms as u64))
}

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

/// A gate file's format, as `--format-in` and `import --format` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum FileFormat {
    Toml,
    Yaml,
}

impl From<FileFormat> for gatesctl_files::source::Format {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Toml => gatesctl_files::source::Format::Toml,
            FileFormat::Yaml => gatesctl_files::source::Format::Yaml,
        }
    }
}

impl From<FileFormat> for gatesctl_files::import::FileFormat {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Toml => gatesctl_files::import::FileFormat::Toml,
            FileFormat::Yaml => gatesctl_files::import::FileFormat::Yaml,
        }
    }
}

/// The client's traces and notes, through the binary's stderr: past a progress display, never
/// failing on a closed pipe.
fn to_stderr() -> gatesctl_client::Say {
    std::sync::Arc::new(|line: &str| crate::output::err(line))
}
