//! Loading the files: each read, parsed and validated, then merged into one desired state,
//! every problem of every file reported at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::error::ConfigError;
use super::read::{is_stdin, read_file, read_stdin};
use super::source::{self, Format, SourceFile, Span};
use super::validate;
use gatesctl_core::desired::{DesiredGate, DesiredState, Safety, WatchSource, Watched};
use gatesctl_core::diagnostic::{Code, ConfigDiagnostic};
use gatesctl_core::model::{GateKey, Watch};

/// Reads, parses and validates every file, reporting all problems of all files at once. A
/// file named twice (`-f a.toml -f ./a.toml`) is read once.
pub fn load(paths: &[PathBuf]) -> Result<DesiredState, ConfigError> {
    load_files(paths, None)
}

/// As [`load`], where the path `-` is standard input, in `stdin_format` (sniffed from the text
/// when not given).
pub fn load_files(paths: &[PathBuf], stdin_format: Option<Format>) -> Result<DesiredState, ConfigError> {
    if paths.iter().filter(|p| is_stdin(p)).count() > 1 {
        return Err(ConfigError::StdinTwice);
    }
    let mut seen = std::collections::BTreeSet::new();
    let unique: Vec<&PathBuf> =
        paths.iter().filter(|p| seen.insert(std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))).collect();
    let files = unique
        .into_iter()
        .map(|p| if is_stdin(p) { read_stdin(stdin_format) } else { read_file(p) })
        .collect::<Result<Vec<_>, _>>()?;
    load_sources(&files)
}

pub fn load_sources(files: &[SourceFile]) -> Result<DesiredState, ConfigError> {
    let mut diagnostics = Vec::new();
    let mut state = DesiredState::default();
    let mut origins: BTreeMap<GateKey, (usize, Span)> = BTreeMap::new();
    let (mut max_delete_percent, mut max_update_percent, mut min_existing) = (None, None, None);
    let mut max_gap_ms: Option<i64> = None;

    for (index, file) in files.iter().enumerate() {
        let root = match source::parse(file) {
            Ok(root) => root,
            Err(errors) => {
                diagnostics.extend(errors.into_iter().map(|e| {
                    let help = e.help.unwrap_or(match file.format {
                        Format::Toml => "see https://toml.io for the TOML syntax",
                        Format::Yaml => "check the indentation and quoting around this line",
                    });
                    let message = match e.code {
                        Code::Syntax => format!("invalid {}: {}", file.format.name(), e.message),
                        _ => e.message,
                    };
                    ConfigDiagnostic::new(e.code, &file.named, e.span, e.label, message).with_help(help)
                }));
                continue;
            }
        };
        let (outcome, diags) = validate::validate_file(file, &root, validate::Places::Skip);
        diagnostics.extend(diags);
        state.scope.tables.extend(outcome.manage);
        // Several files: the strictest limit wins, and a file that sets none contributes the
        // defaults (a three-line file with `max_delete_percent = 100` does not lift another's).
        let safety = outcome.safety.unwrap_or_default();
        let pct = safety.max_delete_percent.unwrap_or(Safety::default().max_delete_percent);
        max_delete_percent = Some(max_delete_percent.map_or(pct, |m: u32| m.min(pct)));
        if let Some(pct) = safety.max_update_percent {
            max_update_percent = Some(max_update_percent.map_or(pct, |m: u32| m.min(pct)));
        }
        let min = safety.min_existing.unwrap_or(Safety::default().min_existing as u32);
        min_existing = Some(min_existing.map_or(min, |m: u32| m.min(min)));
        // One name per policy, across files: it names a Scorecards rule.
        for policy in outcome.policies {
            let here = policy.place.clone();
            match (state.policies.iter().find(|p| p.name == policy.name).and_then(|p| p.place.clone()), here) {
                (Some(first), Some(here)) => {
                    let again = ConfigDiagnostic::new(
                        Code::DuplicatePolicy,
                        &here.source,
                        here.span,
                        "named again here",
                        format!("policy {:?} is declared twice", policy.name),
                    )
                    .with_help("a policy's name is its Scorecards rule's: give each policy its own");
                    diagnostics.push(if first.source.name() == file.named.name() {
                        again.with_label(first.span, "first declared here")
                    } else {
                        again.with_related(ConfigDiagnostic::new(
                            Code::DuplicatePolicy,
                            &first.source,
                            first.span,
                            "first declared here",
                            format!("policy {:?} is first declared here", policy.name),
                        ))
                    });
                }
                _ => state.policies.push(policy),
            }
        }
        // The shortest gap wins: no file's wider window counts a deploy as gated for another.
        if let Some(gap) = outcome.max_gap_ms {
            max_gap_ms = Some(max_gap_ms.map_or(gap, |m| m.min(gap)));
        }
        for gate in outcome.gates {
            if let Some((first_file, first_span)) = origins.get(&gate.key) {
                let same_file = *first_file == index;
                let where_ = if same_file { "twice" } else { "in two files" };
                let again = ConfigDiagnostic::new(
                    Code::DuplicateGate,
                    &file.named,
                    gate.span.clone(),
                    "declared again here",
                    format!("gate {} is declared {where_}", gate.key),
                );
                diagnostics.push(if same_file {
                    again.with_label(first_span.clone(), "first declared here").with_help(
                        "a gate is identified by (service, env, identifier): merge the two, or give one another `identifier`",
                    )
                } else {
                    let first = &files[*first_file];
                    let message = format!("{} is first declared in {}", gate.key, gatesctl_core::escape::path(&first.path));
                    again
                        .with_help("each gate belongs to one file: remove one of the two declarations")
                        .with_related(ConfigDiagnostic::new(
                            Code::DuplicateGate,
                            &first.named,
                            first_span.clone(),
                            "first declared here",
                            message,
                        ))
                });
                continue;
            }
            origins.insert(gate.key.clone(), (index, gate.span.clone()));
            for (name, spans) in &gate.watch_spans {
                let Some(settings) = gate.rules.get(name).and_then(|r| r.options.monitor_settings()) else { continue };
                let watched: Vec<Watched> = match &settings.watch {
                    Watch::Query(query) => vec![Watched::Query(query.clone())],
                    Watch::Monitors(ids) => {
                        ids.iter().map(|m| Watched::Monitor { id: m.id, groups: m.groups.clone() }).collect()
                    }
                };
                for (watched, span) in watched.into_iter().zip(spans) {
                    state.watched.push(WatchSource {
                        gate: gate.key.clone(),
                        rule: name.clone(),
                        watched,
                        fail_on_no_groups_found: settings.fail_on_no_groups_found,
                        source: Arc::clone(&file.named),
                        span: span.clone(),
                    });
                }
            }
            state.gates.insert(
                gate.key.clone(),
                DesiredGate {
                    key: gate.key,
                    dry_run: gate.dry_run,
                    rules: gate.rules,
                    report: gate.report,
                    declared_at: Some(gatesctl_core::source::Place {
                        source: Arc::clone(&file.named),
                        span: gate.span,
                    }),
                },
            );
        }
    }

    state.files = files.to_vec();
    if let Some(max_gap_ms) = max_gap_ms {
        state.coverage = gatesctl_core::desired::CoverageSettings { max_gap_ms };
    }
    let defaults = Safety::default();
    state.safety = Safety {
        max_delete_percent: max_delete_percent.unwrap_or(defaults.max_delete_percent),
        max_update_percent,
        min_existing: min_existing.map_or(defaults.min_existing, |m| m as usize),
    };
    if diagnostics.is_empty() {
        Ok(state)
    } else {
        Err(ConfigError::Invalid { diagnostics })
    }
}
