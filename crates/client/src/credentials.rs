//! API and application keys: from the environment only, never shown.

use std::fmt;

use super::error::SetupError;

/// Where keys are read from, in order: `DATADOG_*` wins over `DD_*`, as in datadog-ci.
pub const API_KEY_VARS: [&str; 2] = ["DATADOG_API_KEY", "DD_API_KEY"];
pub const APP_KEY_VARS: [&str; 2] = ["DATADOG_APP_KEY", "DD_APP_KEY"];

/// API and application keys. `Debug` never shows them.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) api_key: String,
    pub(crate) app_key: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials { <redacted> }")
    }
}

impl Credentials {
    pub fn new(api_key: impl Into<String>, app_key: impl Into<String>) -> Self {
        Credentials { api_key: api_key.into(), app_key: app_key.into() }
    }

    /// Keys from the environment only: never from a file, so they never land in git.
    pub fn from_env() -> Result<Self, SetupError> {
        let get = |vars: &[&str]| vars.iter().find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()));
        let api = get(&API_KEY_VARS);
        let app = get(&APP_KEY_VARS);
        match (api, app) {
            (Some(api), Some(app)) => Ok(Credentials::new(api.trim(), app.trim())),
            (api, app) => {
                let mut missing = Vec::new();
                if api.is_none() {
                    missing.push("DD_API_KEY or DATADOG_API_KEY");
                }
                if app.is_none() {
                    missing.push("DD_APP_KEY or DATADOG_APP_KEY");
                }
                Err(SetupError::MissingKeys(missing.join(", and ")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug() {
        let c = Credentials::new("abc123secret", "def456secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
