//! Text that gatesctl did not write itself (paths, names, answers of the API) cannot command
//! whatever reads its output: a CI runner's workflow commands, a terminal, a Markdown comment.

use gatesctl_core::model::{GateKey, Rule};
use serde_json::{json, Value};

use crate::common::{applied, gate_id, gatesctl, one_rule_saved, raw_control, run_ok, write, TestSandbox, SMALL};

/// What GitHub Actions would take for a workflow command: a line of stderr or stdout starting
/// with `::`, other than the annotations gatesctl writes itself.
fn injected(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.starts_with("::"))
        .filter(|l| !(l.starts_with("::error ") || l.starts_with("::warning ") || l.starts_with("::notice ")))
        .collect()
}

#[test]
#[cfg(unix)]
fn a_path_holding_a_newline_never_starts_a_workflow_command() {
    let dir = tempfile::tempdir().unwrap();
    // git allows such names: a pull request can carry this file.
    let name = "gates\n::add-mask::hunter2\n::set-output name=x::y\n.toml";
    write(dir.path(), name, "version = 1\n[[gates]]\nservice = \"a\"\nidentifer = \"x\"\n");
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let ci = [("GITHUB_ACTIONS", "true")];
    let missing = "missing\n::add-mask::hunter2\n.toml";
    let out = "plan\n::set-output name=x::y\n.json";
    let runs = [
        gatesctl(dir.path(), &["validate", "-f", name], &ci),
        gatesctl(dir.path(), &["validate", "--format", "json", "-f", name], &ci),
        gatesctl(dir.path(), &["validate", "-f", missing], &ci),
        gatesctl(
            dir.path(),
            &["plan", "--no-monitor-check", "--out", out],
            &[("GITHUB_ACTIONS", "true"), ("DD_API_URL", &sandbox.url), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
        ),
        gatesctl(
            dir.path(),
            &["import", "-o", "imported\n::add-mask::x\n.toml"],
            &[("GITHUB_ACTIONS", "true"), ("DD_API_URL", &sandbox.url), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
        ),
    ];
    for run in &runs {
        assert!(injected(&run.stderr).is_empty() && injected(&run.stdout).is_empty(), "{run:?}");
    }
    // Each still names its file, escaped.
    assert_eq!(runs[0].code, 1, "{:?}", runs[0]);
    assert!(runs[0].stderr.contains("gates\\n::add-mask::hunter2"), "{:?}", runs[0]);
    assert!(
        runs[0].stderr.contains("::error file=gates\\n%3A%3Aadd-mask"),
        "the annotation escapes it too: {:?}",
        runs[0]
    );
    assert!(runs[2].stderr.contains("missing\\n::add-mask::hunter2\\n.toml"), "{:?}", runs[2]);
    assert_eq!(runs[3].code, 0, "{:?}", runs[3]);
    assert!(runs[3].stderr.contains("Saved the plan to plan\\n::set-output"), "{:?}", runs[3]);
    assert_eq!(runs[4].code, 0, "{:?}", runs[4]);
}

#[test]
fn markdown_breaks_issue_references_and_saved_plans_escape_bidi_characters() {
    let dir = tempfile::tempdir().unwrap();
    // Names from the API (an out-of-band gate) reach the plan comment and the saved plan.
    write(dir.path(), "gates.toml", "version = 1\n[manage]\nservices = [\"*\"]\n");
    let sandbox = TestSandbox::start(dir.path());
    let client = sandbox.client();
    let key = gatesctl_core::model::GateKey::new("fix-GH-9-and-gh-10", "production", "x\u{202e}txt");
    sandbox.block_on(client.create_gate(&key, false)).unwrap();
    let env = [("DD_API_URL", sandbox.url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let md = gatesctl(dir.path(), &["plan", "--prune", "--no-monitor-check", "--format", "markdown"], &env);
    assert_eq!(md.code, 0, "{md:?}");
    let lower = md.stdout.to_ascii_lowercase();
    assert!(lower.contains("fix-"), "{md:?}");
    // GitHub links `GH-9` (any case) outside code spans: each reference is broken.
    for line in md.stdout.lines().filter(|l| !l.contains('`')) {
        assert!(!line.to_ascii_lowercase().contains("gh-9") && !line.to_ascii_lowercase().contains("gh-10"), "{line}");
    }
    let saved = gatesctl(dir.path(), &["plan", "--prune", "--no-monitor-check", "--out", "plan.json"], &env);
    assert_eq!(saved.code, 0, "{saved:?}");
    let text = std::fs::read_to_string(dir.path().join("plan.json")).unwrap();
    assert!(!text.contains('\u{202e}'), "a raw U+202E in the saved plan");
    assert!(text.contains("\\u202e"), "written as an escape: {text}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert!(doc.to_string().contains('\u{202e}'), "still the same value once read");
    let shown = gatesctl(dir.path(), &["show", "plan.json"], &[]);
    assert_eq!(shown.code, 0, "{shown:?}");
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

const HOSTILE: &str = "x | y </details>\n# HIJACK \u{1b}]8;;http://evil\u{7}click\u{1b}]8;;\u{7} \u{202e}txt.exe\0";

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
fn names_from_dora_never_start_a_workflow_command_in_any_format() {
    use gatesctl_sandbox::store::StoredDoraEvent;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let now_ns = gatesctl_core::model::time::now_ms() * 1_000_000;
    // Anyone with an API key can record a deployment of any service.
    let dora = ["::add-mask::good", "::error::x", "  ::set-output name=a::b"]
        .iter()
        .enumerate()
        .map(|(i, service)| StoredDoraEvent {
            kind: "deployment".into(),
            id: String::new(),
            attributes: json!({"service": service, "env": "::warning::prod", "version": "::notice::v1",
                "started_at": now_ns - (i as i64 + 1) * 3_600_000_000_000, "finished_at": now_ns - (i as i64 + 1) * 3_500_000_000_000}),
        })
        .collect();
    let sandbox = TestSandbox::start_with_dora(dir.path(), dora);
    for format in ["text", "markdown", "json"] {
        let run = run_ok(&sandbox, dir.path(), &["coverage", "--format", format]);
        // The runner trims leading blanks before it looks for `::`.
        let commands: Vec<&str> =
            run.stdout.lines().chain(run.stderr.lines()).map(str::trim_start).filter(|l| l.starts_with("::")).collect();
        assert!(commands.is_empty(), "{format}: {commands:?}\n{}", run.stdout);
        assert!(run.stdout.contains("add-mask::good"), "{format}: the name is shown, quoted: {}", run.stdout);
    }
}

#[test]
fn a_remote_rule_named_like_a_workflow_command_starts_no_line_in_any_command() {
    let (dir, sandbox) = applied(SMALL);
    // Anyone who may write rules can name one so.
    let id = gate_id(&sandbox, "checkout");
    let body = json!({"data": {"type": "deployment_rule", "attributes": {"name": "::add-mask::SECRET", "type": "monitor", "options": {"query": "service:checkout"}}}});
    assert_eq!(crate::common::Http::new(&sandbox).post(&format!("/api/v2/deployment_gates/{id}/rules"), body).0, 200);
    let evaluate = ["evaluate", "--service", "checkout", "--env", "production", "--interval", "1s"];
    for args in [
        &evaluate[..],
        &[&evaluate[..], &["--format", "json"]].concat(),
        &["drift"],
        &["drift", "--format", "markdown"],
        &["plan", "--no-monitor-check"],
        &["plan", "--no-monitor-check", "--format", "markdown"],
        &["plan", "--no-monitor-check", "--format", "json"],
        &["import"],
        &["report"],
    ] {
        let run = sandbox.gatesctl(dir.path(), args);
        assert!(run.code <= 2, "{args:?}: {run:?}");
        // The runner trims leading blanks before it looks for `::`.
        let commands: Vec<&str> =
            run.stdout.lines().chain(run.stderr.lines()).map(str::trim_start).filter(|l| l.starts_with("::")).collect();
        assert!(commands.is_empty(), "{args:?}: {commands:?}");
    }
}
