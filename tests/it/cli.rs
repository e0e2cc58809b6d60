//! The command line itself: help and man pages, completions, Terraform habits, flags that do
//! not fit, colour, and the small things a newcomer trips on.

use crate::common::{gatesctl, gatesctl_with_stdin, write, TestSandbox, SMALL};

#[test]
fn help_of_every_command_matches_its_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let root = gatesctl(dir.path(), &["--help"], &[]);
    assert_eq!(root.code, 0, "{root:?}");
    // The commands, as the root help lists them.
    let commands: Vec<String> = root
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() >= 8, "{commands:?}");
    let mut all = format!("$ gatesctl --help\n{}", root.stdout);
    for command in &commands {
        let help = gatesctl(dir.path(), &[command, "--help"], &[]);
        assert_eq!(help.code, 0, "{help:?}");
        all.push_str(&format!("\n$ gatesctl {command} --help\n{}", help.stdout));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn small_things_a_newcomer_trips_on() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    // --format-in is for standard input; with a named file it is refused, not ignored.
    let named = gatesctl(dir.path(), &["validate", "-f", "gates.toml", "--format-in", "yaml"], &[]);
    assert!(named.code == 1 && named.stderr.contains("--format-in is the format of standard input"), "{named:?}");
    let empty = gatesctl_with_stdin(dir.path(), &["validate", "-f", "-"], &[], "");
    assert!(empty.code == 1 && empty.stderr.contains("standard input is empty"), "{empty:?}");
    // Every problem of a rule at once: its duration and its placeholder.
    write(dir.path(), "bad.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"x\"\n  type = \"monitor\"\n  query = \"service:{servce}\"\n  duration = 99999\n");
    let both = gatesctl(dir.path(), &["validate", "-f", "bad.toml"], &[]);
    assert!(
        both.stderr.contains("gates::duration-out-of-range") && both.stderr.contains("gates::unknown-placeholder"),
        "{both:?}"
    );
    // Completions offer what --help shows: not datadog-ci's hidden alias and flags.
    for shell in ["bash", "zsh", "fish"] {
        let script = gatesctl(dir.path(), &["completions", shell], &[]).stdout;
        assert!(!script.contains("monitors-query-variable") && !script.contains("log-format"), "{shell}");
        assert!(!script.contains("deployment gate") && !script.contains("gatesctl__subcmd__deployment"), "{shell}");
        assert!(script.contains("coverage"), "{shell}");
    }
}

#[test]
fn every_command_has_its_man_page_with_exit_status_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let page = gatesctl(dir.path(), &["man", "plan"], &[]);
    assert_eq!(page.code, 0, "{page:?}");
    for section in [".TH gatesctl-plan 1", ".SH \"EXIT STATUS\"", ".SH \"ENVIRONMENT\"", ".SH \"SEE ALSO\""] {
        assert!(page.stdout.contains(section), "{section}: {}", page.stdout);
    }
    assert_eq!(page.stdout.matches(".ds Aq").count(), 2, "one preamble: {}", page.stdout);
    assert!(page.stdout.contains("GITHUB_STEP_SUMMARY"), "{}", page.stdout);
    let main = gatesctl(dir.path(), &["man"], &[]);
    assert!(
        main.stdout.contains("gatesctl\\-plan(1)") || main.stdout.contains("gatesctl\\-plan\\fR(1)"),
        "SEE ALSO lists the pages: {}",
        main.stdout
    );
    let all = gatesctl(dir.path(), &["man", "--out-dir", "man"], &[]);
    assert_eq!(all.code, 0, "{all:?}");
    for name in ["gatesctl.1", "gatesctl-plan.1", "gatesctl-coverage.1", "gatesctl-fmt.1"] {
        assert!(dir.path().join("man").join(name).is_file(), "{name}: {all:?}");
    }
    let typo = gatesctl(dir.path(), &["man", "plna"], &[]);
    assert!(typo.code == 1 && typo.stderr.contains("did you mean `plan`?"), "{typo:?}");
    // --help names the GitHub variables it reads.
    let help = gatesctl(dir.path(), &["validate", "--help"], &[]);
    assert!(help.stdout.contains("GITHUB_ACTIONS") && help.stdout.contains("GITHUB_WORKSPACE"), "{help:?}");
}

#[test]
fn terraform_habits_get_the_double_dash_flag() {
    let dir = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (&["apply", "-auto-approve"][..], "`--auto-approve`"),
        (&["plan", "-detailed-exitcode"], "`--detailed-exitcode`"),
        (&["plan", "-out=plan.json"], "`--out plan.json`"),
    ] {
        let run = gatesctl(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(&format!("long flags take two dashes, as {flag}")), "{run:?}");
    }
}

#[test]
fn completions_load_in_bash_and_complete_commands_and_the_man_page_renders() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = gatesctl(dir.path(), &["completions", shell], &[]);
        assert_eq!(run.code, 0, "{shell}: {run:?}");
        assert!(run.stdout.contains("gatesctl"), "{shell}");
    }
    let script = dir.path().join("gatesctl.bash");
    std::fs::write(&script, gatesctl(dir.path(), &["completions", "bash"], &[]).stdout).unwrap();
    // What bash offers after `gatesctl rep<TAB>` and `gatesctl plan --for<TAB>`.
    let complete = |words: &str| {
        let program = format!(
            "source '{}' && COMP_WORDS=({words}) && COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)) && _gatesctl gatesctl \"${{COMP_WORDS[-1]}}\" \"${{COMP_WORDS[-2]}}\" && printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let mut bash = std::process::Command::new("bash");
        bash.args(["--noprofile", "--norc", "-c", &program]).stdin(std::process::Stdio::null());
        let run = crate::common::run_bounded(bash);
        assert_eq!(run.code, 0, "{run:?}");
        run.stdout
    };
    assert_eq!(complete("gatesctl rep").trim(), "report");
    assert!(complete("gatesctl plan --for").lines().any(|l| l == "--force"));

    let man = gatesctl(dir.path(), &["man"], &[]);
    assert_eq!(man.code, 0, "{man:?}");
    assert!(man.stdout.contains(".TH gatesctl 1") && man.stdout.contains("plan"), "{}", man.stdout);

    let version = gatesctl(dir.path(), &["--version"], &[]);
    let expected = format!("gatesctl {} ({}-", env!("CARGO_PKG_VERSION"), std::env::consts::ARCH);
    assert!(version.stdout.starts_with(&expected) && version.stdout.contains(", commit "), "{version:?}");
}

#[test]
fn connection_flags_that_do_not_fit_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    for (args, expected) in [
        (&["--sandbox", "plan", "--api-url", "http://127.0.0.1:9"][..], "do not pass --site or --api-url"),
        (&["plan", "--sandbox", "--api-url", "http://127.0.0.1:9"], "cannot be used with"),
        (&["--sandbox", "validate"], "not for validate"),
        (&["--api-url", "http://127.0.0.1:9", "schema"], "not for schema"),
    ] {
        let run = gatesctl(dir.path(), args, &[]);
        assert_eq!(run.code, 1, "{args:?}: {run:?}");
        assert!(run.stderr.contains(expected), "{args:?}: {run:?}");
    }
    assert!(!dir.path().join(".gatesctl").exists(), "no sandbox was started");
}

#[test]
fn colour_on_a_terminal_only_and_never_with_no_color() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let keys = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let with = |extra: &[(&'static str, &'static str)]| [&keys[..], extra].concat();

    // A pipe, with NO_COLOR unset: plain text.
    let mut piped = crate::common::hermetic(dir.path(), &["plan"], &keys);
    piped.env_remove("NO_COLOR").stdin(std::process::Stdio::null());
    let piped = crate::common::run_bounded(piped);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(!piped.stdout.contains('\u{1b}'), "no escape codes into a pipe");

    let terminal = crate::common::gatesctl_on_terminal(dir.path(), &["plan"], &with(&[]));
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains("\u{1b}["), "colour on a terminal: {terminal:?}");
    assert!(terminal.stdout.contains("\u{1b}[1mcheckout/production/default"), "{terminal:?}");

    let no_color = crate::common::gatesctl_on_terminal(dir.path(), &["plan"], &with(&[("NO_COLOR", "1")]));
    assert!(!no_color.stdout.contains('\u{1b}'), "NO_COLOR wins on a terminal: {no_color:?}");
    let never = crate::common::gatesctl_on_terminal(dir.path(), &["plan", "--color", "never"], &with(&[]));
    assert!(!never.stdout.contains('\u{1b}'), "--color never: {never:?}");
    let always = sandbox.gatesctl(dir.path(), &["plan", "--color", "always"]);
    assert!(always.stdout.contains("\u{1b}["), "--color always forces colour into a pipe");
}

/// Each command's help shows the flags that act on it, the environment it reads and its exit
/// codes; the offline ones do not offer the API's trace (`-v`) or annotations.
#[test]
fn each_command_s_help_lists_what_acts_on_it_its_environment_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "validate",
        "fmt",
        "plan",
        "apply",
        "show",
        "drift",
        "import",
        "report",
        "coverage",
        "audit",
        "evaluate",
        "sandbox",
        "schema",
        "completions",
        "man",
    ] {
        let help = gatesctl(dir.path(), &[command, "--help"], &[]);
        assert_eq!(help.code, 0, "{help:?}");
        assert!(
            help.stdout.contains("\nEnvironment:\n") && help.stdout.contains("\nExit codes"),
            "{command}: {}",
            help.stdout
        );
        let offline = ["fmt", "show", "schema", "completions", "man", "sandbox"].contains(&command);
        assert_eq!(help.stdout.contains("--verbose"), !offline, "{command}: {}", help.stdout);
        assert_eq!(help.stdout.contains("--annotations"), !offline, "{command}: {}", help.stdout);
    }
    // A connection flag where it does nothing says so, rather than clap's "pass it as a value".
    let fmt = gatesctl(dir.path(), &["fmt", "--sandbox"], &[]);
    assert!(fmt.code == 1 && fmt.stderr.contains("--sandbox is for the commands that call the API"), "{fmt:?}");
    assert!(!fmt.stderr.contains("as a value"), "{fmt:?}");
}
