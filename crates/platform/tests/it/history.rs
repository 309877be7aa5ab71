//! Worlds with a message history: the past a `history:` section describes is replayed through
//! the send use case and the message lifecycle when the world loads, so template analytics,
//! pricing analytics and Insights answer for past days at once; the same seed gives the same
//! figures, a reload replays from scratch, and the past's statuses reach no subscriber. The
//! demo world answers Insights for the last 30 days.

use serde_json::{Value, json};
use wamm_platform::PlatformConfig;

use crate::support::*;

const BSP: &str = "TOK-HISTORY-BSP-000000000";
const CLIENT_ADS: &str = "TOK-HISTORY-CLIENT-ADS-00";

/// The clock the tests load their world at: the history covers the ten days before.
const NOW: &str = "2031-02-10T12:00:00Z";
/// Template analytics' range: the day before the history, its ten days and today.
const RANGE: &str = "start=2031-01-30&end=2031-02-11&granularity=daily";
const MM: &str = "product_type=MARKETING_MESSAGES_API_FOR_WHATSAPP";

fn world(receiver: &str, seed: &str) -> String {
    format!(
        r##"format: wamm-world/1
apps:
  - key: bsp
    id: "700"
    name: BSP App
    business: partner
    partner_type: BSP
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced,
                   business_management: advanced, ads_read: advanced }}
    webhooks: [{{ callback_url: "{receiver}", verify_token: verify-me, fields: [messages] }}]
businesses:
  - key: partner
    id: "600"
    name: Partner Co
    country: US
    system_users:
      - key: ops
        id: "601"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {BSP}, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management] }}
  - key: shop
    id: "810"
    name: Shop
    country: BR
    mm_terms_signed_at: 2025-10-07
    system_users:
      - key: owner
        id: "811"
        name: Owner
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {CLIENT_ADS}, scopes: [whatsapp_business_management, ads_read] }}
    wabas:
      - key: w
        id: "8100"
        name: Shop WABA
        tax_country: BR
        insights_enabled_at: 2025-10-08
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: bsp }}]
        phone_numbers:
          - {{ key: main, id: "81000", display_phone_number: "+55 11 4000-0001", verified_name: Shop }}
        templates:
          - {{ id: "5100", name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Hi {{{{1}}}}, big sale", example: {{ body_text: [[Ana]] }} }},
                            {{ type: BUTTONS, buttons: [{{ type: URL, text: "Shop now", url: "https://shop.example/" }}] }}] }}
          - {{ id: "5102", name: receipt, language: en_US, category: UTILITY, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Thanks" }}] }}
        history:
          days: 10
          {seed}
          templates:
            - {{ name: promo, marketing_messages: 20, messages: 4 }}
            - {{ name: receipt, messages: 3 }}
          recipients: 40
          conversion_rate: 0.5
"##
    )
}

/// A platform on `backend` with the clock frozen at [`NOW`] and `world` loaded.
async fn start(backend: Backend, seed: Option<u64>, world: &str) -> TestPlatform {
    let config = PlatformConfig {
        seed,
        ..PlatformConfig::default()
    };
    let p = TestPlatform::start_with(backend, config, None).await;
    p.clock(json!({"set": NOW, "freeze": true})).await;
    p.running
        .handle()
        .load_world(world)
        .await
        .expect("the world loads");
    p
}

/// The daily data points of `template` (MM API when `mm`, else Cloud API), oldest day first.
async fn points(p: &TestPlatform, template: &str, mm: bool) -> Vec<Value> {
    let product = if mm { format!("&{MM}") } else { String::new() };
    let r = p
        .get(
            &format!(
                "/v23.0/8100/template_analytics?{RANGE}&template_ids=[{template}]{product}&metric_types=SENT,DELIVERED,READ,CLICKED,COST"
            ),
            BSP,
        )
        .await;
    let mut points = r.ok()["data"][0]["data_points"]
        .as_array()
        .expect("data points")
        .clone();
    points.reverse();
    points
}

fn sum(points: &[Value], metric: &str) -> i64 {
    points.iter().map(|p| p[metric].as_i64().unwrap_or(0)).sum()
}

fn clicks(points: &[Value]) -> i64 {
    points
        .iter()
        .flat_map(|p| p["clicked"].as_array().cloned().unwrap_or_default())
        .filter(|c| c["type"] == "url_button")
        .map(|c| c["count"].as_i64().unwrap_or(0))
        .sum()
}

/// Every figure the tests compare: template analytics per day and route, pricing analytics
/// and the account's Insights.
async fn figures(p: &TestPlatform) -> Value {
    let account = ad_account(p).await;
    let pricing = p
        .get(
            "/v23.0/8100?fields=pricing_analytics.start(1927497600).end(1928534400).granularity(DAILY)",
            BSP,
        )
        .await;
    let insights = p
        .get(
            &format!("/v25.0/act_{account}/insights?time_range={{\"since\":\"2031-01-31\",\"until\":\"2031-02-09\"}}&time_increment=1&fields=marketing_messages_sent,marketing_messages_delivered,marketing_messages_read,marketing_messages_link_btn_click,marketing_messages_website_purchase,marketing_messages_website_add_to_cart,marketing_messages_spend"),
            CLIENT_ADS,
        )
        .await;
    json!({
        "mm": points(p, "5100", true).await,
        "cloud": points(p, "5100", false).await,
        "receipt": points(p, "5102", false).await,
        "pricing": pricing.ok()["pricing_analytics"].clone(),
        "insights": insights.ok()["data"].clone(),
    })
}

/// The ad account linked to the WABA.
async fn ad_account(p: &TestPlatform) -> String {
    p.get("/v23.0/5100?fields=ad_account_id", BSP).await.ok()["ad_account_id"]
        .as_str()
        .expect("the template's ad account")
        .to_owned()
}

async fn the_past_answers_in_every_metric(backend: Backend) {
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let p = start(backend, Some(7), &world(&receiver.url, "")).await;
    let account = ad_account(&p).await;

    // MM API: every day of the history has sends, each delivered the same day; the day before
    // and today have none. Reads and URL button clicks happened.
    let mm = points(&p, "5100", true).await;
    assert_eq!(mm.len(), 12, "{mm:?}");
    assert_eq!(
        (mm[0]["sent"].clone(), mm[11]["sent"].clone()),
        (json!(0), json!(0))
    );
    for day in &mm[1..11] {
        let sent = day["sent"].as_i64().unwrap_or(0);
        assert!(sent >= 5, "{day}");
        assert_eq!(day["delivered"], sent, "{day}");
    }
    let (sent, read, clicked) = (sum(&mm, "sent"), sum(&mm, "read"), clicks(&mm));
    assert!(read > sent / 3 && read < sent, "{sent} sent, {read} read");
    assert!(
        clicked > 0 && clicked < read,
        "{read} read, {clicked} clicked"
    );
    // Cloud API: the same template and a utility one.
    let cloud = points(&p, "5100", false).await;
    let receipt = points(&p, "5102", false).await;
    assert!(sum(&cloud, "sent") > 0 && sum(&receipt, "sent") > 0);
    assert_eq!(clicks(&receipt), 0, "no URL button, no clicks");

    // Pricing analytics price every delivery, MM API and Cloud API alike.
    let f = figures(&p).await;
    let volume: i64 = f["pricing"]["data"][0]["data_points"]
        .as_array()
        .expect("pricing points")
        .iter()
        .map(|d| d["volume"].as_i64().unwrap_or(0))
        .sum();
    let delivered = sum(&mm, "delivered") + sum(&cloud, "delivered") + sum(&receipt, "delivered");
    assert_eq!(volume, delivered);

    // Insights count the MM API sends, day by day, with their conversions.
    let rows = f["insights"].as_array().expect("insights rows");
    assert_eq!(rows.len(), 10);
    let insight = |field: &str| -> i64 {
        rows.iter()
            .map(|r| r[field].as_str().and_then(|v| v.parse().ok()).unwrap_or(0))
            .sum()
    };
    assert_eq!(insight("marketing_messages_sent"), sent);
    assert_eq!(insight("marketing_messages_read"), read);
    assert_eq!(insight("marketing_messages_link_btn_click"), clicked);
    assert!(
        insight("marketing_messages_website_purchase")
            + insight("marketing_messages_website_add_to_cart")
            > 0,
        "{rows:?}"
    );
    let account_rows = p
        .get(
            &format!(
                "/v26.0/act_{account}/insights?date_preset=last_30d&fields=marketing_messages_sent"
            ),
            CLIENT_ADS,
        )
        .await;
    assert_eq!(
        account_rows.ok()["data"][0]["marketing_messages_sent"],
        sent.to_string()
    );

    // The sends are in the event log, at their times; the replay says what it did.
    let events = p
        .call(reqwest::Method::GET, "/_wamm/events?limit=1000", None, None)
        .await
        .json;
    let events = events["data"].as_array().cloned().unwrap_or_default();
    let accepted = events
        .iter()
        .filter(|e| e["kind"] == "message.accepted")
        .count();
    let total = sent + sum(&cloud, "sent") + sum(&receipt, "sent");
    assert_eq!(i64::try_from(accepted).unwrap_or(0), total);
    let replayed = events
        .iter()
        .find(|e| e["kind"] == "world.history_replayed")
        .expect("the replay is logged");
    assert_eq!(replayed["detail"]["messages"], total);
    assert_eq!(replayed["detail"]["refused"], 0);

    // None of the past's statuses was enqueued for the subscribed app; a live send's are.
    let stats = p
        .call(reqwest::Method::GET, "/_wamm/webhooks/stats", None, None)
        .await
        .json;
    assert_eq!(stats, json!({"pending": 0, "delivered": 0, "dropped": 0}));
    p.post(
        "/v23.0/81000/marketing_messages",
        BSP,
        &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "5511990001234", "type": "template",
                "template": {"name": "promo", "language": {"code": "en_US"},
                             "components": [{"type": "body", "parameters": [{"type": "text", "text": "Ana"}]}]}}),
    )
    .await
    .ok();
    receiver.wait_for_entries(1).await;
    p.finish().await;
}

async fn a_seed_gives_the_same_past_and_a_reload_replays_it(backend: Backend) {
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let text = world(&receiver.url, "");
    let a = start(backend, Some(7), &text).await;
    let first = figures(&a).await;
    // Loading the world again starts the past over: the same figures, not twice them.
    let r = a
        .raw(
            reqwest::Method::POST,
            "/_wamm/world",
            "",
            "application/yaml",
            text.as_bytes().to_vec(),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json);
    assert!(r.json["counts"]["history_messages"].as_i64().unwrap_or(0) > 0);
    assert_eq!(figures(&a).await, first);
    a.finish().await;

    let b = start(Backend::Sqlite, Some(7), &text).await;
    assert_eq!(figures(&b).await, first, "the same --seed, the same past");
    b.finish().await;
    let c = start(Backend::Sqlite, Some(8), &text).await;
    assert_ne!(figures(&c).await, first, "another --seed, another past");
    c.finish().await;
    // The history's own seed wins over the platform's.
    let own = world(&receiver.url, "seed: 8");
    let d = start(Backend::Sqlite, Some(7), &own).await;
    let e = start(Backend::Sqlite, Some(9), &own).await;
    assert_eq!(figures(&d).await, figures(&e).await);
    d.finish().await;
    e.finish().await;
}

async fn the_demo_world_answers_insights_for_the_last_30_days(backend: Backend) {
    let p = TestPlatform::start_with(backend, PlatformConfig::default(), None).await;
    let handle = p.running.handle();
    let summary = handle
        .ensure_demo()
        .await
        .expect("the demo loads")
        .expect("into an empty store");
    let welcome = handle.welcome(Some(&summary)).await.expect("credentials");
    let token = welcome.access_token.clone();
    let world = p
        .call(reqwest::Method::GET, "/_wamm/world?format=json", None, None)
        .await
        .json;
    let client = world["businesses"]
        .as_array()
        .expect("businesses")
        .iter()
        .find(|b| b["name"] == "Already Signed Co")
        .expect("the demo's onboarded client")
        .clone();
    let waba = client["wabas"][0].clone();
    let waba_id = waba["id"].as_str().expect("WABA ID").to_owned();
    let template = waba["templates"][0]["id"]
        .as_str()
        .expect("template ID")
        .to_owned();
    let ad_account = p
        .get(&format!("/v26.0/{template}?fields=ad_account_id"), &token)
        .await
        .ok()["ad_account_id"]
        .as_str()
        .expect("ad account")
        .to_owned();
    // Template analytics over the last 30 days, with the partner's printed token.
    let now = handle.now().unix_seconds();
    let r = p
        .get(
            &format!(
                "/v26.0/{waba_id}/template_analytics?start={}&end={now}&granularity=daily&template_ids=[{template}]&{MM}&metric_types=SENT,READ,CLICKED",
                now - 30 * 86_400
            ),
            &token,
        )
        .await;
    let points = r.ok()["data"][0]["data_points"]
        .as_array()
        .expect("points")
        .clone();
    assert!(sum(&points, "sent") > 0 && sum(&points, "read") > 0);
    assert!(clicks(&points) > 0);
    // Insights, with the business token the partner fetches for its client.
    let proof = wamm_wire::proof::appsecret_proof(&welcome.app_secret, &token);
    let client_id = client["id"].as_str().expect("client ID");
    let bisuat = p
        .post(
            &format!("/v26.0/{client_id}/system_user_access_tokens?appsecret_proof={proof}"),
            &token,
            &json!({}),
        )
        .await;
    let bisuat = bisuat.ok()["access_token"]
        .as_str()
        .expect("a business token")
        .to_owned();
    for level in ["account", "ad"] {
        let r = p
            .get(
                &format!(
                    "/v26.0/act_{ad_account}/insights?date_preset=last_30d&level={level}&fields=marketing_messages_sent,marketing_messages_delivered,marketing_messages_read,marketing_messages_link_btn_click"
                ),
                &bisuat,
            )
            .await;
        let row = &r.ok()["data"][0];
        for field in [
            "marketing_messages_sent",
            "marketing_messages_delivered",
            "marketing_messages_read",
            "marketing_messages_link_btn_click",
        ] {
            let n: i64 = row[field]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            assert!(n > 0, "{level}: {field} in {row}");
        }
    }
    p.finish().await;
}

crate::on_both_backends!(
    the_past_answers_in_every_metric,
    a_seed_gives_the_same_past_and_a_reload_replays_it,
    the_demo_world_answers_insights_for_the_last_30_days,
);
