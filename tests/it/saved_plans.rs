//! Saved plans: applied exactly as reviewed, once, from anywhere, or refused with what
//! differs; shown again without the API; never written through a planted link.

use std::path::Path;

use crate::common::{applied, gate_id, gatesctl, mutations_after, run_ok, ui_rule, write, TestSandbox, SMALL};

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

/// A sandbox holding SMALL, and a plan saved for one changed duration.
fn saved_plan() -> (tempfile::TempDir, TestSandbox) {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 600", 1));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
    (dir, sandbox)
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

fn edit_plan(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join("plan.json");
    let mut plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut plan);
    std::fs::write(path, serde_json::to_string_pretty(&plan).unwrap()).unwrap();
}

#[test]
fn a_saved_plan_is_refused_when_the_files_change() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 600", 1));
    assert_eq!(sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]).code, 0);
    write(dir.path(), "gates.toml", &SMALL.replacen("duration = 300", "duration = 900", 1));
    let apply = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply
            .stderr
            .contains("gate checkout/production/default: rule \"Errors\" changed in the files (duration: 600 → 900)"),
        "{apply:?}"
    );
}

#[test]
fn a_saved_plan_applies_exactly_once_without_confirmation() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    assert_eq!(sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]).code, 0);
    let before = sandbox.mutations().len();
    // stdin is not a terminal and there is no --auto-approve: the saved plan was the review.
    let first = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(first.code, 0, "{first:?}");
    assert_eq!(mutations_after(&sandbox, before), 1);
    let second = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(second.code, 1, "{second:?}");
    assert!(
        second
            .stderr
            .contains("gate checkout/production/default: the saved plan changes it, but it needs no change any more"),
        "{second:?}"
    );
    assert_eq!(mutations_after(&sandbox, before), 1);
}

#[test]
fn a_saved_plan_is_refused_after_an_out_of_band_change() {
    let (dir, sandbox) = applied(SMALL);
    write(dir.path(), "gates.toml", &SMALL.replacen("dry_run = false", "dry_run = true", 1));
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");

    let id = gate_id(&sandbox, "checkout");
    sandbox.block_on(sandbox.client().create_rule(&id, &ui_rule())).unwrap();
    let before = sandbox.mutations().len();
    let apply = sandbox.gatesctl(dir.path(), &["apply", "plan.json"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(apply.stderr.contains("is stale and was not applied"), "{apply:?}");
    assert!(
        apply.stderr.contains(
            "gate checkout/production/default: now calls for delete rule \"Added in the UI\", which the saved plan does not do"
        ),
        "{apply:?}"
    );
    assert_eq!(mutations_after(&sandbox, before), 0, "nothing is applied from a stale plan");
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

fn saved(dir: &Path, sandbox: &TestSandbox) {
    crate::common::copy_dir(&crate::common::fixtures_dir("plan").join("all-action-kinds"), dir);
    let plan = sandbox.gatesctl(dir, &["plan", "--out", "plan.json"]);
    assert_eq!(plan.code, 0, "{plan:?}");
}
