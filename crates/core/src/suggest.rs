//! "Did you mean" by edit distance, as `just` does it.

/// The candidate closest to `input`, when it is close enough to be a likely typo.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(&input, c), c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(2))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let keys = ["service", "env", "identifier", "dry_run", "rules"];
        assert_eq!(suggest("servce", keys), Some("service"));
        assert_eq!(suggest("dryrun", keys), Some("dry_run"));
        assert_eq!(suggest("Identifer", keys), Some("identifier"));
        assert_eq!(suggest("owner", keys), None);
    }
}
