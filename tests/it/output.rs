//! CI-grade output: targeting and safety are loud, pull-request comments fit, progress is
//! honest, saved plans can be shown, and validation speaks JSON to editors and bots.

use std::path::Path;

use crate::common::{applied, gatesctl, gatesctl_all_on_terminal, write, TestSandbox, SMALL};
use gatesctl_core::model::GateKey;
use gatesctl_sandbox::{EvalSettings, Faults, SandboxOptions};

/// `count` gates svc0000…, each with one monitor rule.
fn many_gates(count: usize, header: &str) -> String {
    let mut text = format!("version = 1\n{header}");
    for i in 0..count {
        text.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:04}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:04} env:production\"\n"
        ));
    }
    text
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
fn the_update_threshold_refuses_after_showing_the_plan() {
    let header = "\n[safety]\nmax_update_percent = 25\nmin_existing = 5\n";
    let (dir, sandbox) = applied(&many_gates(20, header));
    // Half the gates change: over 25 %.
    let changed = many_gates(20, header).replacen("env:production\"\n", "env:production tag:new\"\n", 10);
    write(dir.path(), "gates.toml", &changed);
    let before = sandbox.mutations().len();
    let plan = sandbox.gatesctl(dir.path(), &["plan"]);
    assert_eq!(plan.code, 1, "{plan:?}");
    assert!(plan.stdout.contains("rules 0 to create, 10 to update"), "the whole plan first: {plan:?}");
    assert!(plan.stderr.contains("change 10 of the 20 existing gates it covers (50%), above the 25%"), "{plan:?}");
    assert!(plan.stderr.contains("--force"), "{plan:?}");
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert_eq!(sandbox.mutations().len(), before);
    let forced = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve", "--force"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert_eq!(sandbox.mutations().len(), before + 10);
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
fn drift_reports_name_each_kind_and_show_attribute_differences() {
    let config = format!("{SMALL}\n[[gates]]\nservice = \"payments\"\nenv = \"production\"\n");
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let client = sandbox.client();
    // A declared gate never applied, a rule changed in the UI, a remote gate nobody declares.
    write(dir.path(), "gates.toml", &config);
    let gates = sandbox.block_on(client.list_gates(&Default::default())).unwrap();
    let checkout = gates.iter().find(|g| g.key.service == "checkout").unwrap();
    let rules = sandbox.block_on(client.list_rules(&checkout.id)).unwrap();
    let errors = rules.iter().find(|r| r.rule.name == "Errors").unwrap();
    let mut changed = errors.rule.clone();
    changed.options = gatesctl_core::model::RuleOptions::from_api(
        gatesctl_core::model::RuleType::Monitor,
        &serde_json::json!({"query": "service:checkout", "duration": 60}),
    )
    .unwrap();
    sandbox.block_on(client.update_rule(&checkout.id, &errors.id, &changed)).unwrap();
    sandbox.block_on(client.create_gate(&GateKey::new("legacy", "production", "default"), true)).unwrap();
    let mut reports = String::new();
    for format in ["text", "markdown", "json"] {
        let run = sandbox.gatesctl(dir.path(), &["drift", "--format", format]);
        assert_eq!(run.code, 2, "{run:?}");
        reports.push_str(&format!("$ gatesctl drift --format {format}\n{}\n", run.stdout));
    }
    insta::assert_snapshot!(reports);
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
fn the_evaluate_status_line_ticks_every_second_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    // About three seconds of waiting: polls every 800 ms, four of them in progress.
    let eval = EvalSettings { pending_polls: 4, ..Default::default() };
    let sandbox =
        TestSandbox::start_with(dir.path(), SandboxOptions { eval, faults: Faults::default(), ..Default::default() });
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let args =
        ["evaluate", "--service", "search", "--env", "production", "--identifier", "canary", "--interval", "800ms"];
    let run = gatesctl_all_on_terminal(dir.path(), &args, &env);
    assert_eq!(run.code, 0, "{run:?}");
    for second in ["00:00:00", "00:00:01", "00:00:02"] {
        assert!(run.stdout.contains(&format!("[{second}]")), "{second} shown: {run:?}");
    }
}

fn saved(dir: &Path, sandbox: &TestSandbox) {
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir);
    let plan = sandbox.gatesctl(dir, &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}

#[test]
fn show_renders_a_saved_plan_as_plan_did() {
    let dir = tempfile::tempdir().unwrap();
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    saved(dir.path(), &sandbox);
    for format in ["text", "json", "markdown"] {
        // The monitor check is of the files, not of the plan: a saved plan does not keep it.
        let planned = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check", "--format", format]);
        let shown = gatesctl(dir.path(), &["show", "plan.json", "--format", format], &[]);
        assert_eq!(shown.code, 0, "{shown:?}");
        if format != "markdown" {
            assert_eq!(shown.stdout, planned.stdout, "{format}");
        } else {
            // Only the pointer for a capped comment differs: the saved plan itself.
            assert!(shown.stdout.starts_with("<!-- gatesctl:plan -->"), "{shown:?}");
            assert_eq!(shown.stdout.lines().count(), planned.stdout.lines().count());
        }
    }
    let json: serde_json::Value =
        serde_json::from_str(&gatesctl(dir.path(), &["show", "plan.json", "--format", "json"], &[]).stdout).unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap()).unwrap();
    assert_eq!(json["format_version"], saved["format_version"], "one format_version scheme");
    let not_a_plan = gatesctl(dir.path(), &["show", "gates.toml"], &[]);
    assert_eq!(not_a_plan.code, 1, "{not_a_plan:?}");
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
