//! `/oauth/access_token`, `/debug_token`, `/me`, and token expiry on the platform clock.

use reqwest::Method;
use serde_json::{Value, json};
use wamm_platform::PlatformConfig;

use crate::support::*;

async fn debug_token_describes_tokens_of_the_same_app(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let r = p
        .get(&format!("/v23.0/debug_token?input_token={ASSIGNED}"), FULL)
        .await;
    let data = &r.ok()["data"];
    assert_eq!(data["app_id"], "2000");
    assert_eq!(data["type"], "SYSTEM_USER");
    assert_eq!(data["application"], "Partner Connect");
    assert_eq!(data["is_valid"], true);
    assert_eq!(data["expires_at"], 0);
    assert_eq!(data["user_id"], "1100");
    assert_eq!(
        data["scopes"],
        json!(["whatsapp_business_management", "business_management"])
    );
    assert_eq!(
        data["granular_scopes"][0],
        json!({"scope": "whatsapp_business_management", "target_ids": ["3001"]})
    );
    let r = p
        .get(&format!("/v23.0/debug_token?input_token={REVOKED}"), FULL)
        .await;
    assert_eq!(r.ok()["data"]["is_valid"], false);
    let r = p
        .get("/v23.0/debug_token?input_token=EAAWnothing", FULL)
        .await;
    assert_eq!(r.ok()["data"]["is_valid"], false);
    assert_eq!(r.json["data"]["error"]["code"], 190);
    // A token of another app cannot be inspected.
    let proof = wamm_wire::proof::appsecret_proof(STARTER_SECRET, STARTER);
    p.get(
        &format!("/v23.0/debug_token?input_token={FULL}&appsecret_proof={proof}"),
        STARTER,
    )
    .await
    .graph_error(400, 100, None);
    p.get("/v23.0/debug_token", FULL)
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn app_tokens_from_client_credentials(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let url = format!(
        "/v23.0/oauth/access_token?grant_type=client_credentials&client_id=2000&client_secret={CONNECT_SECRET}"
    );
    let r = p.call(Method::GET, &url, None, None).await;
    let token = r.ok()["access_token"].as_str().expect("token").to_owned();
    assert_eq!(r.json["token_type"], "bearer");
    assert!(token.starts_with("2000|"));
    let r = p
        .get(&format!("/v23.0/debug_token?input_token={FULL}"), &token)
        .await;
    assert_eq!(r.ok()["data"]["is_valid"], true);
    let r = p
        .get(&format!("/v23.0/debug_token?input_token={token}"), &token)
        .await;
    assert_eq!(r.ok()["data"]["type"], "APP");
    // The literal app_id|app_secret form is an app token too.
    let literal = format!("2000|{CONNECT_SECRET}");
    assert_eq!(
        p.get("/v23.0/me", &literal).await.ok()["name"],
        "Partner Connect"
    );
    // App tokens reach no business asset, and cannot tell an existing one from an unknown ID.
    let existing = p.get("/v23.0/3001", &token).await;
    existing.graph_error(400, 100, Some(33));
    let unknown = p.get("/v23.0/3999", &token).await;
    unknown.graph_error(400, 100, Some(33));
    p.get("/v23.0/1001", &token)
        .await
        .graph_error(400, 100, Some(33));
    p.get("/v23.0/1000/client_whatsapp_business_accounts", &token)
        .await
        .graph_error(400, 100, Some(33));
    let bad = p.call(Method::GET, "/v23.0/oauth/access_token?grant_type=client_credentials&client_id=2000&client_secret=nope", None, None).await;
    bad.graph_error(400, 1, None);
    p.call(
        Method::GET,
        "/v23.0/oauth/access_token?grant_type=client_credentials",
        None,
        None,
    )
    .await
    .graph_error(400, 101, None);
    p.call(Method::GET, &format!("/v23.0/oauth/access_token?grant_type=password&client_id=2000&client_secret={CONNECT_SECRET}"), None, None)
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn tokens_expire_on_the_platform_clock(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    p.get("/v23.0/me", LATER).await.ok();
    let moved = p
        .call(
            Method::POST,
            "/_wamm/clock",
            None,
            Some(&json!({"set": "2099-06-01T00:00:00Z"})),
        )
        .await;
    assert!(
        moved.ok()["now"]
            .as_str()
            .unwrap_or_default()
            .starts_with("2099-06-01")
    );
    p.get("/v23.0/me", LATER)
        .await
        .graph_error(401, 190, Some(463));
    p.get("/v23.0/me", FULL).await.ok();
    p.finish().await;
}

async fn business_tokens_need_a_proof_and_can_be_fetched_again(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let proof = wamm_wire::proof::appsecret_proof(CONNECT_SECRET, FULL);
    let path = |q: &str| format!("/v23.0/1001/system_user_access_tokens?{q}");
    // The proof is mandatory here, and checked.
    p.post(&path("fetch_only=true"), FULL, &json!({}))
        .await
        .graph_error(400, 100, None);
    p.post(
        &path("fetch_only=true&appsecret_proof=00"),
        FULL,
        &json!({}),
    )
    .await
    .graph_error(400, 100, None);
    let first = p
        .post(
            &path(&format!("fetch_only=true&appsecret_proof={proof}")),
            FULL,
            &json!({}),
        )
        .await;
    let token = first.ok()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let again = p
        .post(
            &path(&format!("fetch_only=true&appsecret_proof={proof}")),
            FULL,
            &json!({}),
        )
        .await;
    assert_eq!(
        again.ok()["access_token"],
        token.as_str(),
        "fetch_only returns the existing token"
    );
    let minted = p
        .post(&path(&format!("appsecret_proof={proof}")), FULL, &json!({}))
        .await;
    assert_ne!(
        minted.ok()["access_token"],
        token.as_str(),
        "without fetch_only a new token is minted"
    );
    // The business token reaches the client's WABAs shared with the partner, and only those.
    p.get("/v23.0/3001?fields=name", &token).await.ok();
    let info = p
        .get(&format!("/v23.0/debug_token?input_token={token}"), FULL)
        .await;
    assert_eq!(info.ok()["data"]["type"], "SYSTEM_USER");
    assert!(
        info.json["data"]["granular_scopes"]
            .as_array()
            .is_some_and(|g| g.iter().any(|s| s["target_ids"] == json!(["3001"])))
    );
    // Not the partner's client: as if it did not exist. No business_management: refused.
    let stranger = p
        .post(
            &format!("/v23.0/1005/system_user_access_tokens?appsecret_proof={proof}"),
            FULL,
            &json!({}),
        )
        .await;
    stranger.graph_error(400, 100, Some(33));
    let narrow_proof = wamm_wire::proof::appsecret_proof(CONNECT_SECRET, NARROW);
    p.post(
        &format!("/v23.0/1001/system_user_access_tokens?appsecret_proof={narrow_proof}"),
        NARROW,
        &json!({}),
    )
    .await
    .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

/// The suite's world plus a second partner, and a WABA of client A shared with that partner
/// only.
fn two_partner_world() -> String {
    let mut world = WORLD.replace(
        "      - key: a-main\n",
        "      - { key: a-rival, id: \"3011\", name: Client A With Rival, tax_country: BR, partners: [{ business: rival, access: SHARED }], phone_numbers: [{ id: \"4011\", display_phone_number: \"+55 11 5555-0111\", verified_name: Client A }] }\n      - key: a-main\n",
    );
    world.push_str(
        "  - key: rival\n    id: \"1009\"\n    name: Rival Partner\n    country: US\n    people:\n      - { name: Rita Admin, email: rita@rival.test, role: ADMIN }\n",
    );
    world
}

async fn a_business_token_never_widens_itself(backend: Backend) {
    let p = TestPlatform::start_with(
        backend,
        PlatformConfig::default(),
        Some(&two_partner_world()),
    )
    .await;
    let proof = |token: &str| wamm_wire::proof::appsecret_proof(CONNECT_SECRET, token);
    let path = |token: &str, fetch: bool| {
        format!(
            "/v23.0/1001/system_user_access_tokens?fetch_only={fetch}&appsecret_proof={}",
            proof(token)
        )
    };
    let token = p.post(&path(FULL, false), FULL, &json!({})).await.ok()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    // The business token calls the same endpoint with itself, both ways.
    for fetch in [true, false] {
        let again = p.post(&path(&token, fetch), &token, &json!({})).await;
        let again = again.ok()["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
        for t in [&token, &again] {
            let info = p
                .get(&format!("/v23.0/debug_token?input_token={t}"), FULL)
                .await;
            let targets: Vec<&Value> = info.ok()["data"]["granular_scopes"]
                .as_array()
                .expect("scopes")
                .iter()
                .flat_map(|s| s["target_ids"].as_array().into_iter().flatten())
                .collect();
            assert!(
                !targets.iter().any(|t| *t == "3011"),
                "the rival's WABA is never a target: {info:?}"
            );
            // Nothing of the rival's WABA answers, as if it did not exist.
            p.get("/v23.0/3011?fields=name", t)
                .await
                .graph_error(400, 100, Some(33));
            p.post("/v23.0/3011", t, &json!({"name": "taken"}))
                .await
                .graph_error(400, 100, Some(33));
            p.post("/v23.0/3011/subscribed_apps", t, &json!({}))
                .await
                .graph_error(400, 100, Some(33));
            p.get("/v23.0/3011/message_templates", t)
                .await
                .graph_error(400, 100, Some(33));
            p.get("/v23.0/4011", t)
                .await
                .graph_error(400, 100, Some(33));
            p.get("/v23.0/3001?fields=name", t).await.ok();
        }
    }
    p.finish().await;
}

async fn concurrent_business_token_calls_each_get_their_own_or_the_newest(backend: Backend) {
    let p = TestPlatform::start(backend).await;
    let proof = wamm_wire::proof::appsecret_proof(CONNECT_SECRET, FULL);
    let call = |fetch: bool| {
        let path = format!(
            "/v23.0/1001/system_user_access_tokens?fetch_only={fetch}&appsecret_proof={proof}"
        );
        let p = &p;
        async move {
            p.post(&path, FULL, &json!({})).await.ok()["access_token"]
                .as_str()
                .expect("token")
                .to_owned()
        }
    };
    let minted: Vec<String> = futures_join_all((0..32).map(|_| call(false))).await;
    let distinct: std::collections::BTreeSet<&String> = minted.iter().collect();
    assert_eq!(distinct.len(), 32, "every mint has a generation of its own");
    let newest = call(false).await;
    let fetched: Vec<String> = futures_join_all((0..32).map(|_| call(true))).await;
    assert!(
        fetched.iter().all(|t| *t == newest),
        "every fetch returns the newest live token"
    );
    p.finish().await;
}

crate::on_both_backends!(
    a_business_token_never_widens_itself,
    concurrent_business_token_calls_each_get_their_own_or_the_newest,
    business_tokens_need_a_proof_and_can_be_fetched_again,
    debug_token_describes_tokens_of_the_same_app,
    app_tokens_from_client_credentials,
    tokens_expire_on_the_platform_clock,
);
