//! Template insights and template analytics over HTTP: confirming insights, then per template
//! and per UTC day what MM API and Cloud API sends did and cost, as the facts their steps
//! committed add up; every spelling clients send, and every refusal.

use serde_json::{Value, json};

use crate::support::*;

const BSP: &str = "TOK-ANALYTICS-BSP-000000";
const SENDER: &str = "TOK-ANALYTICS-SEND-00000";

fn world() -> String {
    format!(
        r##"format: wamm-world/1
apps:
  - {{ key: bsp, id: "700", name: BSP App, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced, business_management: advanced }} }}
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
          - {{ app: bsp, token: {SENDER}, scopes: [whatsapp_business_messaging] }}
  - key: onb
    id: "810"
    name: Onboarded Shop
    country: BR
    mm_terms_signed_at: 2025-10-07
    wabas:
      - key: insights
        id: "8100"
        name: Insights WABA
        tax_country: BR
        insights_enabled_at: 2025-10-08
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "81000", display_phone_number: "+55 11 4000-0001", verified_name: Shop }}
        templates:
          - {{ id: "5100", name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Big sale" }},
                            {{ type: BUTTONS, buttons: [{{ type: URL, text: "Shop now", url: "https://shop.example/" }}] }}] }}
          - {{ id: "5101", name: plain, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "No button" }}] }}
      - key: dark
        id: "8101"
        name: Not Confirmed WABA
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "81010", display_phone_number: "+55 11 4000-0011", verified_name: Dark }}
        templates:
          - {{ id: "5110", name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01, components: [{{ type: BODY, text: Sale }}] }}
      - key: billed
        id: "8102"
        name: Partner Billed WABA
        tax_country: BR
        timezone_id: "9999"
        payment_method: false
        insights_enabled_at: 2025-10-08
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "81020", display_phone_number: "+55 11 4000-0021", verified_name: Billed }}
        templates:
          - {{ id: "5120", name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01, components: [{{ type: BODY, text: Sale }}] }}
"##
    )
}

/// A platform holding this file's world.
async fn start(backend: Backend) -> TestPlatform {
    TestPlatform::start_with(
        backend,
        wamm_platform::PlatformConfig::default(),
        Some(&world()),
    )
    .await
}

/// A send of `name` to `to` on `phone`, through MM API or Cloud API; its wamid.
async fn send(p: &TestPlatform, phone: &str, edge: &str, name: &str, to: &str) -> String {
    p.post(
        &format!("/v23.0/{phone}/{edge}"),
        BSP,
        &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
                "template": {"name": name, "language": {"code": "en_US"}}}),
    )
    .await
    .ok()["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_owned()
}

async fn analytics(p: &TestPlatform, waba: &str, query: &str) -> Resp {
    p.get(&format!("/v23.0/{waba}/template_analytics?{query}"), BSP)
        .await
}

/// The standard call of the tests: 2031-02-03, DAILY, `template_ids` and the MM product.
const DAY: &str = "start=2031-02-03&end=2031-02-04&granularity=daily";
const MM: &str = "product_type=MARKETING_MESSAGES_API_FOR_WHATSAPP";

/// The first data point of an answer.
fn point(r: &Resp) -> Value {
    r.ok()["data"][0]["data_points"][0].clone()
}

/// Four MM API sends of `promo` (one recipient clicks, one reads, two only receive) and one
/// Cloud API send, on 2031-02-03, with every later step taken.
async fn a_day_of_sends(p: &TestPlatform) {
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    for to in ["15550990006", "15550990005", "16315552222", "16315553333"] {
        send(p, "81000", "marketing_messages", "promo", to).await;
    }
    send(p, "81000", "messages", "promo", "16315554444").await;
    p.clock(json!({"advance_seconds": 60})).await;
    // The scheduler takes the due steps within a tick or two.
    for _ in 0..200 {
        let r = analytics(p, "8100", &format!("{DAY}&template_ids=[5100]&{MM}")).await;
        let clicked = &point(&r)["clicked"];
        if clicked[0]["count"] == 1 && point(&r)["read"] == 2 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("the sends' steps were not all taken");
}

async fn sends_add_up_per_template_and_day(backend: Backend) {
    let p = start(backend).await;
    a_day_of_sends(&p).await;
    let r = analytics(&p, "8100", &format!("{DAY}&template_ids=[5100]&{MM}")).await;
    // US recipients: the default rate card's US marketing rate, 0.025 per delivery.
    let cursors = &r.ok()["paging"]["cursors"];
    assert!(
        cursors["before"].is_string() && cursors["after"].is_string(),
        "{}",
        r.text
    );
    assert_eq!(
        r.ok()["data"],
        json!([{"granularity": "DAILY", "product_type": "marketing_messages_api_for_whatsapp",
            "data_points": [{"template_id": "5100", "start": 1_927_843_200, "end": 1_927_929_600,
                "sent": 4, "delivered": 4, "read": 2, "replied": 0,
                "clicked": [{"type": "url_button", "button_content": "Shop now", "count": 1},
                            {"type": "unique_url_button", "button_content": "Shop now", "count": 1}],
                "cost": [{"type": "amount_spent", "value": 0.1},
                         {"type": "cost_per_delivered", "value": 0.025},
                         {"type": "cost_per_url_button_click", "value": 0.1}],
                "app_activations": 0, "app_add_to_cart": 0, "app_checkouts_initiated": 0,
                "app_purchases": 0, "app_purchases_conversion_value": 0.0,
                "website_add_to_cart": 0, "website_checkouts_initiated": 0,
                "website_purchases": 0, "website_purchases_conversion_value": 0.0}]}]),
        "{}",
        r.text
    );
    // The same question in every spelling clients use gives the same answer.
    let asked = "metric_types=sent,delivered,read,clicked,cost";
    let expected = analytics(
        &p,
        "8100",
        &format!("{DAY}&template_ids=[5100]&{MM}&{asked}"),
    )
    .await
    .ok()
    .clone();
    for query in [
        format!(
            "{DAY}&template_ids=[\"5100\"]&{MM}&metric_types=[\"SENT\",\"DELIVERED\",\"READ\",\"CLICKED\",\"COST\"]"
        ),
        format!("start=1927843200&end=1927929600&granularity=DAILY&template_ids=5100&{MM}&{asked}"),
        format!(
            "start=1927843200&end=1927879200&granularity=DAILY&template_ids=5100&{MM}&{asked}&summary=true"
        ),
    ] {
        let r = analytics(&p, "8100", &query).await;
        assert_eq!(r.ok(), &expected, "{query}: {}", r.text);
    }
    let lite = analytics(
        &p,
        "8100",
        &format!("{DAY}&template_ids=[5100]&product_type=MARKETING_MESSAGES_LITE_API&{asked}"),
    )
    .await;
    assert_eq!(
        lite.ok()["data"][0]["product_type"],
        "marketing_messages_lite_api"
    );
    assert_eq!(
        point(&lite),
        point(
            &analytics(
                &p,
                "8100",
                &format!("{DAY}&template_ids=[5100]&{MM}&{asked}")
            )
            .await
        )
    );
    // Without product_type only Cloud API sends count: the one `/messages` send.
    let cloud = analytics(&p, "8100", &format!("{DAY}&template_ids=[5100]&{asked}")).await;
    assert_eq!(cloud.ok()["data"][0]["product_type"], "cloud_api");
    let c = point(&cloud);
    assert_eq!(
        (c["sent"].clone(), c["delivered"].clone(), c["read"].clone()),
        (json!(1), json!(1), json!(0))
    );
    assert!(
        c.get("app_purchases").is_none(),
        "conversions are MM API's only"
    );
    // A template without a URL button has no clicks to list and no cost per click; days
    // without activity are there with zeros, newest first.
    let r = analytics(
        &p,
        "8100",
        &format!("start=2031-02-02&end=2031-02-04&granularity=DAILY&template_ids=[5101,5100]&{MM}&{asked}"),
    )
    .await;
    let points = r.ok()["data"][0]["data_points"]
        .as_array()
        .expect("points")
        .clone();
    let order: Vec<(Value, Value)> = points
        .iter()
        .map(|p| (p["template_id"].clone(), p["start"].clone()))
        .collect();
    assert_eq!(
        order,
        vec![
            (json!("5101"), json!(1_927_843_200)),
            (json!("5100"), json!(1_927_843_200)),
            (json!("5101"), json!(1_927_756_800)),
            (json!("5100"), json!(1_927_756_800)),
        ]
    );
    assert_eq!(points[0]["clicked"], json!([]));
    assert_eq!(
        points[0]["cost"],
        json!([{"type": "amount_spent", "value": 0.0}])
    );
    assert_eq!(points[3]["sent"], 0);
    // Templates of other WABAs are left out.
    let r = analytics(&p, "8100", &format!("{DAY}&template_ids=[5110]&{MM}")).await;
    assert_eq!(r.ok()["data"][0]["data_points"], json!([]));
    p.finish().await;
}

/// The WABA's `is_enabled_for_insights`.
async fn insights_of(p: &TestPlatform, waba: &str) -> Value {
    p.get(
        &format!("/v23.0/{waba}?fields=is_enabled_for_insights"),
        BSP,
    )
    .await
    .ok()["is_enabled_for_insights"]
        .clone()
}

async fn insights_are_confirmed_once_and_for_good(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    assert_eq!(insights_of(&p, "8101").await, false);
    let r = analytics(&p, "8101", &format!("{DAY}&template_ids=[5110]")).await;
    r.graph_error(400, 100, None);
    assert_eq!(
        r.json["error"]["error_user_title"],
        "Template insights not enabled"
    );
    let r = p
        .post(
            "/v23.0/8101",
            BSP,
            &json!({"is_enabled_for_insights": true}),
        )
        .await;
    assert_eq!(r.ok(), &json!({"id": "8101"}));
    assert_eq!(insights_of(&p, "8101").await, true);
    // Again: nothing changes; turning it off is refused.
    p.post(
        "/v23.0/8101",
        BSP,
        &json!({"is_enabled_for_insights": "true"}),
    )
    .await
    .ok();
    p.post(
        "/v23.0/8101",
        BSP,
        &json!({"is_enabled_for_insights": false}),
    )
    .await
    .graph_error(400, 100, None);
    assert_eq!(insights_of(&p, "8101").await, true);
    assert_eq!(
        analytics(&p, "8101", &format!("{DAY}&template_ids=[5110]"))
            .await
            .ok()["data"][0]["data_points"][0]["sent"],
        0
    );
    p.finish().await;
}

async fn bad_questions_are_refused(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    let eleven = (0..11)
        .map(|i| (5100 + i).to_string())
        .collect::<Vec<_>>()
        .join(",");
    for query in [
        format!("{DAY}&template_ids=[{eleven}]"),
        "start=2030-11-01&end=2031-02-03&granularity=DAILY&template_ids=[5100]".to_owned(),
        "start=2031-02-03&end=2031-02-03&granularity=DAILY&template_ids=[5100]".to_owned(),
        "start=2031-02-03&end=2031-02-04&granularity=HOURLY&template_ids=[5100]".to_owned(),
        "start=2031-02-03&end=2031-02-04&template_ids=[5100]".to_owned(),
        DAY.to_owned(),
        format!("{DAY}&template_ids=[abc]"),
        format!("{DAY}&template_ids=[5100]&metric_types=LIKES"),
        format!("{DAY}&template_ids=[5100]&product_type=PAGES"),
        "start=yesterday&end=2031-02-04&granularity=DAILY&template_ids=[5100]".to_owned(),
    ] {
        analytics(&p, "8100", &query)
            .await
            .graph_error(400, 100, None);
    }
    // Cost is hidden from a business billed through its partner, and refused when asked.
    let r = analytics(&p, "8102", &format!("{DAY}&template_ids=[5120]")).await;
    assert!(point(&r).get("cost").is_none(), "{}", r.text);
    assert!(point(&r).get("sent").is_some());
    let r = analytics(
        &p,
        "8102",
        &format!("{DAY}&template_ids=[5120]&metric_types=COST"),
    )
    .await;
    r.graph_error(400, 100, None);
    assert_eq!(r.json["error"]["error_user_title"], "Cost not available");
    // Reading analytics takes whatsapp_business_management.
    let r = p
        .get(
            &format!("/v23.0/8100/template_analytics?{DAY}&template_ids=[5100]"),
            SENDER,
        )
        .await;
    assert_eq!(
        (r.status, r.json["error"]["code"].clone()),
        (403, json!(200)),
        "{}",
        r.text
    );
    p.finish().await;
}

async fn analytics_fields_of_the_waba_answer_as_their_edges(backend: Backend) {
    let p = start(backend).await;
    a_day_of_sends(&p).await;
    // The field form of template analytics answers what the edge answers.
    let edge = analytics(&p, "8100", &format!("{DAY}&template_ids=[5100]&{MM}"))
        .await
        .ok()
        .clone();
    let r = p
        .get(
            "/v23.0/8100?fields=template_analytics.start(1927843200).end(1927929600).granularity(DAILY).template_ids([\"5100\"]).product_type(MARKETING_MESSAGES_API_FOR_WHATSAPP)",
            BSP,
        )
        .await;
    assert_eq!(r.ok()["template_analytics"], edge, "{}", r.text);
    assert_eq!(r.ok()["id"], "8100");
    // Pricing analytics: the four MM API deliveries and the Cloud API one, by category, type,
    // tier and country; then summed over everything.
    let r = p
        .get(
            "/v23.0/8100?fields=pricing_analytics.start(1927843200).end(1927929600).granularity(DAILY).dimensions(PRICING_CATEGORY,PRICING_TYPE,TIER,COUNTRY)",
            BSP,
        )
        .await;
    assert_eq!(
        r.ok()["pricing_analytics"],
        json!({"data": [{"data_points": [
            {"start": 1_927_843_200, "end": 1_927_929_600, "country": "US", "tier": "0:MAX",
             "pricing_type": "REGULAR", "pricing_category": "MARKETING_LITE", "volume": 4, "cost": 0.1},
            {"start": 1_927_843_200, "end": 1_927_929_600, "country": "US", "tier": "0:MAX",
             "pricing_type": "REGULAR", "pricing_category": "MARKETING", "volume": 1, "cost": 0.025},
        ]}]}),
        "{}",
        r.text
    );
    let r = p
        .get(
            "/v23.0/8100?fields=pricing_analytics.start(1927843200).end(1927929600).granularity(MONTHLY).metric_types([\"VOLUME\"]).phone_numbers([\"551140000001\"])",
            BSP,
        )
        .await;
    assert_eq!(
        r.ok()["pricing_analytics"]["data"][0]["data_points"],
        json!([{"start": 1_927_843_200, "end": 1_927_929_600, "volume": 5}]),
        "{}",
        r.text
    );
    // Messaging analytics: sent and delivered (no reads), per number; only template
    // messages (product type 0) were sent.
    let r = p
        .get(
            "/v23.0/8100?fields=analytics.start(1927843200).end(1927929600).granularity(DAY).product_types([0,2])",
            BSP,
        )
        .await;
    assert_eq!(
        r.ok()["analytics"],
        json!({"phone_numbers": ["551140000001"], "granularity": "DAY", "data_points": [
            {"start": 1_927_843_200, "end": 1_927_929_600, "sent": 5, "delivered": 5}]}),
        "{}",
        r.text
    );
    let none = p
        .get(
            "/v23.0/8100?fields=analytics.start(1927843200).end(1927929600).granularity(MONTH).product_types([2]).country_codes([\"BR\"])",
            BSP,
        )
        .await;
    assert_eq!(none.ok()["analytics"]["data_points"], json!([]));
    assert_eq!(none.ok()["analytics"]["country_codes"], json!(["BR"]));
    // Conversation analytics: each delivered message is one conversation since per-message
    // pricing; MM API's under MARKETING_LITE, also asked for as MARKETING_MESSAGES.
    let r = p
        .get(
            "/v23.0/8100?fields=conversation_analytics.start(1927843200).end(1927929600).granularity(DAILY).dimensions([\"CONVERSATION_CATEGORY\",\"CONVERSATION_TYPE\",\"CONVERSATION_DIRECTION\"])",
            BSP,
        )
        .await;
    assert_eq!(
        r.ok()["conversation_analytics"],
        json!({"data": [{"data_points": [
            {"start": 1_927_843_200, "end": 1_927_929_600, "conversation": 4,
             "conversation_type": "REGULAR", "conversation_direction": "BUSINESS_INITIATED",
             "conversation_category": "MARKETING_LITE", "cost": 0.1},
            {"start": 1_927_843_200, "end": 1_927_929_600, "conversation": 1,
             "conversation_type": "REGULAR", "conversation_direction": "BUSINESS_INITIATED",
             "conversation_category": "MARKETING", "cost": 0.025},
        ]}]}),
        "{}",
        r.text
    );
    let mm_only = p
        .get(
            "/v23.0/8100?fields=conversation_analytics.start(1927843200).end(1927929600).granularity(DAILY).conversation_categories(MARKETING_MESSAGES).metric_types([CONVERSATION])",
            BSP,
        )
        .await;
    assert_eq!(
        mm_only.ok()["conversation_analytics"]["data"][0]["data_points"],
        json!([{"start": 1_927_843_200, "end": 1_927_929_600, "conversation": 4}])
    );
    for bad in [
        "analytics.start(1927843200).end(1927929600).granularity(WEEK)",
        "analytics.start(1927843200).end(1927929600).granularity(DAY).product_types([1])",
        "analytics.start(1927843200).granularity(DAY)",
        "conversation_analytics.start(1927843200).end(1927929600).granularity(DAILY).conversation_categories([LIKES])",
        "conversation_analytics.start(1927843200).end(1927929600).granularity(DAILY).dimensions([WEATHER])",
    ] {
        p.get(&format!("/v23.0/8100?fields={bad}"), BSP)
            .await
            .graph_error(400, 100, None);
    }
    p.get(
        "/v23.0/8102?fields=conversation_analytics.start(1927843200).end(1927929600).granularity(DAILY).metric_types([COST])",
        BSP,
    )
    .await
    .graph_error(400, 100, None);
    // Refusals travel with the field.
    p.get(
        "/v23.0/8100?fields=pricing_analytics.start(1927843200).end(1927929600).granularity(WEEKLY)",
        BSP,
    )
    .await
    .graph_error(400, 100, None);
    p.get(
        "/v23.0/8102?fields=pricing_analytics.start(1927843200).end(1927929600).granularity(DAILY).metric_types([COST])",
        BSP,
    )
    .await
    .graph_error(400, 100, None);
    p.finish().await;
}

/// `POST /_wamm/messages/{wamid}/convert`.
async fn convert(p: &TestPlatform, wamid: &str, body: Value) -> Resp {
    p.call(
        reqwest::Method::POST,
        &format!("/_wamm/messages/{wamid}/convert"),
        None,
        Some(&body),
    )
    .await
}

async fn conversions_count_for_the_clicked_message(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    let clicked = send(&p, "81000", "marketing_messages", "promo", "15550990006").await;
    let read_only = send(&p, "81000", "marketing_messages", "promo", "15550990005").await;
    p.clock(json!({"advance_seconds": 60})).await;
    let asked = "metric_types=WEBSITE_PURCHASES,WEBSITE_PURCHASES_CONVERSION_VALUE,WEBSITE_ADD_TO_CART,APP_ACTIVATIONS,CLICKED";
    let query = format!("{DAY}&template_ids=[5100]&{MM}&{asked}");
    for _ in 0..200 {
        if point(&analytics(&p, "8100", &query).await)["clicked"][0]["count"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    // The control API shows the click with Meta's click ID on the CTA URL the recipient opened.
    let shown = p
        .call(
            reqwest::Method::GET,
            &format!("/_wamm/messages/{clicked}"),
            None,
            None,
        )
        .await;
    let click = &shown.ok()["clicks"][0];
    let fbclid = click["fbclid"].as_str().expect("fbclid").to_owned();
    assert!(fbclid.starts_with("IwAR"), "{click}");
    assert_eq!(
        click["url"],
        json!(format!("https://shop.example/?fbclid={fbclid}"))
    );
    assert!(
        click["at"]
            .as_str()
            .is_some_and(|at| at.starts_with("2031-02-03T10:00:45")),
        "the click 45 s after the send: {click}"
    );
    // The next morning the recipient buys, and adds something else to the cart.
    p.clock(json!({"advance_seconds": 86_400})).await;
    let r = convert(&p, &clicked, json!({"event": "Purchase", "value": 499})).await;
    assert_eq!(
        r.ok()["counted_on"],
        "2031-02-03",
        "counted on the click's day"
    );
    convert(&p, &clicked, json!({"event": "AddToCart"}))
        .await
        .ok();
    convert(
        &p,
        &clicked,
        json!({"event": "ActivateApp", "channel": "app"}),
    )
    .await
    .ok();
    let pt = point(&analytics(&p, "8100", &query).await);
    assert_eq!(
        (
            pt["website_purchases"].clone(),
            pt["website_purchases_conversion_value"].clone(),
            pt["website_add_to_cart"].clone(),
            pt["app_activations"].clone()
        ),
        (json!(1), json!(499.0), json!(1), json!(1)),
        "{pt}"
    );
    // Nothing to attribute: no click, a website activation, an unknown event, an unknown
    // message, and a click more than 7 days back.
    for (wamid, body) in [
        (read_only.as_str(), json!({"event": "Purchase", "value": 5})),
        (clicked.as_str(), json!({"event": "ActivateApp"})),
        (clicked.as_str(), json!({"event": "Like"})),
        (clicked.as_str(), json!({"event": "Purchase", "value": -1})),
    ] {
        assert_eq!(convert(&p, wamid, body).await.status, 400);
    }
    assert_eq!(
        convert(&p, "wamid.nothing", json!({"event": "Purchase"}))
            .await
            .status,
        404
    );
    p.clock(json!({"advance_seconds": 7 * 86_400})).await;
    let r = convert(&p, &clicked, json!({"event": "Purchase", "value": 1})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.text.contains("7 days"), "{}", r.text);
    assert_eq!(
        point(&analytics(&p, "8100", &query).await)["website_purchases"],
        1
    );
    p.finish().await;
}

/// With `use_waba_timezone=true`, days are the WABA's: Insights WABA is in Meta's zone 1
/// (Los Angeles, UTC-8 in February), so a send at 06:00 UTC counts on the day before.
async fn days_in_the_wabas_time_zone(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"set": "2031-02-03T06:00:00Z"})).await;
    send(&p, "81000", "marketing_messages", "promo", "16315552222").await;
    p.clock(json!({"advance_seconds": 60})).await;
    let utc = format!("{DAY}&template_ids=[5100]&{MM}&metric_types=SENT");
    for _ in 0..200 {
        if point(&analytics(&p, "8100", &utc).await)["sent"] == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(point(&analytics(&p, "8100", &utc).await)["sent"], 1);
    let local = analytics(
        &p,
        "8100",
        &format!("start=2031-02-02&end=2031-02-03&granularity=DAILY&template_ids=[5100]&{MM}&metric_types=SENT&use_waba_timezone=true"),
    )
    .await;
    let entry = &local.ok()["data"][0];
    assert_eq!(
        entry["waba_timezone"], "America/Los_Angeles",
        "{}",
        local.text
    );
    // Feb 2 in Los Angeles runs from 08:00 UTC to 08:00 UTC the next day.
    assert_eq!(
        entry["data_points"],
        json!([{"template_id": "5100", "start": 1_927_785_600,
                "end": 1_927_872_000, "sent": 1}])
    );
    // The same instant as Unix seconds is read on the zone's clock too.
    let unix = analytics(
        &p,
        "8100",
        &format!("start={}&end={}&granularity=DAILY&template_ids=[5100]&{MM}&metric_types=SENT&use_waba_timezone=true", 1_927_785_600, 1_927_872_000),
    )
    .await;
    assert_eq!(unix.ok()["data"][0]["data_points"], entry["data_points"]);
    // Local Feb 3 has not begun: refused as a range in the future. Once it has, nothing was
    // sent on it, though UTC Feb 3 had the send.
    analytics(
        &p,
        "8100",
        &format!("{DAY}&template_ids=[5100]&{MM}&metric_types=SENT&use_waba_timezone=true"),
    )
    .await
    .graph_error(400, 100, None);
    p.clock(json!({"set": "2031-02-03T12:00:00Z"})).await;
    let feb3 = analytics(
        &p,
        "8100",
        &format!("{DAY}&template_ids=[5100]&{MM}&metric_types=SENT&use_waba_timezone=true"),
    )
    .await;
    assert_eq!(point(&feb3)["sent"], 0);
    // A zone this platform does not know is refused, not guessed.
    analytics(
        &p,
        "8102",
        &format!("{DAY}&template_ids=[5120]&use_waba_timezone=true"),
    )
    .await
    .graph_error(400, 100, None);
    p.finish().await;
}

/// Template groups: made of the WABA's templates, listed, and reported together.
async fn template_groups_report_their_templates_together(backend: Backend) {
    let p = start(backend).await;
    let made = p
        .post(
            "/v23.0/8100/template_groups",
            BSP,
            &json!({"name": "Spring", "description": "The spring sale",
                    "whatsapp_business_templates": ["5100", "5101"]}),
        )
        .await;
    let group = made.ok()["id"].as_str().expect("group id").to_owned();
    let listed = p.get("/v23.0/8100/template_groups", BSP).await;
    assert_eq!(
        listed.ok()["data"],
        json!([{"id": group, "name": "Spring", "description": "The spring sale",
                "whatsapp_business_templates": ["5100", "5101"]}])
    );
    // A template of another WABA, none at all, or no name: refused, nothing made.
    for body in [
        json!({"name": "Bad", "whatsapp_business_templates": ["5110"]}),
        json!({"name": "Empty", "whatsapp_business_templates": []}),
        json!({"whatsapp_business_templates": ["5100"]}),
    ] {
        p.post("/v23.0/8100/template_groups", BSP, &body)
            .await
            .graph_error(400, 100, None);
    }
    assert_eq!(
        p.get("/v23.0/8100/template_groups", BSP).await.ok()["data"]
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    a_day_of_sends(&p).await;
    let r = p
        .get(
            &format!("/v23.0/8100/template_group_analytics?{DAY}&template_group_ids=[{group}]&metric_types=SENT,DELIVERED,READ,CLICKED"),
            BSP,
        )
        .await;
    // promo's four MM API sends and its Cloud API one; plain sent nothing.
    assert_eq!(
        r.ok()["data"][0]["data_points"],
        json!([{"template_group_id": group, "start": 1_927_843_200, "end": 1_927_929_600,
                "sent": 5, "delivered": 5, "read": 2,
                "clicked": [{"type": "url_button", "count": 1}, {"type": "unique_url_button", "count": 1}]}]),
        "{}",
        r.text
    );
    let field = p
        .get(
            &format!("/v23.0/8100?fields=template_group_analytics.start(1927843200).end(1927929600).granularity(DAILY).template_group_ids([{group}]).metric_types([SENT])"),
            BSP,
        )
        .await;
    assert_eq!(
        field.ok()["template_group_analytics"]["data"][0]["data_points"][0]["sent"],
        5
    );
    let eleven = (0..11)
        .map(|i| (900 + i).to_string())
        .collect::<Vec<_>>()
        .join(",");
    for query in [
        format!("{DAY}&template_group_ids=[{eleven}]"),
        DAY.to_owned(),
        format!("{DAY}&template_group_ids=[{group}]&metric_types=LIKES"),
    ] {
        p.get(
            &format!("/v23.0/8100/template_group_analytics?{query}"),
            BSP,
        )
        .await
        .graph_error(400, 100, None);
    }
    p.finish().await;
}

crate::on_both_backends!(
    template_groups_report_their_templates_together,
    days_in_the_wabas_time_zone,
    sends_add_up_per_template_and_day,
    insights_are_confirmed_once_and_for_good,
    bad_questions_are_refused,
    analytics_fields_of_the_waba_answer_as_their_edges,
    conversions_count_for_the_clicked_message,
);
