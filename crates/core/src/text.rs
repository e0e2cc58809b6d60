//! Words for counts.

/// `1 gate`, `2 gates`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
