//! Triggers a gate evaluation and waits for its verdict, riding out the transient failures
//! that must never decide a deploy on their own.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::remote::wire::{EvaluationRequest, EvaluationResult, RuleResult};
use crate::remote::{ApiError, Client};

#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    /// The whole wait, trigger included.
    pub timeout: Duration,
    /// Time between polls.
    pub interval: Duration,
}

/// How long a 404 right after the trigger counts as "not ready yet" rather than an error.
fn not_found_grace(interval: Duration) -> Duration {
    (interval * 4).max(Duration::from_secs(60))
}

/// What a waiting user is told.
#[derive(Clone, Debug)]
pub enum Progress {
    Triggered {
        evaluation_id: String,
    },
    NotReady,
    InProgress {
        done: usize,
        total: usize,
    },
    /// A transient failure, retried.
    Retrying {
        error: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// No answer could be had: the caller decides between fail-open and fail-closed.
    Unavailable,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    pub verdict: Verdict,
    pub evaluation_id: Option<String>,
    pub result: Option<EvaluationResult>,
    /// Why the verdict is `Unavailable`.
    pub reason: Option<String>,
}

fn unavailable(evaluation_id: Option<String>, result: Option<EvaluationResult>, reason: String) -> Outcome {
    Outcome { verdict: Verdict::Unavailable, evaluation_id, result, reason: Some(reason) }
}

/// Retry pause after the n-th consecutive transient failure: 1 s, 2 s, 4 s … capped by the interval.
fn retry_pause(failures: u32, interval: Duration) -> Duration {
    Duration::from_secs(1 << failures.saturating_sub(1).min(5)).min(interval.max(Duration::from_millis(100)))
}

/// Runs one evaluation. `Err` is a permanent refusal (400, 401, 403, 404 no such gate):
/// waiting longer cannot help, whatever `--fail-on-error` says.
pub async fn evaluate(
    client: &Client,
    request: &EvaluationRequest,
    options: WaitOptions,
    mut progress: impl FnMut(Progress),
) -> Result<Outcome, ApiError> {
    let started = Instant::now();
    let deadline = started + options.timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());

    // Trigger, retrying what is transient.
    let mut failures = 0;
    let evaluation_id = loop {
        let attempt = tokio::time::timeout(remaining(), client.trigger_evaluation(request)).await;
        match attempt {
            Ok(Ok(id)) => break id,
            Ok(Err(e)) if !e.is_transient() => return Err(e),
            Ok(Err(e)) => {
                failures += 1;
                progress(Progress::Retrying { error: e.to_string() });
                let pause = retry_pause(failures, options.interval);
                if pause >= remaining() {
                    return Ok(unavailable(
                        None,
                        None,
                        format!("could not trigger the evaluation before the timeout: {e}"),
                    ));
                }
                tokio::time::sleep(pause).await;
            }
            Err(_) => {
                return Ok(unavailable(
                    None,
                    None,
                    format!("timed out after {} triggering the evaluation", human(options.timeout)),
                ))
            }
        }
    };
    progress(Progress::Triggered { evaluation_id: evaluation_id.clone() });
    let triggered = Instant::now();

    let mut last: Option<EvaluationResult> = None;
    let mut failures = 0;
    let mut pause = Duration::ZERO;
    loop {
        if pause >= remaining() {
            let reason = format!("no verdict within the timeout of {}", human(options.timeout));
            return Ok(unavailable(Some(evaluation_id), last, reason));
        }
        tokio::time::sleep(pause).await;
        pause = options.interval;
        let Ok(answer) = tokio::time::timeout(remaining(), client.get_evaluation(&evaluation_id)).await else {
            continue;
        };
        match answer {
            Ok(result) => {
                failures = 0;
                match result.gate_status.as_str() {
                    "pass" => {
                        return Ok(Outcome {
                            verdict: Verdict::Pass,
                            evaluation_id: Some(evaluation_id),
                            result: Some(result),
                            reason: None,
                        })
                    }
                    "fail" => {
                        return Ok(Outcome {
                            verdict: Verdict::Fail,
                            evaluation_id: Some(evaluation_id),
                            result: Some(result),
                            reason: None,
                        })
                    }
                    _ => {
                        let total = result.rules.len();
                        let done = result.rules.iter().filter(|r| r.status == "pass" || r.status == "fail").count();
                        progress(Progress::InProgress { done, total });
                        last = Some(result);
                    }
                }
            }
            // The result is not readable for a few seconds after the trigger: expected.
            Err(e) if e.status() == Some(404) && triggered.elapsed() < not_found_grace(options.interval) => {
                progress(Progress::NotReady)
            }
            Err(e) if e.is_transient() => {
                failures += 1;
                progress(Progress::Retrying { error: e.to_string() });
                pause = retry_pause(failures, options.interval);
            }
            Err(e) if e.status() == Some(404) => {
                return Ok(unavailable(
                    Some(evaluation_id),
                    last,
                    format!("the evaluation result stayed unavailable: {e}"),
                ));
            }
            Err(e) => return Err(e),
        }
    }
}

/// `1h 2m 3s` style, for messages.
pub fn human(d: Duration) -> String {
    // Whole seconds, rounded up, so that a short timeout never reads "0s".
    humantime::format_duration(Duration::from_secs(d.as_secs_f64().ceil() as u64)).to_string()
}

/// The JSON document `--format json` prints.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    pub outcome: Verdict,
    pub service: &'a str,
    pub env: &'a str,
    pub identifier: &'a str,
    pub evaluation_id: Option<&'a str>,
    pub evaluation_url: Option<&'a str>,
    pub gate_status: Option<&'a str>,
    pub dry_run: Option<bool>,
    pub rules: &'a [RuleResult],
    pub error: Option<&'a str>,
}
