//! What the DORA reads share: the permission they need, and the warning for a millisecond
//! holding more events than an answer.

use gatesctl_client::{ApiError, Crowded};

/// Why the deployments and failures Datadog records could not be read, when the key lacks
/// the permission: `None` for any other error.
pub(crate) fn missing_permission(e: &ApiError) -> Option<String> {
    super::permission::missing(e, "dora_metrics_read")
}

/// "more than 1,000 deployments started in the one millisecond 2026-…: …".
pub(crate) fn crowded_warning(c: &Crowded, what: &str) -> String {
    format!(
        "{} {what} or more started in the one millisecond {}: the API answers at most that many for one time and has no cursor, so any beyond them were left unread (how many, it does not say)",
        c.read,
        gatesctl_core::model::time::format_rfc3339_millis(c.at_ms)
    )
}
