use std::io::IsTerminal;
use std::time::Duration;

use clap::Args;

mod request;

use super::args::{ConnectArgs, FileArgs};
use super::context::Context;
use super::progress::Reporter;
use crate::error::{Error, ExitStatus};
use crate::ops::evaluate;
use crate::output::{errln, out};
use crate::views::{evaluate as evaluation, Format};
use gatesctl_core::evaluate::{decide, Policy};
use gatesctl_core::model::Verdict;

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
    let d = super::args::parse_duration(s)?;
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

fn parse_interval(s: &str) -> Result<Duration, String> {
    bounded(s, Duration::from_millis(10), Duration::from_secs(3600))
}

pub(super) async fn run(args: &EvaluateArgs, ctx: &Context<'_>) -> Result<ExitStatus, Error> {
    let format = if args.log_format.as_deref() == Some("json") { Format::Json } else { args.format };
    let asked = args.asked()?;
    for note in &asked.notes {
        errln!("{note}");
    }
    let connection = ctx.connect(&args.connect).await?;
    let inline = if asked.request.configuration.is_some() { " (rules given inline, just in time)" } else { "" };
    errln!("Evaluating gate {}{inline}…", asked.gate);
    let mut outcome = {
        let progress = Reporter::new(std::io::stderr().is_terminal());
        evaluate::run(&connection.client, &asked.request, asked.wait, &progress).await
    };
    // The built-in sandbox stops with the command: a link to it would lead nowhere.
    if connection.is_sandbox() {
        outcome.url = None;
    }
    let policy = Policy { detailed_exitcode: args.detailed_exitcode, fail_on_error: args.fail_on_error };
    let (status, said) = decide(&outcome, policy);
    match format {
        Format::Json => out(&evaluation::render_json(&outcome)),
        // A refusal is no verdict to show: its reason is said below.
        _ if outcome.verdict == Verdict::Error => {}
        _ => out(&evaluation::render_text(&outcome, ctx.stdout_palette())),
    }
    for line in said {
        errln!("{line}");
    }
    Ok(status)
}
