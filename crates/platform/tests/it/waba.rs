//! `/{waba-id}`, its phone numbers and app subscriptions, and `/{phone-number-id}`.

use serde_json::json;

use crate::support::*;

async fn status(p: &TestPlatform, id: &str) -> String {
    let r = p
        .get(
            &format!("/v23.0/{id}?fields=marketing_messages_onboarding_status"),
            FULL,
        )
        .await;
    let body = r.ok().clone();
    assert_eq!(body["id"], id, "id is always returned");
    body["marketing_messages_onboarding_status"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn waba_node_reports_onboarding_status_from_state(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    assert_eq!(status(&p, "3001").await, "ELIGIBLE");
    assert_eq!(status(&p, "3003").await, "INELIGIBLE_ON_BEHALF_OF_WABA");
    assert_eq!(status(&p, "3004").await, "INELIGIBLE_COUNTRY_NOT_SUPPORTED");
    assert_eq!(status(&p, "3005").await, "ONBOARDED");
    let r = p
        .get(
            "/v23.0/3005?fields=owner_business_info,marketing_messages_lite_api_status",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["owner_business_info"],
        json!({"id": "1004", "name": "Client D Signed", "marketing_messages_onboarding_status": {"status": "TERM_OF_SERVICE_SIGNED", "time": "2025-10-07"}})
    );
    assert_eq!(r.json["marketing_messages_lite_api_status"], "ONBOARDED");
    let r = p
        .get(
            "/v23.0/3003?fields=owner_business_info{id},on_behalf_of_business_info,ownership_type",
            FULL,
        )
        .await;
    assert_eq!(r.ok()["owner_business_info"], json!({"id": "1000"}));
    assert_eq!(
        r.json["on_behalf_of_business_info"],
        json!({"id": "1002", "name": "Client B Casa"})
    );
    assert_eq!(r.json["ownership_type"], "SELF_OWNED");
    let r = p
        .get(
            "/v23.0/3001?fields=name,phone_numbers.limit(2){id,display_phone_number}",
            FULL,
        )
        .await;
    let phones = r.ok()["phone_numbers"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(phones.len(), 2);
    assert_eq!(
        phones[0],
        json!({"id": "4001", "display_phone_number": "+55 11 5555-0101"})
    );
    p.finish().await;
}

async fn waba_access_is_checked(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    p.get("/v23.0/3006", FULL)
        .await
        .graph_error(400, 100, Some(33));
    p.get("/v23.0/3002", ASSIGNED)
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.get("/v23.0/3001", ASSIGNED).await.ok();
    let proof = wamm_wire::proof::appsecret_proof(STARTER_SECRET, STARTER);
    p.get(&format!("/v23.0/3001?appsecret_proof={proof}"), STARTER)
        .await
        .graph_error(403, 10, None);
    // The partner's own WABA needs no advanced access.
    p.get(&format!("/v23.0/3100?appsecret_proof={proof}"), STARTER)
        .await
        .ok();
    // Writing needs whatsapp_business_management.
    p.post("/v23.0/3001", NARROW, &json!({"name": "x"}))
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

async fn waba_update(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    assert_eq!(
        p.post("/v23.0/3001", FULL, &json!({"name": "Renamed"}))
            .await
            .ok(),
        &json!({"success": true})
    );
    assert_eq!(
        p.get("/v23.0/3001?fields=name", FULL).await.ok()["name"],
        "Renamed"
    );
    p.post("/v23.0/3001", FULL, &json!({"name": ""}))
        .await
        .graph_error(400, 100, None);
    p.post("/v23.0/3001", FULL, &json!({"timezone_id": "abc"}))
        .await
        .graph_error(400, 100, None);
    p.post("/v23.0/3001", FULL, &json!({}))
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn phone_numbers(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/3001/phone_numbers", FULL).await;
    let data = r.ok()["data"].as_array().cloned().unwrap_or_default();
    assert_eq!(data.len(), 3);
    assert_eq!(data[1]["throughput"], json!({"level": "HIGH"}));
    assert_eq!(data[2]["code_verification_status"], "NOT_VERIFIED");
    assert_eq!(data[0]["platform_type"], "CLOUD_API");
    let r = p.get("/v23.0/4001", FULL).await;
    assert_eq!(
        r.ok(),
        &json!({"id": "4001", "display_phone_number": "+55 11 5555-0101", "verified_name": "Client A", "quality_rating": "GREEN"})
    );
    let r = p
        .get(
            "/v23.0/4001?fields=throughput,is_on_biz_app,name_status",
            NARROW,
        )
        .await;
    assert_eq!(r.ok()["is_on_biz_app"], false);
    p.get("/v23.0/4006", FULL)
        .await
        .graph_error(400, 100, Some(33));
    let filter = super::business::urlencode(
        &json!([{"field": "code_verification_status", "operator": "EQUAL", "value": "VERIFIED"}])
            .to_string(),
    );
    let r = p
        .get(
            &format!("/v23.0/3001/phone_numbers?filtering={filter}"),
            FULL,
        )
        .await;
    assert_eq!(r.ok()["data"].as_array().map(Vec::len), Some(2));
    p.finish().await;
}

async fn subscribed_apps(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    assert_eq!(
        p.get("/v23.0/3001/subscribed_apps", FULL).await.ok(),
        &json!({"data": []})
    );
    assert_eq!(
        p.post("/v23.0/3001/subscribed_apps", FULL, &json!({}))
            .await
            .ok(),
        &json!({"success": true})
    );
    let r = p.get("/v23.0/3001/subscribed_apps", FULL).await;
    assert_eq!(
        r.ok()["data"][0]["whatsapp_business_api_data"]["id"],
        "2000"
    );
    assert_eq!(
        r.json["data"][0]["whatsapp_business_api_data"]["name"],
        "Partner Connect"
    );
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let r = p
        .post(
            "/v23.0/3001/subscribed_apps",
            FULL,
            &json!({"override_callback_uri": receiver.url, "verify_token": "verify-me"}),
        )
        .await;
    assert_eq!(
        r.ok()["data"][0]["override_callback_uri"],
        receiver.url.as_str()
    );
    assert_eq!(receiver.handshakes(), 1, "the override was verified first");
    // An override that fails the handshake is refused and not stored.
    let r = p
        .post(
            "/v23.0/3002/subscribed_apps",
            FULL,
            &json!({"override_callback_uri": receiver.url, "verify_token": "wrong"}),
        )
        .await;
    r.graph_error(400, 2200, None);
    assert_eq!(
        p.get("/v23.0/3002/subscribed_apps", FULL).await.ok(),
        &json!({"data": []})
    );
    p.post(
        "/v23.0/3001/subscribed_apps",
        FULL,
        &json!({"override_callback_uri": "not a url", "verify_token": "vt"}),
    )
    .await
    .graph_error(400, 100, None);
    p.post(
        "/v23.0/3001/subscribed_apps",
        FULL,
        &json!({"override_callback_uri": "https://x.test/h"}),
    )
    .await
    .graph_error(400, 100, None);
    assert_eq!(
        p.delete("/v23.0/3001/subscribed_apps", FULL).await.ok(),
        &json!({"success": true})
    );
    assert_eq!(
        p.get("/v23.0/3001/subscribed_apps", FULL).await.ok(),
        &json!({"data": []})
    );
    p.get("/v23.0/3006/subscribed_apps", FULL)
        .await
        .graph_error(400, 100, Some(33));
    p.finish().await;
}

crate::on_both_backends!(
    waba_node_reports_onboarding_status_from_state,
    waba_access_is_checked,
    waba_update,
    phone_numbers,
    subscribed_apps,
);
