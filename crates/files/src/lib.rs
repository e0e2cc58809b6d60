//! gatesctl's files: gate files read into a spanned tree (`source`), validated into the
//! desired state with every problem at once (`validate`), formatted (`fmt`), edited in place
//! (`edit`), written from remote gates (`import`); Terraform's and datadog-ci's files read into
//! the same model; and any file written whole or not at all (`write`).

mod checker;
pub mod datadog_ci;
pub mod edit;
pub mod fmt;
pub mod import;
mod policy;
pub mod source;
pub mod terraform;
pub mod validate;
pub mod wire;
pub mod write;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use gatesctl_core::desired::{DesiredGate, DesiredState, Safety, Scope, WatchSource, Watched};
pub use gatesctl_core::diagnostic::{Code, ConfigDiagnostic};
use gatesctl_core::model::{GateKey, Watch};
use source::{Format, SourceFile, Span};

/// The gates file looked for when no `-f` is given: one of these.
pub(crate) const DEFAULT_FILES: [&str; 3] = ["gates.toml", "gates.yaml", "gates.yml"];

/// The policies file read beside it, when there is one (docs/policy.md).
pub(crate) const POLICY_FILES: [&str; 3] = ["policies.toml", "policies.yaml", "policies.yml"];

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no configuration file found: looked for {} in {}", DEFAULT_FILES.join(", "), gatesctl_core::escape::path(.dir))]
    NotFound { dir: PathBuf },
    #[error("{} are all in {}: which one to read is not guessed; name it with -f (or each, to read them together)", .found.join(" and "), gatesctl_core::escape::path(.dir))]
    Ambiguous { dir: PathBuf, found: Vec<String> },
    #[error("cannot read {}: {source}", gatesctl_core::escape::path(.path))]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: unknown file type; use .toml, .yaml or .yml", gatesctl_core::escape::path(.path))]
    UnknownFormat { path: PathBuf },
    #[error("{}: not a regular file ({kind}); name a regular file", gatesctl_core::escape::path(.path))]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{}: larger than {} MiB; a configuration file is never that large (is it the right file?)", gatesctl_core::escape::path(.path), MAX_FILE_SIZE >> 20)]
    TooLarge { path: PathBuf },
    #[error("{}: not UTF-8 text: invalid byte at line {line}, byte {column} (offset {offset}); save the file as UTF-8", gatesctl_core::escape::path(.path))]
    NotUtf8 { path: PathBuf, line: usize, column: usize, offset: usize },
    #[error("standard input is named twice (-f -): it can be read once")]
    StdinTwice,
    #[error("cannot tell whether standard input is TOML or YAML: pass --format-in toml or --format-in yaml")]
    UnknownStdinFormat,
    #[error("standard input is empty (-f -): pipe a configuration into gatesctl, or name a file with -f FILE")]
    EmptyStdin,
    #[error("{} problem{} found in the configuration", .diagnostics.len(), if .diagnostics.len() == 1 { "" } else { "s" })]
    Invalid { diagnostics: Vec<ConfigDiagnostic> },
}

/// The largest configuration file read: far above any real one, and a bound for `-f
/// /dev/zero`-like mistakes.
pub(crate) const MAX_FILE_SIZE: u64 = 64 << 20;

/// What a path that is not a regular file is, for the message.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a named pipe";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The files to read: the ones named, or the default gates file of `dir` with its policies
/// file beside it, if any. Two candidates for one role (gates.toml and gates.yaml) are refused:
/// skipping one in silence would pass a file nobody checked.
pub fn resolve_paths(named: &[PathBuf], dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    let gates = one_of(dir, &DEFAULT_FILES)?.ok_or_else(|| ConfigError::NotFound { dir: dir.to_path_buf() })?;
    Ok([Some(gates), policies_file(dir)?].into_iter().flatten().collect())
}

/// The policies file of `dir`, when it has one.
pub fn policies_file(dir: &Path) -> Result<Option<PathBuf>, ConfigError> {
    one_of(dir, &POLICY_FILES)
}

/// Whether `path` is named as a policies file is.
pub fn is_policies_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| POLICY_FILES.contains(&n))
}

/// The one of `names` in `dir`; two are ambiguous.
fn one_of(dir: &Path, names: &[&str]) -> Result<Option<PathBuf>, ConfigError> {
    let found: Vec<&str> = names.iter().copied().filter(|f| dir.join(f).is_file()).collect();
    match found.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(dir.join(one))),
        _ => {
            Err(ConfigError::Ambiguous { dir: dir.to_path_buf(), found: found.iter().map(|f| f.to_string()).collect() })
        }
    }
}

/// Reads one file: a regular file of at most [`MAX_FILE_SIZE`], UTF-8 (a leading byte order
/// mark is dropped, as TOML allows and YAML editors write).
pub fn read_file(path: &Path) -> Result<SourceFile, ConfigError> {
    let format = Format::from_path(path).ok_or_else(|| ConfigError::UnknownFormat { path: path.to_path_buf() })?;
    let (text, bom) = read_document(path)?;
    Ok(SourceFile::new(path.to_path_buf(), format, text).with_bom(bom))
}

/// The text of a file that should be a small UTF-8 document, whatever its syntax.
pub fn read_text(path: &Path) -> Result<String, ConfigError> {
    read_document(path).map(|(text, _)| text)
}

/// The text of a small UTF-8 document, and whether it began with a byte order mark.
fn read_document(path: &Path) -> Result<(String, bool), ConfigError> {
    use std::io::Read;

    let read_error = |source| ConfigError::Read { path: path.to_path_buf(), source };
    // Checked before opening: opening a named pipe would wait for a writer forever.
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(ConfigError::NotAFile { path: path.to_path_buf(), kind: file_kind(&meta) });
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge { path: path.to_path_buf() });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path).and_then(|f| f.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes)).map_err(read_error)?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge { path: path.to_path_buf() });
    }
    utf8(path, bytes)
}

/// The text of a file's bytes, without a leading byte order mark, and whether it had one.
fn utf8(path: &Path, bytes: Vec<u8>) -> Result<(String, bool), ConfigError> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let column = offset - before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1) + 1;
        ConfigError::NotUtf8 { path: path.to_path_buf(), line, column, offset }
    })?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest.to_string(), true),
        None => (text, false),
    })
}

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

/// `-f -`: the configuration comes from standard input.
pub fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// The configuration piped in (`generate | gatesctl validate -f -`): UTF-8, at most
/// [`MAX_FILE_SIZE`], TOML or YAML as told, or as its first meaningful line shows.
pub fn read_stdin(format: Option<Format>) -> Result<SourceFile, ConfigError> {
    use std::io::Read;
    let path = PathBuf::from("-");
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ConfigError::Read { path: path.clone(), source })?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge { path });
    }
    let (text, bom) = utf8(&path, bytes)?;
    if text.trim().is_empty() {
        return Err(ConfigError::EmptyStdin);
    }
    let format = format.or_else(|| sniff(&text)).ok_or(ConfigError::UnknownStdinFormat)?;
    // Kept, as a file's is: `fmt -` writes it back.
    Ok(SourceFile::new(path, format, text).with_bom(bom))
}

/// TOML or YAML, from the first line that is neither blank nor a comment: `key = …` and
/// `[table]` are TOML, `key: …`, `- …` and `---` are YAML.
fn sniff(text: &str) -> Option<Format> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty() && !l.starts_with('#'))?;
    if line == "---" || line == "-" || line.starts_with("- ") {
        return Some(Format::Yaml);
    }
    if line.starts_with('[') {
        return Some(Format::Toml);
    }
    match (line.find('='), line.find(':')) {
        (Some(e), Some(c)) if e < c => Some(Format::Toml),
        (Some(_), None) => Some(Format::Toml),
        (_, Some(_)) => Some(Format::Yaml),
        (None, None) => None,
    }
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
                        Code::Syntax => format!("invalid {}: {}", format_name(file.format), e.message),
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

fn format_name(format: Format) -> &'static str {
    match format {
        Format::Toml => "TOML",
        Format::Yaml => "YAML",
    }
}
