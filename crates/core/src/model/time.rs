//! Times as the API writes them (RFC 3339) and as gatesctl counts them (milliseconds since
//! the epoch, UTC).

/// Milliseconds since the epoch of an RFC 3339 time: `Z` or a numeric offset, with or without
/// fractional seconds (the service writes microseconds; other tools write offsets).
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = |why: &str| format!("{} is not an RFC 3339 time: {why}", crate::escape::quoted(text));
    let (local, offset_ms) = split_offset(text).ok_or_else(|| bad("no time zone"))?;
    let at = humantime::parse_rfc3339_weak(local).map_err(|e| bad(&e.to_string()))?;
    let ms = at.duration_since(std::time::UNIX_EPOCH).map_err(|_| bad("before 1970"))?.as_millis();
    let ms = i64::try_from(ms).map_err(|_| bad("too far in the future"))?;
    Ok(ms - offset_ms)
}

/// The time without its zone, and the zone's offset from UTC in milliseconds.
fn split_offset(text: &str) -> Option<(&str, i64)> {
    if let Some(local) = text.strip_suffix('Z').or_else(|| text.strip_suffix('z')) {
        return Some((local, 0));
    }
    let cut = text.len().checked_sub(6)?;
    let (local, zone) = (text.get(..cut)?, text.get(cut..)?);
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (hours, minutes) = zone[1..].split_once(':')?;
    let (hours, minutes): (i64, i64) = (hours.parse().ok()?, minutes.parse().ok()?);
    if !(0..24).contains(&hours) || !(0..60).contains(&minutes) || !local.contains('T') && !local.contains(' ') {
        return None;
    }
    Some((local, sign * (hours * 60 + minutes) * 60_000))
}

/// `2026-11-30T10:04:05Z`: seconds are enough for people.
pub fn format_rfc3339(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// `2026-11-30T10:04:05.123Z`: exact to the millisecond, for requests whose windows must not
/// drop the current second.
pub fn format_rfc3339_millis(ms: i64) -> String {
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_millis(ms.max(0) as u64);
    humantime::format_rfc3339_millis(at).to_string()
}

/// A duration as files write it ("90s", "15m", "6h", "30d"), in milliseconds. A bare number
/// is refused: "14" could mean seconds or days.
pub fn parse_duration_ms(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!("{text:?} has no unit; write it with one, e.g. {text}m, {text}h or {text}d"));
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration ({e}); write e.g. 90s, 15m, 6h or 30d"))?;
    i64::try_from(d.as_millis()).map_err(|_| format!("{text:?} is too long a duration"))
}

/// `6h`, `90m`, `1d 2h`: a duration as files write it, in the largest whole units.
pub fn format_duration_ms(ms: i64) -> String {
    let s = ms / 1000;
    match s {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_ends_with_the_last_24_hours_and_ignores_the_outside() {
        let w = Window { from_ms: 0, to_ms: 14 * DAY_MS };
        assert_eq!(w.days(), 14);
        assert_eq!(w.day_of(14 * DAY_MS - 1), Some(13));
        assert_eq!(w.day_of(13 * DAY_MS), Some(13));
        assert_eq!(w.day_of(13 * DAY_MS - 1), Some(12));
        assert_eq!(w.day_of(0), Some(0));
        assert_eq!(w.day_of(-1), None, "before the window");
        assert_eq!(w.day_of(14 * DAY_MS), None, "`to` is exclusive");
        let now_included = Window { from_ms: 0, to_ms: 14 * DAY_MS + 1 };
        assert_eq!(now_included.days(), 15, "a millisecond past whole days starts another");
    }

    #[test]
    fn zones_and_fractions_read_as_the_same_instant() {
        let z = parse_rfc3339("2026-11-30T10:00:00Z").unwrap();
        assert_eq!(parse_rfc3339("2026-11-30T10:00:00.250000Z").unwrap(), z + 250);
        assert_eq!(parse_rfc3339("2026-11-30T11:30:00+01:30").unwrap(), z);
        assert_eq!(parse_rfc3339("2026-11-30T08:00:00-02:00").unwrap(), z);
        assert_eq!(format_rfc3339(z), "2026-11-30T10:00:00Z");
        assert!(parse_rfc3339("2026-11-30T10:00:00").is_err(), "no zone is no instant");
        assert!(parse_rfc3339("yesterday").is_err());
    }
}

/// A day in milliseconds.
pub const DAY_MS: i64 = 24 * 3600 * 1000;

/// A window of time, `[from, to)`, in milliseconds since the epoch: what `report` and
/// `coverage` read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl Window {
    /// Days the window spans, at least one: the last is the 24 hours before `to`, whatever
    /// the time of day.
    pub fn days(&self) -> usize {
        usize::try_from((self.to_ms - self.from_ms + DAY_MS - 1) / DAY_MS).unwrap_or(0).max(1)
    }

    pub fn contains(&self, at_ms: i64) -> bool {
        (self.from_ms..self.to_ms).contains(&at_ms)
    }

    /// Which of the window's days (0 the oldest) a time falls on, when it is in the window.
    pub fn day_of(&self, at_ms: i64) -> Option<usize> {
        if !self.contains(at_ms) {
            return None;
        }
        let back = usize::try_from((self.to_ms - 1 - at_ms) / DAY_MS).ok()?;
        self.days().checked_sub(back + 1)
    }
}
