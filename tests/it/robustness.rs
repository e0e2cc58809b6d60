//! No panic, hang or unbounded wait on any input: hostile files, hostile headers, absurd
//! flags and closed pipes each end with a clear message and exit 1 (or succeed), never with a
//! crash (101, 134) or an out-of-memory kill.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{gatesctl, write, Proxy, Reply, TestSandbox, SMALL};

fn validate(dir: &Path, file: &str) -> crate::common::Run {
    gatesctl(dir, &["validate", "-f", file], &[])
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
fn a_file_over_64_mib_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    file.set_len(65 << 20).unwrap();
    let run = validate(dir.path(), "big.toml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("larger than 64 MiB"), "{run:?}");
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
fn bytes_that_are_not_utf8_are_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), b"version = 1\n\n[[gates]]\nservice = \"caf\xe9\"\n").unwrap();
    let run = validate(dir.path(), "gates.toml");
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("not UTF-8 text: invalid byte at line 4, byte 15"), "{run:?}");
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
fn hostile_rate_limit_headers_neither_panic_nor_hang() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    for headers in [
        vec![("x-ratelimit-limit", "100"), ("x-ratelimit-remaining", "50"), ("x-ratelimit-reset", "1e20")],
        vec![("x-ratelimit-limit", "0"), ("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "1")],
        vec![("x-ratelimit-limit", "lots"), ("x-ratelimit-remaining", "-3"), ("x-ratelimit-reset", "NaN")],
        vec![
            ("x-ratelimit-limit", "18446744073709551616"),
            ("x-ratelimit-remaining", "1e300"),
            ("x-ratelimit-reset", "0"),
        ],
    ] {
        let headers: Vec<(&'static str, String)> = headers.into_iter().map(|(k, v)| (k, v.to_string())).collect();
        let proxy = Proxy::start(&sandbox, &sandbox.url, move |_| Reply::Headers(headers.clone()));
        let run = proxy.gatesctl(dir.path(), &["plan"]);
        assert_eq!(run.code, 0, "{run:?}");
    }
}

#[test]
fn absurd_evaluate_durations_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let base = ["evaluate", "--service", "checkout", "--env", "production"];
    for (flags, expected) in [
        (&["--timeout", "18446744073709551615"][..], "out of range"),
        (&["--interval", "4611686018427387904"], "out of range"),
        (&["--timeout", "0"], "out of range"),
        (&["--interval", "2m", "--timeout", "1m"], "--interval 2m is longer than --timeout 1m"),
    ] {
        let args = [&base[..], flags].concat();
        let run = gatesctl(
            dir.path(),
            &args,
            &[("DD_API_URL", "http://127.0.0.1:9"), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
        );
        assert_eq!(run.code, 1, "{flags:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{flags:?}: {run:?}");
        assert!(!run.stderr.contains("Evaluating"), "nothing is sent: {run:?}");
    }
}

#[test]
fn an_unknown_gate_status_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let eval = gatesctl_sandbox::EvalSettings { not_found_polls: 0, ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), gatesctl_sandbox::SandboxOptions { eval, ..Default::default() });
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let polls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&polls);
    let proxy = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "GET" && seen.path.contains("/deployments/gates/evaluation/") {
            counted.fetch_add(1, Ordering::SeqCst);
            Reply::Edit(Box::new(|answer| answer["data"]["attributes"]["gate_status"] = "error".into()))
        } else {
            Reply::Forward
        }
    });
    let args = ["evaluate", "--service", "checkout", "--env", "production", "--version", "v1", "--interval", "10ms"];
    let open = proxy.gatesctl(dir.path(), &args);
    assert_eq!(open.code, 0, "fail-open, as for an unavailable API: {open:?}");
    assert!(open.stderr.contains("SKIPPED") && open.stdout.contains("unknown gate_status \"error\""), "{open:?}");
    assert_eq!(polls.load(Ordering::SeqCst), 1, "reported at the first such answer");
    let closed = proxy.gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat());
    assert_eq!(closed.code, 1, "{closed:?}");
}

#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(crate::common::examples_dir().join("gates.toml"), dir.path().join("gates.toml")).unwrap();
    let sandbox = TestSandbox::start(dir.path());
    // `gatesctl -v plan 2>&1 | head -1`: stdout and stderr share one pipe, closed after a line.
    let (reader, writer) = std::io::pipe().unwrap();
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut cmd = crate::common::hermetic(dir.path(), &["-v", "plan"], &env);
    cmd.stdin(std::process::Stdio::null()).stdout(writer.try_clone().unwrap()).stderr(writer);
    let child = crate::common::spawn_bounded(cmd).unwrap();
    let mut first = String::new();
    BufReader::new(reader).read_line(&mut first).unwrap();
    // The reader is dropped here: every later write meets a closed pipe.
    let code = child.wait().code();
    assert!(matches!(code, Some(0) | Some(1)), "exit {code:?} after {first:?}");
}

/// Mutations of the examples: every one ends with a verdict, never a panic. In process for
/// the 5,000 cases, and through the binary for a sample, whose exit code must be 0 or 1.
#[test]
fn a_mutation_fuzzer_finds_no_crash() {
    use gatesctl_files::source::{Format, SourceFile};

    let seeds: Vec<(Format, String)> = ["gates.toml", "gates.yaml"]
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
    // A fixed-seed xorshift: the same cases every run, so a failure reproduces.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
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
