//! Trust, tried as an attacker and a careless user would: keys never follow a redirect, a
//! saved plan is applied exactly as reviewed or not at all, text from the API cannot drive a
//! terminal or break a pull-request comment, nothing declared is lost, and an interrupted
//! apply leaves every gate whole.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::common::{applied, gate_id, gatesctl, write, Proxy, Reply, TestSandbox, SMALL};
use gatesctl_core::model::{GateKey, Rule, RuleOptions};
use gatesctl_sandbox::{Faults, SandboxOptions};

/// A Markdown line with its code spans (literal text) taken out, as CommonMark delimits them:
/// a run of backticks closed by a run of the same length.
fn outside_code(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        out.push_str(&rest[..open]);
        let fence = rest[open..].chars().take_while(|c| *c == '`').count();
        let after = &rest[open + fence..];
        let mut search = 0;
        let close = loop {
            match after[search..].find('`') {
                None => break None,
                Some(i) => {
                    let run = after[search + i..].chars().take_while(|c| *c == '`').count();
                    if run == fence {
                        break Some(search + i);
                    }
                    search += i + run;
                }
            }
        };
        match close {
            Some(c) => rest = &after[c + fence..],
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether text holds a character that would act on a terminal instead of showing.
fn raw_control(text: &str) -> Option<char> {
    text.chars()
        .find(|c| (c.is_control() && *c != '\n') || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
}

// ------------------------------------------------------------------------------------ keys

#[test]
fn a_redirect_is_refused_and_the_keys_never_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    // Where a hostile server would like the keys to go.
    let elsewhere = Proxy::start(&sandbox, "", |_| Reply::Answer { status: 200, headers: vec![], body: "{}".into() });
    for location in [format!("{}/api/v2/deployment_gates", elsewhere.url), "http://datadog.example.com/steal".into()] {
        let target = location.clone();
        let hostile = Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.method == "POST" {
                Reply::Answer { status: 307, headers: vec![("location", target.clone())], body: String::new() }
            } else {
                Reply::Forward
            }
        });
        let run = hostile.gatesctl(dir.path(), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 1, "{run:?}");
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains(&format!("redirecting to {location}")), "names the Location: {run:?}");
        assert!(said.contains("never follows redirects"), "{run:?}");
    }
    assert!(elsewhere.seen().is_empty(), "nothing reached the other origin: {:?}", elsewhere.seen());
    assert!(sandbox.mutations().is_empty(), "nothing was created");
}

#[test]
fn keys_are_sent_to_the_configured_origin_only_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let seen_by = Proxy::start(&sandbox, &sandbox.url, |_| Reply::Forward);
    let env = [("DD_API_URL", seen_by.url.as_str()), ("DD_API_KEY", "api-secret-1"), ("DD_APP_KEY", "app-secret-2")];
    let run = gatesctl(dir.path(), &["-v", "apply", "--auto-approve"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("secret") && !run.stderr.contains("secret"), "{run:?}");
    let requests = seen_by.seen();
    assert!(!requests.is_empty());
    for request in requests {
        let header = |name: &str| request.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!(header("dd-api-key"), Some("api-secret-1"));
        assert_eq!(header("dd-application-key"), Some("app-secret-2"));
    }
}

// ----------------------------------------------------------------------------- saved plans

/// A sandbox holding SMALL, and a plan saved for one changed duration.
fn saved_plan() -> (tempfile::TempDir, TestSandbox) {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 600", 1));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    (dir, sandbox)
}

fn edit_plan(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("plan.json");
    let mut plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut plan);
    std::fs::write(path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

#[test]
fn an_edited_saved_plan_is_refused_with_what_differs() {
    type Edit = fn(&mut serde_json::Value, &TestSandbox);
    let cases: [(&str, Edit, &str); 7] = [
        (
            "a changed query",
            |plan, _| plan["plan"]["gates"][0]["rules"][0]["after"]["options"]["query"] = "service:*".into(),
            "query = \"service:*\" in the saved plan, \"service:checkout env:production\" now",
        ),
        (
            "dry_run on every gate",
            |plan, sandbox| {
                let gates = plan["plan"]["gates"].as_array_mut().unwrap();
                for gate in gates.iter_mut() {
                    let id = gate["action"]["id"].clone();
                    gate["action"] = serde_json::json!({"action": "update", "id": id, "before": false, "after": true});
                }
                let id = gate_id(sandbox, "search");
                gates.push(serde_json::json!({
                    "key": {"service": "search", "env": "production", "identifier": "canary"},
                    "action": {"action": "update", "id": id, "before": false, "after": true}, "rules": []
                }));
            },
            "gate search/production/canary: the saved plan changes it, but it needs no change any more",
        ),
        (
            "an undeclared gate",
            |plan, _| {
                plan["plan"]["gates"].as_array_mut().unwrap().push(serde_json::json!({
                    "key": {"service": "rogue", "env": "production", "identifier": "default"},
                    "action": {"action": "create", "dry_run": true}, "rules": []
                }))
            },
            "gate rogue/production/default: the saved plan changes it, but it needs no change any more",
        ),
        (
            "a delete without --prune",
            |plan, sandbox| {
                let id = gate_id(sandbox, "search");
                plan["plan"]["gates"].as_array_mut().unwrap().push(serde_json::json!({
                    "key": {"service": "search", "env": "production", "identifier": "canary"},
                    "action": {"action": "delete", "id": id, "dry_run": false}, "rules": []
                }))
            },
            "gate search/production/canary: the saved plan changes it",
        ),
        (
            "--prune switched on, with the delete it would allow",
            |plan, sandbox| {
                plan["options"]["prune"] = true.into();
                let id = gate_id(sandbox, "search");
                plan["plan"]["gates"].as_array_mut().unwrap().push(serde_json::json!({
                    "key": {"service": "search", "env": "production", "identifier": "canary"},
                    "action": {"action": "delete", "id": id, "dry_run": false}, "rules": []
                }))
            },
            "gate search/production/canary: the saved plan changes it",
        ),
        (
            "a gate listed twice, its copy deleting it",
            |plan, _| {
                let gates = plan["plan"]["gates"].as_array_mut().unwrap();
                let mut copy = gates[0].clone();
                let id = copy["action"]["id"].clone();
                copy["action"] = serde_json::json!({"action": "delete", "id": id, "dry_run": false});
                copy["rules"] = serde_json::json!([]);
                gates.insert(0, copy);
            },
            "gate checkout/production/default: the saved plan lists it 2 times",
        ),
        (
            "a rule action repeated",
            |plan, _| {
                let rules = plan["plan"]["gates"][0]["rules"].as_array_mut().unwrap();
                rules.push(rules[0].clone());
            },
            "the saved plan's actions were edited",
        ),
    ];
    for (what, edit, expected) in cases {
        let (dir, sandbox) = saved_plan();
        edit_plan(dir.path(), |plan| edit(plan, &sandbox));
        let before = sandbox.mutations().len();
        let run = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
        assert_eq!(run.code, 1, "{what}: {run:?}");
        assert!(run.stderr.contains("is stale and was not applied"), "{what}: {run:?}");
        assert!(run.stderr.contains(expected), "{what}: expected {expected:?} in {run:?}");
        assert_eq!(sandbox.mutations().len(), before, "{what}: nothing is applied");
    }
}

#[test]
fn a_saved_plan_names_the_options_it_was_made_with_when_applied() {
    // The options cannot be signed, so the apply log must show a plan that prunes for one.
    let managed = format!("{SMALL}\n[manage]\nservices = [\"*\"]\n\n[safety]\nmax_delete_percent = 100\n");
    let (dir, sandbox) = applied(&managed);
    let without_search =
        managed.replacen("[[gates]]\nservice = \"search\"\nenv = \"production\"\nidentifier = \"canary\"\n", "", 1);
    write(dir.path(), "gates.toml", &without_search);
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--prune", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    let run = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("The saved plan plan.json was made with --prune."), "{run:?}");
    assert!(run.stdout.contains("delete gate"), "{run:?}");
}

#[test]
fn the_safety_and_manage_settings_are_part_of_the_commitment() {
    for (edit, expected) in [
        ("\n[safety]\nmax_delete_percent = 100\n", "the [safety] settings changed"),
        ("\n[manage]\nservices = [\"*\"]\n", "the [manage] tables changed"),
    ] {
        let (dir, sandbox) = saved_plan();
        let text = std::fs::read_to_string(dir.path().join("gates.toml")).unwrap();
        write(dir.path(), "gates.toml", &format!("{text}{edit}"));
        let run = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains(expected), "{run:?}");
    }
}

#[test]
fn a_saved_plan_applies_from_another_directory() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 600", 1));
    std::fs::create_dir(dir.path().join("out")).unwrap();
    assert_eq!(sandbox.gatesctl(dir.path(), &["plan", "--out", "out/plan.json"]).code, 0);
    let elsewhere = tempfile::tempdir().unwrap();
    let plan = dir.path().join("out/plan.json");
    let before = sandbox.mutations().len();
    let run = sandbox.gatesctl(elsewhere.path(), &["apply", plan.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(sandbox.mutations().len(), before + 1, "the one reviewed update");
    // Moved away from its files, it says which file it cannot find.
    std::fs::rename(&plan, elsewhere.path().join("plan.json")).unwrap();
    let lost = sandbox.gatesctl(elsewhere.path(), &["apply", "plan.json"]);
    assert_eq!(lost.code, 1, "{lost:?}");
    assert!(lost.stderr.contains("gates.toml does not exist"), "{lost:?}");
}

// -------------------------------------------------------------------------------- escaping

const HOSTILE: &str = "x | y </details>\n# HIJACK \u{1b}]8;;http://evil\u{7}click\u{1b}]8;;\u{7} \u{202e}txt.exe\0";

#[test]
fn import_writes_unprintable_names_as_they_are_and_warns_that_validate_refuses_them() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let gate = sandbox.block_on(client.create_gate(&GateKey::new("checkout", "production", "default"), false)).unwrap();
    let name = "x | y </details>\n# \u{202e}HIJACK";
    let options = RuleOptions::from_api(
        gatesctl_core::model::RuleType::Monitor,
        &serde_json::json!({"query": "service:checkout", "duration": 300}),
    )
    .unwrap();
    sandbox.block_on(client.create_rule(&gate.id, &Rule { name: name.into(), dry_run: false, options })).unwrap();
    for file in ["gates.toml", "gates.yaml"] {
        let run = sandbox.gatesctl(dir.path(), &["import", "-o", file]);
        assert_eq!(run.code, 0, "{run:?}");
        assert!(
            run.stderr.contains("warning: rule \"x | y </details>\\n# \\u{202e}HIJACK\" of gate checkout/production/default has a control or invisible character"),
            "{run:?}"
        );
        assert_eq!(raw_control(&run.stderr), None, "{run:?}");
        // The file holds the name itself, which validation then refuses by its code, not as a syntax error.
        let check = sandbox.gatesctl(dir.path(), &["validate", "-f", file]);
        assert_eq!(check.code, 1, "{check:?}");
        assert!(check.stderr.contains("gates::invalid-character"), "{check:?}");
        let written = std::fs::read_to_string(dir.path().join(file)).unwrap();
        let (service, rules) = (written.find("checkout").unwrap(), written.find("rules").unwrap());
        assert!(service < rules, "a gate's service comes before its rules, in YAML as in TOML:\n{written}");
    }
}

#[test]
fn text_from_the_api_is_escaped_in_terminals_and_pull_request_comments() {
    let (dir, sandbox) = applied(SMALL);
    let client = sandbox.client();
    let id = gate_id(&sandbox, "checkout");
    let rule = Rule {
        name: HOSTILE.into(),
        dry_run: false,
        options: gatesctl_core::model::RuleOptions::from_api(
            gatesctl_core::model::RuleType::Monitor,
            &serde_json::json!({"query": format!("service:{HOSTILE}")}),
        )
        .unwrap(),
    };
    sandbox.block_on(client.create_rule(&id, &rule)).unwrap();
    sandbox.block_on(client.create_gate(&GateKey::new(HOSTILE, "production", "default"), false)).unwrap();

    for args in [&["plan"][..], &["drift"], &["plan", "--color", "always"]] {
        let run = sandbox.gatesctl(dir.path(), args);
        assert!(run.code == 0 || run.code == 2, "{run:?}");
        let shown = run.stdout.replace("\u{1b}[", "");
        assert_eq!(raw_control(&shown), None, "{args:?}: {run:?}");
        assert!(run.stdout.contains("\\u{1b}]8;;http://evil\\u{7}"), "{args:?}: escapes are shown: {run:?}");
        assert!(run.stdout.contains("\\u{202e}txt.exe\\0"), "{args:?}: {run:?}");
        assert!(!run.stdout.lines().any(|l| l.starts_with("# HIJACK")), "{args:?}: {run:?}");
    }

    for args in [&["plan", "--format", "markdown"][..], &["drift", "--format", "markdown"]] {
        let run = sandbox.gatesctl(dir.path(), args);
        let md = &run.stdout;
        assert_eq!(raw_control(md), None, "{args:?}: {md}");
        let markup: Vec<String> = md.lines().map(outside_code).collect();
        let count = |tag: &str| markup.iter().map(|l| l.matches(tag).count()).sum::<usize>();
        assert_eq!(count("<details>"), count("</details>"), "{args:?}: {md}");
        assert!(!markup.iter().any(|l| l.contains("</details>") && !l.starts_with("</details>")), "{args:?}: {md}");
        assert!(!md.lines().any(|l| l.trim_start().starts_with('#') && l.contains("HIJACK")), "{args:?}: {md}");
        // Every row of a table keeps the columns of its header: unescaped `|` outside code
        // are the cell borders only.
        let borders = |row: &str| row.char_indices().filter(|(i, c)| *c == '|' && !row[..*i].ends_with('\\')).count();
        let mut columns = None;
        for row in &markup {
            if !row.starts_with('|') {
                columns = None;
                continue;
            }
            let expected = *columns.get_or_insert(borders(row));
            assert_eq!(borders(row), expected, "{args:?}: a cell broke out in {row:?}\n{md}");
        }
    }
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
fn gate_keys_print_unambiguously() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    sandbox.block_on(client.create_gate(&GateKey::new("a/b", "c", "default"), false)).unwrap();
    sandbox.block_on(client.create_gate(&GateKey::new("a", "b/c", "default"), false)).unwrap();
    write(dir.path(), "gates.toml", "version = 1\n");
    let run = sandbox.gatesctl(dir.path(), &["plan"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("\"a/b\"/c/default") && run.stdout.contains("a/\"b/c\"/default"), "{run:?}");
}

// ------------------------------------------------------------------- nothing declared lost

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

const FDD_TO_MONITOR: (&str, &str) = (
    "type = \"faulty_deployment_detection\"\n  duration = 900\n  excluded_resources = [\"GET /healthz\"]",
    "type = \"monitor\"\n  query = \"service:checkout tag:apm\"",
);

fn rule_types(sandbox: &TestSandbox, service: &str) -> Vec<(String, String)> {
    let store = sandbox.store();
    let gate = store.gates.iter().find(|g| g.service == service).unwrap();
    let mut rules: Vec<(String, String)> = gate.rules.iter().map(|r| (r.name.clone(), r.rule_type.clone())).collect();
    rules.sort();
    rules
}

#[test]
fn a_replacement_whose_create_fails_keeps_the_old_rule() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replace(FDD_TO_MONITOR.0, FDD_TO_MONITOR.1));
    let refusing = Proxy::start(&sandbox, &sandbox.url, |seen| {
        if seen.method == "POST" && seen.path.ends_with("/rules") {
            let body = r#"{"errors":[{"status":"400","title":"Bad Request","detail":"Invalid query"}]}"#;
            Reply::Answer {
                status: 400,
                headers: vec![("content-type", "application/vnd.api+json".into())],
                body: body.into(),
            }
        } else {
            Reply::Forward
        }
    });
    let run = refusing.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stdout.contains("Invalid query; the old rule is kept, unchanged"), "{run:?}");
    assert_eq!(
        rule_types(&sandbox, "checkout"),
        [
            ("Errors".into(), "monitor".into()),
            ("Faulty deployment detection".into(), "faulty_deployment_detection".into())
        ],
        "the gate still has its rule"
    );
    // Once the API accepts it, the same apply converges.
    let again = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(again.code, 0, "{again:?}");
    assert_eq!(rule_types(&sandbox, "checkout")[1], ("Faulty deployment detection".into(), "monitor".into()));
}

#[test]
fn creates_whose_answer_is_cut_after_commit_are_found_not_failed() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..100 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:03}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:03}\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let sandbox = TestSandbox::start(dir.path());
    let creates = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&creates);
    // Every other create is committed, its headers sent, then the connection reset mid-body.
    let cutting = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "POST" && counter.fetch_add(1, Ordering::SeqCst).is_multiple_of(2) {
            Reply::Cut
        } else {
            Reply::Forward
        }
    });
    let run = cutting.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("Apply complete: 200 succeeded, 0 failed, 0 skipped."), "{}", run.stdout);
    assert!(creates.load(Ordering::SeqCst) >= 200);
    let store = sandbox.store();
    assert_eq!(store.gates.len(), 100, "no duplicate gate");
    assert!(store.gates.iter().all(|g| g.rules.len() == 1), "every gate has its one rule, once");
}

#[test]
fn an_answer_contradicting_the_update_is_a_failure_showing_both() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    let lying = Proxy::start(&sandbox, &sandbox.url, |seen| {
        if seen.method == "PUT" {
            Reply::Edit(Box::new(|answer| answer["data"]["attributes"]["dry_run"] = false.into()))
        } else {
            Reply::Forward
        }
    });
    let run = lying.gatesctl(dir.path(), &["apply", "--auto-approve"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stdout.contains("asked gate checkout/production/default with dry_run = true, answered gate checkout/production/default with dry_run = false"),
        "{run:?}"
    );
}

// ---------------------------------------------------------------------------- interrupted

/// Starts an apply of 40 gates against a slow sandbox, signals it once the first action has
/// landed, and returns its exit code and output.
fn interrupted_apply(signal: i32) -> (i32, String, TestSandbox, tempfile::TempDir) {
    use std::io::{BufRead, BufReader, Read};
    let dir = tempfile::tempdir().unwrap();
    let mut config = String::from("version = 1\n");
    for i in 0..40 {
        config.push_str(&format!(
            "\n[[gates]]\nservice = \"svc{i:02}\"\nenv = \"production\"\n\n  [[gates.rules]]\n  name = \"Errors\"\n  type = \"monitor\"\n  query = \"service:svc{i:02}\"\n\n  [[gates.rules]]\n  name = \"Latency\"\n  type = \"monitor\"\n  query = \"service:svc{i:02} tag:latency\"\n"
        ));
    }
    write(dir.path(), "gates.toml", &config);
    let faults = Faults { latency: std::time::Duration::from_millis(50), ..Default::default() };
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut cmd = crate::common::hermetic(dir.path(), &["apply", "--auto-approve", "--parallelism", "2"], &env);
    cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    let mut child = crate::common::spawn_bounded(cmd).unwrap();
    let mut stdout = BufReader::new(child.process().stdout.take().unwrap());
    let mut shown = String::new();
    // Bounded by the end of the output.
    for line in stdout.by_ref().lines() {
        let line = line.unwrap();
        shown.push_str(&line);
        shown.push('\n');
        if line.starts_with("  ✓") {
            break;
        }
    }
    // SAFETY: kill only sends a signal to the child spawned above.
    unsafe { libc::kill(child.process().id() as i32, signal) };
    stdout.read_to_string(&mut shown).unwrap();
    let code = child.wait().code().unwrap_or(-1);
    (code, shown, sandbox, dir)
}

#[test]
fn ctrl_c_during_apply_finishes_what_is_in_flight_and_reports() {
    for (signal, expected) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let (code, shown, sandbox, dir) = interrupted_apply(signal);
        assert_eq!(code, expected, "{shown}");
        assert!(shown.contains("Apply stopped:"), "{shown}");
        assert!(shown.contains("not started"), "{shown}");
        let store = sandbox.store();
        assert!(!store.gates.is_empty() && store.gates.len() < 40, "stopped part-way: {}", store.gates.len());
        for gate in &store.gates {
            assert_eq!(gate.rules.len(), 2, "gate {} was left without its rules: {shown}", gate.service);
        }
        // Applying again finishes the job.
        let again = sandbox.gatesctl(dir.path(), &["apply", "--auto-approve"]);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(sandbox.store().gates.len(), 40);
    }
}
