//! The second trust round, as an adversary tries it: planted links, passwords in URLs,
//! thresholds slipped past, applies racing, servers that list forever or say 429 forever,
//! gates vanishing mid-read, bodies too large, diffs too long, names that ping teams or drive
//! terminals. Each case got through gatesctl before this round; `.ci/run` runs them all.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::common::{fleet, gatesctl, write, Proxy, Reply, Run, TestSandbox, SMALL};
use gatesctl_core::model::GateKey;

fn run_ok(sandbox: &TestSandbox, dir: &Path, args: &[&str]) -> Run {
    let run = sandbox.gatesctl(dir, args);
    assert_eq!(run.code, 0, "{args:?}: {run:?}");
    run
}

/// `count` gates `svcNN/production` in the sandbox, and a file owning `svc*` that declares the
/// first `declared` of them.
fn scope(count: usize, declared: usize) -> (tempfile::TempDir, TestSandbox) {
    fleet(count, declared, &[], "teamA.toml", "")
}

#[test]
#[cfg(unix)]
fn saved_plans_never_write_through_planted_links() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    // The names a temporary file of the next few processes would have had: `.plan.json.tmp-PID`.
    let mut probe = crate::common::spawn_bounded(std::process::Command::new("true")).unwrap();
    let next_pid = probe.process().id();
    probe.wait();
    for pid in next_pid..next_pid + 3000 {
        std::os::unix::fs::symlink(&victim, dir.path().join(format!(".plan.json.tmp-{pid}"))).unwrap();
    }
    run_ok(&sandbox, dir.path(), &["plan", "--out", "plan.json", "--no-monitor-check"]);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious", "written through a planted link");
    let mode = std::fs::metadata(dir.path().join("plan.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "a saved plan is for its owner only");

    // A link planted at the destination itself by another user is refused (as root, the test can
    // give the link away; otherwise that part cannot be staged and is skipped).
    let planted = dir.path().join("shared.json");
    std::os::unix::fs::symlink(&victim, &planted).unwrap();
    let path = std::ffi::CString::new(planted.to_str().unwrap()).unwrap();
    // SAFETY: lchown only changes the owner of the link just created.
    if unsafe { libc::lchown(path.as_ptr(), 65534, 65534) } == 0 {
        let run = sandbox.gatesctl(dir.path(), &["plan", "--out", "shared.json", "--no-monitor-check"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("symbolic link owned by another user"), "{run:?}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    } else {
        eprintln!("skipped: giving a link to another user needs root");
    }
}

#[test]
fn a_password_in_the_api_url_is_never_printed_nor_stored() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let url = sandbox.url.replace("http://", "http://user:S3CRET-PASS@");
    let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut seen = String::new();
    for args in [
        &["-v", "plan", "--out", "plan.json", "--no-monitor-check"][..],
        &["import", "-o", "imported.toml"],
        &["import"],
    ] {
        let run = gatesctl(dir.path(), args, &env);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    }
    seen.push_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap());
    seen.push_str(&std::fs::read_to_string(dir.path().join("imported.toml")).unwrap());
    // The saved plan, made against another password of the same proxy, is stale for it too.
    let other = sandbox.url.replace("http://", "http://user:OTHER@127.0.0.2@");
    let stale = gatesctl(
        dir.path(),
        &["apply", "plan.json"],
        &[("DD_API_URL", &other), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
    );
    seen.push_str(&stale.stderr);
    assert!(seen.contains("***@127.0.0.1"), "the URL is shown, redacted: {seen}");
    assert!(!seen.contains("S3CRET-PASS") && !seen.contains("OTHER"), "{seen}");
}

#[test]
fn a_file_without_safety_keeps_the_default_threshold_for_all() {
    let (dir, sandbox) = scope(30, 0);
    // Team B's three-line file lifts its own threshold, not team A's.
    write(dir.path(), "teamB.toml", "version = 1\n[safety]\nmax_delete_percent = 100\n");
    let run = sandbox
        .gatesctl(dir.path(), &["plan", "--prune", "-f", "teamA.toml", "-f", "teamB.toml", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("delete 30 of the 30 gates in the managed scope"), "{run:?}");
}

#[test]
fn target_slices_count_against_the_whole_scope() {
    let (dir, sandbox) = scope(30, 0);
    // A slice of 8 is 26% of the scope: it goes. The next slice is 8 of the 22 left: refused.
    let first = sandbox.gatesctl(
        dir.path(),
        &["apply", "--prune", "--auto-approve", "-f", "teamA.toml", "--target", "svc0[0-7]/production"],
    );
    assert_eq!(first.code, 0, "{first:?}");
    let second = sandbox.gatesctl(
        dir.path(),
        &[
            "apply",
            "--prune",
            "--auto-approve",
            "-f",
            "teamA.toml",
            "--target",
            "svc0[89]/*",
            "--target",
            "svc1[0-5]/*",
        ],
    );
    assert_eq!(second.code, 1, "{second:?}");
    assert!(second.stderr.contains("delete 8 of the 22 gates in the managed scope"), "{second:?}");
}

#[test]
fn two_applies_at_once_leave_one_rule_of_each_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..20 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:02}\"\nenv = \"production\"\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:02}\"\n  [[gates.rules]]\n  name = \"Latency\"\n  type = \"monitor\"\n  query = \"service:svc{i:02} latency\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let sandbox = TestSandbox::start(dir.path());
    // The gates exist; both applies create the same forty rules at the same time.
    let client = sandbox.client();
    for i in 0..20 {
        sandbox
            .block_on(client.create_gate(&GateKey::new(format!("svc{i:02}"), "production", "default"), false))
            .unwrap();
    }
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]));
        let b = s.spawn(|| sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.code, b.code), (0, 0), "{a:?}\n{b:?}");
    // Twins left by the closest race are named as what they are, and the next apply settles them.
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert!(
        !plan.stdout.contains("      - rule \"Errors\"") && !plan.stdout.contains("      - rule \"Latency\""),
        "{plan:?}"
    );
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let store = sandbox.store();
    for gate in &store.gates {
        let mut names: Vec<&str> = gate.rules.iter().map(|r| r.name.as_str()).collect();
        names.sort();
        assert_eq!(names, ["Errors", "Latency"], "{}: {names:?}", gate.service);
    }
}

#[test]
fn a_twin_of_a_declared_rule_is_named_a_duplicate_not_a_deletion() {
    let (dir, sandbox) = crate::common::applied(SMALL);
    let http = crate::common::Http::new(&sandbox);
    let (gate, _) = http.rule_path("checkout", "Errors");
    let body = json!({"data": {"type": "deployment_rule", "attributes": {"name": "Errors", "type": "monitor", "options": {"query": "service:checkout"}}}});
    assert_eq!(http.post(&format!("/api/v2/deployment_gates/{gate}/rules"), body).0, 200);
    let plan = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check"]);
    assert!(
        plan.stdout
            .contains("- extra rule \"Errors\" (monitor) (2 remote rules named \"Errors\": deleting the extra one"),
        "{plan:?}"
    );
    assert!(!plan.stdout.contains("      - rule \"Errors\""), "{plan:?}");
    let drift = sandbox.gatesctl(dir.path(), &["drift"]);
    assert!(drift.stdout.contains("a second remote rule of this declared name"), "{drift:?}");
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let options = |name: &str| {
        let store = sandbox.store();
        let gate = store.gates.iter().find(|g| g.service == "checkout").unwrap();
        gate.rules.iter().filter(|r| r.name == name).map(|r| r.options.clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        options("Errors"),
        [json!({"query": "service:checkout env:production", "duration": 300})],
        "the one matching the file stays"
    );
}

#[test]
fn two_remote_gates_of_one_key_are_named_and_the_extra_pruned_only_on_request() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", &format!("{SMALL}\n[manage]\nservices = [\"checkout\", \"search\"]\n"));
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    // The list answers the checkout gate twice, under two ids (as a race or the UI can leave it).
    let twin = "99999999-9999-4999-8999-999999999999";
    let listing = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?") {
            Reply::Edit(Box::new(move |answer| {
                let items = answer["data"].as_array_mut().unwrap();
                let mut copy = items.iter().find(|g| g["attributes"]["service"] == "checkout").unwrap().clone();
                copy["id"] = twin.into();
                items.push(copy);
            }))
        } else if seen.path.contains(twin) && seen.path.ends_with("/rules") {
            Reply::Answer {
                status: 200,
                headers: vec![("content-type", "application/vnd.api+json".into())],
                body: json!({"data": {"id": twin, "type": "list_deployment_rules", "attributes": {"rules": []}}})
                    .to_string(),
            }
        } else {
            Reply::Forward
        }
    });
    let plan = listing.gatesctl(dir.path(), &["plan", "--no-monitor-check", "--detailed-exitcode"]);
    assert_eq!(plan.code, 0, "named, not changed, without --prune: {plan:?}");
    assert!(plan.stdout.contains("2 remote gates are checkout/production/default (ids "), "{plan:?}");
    assert!(plan.stdout.contains(twin), "{plan:?}");
    let pruned = listing.gatesctl(dir.path(), &["plan", "--prune", "--no-monitor-check", "--format", "json"]);
    let doc: Value = serde_json::from_str(&pruned.stdout).unwrap();
    let deletes: Vec<&Value> =
        doc["changes"].as_array().unwrap().iter().filter(|c| c["actions"] == json!(["delete"])).collect();
    assert_eq!(deletes.len(), 1, "{}", pruned.stdout);
    assert_eq!(deletes[0]["address"], "checkout/production/default");
    assert_eq!(doc["duplicate_gates"][0]["ids"][1], twin);
    let import = listing.gatesctl(dir.path(), &["import"]);
    assert!(import.stderr.contains("2 remote gates are checkout/production/default"), "{import:?}");
    assert_eq!(import.stdout.matches("service = \"checkout\"").count(), 1, "{import:?}");
}

/// A proxy answering the gate list with pages that never end: `cursor_of(n)` is the next
/// cursor of page `n`.
fn endless(sandbox: &TestSandbox, cursor_of: fn(usize) -> String) -> Proxy {
    let pages = std::sync::atomic::AtomicUsize::new(0);
    Proxy::start(sandbox, &sandbox.url, move |seen| {
        if !(seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?")) {
            return Reply::Forward;
        }
        let n = pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let data: Vec<Value> = (0..1000)
            .map(|i| json!({"id": format!("g{n}-{i}"), "type": "deployment_gate", "attributes": {"service": format!("s{n}-{i}"), "env": "e", "identifier": "default", "dry_run": false}}))
            .collect();
        let body = json!({"data": data, "meta": {"page": {"next_cursor": cursor_of(n), "size": 1000}}});
        Reply::Answer {
            status: 200,
            headers: vec![("content-type", "application/vnd.api+json".into())],
            body: body.to_string(),
        }
    })
}

#[test]
fn a_list_that_never_ends_is_an_error_not_an_empty_plan() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let looping = endless(&sandbox, |n| if n % 2 == 0 { "A".into() } else { "B".into() });
    let run = looping.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("the API gave the cursor \"A\" a second time (after 3 pages)"), "{run:?}");
    assert_eq!(looping.seen().len(), 3, "{:?}", looping.seen().len());

    let unique = endless(&sandbox, |n| format!("page-{n}"));
    let run = unique.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("more than 100000 gates listed"), "{run:?}");
    assert_eq!(unique.seen().len(), 101, "bounded: {}", unique.seen().len());
}

#[test]
fn a_rate_limit_that_never_lets_anything_through_is_given_up_on() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let refusing = Proxy::start(&sandbox, &sandbox.url, |_| Reply::Answer {
        status: 429,
        headers: vec![
            ("content-type", "application/json".into()),
            ("x-ratelimit-limit", "100".into()),
            ("x-ratelimit-remaining", "0".into()),
            ("x-ratelimit-reset", "1e20".into()),
            ("x-ratelimit-name", "deployment_gates".into()),
        ],
        body: r#"{"errors":["Too many requests"]}"#.into(),
    });
    // The bound is per command run (5 minutes by default); here 2 s, on the real client.
    let base = gatesctl_client::site::base_url(None, Some(&refusing.url)).unwrap();
    let client = gatesctl_client::Client::new(base, gatesctl_client::Credentials::new("k", "k"), false)
        .unwrap()
        .with_rate_limit_patience(Duration::from_secs(2));
    let started = Instant::now();
    let everything = gatesctl_client::GateQuery::default();
    let (a, b) = sandbox.block_on(async {
        tokio::join!(client.list_gates(&everything), client.get_gate("11111111-1111-4111-8111-111111111111"))
    });
    let took = started.elapsed();
    for result in [a.map(|_| ()), b.map(|_| ())] {
        let error = result.unwrap_err();
        assert!(matches!(error.kind, gatesctl_client::ApiErrorKind::RateLimited { .. }), "{error}");
    }
    assert!(took < Duration::from_secs(20), "given up for the whole command, not per wait: {took:?}");
}

#[test]
fn a_gate_deleted_while_it_is_read_is_absent_not_an_abort() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    run_ok(&sandbox, dir.path(), &["apply", "--auto-approve"]);
    let search = crate::common::gate_id(&sandbox, "search");
    // Listed, then gone: its rules and the gate itself answer 404.
    let gone = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.path.contains(&search) {
            Reply::Answer {
                status: 404,
                headers: vec![("content-type", "application/vnd.api+json".into())],
                body: r#"{"errors":[{"status":"404","title":"Not Found","detail":"Gate does not exist"}]}"#.into(),
            }
        } else {
            Reply::Forward
        }
    });
    for command in [&["plan", "--no-monitor-check"][..], &["drift"], &["import"]] {
        let run = gone.gatesctl(dir.path(), command);
        assert_ne!(run.code, 1, "{command:?}: {run:?}");
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains("search/production/canary was deleted by someone else"),
            "{command:?}: {run:?}"
        );
    }
    let plan = gone.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert!(plan.stdout.contains("+ gate search/production/canary (will be created)"), "{plan:?}");
}

#[test]
fn the_sandbox_refuses_a_huge_body_before_reading_it() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let address = sandbox.url.trim_start_matches("http://").to_string();
    // A gigabyte announced, nothing sent: the answer comes at once.
    let mut stream = std::net::TcpStream::connect(&address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = format!(
        "POST /api/v2/deployment_gates HTTP/1.1\r\nHost: {address}\r\nDD-API-KEY: k\r\nDD-APPLICATION-KEY: k\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("Request body larger than 1048576 bytes"), "{answer}");
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

/// A sandbox state file holding gate s/e with one monitor rule "r" on `query`.
fn one_rule_saved(dir: &Path, query: &str) {
    let at = "2026-01-01T00:00:00Z".to_string();
    let store = gatesctl_sandbox::store::Store {
        gates: vec![gatesctl_sandbox::store::StoredGate {
            id: "11111111-1111-4111-8111-111111111111".into(),
            service: "s".into(),
            env: "e".into(),
            identifier: "default".into(),
            dry_run: false,
            created_at: at.clone(),
            updated_at: at.clone(),
            rules: vec![gatesctl_sandbox::store::StoredRule {
                id: "22222222-2222-4222-8222-222222222222".into(),
                name: "r".into(),
                rule_type: "monitor".into(),
                dry_run: false,
                options: json!({ "query": query }),
                created_at: at.clone(),
                updated_at: at,
            }],
        }],
        monitors: None,
        evaluations: None,
        dora: None,
    };
    store.save(&dir.join("sandbox.json")).unwrap();
}

#[test]
fn names_in_a_comment_ping_nobody_and_the_cap_holds() {
    let dir = tempfile::tempdir().unwrap();
    let long = "x".repeat(200_000);
    write(
        dir.path(),
        "gates.toml",
        &format!("version = 1\n[[gates]]\nservice = \"s\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"cc @acme/sre see https://evil.example\"\n  type = \"monitor\"\n  query = \"q\"\n[[gates]]\nservice = \"t\"\nenv = \"e\"\n  [[gates.rules]]\n  name = \"{long}\"\n  type = \"monitor\"\n  query = \"q\"\n"),
    );
    let sandbox = TestSandbox::start(dir.path());
    let run = run_ok(&sandbox, dir.path(), &["plan", "--no-monitor-check", "--format", "markdown"]);
    assert!(run.stdout.chars().count() <= 60_000, "{} characters", run.stdout.chars().count());
    let small = run_ok(
        &sandbox,
        dir.path(),
        &["plan", "--no-monitor-check", "--format", "markdown", "--comment-limit", "100000", "--target", "s/e"],
    );
    assert!(!small.stdout.contains("@acme/sre") && small.stdout.contains("@&#8203;acme/sre"), "no mention");
    assert!(!small.stdout.contains("https://evil"), "no autolink");
}

#[test]
fn text_from_the_api_never_reaches_a_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let hostile = "service:a\u{202e}b \u{9b}2J \u{1b}]0;pwned\u{7}";
    one_rule_saved(dir.path(), hostile);
    let sandbox = TestSandbox::start(dir.path());
    let raw = |text: &str| text.chars().any(|c| matches!(c, '\u{202e}' | '\u{9b}' | '\u{1b}' | '\u{7}'));
    for format in ["toml", "yaml"] {
        let import = run_ok(&sandbox, dir.path(), &["import", "--format", format]);
        assert!(!raw(&import.stdout), "{format}: {:?}", import.stdout);
        assert!(import.stdout.contains("\\u202e"), "{format}: {}", import.stdout);
        assert!(import.stderr.contains("control or invisible characters in its options"), "{import:?}");
        // Escaped, not changed: the file plans no change.
        let file = format!("imported.{format}");
        std::fs::write(dir.path().join(&file), &import.stdout).unwrap();
        run_ok(&sandbox, dir.path(), &["plan", "-f", &file, "--no-monitor-check", "--detailed-exitcode"]);
    }
    write(dir.path(), "gates.toml", "version = 1\n[[gates]]\nservice = \"s\"\nenv = \"e\"\n");
    let json = run_ok(&sandbox, dir.path(), &["plan", "--format", "json", "--no-monitor-check"]);
    assert!(!raw(&json.stdout), "{:?}", json.stdout);
    let doc: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(doc["changes"][0]["before"]["options"]["query"], hostile, "the same value, escaped");

    // A Terraform resource address holding ESC/OSC: the command still names it, escaped.
    let address = "datadog_deployment_gate.x[\"\u{1b}]0;t\u{7}\"]";
    let tf = json!({"format_version": "1.0", "values": {"root_module": {"resources": [{"address": address, "mode": "managed", "type": "datadog_deployment_gate", "name": "x",
        "values": {"id": "g1", "service": "a", "env": "prod", "identifier": null, "dry_run": false, "rule": []}}]}}});
    std::fs::write(dir.path().join("tf.json"), tf.to_string()).unwrap();
    let run = gatesctl(dir.path(), &["import", "--from-terraform", "tf.json", "-o", "from-tf.toml"], &[]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!raw(&run.stdout) && !raw(&run.stderr), "{run:?}");
    assert!(run.stdout.contains(r#"terraform state rm $'datadog_deployment_gate.x["\x1b]0;t\x07"]'"#), "{run:?}");
}
