//! Validation diagnostics, one fixture folder per case under `tests/fixtures/validate/`:
//! every file of the folder is loaded together and the rendered report is snapshotted.

use gatesctl::views::validate as diagnostics;
use gatesctl_files::source::{Format, SourceFile};
use gatesctl_files::{self as config, ConfigError};

fn report(case: &str) -> (String, Vec<(String, String, usize)>) {
    let dir = crate::common::fixtures_dir("validate").join(case);
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    // Named by file name only, so snapshots do not depend on where the repo is checked out.
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|p| {
            let name = std::path::PathBuf::from(p.file_name().unwrap());
            SourceFile::new(name.clone(), Format::from_path(&name).unwrap(), std::fs::read_to_string(p).unwrap())
        })
        .collect();
    match config::load_sources(&sources) {
        Err(ConfigError::Invalid { diagnostics }) => {
            let codes = diagnostics
                .iter()
                .map(|d| (d.code.as_str().to_string(), d.file_name().to_string(), d.line()))
                .collect();
            (diagnostics::render(&diagnostics, false, 100), codes)
        }
        other => panic!("case {case} should be invalid, got {other:?}"),
    }
}

#[test]
fn every_invalid_fixture_is_reported_with_its_snapshot() {
    insta::glob!("fixtures/validate", "[a-z]*", |dir| {
        let case = dir.file_name().unwrap().to_str().unwrap();
        let (rendered, _) = report(case);
        insta::assert_snapshot!(rendered);
    });
}

/// The same mistake is found on the same line in TOML and YAML.
#[test]
fn unknown_keys_point_at_the_right_lines_in_both_formats() {
    let (_, toml) = report("unknown-keys-toml");
    let (_, yaml) = report("unknown-keys-yaml");
    let lines = |codes: &[(String, String, usize)]| codes.iter().map(|(c, _, l)| (c.clone(), *l)).collect::<Vec<_>>();
    assert_eq!(
        lines(&toml),
        [
            ("gates::unknown-key".to_string(), 4),
            ("gates::unknown-key".to_string(), 9),
            ("gates::unknown-key".to_string(), 15)
        ]
    );
    assert_eq!(
        lines(&yaml),
        [
            ("gates::unknown-key".to_string(), 3),
            ("gates::unknown-key".to_string(), 7),
            ("gates::unknown-key".to_string(), 12)
        ]
    );
}

#[test]
fn all_problems_are_collected_at_once() {
    let (_, codes) = report("rule-options-by-type");
    let mut names: Vec<_> = codes.iter().map(|(c, _, _)| c.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "gates::conflicting-resources",
            "gates::missing-query",
            "gates::query-not-allowed",
            "gates::resources-not-allowed"
        ]
    );
}

#[test]
fn duplicate_gates_across_files_name_both_files() {
    let (rendered, codes) = report("duplicate-gate-across-files");
    assert_eq!(codes, [("gates::duplicate-gate".to_string(), "b.yaml".to_string(), 5)]);
    assert!(rendered.contains("a.toml:4"), "{rendered}");
    assert!(rendered.contains("b.yaml:5"), "{rendered}");
}

#[test]
fn the_examples_are_valid() {
    for name in ["gates.toml", "gates.yaml"] {
        let state =
            config::load(&[crate::common::examples_dir().join(name)]).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(state.gates.len() >= 10);
    }
}
