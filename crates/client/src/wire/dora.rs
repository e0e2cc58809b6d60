//! The DORA lists' answers: a list of items, each read on its own (an item that does not read
//! is counted as unreadable, never the end of the read).

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub(crate) struct Answer {
    #[serde(default)]
    pub(crate) data: Vec<Value>,
}
