//! The flags several commands share, as groups each command flattens into its own: the global
//! ones, where the API is, the files read, a plan's, the monitor check's and a Markdown
//! document's; and the parsers of their values.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::{Error, Usage};
use crate::ops;
use crate::output::{errln, out};
use crate::views::{markdown, plan as plan_view, Palette};
use gatesctl_core::monitor_check::MonitorCheck;
use gatesctl_core::plan::PlanOptions;
use gatesctl_files::DesiredState;

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
            return Err(Usage::SandboxWithSite.into());
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

    /// The files given, and `more` (positional files, as pre-commit passes them); or the
    /// default ones. `--format-in` needs standard input among them.
    pub(super) fn paths_with(&self, more: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
        let paths = if more.is_empty() { self.paths()? } else { self.files.iter().chain(more).cloned().collect() };
        if self.format_in.is_some() && !paths.iter().any(|p| gatesctl_files::is_stdin(p)) {
            return Err(Usage::FormatInWithoutStdin.into());
        }
        Ok(paths)
    }

    /// The files given, and `more` (positional files, as pre-commit passes them).
    pub(super) fn load_with(&self, more: &[PathBuf]) -> Result<gatesctl_files::DesiredState, Error> {
        let paths = self.paths_with(more)?;
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

impl PlanFlags {
    /// The plan's options, checked before any request: `--prune` needs a `[manage]` scope, and
    /// without it each `--target` must match a declared gate (with it, a target may match
    /// only remote gates, to delete them: checked once they are read).
    pub(super) fn options(&self, desired: &DesiredState, prune: bool) -> Result<PlanOptions, Error> {
        if prune && desired.scope.is_empty() {
            return Err(Usage::PruneWithoutManage.into());
        }
        match gatesctl_core::plan::unmatched_target(&self.targets, desired.gates.keys()) {
            Some(unmatched) if !prune => Err(Error::UnmatchedTarget(unmatched)),
            _ => Ok(PlanOptions { prune, targets: self.targets.clone() }),
        }
    }
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

/// The window `since` long ending now (now included: `to` is exclusive), within the 30 days
/// the API serves: what report, coverage and audit read.
pub(super) fn window(since: std::time::Duration) -> Result<gatesctl_core::model::time::Window, Error> {
    let since_ms = i64::try_from(since.as_millis()).unwrap_or(i64::MAX);
    if since_ms > gatesctl_client::MAX_WINDOW_MS {
        // In the largest unit that holds it whole, as it was most likely typed (humantime
        // counts months of 30.44 days: "1month 14days 13h 26m 24s" for 45d).
        return Err(Usage::SinceTooLong(match since.as_secs() {
            s if s % 86_400 == 0 => format!("{}d", s / 86_400),
            s if s % 3_600 == 0 => format!("{}h", s / 3_600),
            s if s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        })
        .into());
    }
    // An evaluation that started in this very millisecond is in the window.
    let to_ms = gatesctl_core::model::time::now_ms() + 1;
    Ok(gatesctl_core::model::time::Window { from_ms: to_ms - since_ms, to_ms })
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

/// How a Markdown plan fits a pull-request comment.
#[derive(Debug, Args)]
pub(super) struct MarkdownArgs {
    /// With --format markdown: the longest comment, in characters (GitHub refuses more than 65536);
    /// a longer plan keeps its summary and points to the full plan
    #[arg(long, value_name = "CHARS", default_value_t = markdown::DEFAULT_MAX_CHARS, value_parser = parse_comment_limit)]
    comment_limit: usize,
    /// With --format markdown: where a capped comment points for the full plan [default: the
    /// GitHub Actions run, from GITHUB_SERVER_URL, GITHUB_REPOSITORY and GITHUB_RUN_ID]
    #[arg(long, value_name = "URL")]
    details_url: Option<String>,
}

pub(super) fn parse_comment_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1000..=1_000_000).contains(&n) => Ok(n),
        _ => Err("expected a number of characters from 1000 to 1000000".into()),
    }
}

impl MarkdownArgs {
    pub(super) fn options(&self, saved: Option<&std::path::Path>) -> plan_view::MarkdownOptions {
        plan_view::MarkdownOptions::for_run(self.comment_limit, self.details_url.clone(), saved)
    }
}

/// The check of monitor queries that `plan` and `validate --online` make.
#[derive(Debug, Args)]
pub(super) struct MonitorCheckArgs {
    /// Do not search the monitors of each monitor rule's query (see --strict)
    #[arg(long)]
    pub(super) no_monitor_check: bool,
    /// Exit 1 when the monitor check finds a problem: a query matching no monitor (the rule
    /// watches nothing) or more than 50 (it fails every evaluation), a monitor or group of
    /// monitor_ids that does not exist; without it these are warnings
    #[arg(long, conflicts_with = "no_monitor_check")]
    pub(super) strict: bool,
}

impl MonitorCheckArgs {
    pub(super) fn mode(&self) -> ops::monitors::Mode {
        match (self.no_monitor_check, self.strict) {
            (true, _) => ops::monitors::Mode::Off,
            (false, false) => ops::monitors::Mode::Warn,
            (false, true) => ops::monitors::Mode::Strict,
        }
    }
}

/// Where the monitor check's findings go: with a text plan, into it (`plan > plan.txt` keeps
/// them); otherwise to stderr.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Findings {
    Stdout,
    Stderr,
}

/// What the monitor check found, where `to` says; its warnings on stderr, and its findings as
/// annotations too under GitHub Actions.
pub(super) fn report_check(check: &MonitorCheck, color: bool, sandbox: bool, to: Findings) {
    let shown = crate::views::monitor_check::render(check, color, sandbox);
    let text =
        if to == Findings::Stdout && !check.diagnostics.is_empty() { format!("\n{}", shown.text) } else { shown.text };
    match to {
        Findings::Stdout => out(&text),
        Findings::Stderr => crate::output::err(&text),
    }
    super::ci::annotate(&check.diagnostics);
    for warning in shown.warnings {
        errln!("{warning}");
    }
}
