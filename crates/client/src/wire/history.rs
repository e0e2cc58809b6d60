//! The history lists' pages, as the API writes them: the items are read one by one (an item
//! that does not read is set aside, not the page).

use serde::Deserialize;
use serde_json::Value;

use super::ListMeta;

#[derive(Debug, Deserialize)]
pub(crate) struct HistoryPage {
    data: Vec<Value>,
    #[serde(default)]
    meta: Option<ListMeta>,
}

impl HistoryPage {
    pub(crate) fn split(self) -> (Vec<Value>, Option<String>) {
        (self.data, self.meta.and_then(|m| m.page).and_then(|p| p.next_cursor))
    }
}

/// A page of gate evaluations, each read or set aside.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct GatePage(pub(crate) HistoryPage);

/// A page of rule evaluations, each read or set aside.
#[derive(Deserialize)]
#[serde(transparent)]
pub(crate) struct RulePage(pub(crate) HistoryPage);

/// The attributes both lists share. Fields the API adds later are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct Common {
    pub(crate) service: String,
    pub(crate) env: String,
    #[serde(default)]
    pub(crate) identifier: Option<String>,
    #[serde(default)]
    pub(crate) version: Option<String>,
    #[serde(default)]
    pub(crate) dry_run: bool,
    pub(crate) started_at: String,
    /// Null while in progress.
    #[serde(default)]
    pub(crate) finished_at: Option<String>,
    #[serde(default)]
    pub(crate) status: Option<String>,
}
