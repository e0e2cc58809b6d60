//! `datadog-ci deployment gate ARGS` → `gatesctl deployment gate ARGS`: datadog-ci's own
//! argument lists (its documented examples), unchanged, give datadog-ci's exit codes.

use std::path::{Path, PathBuf};

use gatesctl_sandbox::{EvalSettings, SandboxOptions};

use crate::common::{fixtures_dir, gatesctl, Run, TestSandbox};

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
    let monitors = Some(gatesctl_sandbox::monitors::parse_file(MONITORS).unwrap());
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
    // A name the gate files would refuse is refused here too, before anything is sent.
    std::fs::write(
        dir.path().join("escape.json"),
        "{\"rules\": [{\"type\": \"monitor\", \"name\": \"a\\u001b[2Jb\", \"options\": {\"query\": \"x\"}}]}",
    )
    .unwrap();
    let escape =
        gate(&sandbox, dir.path(), &["--service", "payments-backend", "--env", "prod", "--config", "escape.json"]);
    assert_eq!(escape.code, 1, "{escape:?}");
    assert!(
        escape.stderr.contains("escape.json:rules[0].name") && escape.stderr.contains("printable text only"),
        "{escape:?}"
    );
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

/// The ledger's rule fails; `dryRun` at the rule or the gate level makes it report and pass.
#[test]
fn dry_run_in_a_config_file_is_read_as_datadog_ci_reads_it() {
    let (dir, sandbox) = org();
    let rule = |dry_run_key: &str, dry_run: bool| {
        format!(
            r#"{{"name": "ledger", "type": "monitor", "{dry_run_key}": {dry_run}, "options": {{"query": "service:ledger env:prod"}}}}"#
        )
    };
    let cases = [
        // datadog-ci's own key, at the rule's level and at the gate's: 0 where it fails, as datadog-ci.
        (format!(r#"{{"rules": [{}]}}"#, rule("dryRun", true)), 0),
        (format!(r#"{{"dryRun": true, "rules": [{}]}}"#, rule("dryRun", false)), 0),
        (format!(r#"{{"dryRun": false, "rules": [{}]}}"#, rule("dryRun", false)), 1),
        // The API's spelling, read as its alias.
        (format!(r#"{{"rules": [{}]}}"#, rule("dry_run", true)), 0),
    ];
    for (i, (text, code)) in cases.iter().enumerate() {
        let file = format!("case{i}.json");
        std::fs::write(dir.path().join(&file), text).unwrap();
        let run = gate(&sandbox, dir.path(), &["--service", "ledger", "--env", "prod", "--config", &file]);
        assert_eq!(run.code, *code, "{text}: {run:?}");
    }
    // Both spellings at once, or a typo in a rule: refused with the place, nothing sent.
    let triggers =
        || sandbox.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/evaluation")).count();
    let before = triggers();
    for (text, expected) in [
        (
            r#"{"rules": [{"name": "a", "type": "monitor", "dryRun": true, "dry_run": true, "options": {"query": "x"}}]}"#,
            "both.json:rules[0].dry_run: both dryRun and dry_run are given",
        ),
        (
            r#"{"rules": [{"name": "a", "type": "monitor", "dryrun": true, "options": {"query": "x"}}]}"#,
            "typo.json:rules[0].dryrun: unknown key (did you mean \"dryRun\"?)",
        ),
    ] {
        let file = if expected.starts_with("both") { "both.json" } else { "typo.json" };
        std::fs::write(dir.path().join(file), text).unwrap();
        let run = gate(&sandbox, dir.path(), &["--service", "ledger", "--env", "prod", "--config", file]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(expected), "{expected}: {run:?}");
    }
    assert_eq!(triggers(), before, "nothing sent for a file refused");
}

#[test]
fn the_poll_at_the_deadline_is_made_and_its_verdict_read() {
    // The verdict comes on the second poll, exactly at the timeout: datadog-ci reads it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("gates.toml"), GATES).unwrap();
    let eval = EvalSettings { pending_polls: 1, ..Default::default() };
    let monitors = Some(gatesctl_sandbox::monitors::parse_file(MONITORS).unwrap());
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { eval, monitors, ..Default::default() });
    assert_eq!(sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]).code, 0);
    let run =
        gate(&sandbox, dir.path(), &["--service", "ledger", "--env", "prod", "--timeout", "2", "--interval", "2s"]);
    assert_eq!(run.code, 1, "the failing verdict of the last poll decides: {run:?}");
    assert!(run.stdout.contains("FAIL"), "{run:?}");
    assert!(!run.stderr.contains("SKIPPED"), "{run:?}");
}

#[test]
fn permanent_errors_end_the_wait_at_once_and_name_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    // A TLS server whose certificate no trusted CA signed (no SSL_CERT_FILE given).
    let port = crate::network::tls_terminator(&sandbox, &sandbox.url);
    let url = format!("https://localhost:{port}");
    let env = [("DD_API_URL", url.as_str()), ("DATADOG_API_KEY", "k"), ("DATADOG_APP_KEY", "k")];
    let args = ["deployment", "gate", "--service", "payments-backend", "--env", "prod"];
    let started = std::time::Instant::now();
    let open = gatesctl(dir.path(), &args, &env);
    assert!(started.elapsed() < std::time::Duration::from_secs(30), "not retried for hours: {open:?}");
    assert_eq!(open.code, 0, "fail-open, as documented: {open:?}");
    assert!(open.stderr.contains("SSL_CERT_FILE"), "{open:?}");
    let closed = gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat(), &env);
    assert_eq!(closed.code, 1, "{closed:?}");

    // A name that does not resolve (.invalid never does).
    let env = [("DD_API_URL", "https://gatesctl-test.invalid"), ("DATADOG_API_KEY", "k"), ("DATADOG_APP_KEY", "k")];
    let started = std::time::Instant::now();
    let run = gatesctl(dir.path(), &[&args[..], &["--fail-on-error"]].concat(), &env);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{run:?}");
    assert_eq!(run.code, 1, "{run:?}");

    // An authentication refusal: 1 at once, as datadog-ci's client errors.
    let refusing = crate::common::Proxy::start(&sandbox, &sandbox.url, |_| crate::common::Reply::Answer {
        status: 403,
        headers: vec![("content-type", "application/json".into())],
        body: r#"{"errors":["Forbidden"]}"#.into(),
    });
    let run = refusing.gatesctl(dir.path(), &args);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(refusing.seen().len(), 1, "never retried: {:?}", refusing.seen());
}

#[test]
fn empty_flags_are_left_out_of_the_request_as_datadog_ci_leaves_them() {
    let (dir, sandbox) = org();
    let watching = crate::common::Proxy::start(&sandbox, &sandbox.url, |_| crate::common::Reply::Forward);
    let run = watching.gatesctl(
        dir.path(),
        &[
            "deployment",
            "gate",
            "--service",
            "payments-backend",
            "--env",
            "prod",
            "--identifier",
            "",
            "--version",
            "",
            "--apm-primary-tag",
            "",
        ],
    );
    assert_eq!(run.code, 0, "{run:?}");
    let trigger = watching.seen().into_iter().find(|s| s.method == "POST").unwrap();
    let body: serde_json::Value = serde_json::from_str(&trigger.body).unwrap();
    let attributes = body["data"]["attributes"].as_object().unwrap();
    let mut keys: Vec<&str> = attributes.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["env", "service"], "{body}");
    // The gate's own service and env cannot be left out: empty, they are refused here.
    let before = watching.seen().len();
    for args in [["--service", "", "--env", "prod"], ["--service", "payments-backend", "--env", " "]] {
        let run = watching.gatesctl(dir.path(), &[&["deployment", "gate"][..], &args].concat());
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("is empty: name the gate's"), "{run:?}");
    }
    assert_eq!(watching.seen().len(), before, "nothing sent");
}

#[test]
fn flags_datadog_ci_accepts_are_accepted() {
    let (dir, sandbox) = org();
    let args = ["--service", "payments-backend", "--env", "prod"];
    let run = gate(&sandbox, dir.path(), &[&args[..], &["--log-format", "json"]].concat());
    assert_eq!(run.code, 0, "{run:?}");
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["outcome"], "pass");
    let url = sandbox.url.clone();
    let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k"), ("DD_LOG_FORMAT", "json")];
    let run = gatesctl(dir.path(), &[&["deployment", "gate"], &args[..]].concat(), &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(serde_json::from_str::<serde_json::Value>(&run.stdout).is_ok(), "{run:?}");

    // A site gatesctl does not know is used as datadog-ci uses it, with a warning: here it does
    // not resolve, so the gate is skipped, fail-open.
    let env = [("DATADOG_SITE", "datad0g.invalid"), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let run = gatesctl(dir.path(), &[&["deployment", "gate"], &args[..], &["--timeout", "5"]].concat(), &env);
    assert!(run.stderr.contains("\"datad0g.invalid\" is not a Datadog site gatesctl knows"), "{run:?}");
    assert!(run.stderr.contains("api.datad0g.invalid"), "{run:?}");
    assert_eq!(run.code, 0, "{run:?}");
}
