//! The command line: one file per command; this one holds the shared flags and the
//! connection to the API or the built-in sandbox.

mod apply;
mod args;
mod audit;
mod ci;
mod completions;
mod context;
mod coverage;
mod drift;
mod evaluate;
mod fmt;
mod help;
mod import;
mod interrupt;
mod man;
mod plan;
mod progress;
mod report;
#[cfg(feature = "sandbox")]
mod sandbox;
#[cfg(not(feature = "sandbox"))]
#[path = "no_sandbox.rs"]
mod sandbox;
mod schema;
mod show;
mod validate;

use clap::{CommandFactory, Parser, Subcommand};

use crate::error::{Error, ExitStatus, Usage};
use crate::output::errln;
use args::{ConnectArgs, GlobalArgs};
use context::Context;

/// `gatesctl --version`: the release, the target it was built for and the commit.
pub(crate) const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (", env!("GATESCTL_TARGET"), ", commit ", env!("GATESCTL_COMMIT"), ")");

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

#[derive(Debug, Subcommand)]
enum Command {
    /// Check configuration files offline and report every problem
    #[command(after_help = help::VALIDATE)]
    Validate(validate::ValidateArgs),
    /// Rewrite configuration files in the one canonical layout, keeping comments
    #[command(after_help = help::FMT)]
    Fmt(fmt::FmtArgs),
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
    /// Which deployments went through no gate, from the deployments Datadog records (DORA)
    #[command(after_help = help::COVERAGE)]
    Coverage(coverage::CoverageArgs),
    /// Judge the files' policies against what runs and deployed; publish them to Scorecards
    #[command(after_help = help::AUDIT)]
    Audit(audit::AuditArgs),
    /// Trigger a gate evaluation and wait for pass or fail (for deploy pipelines)
    #[command(after_help = help::EVALUATE)]
    Evaluate(evaluate::EvaluateArgs),
    /// `datadog-ci deployment gate ARGS` works as `gatesctl deployment gate ARGS`
    #[command(hide = true, subcommand)]
    Deployment(Deployment),
    /// Serve a local Datadog-compatible Deployment Gates API
    #[command(after_help = help::SANDBOX)]
    #[cfg(feature = "sandbox")]
    Sandbox(sandbox::SandboxArgs),
    /// Print a JSON Schema: of the configuration file, or of a JSON output
    #[command(after_help = help::SCHEMA)]
    Schema(schema::SchemaArgs),
    /// Print a completion script for a shell (docs/install.md shows where it goes)
    #[command(after_help = help::COMPLETIONS)]
    Completions(completions::CompletionsArgs),
    /// Print a man page (roff): gatesctl(1), or a command's (`gatesctl man plan`)
    #[command(after_help = help::MAN)]
    Man(man::ManArgs),
}

/// The commands of `datadog-ci deployment` that gatesctl takes over.
#[derive(Debug, Subcommand)]
enum Deployment {
    /// As `gatesctl evaluate`: a drop-in for `datadog-ci deployment gate`
    #[command(after_help = help::EVALUATE)]
    Gate(evaluate::EvaluateArgs),
}

/// The global flags each command has but does not act on: hidden from its help (and refused
/// nowhere, so a habit such as `gatesctl -v fmt` still runs). `-v` traces the API's requests,
/// `--annotations` annotates problems of the files, `--color` colours what a person reads.
const INERT: [(&str, &[&str]); 6] = [
    ("fmt", &["verbose", "annotations"]),
    ("show", &["verbose", "annotations"]),
    ("schema", &["verbose", "annotations", "color"]),
    ("completions", &["verbose", "annotations", "color"]),
    ("man", &["verbose", "annotations", "color"]),
    ("sandbox", &["verbose", "annotations", "color"]),
];

/// The command line: clap's, with each command's help showing only the global flags that act
/// on it. Built once here for parsing, help, man pages and completions alike.
fn command() -> clap::Command {
    let mut command = Cli::command();
    for (name, inert) in INERT {
        if command.find_subcommand(name).is_none() {
            continue;
        }
        // A hidden copy of the global flag, which clap then does not propagate over.
        let copies: Vec<clap::Arg> = command
            .get_arguments()
            .filter(|a| inert.contains(&a.get_id().as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        command = command.mut_subcommand(name, |sub| sub.args(copies));
    }
    command
}

/// The commands that call the API (and so take --sandbox, --site and --api-url).
const CALLS_THE_API: &str = "plan, apply, drift, import, report, coverage, audit, evaluate, validate --online";

/// `gatesctl fmt --sandbox`: a connection flag after a command that does not call the API
/// gets clap's "to pass it as a value" tip; say what the flag is for instead.
fn misplaced_connection_flag(root: &clap::Command, args: &[String]) -> Option<String> {
    let command = args.iter().find_map(|a| root.find_subcommand(a))?;
    let flag = args.iter().find_map(|a| {
        let name = a.strip_prefix("--")?.split('=').next()?;
        ["sandbox", "site", "api-url"].contains(&name).then_some(name)
    })?;
    let takes = command.get_arguments().any(|a| a.get_long() == Some(flag));
    (!takes).then(|| {
        format!("--{flag} is for the commands that call the API ({CALLS_THE_API}), not for {}", command.get_name())
    })
}

/// Parses the command line, runs the command, and returns the process exit code.
pub fn main() -> i32 {
    use clap::FromArgMatches;
    // Usage errors exit 1, not clap's 2: 2 means "changes" under --detailed-exitcode.
    let cli = match command().try_get_matches().and_then(|m| Cli::from_arg_matches(&m)) {
        Ok(cli) => cli,
        Err(e) => {
            let args: Vec<String> = std::env::args().skip(1).collect();
            let advice =
                || single_dash_habit(&Cli::command(), &args).or_else(|| misplaced_connection_flag(&command(), &args));
            if let Some(advice) = e.use_stderr().then(advice).flatten() {
                errln!("error: {advice}");
                return ExitStatus::Error.code();
            }
            let _ = e.print();
            return if e.use_stderr() { ExitStatus::Error.code() } else { ExitStatus::Success.code() };
        }
    };
    let color = cli.global.stderr_color();
    ci::set_annotations(cli.global.annotations);
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

/// The first few items an answer held that could not be read, named on stderr: they are
/// left out of what is counted, and the output says how many.
fn warn_unreadable(items: &[gatesctl_client::Unreadable], what: &str) {
    for item in items.iter().take(5) {
        crate::output::errln!(
            "warning: {what} {} could not be read and is not counted: {}",
            gatesctl_core::escape::quoted(&item.id),
            gatesctl_core::escape::terminal(&item.why)
        );
    }
}

/// Terraform's flags take one dash (`-auto-approve`, `-detailed-exitcode`, `-out=plan`), and
/// clap reads `-a…` as short flags: when an argument is one dash before the name of a long
/// flag the command has, say so with the flag to use.
fn single_dash_habit(root: &clap::Command, args: &[String]) -> Option<String> {
    let mut command = root;
    for arg in args {
        if let Some(sub) = command.find_subcommand(arg) {
            command = sub;
            continue;
        }
        let Some(word) = arg.strip_prefix('-').filter(|w| !w.starts_with('-') && w.len() > 1) else { continue };
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (word, None),
        };
        let known = command
            .get_arguments()
            .chain(root.get_arguments().filter(|a| a.is_global_set()))
            .any(|a| a.get_long() == Some(name));
        if known {
            let flag = match value {
                Some(value) => format!("--{name} {value}"),
                None => format!("--{name}"),
            };
            return Some(format!(
                "unexpected argument '{}': gatesctl's long flags take two dashes, as `{flag}` (Terraform's one-dash spelling is not read)",
                gatesctl_core::escape::terminal(arg)
            ));
        }
    }
    None
}

/// Prints an error to stderr: config problems as labelled source excerpts.
fn report(e: &Error, color: bool) {
    use crate::views::validate as diagnostics;
    if let Error::Config(gatesctl_files::ConfigError::Invalid { diagnostics: found }) = e {
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
        Command::Fmt(_) => Some("fmt"),
        #[cfg(feature = "sandbox")]
        Command::Sandbox(_) => Some("sandbox"),
        Command::Schema(_) => Some("schema"),
        Command::Completions(_) => Some("completions"),
        Command::Man(_) => Some("man"),
        _ => None,
    };
    if let (Some(command), true) = (offline, cli.connect.is_set()) {
        return Err(Usage::Offline { command, calls_the_api: CALLS_THE_API }.into());
    }
    match &cli.command {
        Command::Validate(args) => validate::run(args, &ctx).await,
        Command::Plan(args) => plan::run(args, &ctx).await,
        Command::Apply(args) => apply::run(args, &ctx).await,
        Command::Show(args) => show::run(args, &ctx),
        Command::Fmt(args) => fmt::run(args, &ctx),
        Command::Drift(args) => drift::run(args, &ctx).await,
        Command::Import(args) => import::run(args, &ctx).await,
        Command::Report(args) => report::run(args, &ctx).await,
        Command::Coverage(args) => coverage::run(args, &ctx).await,
        Command::Audit(args) => audit::run(args, &ctx).await,
        Command::Evaluate(args) | Command::Deployment(Deployment::Gate(args)) => evaluate::run(args, &ctx).await,
        #[cfg(feature = "sandbox")]
        Command::Sandbox(args) => sandbox::run(args).await,
        Command::Schema(args) => schema::run(args),
        Command::Completions(args) => completions::run(args, command()),
        Command::Man(args) => man::man(args, command()),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        super::Cli::command().debug_assert();
        super::command().debug_assert();
    }

    #[test]
    fn a_connection_flag_after_an_offline_command_says_what_it_is_for() {
        let advice = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            super::misplaced_connection_flag(&super::command(), &args)
        };
        assert!(advice(&["fmt", "--sandbox"]).unwrap().contains("not for fmt"));
        assert!(advice(&["schema", "--api-url=http://x"]).unwrap().contains("--api-url is for the commands"));
        assert_eq!(advice(&["plan", "--sandbox"]), None, "plan takes it");
    }

    #[test]
    fn terraform_habits_get_the_double_dash_flag() {
        let advice = |args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            super::single_dash_habit(&super::Cli::command(), &args)
        };
        assert!(advice(&["apply", "-auto-approve"]).unwrap().contains("as `--auto-approve`"));
        assert!(advice(&["plan", "-detailed-exitcode"]).unwrap().contains("as `--detailed-exitcode`"));
        assert!(advice(&["plan", "-out=plan.json"]).unwrap().contains("as `--out plan.json`"));
        assert!(advice(&["plan", "-color=never"]).unwrap().contains("as `--color never`"), "global flags too");
        assert_eq!(advice(&["plan", "-f", "gates.toml"]), None);
        assert_eq!(advice(&["plan", "-nonsense"]), None);
    }
}
