//! The habits of the people who wire gatesctl in: completions and a man page, `-f -`,
//! pre-commit, editor schemas, GitHub Actions annotations and step summary, apply as data, and a
//! plan text that stands alone.

use std::path::Path;

use serde_json::Value;

use crate::common::{applied, examples_dir, gatesctl, gatesctl_with_stdin, write, TestSandbox, SMALL};

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
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
fn standard_input_is_a_file_in_either_format() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["gates.toml", "gates.yaml"] {
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
fn the_pre_commit_hooks_parse_and_their_entry_validates_the_files_passed() {
    let text = std::fs::read_to_string(repo().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks = <saphyr::YamlOwned as saphyr::LoadableYamlNode>::load_from_str(&text).unwrap();
    let list = hooks[0].as_vec().expect("a list of hooks");
    assert!(list.len() >= 2);
    let field =
        |hook: &saphyr::YamlOwned, key: &str| hook.as_mapping_get(key).and_then(|v| v.as_str()).map(str::to_string);
    for hook in list {
        for key in ["id", "name", "entry", "language", "files"] {
            assert!(field(hook, key).is_some(), "{key} in {hook:?}");
        }
        let (id, entry) = (field(hook, "id").unwrap(), field(hook, "entry").unwrap());
        let command = if id.starts_with("gatesctl-fmt") { "gatesctl fmt" } else { "gatesctl validate" };
        assert_eq!(entry, command, "{id}");
    }
    // The hooks the README shows install the wheel of the release (seconds), not a compiler.
    let language = |id: &str| {
        list.iter().find(|h| field(h, "id").as_deref() == Some(id)).and_then(|h| field(h, "language")).unwrap()
    };
    assert_eq!(language("gatesctl-validate"), "python");
    assert_eq!(language("gatesctl-fmt"), "python");
    // pre-commit runs `pip install .` at the root: the shim pins the wheel of this very release.
    let cargo: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("Cargo.toml")).unwrap()).unwrap();
    let version = cargo["workspace"]["package"]["version"].as_str().unwrap();
    let shim: toml::Table = toml::from_str(&std::fs::read_to_string(repo().join("pyproject.toml")).unwrap()).unwrap();
    assert_eq!(shim["project"]["version"].as_str(), Some(version));
    assert_eq!(
        shim["project"]["dependencies"].as_array().unwrap()[0].as_str(),
        Some(format!("gatesctl=={version}").as_str())
    );
    let wheel: toml::Table =
        toml::from_str(&std::fs::read_to_string(repo().join("python/pyproject.toml")).unwrap()).unwrap();
    assert_eq!(wheel["project"]["name"].as_str(), Some("gatesctl"));
    assert_eq!(wheel["tool"]["maturin"]["bindings"].as_str(), Some("bin"));
    // pre-commit runs the entry with the files it checks appended.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n");
    write(dir.path(), "b.yaml", "version: 1\ngates:\n  - service: b\n    env: e\n");
    let run = gatesctl(dir.path(), &["validate", "a.toml", "b.yaml"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("2 gates"), "{run:?}");
    write(dir.path(), "b.yaml", "version: 1\ngates:\n  - service: a\n    env: e\n");
    let twice = gatesctl(dir.path(), &["validate", "a.toml", "b.yaml"], &[]);
    assert!(twice.code == 1 && twice.stderr.contains("declared in two files"), "{twice:?}");
}

#[test]
fn schemas_carry_their_address_and_imports_point_editors_at_it() {
    for name in ["gates", "plan", "report", "apply"] {
        let text = std::fs::read_to_string(repo().join(format!("schemas/{name}.schema.json"))).unwrap();
        let schema: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            schema["$id"],
            format!("https://raw.githubusercontent.com/gatesctl/gatesctl/main/schemas/{name}.schema.json")
        );
    }
    let (dir, sandbox) = applied(SMALL);
    let toml = sandbox.gatesctl(dir.path(), &["import", "--format", "toml"]);
    assert!(
        toml.stdout.starts_with(
            "#:schema https://raw.githubusercontent.com/gatesctl/gatesctl/main/schemas/gates.schema.json\n"
        ),
        "{toml:?}"
    );
    let yaml = sandbox.gatesctl(dir.path(), &["import", "--format", "yaml"]);
    assert!(yaml.stdout.starts_with("# yaml-language-server: $schema=https://raw.githubusercontent.com/"), "{yaml:?}");
}

#[test]
fn under_github_actions_problems_are_annotations_on_their_line() {
    let repo_dir = tempfile::tempdir().unwrap();
    let sub = repo_dir.path().join("gates");
    std::fs::create_dir(&sub).unwrap();
    write(&sub, "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\nidentifer = \"x, y: 100%\"\n");
    let workspace = repo_dir.path().to_str().unwrap();
    let ci = [("GITHUB_ACTIONS", "true"), ("GITHUB_WORKSPACE", workspace)];
    let run = gatesctl(&sub, &["validate"], &ci);
    assert_eq!(run.code, 1, "{run:?}");
    let line = run.stderr.lines().find(|l| l.starts_with("::error ")).unwrap_or_else(|| panic!("{run:?}"));
    assert_eq!(
        line,
        "::error file=gates/gates.toml,line=5,col=1,endColumn=10,title=gatesctl gates%3A%3Aunknown-key::unknown key `identifer` in gate #1%0Ahelp: did you mean `identifier`?"
    );
    // Elsewhere, no workflow commands.
    let plain = gatesctl(&sub, &["validate"], &[]);
    assert!(!plain.stderr.contains("::error"), "{plain:?}");

    // The monitor check's findings are warnings on the query's line.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"r\"\n  type = \"monitor\"\n  query = \"service:nobody\"\n");
    let sandbox = TestSandbox::start(dir.path());
    let env =
        [("GITHUB_ACTIONS", "true"), ("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let plan = gatesctl(dir.path(), &["plan"], &env);
    assert_eq!(plan.code, 0, "{plan:?}");
    assert!(
        plan.stderr.lines().any(|l| l.starts_with("::warning file=gates.toml,line=8,col=11,")
            && l.contains("title=gatesctl gates%3A%3Aquery-matches-no-monitor::monitor query")),
        "{plan:?}"
    );
}

#[test]
fn the_plan_is_added_to_the_step_summary() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replace("duration = 300", "duration = 600"));
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let env = [
        ("GITHUB_STEP_SUMMARY", summary.to_str().unwrap()),
        ("DD_API_URL", sandbox.url.as_str()),
        ("DD_API_KEY", "k"),
        ("DD_APP_KEY", "k"),
    ];
    let run = gatesctl(dir.path(), &["plan", "--no-monitor-check"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(text.starts_with("earlier step\n<!-- gatesctl:plan -->\n### gatesctl plan"), "{text}");
    assert!(text.contains("duration"), "{text}");
}

#[test]
fn apply_as_data_is_one_json_document_that_matches_its_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 0, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {run:?}"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/apply.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["outcome"], "complete");
    assert_eq!(doc["summary"]["gates"]["created"], 2);
    assert_eq!(doc["summary"]["rules"]["created"], 2);
    let addresses: Vec<&str> =
        doc["actions"].as_array().unwrap().iter().map(|a| a["address"].as_str().unwrap()).collect();
    assert!(addresses.contains(&"checkout/production/default/rules/Errors"), "{addresses:?}");
    assert!(run.stderr.contains("gate checkout/production/default"), "the plan goes to stderr: {run:?}");

    // A failure is in the document, and the exit code says it.
    write(dir.path(), "gates.toml", &SMALL.replace("duration = 300", "duration = 600"));
    let failing = gatesctl_sandbox::Faults { fail_every: Some(1), ..Default::default() };
    drop(sandbox);
    let sandbox =
        TestSandbox::start_with(dir.path(), gatesctl_sandbox::SandboxOptions { faults: failing, ..Default::default() });
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let doc: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["outcome"], "incomplete");
    assert_eq!(doc["summary"]["rules"]["failed"], 1);
    assert_eq!(doc["actions"][0]["status"], "failed");
    assert!(doc["actions"][0]["reason"].as_str().unwrap().contains("500"), "{doc:#}");

    // The text counts by kind.
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let text = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert!(
        text.stdout
            .contains("Apply complete: 4 succeeded, 0 failed, 0 skipped.\n  2 gates created, 2 rules created.\n"),
        "{text:?}"
    );
}

#[test]
fn the_plan_text_names_its_api_its_deletions_and_the_monitor_check() {
    let (dir, sandbox) = applied(SMALL);
    write(
        dir.path(),
        "gates.toml",
        "version = 1\n[manage]\nservices = [\"checkout\", \"search\"]\n[[gates]]\nservice = \"checkout\"\nenv = \"production\"\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:nobody-at-all\"\n  duration = 300\n",
    );
    let run = sandbox.gatesctl(dir.path(), &["plan", "--prune", "--force"]);
    assert_eq!(run.code, 0, "{run:?}");
    let out = &run.stdout;
    assert!(out.contains("Deleted by this plan:\n  - checkout/production/default/rules/\"Faulty deployment detection\" (rule)\n  - search/production/canary (gate)\n"), "{out}");
    assert!(out.contains(&format!("Planned against {}/.", sandbox.url)), "{out}");
    assert!(
        out.contains("monitor query \"service:nobody-at-all\" matches no monitor"),
        "the check is in the plan: {out}"
    );
    assert!(out.contains("Monitor check of 1 monitor query: 1 matches no monitor."), "{out}");
}

#[test]
fn the_sandbox_state_folder_ignores_itself_and_the_licence_is_there() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let run = gatesctl(dir.path(), &["--sandbox", "plan", "--no-monitor-check"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    let ignore = std::fs::read_to_string(dir.path().join(".gatesctl/.gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    let licence = std::fs::read_to_string(repo().join("LICENSE")).unwrap();
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0"));
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"Apache-2.0\""));
}

const MESSY_TOML: &str = "# The shop's gates.\nversion=1\n[[gates]]\n   service = \"a\"   # the shop\nenv=\"prod\"\n    [[gates.rules]]\n    name = \"Errors\"\n    type = \"monitor\"\n    query = \"service:a\"\n\n\n";
const TIDY_TOML: &str = "# The shop's gates.\nversion = 1\n\n[[gates]]\nservice = \"a\"   # the shop\nenv = \"prod\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:a\"\n";

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
    let again = gatesctl(dir.path(), &["fmt", "--check"], &[]);
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
    let examples = gatesctl(&examples_dir(), &["fmt", "--check", "gates.toml", "gates.yaml"], &[]);
    assert_eq!(examples.code, 0, "{examples:?}");
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
fn annotations_follow_the_switch() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", "version = 1\n[[gates]]\nservice = \"a\"\nidentifer = \"x\"\nenv = \"e\"\n");
    let annotated = |env: &[(&str, &str)], args: &[&str]| {
        gatesctl(dir.path(), &[args, &["validate"]].concat(), env).stderr.contains("::error file=gates.toml")
    };
    assert!(!annotated(&[], &[]), "not under GitHub Actions");
    assert!(annotated(&[("GITHUB_ACTIONS", "true")], &[]), "auto, under GitHub Actions");
    assert!(!annotated(&[("GITHUB_ACTIONS", "true")], &["--annotations", "never"]));
    assert!(annotated(&[], &["--annotations", "always"]));
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
fn strict_names_the_monitor_check_s_problems_for_what_they_are() {
    let (dir, sandbox) = applied("version = 1\n[[gates]]\nservice = \"a\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"x\"\n  type = \"monitor\"\n  query = \"service:nobody\"\n");
    let run = sandbox.gatesctl(dir.path(), &["plan", "--strict"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("watches nothing"), "the finding says what the rule does: {run:?}");
    assert!(run.stderr.contains("error: the monitor check found 1 monitor rule problem (--strict)"), "{run:?}");
    assert!(!run.stderr.contains("would fail every evaluation"), "the rule passes, it does not fail: {run:?}");
}
