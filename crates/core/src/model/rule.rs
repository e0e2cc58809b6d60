//! Rules, and how two versions of a rule differ, attribute by attribute.

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::options::{AttrName, AttrValue, Attribute, RuleOptions};

/// The kinds of rule the API knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleType {
    /// Passes while the monitors matching `query` stay OK for `duration` seconds.
    Monitor,
    /// APM Faulty Deployment Detection on the new version.
    FaultyDeploymentDetection,
}

impl RuleType {
    pub const ALL: [RuleType; 2] = [RuleType::Monitor, RuleType::FaultyDeploymentDetection];

    pub fn as_str(self) -> &'static str {
        match self {
            RuleType::Monitor => "monitor",
            RuleType::FaultyDeploymentDetection => "faulty_deployment_detection",
        }
    }

    pub fn parse(s: &str) -> Option<RuleType> {
        RuleType::ALL.into_iter().find(|t| t.as_str() == s)
    }
}

impl fmt::Display for RuleType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub name: String,
    pub dry_run: bool,
    pub options: RuleOptions,
}

impl Rule {
    pub fn rule_type(&self) -> RuleType {
        self.options.rule_type()
    }

    /// Every attribute of the rule but its name, in display order: type, dry_run, options
    /// (those at their default marked so).
    pub(crate) fn all_attributes(&self) -> Vec<Attribute> {
        let mut out = vec![
            Attribute { name: AttrName::Type, value: AttrValue::Type(self.rule_type()), default: false },
            Attribute { name: AttrName::DryRun, value: AttrValue::Bool(self.dry_run), default: false },
        ];
        out.extend(self.options.attributes());
        out
    }

    /// The attributes a listing of the rule shows: options at their default are left out.
    pub fn attributes(&self) -> Vec<Attribute> {
        self.all_attributes().into_iter().filter(|a| !a.default).collect()
    }
}

/// One attribute that differs between two versions of a rule (or a rule and nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttrChange {
    pub name: AttrName,
    pub before: Option<AttrValue>,
    pub after: Option<AttrValue>,
}

impl AttrChange {
    /// The attributes that differ, in display order; either side may be absent (a create or
    /// a delete lists every attribute of the other side).
    pub fn between(before: Option<&Rule>, after: Option<&Rule>) -> Vec<AttrChange> {
        let side = |rule: Option<&Rule>| -> BTreeMap<AttrName, Attribute> {
            rule.map(Rule::all_attributes).unwrap_or_default().into_iter().map(|a| (a.name.clone(), a)).collect()
        };
        let (old, new) = (side(before), side(after));
        // An option at its default is shown only against the same option set otherwise on the
        // other side (`warmup = 120 → 0`); against nothing, it is not worth a line.
        let shown = |this: Option<&Attribute>, other: Option<&Attribute>| {
            this.filter(|a| !a.default || other.is_some()).map(|a| a.value.clone())
        };
        let names: std::collections::BTreeSet<&AttrName> = old.keys().chain(new.keys()).collect();
        names
            .into_iter()
            .filter_map(|name| {
                let (b, a) = (old.get(name), new.get(name));
                let (b, a) = (shown(b, a), shown(a, b));
                let same = match (&b, &a) {
                    (Some(x), Some(y)) => x.same_as(y),
                    (None, None) => true,
                    _ => false,
                };
                (!same).then(|| AttrChange { name: name.clone(), before: b, after: a })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::model::options::FddSettings;

    fn fdd(excluded: &[&str]) -> RuleOptions {
        RuleOptions::fdd(FddSettings {
            duration: Some(900),
            excluded_resources: excluded.iter().map(|s| s.to_string()).collect(),
            allowed_resources: vec![],
        })
    }

    #[test]
    fn missing_and_empty_resource_lists_are_equal_and_order_does_not_matter() {
        assert_eq!(fdd(&["GET /b", "GET /a"]), fdd(&["GET /a", "GET /b"]));
        assert_ne!(fdd(&["GET /b", "GET /a"]), fdd(&["GET /a"]));
    }

    #[test]
    fn api_body_leaves_out_empty_lists() {
        assert_eq!(fdd(&[]).to_api(), serde_json::json!({"duration": 900}));
    }

    #[test]
    fn changes_list_only_what_differs_in_display_order() {
        let before = Rule { name: "r".into(), dry_run: false, options: fdd(&["GET /a", "GET /b"]) };
        let mut after = before.clone();
        after.dry_run = true;
        after.options = fdd(&["GET /b", "GET /a"]);
        let changes = AttrChange::between(Some(&before), Some(&after));
        assert_eq!(changes.len(), 1, "reordered lists are the same list: {changes:?}");
        assert_eq!(changes[0].name, AttrName::DryRun);
        let created = AttrChange::between(None, Some(&after));
        let names: Vec<_> = created.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["type", "dry_run", "duration", "excluded_resources"]);
    }
}
