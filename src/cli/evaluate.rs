use std::io::IsTerminal;
use std::time::{Duration, Instant};

use clap::Args;

use super::progress::Progress;
use super::{ConnectArgs, Context, FileArgs};
use crate::error::{Error, ExitStatus};
use crate::model::{GateKey, Verdict, DEFAULT_IDENTIFIER};
use crate::ops::evaluate::{self, WaitEvent, WaitOptions};
use crate::output::{errln, out};
use crate::remote::wire::{self, EvaluationRequest};
use crate::render::{evaluation, Format};

#[derive(Debug, Args)]
pub(super) struct EvaluateArgs {
    /// The service being deployed
    #[arg(long)]
    service: String,
    /// The environment deployed to
    #[arg(long)]
    env: String,
    /// The gate's identifier [default: default]
    #[arg(long)]
    identifier: Option<String>,
    /// The version being deployed (required by faulty deployment detection rules)
    #[arg(long)]
    version: Option<String>,
    /// APM primary tag scoping faulty deployment detection, e.g. region:us-east-1
    #[arg(long = "apm-primary-tag", visible_alias = "primary-tag", value_name = "TAG")]
    primary_tag: Option<String>,
    /// Give up waiting after this long: plain seconds as datadog-ci reads them (10800), or 90s,
    /// 15m, 3h; 1s to 7 days
    #[arg(long, default_value = "10800", value_parser = parse_timeout)]
    timeout: Duration,
    /// Time between polls of the result: 10ms to 1h, at most the timeout [default: 15s, or the
    /// timeout when shorter, as datadog-ci polls]
    #[arg(long, value_parser = parse_interval)]
    interval: Option<Duration>,
    /// Exit 1 when no verdict can be had (timeout, API unavailable) instead of letting the deploy through
    #[arg(long)]
    fail_on_error: bool,
    /// Output format of the verdict
    #[arg(long, value_parser = Format::text_or_json(), default_value = "text")]
    format: Format,
    /// Evaluate the rules the file declares for this gate, sent inline, instead of the stored gate's
    #[arg(long, conflicts_with = "config")]
    jit: bool,
    /// Evaluate the rules of FILE, the JSON datadog-ci reads ({"dryRun": …, "rules": […]}), sent
    /// inline instead of the stored gate's
    #[arg(long, value_name = "FILE")]
    config: Option<std::path::PathBuf>,
    /// Exit 3, not 0 or 1, when no verdict could be had or the API refused the evaluation, so
    /// that a pipeline can tell "could not evaluate" from "the gate failed"
    #[arg(long)]
    detailed_exitcode: bool,
    /// Require FIPS-validated cryptography, as datadog-ci does [env: DATADOG_FIPS]; gatesctl's
    /// TLS (rustls with ring) is not FIPS-validated, so this is refused unless --fips-ignore-error
    #[arg(long)]
    fips: bool,
    /// With --fips: go ahead without FIPS-validated cryptography, with a warning [env:
    /// DATADOG_FIPS_IGNORE_ERROR]
    #[arg(long)]
    fips_ignore_error: bool,
    /// Accepted so that datadog-ci's argument lists run unchanged; it is hidden there too
    /// ("not available yet") and not part of the documented API, so it is not sent. Earlier
    /// datadog-ci releases named it --monitor-variable.
    #[arg(long, hide = true, alias = "monitor-variable", value_name = "VARIABLE")]
    monitors_query_variable: Option<String>,
    /// As datadog-ci's hidden flag: `json` prints the verdict as JSON (as --format json)
    #[arg(long, hide = true, env = "DD_LOG_FORMAT", value_name = "FORMAT", value_parser = ["text", "json"])]
    log_format: Option<String>,
    #[command(flatten)]
    files: FileArgs,
    #[command(flatten)]
    connect: ConnectArgs,
}

fn bounded(s: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let d = super::parse_duration(s)?;
    if d < min || d > max {
        return Err(format!(
            "{s} is out of range: give from {} to {}",
            humantime::format_duration(min),
            humantime::format_duration(max)
        ));
    }
    Ok(d)
}

fn parse_timeout(s: &str) -> Result<Duration, String> {
    bounded(s, Duration::from_secs(1), Duration::from_secs(7 * 24 * 3600))
}

/// An environment flag as datadog-ci reads it: `true` or `1`.
fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// What `--fips` means here: gatesctl cannot offer FIPS-validated cryptography, so it says so
/// and stops, unless told to go ahead anyway, as datadog-ci does when FIPS cannot be enabled.
fn check_fips(args: &EvaluateArgs) -> Result<(), Error> {
    if !(args.fips || env_flag("DATADOG_FIPS")) {
        return Ok(());
    }
    let statement = "FIPS mode was asked for, but gatesctl's TLS (rustls with the ring provider) is not a FIPS 140-validated module";
    if args.fips_ignore_error || env_flag("DATADOG_FIPS_IGNORE_ERROR") {
        errln!("warning: {statement}; going ahead without it (--fips-ignore-error)");
        return Ok(());
    }
    Err(Error::Usage(format!(
        "{statement}: use datadog-ci where FIPS is required, or pass --fips-ignore-error to go ahead without it"
    )))
}

/// datadog-ci's polling interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

fn parse_interval(s: &str) -> Result<Duration, String> {
    bounded(s, Duration::from_millis(10), Duration::from_secs(3600))
}

/// The inline configuration of `--jit`: the declared gate's rules in the API's shape.
fn jit_configuration(args: &EvaluateArgs, key: &GateKey) -> Result<serde_json::Value, Error> {
    let desired = args.files.load()?;
    let Some(gate) = desired.gates.get(key) else {
        let same_service: Vec<String> =
            desired.gates.keys().filter(|k| k.service == key.service).map(|k| k.to_string()).collect();
        let hint = if same_service.is_empty() {
            format!("no gate of service {:?} is declared", key.service)
        } else {
            format!("gates declared for {:?}: {}", key.service, same_service.join(", "))
        };
        return Err(Error::Usage(format!("--jit: gate {key} is not declared in the configuration ({hint})")));
    };
    let rules: Vec<serde_json::Value> = gate.rules.values().map(wire::rule_attributes).collect();
    Ok(serde_json::json!({"dry_run": gate.dry_run, "rules": rules}))
}

/// What a waiting user is told: the live status line on a terminal (its elapsed time ticks
/// every second), one line per event in CI.
fn show(progress: &Progress, started: Instant, event: &WaitEvent) {
    let text = match event {
        WaitEvent::Triggered { evaluation_id } => format!("evaluation {evaluation_id} triggered"),
        WaitEvent::NotReady => "waiting for the evaluation to start".to_string(),
        WaitEvent::InProgress { done, total } => format!("in progress: {done}/{total} rules completed"),
        WaitEvent::Retrying { error } => format!("transient error, retrying: {error}"),
    };
    if let WaitEvent::Retrying { .. } = event {
        // Kept in the log on a terminal too: the live line would overwrite it.
        let secs = started.elapsed().as_secs();
        errln!("[{:02}:{:02}:{:02}] {text}", secs / 3600, secs / 60 % 60, secs % 60);
    } else if progress.is_live() {
        progress.message(text);
    } else {
        let secs = started.elapsed().as_secs();
        progress.message(format!("[{:02}:{:02}:{:02}] {text}", secs / 3600, secs / 60 % 60, secs % 60));
    }
}

/// A flag given empty (`--version ""`, as a pipeline with an unset variable writes it) is left
/// out, as datadog-ci leaves it out.
fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

pub(super) async fn run(args: &EvaluateArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let identifier = given(&args.identifier);
    let key = GateKey::new(&args.service, &args.env, identifier.as_deref().unwrap_or(DEFAULT_IDENTIFIER));
    let format = if args.log_format.as_deref() == Some("json") { Format::Json } else { args.format };
    if !args.jit && !args.files.files.is_empty() {
        errln!("note: -f is read only with --jit; evaluating the gate as stored in Datadog");
    }
    check_fips(args)?;
    if args.monitors_query_variable.as_deref().is_some_and(|v| !v.is_empty()) {
        errln!("note: --monitors-query-variable is not part of the documented API; it is ignored");
    }
    let configuration = match (&args.config, args.jit) {
        (Some(path), _) => {
            let gate = crate::config::datadog_ci::read(path)?;
            let rules: Vec<serde_json::Value> = gate.rules.iter().map(wire::rule_attributes).collect();
            Some(serde_json::json!({"dry_run": gate.dry_run, "rules": rules}))
        }
        (None, true) => Some(jit_configuration(args, &key)?),
        (None, false) => None,
    };
    let interval = match args.interval {
        Some(interval) if interval > args.timeout => {
            return Err(Error::Usage(format!(
                "--interval {} is longer than --timeout {}: the result would never be polled; shorten the interval",
                humantime::format_duration(interval),
                humantime::format_duration(args.timeout)
            )))
        }
        Some(interval) => interval,
        None => DEFAULT_INTERVAL.min(args.timeout),
    };
    let request = EvaluationRequest {
        service: args.service.clone(),
        env: args.env.clone(),
        identifier,
        version: given(&args.version),
        primary_tag: given(&args.primary_tag),
        configuration,
    };
    let connection = ctx.connect(&args.connect).await?;
    let inline = if args.jit || args.config.is_some() { " (rules given inline, just in time)" } else { "" };
    errln!("Evaluating gate {key}{inline}…");
    let options = WaitOptions { timeout: args.timeout, interval };
    let started = Instant::now();
    let progress = Progress::status(std::io::stderr().is_terminal());
    let outcome = evaluate::evaluate(&connection.client, &request, options, |e| show(&progress, started, &e)).await;
    drop(progress);

    if outcome.verdict == Verdict::Error {
        if format == Format::Json {
            out(&evaluation::render_json(&outcome));
        }
        let reason = outcome.reason.as_deref().unwrap_or("refused");
        errln!("error: the gate cannot be evaluated: {reason}");
        return Ok(if args.detailed_exitcode { ExitStatus::Unavailable } else { ExitStatus::Failure });
    }
    match format {
        Format::Json => out(&evaluation::render_json(&outcome)),
        _ => out(&evaluation::render_text(&outcome, ctx.stdout_palette())),
    }
    Ok(match outcome.verdict {
        Verdict::Pass => ExitStatus::Success,
        Verdict::Fail | Verdict::Error => ExitStatus::Failure,
        Verdict::Unavailable if args.detailed_exitcode => ExitStatus::Unavailable,
        Verdict::Unavailable if args.fail_on_error => ExitStatus::Failure,
        Verdict::Unavailable => {
            errln!("WARNING: gate {key} was SKIPPED: {}", outcome.reason.as_deref().unwrap_or("no verdict"));
            errln!(
                "WARNING: the deployment goes ahead unchecked (fail-open). Pass --fail-on-error to block it instead."
            );
            ExitStatus::Success
        }
    })
}
