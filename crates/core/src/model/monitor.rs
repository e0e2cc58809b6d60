//! What a monitor search says about a monitor rule's query.

/// How many monitors a query matches, how many of them fail right now, and which (when the
/// query matches no more than a rule may watch).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonitorMatches {
    pub total: u64,
    /// In ALERT.
    pub alert: u64,
    /// In NO_DATA.
    pub no_data: u64,
    /// The monitors failing now, as the search's page lists them.
    pub failing: Vec<FailingMonitor>,
}

/// A monitor rule fails every evaluation when its query matches more monitors than this
/// (Datadog's documented rule semantics), or none.
pub const MAX_MONITORS_PER_RULE: u64 = 50;

/// A monitor looked up by id: its name, its overall state and the state of each of its groups
/// (none for a simple alert), as the API names states (`OK`, `Alert`, `No Data`, `Warn`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MonitorState {
    pub name: String,
    pub overall_state: String,
    /// Since when the overall state holds, when the API says.
    pub overall_since_ms: Option<i64>,
    pub groups: std::collections::BTreeMap<String, String>,
    /// Since when each group's state holds (its last trigger), when the API says.
    pub group_since_ms: std::collections::BTreeMap<String, i64>,
}

/// Whether a state fails a monitor rule now: ALERT, or NO DATA (`fail_on_no_data` is on by
/// default), however the API spells it.
pub fn is_failing_state(state: &str) -> bool {
    let squeezed: String = state.chars().filter(|c| c.is_ascii_alphabetic()).map(|c| c.to_ascii_lowercase()).collect();
    squeezed == "alert" || squeezed == "nodata"
}

/// A monitor failing now (ALERT or NO DATA) that a rule watches: what holds a promotion.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, schemars::JsonSchema)]
pub struct FailingMonitor {
    pub id: u64,
    pub name: String,
    /// As the API names it: `Alert`, `No Data`.
    pub state: String,
    /// Since when it is in that state, when the API says.
    #[serde(rename = "since", serialize_with = "as_optional_rfc3339")]
    #[schemars(rename = "since", with = "Option<String>")]
    pub since_ms: Option<i64>,
}

fn as_optional_rfc3339<S: serde::Serializer>(ms: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    ms.map(super::time::format_rfc3339).serialize(s)
}
