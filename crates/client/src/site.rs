//! Where the API is: a Datadog site, or a full base URL (a proxy, the sandbox); and how a URL
//! is shown, never with the password a proxy URL may carry.

use std::net::IpAddr;

use reqwest::Url;

use super::error::SetupError;

/// Sites of the API, as `DD_SITE` names them.
pub(crate) const SITES: [&str; 9] = [
    "datadoghq.com",
    "us3.datadoghq.com",
    "us5.datadoghq.com",
    "datadoghq.eu",
    "ap1.datadoghq.com",
    "ap2.datadoghq.com",
    "uk1.datadoghq.com",
    "ddog-gov.com",
    "us2.ddog-gov.com",
];

/// Short names of the sites, as people say them.
pub(crate) const SHORT_SITES: [(&str, &str); 10] = [
    ("us1", "datadoghq.com"),
    ("us", "datadoghq.com"),
    ("us3", "us3.datadoghq.com"),
    ("us5", "us5.datadoghq.com"),
    ("eu", "datadoghq.eu"),
    ("eu1", "datadoghq.eu"),
    ("ap1", "ap1.datadoghq.com"),
    ("ap2", "ap2.datadoghq.com"),
    ("uk1", "uk1.datadoghq.com"),
    ("gov", "ddog-gov.com"),
];

/// The site as a host name: a known site, its short name, or (as datadog-ci builds
/// `https://api.<site>` from any value) any dotted DNS name; with a warning for a site gatesctl
/// does not know, so a typo is seen but a new or internal site is not refused.
fn site_host(site: &str) -> Result<(String, Option<String>), SetupError> {
    let site = site.strip_prefix("app.").unwrap_or(site);
    let lower = site.to_ascii_lowercase();
    let site = SHORT_SITES.iter().find(|(short, _)| *short == lower).map_or(lower.as_str(), |(_, full)| full);
    if SITES.contains(&site) {
        return Ok((site.to_string(), None));
    }
    let names = SITES.iter().copied().chain(SHORT_SITES.iter().map(|(short, _)| *short));
    let suggestion = gatesctl_core::suggest::suggest(site, names).map(str::to_string);
    // A single label (`us4`) is a mistyped short name, not a site anyone serves.
    if !site.contains('.') || !is_dns_name(site) {
        return Err(SetupError::UnknownSite { site: site.to_string(), suggestion, known: SITES.join(", ") });
    }
    let hint = suggestion.map(|s| format!(" (did you mean {s:?}?)")).unwrap_or_default();
    let warning = format!(
        "{site:?} is not a Datadog site gatesctl knows{hint}; using https://api.{site} as datadog-ci would (sites: {})",
        SITES.join(", ")
    );
    Ok((site.to_string(), Some(warning)))
}

/// A host name of letters, digits and hyphens, in labels of at most 63 characters.
fn is_dns_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// The warning for a site gatesctl does not know, when the site is used (no explicit URL).
pub fn site_warning(site: Option<&str>, api_url: Option<&str>) -> Option<String> {
    if api_url.is_some_and(|u| !u.trim().is_empty()) {
        return None;
    }
    let site = site.map(str::trim).filter(|s| !s.is_empty())?;
    site_host(site).ok().and_then(|(_, warning)| warning)
}

/// Resolves the base URL: an explicit URL (proxies, the sandbox) wins over the site.
pub fn base_url(site: Option<&str>, api_url: Option<&str>) -> Result<Url, SetupError> {
    let raw = match api_url.filter(|u| !u.trim().is_empty()) {
        Some(u) => u.trim().to_string(),
        None => {
            let site = site.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("datadoghq.com");
            format!("https://api.{}", site_host(site)?.0)
        }
    };
    let bad = |reason: String| SetupError::BadUrl { url: redact_text(&raw), reason };
    let mut url = Url::parse(&raw).map_err(|e| bad(e.to_string()))?;
    let host = url.host_str().unwrap_or_default().to_string();
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&host) => {}
        "http" => return Err(SetupError::PlainHttp { host }),
        other => return Err(bad(format!("scheme {other:?} is not http or https"))),
    }
    // Join relative paths under the given prefix (proxies may mount the API below a path).
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

pub(crate) fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A URL as gatesctl prints or stores it: user and password (`https://user:PASS@proxy/`) and
/// the values of its query (`?api_key=…`) never shown, `***` in their place.
pub fn redacted(url: &Url) -> String {
    let mut shown = url.clone();
    if shown.query().is_some() {
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| format!("{k}=***")).collect();
        shown.set_query(Some(&keys.join("&")));
    }
    if shown.fragment().is_some() {
        shown.set_fragment(Some("***"));
    }
    without_userinfo(&shown)
}

/// A request's URL for the trace: its query is gatesctl's own filters (joining a path drops
/// the base URL's query), so only a user and password are hidden.
pub(crate) fn without_userinfo(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    let _ = shown.set_password(None);
    let _ = shown.set_username("***");
    shown.to_string()
}

/// Text that may hold a URL that does not parse: whatever stands between `://` and an `@`
/// before the next `/` is replaced by `***`, and so is each value of the URL's query.
pub(crate) fn redact_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', '?', '#', ' ', ')']).unwrap_or(tail.len());
        let tail = match tail[..end].rfind('@') {
            Some(userinfo) => {
                out.push_str("***");
                &tail[userinfo..]
            }
            None => tail,
        };
        // The URL runs to the next blank or closing parenthesis; its query's values are hidden.
        let url_end = tail.find([' ', ')', '\n']).unwrap_or(tail.len());
        let (url, after) = tail.split_at(url_end);
        match url.split_once('?') {
            Some((before, query)) => {
                out.push_str(before);
                out.push('?');
                let pairs: Vec<String> = query
                    .split('&')
                    .map(|pair| match pair.split_once('=') {
                        Some((key, _)) => format!("{key}=***"),
                        None => pair.to_string(),
                    })
                    .collect();
                out.push_str(&pairs.join("&"));
            }
            None => out.push_str(url),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_site_names_map_to_the_full_site() {
        for (short, host) in [("eu", "api.datadoghq.eu"), ("US3", "api.us3.datadoghq.com"), ("gov", "api.ddog-gov.com")]
        {
            assert_eq!(base_url(Some(short), None).unwrap().host_str(), Some(host), "{short}");
        }
        let err = base_url(Some("us4"), None).unwrap_err().to_string();
        assert!(err.contains("did you mean \"us"), "{err}");
    }

    #[test]
    fn any_dotted_host_is_a_site_with_a_warning_when_unknown() {
        assert_eq!(base_url(None, None).unwrap().as_str(), "https://api.datadoghq.com/");
        assert_eq!(base_url(Some("datadoghq.eu"), None).unwrap().as_str(), "https://api.datadoghq.eu/");
        assert_eq!(site_warning(Some("datadoghq.eu"), None), None);
        assert_eq!(base_url(Some("datad0g.com"), None).unwrap().as_str(), "https://api.datad0g.com/");
        let warning = site_warning(Some("datadoghq.co"), None).unwrap();
        assert!(warning.contains("did you mean \"datadoghq.com\""), "{warning}");
        assert!(base_url(Some("data dog.com"), None).is_err());
        assert!(base_url(Some("-x.example"), None).is_err());
    }

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(base_url(None, Some("http://127.0.0.1:8126")).is_ok());
        assert!(base_url(None, Some("http://localhost:8126/proxy")).is_ok());
        assert!(base_url(None, Some("http://[::1]:9")).is_ok());
        assert!(matches!(base_url(None, Some("http://proxy.internal:8080")), Err(SetupError::PlainHttp { .. })));
        assert!(base_url(None, Some("https://proxy.internal:8443")).is_ok());
    }

    #[test]
    fn passwords_in_urls_are_never_shown() {
        let url = base_url(None, Some("https://user:PASS@proxy.example/dd")).unwrap();
        assert_eq!(redacted(&url), "https://***@proxy.example/dd/");
        assert_eq!(
            redact_text("error for url (https://u:PASS@h.example/api?x=1)"),
            "error for url (https://***@h.example/api?x=***)"
        );
        let url = base_url(None, Some("https://host.example/?api_key=SECRET&dd=1")).unwrap();
        assert_eq!(redacted(&url), "https://host.example/?api_key=***&dd=***");
        assert!(!redact_text("bad url https://host/?api_key=SECRET now").contains("SECRET"));
        let err = base_url(None, Some("https://user:PASS@exa mple/")).unwrap_err().to_string();
        assert!(!err.contains("PASS"), "{err}");
    }
}
