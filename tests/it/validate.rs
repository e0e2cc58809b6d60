//! Reading and checking the files: diagnostics, one fixture folder per case under
//! `tests/it/fixtures/validate/` (every file of a folder loaded together, the report
//! snapshotted), standard input, exit codes, and hostile files (alias bombs, deep nesting,
//! devices, huge or non-UTF-8 files, control characters) refused without a crash; a mutation
//! fuzzer over the examples.

use std::path::Path;

use gatesctl::views::validate as diagnostics;
use gatesctl_core::model::GateKey;
use gatesctl_files::source::{Format, SourceFile};
use gatesctl_files::{self as config, ConfigError};

use crate::common::{examples_dir, gatesctl, gatesctl_with_stdin, raw_control, setup, write, TestSandbox, SMALL};

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
    for name in ["gates.toml", "yaml/gates.yaml"] {
        let state =
            config::load(&[crate::common::examples_dir().join(name)]).unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(state.gates.len() >= 10);
    }
}

/// Mutations of the examples: every one ends with a verdict, never a panic. In process for
/// the 5,000 cases, and through the binary for a sample, whose exit code must be 0 or 1.
#[test]
fn a_mutation_fuzzer_finds_no_crash() {
    use gatesctl_files::source::{Format, SourceFile};

    let seeds: Vec<(Format, String)> = ["gates.toml", "yaml/gates.yaml"]
        .into_iter()
        .map(|f| {
            let path = crate::common::examples_dir().join(f);
            (Format::from_path(&path).unwrap(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
    let tokens: [&[u8]; 16] = [
        b"\n", b"[", b"]", b"{", b"}", b"\"", b"'", b"&a ", b"*a", b"!!int ", b"---\n", b": ", b"\xff", b"\0", b"=",
        b"\\",
    ];
    // A fixed seed: the same cases every run, so a failure reproduces.
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    let mut next = move || rng.u64(..);
    let dir = tempfile::tempdir().unwrap();
    let mut binary_runs = 0;
    for case in 0..5000 {
        let (format, seed) = &seeds[case % seeds.len()];
        let mut bytes = seed.clone().into_bytes();
        for _ in 0..1 + next() % 4 {
            let at = (next() as usize) % (bytes.len() + 1);
            match next() % 3 {
                0 => bytes.splice(at..at, tokens[(next() % 16) as usize].iter().copied()).for_each(drop),
                1 => {
                    let end = (at + (next() % 16) as usize).min(bytes.len());
                    bytes.drain(at..end);
                }
                _ => {
                    let end = (at + (next() % 64) as usize).min(bytes.len());
                    let chunk = bytes[at..end].to_vec();
                    bytes.splice(at..at, chunk).for_each(drop);
                }
            }
        }
        let name = if *format == Format::Toml { "case.toml" } else { "case.yaml" };
        if let Ok(text) = String::from_utf8(bytes.clone()) {
            let file = SourceFile::new(name.into(), *format, text);
            let outcome = std::panic::catch_unwind(|| gatesctl_files::load_sources(&[file]).map(|_| ()));
            assert!(outcome.is_ok(), "case {case} panicked:\n{}", String::from_utf8_lossy(&bytes));
        }
        if case % 25 == 0 {
            std::fs::write(dir.path().join(name), &bytes).unwrap();
            let run = gatesctl(dir.path(), &["validate", "-f", name], &[]);
            assert!(run.code == 0 || run.code == 1, "case {case}: {run:?}\n{}", String::from_utf8_lossy(&bytes));
            binary_runs += 1;
        }
    }
    assert_eq!(binary_runs, 200);
}

fn validate(dir: &Path, file: &str) -> crate::common::Run {
    gatesctl(dir, &["validate", "-f", file], &[])
}

#[test]
fn the_same_file_given_twice_is_read_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let run = gatesctl(dir.path(), &["validate", "-f", "gates.toml", "-f", "./gates.toml"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Configuration is valid: 2 gates, 2 rules."), "{run:?}");
}

#[test]
fn bytes_that_are_not_utf8_are_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), b"version = 1\n\n[[gates]]\nservice = \"caf\xe9\"\n").unwrap();
    let run = validate(dir.path(), "gates.toml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not UTF-8 text: invalid byte at line 4, byte 15"), "{run:?}");
}

#[test]
fn yaml_core_tags_are_honoured_and_other_tags_refused() {
    let dir = tempfile::tempdir().unwrap();
    let tagged =
        "version: !!int \"1\"\ngates:\n  - service: checkout\n    env: production\n    identifier: !!str 300\n";
    write(dir.path(), "tagged.yaml", tagged);
    let run = validate(dir.path(), "tagged.yaml");
    assert_eq!(run.code, 0, "!!str 300 is the identifier \"300\": {run:?}");
    for (file, text, expected) in [
        (
            "binary.yaml",
            "version: 1\ngates:\n  - service: !!binary aGVsbG8=\n    env: production\n",
            "the YAML tag !!binary is not supported",
        ),
        (
            "custom.yaml",
            "version: 1\ngates: !mine\n  - service: a\n    env: b\n",
            "the YAML tag !mine is not supported",
        ),
        ("wrong.yaml", "version: !!int one\n", "\"one\" is not a valid !!int"),
    ] {
        write(dir.path(), file, text);
        let run = validate(dir.path(), file);
        assert_eq!(run.code, 1, "{file}: {run:?}");
        assert!(run.stderr.contains("gates::unsupported-tag") && run.stderr.contains(expected), "{file}: {run:?}");
    }
}

#[test]
fn a_byte_order_mark_is_accepted_in_yaml_as_in_toml() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "\u{feff}version: 1\ngates:\n  - service: checkout\n    env: production\n";
    write(dir.path(), "gates.yaml", yaml);
    write(dir.path(), "gates.toml", "\u{feff}version = 1\n[[gates]]\nservice = \"search\"\nenv = \"production\"\n");
    for file in ["gates.yaml", "gates.toml"] {
        let run = validate(dir.path(), file);
        assert_eq!(run.code, 0, "{file}: {run:?}");
    }
    // Diagnostics still point at the right place after the mark.
    write(
        dir.path(),
        "bad.yaml",
        "\u{feff}version: 1\ngates:\n  - service: checkout\n    env: production\n    owner: x\n",
    );
    let run = validate(dir.path(), "bad.yaml");
    assert!(run.stderr.contains("bad.yaml:5:5"), "{run:?}");
}

#[test]
fn a_file_over_64_mib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    file.set_len(65 << 20).unwrap();
    let run = validate(dir.path(), "big.toml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("larger than 64 MiB"), "{run:?}");
}

#[test]
fn a_fifo_or_a_device_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("gates.yaml");
    let c_path = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo only creates the named pipe at the path given.
    assert_eq!(unsafe { libc::mkfifo(c_path.as_ptr(), 0o600) }, 0);
    let run = validate(dir.path(), "gates.yaml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not a regular file (a named pipe)"), "{run:?}");
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("zero.toml")).unwrap();
    let run = validate(dir.path(), "zero.toml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not a regular file (a device)"), "{run:?}");
    // Saved plans and sandbox states are read the same way.
    for args in [
        &["show", "zero.toml"][..],
        &["--sandbox", "apply", "zero.toml"],
        &["--sandbox", "apply", "gates.yaml"],
        &["sandbox", "--import", "gates.yaml", "--listen", "127.0.0.1:0"],
    ] {
        let run = gatesctl(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains("not a regular file"), "{args:?}: {run:?}");
    }
}

#[test]
fn deeply_nested_yaml_is_refused_without_overflowing_the_stack() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "deep.yaml", &format!("version: 1\ngates: {}{}\n", "[".repeat(130_000), "]".repeat(130_000)));
    write(dir.path(), "deep.toml", &format!("version = 1\ngates = {}{}\n", "[".repeat(130_000), "]".repeat(130_000)));
    for file in ["deep.yaml", "deep.toml"] {
        let run = validate(dir.path(), file);
        assert_eq!(run.code, 1, "{file}: {run:?}");
        assert!(run.stderr.contains(file), "{run:?}");
    }
    // The YAML parser's own recursion limit, or gatesctl's depth bound, whichever comes first.
    let yaml = validate(dir.path(), "deep.yaml");
    assert!(yaml.stderr.contains("recursion limit") || yaml.stderr.contains("nested more than"), "{yaml:?}");
    // Deep enough for gatesctl's bound, not for the parser's.
    write(
        dir.path(),
        "deep2.yaml",
        &format!(
            "version: 1
gates: {}{}
",
            "[".repeat(100),
            "]".repeat(100)
        ),
    );
    let run = validate(dir.path(), "deep2.yaml");
    assert!(
        run.stderr.contains("gates::limit-exceeded") && run.stderr.contains("nested more than 64 levels deep"),
        "{run:?}"
    );
}

#[test]
fn a_yaml_alias_bomb_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The 388-byte "billion laughs": nine levels of nine aliases.
    let mut bomb =
        String::from("version: 1\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (level, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().zip(["a", "b", "c", "d", "e", "f", "g", "h"]) {
        bomb.push_str(&format!("{level}: &{level} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
    }
    assert!(bomb.len() < 600, "{}", bomb.len());
    write(dir.path(), "bomb.yaml", &bomb);
    let run = validate(dir.path(), "bomb.yaml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("gates::limit-exceeded") && run.stderr.contains("aliases expand"), "{run:?}");
}

#[test]
fn a_yaml_file_with_two_documents_is_refused_and_nothing_is_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "version: 1\nmanage:\n  services: [\"*\"]\ngates:\n  - service: checkout\n    env: production\n---\ngates:\n  - service: search\n    env: production\n";
    write(dir.path(), "gates.yaml", yaml);
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    for service in ["checkout", "search"] {
        sandbox.block_on(client.create_gate(&GateKey::new(service, "production", "default"), false)).unwrap();
    }
    let before = sandbox.mutations().len();
    let run = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("gates::multiple-documents"), "{run:?}");
    assert!(run.stderr.contains("gates.yaml:7:1"), "located at the second ---: {run:?}");
    assert_eq!(sandbox.mutations().len(), before, "the gate of the second document is not deleted");
}

#[test]
fn source_excerpts_never_carry_a_files_control_characters_to_the_terminal() {
    // Written raw into the file (not as escapes), in a comment and in a name: the excerpt
    // shows the line, so the line must be made printable.
    let dir = tempfile::tempdir().unwrap();
    let yaml = "version: 1\n# \u{1b}]0;pwned\u{7}\u{1b}[2J\ngates:\n  - service: \"a\u{202e}b\"\n    env: prod\n";
    write(dir.path(), "gates.yaml", yaml);
    let run = gatesctl(dir.path(), &["validate", "--color", "never"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("gates::invalid-character"), "{run:?}");
    assert_eq!(raw_control(&run.stderr), None, "{run:?}");
    let toml = "version = 1\n# \u{1b}]0;pwned\u{7}\rspoof\n";
    std::fs::remove_file(dir.path().join("gates.yaml")).unwrap();
    write(dir.path(), "gates.toml", toml);
    let run = gatesctl(dir.path(), &["validate", "--color", "never"], &[]);
    assert_eq!(run.code, 1, "a control character in a TOML comment is a syntax error: {run:?}");
    assert_eq!(raw_control(&run.stderr), None, "{run:?}");
}

#[test]
fn validation_refuses_control_and_bidi_characters_in_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = "version = 1\n\n[[gates]]\nservice = \"check\\u001bout\"\nenv = \"prod\"\n\n  [[gates.rules]]\n  name = \"a\\u202eb\"\n  type = \"monitor\"\n  query = \"x\"\n";
    write(dir.path(), "gates.toml", config);
    let run = gatesctl(dir.path(), &["validate"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stderr.matches("gates::invalid-character").count(), 2, "{run:?}");
    assert!(run.stderr.contains("gates.toml:4:"), "{run:?}");
    assert_eq!(raw_control(&run.stderr.replace("\u{1b}[", "")), None, "{run:?}");
}

#[test]
fn validate_reports_success_and_failure_with_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let ok = gatesctl(dir.path(), &["validate"], &[]);
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("Configuration is valid: 2 gates, 2 rules."));
    let empty = tempfile::tempdir().unwrap();
    let missing = gatesctl(empty.path(), &["validate"], &[]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("no configuration file found: looked for gates.toml, gates.yaml, gates.yml"),
        "{missing:?}"
    );
}

/// Without -f: the one gates file and the policies file beside it; two gates files are refused,
/// never one skipped in silence (a misformatted gates.yaml would pass).
#[test]
fn the_default_files_are_one_gates_file_and_its_policies_and_two_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    write(
        dir.path(),
        "policies.toml",
        "version = 1\n\n[[policy]]\nname = \"gated\"\nlevel = \"warning\"\nrequire = [\"gate\"]\n",
    );
    let both = gatesctl(dir.path(), &["validate", "--format", "json"], &[]);
    assert_eq!(both.code, 0, "{both:?}");
    let doc: serde_json::Value = serde_json::from_str(&both.stdout).unwrap();
    assert_eq!(doc["policies"], 1, "the policies file is read beside gates.toml: {doc:#}");
    write(dir.path(), "gates.yaml", "version: 1\ngates:\n  - service: a\n    env:    prod\n");
    for args in [&["validate"][..], &["fmt", "--check"], &["plan", "--sandbox"]] {
        let run = gatesctl(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(
            run.stderr.contains("gates.toml and gates.yaml are all in") && run.stderr.contains("name it with -f"),
            "{args:?}: {run:?}"
        );
    }
    // Named, both are read together.
    let named = gatesctl(dir.path(), &["validate", "-f", "gates.toml", "-f", "gates.yaml"], &[]);
    assert_eq!(named.code, 0, "{named:?}");
    write(dir.path(), "policies.yaml", "version: 1\n");
    std::fs::remove_file(dir.path().join("gates.yaml")).unwrap();
    let run = gatesctl(dir.path(), &["validate"], &[]);
    assert!(run.code == 1 && run.stderr.contains("policies.toml and policies.yaml"), "{run:?}");
}

#[test]
fn an_invalid_file_never_reaches_the_network() {
    let (dir, sandbox) =
        setup("version = 1\n\n[[gates]]\nservice = \"checkout\"\nenv = \"production\"\nowner = \"team-a\"\n");
    for command in ["plan", "apply"] {
        let run = sandbox.gatesctl(dir.path(), &[command, "--auto-approve"][..if command == "plan" { 1 } else { 2 }]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("gates::unknown-key"), "{run:?}");
        assert!(run.stderr.contains("gates.toml:6:1"), "{run:?}");
    }
    assert!(sandbox.requests().is_empty(), "{:?}", sandbox.requests());
}

#[test]
fn validate_speaks_json_to_editors_and_bots() {
    let dir = tempfile::tempdir().unwrap();
    // What it cannot speak is refused, not printed as text.
    for command in [&["validate"][..], &["evaluate", "--service", "a", "--env", "b"]] {
        let run = gatesctl(dir.path(), &[command, &["--format", "markdown"]].concat(), &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("[possible values: text, json]"), "{run:?}");
    }
    write(
        dir.path(),
        "gates.toml",
        "version = 1\n\n[[gates]]\nservice = \"checkout\"\nenv = \"production\"\nidentifer = \"canary\"\n",
    );
    let run = gatesctl(dir.path(), &["validate", "--format", "json"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    let d = &doc["diagnostics"][0];
    assert_eq!(
        (d["code"].as_str(), d["file"].as_str(), d["line"].as_u64(), d["column"].as_u64()),
        (Some("gates::unknown-key"), Some("gates.toml"), Some(6), Some(1))
    );
    assert_eq!(d["help"], "did you mean `identifier`?");
    assert_eq!(d["message"], "unknown key `identifer` in gate #1");
    write(dir.path(), "gates.toml", SMALL);
    let ok = gatesctl(dir.path(), &["validate", "--format", "json"], &[]);
    let doc: serde_json::Value = serde_json::from_str(&ok.stdout).unwrap();
    assert_eq!((ok.code, doc["valid"].clone(), doc["gates"].clone()), (0, true.into(), 2.into()));
}

#[test]
fn standard_input_is_a_file_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["gates.toml", "yaml/gates.yaml"] {
        let text = std::fs::read_to_string(examples_dir().join(name)).unwrap();
        let run = gatesctl_with_stdin(dir.path(), &["validate", "-f", "-"], &[], &text);
        assert_eq!(run.code, 0, "{name}: {run:?}");
        assert!(run.stdout.contains("Configuration is valid: 12 gates"), "{name}: {run:?}");
    }
    // Problems point at <stdin>, with their line.
    let bad =
        gatesctl_with_stdin(dir.path(), &["validate", "-f", "-"], &[], "version = 1\n[[gates]]\nservic = \"a\"\n");
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("<stdin>:3:1"), "{bad:?}");
    // Nothing to sniff: the format must be said.
    let unclear = gatesctl_with_stdin(dir.path(), &["validate", "-f", "-"], &[], "{}\n");
    assert!(unclear.stderr.contains("pass --format-in toml or --format-in yaml"), "{unclear:?}");
    let said = gatesctl_with_stdin(dir.path(), &["validate", "-f", "-", "--format-in", "yaml"], &[], "version: 1\n");
    assert_eq!(said.code, 0, "{said:?}");
}

/// fmt formats every file validate accepts: mutations of the examples and of files with
/// multi-line values (blanks and blank lines inside them, wide list dashes), each one that
/// validates formats, keeps its values (the proof fmt makes), and formats again to itself.
#[test]
fn fmt_formats_every_mutation_validate_accepts() {
    use gatesctl_files::source::{Format, SourceFile};

    let mut seeds: Vec<(Format, String)> = ["gates.toml", "yaml/gates.yaml"]
        .into_iter()
        .map(|f| {
            let path = crate::common::examples_dir().join(f);
            (Format::from_path(&path).unwrap(), std::fs::read_to_string(path).unwrap())
        })
        .collect();
    seeds.push((
        Format::Toml,
        "version = 1\n\n[[gates]]\nservice = \"a\"\nenv = \"prod\"\n\n  [[gates.rules]]\n  name = \"m\"\n  type = \"monitor\"\n  query = '''q  \n\n\n  x'''\n\n  [[gates.rules]]\n  name = \"n\"\n  type = \"faulty_deployment_detection\"\n  excluded_resources = [\"\"\"r  \n\n\ns\"\"\", \"t\"]\n".into(),
    ));
    seeds.push((
        Format::Yaml,
        "version: 1\ngates:\n-   service: a\n    env: prod\n    rules:\n    -  name: m\n       type: monitor\n       query: |\n         multi  \n\n\n         line\n    -  name: n\n       type: monitor\n       query: \"quoted\n\n\n         more  \"\n".into(),
    ));
    let tokens: [&[u8]; 12] =
        [b" ", b"  ", b"\n", b"\n\n\n", b"# c\n", b"\t", b"  \n", b"-  ", b"|+\n", b"\"\"\"", b"'''", b"\\"];
    let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
    let mut next = move || rng.u64(..);
    let (mut valid, mut formatted) = (0, 0);
    for case in 0..4000 {
        let (format, seed) = &seeds[case % seeds.len()];
        let mut bytes = seed.clone().into_bytes();
        for _ in 0..1 + next() % 3 {
            let at = (next() as usize) % (bytes.len() + 1);
            bytes.splice(at..at, tokens[(next() % tokens.len() as u64) as usize].iter().copied()).for_each(drop);
        }
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let name = if *format == Format::Toml { "case.toml" } else { "case.yaml" };
        let file = SourceFile::new(name.into(), *format, text.clone());
        if gatesctl_files::load_sources(std::slice::from_ref(&file)).is_err() {
            continue;
        }
        valid += 1;
        let once = gatesctl_files::fmt::format(&file).unwrap_or_else(|e| panic!("case {case}: {e}:\n{text}"));
        let again = gatesctl_files::fmt::format(&SourceFile::new(name.into(), *format, once.clone()))
            .unwrap_or_else(|e| panic!("case {case}, formatted: {e}:\n{once}"));
        assert_eq!(again, once, "case {case}: not idempotent:\n{text}");
        formatted += usize::from(once != text);
    }
    assert!(valid > 300, "enough mutations must stay valid to test fmt: {valid}");
    assert!(formatted > 100, "and need formatting: {formatted}");
}
