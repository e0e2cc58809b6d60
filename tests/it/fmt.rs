//! `fmt`: the one layout, comments kept, `--check` with a diff; imports come out in it.

use crate::common::{applied, examples_dir, gatesctl, gatesctl_with_stdin, write, SMALL};

#[test]
fn an_import_is_in_fmt_s_layout_and_piped_into_a_plan_changes_nothing() {
    let (dir, sandbox) = applied(SMALL);
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    for format in ["toml", "yaml"] {
        let import = sandbox.gatesctl(dir.path(), &["import", "--format", format]);
        assert_eq!(import.code, 0, "{import:?}");
        let fmt = gatesctl_with_stdin(dir.path(), &["fmt", "--check", "-", "--format-in", format], &[], &import.stdout);
        assert_eq!((fmt.code, fmt.stdout.as_str()), (0, ""), "{format}: {fmt:?}");
        let plan = gatesctl_with_stdin(
            dir.path(),
            &["plan", "-f", "-", "--detailed-exitcode", "--no-monitor-check"],
            &env,
            &import.stdout,
        );
        assert_eq!(plan.code, 0, "{format}: {plan:?}");
    }
    // A saved plan or a --write needs a file to come back to.
    let out = gatesctl_with_stdin(dir.path(), &["plan", "-f", "-", "--out", "p.json"], &env, SMALL);
    assert!(out.code == 1 && out.stderr.contains("write the configuration to a file first"), "{out:?}");
    let write_back = gatesctl_with_stdin(dir.path(), &["report", "-f", "-", "--write"], &env, SMALL);
    assert!(write_back.code == 1 && write_back.stderr.contains("standard input is not a file"), "{write_back:?}");
}

#[test]
fn fmt_writes_the_one_layout_keeping_comments_and_check_shows_the_diff() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", MESSY_TOML);
    write(dir.path(), "gates.yaml", "version:   1\ngates:\n- service: a   # the shop\n  env: prod\n");
    let check = gatesctl(dir.path(), &["fmt", "--check", "gates.toml", "gates.yaml"], &[]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(check.stdout.contains("-version=1\n+version = 1\n"), "a diff: {check:?}");
    assert!(
        check.stderr.contains("would reformat gates.toml") && check.stderr.contains("would reformat gates.yaml"),
        "{check:?}"
    );
    assert!(check.stderr.contains("2 files not formatted: run `gatesctl fmt`"), "{check:?}");
    assert_eq!(std::fs::read_to_string(dir.path().join("gates.toml")).unwrap(), MESSY_TOML, "--check changes nothing");
    let fmt = gatesctl(dir.path(), &["fmt", "gates.toml", "gates.yaml"], &[]);
    assert_eq!(fmt.code, 0, "{fmt:?}");
    assert_eq!(fmt.stdout, "gates.toml\ngates.yaml\n", "the files it changed");
    assert_eq!(std::fs::read_to_string(dir.path().join("gates.toml")).unwrap(), TIDY_TOML);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("gates.yaml")).unwrap(),
        "version: 1\ngates:\n  - service: a   # the shop\n    env: prod\n"
    );
    let again = gatesctl(dir.path(), &["fmt", "--check", "gates.toml", "gates.yaml"], &[]);
    assert_eq!((again.code, again.stdout.as_str()), (0, ""), "formatted files pass: {again:?}");
    // Standard input to standard output, as editors call it.
    let piped = gatesctl_with_stdin(dir.path(), &["fmt", "-"], &[], MESSY_TOML);
    assert_eq!((piped.code, piped.stdout.as_str()), (0, TIDY_TOML), "{piped:?}");
    // What is not TOML is said, and not touched.
    write(dir.path(), "broken.toml", "version = \n");
    let broken = gatesctl(dir.path(), &["fmt", "broken.toml"], &[]);
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(broken.stderr.contains("broken.toml") && broken.stderr.contains("gatesctl validate"), "{broken:?}");
    // The examples are in the layout already.
    let examples =
        gatesctl(&examples_dir(), &["fmt", "--check", "gates.toml", "policies.toml", "yaml/gates.yaml"], &[]);
    assert_eq!(examples.code, 0, "{examples:?}");
}

const TIDY_TOML: &str = "# The shop's gates.\nversion = 1\n\n[[gates]]\nservice = \"a\"   # the shop\nenv = \"prod\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:a\"\n";

const MESSY_TOML: &str = "# The shop's gates.\nversion=1\n[[gates]]\n   service = \"a\"   # the shop\nenv=\"prod\"\n    [[gates.rules]]\n    name = \"Errors\"\n    type = \"monitor\"\n    query = \"service:a\"\n\n\n";

#[test]
#[cfg(unix)]
fn fmt_and_report_write_leave_read_only_files_keep_hard_links_and_byte_order_marks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let messy = "version=1\n\n[[gates]]\nservice = \"a\"\nenv=\"prod\"\n";
    // Its owner made it read-only: left as it is, though the folder is writable.
    write(dir.path(), "gates.toml", messy);
    let file = dir.path().join("gates.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o444)).unwrap();
    let run = gatesctl(dir.path(), &["fmt", "gates.toml"], &[]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("gates.toml: it is read-only (its owner made it so)"), "{run:?}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy);
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o444);
    // A second name for the same file sees the formatted text.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::hard_link(&file, dir.path().join("also.toml")).unwrap();
    let run = gatesctl(dir.path(), &["fmt", "gates.toml"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let formatted = std::fs::read_to_string(dir.path().join("also.toml")).unwrap();
    assert!(formatted.starts_with("version = 1\n"), "the hard link is kept: {formatted}");
    // `fmt -` keeps a byte order mark, as the file path does.
    let piped = gatesctl_with_stdin(dir.path(), &["fmt", "-", "--format-in", "toml"], &[], &format!("\u{feff}{messy}"));
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(piped.stdout.starts_with("\u{feff}version = 1\n"), "{piped:?}");
}

/// `--check`'s diff is coloured as asked (and only then): removed lines red, added green.
#[test]
fn the_check_diff_takes_colour_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", MESSY_TOML);
    let coloured = gatesctl(dir.path(), &["fmt", "--check", "--color", "always"], &[]);
    assert_eq!(coloured.code, 1, "{coloured:?}");
    assert!(coloured.stdout.contains("\u{1b}[31m-version=1\u{1b}[0m"), "{:?}", coloured.stdout);
    assert!(coloured.stdout.contains("\u{1b}[32m+version = 1\u{1b}[0m"), "{:?}", coloured.stdout);
    let piped = gatesctl(dir.path(), &["fmt", "--check"], &[]);
    let never = gatesctl(dir.path(), &["fmt", "--check", "--color", "never"], &[]);
    for run in [&piped, &never] {
        assert!(!run.stdout.contains('\u{1b}') && run.stdout.contains("-version=1\n+version = 1\n"), "{run:?}");
    }
}
