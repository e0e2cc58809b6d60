//! What a monitor search says about a monitor rule's query.

/// How many monitors a query matches, and how many of them fail right now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MonitorMatches {
    pub total: u64,
    /// In ALERT.
    pub alert: u64,
    /// In NO_DATA.
    pub no_data: u64,
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
    pub groups: std::collections::BTreeMap<String, String>,
}
