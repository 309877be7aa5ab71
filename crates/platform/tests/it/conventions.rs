//! Graph conventions every route shares: versions, tokens, proofs, errors and headers.

use reqwest::Method;
use serde_json::json;
use wamm_wire::proof::appsecret_proof;

use crate::support::*;

async fn versions_are_served_upgraded_or_refused(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/me", FULL).await;
    assert_eq!(r.ok()["name"], "Partner Ops");
    assert_eq!(r.header("facebook-api-version").as_deref(), Some("v23.0"));
    // Expired versions are upgraded to the oldest available one, as Graph does.
    let r = p.get("/v16.0/me", FULL).await;
    r.ok();
    assert_eq!(r.header("facebook-api-version").as_deref(), Some("v22.0"));
    // Unversioned calls are served at the oldest available version.
    let r = p.get("/me", FULL).await;
    assert_eq!(r.ok()["id"], "1100");
    let r = p.get("/v99.0/me", FULL).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("v99.0"), "{}", r.message());
    let r = p.get("/v23.x/me", FULL).await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("Invalid version format"));
    p.finish().await;
}

async fn tokens_are_required_parsed_and_checked(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.call(Method::GET, "/v23.0/me", None, None).await;
    r.graph_error(401, 104, None);
    assert!(
        r.header("www-authenticate")
            .is_some_and(|v| v.contains("invalid_token"))
    );
    p.get("/v23.0/me", "not a token!")
        .await
        .graph_error(401, 190, None);
    p.get("/v23.0/me", "EAAWunknowntoken123")
        .await
        .graph_error(401, 190, None);
    p.get("/v23.0/me", REVOKED)
        .await
        .graph_error(401, 190, Some(460));
    let r = p.get("/v23.0/me", EXPIRED).await;
    r.graph_error(401, 190, Some(463));
    assert!(r.message().contains("Session has expired"));
    // The token may also travel as a query parameter.
    let r = p
        .call(
            Method::GET,
            &format!("/v23.0/me?access_token={FULL}"),
            None,
            None,
        )
        .await;
    assert_eq!(r.ok()["id"], "1100");
    // Sent both ways, `access_token` wins over the header, as on Graph: pywa manages its app's
    // subscriptions with the app token in the query while its header holds a system user token.
    let app_token = format!("2000|{CONNECT_SECRET}");
    let r = p
        .get(
            &format!("/v23.0/2000/subscriptions?access_token={app_token}"),
            FULL,
        )
        .await;
    assert_eq!(r.ok()["data"], serde_json::json!([]));
    let r = p
        .get(
            &format!("/v23.0/me?access_token={FULL}"),
            "EAAWunknowntoken123",
        )
        .await;
    assert_eq!(r.ok()["id"], "1100");
    p.finish().await;
}

async fn appsecret_proof_is_verified_and_required_when_the_app_says_so(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/me", STARTER).await;
    r.graph_error(400, 100, None);
    assert!(
        r.message().contains("require an appsecret_proof"),
        "{}",
        r.message()
    );
    let wrong = appsecret_proof("not-the-secret", STARTER);
    let r = p
        .get(&format!("/v23.0/me?appsecret_proof={wrong}"), STARTER)
        .await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("Invalid appsecret_proof"));
    let right = appsecret_proof(STARTER_SECRET, STARTER);
    p.get(&format!("/v23.0/me?appsecret_proof={right}"), STARTER)
        .await
        .ok();
    // A proof is checked whenever it is sent, even if the app does not require one.
    let r = p
        .get(&format!("/v23.0/me?appsecret_proof={wrong}"), FULL)
        .await;
    r.graph_error(400, 100, None);
    let good = appsecret_proof(CONNECT_SECRET, FULL);
    p.get(&format!("/v23.0/me?appsecret_proof={good}"), FULL)
        .await
        .ok();
    p.finish().await;
}

async fn unknown_objects_edges_and_fields(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/999999999", FULL).await;
    let err = r.graph_error(400, 100, Some(33));
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Unsupported get request. Object with ID '999999999'")
    );
    let r = p
        .post("/v23.0/999999999", FULL, &json!({"name": "x"}))
        .await;
    r.graph_error(400, 100, Some(33));
    assert!(r.message().starts_with("Unsupported post request."));
    p.get("/v23.0/not_an_id", FULL)
        .await
        .graph_error(400, 100, Some(33));
    let r = p.get("/v23.0/3001/no_such_edge", FULL).await;
    r.graph_error(400, 2500, None);
    assert!(r.message().contains("/no_such_edge"));
    let r = p.get("/v23.0/3001?fields=id,bogus_field", FULL).await;
    r.graph_error(400, 100, None);
    assert!(
        r.message()
            .contains("(bogus_field) on node type (WhatsAppBusinessAccount)"),
        "{}",
        r.message()
    );
    let r = p
        .get("/v23.0/3001?fields=owner_business_info{nope}", FULL)
        .await;
    assert!(
        r.graph_error(400, 100, None)["message"]
            .as_str()
            .unwrap_or_default()
            .contains("on node type (Business)")
    );
    p.get("/v23.0/3001?fields=id,{broken", FULL)
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn malformed_requests_get_graph_errors_not_500s(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .raw(
            Method::POST,
            "/v23.0/3001/message_templates",
            FULL,
            "application/json",
            b"{not json".to_vec(),
        )
        .await;
    r.graph_error(400, 100, None);
    assert!(r.message().contains("Invalid JSON"));
    let r = p
        .raw(
            Method::POST,
            "/v23.0/3001",
            FULL,
            "application/json",
            b"[1,2]".to_vec(),
        )
        .await;
    r.graph_error(400, 100, None);
    let big = vec![b'a'; 2 * 1024 * 1024];
    let r = p
        .raw(
            Method::POST,
            "/v23.0/3001",
            FULL,
            "application/x-www-form-urlencoded",
            big,
        )
        .await;
    r.graph_error(413, 100, None);
    p.get("/v23.0/3001/phone_numbers?limit=many", FULL)
        .await
        .graph_error(400, 100, None);
    p.get("/v23.0/3001/phone_numbers?after=not-our-cursor", FULL)
        .await
        .graph_error(400, 100, None);
    p.get(
        "/v23.0/1000/client_whatsapp_business_accounts?filtering=nope",
        FULL,
    )
    .await
    .graph_error(400, 100, None);
    let r = p
        .raw(
            Method::PUT,
            "/v23.0/3001",
            FULL,
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    r.graph_error(400, 100, Some(33));
    p.finish().await;
}

async fn graph_headers_are_sent(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v24.0/3001", FULL).await;
    r.ok();
    assert_eq!(r.header("facebook-api-version").as_deref(), Some("v24.0"));
    assert!(r.header("x-fb-trace-id").is_some_and(|t| t.len() == 11));
    assert!(r.header("x-fb-request-id").is_some());
    let usage: serde_json::Value =
        serde_json::from_str(&r.header("x-app-usage").unwrap_or_default())
            .expect("x-app-usage is JSON");
    assert!(usage["call_count"].is_number());
    let buc: serde_json::Value =
        serde_json::from_str(&r.header("x-business-use-case-usage").unwrap_or_default())
            .expect("BUC header is JSON");
    assert_eq!(buc["3001"][0]["type"], "whatsapp_business_management");
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("application/json"))
    );
    p.finish().await;
}

crate::on_both_backends!(
    versions_are_served_upgraded_or_refused,
    tokens_are_required_parsed_and_checked,
    appsecret_proof_is_verified_and_required_when_the_app_says_so,
    unknown_objects_edges_and_fields,
    malformed_requests_get_graph_errors_not_500s,
    graph_headers_are_sent,
);
