//! Edits of the files in place, at the spans the loader keeps: every comment, blank line and
//! key order stays as it was. Used by `report --write` to switch gates and rules from dry run
//! to enforcing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::load::load_sources;
use super::source::{Format, SourceFile, Span};
use super::validate::DryRunSpans;
use gatesctl_core::desired::DesiredState;
use gatesctl_core::model::GateKey;

/// [`DryRunSpans`] in one of [`DesiredState::files`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DryRunPlace {
    pub(crate) file: usize,
    pub spans: DryRunSpans,
}

/// A gate (rule `None`) or one of its rules.
pub type Subject = (GateKey, Option<String>);

/// A file's new text, and the text it held when it was read: it is written only over that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditedFile {
    pub path: PathBuf,
    pub text: String,
    pub read: String,
}

/// What an edit changed, and what it left for a person, with why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Promoted {
    pub files: Vec<EditedFile>,
    pub written: Vec<Subject>,
    pub left: Vec<(Subject, String)>,
}

/// Why the edited files were not written.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("the edited files would not load ({0}); nothing was written")]
    WouldNotLoad(Box<super::error::ConfigError>),
    #[error("editing the files would change more than the promoted `dry_run` switches; nothing was written (please report this)")]
    MoreThanDryRun,
}

/// Why a declaration is left for a person.
const INLINE: &str = "written as an inline table: set `dry_run = false` in it by hand";

/// One change to a text: `replace` at `at` (an empty span inserts).
struct Splice {
    at: Span,
    replace: String,
}

/// Where every gate's and rule's `dry_run` is decided, read again from the files: only
/// `--write` needs it, so loading does not keep it.
fn places(desired: &DesiredState) -> BTreeMap<Subject, DryRunPlace> {
    let mut out = BTreeMap::new();
    for (index, file) in desired.files.iter().enumerate() {
        let Ok(root) = super::source::parse(file) else { continue };
        let (outcome, _) = super::validate::validate_file(file, &root, super::validate::Places::Keep);
        for gate in outcome.gates {
            let place = |spans| DryRunPlace { file: index, spans };
            if let Some(spans) = gate.dry_run_spans {
                out.insert((gate.key.clone(), None), place(spans));
            }
            for (name, spans) in gate.rule_dry_run_spans {
                out.insert((gate.key.clone(), Some(name)), place(spans));
            }
        }
    }
    out
}

/// Every subject the declaration of `place` serves (the gates of an `envs` template, or one
/// of its rules in each).
fn sharers<'a>(
    all: &'a BTreeMap<Subject, DryRunPlace>,
    place: &DryRunPlace,
    rule: &Option<String>,
) -> Vec<&'a Subject> {
    all.iter()
        .filter(|((_, r), p)| {
            r.is_some() == rule.is_some() && p.file == place.file && p.spans.declaration == place.spans.declaration
        })
        .map(|(s, _)| s)
        .collect()
}

/// "gate a/prod/default", "rule \"Errors\" of a/prod/default".
pub fn describe((gate, rule): &Subject) -> String {
    match rule {
        None => format!("gate {gate}"),
        Some(name) => format!("rule {} of {gate}", gatesctl_core::escape::quoted(name)),
    }
}

/// Sets `dry_run` to false for exactly `wanted`, each in dry run now: the value written
/// becomes `false` in place (a comment beside it stays), and where the gate or rule inherits
/// `dry_run = true` from `[defaults]`, a `dry_run = false` line is added after its `service`
/// or `name`. A declaration shared with subjects not wanted (an `envs` template) is left, and
/// so is an inline table; each is named with the reason. The edited files are loaded again
/// and must declare the same gates and rules with only those switches changed, or nothing is
/// returned but the reason.
pub fn promote(desired: &DesiredState, wanted: &[Subject]) -> Result<Promoted, EditError> {
    let wanted_set: BTreeSet<&Subject> = wanted.iter().collect();
    let all = places(desired);
    let mut out = Promoted::default();
    let mut splices: BTreeMap<usize, Vec<Splice>> = BTreeMap::new();
    let mut done: BTreeSet<(usize, usize, usize)> = BTreeSet::new();
    for subject in wanted {
        let Some(place) = all.get(subject) else {
            out.left.push((subject.clone(), "not declared in the files".into()));
            continue;
        };
        let shared = sharers(&all, place, &subject.1);
        let others: Vec<String> = shared.iter().filter(|s| !wanted_set.contains(*s)).map(|s| describe(s)).collect();
        if !others.is_empty() {
            let why = format!(
                "declared once for several gates, and not all are recommended ({} stays in dry run): promote them together, or give it its own declaration",
                others.join(", ")
            );
            out.left.push((subject.clone(), why));
            continue;
        }
        if !done.insert((place.file, place.spans.declaration.start, place.spans.declaration.end)) {
            out.written.push(subject.clone());
            continue;
        }
        let file = &desired.files[place.file];
        match splice(file, place) {
            Some(s) => {
                splices.entry(place.file).or_default().push(s);
                out.written.push(subject.clone());
            }
            None => out.left.push((subject.clone(), INLINE.into())),
        }
    }
    if splices.is_empty() {
        return Ok(out);
    }
    let mut files: Vec<SourceFile> = desired.files.clone();
    for (index, mut list) in splices {
        let file = &desired.files[index];
        let mut text = file.text().to_string();
        list.sort_by_key(|s| std::cmp::Reverse(s.at.start));
        for s in list {
            text.replace_range(s.at, &s.replace);
        }
        files[index] = SourceFile::new(file.path.clone(), file.format, text.clone());
        out.files.push(EditedFile {
            path: file.path.clone(),
            text: file.as_stored(&text),
            read: file.as_stored(file.text()),
        });
    }
    check(desired, &files, &out.written)?;
    Ok(out)
}

/// The change that makes one declaration enforce; none for an inline table.
fn splice(file: &SourceFile, place: &DryRunPlace) -> Option<Splice> {
    let text = file.text();
    if let Some(value) = &place.spans.value {
        return Some(Splice { at: value.clone(), replace: "false".into() });
    }
    let anchor = place.spans.anchor.as_ref()?;
    // After the line the anchor entry ends on, at the anchor's column.
    let line_end = text[anchor.end..].find('\n').map_or(text.len(), |i| anchor.end + i);
    let line_start = text[..anchor.start].rfind('\n').map_or(0, |i| i + 1);
    let indent: String = text[line_start..anchor.start].chars().map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    let newline = if text[..line_end].ends_with('\r') { "\r\n" } else { "\n" };
    let at = if newline == "\r\n" { line_end - 1 } else { line_end };
    let entry = match file.format {
        Format::Toml => "dry_run = false",
        Format::Yaml => "dry_run: false",
    };
    // A last line without a newline gets one before the new entry only.
    Some(Splice { at: at..at, replace: format!("{newline}{indent}{entry}") })
}

/// The edited files must read, and declare what they did with exactly `written` enforcing.
fn check(before: &DesiredState, files: &[SourceFile], written: &[Subject]) -> Result<(), EditError> {
    let after = load_sources(files).map_err(|e| EditError::WouldNotLoad(Box::new(e)))?;
    let mut expected = before.gates.clone();
    for (gate, rule) in written {
        let Some(g) = expected.get_mut(gate) else { continue };
        match rule {
            None => g.dry_run = false,
            Some(name) => {
                if let Some(r) = g.rules.get_mut(name) {
                    r.dry_run = false;
                }
            }
        }
    }
    if after.gates != expected {
        return Err(EditError::MoreThanDryRun);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(name: &str, text: &str) -> DesiredState {
        let format = Format::from_path(std::path::Path::new(name)).unwrap();
        load_sources(&[SourceFile::new(name.into(), format, text.into())]).unwrap()
    }

    fn key(service: &str, env: &str) -> GateKey {
        GateKey::new(service, env, "default")
    }

    #[test]
    fn toml_values_flip_in_place_and_inherited_ones_get_a_line() {
        let text = "version = 1\r\n[defaults]\r\ndry_run = true # start safe\r\n\r\n[[gates]]\r\nservice = \"a\" # the shop\r\nenv = \"prod\"\r\n\r\n  [[gates.rules]]\r\n  name = \"Errors\"\r\n  type = \"monitor\"\r\n  query = \"q\"\r\n  dry_run = true  # not yet\r\n\r\n[[gates]]\r\nservice = \"b\"\r\nenv = \"prod\"\r\n";
        let desired = load("gates.toml", text);
        let wanted = [(key("a", "prod"), None), (key("a", "prod"), Some("Errors".into())), (key("b", "prod"), None)];
        let promoted = promote(&desired, &wanted).unwrap();
        assert!(promoted.left.is_empty(), "{:?}", promoted.left);
        assert_eq!(
            promoted.files[0].text,
            "version = 1\r\n[defaults]\r\ndry_run = true # start safe\r\n\r\n[[gates]]\r\nservice = \"a\" # the shop\r\ndry_run = false\r\nenv = \"prod\"\r\n\r\n  [[gates.rules]]\r\n  name = \"Errors\"\r\n  type = \"monitor\"\r\n  query = \"q\"\r\n  dry_run = false  # not yet\r\n\r\n[[gates]]\r\nservice = \"b\"\r\ndry_run = false\r\nenv = \"prod\"\r\n"
        );
    }

    #[test]
    fn a_template_is_written_only_when_every_gate_it_declares_is_promoted() {
        let text = "version: 1\ngates:\n  - service: a\n    envs: [qa, prod]\n    dry_run: true\n";
        let desired = load("gates.yaml", text);
        let one = promote(&desired, &[(key("a", "qa"), None)]).unwrap();
        assert!(one.files.is_empty());
        assert!(one.left[0].1.contains("gate a/prod/default stays in dry run"), "{:?}", one.left);
        let both = promote(&desired, &[(key("a", "qa"), None), (key("a", "prod"), None)]).unwrap();
        assert_eq!(both.files[0].text, text.replace("dry_run: true", "dry_run: false"));
        assert_eq!(both.written.len(), 2);
    }

    #[test]
    fn yaml_list_items_get_the_new_line_at_their_keys_column() {
        let text = "version: 1\ndefaults: {dry_run: true}\ngates:\n  - service: a   # shop\n    env: prod\n    rules:\n      - name: Errors\n        type: monitor\n        query: q\n";
        let desired = load("gates.yaml", text);
        let promoted =
            promote(&desired, &[(key("a", "prod"), None), (key("a", "prod"), Some("Errors".into()))]).unwrap();
        assert_eq!(
            promoted.files[0].text,
            "version: 1\ndefaults: {dry_run: true}\ngates:\n  - service: a   # shop\n    dry_run: false\n    env: prod\n    rules:\n      - name: Errors\n        dry_run: false\n        type: monitor\n        query: q\n"
        );
    }

    #[test]
    fn inline_tables_are_left_for_a_person() {
        let text = "version: 1\ndefaults: {dry_run: true}\ngates:\n  - {service: a, env: prod}\n";
        let desired = load("gates.yaml", text);
        let promoted = promote(&desired, &[(key("a", "prod"), None)]).unwrap();
        assert!(promoted.files.is_empty());
        assert!(promoted.left[0].1.contains("inline table"));
    }
}
