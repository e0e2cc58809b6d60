//! How a call to the API fails: before any request (setup), or for one call, with the server's
//! own words, and whether trying again can help.

use std::fmt;
use std::time::Duration;

use reqwest::StatusCode;

use gatesctl_core::escape::terminal;

/// Problems found before any request is sent.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "missing Datadog credentials: set {0} in the environment (or use --sandbox to try gatesctl without an account)"
    )]
    MissingKeys(String),
    #[error("unknown Datadog site {site:?}{}; sites are: {known}, or us3, us5, eu, ap1, ap2, uk1, gov (or any host name, as api.<site>)", .suggestion.as_ref().map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default())]
    UnknownSite { site: String, suggestion: Option<String>, known: String },
    #[error("invalid API URL {url:?}: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("refusing to send API keys over plain http to {host}: use https, or http only to a loopback address (127.0.0.1, ::1, localhost)")]
    PlainHttp { host: String },
    #[error("cannot set up the HTTP client: {0}")]
    Http(String),
}

/// A failed call, with the call and the server's own words.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{call} failed: {kind}")]
pub struct ApiError {
    pub(crate) call: String,
    pub kind: ApiErrorKind,
}

/// Why a connection gave no answer: some causes pass, others stay until someone acts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionCause {
    /// The server's certificate is not trusted: it will not be tomorrow either.
    Certificate,
    /// The host name does not resolve.
    Dns,
    /// Reset, refused, cut: worth another try.
    Other,
}

impl ConnectionCause {
    /// Reads the cause off an error's chain of messages (the HTTP stack words them, and keeps no
    /// type for them that gatesctl can see without its TLS library).
    pub fn of(message: &str) -> ConnectionCause {
        let lower = message.to_ascii_lowercase();
        if lower.contains("certificate") || lower.contains("unknownissuer") {
            ConnectionCause::Certificate
        } else if lower.contains("dns error")
            || lower.contains("failed to lookup address")
            || lower.contains("name or service not known")
            || lower.contains("nodename nor servname")
            || lower.contains("no such host")
        {
            ConnectionCause::Dns
        } else {
            ConnectionCause::Other
        }
    }
}

#[derive(Debug, Clone)]
pub enum ApiErrorKind {
    Status {
        status: u16,
        detail: String,
    },
    /// No answer within the request's timeout, of so many seconds.
    Timeout {
        seconds: u64,
    },
    /// No complete answer; `reached` when the request may have reached the server (the
    /// connection broke after it was sent).
    Connection {
        detail: String,
        reached: bool,
        cause: ConnectionCause,
    },
    /// An answer that could not be read: not JSON, not the expected shape, too large.
    Decode(String),
    /// The API never redirects, and keys never follow a redirect.
    Redirect {
        status: u16,
        location: String,
    },
    /// The server says it did something other than what was asked.
    Contradicted {
        asked: String,
        answered: String,
    },
    /// An evaluation result that names another evaluation than the one asked for.
    OtherEvaluation {
        asked: String,
        answered: String,
    },
    /// The rate limit left no room for too long.
    RateLimited {
        waited: Duration,
    },
    /// The server lists without end: a cursor seen before, or more than any organisation holds.
    EndlessList(String),
    /// The server answered what the request rules out (events outside the window asked, a
    /// list out of the order asked): reading on would count the wrong things.
    Protocol(String),
}

impl fmt::Display for ApiErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiErrorKind::Status { status, detail } => {
                let reason = StatusCode::from_u16(*status).ok().and_then(|s| s.canonical_reason()).unwrap_or("");
                write!(f, "{status} {reason}: {}", terminal(detail))?;
                match status {
                    401 | 403 => write!(f, " (check DD_API_KEY and DD_APP_KEY, the site, and that the application key has the deployment_gates_read/write/evaluate permissions)"),
                    429 => write!(f, " (rate limited: retried and gave up; try again later or lower --parallelism)"),
                    500..=599 => write!(f, " (the API is failing: retried and gave up; try again later)"),
                    _ => Ok(()),
                }
            }
            ApiErrorKind::Timeout { seconds } => {
                write!(f, "no answer within {seconds}s (check the network or proxy, then retry)")
            }
            ApiErrorKind::Connection { detail, cause: ConnectionCause::Certificate, .. } => write!(
                f,
                "the server's TLS certificate is not trusted: {} (a proxy or private CA? point SSL_CERT_FILE, or SSL_CERT_DIR, at its CA certificate in PEM)",
                terminal(detail)
            ),
            ApiErrorKind::Connection { detail, cause: ConnectionCause::Dns, .. } => write!(
                f,
                "the host name does not resolve: {} (check --site, DD_SITE or DATADOG_SITE, --api-url, and the network's DNS)",
                terminal(detail)
            ),
            ApiErrorKind::Connection { detail, .. } => {
                write!(f, "connection failed: {} (check the network, --site or --api-url)", terminal(detail))
            }
            ApiErrorKind::Decode(e) => write!(f, "unexpected answer: {}", terminal(e)),
            ApiErrorKind::Redirect { status, location } => write!(
                f,
                "the API answered {status} redirecting to {}; gatesctl never follows redirects (the keys would go along): point --api-url or --site at the API itself",
                terminal(location)
            ),
            ApiErrorKind::Contradicted { asked, answered } => write!(
                f,
                "the API's answer contradicts the request: asked {}, answered {} (run `gatesctl plan` to see the remote state)",
                terminal(asked),
                terminal(answered)
            ),
            ApiErrorKind::OtherEvaluation { asked, answered } => write!(
                f,
                "the API answered the result of evaluation {}, not of evaluation {} that was triggered: it is not this deploy's verdict",
                gatesctl_core::escape::quoted(answered),
                gatesctl_core::escape::quoted(asked)
            ),
            ApiErrorKind::RateLimited { waited } => write!(
                f,
                "gave up after {} s in which the API's rate limit let no request through (try again later or lower --parallelism)",
                waited.as_secs()
            ),
            ApiErrorKind::EndlessList(why) => write!(f, "the list does not end: {}", terminal(why)),
            ApiErrorKind::Protocol(why) => write!(f, "the API's answer breaks its own contract: {}", terminal(why)),
        }
    }
}

impl ApiError {
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ApiErrorKind::Status { status, .. } => Some(status),
            _ => None,
        }
    }

    /// Worth another try: the server did not refuse the request itself, and nothing on this side
    /// (a certificate, a host name) stands in the way until someone acts.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            ApiErrorKind::Status { status, .. } => *status == 429 || *status >= 500,
            ApiErrorKind::Timeout { .. } => true,
            ApiErrorKind::Connection { cause, .. } => *cause == ConnectionCause::Other,
            ApiErrorKind::Decode(_)
            | ApiErrorKind::Redirect { .. }
            | ApiErrorKind::Contradicted { .. }
            | ApiErrorKind::OtherEvaluation { .. }
            | ApiErrorKind::RateLimited { .. }
            | ApiErrorKind::EndlessList(_)
            | ApiErrorKind::Protocol(_) => false,
        }
    }

    /// No answer came, and none will until someone acts: a certificate, a host name.
    pub fn is_unreachable(&self) -> bool {
        matches!(&self.kind, ApiErrorKind::Connection { cause, .. } if *cause != ConnectionCause::Other)
    }

    /// No decoded answer says whether a create landed: it must be looked for before it is
    /// retried or reported.
    pub fn outcome_unknown(&self) -> bool {
        self.is_transient() || matches!(self.kind, ApiErrorKind::Decode(_))
    }

    pub fn detail(&self) -> String {
        match &self.kind {
            ApiErrorKind::Status { detail, .. } => detail.clone(),
            other => other.to_string(),
        }
    }
}
