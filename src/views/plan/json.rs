//! The plan as a versioned JSON document for machines (`--format json`); its schema is
//! `schemas/plan.schema.json`.

use schemars::JsonSchema;
use serde::Serialize;

use gatesctl_core::model::options::OptionsSpec;
use gatesctl_core::model::Rule;
use gatesctl_core::plan::{GateAction, Plan, RuleAction, Summary};
use gatesctl_files::ConfigDiagnostic;

use crate::views::{pretty, GateRef};

/// A gatesctl plan.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(title = "gatesctl plan")]
pub(crate) struct PlanDocument {
    /// Version of this document's format, `MAJOR.MINOR`, shared with saved plans: additions
    /// bump the minor part.
    pub(crate) format_version: String,
    pub(crate) gatesctl_version: String,
    pub(crate) has_changes: bool,
    /// The plan covers only the gates matching `targets` (`--target`): changes to others may
    /// be pending.
    pub(crate) partial: bool,
    pub(crate) targets: Vec<String>,
    pub(crate) summary: SummaryDocument,
    /// Every changed gate and rule, in plan order (service, env, identifier, rule name).
    pub(crate) changes: Vec<Change>,
    /// Remote gates declared in no file, left untouched.
    pub(crate) unmanaged: Vec<GateRef>,
    /// What the online checks of the files found (monitor queries matching no monitor, or too
    /// many, or monitors failing now), located in the files. Empty for a saved plan shown.
    pub(crate) diagnostics: Vec<crate::views::validate::DiagnosticDocument>,
    /// Why the online checks were not made, in part or in all (a missing permission).
    pub(crate) unchecked: Option<String>,
    /// Keys under which the API holds several gates: the ids, the one managed first.
    pub(crate) duplicate_gates: Vec<DuplicateGatesDocument>,
    /// Gates deleted by someone else while the plan read them: planned as absent.
    pub(crate) vanished: Vec<GateRef>,
    /// What the plan does to the policies, for the gates it changes (left out when nothing).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) policies: Vec<crate::views::policy::PolicyChangeDocument>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct DuplicateGatesDocument {
    pub(crate) gate: GateRef,
    pub(crate) ids: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct SummaryDocument {
    pub(crate) gates: Counts,
    pub(crate) rules: Counts,
}

#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Counts {
    pub(crate) create: usize,
    pub(crate) update: usize,
    pub(crate) replace: usize,
    pub(crate) delete: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ResourceKind {
    Gate,
    Rule,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ActionKind {
    Create,
    Update,
    Delete,
}

/// One changed resource. A replace is `["create", "delete"]`: as Terraform writes a
/// create-before-destroy replacement.
#[derive(Debug, Serialize, JsonSchema)]
pub(crate) struct Change {
    /// `service/env/identifier` for a gate, `service/env/identifier/rules/NAME` for a rule.
    pub(crate) address: String,
    pub(crate) kind: ResourceKind,
    pub(crate) gate: GateRef,
    /// The rule's name, for rule changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rule: Option<String>,
    pub(crate) actions: Vec<ActionKind>,
    /// The remote state; null for a create.
    pub(crate) before: Option<Attributes>,
    /// The state after apply; null for a delete.
    pub(crate) after: Option<Attributes>,
    /// A rule deleted as the extra of two remote rules of one declared name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(crate) duplicate: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(untagged)]
pub(crate) enum Attributes {
    Gate(GateAttributes),
    Rule(RuleAttributes),
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct GateAttributes {
    pub(crate) dry_run: bool,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub(crate) struct RuleAttributes {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) rule_type: String,
    pub(crate) dry_run: bool,
    /// The options as a file writes them: those at their default left out, options of the API
    /// that gatesctl does not model under `extra_options`.
    pub(crate) options: OptionsSpec,
}

impl From<&Rule> for RuleAttributes {
    fn from(rule: &Rule) -> Self {
        RuleAttributes {
            name: rule.name.clone(),
            rule_type: rule.rule_type().as_str().to_string(),
            dry_run: rule.dry_run,
            options: (&rule.options).into(),
        }
    }
}

fn rule_attrs(rule: &Rule) -> Option<Attributes> {
    Some(Attributes::Rule(rule.into()))
}

fn gate_attrs(dry_run: bool) -> Option<Attributes> {
    Some(Attributes::Gate(GateAttributes { dry_run }))
}

pub(crate) fn counts(s: &Summary) -> SummaryDocument {
    SummaryDocument {
        gates: Counts { create: s.gates_create, update: s.gates_update, replace: 0, delete: s.gates_delete },
        rules: Counts {
            create: s.rules_create,
            update: s.rules_update,
            replace: s.rules_replace,
            delete: s.rules_delete,
        },
    }
}

/// Every changed resource of a plan, shared by the JSON and Markdown renderings.
pub(crate) fn changes(plan: &Plan) -> Vec<Change> {
    use ActionKind::*;
    let mut out = Vec::new();
    for gate in &plan.gates {
        let key = &gate.key;
        let gate_change = |actions: Vec<ActionKind>, before, after| Change {
            address: key.to_string(),
            kind: ResourceKind::Gate,
            gate: key.into(),
            rule: None,
            actions,
            before,
            after,
            duplicate: false,
        };
        match &gate.action {
            GateAction::Create { dry_run } => out.push(gate_change(vec![Create], None, gate_attrs(*dry_run))),
            GateAction::Update { before, after, .. } => {
                out.push(gate_change(vec![Update], gate_attrs(*before), gate_attrs(*after)))
            }
            GateAction::Delete { dry_run, .. } => out.push(gate_change(vec![Delete], gate_attrs(*dry_run), None)),
            GateAction::Keep { .. } => {}
        }
        for rule in &gate.rules {
            let (actions, before, after) = match rule {
                RuleAction::Create { after } => (vec![Create], None, rule_attrs(after)),
                RuleAction::Update { before, after, .. } => (vec![Update], rule_attrs(before), rule_attrs(after)),
                RuleAction::Replace { before, after, .. } => {
                    (vec![Create, Delete], rule_attrs(before), rule_attrs(after))
                }
                RuleAction::Delete { before, .. } => (vec![Delete], rule_attrs(before), None),
            };
            out.push(Change {
                address: format!("{key}/rules/{}", rule.name()),
                kind: ResourceKind::Rule,
                gate: key.into(),
                rule: Some(rule.name().to_string()),
                actions,
                before,
                after,
                duplicate: matches!(rule, RuleAction::Delete { duplicate: true, .. }),
            });
        }
    }
    out
}

pub(crate) fn document(
    plan: &Plan,
    found: &[ConfigDiagnostic],
    unchecked: Option<&str>,
    policies: &[gatesctl_core::policy::PolicyChange],
) -> PlanDocument {
    PlanDocument {
        format_version: gatesctl_core::plan::FORMAT_VERSION.to_string(),
        gatesctl_version: env!("CARGO_PKG_VERSION").to_string(),
        has_changes: !plan.is_empty(),
        partial: !plan.targets.is_empty(),
        targets: plan.targets.clone(),
        summary: counts(&plan.summary()),
        changes: changes(plan),
        unmanaged: plan.unmanaged.iter().map(GateRef::from).collect(),
        diagnostics: {
            let mut locator = crate::views::validate::Locator::default();
            found.iter().map(|d| crate::views::validate::document(d, &mut locator)).collect()
        },
        unchecked: unchecked.map(str::to_string),
        duplicate_gates: plan
            .duplicate_gates
            .iter()
            .map(|d| DuplicateGatesDocument { gate: (&d.key).into(), ids: d.ids.clone() })
            .collect(),
        vanished: plan.vanished.iter().map(GateRef::from).collect(),
        policies: crate::views::policy::documents(policies),
    }
}

/// The plan's document as a JSON value, without what the monitor check found: what a saved
/// plan holds beside its commitment.
pub(crate) fn value(plan: &Plan) -> serde_json::Value {
    serde_json::to_value(document(plan, &[], None, &[])).expect("plans serialise")
}

pub(crate) fn render_plan(
    plan: &Plan,
    found: &[ConfigDiagnostic],
    unchecked: Option<&str>,
    policies: &[gatesctl_core::policy::PolicyChange],
) -> String {
    pretty(&document(plan, found, unchecked, policies))
}

pub(crate) fn schema_json() -> String {
    gatesctl_files::wire::published(schemars::schema_for!(PlanDocument), "plan.schema.json")
}
