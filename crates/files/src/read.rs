//! Which files to read, and reading them: the default files of a folder, a file or standard
//! input read within bounds (`gatesctl_fs::read`), its format from its name or its first line.

use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::source::{Format, SourceFile};

/// The gates file looked for when no `-f` is given: one of these.
pub(crate) const DEFAULT_FILES: [&str; 3] = ["gates.toml", "gates.yaml", "gates.yml"];

/// The policies file read beside it, when there is one (docs/policy.md).
pub(crate) const POLICY_FILES: [&str; 3] = ["policies.toml", "policies.yaml", "policies.yml"];

/// A bounded read's failure, about `path`.
fn read_error(path: &Path, e: gatesctl_fs::read::ReadError) -> ConfigError {
    use gatesctl_fs::read::ReadError;
    let path = path.to_path_buf();
    match e {
        ReadError::Io(source) => ConfigError::Read { path, source },
        ReadError::NotAFile(kind) => ConfigError::NotAFile { path, kind },
        ReadError::TooLarge => ConfigError::TooLarge { path },
        ReadError::NotUtf8 { line, column, offset } => ConfigError::NotUtf8 { path, line, column, offset },
    }
}

/// The files to read: the ones named, or the default gates file of `dir` with its policies
/// file beside it, if any. Two candidates for one role (gates.toml and gates.yaml) are refused:
/// skipping one in silence would pass a file nobody checked.
pub fn resolve_paths(named: &[PathBuf], dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    let gates = one_of(dir, &DEFAULT_FILES)?
        .ok_or_else(|| ConfigError::NotFound { dir: dir.to_path_buf(), names: &DEFAULT_FILES })?;
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

/// Reads one file: a regular file of at most [`gatesctl_fs::read::MAX_SIZE`], UTF-8 (a leading byte order
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
    gatesctl_fs::read::document(path).map_err(|e| read_error(path, e))
}

/// `-f -`: the configuration comes from standard input.
pub fn is_stdin(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// The configuration piped in (`generate | gatesctl validate -f -`): UTF-8, at most
/// [`gatesctl_fs::read::MAX_SIZE`], TOML or YAML as told, or as its first meaningful line shows.
pub fn read_stdin(format: Option<Format>) -> Result<SourceFile, ConfigError> {
    let path = PathBuf::from("-");
    let (text, bom) = gatesctl_fs::read::bounded(std::io::stdin().lock()).map_err(|e| read_error(&path, e))?;
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
