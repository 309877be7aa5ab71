//! The Embedded Signup page over a real socket against a fake Graph: the page and what it
//! injects, the completion's answers, and what it refuses.

use std::sync::Arc;

use serde_json::{Value, json};
use wamm_partner::stage::WabaStatus;
use wamm_partner::vault::Secret;
use wamm_partner::web::signup_page::{SignupPageError, SignupState, router};
use wamm_partner::webhooks::Moves;

use crate::fake::{FakeGraph, remote, store, vault};

fn state(graph: Arc<FakeGraph>, store: Arc<dyn wamm_partner::store::PartnerStore>) -> SignupState {
    SignupState {
        moves: Moves {
            graph: graph as _,
            store,
            vault: Arc::new(vault()),
            now: || 50,
        },
        app_id: "900".into(),
        config_id: "1</script><script>alert(1)</script>".into(),
        sdk_url: "http://sdk.test:8080/en_US/sdk.js".into(),
        graph_version: "v23.0".into(),
        pin: Secret::new("123456"),
        unanswered_after: 86_400,
    }
}

async fn serve(state: SignupState) -> String {
    crate::fake::serve(router(state).expect("a valid configuration")).await
}

#[tokio::test]
async fn the_page_loads_the_configured_sdk_and_trusts_only_its_origin() {
    let base = serve(state(Arc::new(FakeGraph::default()), store().await)).await;
    let res = reqwest::get(format!("{base}/signup")).await.expect("page");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()
            .get("x-frame-options")
            .and_then(|v| v.to_str().ok()),
        Some("DENY")
    );
    let html = res.text().await.expect("text");
    assert!(html.contains(r#"src="http://sdk.test:8080/en_US/sdk.js""#));
    assert!(
        html.contains(r#""trusted":{"origin":"http://sdk.test:8080","rule":"exact"}"#),
        "{html}"
    );
    assert!(html.contains(r#"id="launch""#) && html.contains(r#"id="result""#));
    assert!(html.contains("marketing_messages_lite"));
    // A hostile configuration value stays inside its JSON string.
    assert!(!html.contains("</script><script>alert(1)"), "{html}");
    assert!(
        html.contains(r#""configId":"1\u003c/script\u003e"#),
        "{html}"
    );
}

#[tokio::test]
async fn completing_brings_the_client_into_the_funnel_once() {
    let mut fresh = remote("70", "7", WabaStatus::PendingInternalSetup);
    fresh.phone_number_id = None;
    let graph = FakeGraph::holding(vec![fresh]);
    graph
        .codes
        .lock()
        .expect("lock")
        .insert("code-7".into(), "7".into());
    let graph = Arc::new(graph);
    let store = store().await;
    let base = serve(state(Arc::clone(&graph), Arc::clone(&store))).await;
    let http = reqwest::Client::new();
    let finished =
        json!({"code": "code-7", "waba_id": "70", "phone_number_id": "p70", "coexistence": false});

    let res = http
        .post(format!("{base}/signup/complete"))
        .json(&finished)
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({
            "business_id": "7",
            "business_name": "Business 7",
            "waba_id": "70",
            "stage": "token_fetched",
            "reason": "token checked; waiting for Meta's setup to finish (PENDING_INTERNAL_SETUP)",
        })
    );
    assert_eq!(
        *graph.calls.lock().expect("lock"),
        ["exchange code-7", "subscribe 70", "register p70 123456"],
        "registered with the configured PIN"
    );
    assert!(store.token("7").await.expect("read").is_some());

    // The code was single use: Graph's refusal comes back as a bad gateway, with its code.
    let res = http
        .post(format!("{base}/signup/complete"))
        .json(&finished)
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 502);
    let body: Value = res.json().await.expect("JSON");
    assert_eq!(
        body,
        json!({"error": "This authorization code has been used.", "code": 100})
    );
}

#[tokio::test]
async fn only_a_json_body_is_taken() {
    let graph = Arc::new(FakeGraph::default());
    let base = serve(state(Arc::clone(&graph), store().await)).await;
    let http = reqwest::Client::new();
    // What a cross-site form could send: refused before anything reaches Graph.
    let res = http
        .post(format!("{base}/signup/complete"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("code=stolen&waba_id=70")
        .send()
        .await
        .expect("answer");
    assert_eq!(res.status(), 415);
    let body: Value = res.json().await.expect("JSON");
    assert!(body["error"].is_string(), "{body}");
    for bad in [
        "{not json",
        r#"{"waba_id": "70"}"#,
        r#"{"code": "", "waba_id": "70"}"#,
    ] {
        let res = http
            .post(format!("{base}/signup/complete"))
            .header("content-type", "application/json")
            .body(bad)
            .send()
            .await
            .expect("answer");
        assert_eq!(res.status(), 400, "{bad}");
        let body: Value = res.json().await.expect("JSON");
        assert!(body["error"].is_string(), "{bad}: {body}");
    }
    assert!(graph.calls.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn a_page_that_cannot_work_is_refused_at_start() {
    let store = store().await;
    let mut bad_pin = state(Arc::new(FakeGraph::default()), Arc::clone(&store));
    bad_pin.pin = Secret::new("12345");
    assert!(matches!(router(bad_pin), Err(SignupPageError::Pin)));
    let mut bad_sdk = state(Arc::new(FakeGraph::default()), store);
    bad_sdk.sdk_url = "javascript:alert(1)".into();
    assert!(matches!(router(bad_sdk), Err(SignupPageError::SdkUrl(_))));
}
