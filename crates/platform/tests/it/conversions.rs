//! The Conversions API over HTTP: a WABA's datasets, the pixel node, and `POST
//! /{pixel-id}/events`, whose web and app events are counted for the message whose link was
//! clicked (examples 10 and 11 of the metrics contract), with every refusal: invalid events
//! refuse the whole request, test events and repeated event IDs count nothing, a pixel of
//! another business attributes nothing, and the access rule's three answers.

use serde_json::{Value, json};

use crate::support::*;

/// The partner's token with `whatsapp_business_manage_events` (and management).
const EVENTS: &str = "TOK-CAPI-EVENTS-00000000";
/// The partner's token without `whatsapp_business_manage_events`.
const MANAGE: &str = "TOK-CAPI-MANAGE-00000000";
/// The shop's own business integration token (it owns the pixel).
const SHOP: &str = "TOK-CAPI-SHOP-0000000000";
/// A token of a business unrelated to the shop.
const STRANGER: &str = "TOK-CAPI-STRANGER-000000";

/// The shop's pixel.
const PIXEL: &str = "9100";
/// The pixel of another client of the partner.
const OTHER_PIXEL: &str = "9200";

fn world() -> String {
    format!(
        r##"format: wamm-world/1
apps:
  - {{ key: bsp, id: "700", name: BSP App, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced,
                      business_management: advanced, whatsapp_business_manage_events: advanced }} }}
  - {{ key: own, id: "701", name: Stranger App, business: stranger, partner_type: BSP,
       permissions: {{ whatsapp_business_management: advanced, whatsapp_business_manage_events: advanced }} }}
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
          - {{ app: bsp, token: {EVENTS}, scopes: [whatsapp_business_messaging, whatsapp_business_management, whatsapp_business_manage_events] }}
          - {{ app: bsp, token: {MANAGE}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
  - key: shop
    id: "810"
    name: Onboarded Shop
    country: BR
    mm_terms_signed_at: 2025-10-07
    system_users:
      - key: shop-ops
        id: "811"
        name: Shop Ops
        role: ADMIN
        tokens:
          - {{ app: bsp, kind: BUSINESS_INTEGRATION, token: {SHOP}, scopes: [whatsapp_business_management, whatsapp_business_manage_events] }}
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
    pixels:
      - {{ id: "{PIXEL}", name: Shop Pixel, domains: [shop.example] }}
  - key: other
    id: "820"
    name: Other Client
    country: BR
    wabas:
      - key: other-main
        id: "8200"
        name: Other WABA
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        phone_numbers:
          - {{ id: "82000", display_phone_number: "+55 11 4000-0002", verified_name: Other }}
    pixels:
      - {{ id: "{OTHER_PIXEL}", name: Other Pixel }}
  - key: fresh
    id: "830"
    name: Fresh Client
    country: BR
    wabas:
      - key: fresh-main
        id: "8300"
        name: Fresh WABA
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
  - key: stranger
    id: "890"
    name: Stranger Co
    country: US
    system_users:
      - key: stranger-ops
        id: "891"
        name: Stranger Ops
        role: ADMIN
        tokens:
          - {{ app: own, token: {STRANGER}, scopes: [whatsapp_business_management, whatsapp_business_manage_events] }}
"##
    )
}

async fn start(backend: Backend) -> TestPlatform {
    TestPlatform::start_with(
        backend,
        wamm_platform::PlatformConfig::default(),
        Some(&world()),
    )
    .await
}

/// The day of the sends, and the MM API conversion metrics of `promo` on it.
const QUERY: &str = "start=2031-02-03&end=2031-02-04&granularity=daily&template_ids=[5100]\
    &product_type=MARKETING_MESSAGES_API_FOR_WHATSAPP\
    &metric_types=WEBSITE_PURCHASES,WEBSITE_PURCHASES_CONVERSION_VALUE,WEBSITE_ADD_TO_CART,APP_ACTIVATIONS,APP_PURCHASES";

/// The conversion metrics of `promo` on the day of the sends.
async fn metrics(p: &TestPlatform) -> Value {
    p.get(&format!("/v23.0/8100/template_analytics?{QUERY}"), EVENTS)
        .await
        .ok()["data"][0]["data_points"][0]
        .clone()
}

/// An MM API send of `promo` to `to`; its wamid.
async fn send(p: &TestPlatform, to: &str) -> String {
    p.post(
        "/v23.0/81000/marketing_messages",
        EVENTS,
        &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
                "template": {"name": "promo", "language": {"code": "en_US"}}}),
    )
    .await
    .ok()["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_owned()
}

/// The first click of `wamid` as the control API shows it, once the recipient clicked.
async fn click_of(p: &TestPlatform, wamid: &str) -> Value {
    for _ in 0..200 {
        let shown = p
            .call(
                reqwest::Method::GET,
                &format!("/_wamm/messages/{wamid}"),
                None,
                None,
            )
            .await;
        let click = &shown.ok()["clicks"][0];
        if click.is_object() {
            return click.clone();
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("{wamid} was not clicked");
}

/// A message sent at 2031-02-03T10:00Z to the recipient who clicks 45 s later, clicked, and
/// the control API's view of that click.
async fn a_clicked_message(p: &TestPlatform) -> (String, Value) {
    p.clock(json!({"set": "2031-02-03T10:00:00Z"})).await;
    let wamid = send(p, "15550990006").await;
    p.clock(json!({"advance_seconds": 60})).await;
    let click = click_of(p, &wamid).await;
    (wamid, click)
}

/// The platform clock now, in Unix seconds.
async fn now(p: &TestPlatform) -> i64 {
    p.clock(json!({})).await["now_ms"].as_i64().expect("clock") / 1000
}

/// A website `Purchase` of `value` after the click with `fbclid`, at `time`.
fn purchase(fbclid: &str, time: i64, value: i64) -> Value {
    json!({
        "event_name": "Purchase",
        "event_time": time,
        "action_source": "website",
        "event_source_url": "https://shop.example/cart",
        "user_data": {"fbc": format!("fb.1.{}.{fbclid}", time * 1000), "client_user_agent": "x"},
        "custom_data": {"currency": "INR", "value": value},
    })
}

/// `POST /v23.0/{pixel}/events` as Meta's Python SDK sends it: a form whose `data` is a JSON
/// list of JSON-encoded events, the token in the query.
async fn post_form(
    p: &TestPlatform,
    pixel: &str,
    token: &str,
    events: &[Value],
    extra: &str,
) -> Resp {
    let texts: Vec<String> = events.iter().map(Value::to_string).collect();
    let data = serde_json::to_string(&texts).expect("JSON");
    let mut form = serde_urlencoded::to_string([("data", data.as_str())]).expect("form");
    if !extra.is_empty() {
        form = format!("{form}&{extra}");
    }
    p.raw(
        reqwest::Method::POST,
        &format!("/v23.0/{pixel}/events?access_token={token}"),
        token,
        "application/x-www-form-urlencoded",
        form.into_bytes(),
    )
    .await
}

/// `POST /v23.0/{pixel}/events` with a JSON body.
async fn post_json(p: &TestPlatform, pixel: &str, token: &str, body: &Value) -> Resp {
    p.post(&format!("/v23.0/{pixel}/events"), token, body).await
}

/// The events the control API shows for `pixel`, newest first.
async fn received(p: &TestPlatform, pixel: &str) -> Vec<Value> {
    p.call(
        reqwest::Method::GET,
        &format!("/_wamm/pixels/{pixel}/events"),
        None,
        None,
    )
    .await
    .ok()["events"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Asserts Meta's answer to an accepted request: `n` events, no messages, the request's trace.
#[track_caller]
fn received_ok(r: &Resp, n: usize) {
    let body = r.ok();
    assert_eq!(body["events_received"], json!(n), "{}", r.text);
    assert_eq!(body["messages"], json!([]), "{}", r.text);
    assert_eq!(
        body["fbtrace_id"].as_str(),
        r.header("x-fb-trace-id").as_deref(),
        "the body's trace is the request's: {}",
        r.text
    );
}

async fn web_events_count_for_the_clicked_message(backend: Backend) {
    let p = start(backend).await;
    let (wamid, click) = a_clicked_message(&p).await;
    let fbclid = click["fbclid"].as_str().expect("fbclid").to_owned();
    assert_eq!(
        click["url"],
        json!(format!("https://shop.example/?fbclid={fbclid}"))
    );
    // The next morning the recipient buys; the shop reports it as Meta's SDK would.
    p.clock(json!({"advance_seconds": 86_400})).await;
    let t = now(&p).await;
    let r = post_form(&p, PIXEL, EVENTS, &[purchase(&fbclid, t, 499)], "").await;
    received_ok(&r, 1);
    let pt = metrics(&p).await;
    assert_eq!(
        (
            pt["website_purchases"].clone(),
            pt["website_purchases_conversion_value"].clone()
        ),
        (json!(1), json!(499.0)),
        "counted on the click's day: {pt}"
    );
    let shown = received(&p, PIXEL).await;
    assert_eq!(shown[0]["outcome"], "counted", "{shown:?}");
    assert_eq!(shown[0]["message_id"], json!(wamid));
    assert_eq!(shown[0]["counted_on"], "2031-02-03");
    assert_eq!(shown[0]["fbtrace_id"], r.json["fbtrace_id"]);

    // The same event as a JSON body, with an event ID: counted, then not again within 48 h.
    let mut with_id = purchase(&fbclid, t, 100);
    with_id["event_id"] = json!("order-1");
    for _ in 0..2 {
        let r = post_json(&p, PIXEL, EVENTS, &json!({"data": [with_id.clone()]})).await;
        received_ok(&r, 1);
    }
    let pt = metrics(&p).await;
    assert_eq!(pt["website_purchases"], 2, "{pt}");
    assert_eq!(pt["website_purchases_conversion_value"], 599.0, "{pt}");
    assert_eq!(received(&p, PIXEL).await[0]["outcome"], "duplicate");
    // Another event name with the same ID is another event; after 48 h the ID is free again.
    let mut cart = purchase(&fbclid, t, 0);
    cart["event_name"] = json!("AddToCart");
    cart["event_id"] = json!("order-1");
    received_ok(
        &post_json(&p, PIXEL, EVENTS, &json!({"data": [cart]})).await,
        1,
    );
    p.clock(json!({"advance_seconds": 48 * 3600 + 1})).await;
    with_id["event_time"] = json!(now(&p).await);
    received_ok(
        &post_json(&p, PIXEL, EVENTS, &json!({"data": [with_id]})).await,
        1,
    );
    let pt = metrics(&p).await;
    assert_eq!(
        (
            pt["website_purchases"].clone(),
            pt["website_add_to_cart"].clone()
        ),
        (json!(3), json!(1)),
        "{pt}"
    );

    // A test event is received, shown, and counted nowhere.
    let t = now(&p).await;
    let r = post_form(
        &p,
        PIXEL,
        EVENTS,
        &[purchase(&fbclid, t, 7)],
        "test_event_code=TEST1&partner_agent=wamm-tests",
    )
    .await;
    received_ok(&r, 1);
    let shown = received(&p, PIXEL).await;
    assert_eq!(
        (
            shown[0]["outcome"].clone(),
            shown[0]["test_event_code"].clone(),
            shown[0]["partner_agent"].clone()
        ),
        (json!("test"), json!("TEST1"), json!("wamm-tests"))
    );
    assert_eq!(metrics(&p).await["website_purchases"], 3);

    // An event 8 days old refuses the whole request: the valid event beside it counts nothing.
    let old = purchase(&fbclid, t - 8 * 86_400, 5);
    let r = post_form(&p, PIXEL, EVENTS, &[purchase(&fbclid, t, 5), old], "").await;
    let err = r.graph_error(400, 100, Some(2_804_003));
    assert_eq!(err["error_user_title"], "Event Timestamp Too Old");
    assert!(
        err["error_user_msg"]
            .as_str()
            .is_some_and(|m| m.contains("data[1]")),
        "{err}"
    );
    assert_eq!(metrics(&p).await["website_purchases"], 3);
    p.finish().await;
}

async fn click_ids_come_from_the_url_or_an_app_link(backend: Backend) {
    let p = start(backend).await;
    let (_, click) = a_clicked_message(&p).await;
    let fbclid = click["fbclid"].as_str().expect("fbclid");
    let campaign_ids = click["campaign_ids"].as_str().expect("campaign_ids");
    assert!(campaign_ids.starts_with("ci."), "{click}");
    let t = now(&p).await;
    // The landing page's URL carries the fbclid; no fbc. (A ctwa_clid means nothing on a
    // website event: only business messaging events are refused for an unknown one.)
    let from_url = json!({
        "event_name": "InitiateCheckout", "event_time": t, "action_source": "website",
        "event_source_url": click["url"],
        "user_data": {"client_user_agent": "x", "em": ["h"], "ctwa_clid": "ARx"},
    });
    // The app opened from the deep link sends its campaign_ids back.
    let app = json!({
        "event_name": "ActivateApp", "event_time": t, "action_source": "app",
        "app_data": {"campaign_ids": campaign_ids, "advertiser_tracking_enabled": 1},
        "user_data": {"madid": "m"},
    });
    let app_purchase = json!({
        "event_name": "Purchase", "event_time": t, "action_source": "app",
        "app_data": {"campaign_ids": campaign_ids},
        "user_data": {"madid": "m"}, "custom_data": {"currency": "BRL", "value": "12.5"},
    });
    // An event without any click ID, and one whose fbc names no wamm click.
    let unknown = json!({
        "event_name": "Purchase", "event_time": t, "action_source": "website",
        "event_source_url": "https://shop.example/", "custom_data": {"currency": "BRL", "value": 1},
        "user_data": {"client_user_agent": "x", "fbc": "fb.1.1.IwARnotours"},
    });
    let r = post_json(
        &p,
        PIXEL,
        SHOP,
        &json!({"data": [from_url, app, app_purchase, unknown], "partner_agent": "shop"}),
    )
    .await;
    received_ok(&r, 4);
    let pt = metrics(&p).await;
    assert_eq!(pt["app_activations"], 1, "{pt}");
    assert_eq!(pt["app_purchases"], 1, "{pt}");
    let shown = received(&p, PIXEL).await;
    let outcomes: Vec<&str> = shown
        .iter()
        .map(|e| e["outcome"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        outcomes,
        vec!["not_attributed", "counted", "counted", "counted"],
        "newest first: {shown:?}"
    );
    assert!(
        shown[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("no click ID")),
        "{}",
        shown[0]
    );
    // A pixel of another business: received, attributed to nothing (the pixel's owner must
    // own the WABA that sent the message).
    let r = post_form(&p, OTHER_PIXEL, EVENTS, &[purchase(fbclid, t, 50)], "").await;
    received_ok(&r, 1);
    let other = received(&p, OTHER_PIXEL).await;
    assert_eq!(other[0]["outcome"], "not_attributed");
    assert!(
        other[0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("owner")),
        "{}",
        other[0]
    );
    assert_eq!(metrics(&p).await["website_purchases"], 0);
    p.finish().await;
}

async fn bad_requests_are_refused_whole(backend: Backend) {
    let p = start(backend).await;
    let t = now(&p).await;
    let good = purchase("IwARx", t, 1);
    let with = |field: &str, value: Value| {
        let mut e = good.clone();
        e[field] = value;
        e
    };
    // (body, subcode, words the user message carries)
    let cases = [
        (json!({}), None, ""),
        (json!({"data": "not json ["}), None, ""),
        (json!({"data": 5}), None, ""),
        (json!({"data": []}), None, "non-empty"),
        (
            json!({"data": [with("event_name", Value::Null)]}),
            None,
            "event_name",
        ),
        (
            json!({"data": [with("action_source", json!("fax"))]}),
            None,
            "action_source",
        ),
        (
            json!({"data": [with("user_data", Value::Null)]}),
            None,
            "user_data",
        ),
        (
            json!({"data": [with("user_data", json!({"fbc": "fb.1.1.IwARx"}))]}),
            None,
            "client_user_agent",
        ),
        (
            json!({"data": [with("event_source_url", Value::Null)]}),
            None,
            "event_source_url",
        ),
        (
            json!({"data": [with("custom_data", json!({"value": 3}))]}),
            None,
            "currency",
        ),
        (
            json!({"data": [with("event_time", json!(t + 3600))]}),
            Some(2_804_004),
            "future",
        ),
        (
            json!({"data": [good.clone(), "{not an event"]}),
            None,
            "data[1]",
        ),
    ];
    for (body, subcode, words) in cases {
        let r = post_json(&p, PIXEL, EVENTS, &body).await;
        let err = r.graph_error(400, 100, subcode);
        let text = format!("{} {}", err["message"], err["error_user_msg"]);
        assert!(text.contains(words), "{body}: {text}");
    }
    assert!(received(&p, PIXEL).await.is_empty(), "nothing was received");
    // More than 1000 events.
    let many: Vec<Value> = (0..1001).map(|_| good.clone()).collect();
    post_json(&p, PIXEL, EVENTS, &json!({"data": many}))
        .await
        .graph_error(400, 100, None);
    p.finish().await;
}

async fn datasets_are_made_once_per_business(backend: Backend) {
    let p = start(backend).await;
    // Example 11: a WABA whose business has no dataset yet.
    assert_eq!(
        p.get("/v23.0/8300/dataset", EVENTS).await.ok(),
        &json!({"data": []})
    );
    let made = p
        .raw(
            reqwest::Method::POST,
            "/v23.0/8300/dataset",
            EVENTS,
            "application/x-www-form-urlencoded",
            b"dataset_name=Shop".to_vec(),
        )
        .await;
    let ds = made.ok()["id"].as_str().expect("dataset id").to_owned();
    assert_eq!(made.json, json!({"id": ds}));
    let again = p
        .post(
            "/v23.0/8300/dataset",
            MANAGE,
            &json!({"dataset_name": "Another"}),
        )
        .await;
    assert_eq!(again.ok(), &json!({"id": ds}), "the same dataset");
    assert_eq!(
        p.get("/v23.0/8300/dataset", EVENTS).await.ok(),
        &json!({"data": [{"id": ds, "name": "Shop"}]})
    );
    p.post("/v23.0/8300/dataset", EVENTS, &json!({}))
        .await
        .graph_error(400, 100, None);
    // A business with a pixel already answers with it.
    assert_eq!(
        p.post("/v23.0/8100/dataset", EVENTS, &json!({"dataset_name": "X"}))
            .await
            .ok(),
        &json!({"id": PIXEL})
    );
    assert_eq!(
        p.get("/v23.0/8100/dataset", MANAGE).await.ok(),
        &json!({"data": [{"id": PIXEL, "name": "Shop Pixel"}]})
    );
    // The dataset is a pixel node, and the world export keeps it.
    let node = p
        .get(
            &format!("/v23.0/{ds}?fields=id,name,owner_business"),
            EVENTS,
        )
        .await;
    assert_eq!(
        node.ok(),
        &json!({"id": ds, "name": "Shop", "owner_business": {"id": "830", "name": "Fresh Client"}})
    );
    assert_eq!(
        p.get(&format!("/v23.0/{PIXEL}"), SHOP).await.ok(),
        &json!({"id": PIXEL, "name": "Shop Pixel"})
    );
    p.get(&format!("/v23.0/{PIXEL}?fields=pixel_color"), SHOP)
        .await
        .graph_error(400, 100, None);
    let export = p
        .call(reqwest::Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    let fresh = export.ok()["businesses"]
        .as_array()
        .and_then(|b| b.iter().find(|b| b["id"] == "830"))
        .cloned()
        .expect("the fresh client");
    assert_eq!(fresh["pixels"][0]["id"], json!(ds));
    assert_eq!(fresh["pixels"][0]["dataset"], json!(true));

    // Business messaging events on the dataset (example 11).
    let t = now(&p).await;
    let bm = |name: &str| {
        json!({"data": [{"event_name": name, "event_time": t, "action_source": "business_messaging",
            "messaging_channel": "whatsapp",
            "user_data": {"whatsapp_business_account_id": "8300", "ctwa_clid": "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a"},
            "custom_data": {"currency": "USD", "value": 10}}]})
    };
    let r = post_json(&p, &ds, EVENTS, &bm("Lead")).await;
    let err = r.graph_error(400, 100, Some(2_804_066));
    assert_eq!(
        err["error_user_title"],
        "Messaging Event Invalid Event Type"
    );
    post_json(&p, &ds, EVENTS, &bm("Purchase"))
        .await
        .graph_error(400, 100, Some(2_804_087));
    post_json(&p, &ds, MANAGE, &bm("Purchase"))
        .await
        .graph_error(403, 200, Some(1_349_174));
    p.finish().await;
}

async fn only_the_owner_or_its_partners_post_events(backend: Backend) {
    let p = start(backend).await;
    let t = now(&p).await;
    let body = json!({"data": [purchase("IwARx", t, 1)]});
    // The owner's own token, and the partner's token with the permission: received.
    received_ok(&post_json(&p, PIXEL, SHOP, &body).await, 1);
    received_ok(&post_json(&p, PIXEL, EVENTS, &body).await, 1);
    // The partner's token without it: 403, 200.
    let r = post_json(&p, PIXEL, MANAGE, &body).await;
    let err = r.graph_error(403, 200, Some(1_349_174));
    assert!(
        err["error_data"]["details"]
            .as_str()
            .is_some_and(|d| d.contains("whatsapp_business_manage_events")),
        "{err}"
    );
    // A business that reaches none of the owner's WABAs sees no pixel, as for an unknown ID.
    let hidden = post_json(&p, PIXEL, STRANGER, &body).await;
    hidden.graph_error(400, 100, Some(33));
    let unknown = post_json(&p, "7999999", STRANGER, &body).await;
    unknown.graph_error(400, 100, Some(33));
    assert_eq!(
        hidden.message().replace(PIXEL, "ID"),
        unknown.message().replace("7999999", "ID")
    );
    p.get(&format!("/v23.0/{PIXEL}"), STRANGER)
        .await
        .graph_error(400, 100, Some(33));
    // Nothing posts to the pixel with GET, nor reads its events edge.
    p.get(&format!("/v23.0/{PIXEL}/events"), EVENTS)
        .await
        .graph_error(400, 100, Some(33));
    assert_eq!(received(&p, PIXEL).await.len(), 2);
    let missing = p
        .call(
            reqwest::Method::GET,
            "/_wamm/pixels/7999999/events",
            None,
            None,
        )
        .await;
    assert_eq!(missing.status, 404, "{}", missing.text);
    p.finish().await;
}

crate::on_both_backends!(
    web_events_count_for_the_clicked_message,
    click_ids_come_from_the_url_or_an_app_link,
    bad_requests_are_refused_whole,
    datasets_are_made_once_per_business,
    only_the_owner_or_its_partners_post_events,
);
