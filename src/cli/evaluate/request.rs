//! `evaluate`'s flags as the trigger's body and the wait, every value checked before any
//! request, as datadog-ci checks them.

use std::time::Duration;

use super::EvaluateArgs;
use crate::error::{Error, Usage};
use crate::ops::evaluate::WaitOptions;
use gatesctl_core::model::{EvaluationRequest, GateKey, InlineConfiguration, Rule};

/// datadog-ci's polling interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(15);

/// What to evaluate, how long to wait, and what to say first.
pub(super) struct Asked {
    pub(super) gate: GateKey,
    pub(super) request: EvaluationRequest,
    pub(super) wait: WaitOptions,
    /// Flags read but not acted on, and a FIPS refusal passed over.
    pub(super) notes: Vec<String>,
}

/// An environment flag as datadog-ci reads it: `true` or `1`.
fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A flag given empty (`--version ""`, as a pipeline with an unset variable writes it) is left
/// out, as datadog-ci leaves it out.
fn given(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

/// The inline `configuration` of a just-in-time evaluation: the mode and the rules in the
/// API's shape, whichever file they come from. The API's inline rules take fewer options than
/// stored ones (a query and a duration for a monitor rule): a rule using another is refused
/// here, before any request, rather than sent to a sure 400.
fn inline<'r>(
    dry_run: bool,
    rules: impl Iterator<Item = &'r Rule>,
    gate: &GateKey,
) -> Result<InlineConfiguration, Error> {
    let mut out = Vec::new();
    for rule in rules {
        if let Some(option) = rule.options.not_inline().first() {
            return Err(Usage::NotInline {
                rule: rule.name.clone(),
                gate: gate.clone(),
                option: option.to_string(),
                rule_type: rule.rule_type().as_str(),
                takes: rule.options.inline_takes().to_string(),
            }
            .into());
        }
        out.push(rule.clone());
    }
    Ok(InlineConfiguration { dry_run, rules: out })
}

impl EvaluateArgs {
    /// The gate, the trigger's body and the wait the flags ask for.
    pub(super) fn asked(&self) -> Result<Asked, Error> {
        // The gate's service and env cannot be left out: empty, they are refused here, as
        // datadog-ci refuses them, rather than sent (an unset pipeline variable, most likely).
        for (flag, value) in [("--service", &self.service), ("--env", &self.env)] {
            if value.trim().is_empty() {
                return Err(Usage::Empty { flag }.into());
            }
        }
        let mut notes = Vec::new();
        if !self.jit && !self.files.files.is_empty() {
            notes.push("note: -f is read only with --jit; evaluating the gate as stored in Datadog".to_string());
        }
        // gatesctl cannot offer FIPS-validated cryptography: refused, unless told to go ahead
        // anyway, as datadog-ci does when FIPS cannot be enabled.
        if self.fips || env_flag("DATADOG_FIPS") {
            if !(self.fips_ignore_error || env_flag("DATADOG_FIPS_IGNORE_ERROR")) {
                return Err(Error::FipsUnavailable);
            }
            notes.push("warning: FIPS mode was asked for, but gatesctl's TLS (rustls with the ring provider) is not a FIPS 140-validated module; going ahead without it (--fips-ignore-error)".to_string());
        }
        if self.monitors_query_variable.as_deref().is_some_and(|v| !v.is_empty()) {
            notes.push("note: --monitors-query-variable is not part of the documented API; it is ignored".to_string());
        }
        let identifier = given(&self.identifier);
        let gate = GateKey::new(
            &self.service,
            &self.env,
            identifier.as_deref().unwrap_or(gatesctl_core::model::DEFAULT_IDENTIFIER),
        );
        let configuration = match (&self.config, self.jit) {
            (Some(path), _) => {
                let file = gatesctl_files::datadog_ci::read(path)?;
                Some(inline(file.dry_run, file.rules.iter(), &gate)?)
            }
            (None, true) => {
                let desired = self.files.load()?;
                let Some(declared) = desired.gates.get(&gate) else {
                    let same = desired.gates.keys().filter(|k| k.service == gate.service).map(|k| k.to_string());
                    return Err(Usage::Undeclared { same: same.collect(), gate }.into());
                };
                Some(inline(declared.dry_run, declared.rules.values(), &gate)?)
            }
            (None, false) => None,
        };
        let interval = match self.interval {
            Some(interval) if interval > self.timeout => {
                return Err(Usage::IntervalPastTimeout { interval, timeout: self.timeout }.into())
            }
            Some(interval) => interval,
            None => DEFAULT_INTERVAL.min(self.timeout),
        };
        let request = EvaluationRequest {
            service: self.service.clone(),
            env: self.env.clone(),
            identifier,
            version: given(&self.version),
            primary_tag: given(&self.primary_tag),
            configuration,
        };
        Ok(Asked { gate, request, wait: WaitOptions { timeout: self.timeout, interval }, notes })
    }
}
