//! Every Graph answer the suite sees, checked against Meta's vendored OpenAPI spec.
//!
//! [`crate::support::exchange`] sends each request of the suite; for a Graph path it asks the
//! platform's store what the path's ID names (before the call, so a delete still resolves),
//! reads the answer and hands both to [`wamm_testkit::conformance`], which matches the
//! operation and validates status, headers and body. A departure panics at the call with the
//! operation, status and JSON path. Paths the spec has no operation for are recorded as
//! uncovered, not failed.
//!
//! Each test process appends what it checked to a log under the test target's temporary
//! directory (`<target>/tmp/conformance/<run>/`), one directory per run, so that the
//! `conformance-report` binary of `wamm-testkit` can print what a whole run exercised;
//! `scripts/test.sh` runs it after the suite.

use std::io::Write as _;
use std::path::PathBuf;

use serde_json::{Value, json};
use wamm_platform::{Handle, NodeKind};
use wamm_testkit::conformance::{Exchange, Node, Outcome, SPEC, Target, graph_segments};

use crate::support::{Backend, FULL, Resp, TestPlatform};

/// Whether `path` is a Graph call: not the control API (`/_wamm/…`), the console (`/`), or
/// the Embedded Signup pages (`/sdk.js`, `/en_US/sdk.js`, `[/vNN.N]/dialog/oauth`).
pub fn is_graph(path: &str) -> bool {
    let path = path.split('?').next().unwrap_or_default();
    if path == "/" || path.starts_with("/_wamm/") || path == "/_wamm" {
        return false;
    }
    !matches!(
        graph_segments(path).as_slice(),
        ["sdk.js"] | ["en_US", "sdk.js"] | ["dialog", "oauth"]
    )
}

/// What the first segment of a Graph path names, from the platform's store.
pub async fn target(handle: &Handle, path: &str) -> Target {
    let segments = graph_segments(path.split('?').next().unwrap_or_default());
    let Some(first) = segments.first() else {
        return Target::Word;
    };
    if !first.bytes().all(|b| b.is_ascii_digit()) {
        return Target::Word;
    }
    match handle.node_kind(first).await {
        Ok(Some(kind)) => Target::Node(match kind {
            NodeKind::Business => Node::Business,
            NodeKind::Waba => Node::Waba,
            NodeKind::Phone => Node::Phone,
            NodeKind::Template => Node::Template,
            NodeKind::SystemUser => Node::User,
            NodeKind::App => Node::App,
            NodeKind::Solution => Node::Solution,
            NodeKind::MigrationIntent => Node::MigrationIntent,
            NodeKind::AdAccount
            | NodeKind::Campaign
            | NodeKind::Adset
            | NodeKind::Ad
            | NodeKind::ReportRun => Node::AdObject,
            NodeKind::Pixel => Node::Pixel,
        }),
        Ok(None) => Target::Missing,
        Err(e) => panic!("the store answers what {first} names: {e}"),
    }
}

/// Checks one Graph answer; panics with the operation, status and JSON paths on a departure.
#[track_caller]
pub fn check(method: &str, path: &str, target: Target, resp: &Resp) {
    let header = |name: &str| resp.header(name);
    let exchange = Exchange {
        method,
        path,
        target,
        status: resp.status,
        header: &header,
        body: &resp.text,
    };
    match SPEC.check(&exchange) {
        Ok(outcome) => record(&outcome, resp.status),
        // Surveying (`WAMM_CONFORMANCE=survey`) logs every departure for the report instead of
        // stopping the test at the first one.
        Err(failure) if surveying() => append(&json!({"failure": failure.to_string()})),
        Err(failure) => panic!("{failure}"),
    }
}

/// Whether departures are logged rather than failed.
fn surveying() -> bool {
    std::env::var("WAMM_CONFORMANCE").is_ok_and(|v| v == "survey")
}

/// The directory this run's logs go to: one per nextest run, or per process under `cargo test`.
fn run_dir() -> PathBuf {
    let run = std::env::var("NEXTEST_RUN_ID")
        .unwrap_or_else(|_| format!("process-{}", std::process::id()));
    logs_root().join(run)
}

fn logs_root() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conformance")
}

/// Appends one checked answer to this process's log.
fn record(outcome: &Outcome, status: u16) {
    let line = match outcome {
        Outcome::Validated {
            operation,
            divergences,
        } => json!({"operation": operation, "status": status, "divergences": divergences}),
        Outcome::Uncovered { call } => json!({"uncovered": call, "status": status}),
    };
    append(&line);
}

/// Appends one line to this process's log.
fn append(line: &Value) {
    let dir = run_dir();
    let written = std::fs::create_dir_all(&dir).and_then(|()| {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join(format!("{}.jsonl", std::process::id())))?;
        writeln!(file, "{line}")
    });
    written.unwrap_or_else(|e| panic!("conformance log in {}: {e}", dir.display()));
}

/// The check is not a formality: a body of the wrong shape for a real operation, a status it
/// does not declare and a header that breaks its schema are each caught, with the operation
/// and the JSON path named.
#[tokio::test]
async fn the_check_catches_a_wrong_shape() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    let path = "/v23.0/3001/phone_numbers";
    let good = p.get(path, FULL).await;
    good.ok();
    let target = target(p.running.handle(), path).await;
    assert_eq!(target, Target::Node(Node::Waba));
    let check = |resp: &Resp| {
        let header = |name: &str| resp.header(name);
        SPEC.check(&Exchange {
            method: "GET",
            path,
            target,
            status: resp.status,
            header: &header,
            body: &resp.text,
        })
    };
    assert!(check(&good).is_ok(), "the real answer conforms");

    // `data` must be an array of phone numbers whose `id` is a string.
    let mut body = good.json.clone();
    body["data"][0]["id"] = json!(4001);
    body["data"][1] = json!("not a phone number");
    let broken = Resp {
        text: body.to_string(),
        json: body,
        ..good.clone()
    };
    let failure = check(&broken).expect_err("a number where the spec says string is caught");
    let text = failure.to_string();
    assert!(
        text.contains("GET /{Version}/{WABA-ID}/phone_numbers"),
        "{text}"
    );
    assert!(
        text.contains("getWhatsAppBusinessAccountPhoneNumbers"),
        "{text}"
    );
    let at: Vec<&str> = failure.problems.iter().map(|p| p.at.as_str()).collect();
    assert!(at.contains(&"$.data[0].id"), "{text}");
    assert!(at.contains(&"$.data[1]"), "{text}");

    // A status the operation does not declare.
    let teapot = Resp {
        status: 418,
        ..good.clone()
    };
    let failure = check(&teapot).expect_err("an undeclared status is caught");
    assert_eq!(failure.problems[0].at, "status", "{failure}");

    // A body that is not JSON at all.
    let text = Resp {
        text: "<html>".to_owned(),
        json: Value::Null,
        ..good.clone()
    };
    assert!(check(&text).is_err(), "a non-JSON body is caught");
    p.finish().await;
}

/// Paths that are not Graph are not checked, and IDs resolve to their kind.
#[tokio::test]
async fn graph_paths_and_targets_are_told_apart() {
    for page in [
        "/",
        "/_wamm/world",
        "/sdk.js",
        "/en_US/sdk.js",
        "/v23.0/dialog/oauth?x=1",
    ] {
        assert!(!is_graph(page), "{page}");
    }
    for graph in [
        "/v23.0/3001",
        "/me",
        "/v23.0/oauth/access_token",
        "/4001/messages",
    ] {
        assert!(is_graph(graph), "{graph}");
    }
    let p = TestPlatform::start(Backend::Sqlite).await;
    let s = p.running.handle();
    assert_eq!(target(s, "/v23.0/1001").await, Target::Node(Node::Business));
    assert_eq!(
        target(s, "/v23.0/4001/messages").await,
        Target::Node(Node::Phone)
    );
    assert_eq!(
        target(s, "/5001?fields=name").await,
        Target::Node(Node::Template)
    );
    assert_eq!(target(s, "/v23.0/987654321").await, Target::Missing);
    assert_eq!(target(s, "/v23.0/me").await, Target::Word);
    p.finish().await;
}
