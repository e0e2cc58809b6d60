//! The one sentence for a key that lacks a permission: which, what the API said, the fix.

use gatesctl_client::ApiError;

/// Why a call was refused, when the application key lacks `permission` (a 403): `None` for any
/// other error.
pub(crate) fn missing(e: &ApiError, permission: &str) -> Option<String> {
    (e.status() == Some(403)).then(|| {
        format!(
            "the application key lacks the {permission} permission (403: {}): grant it to the key",
            gatesctl_core::escape::terminal(&e.detail())
        )
    })
}
