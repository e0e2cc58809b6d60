//! Lists read page by page: every page that names a next one is followed, and a server whose
//! pages never end (cursors forever, pages that repeat, empty pages forever) is stopped with a
//! clear error, never taken for a whole list and never read for ever.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::json;

use crate::common::{applied, Proxy, Reply, SMALL};

fn page(data: serde_json::Value, next: Option<String>) -> Reply {
    let mut meta = json!({"page": {"size": 1000}});
    if let Some(next) = next {
        meta["page"]["next_cursor"] = json!(next);
    }
    Reply::Answer {
        status: 200,
        headers: vec![("content-type", "application/vnd.api+json".into())],
        body: json!({"data": data, "meta": meta}).to_string(),
    }
}

#[test]
fn an_empty_page_that_names_a_next_page_is_followed() {
    let (dir, sandbox) = applied(SMALL);
    let (_, all) = crate::common::Http::new(&sandbox).get("/api/v2/deployment_gates?page%5Bsize%5D=1000");
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    // The first page of the gate list is empty but names the next: the gates are on it.
    let proxy = Proxy::start(&sandbox, &sandbox.url, move |seen| {
        if seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?") {
            if seen.path.contains("page%5Bcursor%5D=after-empty") {
                page(all["data"].clone(), None)
            } else {
                page(json!([]), Some("after-empty".into()))
            }
        } else {
            Reply::Forward
        }
    });
    let run = proxy.gatesctl(dir.path(), &["plan", "--detailed-exitcode", "--no-monitor-check"]);
    assert_eq!(run.code, 0, "the gates of the second page are found: {run:?}");
    assert!(run.stdout.contains("No changes."), "{run:?}");
    assert!(proxy.seen().iter().any(|s| s.path.contains("page%5Bcursor%5D=after-empty")), "the cursor was followed");
}

#[test]
fn empty_pages_forever_end_with_an_error_not_a_partial_list() {
    let (dir, sandbox) = applied(SMALL);
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.method == "GET" && seen.path.starts_with("/api/v2/deployment_gates?") {
                let n = served.fetch_add(1, Ordering::SeqCst);
                page(json!([]), Some(format!("c{n}")))
            } else {
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(dir.path(), &["plan", "--no-monitor-check"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("empty pages of gates in a row"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 100, "bounded: {}", served.load(Ordering::SeqCst));
}

#[test]
fn history_pages_that_repeat_under_new_cursors_end_at_once() {
    let (dir, sandbox) = applied(SMALL);
    let items = json!([{"id": "e1", "type": "deployment_gate_evaluation", "attributes": {
        "service": "checkout", "env": "production", "identifier": "default", "dry_run": false,
        "evaluation_id": "e1", "started_at": gatesctl_core::model::time::format_rfc3339(gatesctl_core::model::time::now_ms() - 3_600_000),
        "finished_at": null, "status": "pass", "version": "v1", "duration_seconds": 3, "gate_id": null,
    }}]);
    let served = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let served = Arc::clone(&served);
        Proxy::start(&sandbox, &sandbox.url, move |seen| {
            if seen.path.starts_with("/api/v2/deployment_gates/evaluations?") {
                let n = served.fetch_add(1, Ordering::SeqCst);
                page(items.clone(), Some(format!("unique-{n}")))
            } else {
                Reply::Forward
            }
        })
    };
    let run = proxy.gatesctl(dir.path(), &["report"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("listed gate evaluations item \"e1\" twice"), "{run:?}");
    assert!(served.load(Ordering::SeqCst) <= 3, "stopped at the first repeat: {}", served.load(Ordering::SeqCst));
}
