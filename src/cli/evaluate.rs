use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};

use super::{FileArgs, GlobalArgs};
use crate::error::{exit, CliError};
use crate::evaluate::{self, Outcome, Progress, Verdict, WaitOptions};
use crate::model::{GateKey, DEFAULT_IDENTIFIER};
use crate::remote::wire::EvaluationRequest;
use crate::render::Palette;

#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The service being deployed
    #[arg(long)]
    pub service: String,
    /// The environment deployed to
    #[arg(long)]
    pub env: String,
    /// The gate's identifier
    #[arg(long, default_value = DEFAULT_IDENTIFIER)]
    pub identifier: String,
    /// The version being deployed (required by faulty deployment detection rules)
    #[arg(long)]
    pub version: Option<String>,
    /// APM primary tag scoping faulty deployment detection, e.g. region:us-east-1
    #[arg(long, alias = "apm-primary-tag")]
    pub primary_tag: Option<String>,
    /// Give up waiting after this long (90s, 15m, 3h or seconds)
    #[arg(long, default_value = "3h", value_parser = super::parse_duration)]
    pub timeout: Duration,
    /// Time between polls of the result
    #[arg(long, default_value = "15s", value_parser = super::parse_duration)]
    pub interval: Duration,
    /// Exit 1 when no verdict can be had (timeout, API unavailable) instead of letting the deploy through
    #[arg(long)]
    pub fail_on_error: bool,
    /// Output format of the verdict
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Evaluate the rules the file declares for this gate, sent inline, instead of the stored gate's
    #[arg(long)]
    pub jit: bool,
    #[command(flatten)]
    pub files: FileArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// The inline configuration of `--jit`: the declared gate's rules in the API's shape.
fn jit_configuration(args: &EvaluateArgs, key: &GateKey) -> Result<serde_json::Value, CliError> {
    let desired = args.files.load()?;
    let Some(gate) = desired.gates.get(key) else {
        let same_service: Vec<String> =
            desired.gates.keys().filter(|k| k.service == key.service).map(|k| k.to_string()).collect();
        let hint = if same_service.is_empty() {
            format!("no gate of service {:?} is declared", key.service)
        } else {
            format!("gates declared for {:?}: {}", key.service, same_service.join(", "))
        };
        return Err(CliError::Other(format!("--jit: gate {key} is not declared in the configuration ({hint})")));
    };
    let rules: Vec<serde_json::Value> = gate
        .rules
        .values()
        .map(|r| serde_json::json!({"name": r.name, "type": r.rule_type().as_str(), "dry_run": r.dry_run, "options": r.options.to_api()}))
        .collect();
    Ok(serde_json::json!({"dry_run": gate.dry_run, "rules": rules}))
}

/// Waiting feedback on stderr: a live line on a terminal, one plain line per event in CI.
struct Waiting {
    live: bool,
    started: Instant,
}

impl Waiting {
    fn show(&self, progress: &Progress) {
        let secs = self.started.elapsed().as_secs();
        let elapsed = format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60);
        let text = match progress {
            Progress::Triggered { evaluation_id } => {
                format!("evaluation {evaluation_id} triggered")
            }
            Progress::NotReady => "waiting for the evaluation to start".to_string(),
            Progress::InProgress { done, total } => {
                format!("in progress: {done}/{total} rules completed")
            }
            Progress::Retrying { error } => format!("transient error, retrying: {error}"),
        };
        if self.live && !matches!(progress, Progress::Retrying { .. }) {
            eprint!("\r\x1b[2K⏳ [{elapsed}] {text}");
            std::io::stderr().flush().ok();
        } else {
            if self.live {
                eprint!("\r\x1b[2K");
            }
            eprintln!("[{elapsed}] {text}");
        }
    }

    fn done(&self) {
        if self.live {
            eprint!("\r\x1b[2K");
        }
    }
}

pub async fn run(args: &EvaluateArgs, global: &GlobalArgs) -> Result<i32, CliError> {
    let key = GateKey::new(&args.service, &args.env, &args.identifier);
    if !args.jit && !args.files.files.is_empty() {
        eprintln!("note: -f is read only with --jit; evaluating the gate as stored in Datadog");
    }
    let configuration = if args.jit { Some(jit_configuration(args, &key)?) } else { None };
    if args.interval.is_zero() {
        return Err(CliError::Other("--interval must be above zero".into()));
    }
    let request = EvaluationRequest {
        service: args.service.clone(),
        env: args.env.clone(),
        identifier: Some(args.identifier.clone()),
        version: args.version.clone(),
        primary_tag: args.primary_tag.clone(),
        configuration,
    };
    let connection = global.connect().await?;
    let waiting = Waiting {
        live: std::io::stderr().is_terminal() && global.color != super::ColorChoice::Never,
        started: Instant::now(),
    };
    eprintln!("Evaluating gate {key}{}…", if args.jit { " (rules from the configuration, just in time)" } else { "" });
    let options = WaitOptions { timeout: args.timeout, interval: args.interval };
    let outcome = evaluate::evaluate(&connection.client, &request, options, |p| waiting.show(&p)).await;
    waiting.done();
    let outcome = outcome.map_err(|e| CliError::Other(format!("the gate cannot be evaluated: {e}")))?;

    match args.format {
        Format::Json => println!("{}", json_report(&key, &outcome)),
        Format::Text => print!("{}", text_report(&key, &outcome, global.stdout_palette())),
    }
    Ok(match outcome.verdict {
        Verdict::Pass => exit::OK,
        Verdict::Fail => exit::ERROR,
        Verdict::Unavailable if args.fail_on_error => exit::ERROR,
        Verdict::Unavailable => {
            eprintln!("WARNING: gate {key} was SKIPPED: {}", outcome.reason.as_deref().unwrap_or("no verdict"));
            eprintln!(
                "WARNING: the deployment goes ahead unchecked (fail-open). Pass --fail-on-error to block it instead."
            );
            exit::OK
        }
    })
}

fn json_report(key: &GateKey, o: &Outcome) -> String {
    let result = o.result.as_ref();
    let report = evaluate::Report {
        outcome: o.verdict,
        service: &key.service,
        env: &key.env,
        identifier: &key.identifier,
        evaluation_id: o.evaluation_id.as_deref(),
        evaluation_url: result.map(|r| r.evaluation_url.as_str()).filter(|u| !u.is_empty()),
        gate_status: result.map(|r| r.gate_status.as_str()),
        dry_run: result.map(|r| r.dry_run),
        rules: result.map(|r| r.rules.as_slice()).unwrap_or_default(),
        error: o.reason.as_deref(),
    };
    serde_json::to_string_pretty(&report).expect("report serialises")
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn text_report(key: &GateKey, o: &Outcome, p: Palette) -> String {
    let mut out = String::new();
    let verdict = match o.verdict {
        Verdict::Pass => p.create("PASS"),
        Verdict::Fail => p.delete("FAIL"),
        Verdict::Unavailable => p.update("UNAVAILABLE"),
    };
    out.push_str(&format!("Gate {}: {verdict}\n", p.bold(&key.to_string())));
    if let Some(reason) = &o.reason {
        out.push_str(&format!("Reason: {reason}\n"));
    }
    if let Some(r) = &o.result {
        out.push_str(&format!(
            "Dry run: {}{}\n",
            yes_no(r.dry_run),
            if r.dry_run { " (the gate passes whatever its rules say)" } else { "" }
        ));
        if !r.evaluation_url.is_empty() {
            out.push_str(&format!("Evaluation: {}\n", r.evaluation_url));
        }
        if !r.rules.is_empty() {
            let header = ["RULE", "STATUS", "DRY RUN", "REASON"];
            let rows: Vec<[String; 4]> = r
                .rules
                .iter()
                .map(|rule| {
                    [
                        rule.name.clone(),
                        rule.status.clone(),
                        yes_no(rule.dry_run).to_string(),
                        rule.reason.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            let width =
                |i: usize| rows.iter().map(|row| row[i].chars().count()).chain([header[i].len()]).max().unwrap_or(0);
            let widths = [width(0), width(1), width(2)];
            out.push('\n');
            out.push_str(&format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                header[0],
                header[1],
                header[2],
                header[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            ));
            for row in rows {
                let status = format!("{:w$}", row[1], w = widths[1]);
                let status = match row[1].as_str() {
                    "pass" => p.create(&status),
                    "fail" => p.delete(&status),
                    _ => p.update(&status),
                };
                let line =
                    format!("{:w0$}  {status}  {:w2$}  {}", row[0], row[2], row[3], w0 = widths[0], w2 = widths[2]);
                out.push_str(line.trim_end());
                out.push('\n');
            }
        }
    } else if let Some(id) = &o.evaluation_id {
        out.push_str(&format!("Evaluation id: {id}\n"));
    }
    out
}
