//! The partner's view: our Graph client against a platform holding the demo world.

use serde_json::json;
use wamm_client::{GraphClient, NewTemplate};
use wamm_domain::Permission;
use wamm_platform::PlatformConfig;
use wamm_wire::ids::{BusinessId, WabaId};

/// A platform holding the demo world, and the partner's credentials in it.
pub(crate) struct Demo {
    pub(crate) running: wamm_platform::Running,
    pub(crate) partner: BusinessId,
    pub(crate) app_id: String,
    pub(crate) app_secret: String,
    pub(crate) token: String,
}

/// Starts a platform on a socket with the demo world loaded.
pub(crate) async fn demo() -> Demo {
    let running = wamm_platform::start(PlatformConfig::default())
        .await
        .expect("platform starts");
    let summary = running
        .handle()
        .ensure_demo()
        .await
        .expect("demo loads")
        .expect("store was empty");
    let token = summary
        .tokens
        .first()
        .expect("the demo issues a partner token")
        .clone();
    let app_secret = running
        .handle()
        .app_secret(token.app_id)
        .await
        .expect("store")
        .expect("app");
    Demo {
        partner: token.business_id,
        app_id: token.app_id.to_string(),
        app_secret,
        token: token.token,
        running,
    }
}

#[tokio::test]
async fn a_partner_finds_eligible_clients_and_manages_templates() {
    let d = demo().await;
    let graph = GraphClient::new(d.running.base_url())
        .token(&d.token)
        .app_secret(&d.app_secret);
    let me = graph.me().await.expect("me");
    assert_eq!(me["name"], "Partner Ops");
    let all = graph
        .client_wabas(
            d.partner,
            "id,name,marketing_messages_onboarding_status",
            &[],
        )
        .await
        .expect("list");
    assert!(all.len() >= 6, "every shared WABA: {all:?}");
    let eligible = graph
        .client_wabas(
            d.partner,
            "id,name,marketing_messages_onboarding_status",
            &["ELIGIBLE"],
        )
        .await
        .expect("filtered");
    assert!(!eligible.is_empty() && eligible.len() < all.len());
    assert!(
        eligible
            .iter()
            .all(|w| w["marketing_messages_onboarding_status"] == "ELIGIBLE")
    );
    let waba: WabaId = eligible[0]["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("WABA id");
    let detail = graph
        .waba(waba, "name,owner_business_info")
        .await
        .expect("waba");
    assert!(detail["owner_business_info"]["id"].is_string());
    let created = graph
        .create_template(
            waba,
            &NewTemplate {
                name: "e2e_launch".into(),
                language: "en_US".into(),
                category: "MARKETING".into(),
                components: json!([{"type": "BODY", "text": "New bread is out"}]),
                message_send_ttl_seconds: Some(86_400),
            },
        )
        .await
        .expect("template created");
    assert_eq!(created["status"], "APPROVED");
    let again = graph
        .create_template(
            waba,
            &NewTemplate {
                name: "e2e_launch".into(),
                language: "en_US".into(),
                category: "MARKETING".into(),
                components: json!([{"type": "BODY", "text": "twice"}]),
                message_send_ttl_seconds: None,
            },
        )
        .await
        .expect_err("duplicate refused");
    assert_eq!(
        again.graph().map(|e| (e.status, e.code(), e.subcode())),
        Some((400, 100, Some(2_388_024)))
    );
    let templates = graph.templates(waba).await.expect("templates");
    assert!(templates.iter().any(|t| t["name"] == "e2e_launch"));
    assert_eq!(
        graph.subscribe_app(waba).await.expect("subscribe")["success"],
        true
    );
    d.running.stop().await;
}

#[tokio::test]
async fn app_tokens_and_debug_token_through_the_client() {
    let d = demo().await;
    let anonymous = GraphClient::new(d.running.base_url());
    let app_token = anonymous
        .app_token(&d.app_id, &d.app_secret)
        .await
        .expect("client_credentials");
    let as_app = GraphClient::new(d.running.base_url()).token(&app_token);
    let info = as_app.debug_token(&d.token).await.expect("debug_token");
    assert_eq!(info["data"]["is_valid"], true);
    let scopes = info["data"]["scopes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        scopes
            .iter()
            .any(|s| s == Permission::WhatsappBusinessMessaging.as_str())
    );
    let refused = anonymous
        .app_token(&d.app_id, "wrong")
        .await
        .expect_err("bad secret");
    assert_eq!(refused.graph().map(|e| e.code()), Some(1));
    let unauthenticated = anonymous.me().await.expect_err("no token");
    assert_eq!(
        unauthenticated.graph().map(|e| (e.status, e.code())),
        Some((401, 104))
    );
    d.running.stop().await;
}
