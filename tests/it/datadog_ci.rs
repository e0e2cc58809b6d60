//! `datadog-ci deployment gate ARGS` → `gatesctl deployment gate ARGS`: datadog-ci's own
//! argument lists (its documented examples), unchanged, give datadog-ci's exit codes.

use std::path::{Path, PathBuf};

use crate::common::{fixtures_dir, gatesctl, Run, TestSandbox};
use gatesctl::sandbox::{EvalSettings, SandboxOptions};

const GATES: &str = r#"version = 1

[[gates]]
service = "payments-backend"
env = "prod"

  [[gates.rules]]
  name = "Errors"
  type = "monitor"
  query = "service:payments-backend env:prod -latency"

[[gates]]
service = "ledger"
env = "prod"

  [[gates.rules]]
  name = "Latency"
  type = "monitor"
  query = "service:ledger env:prod"
"#;

/// Payments' monitors are fine, the ledger's are alerting.
const MONITORS: &str = r#"
[[monitors]]
name = "Payments backend errors"
tags = ["service:payments-backend", "env:prod", "team:payments"]

[[monitors]]
name = "Payments backend latency"
status = "Alert"
tags = ["service:payments-backend", "env:prod", "team:payments", "latency"]

[[monitors]]
name = "Ledger consistency"
status = "Alert"
tags = ["service:ledger", "env:prod"]
"#;

/// A sandbox holding GATES that answers an evaluation on its first poll: datadog-ci's
/// argument lists carry no polling interval, and the default one is 15 s.
fn org() -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), GATES).unwrap();
    let eval = EvalSettings { pending_polls: 0, ..Default::default() };
    let monitors = Some(gatesctl::sandbox::monitors::parse_file(MONITORS).unwrap());
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { eval, monitors, ..Default::default() });
    let run = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    (dir, sandbox)
}

/// `datadog-ci deployment gate ARGS`, as gatesctl runs it.
fn gate(sandbox: &TestSandbox, dir: &Path, args: &[&str]) -> Run {
    sandbox.gatesctl(dir, &[&["deployment", "gate"], args].concat())
}

fn config(name: &str) -> String {
    let path: PathBuf = fixtures_dir("datadog-ci").join(name);
    path.to_str().unwrap().to_string()
}

#[test]
fn datadog_ci_examples_give_its_exit_codes() {
    let (dir, sandbox) = org();
    let dir = dir.path();
    let passing: &[&[&str]] = &[
        &["--service", "payments-backend", "--env", "prod"],
        &["--service", "payments-backend", "--env", "prod", "--timeout", "7200"],
        &["--service", "payments-backend", "--env", "prod", "--fail-on-error"],
        &[
            "--service",
            "payments-backend",
            "--env",
            "prod",
            "--version",
            "1.2.3",
            "--apm-primary-tag",
            "region:us-central-1",
        ],
        &["--service", "payments-backend", "--env", "prod", "--identifier", "default", "--monitors-query-variable", ""],
        // As datadog-ci releases before the rename spelled it.
        &["--service", "payments-backend", "--env", "prod", "--monitor-variable", "x"],
    ];
    for args in passing {
        let run = gate(&sandbox, dir, args);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        assert!(run.stdout.contains("PASS"), "{args:?}: {run:?}");
    }
    // A failing gate is 1 whatever --fail-on-error says.
    for extra in [&[][..], &["--fail-on-error"]] {
        let run = gate(&sandbox, dir, &[&["--service", "ledger", "--env", "prod"], extra].concat());
        assert_eq!(run.code, 1, "{extra:?}: {run:?}");
        assert!(run.stdout.contains("FAIL"), "{run:?}");
    }
}

#[test]
fn an_unknown_gate_exits_1_as_a_client_error_does_in_datadog_ci() {
    let (dir, sandbox) = org();
    for extra in [&[][..], &["--fail-on-error"]] {
        let run = gate(&sandbox, dir.path(), &[&["--service", "payments-backend", "--env", "qa"], extra].concat());
        assert_eq!(run.code, 1, "{extra:?}: {run:?}");
        assert!(run.stderr.contains("the gate cannot be evaluated"), "{run:?}");
    }
    // And 3 when asked to tell "could not evaluate" from "failed".
    let run = gate(&sandbox, dir.path(), &["--service", "payments-backend", "--env", "qa", "--detailed-exitcode"]);
    assert_eq!(run.code, 3, "{run:?}");
}

#[test]
fn a_datadog_ci_config_file_is_evaluated_just_in_time() {
    let (dir, sandbox) = org();
    // The stored gate passes; its inline rules from the file decide.
    let failing = gate(
        &sandbox,
        dir.path(),
        &["--service", "payments-backend", "--env", "prod", "--config", &config("failing.json")],
    );
    assert_eq!(failing.code, 1, "{failing:?}");
    assert!(failing.stdout.contains("latency monitors"), "{failing:?}");
    // No gate is stored for staging: only the inline rules can have been evaluated.
    let passing = gate(
        &sandbox,
        dir.path(),
        &[
            "--service",
            "payments-backend",
            "--env",
            "staging",
            "--version",
            "1.2.3",
            "--config",
            &config("passing.json"),
        ],
    );
    assert_eq!(passing.code, 0, "{passing:?}");
    assert!(passing.stdout.contains("apm faulty deployment"), "{passing:?}");

    std::fs::write(
        dir.path().join("bad.json"),
        "{\"dryRun\": false,\n \"rules\": [\n  {\"type\": \"monitr\", \"name\": \"x\"}]}",
    )
    .unwrap();
    let bad = gate(&sandbox, dir.path(), &["--service", "payments-backend", "--env", "prod", "--config", "bad.json"]);
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(bad.stderr.contains("bad.json:rules[0].type"), "located: {bad:?}");
    assert!(bad.stderr.contains("did you mean \"monitor\""), "{bad:?}");
    let triggers = sandbox.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/evaluation")).count();
    assert_eq!(triggers, 2, "nothing sent for a bad file");
}

#[test]
fn an_api_that_is_down_fails_open_unless_fail_on_error() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}");
    let env = [("DD_API_URL", url.as_str()), ("DATADOG_API_KEY", "k"), ("DATADOG_APP_KEY", "k")];
    let args = ["deployment", "gate", "--service", "payments-backend", "--env", "prod", "--timeout", "2"];
    let open = gatesctl(dir.path(), &args, &env);
    assert_eq!(open.code, 0, "{open:?}");
    assert!(open.stderr.contains("SKIPPED"), "{open:?}");
    let closed = gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat(), &env);
    assert_eq!(closed.code, 1, "{closed:?}");
    let detailed = gatesctl(dir.path(), &[&args[..], &["--detailed-exitcode"]].concat(), &env);
    assert_eq!(detailed.code, 3, "{detailed:?}");
}

#[test]
fn fips_is_refused_with_a_statement_unless_its_error_is_ignored() {
    let (dir, sandbox) = org();
    let args = ["--service", "payments-backend", "--env", "prod"];
    let refused = gate(&sandbox, dir.path(), &[&args[..], &["--fips"]].concat());
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(refused.stderr.contains("not a FIPS 140-validated module"), "{refused:?}");
    assert!(refused.stderr.contains("--fips-ignore-error"), "names the way out: {refused:?}");
    assert!(sandbox.requests().iter().all(|r| r.method != "POST" || !r.path.contains("evaluation")), "nothing sent");

    let ignored = gate(&sandbox, dir.path(), &[&args[..], &["--fips", "--fips-ignore-error"]].concat());
    assert_eq!(ignored.code, 0, "{ignored:?}");
    assert!(ignored.stderr.contains("going ahead without it"), "{ignored:?}");

    // The environment variables datadog-ci reads do the same.
    let url = sandbox.url.clone();
    let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k"), ("DATADOG_FIPS", "true")];
    let by_env = gatesctl(dir.path(), &[&["deployment", "gate"], &args[..]].concat(), &env);
    assert_eq!(by_env.code, 1, "{by_env:?}");
    let env = [&env[..], &[("DATADOG_FIPS_IGNORE_ERROR", "1")]].concat();
    let by_env = gatesctl(dir.path(), &[&["deployment", "gate"], &args[..]].concat(), &env);
    assert_eq!(by_env.code, 0, "{by_env:?}");
}
