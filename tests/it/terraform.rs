//! Migration from Terraform: `import --from-terraform` turns the gates of a Terraform state or
//! saved plan into a file that plans "No changes" against the organisation Terraform manages,
//! and says how to stop Terraform managing them; what cannot be carried over exactly is
//! refused, naming the resource.

use std::path::Path;

use crate::common::{copy_dir, fixtures_dir, gatesctl, Run, TestSandbox};

/// A working directory holding the Terraform documents, and the sandbox holding their gates.
fn org() -> (tempfile::TempDir, TestSandbox) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures_dir("terraform"), dir.path());
    let sandbox = TestSandbox::start(dir.path());
    (dir, sandbox)
}

fn import(dir: &Path, args: &[&str]) -> Run {
    gatesctl(dir, &[&["import", "--from-terraform"], args].concat(), &[])
}

#[test]
fn every_terraform_document_imports_to_a_file_that_plans_no_changes() {
    let (dir, sandbox) = org();
    let dir = dir.path();
    for (document, file) in
        [("show-state.json", "gates.toml"), ("show-plan.json", "gates.yaml"), ("terraform.tfstate", "gates.yml")]
    {
        let run = import(dir, &[document, "-o", file, "--force"]);
        assert_eq!(run.code, 0, "{document}: {run:?}");
        assert!(run.stderr.contains("Imported 3 gates and 5 rules"), "{document}: {run:?}");
        let plan = sandbox.gatesctl(dir, &["plan", "-f", file, "--detailed-exitcode", "--no-monitor-check"]);
        assert_eq!(plan.code, 0, "{document} → {file}: {plan:?}\n{}", std::fs::read_to_string(dir.join(file)).unwrap());
        assert!(plan.stdout.contains("No changes"), "{plan:?}");
    }
    let written = std::fs::read_to_string(dir.join("gates.toml")).unwrap();
    assert!(written.contains("excluded_resources = [\"GET /healthz\"]"), "{written}");
    assert!(written.contains("name = \"Latency\""), "the separate datadog_deployment_rule is on its gate: {written}");
    // The provider's monitor options of 2026 are carried over.
    assert!(written.contains("monitor_ids = [{ id = 1201, groups = [\"region:eu\"] }]"), "{written}");
    assert!(written.contains("warmup = 60") && written.contains("fail_on_no_data = false"), "{written}");
    // Nothing was asked of the API to import.
    let sent = sandbox.requests().into_iter().filter(|r| r.path.contains("deployment_gates")).count();
    assert_eq!(sent, 3 * (1 + 3), "only the three plans read the API: {sent}");
}

#[test]
fn it_prints_the_terraform_commands_that_stop_managing_exactly_what_was_imported() {
    let (dir, _sandbox) = org();
    let run = import(dir.path(), &["show-state.json", "-o", "gates.toml"]);
    assert_eq!(run.code, 0, "{run:?}");
    // With -o the way out of Terraform is on stdout, ready for a script.
    let commands: Vec<&str> = run.stdout.lines().filter(|l| l.starts_with("terraform state rm")).collect();
    assert_eq!(
        commands,
        [
            "terraform state rm 'datadog_deployment_gate.checkout'",
            "terraform state rm 'datadog_deployment_rule.checkout_latency'",
            "terraform state rm 'module.payments.datadog_deployment_gate.gate[\"production\"]'",
            "terraform state rm 'module.payments.datadog_deployment_gate.gate[\"staging\"]'",
        ],
        "{run:?}"
    );
    assert!(run.stdout.contains("delete their\n# resource blocks from your .tf files"), "{run:?}");

    let blocks = import(dir.path(), &["show-state.json", "-o", "gates.toml", "--force", "--removed-blocks"]);
    assert_eq!(blocks.code, 0, "{blocks:?}");
    assert!(blocks.stdout.contains("removed {\n  from = module.payments.datadog_deployment_gate.gate\n"), "{blocks:?}");
    assert!(blocks.stdout.contains("from = datadog_deployment_rule.checkout_latency"), "{blocks:?}");
    assert_eq!(blocks.stdout.matches("destroy = false").count(), 3, "{blocks:?}");

    // Only staging imported: a removed block would take production too, so commands it is.
    let some = import(dir.path(), &["show-state.json", "-o", "staging.toml", "--env", "staging", "--removed-blocks"]);
    assert_eq!(some.code, 0, "{some:?}");
    assert!(some.stderr.contains("Imported 1 gate and 1 rule"), "{some:?}");
    assert!(!some.stdout.contains("removed {"), "{some:?}");
    assert!(
        some.stdout.contains("terraform state rm 'module.payments.datadog_deployment_gate.gate[\"staging\"]'"),
        "{some:?}"
    );
    assert!(!some.stdout.contains("production"), "{some:?}");

    // Without -o the file is on stdout and the commands on stderr.
    let piped = import(dir.path(), &["terraform.tfstate"]);
    assert_eq!(piped.code, 0, "{piped:?}");
    assert!(piped.stdout.starts_with("#:schema https://"), "{piped:?}");
    assert!(piped.stdout.contains("\n# Deployment gates imported by gatesctl from terraform.tfstate"), "{piped:?}");
    assert!(piped.stderr.contains("terraform state rm 'datadog_deployment_gate.checkout'"), "{piped:?}");
}

/// The state document with `edit` applied to its JSON.
fn edited(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("show-state.json")).unwrap()).unwrap();
    edit(&mut doc);
    std::fs::write(dir.join("edited.json"), doc.to_string()).unwrap();
    "edited.json".to_string()
}

#[test]
fn what_cannot_be_carried_over_exactly_is_refused_naming_the_resource() {
    let (dir, _sandbox) = org();
    let dir = dir.path();
    let root = |doc: &mut serde_json::Value| doc["values"]["root_module"].clone();

    // An option the provider's schema does not have (a newer provider's, or a typo).
    let file = edited(dir, |doc| {
        doc["values"]["root_module"]["resources"][0]["values"]["rule"][1]["options"]["future_knob"] =
            serde_json::json!(7);
    });
    let run = import(dir, &[&file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("datadog_deployment_gate.checkout, rule \"Faulty deployment detection\""), "{run:?}");
    assert!(run.stderr.contains("`future_knob`"), "{run:?}");
    assert!(run.stdout.is_empty(), "nothing written: {run:?}");

    // Both targets of a monitor rule, which the provider refuses too.
    let file = edited(dir, |doc| {
        doc["values"]["root_module"]["resources"][0]["values"]["rule"][0]["options"]["monitor_ids"] =
            serde_json::json!([{"id": "1", "groups": []}]);
    });
    let run = import(dir, &[&file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("`query` and `monitor_ids` cannot both be given"), "{run:?}");

    // The same gate in two modules.
    let file = edited(dir, |doc| {
        let mut twin = root(doc)["resources"][0].clone();
        twin["address"] = "module.legacy.datadog_deployment_gate.checkout".into();
        doc["values"]["root_module"]["child_modules"]
            .as_array_mut()
            .unwrap()
            .push(serde_json::json!({"address": "module.legacy", "resources": [twin]}));
    });
    let run = import(dir, &[&file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains("module.legacy.datadog_deployment_gate.checkout: gate checkout/production/default is also declared by datadog_deployment_gate.checkout"),
        "{run:?}"
    );

    // A rule resource whose gate is not in the file.
    let file = edited(dir, |doc| {
        doc["values"]["root_module"]["resources"][1]["values"]["gate_id"] =
            "99999999-9999-4999-8999-999999999999".into();
    });
    let run = import(dir, &[&file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("datadog_deployment_rule.checkout_latency: its gate_id"), "{run:?}");

    // Not a Terraform document at all, and one without any gate.
    std::fs::write(dir.join("other.json"), "{\"gates\": []}").unwrap();
    let run = import(dir, &["other.json"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("neither `terraform show -json` output nor a Terraform state file"), "{run:?}");
    let file = edited(dir, |doc| doc["values"]["root_module"] = serde_json::json!({"resources": []}));
    let run = import(dir, &[&file]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("no datadog_deployment_gate resource"), "{run:?}");

    // No API involved: connection flags make no sense.
    let run = import(dir, &["show-state.json", "--sandbox"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("--from-terraform reads the Terraform file only"), "{run:?}");
}
