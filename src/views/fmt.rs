//! `fmt --check`'s view: what formatting would change, as a unified diff.

use super::Palette;

/// The diff from `before` to `after` of the file shown as `shown`, its removed lines red and
/// added ones green when the palette colours.
pub(crate) fn render_diff(shown: &str, before: &str, after: &str, palette: Palette) -> String {
    let diff = similar::TextDiff::from_lines(before, after);
    let text = diff.unified_diff().header(shown, &format!("{shown} (formatted)")).to_string();
    text.lines()
        .map(|line| {
            let painted = match line.as_bytes().first() {
                _ if line.starts_with("---") || line.starts_with("+++") => palette.bold(line),
                Some(b'-') => palette.delete(line),
                Some(b'+') => palette.create(line),
                Some(b'@') => palette.dim(line),
                _ => line.to_string(),
            };
            painted + "\n"
        })
        .collect()
}
