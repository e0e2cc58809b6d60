//! The sandbox answers as the real service does: every recorded scenario of the real
//! Deployment Gates API (`fixtures/recorded/`, from the official Go client's and the Terraform
//! provider's test recordings) is replayed against a fresh sandbox, request by request, and
//! the status, the content type, the error `detail` and every field of the body are compared.
//!
//! Ids differ from run to run: each recorded gate, rule and evaluation id is mapped to the id
//! the sandbox gave the same object. Timestamps, users and the evaluation URL are compared by
//! shape. Where the service changed between recording periods, each recording is replayed
//! against the behaviour of its own period; the newest period is the sandbox's default:
//! - empty option lists were dropped from rule answers in 2025-12 and are kept since 2026-03
//!   (the sandbox keeps them; its `drop_empty_lists` fault answers as in 2025).

use std::collections::BTreeMap;
use std::path::Path;

use gatesctl_sandbox::{Faults, SandboxOptions};
use serde_json::Value;

use crate::common::TestSandbox;

/// Differences that cannot be matched, each with its reason. None today.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| if matches!(i, 8 | 13 | 18 | 23) { c == '-' } else { c.is_ascii_hexdigit() })
}

/// Recorded ids and the sandbox's ids for the same objects.
#[derive(Default)]
struct Ids(BTreeMap<String, String>);

impl Ids {
    /// The text with every recorded id the sandbox has a counterpart for replaced.
    fn substitute(&self, text: &str) -> String {
        self.0.iter().fold(text.to_string(), |t, (recorded, ours)| t.replace(recorded, ours))
    }

    /// Matches a recorded id with the sandbox's: learnt the first time, checked afterwards.
    fn matches(&mut self, recorded: &str, ours: &str) -> bool {
        if !is_uuid(recorded) || recorded.chars().all(|c| c == '0' || c == '-') {
            return recorded == ours;
        }
        match self.0.get(recorded) {
            Some(known) => known == ours,
            None if is_uuid(ours) => {
                self.0.insert(recorded.to_string(), ours.to_string());
                true
            }
            None => false,
        }
    }
}

/// RFC 3339 with fractional seconds, as the service writes its timestamps.
fn is_timestamp(v: &Value) -> bool {
    let Some(s) = v.as_str() else { return false };
    let b = s.as_bytes();
    s.len() >= 22
        && s.ends_with('Z')
        && b[4] == b'-'
        && b[10] == b'T'
        && s[20..s.len() - 1].chars().all(|c| c.is_ascii_digit())
        && b[19] == b'.'
}

/// Every difference between a recorded body and the sandbox's, by JSON path.
fn compare(recorded: &Value, ours: &Value, at: &str, ids: &mut Ids, out: &mut Vec<String>) {
    let key = at.rsplit('.').next().unwrap_or_default();
    match (recorded, ours) {
        _ if matches!(key, "created_at" | "updated_at") => {
            if !(is_timestamp(recorded) && is_timestamp(ours)) {
                out.push(format!("{at}: {ours} is not a timestamp as {recorded} is"));
            }
        }
        _ if key == "evaluation_url" => {
            if !(recorded.is_string() && ours.as_str().is_some_and(|s| s.starts_with("http"))) {
                out.push(format!("{at}: {ours} is not a URL"));
            }
        }
        (Value::String(r), Value::String(o)) if is_uuid(r) => {
            if !ids.matches(r, o) {
                out.push(format!("{at}: {o} where the recording has {r}"));
            }
        }
        (Value::Object(r), Value::Object(o)) => {
            // The same keys; their order in an object means nothing.
            let (mut rk, mut ok): (Vec<&String>, Vec<&String>) = (r.keys().collect(), o.keys().collect());
            rk.sort();
            ok.sort();
            if rk != ok {
                out.push(format!("{at}: keys {ok:?} where the recording has {rk:?}"));
            }
            // Users are the people who recorded: only their shape is the service's.
            if matches!(key, "created_by" | "updated_by") {
                return;
            }
            for (k, rv) in r {
                if let Some(ov) = o.get(k) {
                    compare(rv, ov, &format!("{at}.{k}"), ids, out);
                }
            }
        }
        (Value::Array(r), Value::Array(o)) if r.len() == o.len() => {
            for (i, (rv, ov)) in r.iter().zip(o).enumerate() {
                compare(rv, ov, &format!("{at}[{i}]"), ids, out);
            }
        }
        (r, o) if r == o => {}
        (r, o) => out.push(format!("{at}: {o} where the recording has {r}")),
    }
}

/// The recording period of a scenario: the date of its first timestamp.
fn period(interactions: &[Value]) -> String {
    interactions
        .iter()
        .filter_map(|i| i["response_body"].as_str())
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .find_map(|b| b["data"]["attributes"]["created_at"].as_str().map(|t| t[..7].to_string()))
        .unwrap_or_else(|| "2026-03".into())
}

fn replay(file: &Path) -> (usize, Vec<String>) {
    let scenario: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let name = file.file_stem().unwrap().to_string_lossy().into_owned();
    let interactions = scenario["interactions"].as_array().unwrap();
    let faults = Faults { drop_empty_lists: period(interactions).as_str() < "2026-01", ..Default::default() };
    let dir = tempfile::tempdir().unwrap();
    let sandbox = TestSandbox::start_with(dir.path(), SandboxOptions { faults, ..Default::default() });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut ids = Ids::default();
    let mut differences = Vec::new();
    for (n, interaction) in interactions.iter().enumerate() {
        let method = interaction["method"].as_str().unwrap();
        let path = ids.substitute(interaction["path"].as_str().unwrap());
        let body = interaction["request_body"].as_str().map(|b| ids.substitute(b));
        let (status, content_type, answer) = sandbox.block_on(async {
            let mut request = http
                .request(method.parse().unwrap(), format!("{}{path}", sandbox.url))
                .header("DD-API-KEY", "k")
                .header("DD-APPLICATION-KEY", "k");
            if let Some(body) = body {
                request = request.header("Content-Type", "application/json").body(body);
            }
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_string());
            (status, content_type, response.text().await.unwrap())
        });
        let at = format!("{name} #{n} {method} {}", interaction["path"].as_str().unwrap());
        let mut found = Vec::new();
        if Some(u64::from(status)) != interaction["status"].as_u64() {
            found.push(format!("status {status} where the recording has {}", interaction["status"]));
        }
        if content_type.as_deref() != interaction["content_type"].as_str() {
            found
                .push(format!("content type {content_type:?} where the recording has {}", interaction["content_type"]));
        }
        match interaction["response_body"].as_str() {
            None if !answer.is_empty() => found.push(format!("a body {answer:?} where the recording has none")),
            None => {}
            Some(recorded) => match serde_json::from_str::<Value>(&answer) {
                Err(e) => found.push(format!("a body that is not JSON ({e}): {answer:?}")),
                Ok(ours) => compare(&serde_json::from_str(recorded).unwrap(), &ours, "body", &mut ids, &mut found),
            },
        }
        differences.extend(found.into_iter().map(|d| format!("{at}: {d}")));
    }
    (interactions.len(), differences)
}

#[test]
fn the_sandbox_answers_every_recorded_request_as_the_real_service() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/recorded");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "{} recordings", files.len());
    let (mut requests, mut differences) = (0, Vec::new());
    for file in &files {
        let (n, found) = replay(file);
        requests += n;
        differences.extend(found);
    }
    assert_eq!(requests, 198, "every recorded request was replayed");
    let unexplained: Vec<&String> =
        differences.iter().filter(|d| !KNOWN_DIFFERENCES.iter().any(|(known, _)| d.contains(known))).collect();
    assert!(unexplained.is_empty(), "{} of {requests} requests differ:\n{}", unexplained.len(), differences.join("\n"));
}

#[test]
fn the_vendored_recordings_are_those_of_the_shared_contract() {
    // Where the project's shared API folder is beside the clone, the copy here must match it.
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/api/recorded");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        eprintln!("skipped: {} is not here (a clean clone has only the vendored copy)", shared.display());
        return;
    };
    let ours = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/recorded");
    for entry in entries {
        let path = entry.unwrap().path();
        let copy = ours.join(path.file_name().unwrap());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            std::fs::read(&copy).unwrap_or_default(),
            "{} differs from its copy; copy the recordings again",
            path.display()
        );
    }
}
