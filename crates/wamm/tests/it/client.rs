//! The partner's view: our Graph client against a platform holding the demo world.

use serde_json::json;
use wamm_client::{
    GraphClient, NewTemplate, PricingAnalyticsQuery, Product, TemplateAnalyticsQuery,
};
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

/// The demo bakery's WABA, as the partner lists it.
async fn bakery(graph: &GraphClient, d: &Demo) -> WabaId {
    graph
        .client_wabas(d.partner, "id,name", &[])
        .await
        .expect("list")
        .iter()
        .find(|w| w["name"] == "Jasper's Bakery")
        .and_then(|w| w["id"].as_str())
        .and_then(|id| id.parse().ok())
        .expect("the bakery's WABA")
}

/// Sends the bakery's `order_update` utility template through Cloud API, from its first
/// number, to a recipient who reads (`…555-099-0005`).
async fn send_order_update(graph: &GraphClient, d: &Demo, waba: WabaId, order: &str) {
    let phone = graph
        .list_phone_numbers(waba)
        .await
        .expect("numbers")
        .into_iter()
        .next()
        .expect("a number");
    let sent = reqwest::Client::new()
        .post(format!("{}/v23.0/{}/messages", d.running.base_url(), phone.id))
        .bearer_auth(&d.token)
        .query(&[(
            "appsecret_proof",
            wamm_wire::proof::appsecret_proof(&d.app_secret, &d.token),
        )])
        .json(&json!({"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "15550990005", "type": "template",
            "template": {"name": "order_update", "language": {"code": "en_US"},
                "components": [{"type": "body", "parameters": [{"type": "text", "text": order}]}]}}))
        .send()
        .await
        .expect("send");
    assert_eq!(
        sent.status(),
        200,
        "{}",
        sent.text().await.unwrap_or_default()
    );
}

/// A partner reads its client's template and pricing analytics through the client: a utility
/// template sent through Cloud API, delivered and read on the platform clock, counted and
/// priced at the default rate card's US utility rate.
#[tokio::test]
async fn a_partner_reads_template_and_pricing_analytics() {
    let d = demo().await;
    let base = d.running.base_url();
    let graph = GraphClient::new(base.clone())
        .token(&d.token)
        .app_secret(&d.app_secret);
    let waba = bakery(&graph, &d).await;
    let template = graph
        .list_templates(waba)
        .await
        .expect("templates")
        .into_iter()
        .find(|t| t.name == "order_update")
        .expect("order_update");
    let http = reqwest::Client::new();
    let control =
        |body: serde_json::Value| http.post(format!("{base}/_wamm/clock")).json(&body).send();
    control(json!({"set": "2031-02-03T10:00:00Z", "freeze": true}))
        .await
        .expect("clock set");
    send_order_update(&graph, &d, waba, "#7").await;
    control(json!({"advance_seconds": 60}))
        .await
        .expect("clock moved");
    // The bakery confirmed template insights in the demo; confirming again changes nothing.
    graph
        .enable_template_insights(waba)
        .await
        .expect("insights confirmed");
    let query = TemplateAnalyticsQuery {
        start: 1_927_843_200,
        end: 1_927_929_600,
        template_ids: vec![template.id],
        metric_types: Vec::new(),
        product: Product::CloudApi,
    };
    let mut point = None;
    for _ in 0..200 {
        let answer = graph
            .template_analytics(waba, &query)
            .await
            .expect("template analytics");
        assert_eq!(answer.product_type, "cloud_api");
        let p = answer.data_points.first().expect("one point").clone();
        if p.read == Some(1) {
            point = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let point = point.expect("the send was read");
    assert_eq!(point.template_id, template.id);
    assert_eq!((point.sent, point.delivered), (Some(1), Some(1)));
    assert_eq!(point.clicks("url_button"), 0);
    assert_eq!(point.cost("amount_spent"), Some(0.004));
    assert_eq!(point.cost("cost_per_delivered"), Some(0.004));
    // MM API sends are counted apart: none here.
    let mm = graph
        .template_analytics(
            waba,
            &TemplateAnalyticsQuery {
                product: Product::MarketingMessages,
                ..query.clone()
            },
        )
        .await
        .expect("MM analytics");
    assert_eq!(mm.data_points[0].sent, Some(0));
    let pricing = graph
        .pricing_analytics(
            waba,
            &PricingAnalyticsQuery {
                start: 1_927_843_200,
                end: 1_927_929_600,
                granularity: "DAILY".into(),
                dimensions: vec!["PRICING_CATEGORY".into(), "COUNTRY".into()],
            },
        )
        .await
        .expect("pricing analytics");
    assert_eq!(pricing.len(), 1, "{pricing:?}");
    assert_eq!(pricing[0].pricing_category.as_deref(), Some("UTILITY"));
    assert_eq!(pricing[0].country.as_deref(), Some("US"));
    assert_eq!((pricing[0].volume, pricing[0].cost), (Some(1), Some(0.004)));
    d.running.stop().await;
}

/// `wamm partner metrics` against the demo world: a utility template sent through Cloud API
/// and read, synced from template analytics into the orchestrator's store and printed as JSON.
#[tokio::test]
async fn partner_metrics_syncs_and_prints_template_totals() {
    let d = demo().await;
    let base = d.running.base_url();
    let graph = GraphClient::new(base.clone())
        .token(&d.token)
        .app_secret(&d.app_secret);
    let waba = bakery(&graph, &d).await;
    let http = reqwest::Client::new();
    send_order_update(&graph, &d, waba, "#8").await;
    http.post(format!("{base}/_wamm/clock"))
        .json(&json!({"advance_seconds": 60}))
        .send()
        .await
        .expect("clock moved");
    let dir = tempfile::tempdir().expect("tempdir");
    let db = format!("sqlite:{}", dir.path().join("partner.db").display());
    let run = |extra: Vec<String>| {
        let mut args = vec![
            "partner".to_owned(),
            "metrics".to_owned(),
            "--json".to_owned(),
            "--graph-url".to_owned(),
            base.clone(),
            "--business-id".to_owned(),
            d.partner.to_string(),
            "--token".to_owned(),
            d.token.clone(),
            "--app-secret".to_owned(),
            d.app_secret.clone(),
            "--database-url".to_owned(),
            db.clone(),
        ];
        args.extend(extra);
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_wamm"))
                .args(&args)
                .output()
                .expect("wamm runs")
        })
    };
    // The steps are taken by the platform's scheduler within a tick or two.
    let mut found = None;
    for _ in 0..50 {
        let out = run(Vec::new()).await.expect("joined");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let totals: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let row = totals["templates"]
            .as_array()
            .expect("a list")
            .iter()
            .find(|t| t["template_name"] == "order_update" && t["read"] == 1)
            .cloned();
        if row.is_some() {
            found = row;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let row = found.expect("the read send is in the totals");
    assert_eq!(row["product"], "cloud_api");
    assert_eq!(
        (row["sent"].clone(), row["delivered"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(row["cost"], json!(0.004));
    assert_eq!(row["waba_id"], waba.to_string());
    // Without a sync the store answers alone; another business has nothing.
    let out = run(vec!["--no-sync".into(), "--business".into(), "0".into()])
        .await
        .expect("joined");
    assert!(out.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("JSON"),
        json!({"templates": [], "insights": [], "insights_skipped": []})
    );
    d.running.stop().await;
}

/// The Conversions API end to end over a socket: the partner onboards the bakery, sends it a
/// marketing message, the recipient clicks its link (the control API shows the click ID on
/// the URL opened), the bakery's shop reports the purchase to its pixel with the business
/// token and an `fbc` built from that click ID, and template analytics count it on the
/// click's day.
#[tokio::test]
async fn a_purchase_reported_to_the_pixel_counts_for_the_clicked_message() {
    use wamm_client::{ServerEvent, SystemUserTokenRequest};
    let d = demo().await;
    let base = d.running.base_url();
    let graph = GraphClient::new(base.clone())
        .token(&d.token)
        .app_secret(&d.app_secret);
    let waba = bakery(&graph, &d).await;
    let owner: BusinessId = graph
        .waba(waba, "owner_business_info")
        .await
        .expect("the bakery's WABA")["owner_business_info"]["id"]
        .as_str()
        .and_then(|id| id.parse().ok())
        .expect("its owner");
    let http = reqwest::Client::new();
    let control = |path: &str, body: serde_json::Value| {
        http.post(format!("{base}/_wamm/{path}")).json(&body).send()
    };
    control(
        "clock",
        json!({"set": "2031-02-03T10:00:00Z", "freeze": true}),
    )
    .await
    .expect("clock set");
    // Onboarding: the intent, the bakery's admin accepts, Meta's setup completes.
    graph
        .onboard_partners_to_mm_lite(owner, None)
        .await
        .expect("intent sent");
    let requests: serde_json::Value = http
        .get(format!("{base}/_wamm/requests"))
        .send()
        .await
        .expect("requests")
        .json()
        .await
        .expect("JSON");
    let request = requests["data"]
        .as_array()
        .and_then(|rs| {
            rs.iter().find(|r| {
                r["client_business_id"].to_string().trim_matches('"') == owner.to_string()
            })
        })
        .and_then(|r| {
            r["id"]
                .as_str()
                .map(str::to_owned)
                .or(r["id"].as_u64().map(|n| n.to_string()))
        })
        .expect("the bakery's request");
    let accepted = control(&format!("requests/{request}/accept"), json!({}))
        .await
        .expect("accepted");
    assert_eq!(accepted.status(), 200);
    control("clock", json!({"advance_seconds": 700}))
        .await
        .expect("setup done");
    // The bakery's marketing template to the recipient who clicks 45 s later.
    let phone = graph
        .list_phone_numbers(waba)
        .await
        .expect("numbers")
        .into_iter()
        .next()
        .expect("a number");
    let template = graph
        .list_templates(waba)
        .await
        .expect("templates")
        .into_iter()
        .find(|t| t.name == "summer_sale")
        .expect("summer_sale");
    let sent: serde_json::Value = http
        .post(format!("{base}/v23.0/{}/marketing_messages", phone.id))
        .bearer_auth(&d.token)
        .query(&[(
            "appsecret_proof",
            wamm_wire::proof::appsecret_proof(&d.app_secret, &d.token),
        )])
        .json(&json!({"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": "15550990006", "type": "template",
            "template": {"name": "summer_sale", "language": {"code": "en_US"},
                "components": [
                    {"type": "header", "parameters": [{"type": "text", "text": "Jasper's"}]},
                    {"type": "body", "parameters": [{"type": "text", "text": "Maria"}, {"type": "text", "text": "20%"}]}]}}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("JSON");
    let wamid = sent["messages"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a wamid: {sent}"))
        .to_owned();
    control("clock", json!({"advance_seconds": 60}))
        .await
        .expect("clock moved");
    let mut click = serde_json::Value::Null;
    for _ in 0..200 {
        let shown: serde_json::Value = http
            .get(format!("{base}/_wamm/messages/{wamid}"))
            .send()
            .await
            .expect("message")
            .json()
            .await
            .expect("JSON");
        assert_eq!(shown["route"], "marketing_lite", "an MM API send: {shown}");
        if shown["clicks"][0].is_object() {
            click = shown["clicks"][0].clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let fbclid = click["fbclid"].as_str().expect("the recipient clicked");
    assert_eq!(
        click["url"],
        json!(format!(
            "https://jaspersbakery.example/sale?fbclid={fbclid}"
        ))
    );
    // The bakery's shop reports the purchase the next morning, with the business token.
    control("clock", json!({"advance_seconds": 86_400}))
        .await
        .expect("clock moved");
    let business_token = graph
        .system_user_access_token(owner, &SystemUserTokenRequest::default())
        .await
        .expect("the bakery's business token")
        .access_token;
    let shop = GraphClient::new(base.clone())
        .token(&business_token)
        .app_secret(&d.app_secret);
    let datasets = shop.datasets(waba).await.expect("datasets");
    assert_eq!(datasets.len(), 1, "the demo's pixel: {datasets:?}");
    assert_eq!(datasets[0].name.as_deref(), Some("Jasper's Bakery Pixel"));
    let pixel: wamm_wire::ids::PixelId = datasets[0].id.parse().expect("an ID");
    assert_eq!(
        shop.create_dataset(waba, "Another").await.expect("dataset"),
        pixel,
        "the business's dataset is its pixel"
    );
    let now = 1_927_843_200 + 86_400 + 10 * 3600 + 700 + 60;
    let purchase = ServerEvent::web_purchase(
        fbclid,
        now,
        "https://jaspersbakery.example/checkout",
        "Mozilla/5.0",
        42.5,
        "BRL",
    );
    // A test event first: received, counted nowhere.
    let test = shop
        .send_events(pixel, std::slice::from_ref(&purchase), Some("TEST42"))
        .await
        .expect("test event");
    assert_eq!(test.events_received, 1);
    let query = TemplateAnalyticsQuery {
        start: 1_927_843_200,
        end: 1_927_929_600,
        template_ids: vec![template.id],
        metric_types: vec![
            "WEBSITE_PURCHASES".into(),
            "WEBSITE_PURCHASES_CONVERSION_VALUE".into(),
        ],
        product: Product::MarketingMessages,
    };
    let before = graph
        .template_analytics(waba, &query)
        .await
        .expect("analytics");
    let point = before.data_points.first().expect("one point");
    assert_eq!(
        point.other.get("website_purchases"),
        Some(&json!(0)),
        "{point:?}"
    );
    let answer = shop
        .send_events(pixel, &[purchase], None)
        .await
        .expect("events sent");
    assert_eq!(answer.events_received, 1);
    assert!(answer.messages.is_empty() && !answer.fbtrace_id.is_empty());
    let after = graph
        .template_analytics(waba, &query)
        .await
        .expect("analytics");
    let point = after.data_points.first().expect("one point");
    assert_eq!(
        point.other.get("website_purchases"),
        Some(&json!(1)),
        "{point:?}"
    );
    assert_eq!(
        point.other.get("website_purchases_conversion_value"),
        Some(&json!(42.5)),
        "{point:?}"
    );
    // The partner's own token lacks the permission to report events.
    let refused = graph
        .send_events(
            pixel,
            &[ServerEvent::web_purchase(
                fbclid,
                now,
                "https://jaspersbakery.example/",
                "x",
                1.0,
                "BRL",
            )],
            None,
        )
        .await;
    assert!(refused.is_err(), "{refused:?}");
    d.running.stop().await;
}
