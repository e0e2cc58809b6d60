//! Text that gatesctl did not write itself (paths, names, answers of the API) cannot command
//! whatever reads its output: a CI runner's workflow commands, a terminal, a Markdown comment.

use serde_json::Value;

use crate::common::{gatesctl, write, TestSandbox, SMALL};

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
