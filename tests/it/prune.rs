//! Pruning and the safety thresholds: only `--prune` deletes, only inside `[manage]`, never
//! past the threshold of the whole scope, whatever the files or `--target` say.

use gatesctl_core::model::GateKey;
use serde_json::{json, Value};

use crate::common::{applied, fleet, gate_id, many_gates, run_ok, ui_rule, write, Proxy, Reply, TestSandbox, SMALL};

#[test]
fn prune_without_a_manage_table_is_an_error() {
    let (dir, sandbox) = applied(SMALL);
    sandbox.block_on(sandbox.client().create_gate(&GateKey::new("legacy", "production", "default"), false)).unwrap();
    let before = sandbox.requests().len();
    for command in [&["plan", "--prune"][..], &["apply", "--prune", "--auto-approve"]] {
        let run = sandbox.gatesctl(dir.path(), command);
        assert_eq!(run.code, 1, "{run:?}");
        assert!(run.stderr.contains("no file has a [manage] table"), "{run:?}");
    }
    assert_eq!(sandbox.requests().len(), before, "refused before any request");
    let plan = sandbox.gatesctl(dir.path(), &["plan", "--detailed-exitcode"]);
    assert!(plan.stdout.contains("legacy/production/default"), "listed as unmanaged: {plan:?}");
}

#[test]
fn a_small_prune_passes_the_threshold_and_deletes_rules_first() {
    let (dir, sandbox) = twenty_gates(18);
    let id = gate_id(&sandbox, "svc19");
    sandbox.block_on(sandbox.client().create_rule(&id, &ui_rule())).unwrap();
    let before = sandbox.mutations().len();
    let run = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--auto-approve"]);
    assert_eq!(run.code, 0, "{run:?}");
    let sent: Vec<(String, String)> =
        sandbox.mutations().into_iter().skip(before).map(|r| (r.method, r.path)).collect();
    assert_eq!(sent.len(), 3, "{sent:?}");
    let rule_delete = sent.iter().position(|(_, p)| p.contains(&format!("{id}/rules/"))).unwrap();
    let gate_delete = sent.iter().position(|(_, p)| p.ends_with(&id)).unwrap();
    assert!(rule_delete < gate_delete, "rules go before their gate: {sent:?}");
}

/// 20 gates svc00..svc19 exist; the file declares the first `declared` of them.
fn twenty_gates(declared: usize) -> (tempfile::TempDir, TestSandbox) {
    crate::common::fleet(20, declared, &["other-team"], "gates.toml", "envs = [\"production\"]\n")
}

#[test]
fn pruning_half_the_gates_is_refused_unless_forced() {
    let (dir, sandbox) = twenty_gates(10);
    let refused = sandbox.gatesctl(dir.path(), &["plan", "--prune"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    // The whole plan first, then the refusal naming --force.
    assert!(refused.stdout.contains("gates 0 to create, 0 to update, 10 to delete"), "{refused:?}");
    assert!(
        refused.stderr.contains("it would delete 10 of the 20 gates in the managed scope (50%), above the 30%"),
        "{refused:?}"
    );
    assert!(refused.stderr.contains("--force"), "{refused:?}");
    let apply = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--auto-approve"]);
    assert_eq!(apply.code, 1);
    assert!(apply.stdout.contains("10 to delete") && !apply.stdout.contains("Applying"), "{apply:?}");
    assert!(sandbox.mutations().len() == 21, "only the setup's creates");

    let forced = sandbox.gatesctl(dir.path(), &["apply", "--prune", "--force", "--auto-approve"]);
    assert_eq!(forced.code, 0, "{forced:?}");
    assert!(forced.stdout.contains("gates 0 to create, 0 to update, 10 to delete"), "{forced:?}");
    let left: Vec<String> = sandbox
        .block_on(sandbox.client().list_gates(&Default::default()))
        .unwrap()
        .into_iter()
        .map(|g| g.key.service)
        .collect();
    assert_eq!(left.len(), 11, "{left:?}");
    assert!(left.contains(&"other-team".to_string()), "out of scope: never touched");
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

/// With --prune a target may name a gate only the organisation has (to delete it), so it is
/// checked once the remote gates are read: one matching neither is refused, with the closest
/// name, before anything is written.
#[test]
fn a_prune_target_matching_no_gate_anywhere_is_refused_after_the_read() {
    let (dir, sandbox) = scope(3, 1);
    let before = sandbox.mutations().len();
    let remote_only = sandbox.gatesctl(
        dir.path(),
        &["plan", "--prune", "-f", "teamA.toml", "--no-monitor-check", "--target", "svc02/production"],
    );
    assert_eq!(remote_only.code, 0, "a gate only the organisation has: {remote_only:?}");
    let read_before = sandbox.requests().len();
    let nowhere = sandbox.gatesctl(
        dir.path(),
        &["apply", "--prune", "--auto-approve", "-f", "teamA.toml", "--target", "svc20/production"],
    );
    assert_eq!(nowhere.code, 1, "{nowhere:?}");
    assert!(
        nowhere.stderr.contains("--target \"svc20/production\" matches no declared gate; did you mean"),
        "{nowhere:?}"
    );
    let after: Vec<_> = sandbox.requests().into_iter().skip(read_before).collect();
    assert!(after.iter().any(|r| r.path == "/api/v2/deployment_gates"), "refused after the read: {after:?}");
    assert_eq!(sandbox.mutations().len(), before, "nothing written");
}

/// `count` gates `svcNN/production` in the sandbox, and a file owning `svc*` that declares the
/// first `declared` of them.
fn scope(count: usize, declared: usize) -> (tempfile::TempDir, TestSandbox) {
    fleet(count, declared, &[], "teamA.toml", "")
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
