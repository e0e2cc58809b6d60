//! The sandbox's data as JSON: the shapes the API answers with, and the state format of
//! fixtures and `gatesctl sandbox --export/--import`.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredGate {
    pub id: String,
    pub service: String,
    pub env: String,
    pub identifier: String,
    pub dry_run: bool,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub rules: Vec<StoredRule>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StoredRule {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub rule_type: String,
    pub dry_run: bool,
    pub options: Value,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Store {
    /// In creation order, which is the list order.
    pub gates: Vec<StoredGate>,
    /// The monitors the search and evaluations see; left as they are when a state to import
    /// has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monitors: Option<Vec<super::monitors::Monitor>>,
    /// The evaluation history, newest first; left as it is when a state to import has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evaluations: Option<Vec<StoredEvaluation>>,
    /// Deployments and failures (DORA), oldest first; left as they are when a state to import
    /// has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dora: Option<Vec<StoredDoraEvent>>,
    /// The Software Catalog's entities; left as they are when a state to import has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub catalog: Option<Vec<StoredEntity>>,
    /// Scorecard rules with their outcomes; left as they are when a state to import has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scorecards: Option<Vec<StoredScorecardRule>>,
}

/// An entity of the Software Catalog (a service, mostly).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredEntity {
    /// Given when left empty.
    #[serde(default)]
    pub id: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

fn default_kind() -> String {
    "service".to_string()
}

/// A custom Scorecards rule and the outcomes posted for it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredScorecardRule {
    pub id: String,
    pub name: String,
    pub scorecard_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default)]
    pub level: i64,
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub scope_query: String,
    pub created_at: String,
    pub modified_at: String,
    #[serde(default)]
    pub outcomes: Vec<StoredOutcome>,
}

/// One service's outcome of a rule: the latest posted.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct StoredOutcome {
    pub id: String,
    pub service_name: String,
    /// `pass`, `fail` or `skip`.
    pub state: String,
    #[serde(default)]
    pub remarks: String,
    pub created_at: String,
    pub modified_at: String,
}

/// A deployment or a failure as `POST dora/deployment` and `POST dora/failure` record it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredDoraEvent {
    /// `deployment` or `failure`.
    pub kind: String,
    /// Given when left empty.
    #[serde(default)]
    pub id: String,
    /// As recorded, `started_at` and `finished_at` in Unix nanoseconds.
    pub attributes: Value,
}

/// A gate evaluation as the history keeps it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredEvaluation {
    /// The evaluation id (given when left empty).
    #[serde(default)]
    pub id: String,
    /// The gate evaluated; none for a just-in-time evaluation.
    #[serde(default)]
    pub gate_id: Option<String>,
    pub service: String,
    pub env: String,
    #[serde(default = "default_identifier")]
    pub identifier: String,
    /// The version deployed; "" when none was given.
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub dry_run: bool,
    /// RFC 3339.
    pub started_at: String,
    /// RFC 3339; the same as `started_at` when left out.
    #[serde(default)]
    pub finished_at: Option<String>,
    /// What the gate answered once finished: `pass` or `fail` (a gate in dry run always
    /// answers `pass`).
    pub status: String,
    #[serde(default)]
    pub rules: Vec<StoredRuleEvaluation>,
}

/// One rule's part of a gate evaluation.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StoredRuleEvaluation {
    /// Given when left empty.
    #[serde(default)]
    pub id: String,
    /// The rule evaluated; none for a just-in-time rule.
    #[serde(default)]
    pub rule_id: Option<String>,
    pub name: String,
    #[serde(rename = "type")]
    pub rule_type: String,
    #[serde(default)]
    pub dry_run: bool,
    /// The rule's options as evaluated.
    #[serde(default)]
    pub configuration: Value,
    /// The rule's real result, `pass` or `fail`, in dry run too.
    pub status: String,
    #[serde(default)]
    pub reason: String,
    /// `{faulty_apm_resources, monitors, narratives}`.
    #[serde(default)]
    pub failures: Value,
    /// Seconds after the start before the rule's monitors were looked at.
    #[serde(default)]
    pub warmup: u64,
}

fn default_identifier() -> String {
    gatesctl_core::model::DEFAULT_IDENTIFIER.to_string()
}

fn user() -> Value {
    json!({"id": "00000000-0000-0000-0000-000000000001", "name": "Sandbox User", "handle": "sandbox@example.com"})
}

impl StoredGate {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "type": "deployment_gate",
            "attributes": {
                "service": self.service, "env": self.env, "identifier": self.identifier, "dry_run": self.dry_run,
                "created_at": self.created_at, "created_by": user(), "updated_at": self.updated_at, "updated_by": user(),
            }
        })
    }
}

impl StoredRule {
    fn attributes(&self, gate_id: &str) -> serde_json::Map<String, Value> {
        let v = json!({
            "name": self.name, "type": self.rule_type, "dry_run": self.dry_run, "gate_id": gate_id, "options": self.options,
            "created_at": self.created_at, "created_by": user(), "updated_at": self.updated_at, "updated_by": user(),
        });
        match v {
            Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    pub(crate) fn to_json(&self, gate_id: &str) -> Value {
        json!({"id": self.id, "type": "deployment_rule", "attributes": self.attributes(gate_id)})
    }

    /// Items of the list-rules answer are flat and carry their `id`, as the real service does.
    pub(crate) fn to_list_item(&self, gate_id: &str) -> Value {
        let mut map = self.attributes(gate_id);
        map.insert("id".into(), Value::from(self.id.clone()));
        Value::Object(map)
    }
}

impl Store {
    /// Reads a JSON state file.
    pub fn load(path: &Path) -> Result<Store, super::error::SandboxError> {
        let file = |detail: String| super::error::SandboxError::File { path: path.to_path_buf(), detail };
        let text = gatesctl_fs::read::document(path).map(|(text, _)| text).map_err(|e| file(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| file(format!("not a sandbox state file: {e}")))
    }

    /// Writes a JSON state file: to a sibling temporary file, then renamed over the old one, so
    /// no reader ever sees half of it.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_vec_pretty(self).expect("store serialises");
        gatesctl_fs::write::write_file(path, &text, gatesctl_fs::write::Readers::Owner)
    }
}
