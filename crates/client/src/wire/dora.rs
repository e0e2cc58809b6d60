//! The DORA lists' answers: events whose attributes are read one by one.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(crate) struct Answer {
    #[serde(default)]
    pub(crate) data: Vec<Item>,
}

#[derive(Deserialize)]
pub(crate) struct Item {
    #[serde(default)]
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) attributes: Value,
}
