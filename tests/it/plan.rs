//! `plan`: output, one fixture folder per case under `fixtures/plan/` (`gates.toml` the
//! configuration, `sandbox.json` when present the remote state), snapshotted from the real
//! binary against the real sandbox; targets and partial plans, envs templates, pull-request
//! comments that fit, progress, and what the text plan says besides the actions.

use std::path::Path;

use crate::common::{
    applied, gatesctl, gatesctl_all_on_terminal, many_gates, mutations_after, one_rule_saved, run_ok, write,
    TestSandbox, SMALL,
};

fn plan_case(case: &Path) -> (crate::common::Run, TestSandbox, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(case, dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    (run, sandbox, dir)
}

#[test]
fn every_plan_fixture_matches_its_snapshot() {
    let mut problems = Vec::new();
    insta::glob!("fixtures/plan", "[a-z]*", |case| {
        let (run, sandbox, dir) = plan_case(case);
        let name = case.file_name().unwrap().to_string_lossy();
        // The sandbox's port changes from run to run.
        insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[port]")]}, {
            insta::assert_snapshot!(run.stdout);
        });
        if !sandbox.mutations().is_empty() {
            problems.push(format!("{name}: plan changed something: {:?}", sandbox.mutations()));
        }
        // The same plan as JSON validates against the committed schema, and says whether
        // there are changes as the exit code does.
        let json = sandbox.gatesctl(dir.path(), &["plan", "--format", "json"]);
        let doc: serde_json::Value = match serde_json::from_str(&json.stdout) {
            Ok(doc) => doc,
            Err(e) => return problems.push(format!("{name}: {e}: {json:?}")),
        };
        let errors: Vec<String> =
            plan_schema().iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path)).collect();
        if !errors.is_empty() {
            problems.push(format!("{name}: the JSON plan breaks its schema: {errors:#?}"));
        }
        let expected_code = if doc["has_changes"] == true { 2 } else { 0 };
        if run.code != expected_code {
            problems.push(format!("{name}: exit {} with has_changes = {}: {run:?}", run.code, doc["has_changes"]));
        }
    });
    assert!(problems.is_empty(), "{problems:#?}");
}

fn plan_schema() -> jsonschema::Validator {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan.schema.json");
    let schema: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("plan schema compiles")
}

#[test]
fn json_and_markdown_renderings_match_their_snapshots() {
    let mut failed_runs = Vec::new();
    insta::glob!("fixtures/plan", "{all-action-kinds,no-changes,unmanaged-gates,update-long-query}", |case| {
        let (_, sandbox, dir) = plan_case(case);
        for format in ["json", "markdown"] {
            let run = sandbox.gatesctl(dir.path(), &["plan", "--format", format]);
            if run.code != 0 {
                failed_runs.push(format!("{}: {run:?}", case.display()));
            }
            let stdout = run.stdout.replace(env!("CARGO_PKG_VERSION"), "[version]");
            insta::assert_snapshot!(format, stdout);
        }
    });
    assert!(failed_runs.is_empty(), "{failed_runs:#?}");
}

#[test]
fn rules_are_fetched_only_for_declared_gates() {
    let (run, sandbox, _dir) = plan_case(&crate::common::fixtures_dir("plan").join("unmanaged-gates"));
    assert_eq!(run.code, 0, "{run:?}");
    let rule_reads: Vec<_> = sandbox.requests().into_iter().filter(|r| r.path.ends_with("/rules")).collect();
    // Two declared gates exist remotely; the two unmanaged ones are never read.
    assert_eq!(rule_reads.len(), 2, "{rule_reads:?}");
}

#[test]
fn progress_is_drawn_on_a_terminal_and_printed_as_lines_in_ci() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", &many_gates(40, ""));
    let sandbox = TestSandbox::start(dir.path());
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let ci = sandbox.gatesctl(dir.path(), &["plan"]);
    // The rules read and the monitor check run side by side, on one line.
    for said in ["40 remote gates listed", "reading rules 0/40", "monitor check 40/40", "reading rules 40/40 · "] {
        assert!(ci.stderr.contains(said), "{said}: {ci:?}");
    }
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let terminal = gatesctl_all_on_terminal(dir.path(), &["plan", "--parallelism", "1"], &env);
    assert_eq!(terminal.code, 0, "{terminal:?}");
    assert!(terminal.stdout.contains("reading rules [") && terminal.stdout.contains("/40"), "{terminal:?}");
}

#[test]
fn a_capped_comment_still_shows_deletions_and_replacements() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--format", "markdown", "--comment-limit", "1000"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.chars().count() <= 1000, "{}", run.stdout);
    assert!(!run.stdout.contains("<details>"), "{}", run.stdout);
    assert!(run.stdout.contains("➖ delete rule **Added in the UI**"), "{}", run.stdout);
    assert!(run.stdout.contains("♻️ replace rule **Faulty deployment detection**"), "{}", run.stdout);
}

#[test]
fn a_plan_of_2000_gates_fits_a_pull_request_comment_with_its_summary() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", &many_gates(2000, ""));
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan", "--format", "markdown"]);
    assert_eq!(run.code, 0, "{run:?}");
    let comment = &run.stdout;
    assert!(comment.chars().count() <= 60_000, "{} characters", comment.chars().count());
    assert!(comment.starts_with("<!-- gatesctl:plan -->"));
    assert!(comment.contains("| ➕ Create | 2000 | 2000 |"), "the summary is intact: {comment}");
    assert!(comment.contains("do not fit in one comment") && comment.contains("they are in the job log"), "{comment}");
    // In GitHub Actions, the pointer is the run's page.
    let github = [
        ("DD_API_URL", sandbox.url.as_str()),
        ("DD_API_KEY", "k"),
        ("DD_APP_KEY", "k"),
        ("GITHUB_SERVER_URL", "https://github.com"),
        ("GITHUB_REPOSITORY", "acme/gates"),
        ("GITHUB_RUN_ID", "42"),
    ];
    let run = gatesctl(dir.path(), &["plan", "--format", "markdown"], &github);
    assert!(run.stdout.contains("[the full plan](https://github.com/acme/gates/actions/runs/42)"), "{run:?}");
}

#[test]
fn a_targeted_plan_says_it_is_partial_in_every_format() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    let args = ["plan", "--target", "checkout/*"];
    let text = sandbox.gatesctl(dir.path(), &args);
    assert!(text.stdout.contains("Warning: targeting is in effect (--target checkout/*)"), "{text:?}");
    let markdown = sandbox.gatesctl(dir.path(), &[&args[..], &["--format", "markdown"]].concat());
    assert!(markdown.stdout.contains("⚠️ **Targeting is in effect** (`checkout/*`)"), "{markdown:?}");
    let json = sandbox.gatesctl(dir.path(), &[&args[..], &["--format", "json"]].concat());
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!((doc["partial"].clone(), doc["targets"].clone()), (true.into(), serde_json::json!(["checkout/*"])));
    let untargeted = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(!untargeted.stdout.contains("targeting"), "{untargeted:?}");
}

#[test]
fn a_target_matching_no_declared_gate_is_an_error_with_a_suggestion() {
    let (dir, sandbox) = applied(SMALL);
    let before = sandbox.requests().len();
    for command in [&["plan", "--detailed-exitcode"][..], &["apply", "--auto-approve"], &["drift"]] {
        let run = sandbox.gatesctl(dir.path(), &[command, &["--target", "chekout/production"]].concat());
        assert_eq!(run.code, 1, "{command:?}: not 'no changes': {run:?}");
        assert!(
            run.stderr.contains(
                "--target \"chekout/production\" matches no declared gate; did you mean \"checkout/production\"?"
            ),
            "{command:?}: {run:?}"
        );
    }
    assert_eq!(sandbox.requests().len(), before, "refused before any request");
}

#[test]
fn a_plan_of_one_service_lists_only_its_gates() {
    let (dir, sandbox) = applied(SMALL);
    let lists = |sandbox: &TestSandbox| -> Vec<String> {
        sandbox
            .requests()
            .into_iter()
            .filter(|r| r.method == "GET" && r.path == "/api/v2/deployment_gates")
            .map(|r| r.query)
            .collect()
    };
    let before = lists(&sandbox).len();
    let run = sandbox.gatesctl(dir.path(), &["plan", "--target", "checkout/production", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    let asked = lists(&sandbox);
    assert!(
        asked[before..]
            .iter()
            .all(|q| q.contains("filter%5Bservice%5D=checkout") && q.contains("filter%5Benv%5D=production")),
        "{asked:?}"
    );
    // Two services of one env, no target: filtered by the env alone.
    let before = asked.len();
    let run = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "{run:?}");
    let asked = lists(&sandbox);
    assert!(
        asked[before..].iter().all(|q| !q.contains("filter%5Bservice") && q.contains("filter%5Benv%5D=production")),
        "{asked:?}"
    );
    // A glob cannot be a server-side filter.
    let before = lists(&sandbox).len();
    run_ok_plan(&sandbox, dir.path(), &["plan", "--target", "check*/production", "--no-monitor-check"]);
    assert!(lists(&sandbox)[before..].iter().all(|q| !q.contains("filter%5Bservice")), "{:?}", lists(&sandbox));
}

fn run_ok_plan(sandbox: &TestSandbox, dir: &Path, args: &[&str]) {
    let run = sandbox.gatesctl(dir, args);
    assert_eq!(run.code, 0, "{run:?}");
}

#[test]
fn envs_expand_to_one_gate_per_env_with_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "gates.toml",
        r#"version = 1

[[gates]]
service = "checkout"
envs = ["staging", "production"]

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:{service} env:{env} gate:{identifier}"
"#,
    );
    let sandbox = TestSandbox::start(dir.path());
    let run = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(run.stdout.contains("+ gate checkout/production/default"), "{run:?}");
    assert!(run.stdout.contains("query = \"service:checkout env:production gate:default\""), "{run:?}");
    assert!(run.stdout.contains("query = \"service:checkout env:staging gate:default\""), "{run:?}");
    assert!(run.stdout.contains("gates 2 to create"), "{run:?}");
}

#[test]
fn target_limits_plan_and_apply_to_matching_gates() {
    let (dir, sandbox) = applied(SMALL);
    let changed = SMALL.replacen("dry_run = false", "dry_run = true", 1) + "dry_run = true\n";
    write(dir.path(), "gates.toml", &changed);
    let all = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(all.stdout.contains("gates 0 to create, 2 to update"), "{all:?}");
    let one = sandbox.gatesctl(dir.path(), &["plan", "--target", "check*/production"]);
    assert!(one.stdout.contains("gates 0 to create, 1 to update"), "{one:?}");
    assert!(!one.stdout.contains("search/production/default"), "{one:?}");
    let before = sandbox.mutations().len();
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--target", "search/*/canary"]).code, 0);
    assert_eq!(mutations_after(&sandbox, before), 1);
    let rest = sandbox.gatesctl(dir.path(), &["plan"]);
    assert!(
        rest.stdout.contains("checkout/production/default") && !rest.stdout.contains("search/production"),
        "{rest:?}"
    );
    let bad = sandbox.gatesctl(dir.path(), &["plan", "--target", "checkout"]);
    assert_eq!(bad.code, 1, "a usage error is not 'changes' (2): {bad:?}");
    assert!(bad.stderr.contains("expected service/env or service/env/identifier"), "{bad:?}");
}

#[test]
fn a_200000_word_query_change_is_planned_without_a_word_diff() {
    let dir = tempfile::tempdir().unwrap();
    let words = |tag: &str| (0..200_000).map(|i| format!("{tag}{i}")).collect::<Vec<_>>().join(" ");
    write(
        dir.path(),
        "gates.toml",
        &format!("version = 1\n[[gates]]\nservice = \"s\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"r\"\n  type = \"monitor\"\n  query = \"{}\"\n", words("b")),
    );
    one_rule_saved(dir.path(), &words("a"));
    let sandbox = TestSandbox::start(dir.path());
    for format in ["text", "markdown", "json"] {
        let run = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check", "--format", format]);
        assert!(run.stdout.contains("update") || run.stdout.contains("Update"), "{format}");
        assert!(!run.stdout.contains("words:") && !run.stdout.contains("word by word"), "{format}: no word diff");
    }
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
fn toml_and_yaml_examples_plan_identically() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let toml = sandbox
        .gatesctl(dir.path(), &["plan", "-f", crate::common::examples_dir().join("gates.toml").to_str().unwrap()]);
    let yaml = sandbox
        .gatesctl(dir.path(), &["plan", "-f", crate::common::examples_dir().join("yaml/gates.yaml").to_str().unwrap()]);
    assert_eq!(toml.code, 0, "{toml:?}");
    // The plans, before the monitor check's excerpts (which name each file's own lines).
    let plan = |text: &str| text.split("\nPlanned against").next().unwrap().to_string();
    assert_eq!(plan(&toml.stdout), plan(&yaml.stdout));
}
