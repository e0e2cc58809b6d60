//! Values a file must write as their JSON text to keep them exactly.

use serde_json::Value;

/// In `extra_options`, a value TOML or YAML cannot hold exactly (null, an integer beyond 64
/// bits, a decimal beyond a double) is written as `{ "$json" = "…" }`: its exact JSON text.
pub const EXACT_JSON: &str = "$json";

/// Whether a file must write `value` as [`EXACT_JSON`] text to keep it exactly: null, a
/// number that neither a 64-bit integer nor a double writes back as the same text, or an
/// object that would itself read as such text.
pub fn needs_exact_text(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Number(n) => file_number(n).is_none(),
        Value::Object(map) => map.len() == 1 && map.contains_key(EXACT_JSON),
        _ => false,
    }
}

/// A number as a file holds it natively, when that keeps its exact text.
pub enum FileNumber {
    Integer(i64),
    Float(f64),
}

pub fn file_number(n: &serde_json::Number) -> Option<FileNumber> {
    let text = n.to_string();
    if let Some(i) = n.as_i64().filter(|i| i.to_string() == text) {
        return Some(FileNumber::Integer(i));
    }
    let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    let back = serde_json::Number::from_f64(f)?;
    (back.to_string() == text).then_some(FileNumber::Float(f))
}
