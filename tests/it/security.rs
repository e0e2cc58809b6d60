//! Keys and secrets: from the environment only, to the configured origin only, over https or
//! loopback, never after a redirect, never printed, a proxy's password never shown.

use crate::common::{gatesctl, setup, write, Proxy, Reply, TestSandbox, SMALL};

#[test]
fn verbose_traces_redact_the_keys() {
    let (dir, sandbox) = setup(SMALL);
    let run = gatesctl(
        dir.path(),
        &["-v", "plan"],
        &[("DD_API_URL", &sandbox.url), ("DATADOG_API_KEY", "api-secret-123"), ("DATADOG_APP_KEY", "app-secret-456")],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("→ GET"), "{run:?}");
    assert!(run.stderr.contains("<redacted>"));
    assert!(!run.stderr.contains("secret") && !run.stdout.contains("secret"), "{run:?}");
}

#[test]
fn keys_never_go_over_plain_http_to_other_hosts() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let run = gatesctl(
        dir.path(),
        &["plan", "--api-url", "http://datadog.example.com"],
        &[("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
    );
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("refusing to send API keys over plain http"), "{run:?}");
}

#[test]
fn missing_keys_are_named_and_nothing_is_sent() {
    let (dir, sandbox) = setup(SMALL);
    let run = gatesctl(dir.path(), &["plan"], &[("DD_API_URL", &sandbox.url), ("DD_APP_KEY", "x")]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("DD_API_KEY or DATADOG_API_KEY"), "{run:?}");
    assert!(!run.stderr.contains("DD_APP_KEY or"), "only the missing key is named: {run:?}");
    assert!(sandbox.requests().is_empty());
}

#[test]
fn keys_are_sent_to_the_configured_origin_only_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    let seen_by = Proxy::start(&sandbox, &sandbox.url, |_| Reply::Forward);
    let env = [("DD_API_URL", seen_by.url.as_str()), ("DD_API_KEY", "api-secret-1"), ("DD_APP_KEY", "app-secret-2")];
    let run = gatesctl(dir.path(), &["-v", "apply", "--auto-approve"], &env);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(!run.stdout.contains("secret") && !run.stderr.contains("secret"), "{run:?}");
    let requests = seen_by.seen();
    assert!(!requests.is_empty());
    for request in requests {
        let header = |name: &str| request.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
        assert_eq!(header("dd-api-key"), Some("api-secret-1"));
        assert_eq!(header("dd-application-key"), Some("app-secret-2"));
    }
}

#[test]
fn a_redirect_is_refused_and_the_keys_never_follow_it() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    // Where a hostile server would like the keys to go.
    let elsewhere = Proxy::start(&sandbox, "", |_| Reply::Answer { status: 200, headers: vec![], body: "{}".into() });
    for location in [format!("{}/api/v2/deployment_gates", elsewhere.url), "http://datadog.example.com/steal".into()] {
        let target = location.clone();
        let hostile = Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.method == "POST" {
                Reply::Answer { status: 307, headers: vec![("location", target.clone())], body: String::new() }
            } else {
                Reply::Forward
            }
        });
        let run = hostile.gatesctl(dir.path(), &["apply", "--auto-approve"]);
        assert_eq!(run.code, 1, "{run:?}");
        let said = format!("{}{}", run.stdout, run.stderr);
        assert!(said.contains(&format!("redirecting to {location}")), "names the Location: {run:?}");
        assert!(said.contains("never follows redirects"), "{run:?}");
    }
    assert!(elsewhere.seen().is_empty(), "nothing reached the other origin: {:?}", elsewhere.seen());
    assert!(sandbox.mutations().is_empty(), "nothing was created");
}

#[test]
fn a_password_in_the_api_url_is_never_printed_nor_stored() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "gates.toml", SMALL);
    let sandbox = TestSandbox::start(dir.path());
    // A password in the userinfo, a key in the query: neither is shown.
    let url = format!("{}/?api_key=S3CRET-KEY&x=1", sandbox.url.replace("http://", "http://user:S3CRET-PASS@"));
    let env = [("DD_API_URL", url.as_str()), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")];
    let mut seen = String::new();
    for args in [
        &["-v", "plan", "--out", "plan.json", "--no-monitor-check"][..],
        &["import", "-o", "imported.toml"],
        &["import"],
    ] {
        let run = gatesctl(dir.path(), args, &env);
        assert_eq!(run.code, 0, "{args:?}: {run:?}");
        seen.push_str(&run.stdout);
        seen.push_str(&run.stderr);
    }
    seen.push_str(&std::fs::read_to_string(dir.path().join("plan.json")).unwrap());
    seen.push_str(&std::fs::read_to_string(dir.path().join("imported.toml")).unwrap());
    // The saved plan, made against another password of the same proxy, is stale for it too.
    let other = sandbox.url.replace("http://", "http://user:OTHER@127.0.0.2@");
    let stale = gatesctl(
        dir.path(),
        &["apply", "plan.json"],
        &[("DD_API_URL", &other), ("DD_API_KEY", "k"), ("DD_APP_KEY", "k")],
    );
    seen.push_str(&stale.stderr);
    assert!(seen.contains("***@127.0.0.1"), "the URL is shown, redacted: {seen}");
    assert!(seen.contains("/?api_key=***&x=***"), "its query too: {seen}");
    assert!(!seen.contains("S3CRET") && !seen.contains("OTHER"), "{seen}");
}
