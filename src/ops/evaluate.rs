//! Triggers a gate evaluation and waits for its verdict, riding out the transient failures
//! that must never decide a deploy on their own.

use std::time::{Duration, Instant};

use super::progress::{Event, Progress, WaitEvent};
use gatesctl_client::Client;
use gatesctl_core::model::{Evaluation, GateKey, Verdict};
use gatesctl_core::model::{EvaluationAnswer, EvaluationRequest};

#[derive(Clone, Copy, Debug)]
pub(crate) struct WaitOptions {
    /// The whole wait, trigger included.
    pub(crate) timeout: Duration,
    /// Time between polls.
    pub(crate) interval: Duration,
}

/// How long a 404 right after the trigger counts as "not ready yet" rather than an error.
fn not_found_grace(interval: Duration) -> Duration {
    (interval * 4).max(Duration::from_secs(60))
}

fn tell(progress: &dyn Progress, event: WaitEvent) {
    progress.event(Event::Waiting(&event));
}

/// Retry pause after the n-th consecutive transient failure: 1 s, 2 s, 4 s … capped by the interval.
fn retry_pause(failures: u32, interval: Duration) -> Duration {
    Duration::from_secs(1 << failures.saturating_sub(1).min(5)).min(interval.max(Duration::from_millis(100)))
}

fn evaluation(gate: &GateKey, verdict: Verdict, id: Option<String>, result: Option<EvaluationAnswer>) -> Evaluation {
    let mut out = Evaluation {
        gate: gate.clone(),
        verdict,
        evaluation_id: id,
        url: None,
        gate_status: None,
        dry_run: None,
        rules: Vec::new(),
        reason: None,
    };
    if let Some(r) = result {
        out.url = r.url;
        out.gate_status = Some(r.gate_status);
        out.dry_run = Some(r.dry_run);
        out.rules = r.rules;
    }
    out
}

fn no_verdict(gate: &GateKey, id: Option<String>, result: Option<EvaluationAnswer>, reason: String) -> Evaluation {
    Evaluation { reason: Some(reason), ..evaluation(gate, Verdict::Unavailable, id, result) }
}

/// How long triggering may take in all, retries included, as datadog-ci allows it: past this,
/// waiting for a verdict has no point.
pub(crate) const TRIGGER_BUDGET: Duration = Duration::from_secs(60);
/// The poll made at the deadline may take this long to answer.
const LAST_POLL_GRACE: Duration = Duration::from_secs(10);

/// Runs one evaluation to its verdict. A permanent refusal (400, 401, 403, 404 no such gate)
/// is `Verdict::Error` at once; an API that cannot be reached until someone acts (an untrusted
/// certificate, a name that does not resolve) is no verdict at once: waiting cannot help.
/// The timeout bounds the whole wait: the last poll is made at the deadline, not skipped.
pub(crate) async fn run(
    client: &Client,
    request: &EvaluationRequest,
    options: WaitOptions,
    progress: &dyn Progress,
) -> Evaluation {
    let gate = GateKey::new(
        &request.service,
        &request.env,
        request.identifier.as_deref().unwrap_or(gatesctl_core::model::DEFAULT_IDENTIFIER),
    );
    let started = Instant::now();
    let deadline = started + options.timeout;
    let remaining = || deadline.saturating_duration_since(Instant::now());
    let trigger_deadline = started + TRIGGER_BUDGET.min(options.timeout);
    let trigger_remaining = || trigger_deadline.saturating_duration_since(Instant::now());

    // Trigger, retrying what is transient, within its own budget. A trigger the rate limit
    // refuses for the whole budget is refused, as datadog-ci has it: waiting longer cannot help.
    let mut failures = 0;
    let mut rate_limited = false;
    let refused_by_rate_limit = || Evaluation {
        reason: Some(format!(
            "the API's rate limit (HTTP 429) refused the trigger for the whole trigger budget of {}; try again later",
            human(TRIGGER_BUDGET.min(options.timeout))
        )),
        ..evaluation(&gate, Verdict::Error, None, None)
    };
    let evaluation_id = loop {
        let attempt = tokio::time::timeout(trigger_remaining(), client.trigger_evaluation(request)).await;
        match attempt {
            Ok(Ok(id)) => break id,
            Ok(Err(e)) if e.status() == Some(429) => {
                // The budget knows the window is spent: the next attempt waits for its reset.
                rate_limited = true;
                tell(
                    progress,
                    WaitEvent::Retrying {
                        error: "rate limited (HTTP 429): waiting for the rate limit's window to reset".into(),
                    },
                );
                if trigger_remaining().is_zero() {
                    return refused_by_rate_limit();
                }
            }
            Ok(Err(e)) if e.is_unreachable() => {
                return no_verdict(&gate, None, None, format!("the API cannot be reached: {e}"));
            }
            Ok(Err(e)) if !e.is_transient() => {
                return Evaluation { reason: Some(e.to_string()), ..evaluation(&gate, Verdict::Error, None, None) }
            }
            Ok(Err(e)) => {
                failures += 1;
                rate_limited = false;
                tell(progress, WaitEvent::Retrying { error: e.to_string() });
                let pause = retry_pause(failures, options.interval);
                if pause >= trigger_remaining() {
                    let reason = format!(
                        "could not trigger the evaluation within {}: {e}",
                        human(TRIGGER_BUDGET.min(options.timeout))
                    );
                    return no_verdict(&gate, None, None, reason);
                }
                tokio::time::sleep(pause).await;
            }
            Err(_) if rate_limited => return refused_by_rate_limit(),
            Err(_) => {
                let reason =
                    format!("timed out after {} triggering the evaluation", human(TRIGGER_BUDGET.min(options.timeout)));
                return no_verdict(&gate, None, None, reason);
            }
        }
    };
    tell(progress, WaitEvent::Triggered { evaluation_id: evaluation_id.clone() });
    let triggered = Instant::now();

    let mut last: Option<EvaluationAnswer> = None;
    let mut pause = Duration::ZERO;
    loop {
        // Sleep until the next poll or the deadline, whichever is first; at the deadline, one
        // last poll still reads a verdict that has come.
        let last_poll = pause >= remaining();
        tokio::time::sleep(pause.min(remaining())).await;
        pause = options.interval;
        let allowed = if last_poll { LAST_POLL_GRACE } else { remaining() };
        let answer = match tokio::time::timeout(allowed, client.get_evaluation(&evaluation_id)).await {
            Ok(answer) => answer,
            Err(_) if last_poll || remaining().is_zero() => {
                let reason = format!("no verdict within the timeout of {}", human(options.timeout));
                return no_verdict(&gate, Some(evaluation_id), last, reason);
            }
            Err(_) => continue,
        };
        match answer {
            Ok(result) => {
                match result.gate_status.as_str() {
                    "pass" => return evaluation(&gate, Verdict::Pass, Some(evaluation_id), Some(result)),
                    "fail" => return evaluation(&gate, Verdict::Fail, Some(evaluation_id), Some(result)),
                    "in_progress" => {
                        let total = result.rules.len();
                        let done = result.rules.iter().filter(|r| r.status == "pass" || r.status == "fail").count();
                        tell(progress, WaitEvent::InProgress { done, total });
                        last = Some(result);
                    }
                    // Not a state this client knows: waiting on it could last hours for nothing.
                    other => {
                        let reason = format!(
                            "the API answered an unknown gate_status {}; it is not a verdict",
                            gatesctl_core::escape::quoted(other)
                        );
                        return no_verdict(&gate, Some(evaluation_id), Some(result), reason);
                    }
                }
            }
            Err(e) if e.is_unreachable() => {
                let reason = format!("the API cannot be reached: {e}");
                return no_verdict(&gate, Some(evaluation_id), last, reason);
            }
            // The result is not readable for a few seconds after the trigger: expected.
            Err(e) if e.status() == Some(404) && triggered.elapsed() < not_found_grace(options.interval) => {
                tell(progress, WaitEvent::NotReady)
            }
            // One poll per interval, whatever failed: the poll itself is one request.
            Err(e) if e.is_transient() => tell(progress, WaitEvent::Retrying { error: e.to_string() }),
            Err(e) if e.status() == Some(404) => {
                let reason = format!("the evaluation result stayed unavailable: {e}");
                return no_verdict(&gate, Some(evaluation_id), last, reason);
            }
            Err(e) => {
                return Evaluation {
                    reason: Some(e.to_string()),
                    ..evaluation(&gate, Verdict::Error, Some(evaluation_id), last)
                }
            }
        }
        if last_poll || remaining().is_zero() {
            let reason = format!("no verdict within the timeout of {}", human(options.timeout));
            return no_verdict(&gate, Some(evaluation_id), last, reason);
        }
    }
}

/// `1h 2m 3s` style, for messages.
pub(crate) fn human(d: Duration) -> String {
    // Whole seconds, rounded up, so that a short timeout never reads "0s".
    humantime::format_duration(Duration::from_secs(d.as_secs_f64().ceil() as u64)).to_string()
}
