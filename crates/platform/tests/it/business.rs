//! `/{business-id}` and the WABA list edges with filtering and paging.

use serde_json::{Value, json};

use crate::support::*;

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|w| w["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn business_node_and_its_visibility(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p.get("/v23.0/1000", FULL).await;
    assert_eq!(r.ok(), &json!({"id": "1000", "name": "Partner Inc"}));
    let r = p
        .get(
            "/v23.0/1004?fields=name,marketing_messages_onboarding_status",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["marketing_messages_onboarding_status"],
        json!({"status": "TERM_OF_SERVICE_SIGNED", "time": "2025-10-07"})
    );
    let r = p
        .get(
            "/v23.0/1001?fields=marketing_messages_onboarding_status",
            FULL,
        )
        .await;
    assert_eq!(
        r.ok()["marketing_messages_onboarding_status"]["status"],
        "NOT_STARTED"
    );
    // A business with no WABA shared with the partner is not visible to it.
    p.get("/v23.0/1005", FULL)
        .await
        .graph_error(400, 100, Some(33));
    // The terms status needs business_management.
    let r = p
        .get(
            "/v23.0/1001?fields=marketing_messages_onboarding_status",
            NARROW,
        )
        .await;
    r.graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

async fn client_wabas_lists_shared_wabas_only(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .get("/v23.0/1000/client_whatsapp_business_accounts", FULL)
        .await;
    assert_eq!(ids(r.ok()), ["3001", "3002", "3004", "3005"]);
    let first = &r.json["data"][0];
    for f in [
        "id",
        "name",
        "currency",
        "timezone_id",
        "message_template_namespace",
    ] {
        assert!(first.get(f).is_some(), "default field {f} in {first}");
    }
    let r = p
        .get("/v23.0/1000/owned_whatsapp_business_accounts", FULL)
        .await;
    assert_eq!(ids(r.ok()), ["3003", "3100"]);
    // A token assigned one WABA sees only that one.
    let r = p
        .get("/v23.0/1000/client_whatsapp_business_accounts", ASSIGNED)
        .await;
    assert_eq!(ids(r.ok()), ["3001"]);
    // Another business's edges are not the caller's to list.
    p.get("/v23.0/1001/client_whatsapp_business_accounts", FULL)
        .await
        .graph_error(400, 100, Some(33));
    // A standard-access app cannot reach clients' WABAs.
    let proof = wamm_wire::proof::appsecret_proof(STARTER_SECRET, STARTER);
    let r = p
        .get(
            &format!("/v23.0/1000/client_whatsapp_business_accounts?appsecret_proof={proof}"),
            STARTER,
        )
        .await;
    r.graph_error(403, 10, None);
    p.finish().await;
}

async fn filtering_on_onboarding_status(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let filter = |values: &[&str]| {
        let f = json!([{"field": "marketing_messages_onboarding_status", "operator": "IN", "value": values}]).to_string();
        format!(
            "/v23.0/1000/client_whatsapp_business_accounts?fields=id,marketing_messages_onboarding_status&filtering={}",
            urlencode(&f)
        )
    };
    let r = p.get(&filter(&["ELIGIBLE"]), FULL).await;
    assert_eq!(ids(r.ok()), ["3001", "3002"]);
    assert_eq!(
        r.json["data"][0]["marketing_messages_onboarding_status"],
        "ELIGIBLE"
    );
    let r = p.get(&filter(&["ONBOARDED"]), FULL).await;
    assert_eq!(ids(r.ok()), ["3005"]);
    let r = p
        .get(
            &filter(&["INELIGIBLE_COUNTRY_NOT_SUPPORTED", "ONBOARDED"]),
            FULL,
        )
        .await;
    assert_eq!(ids(r.ok()), ["3004", "3005"]);
    let r = p.get(&filter(&["PENDING_INTERNAL_SETUP"]), FULL).await;
    assert_eq!(r.ok(), &json!({"data": []}));
    let bad = json!([{"field": "no_such_field", "operator": "IN", "value": ["x"]}]).to_string();
    let r = p
        .get(
            &format!(
                "/v23.0/1000/client_whatsapp_business_accounts?filtering={}",
                urlencode(&bad)
            ),
            FULL,
        )
        .await;
    r.graph_error(400, 100, None);
    p.finish().await;
}

async fn cursor_paging_walks_the_list(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .get(
            "/v23.0/1000/client_whatsapp_business_accounts?fields=id&limit=3",
            FULL,
        )
        .await;
    assert_eq!(ids(r.ok()), ["3001", "3002", "3004"]);
    let paging = &r.json["paging"];
    assert!(paging["cursors"]["before"].is_string() && paging["cursors"]["after"].is_string());
    assert!(paging.get("previous").is_none());
    let next = paging["next"].as_str().expect("next URL").to_owned();
    assert!(
        next.starts_with(&p.base)
            && next.contains("/v23.0/1000/client_whatsapp_business_accounts?")
    );
    // Like Graph's, the link carries the call's token (sent here in a header), so a client
    // can follow it as it is.
    assert!(next.contains(&format!("access_token={FULL}")), "{next}");
    let followed = reqwest::get(&next).await.expect("the next link answers");
    assert_eq!(followed.status(), 200);
    let followed: Value = followed.json().await.expect("json");
    assert_eq!(ids(&followed), ["3005"]);
    let path = next.trim_start_matches(&p.base).to_owned();
    let r2 = p.get(&path, FULL).await;
    assert_eq!(ids(r2.ok()), ["3005"]);
    assert!(r2.json["paging"].get("next").is_none());
    assert!(
        r2.json["paging"]["previous"].is_string(),
        "items before the page: {}",
        r2.json
    );
    // After the last item there is nothing, and no paging.
    let last = r2.json["paging"]["cursors"]["after"]
        .as_str()
        .expect("after")
        .to_owned();
    let r4 = p
        .get(
            &format!("/v23.0/1000/client_whatsapp_business_accounts?fields=id&after={last}"),
            FULL,
        )
        .await;
    assert_eq!(r4.ok(), &json!({"data": []}));
    // One at a time, every page links both ways but the first and the last.
    let mut seen = Vec::new();
    let mut path = "/v23.0/1000/client_whatsapp_business_accounts?fields=id&limit=1".to_owned();
    loop {
        let r = p.get(&path, FULL).await;
        seen.extend(ids(r.ok()));
        let paging = &r.json["paging"];
        assert_eq!(
            paging.get("previous").is_some(),
            seen.len() > 1,
            "{}",
            r.json
        );
        match paging["next"].as_str() {
            Some(next) => path = next.trim_start_matches(&p.base).to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["3001", "3002", "3004", "3005"]);
    let before = r2.json["paging"]["cursors"]["before"]
        .as_str()
        .expect("before")
        .to_owned();
    let r3 = p
        .get(
            &format!(
                "/v23.0/1000/client_whatsapp_business_accounts?fields=id&limit=3&before={before}"
            ),
            FULL,
        )
        .await;
    assert_eq!(ids(r3.ok()), ["3001", "3002", "3004"]);
    let r = p
        .get(
            "/v23.0/1000/client_whatsapp_business_accounts?after=QVFIUjNpUWpVWmRBd0Rn",
            FULL,
        )
        .await;
    r.graph_error(400, 100, None);
    p.finish().await;
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

crate::on_both_backends!(
    business_node_and_its_visibility,
    client_wabas_lists_shared_wabas_only,
    filtering_on_onboarding_status,
    cursor_paging_walks_the_list,
);
