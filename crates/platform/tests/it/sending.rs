//! `/marketing_messages` and `/messages` over HTTP: every check with Meta's status, code and
//! details, routing and pricing, the lifecycle on the platform clock with its signed webhooks,
//! the reserved recipients, TTL expiry, and the send limits.

use reqwest::Method;
use serde_json::{Value, json};
use wamm_wire::ids::BusinessId;

use crate::support::*;

const BSP: &str = "TOK-SEND-BSP-00000000000";
const STANDARD: &str = "TOK-SEND-STD-00000000000";
const SECRET: &str = "send-bsp-secret-0000000000000000";

fn world() -> String {
    format!(
        r##"format: wamm-world/1
apps:
  - {{ key: bsp, id: "700", name: BSP App, secret: {SECRET}, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced, business_management: advanced }} }}
  - {{ key: std, id: "701", name: Standard App, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: standard, whatsapp_business_management: standard }} }}
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
          - {{ app: std, token: {STANDARD}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
  - key: onb
    id: "810"
    name: Onboarded Shop
    country: BR
    mm_terms_signed_at: 2025-10-07
    wabas:
      - key: onb-waba
        id: "8100"
        name: Onboarded WABA
        tax_country: BR
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: bsp }}]
        phone_numbers:
          - {{ id: "81000", display_phone_number: "+55 11 4000-0001", verified_name: Shop }}
          - {{ id: "81001", display_phone_number: "+55 11 4000-0002", verified_name: Shop App, coexistence: true }}
          - {{ id: "81002", display_phone_number: "+55 11 4000-0003", verified_name: Shop New, registered: false }}
        templates:
          - {{ name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Hi {{{{1}}}}, {{{{2}}}} off", example: {{ body_text: [[Ana, 10%]] }} }}] }}
          - {{ name: receipt, language: en_US, category: UTILITY, created_at: 2025-10-01,
               components: [{{ type: BODY, text: "Order {{{{1}}}} is ready", example: {{ body_text: [["#1"]] }} }}] }}
          - {{ name: paused_one, language: en_US, category: MARKETING, status: PAUSED, created_at: 2025-10-01, components: [{{ type: BODY, text: Hello }}] }}
          - {{ name: disabled_one, language: en_US, category: MARKETING, status: DISABLED, created_at: 2025-10-01, components: [{{ type: BODY, text: Hello }}] }}
          - {{ name: short_ttl, language: en_US, category: MARKETING, created_at: 2025-10-01, message_send_ttl_seconds: 43200, components: [{{ type: BODY, text: Flash sale }}] }}
          - {{ name: fresh, language: en_US, category: MARKETING, components: [{{ type: BODY, text: Brand new }}] }}
  - key: new
    id: "820"
    name: Not Yet Shop
    country: MX
    wabas:
      - key: new-waba
        id: "8200"
        name: Not Yet WABA
        tax_country: MX
        partners: [{{ business: partner, access: SHARED }}]
        subscribed_apps: [{{ app: bsp }}]
        phone_numbers: [{{ id: "82000", display_phone_number: "+52 55 4000-0001", verified_name: Not Yet }}]
        templates:
          - {{ name: promo, language: en_US, category: MARKETING, created_at: 2025-10-01, components: [{{ type: BODY, text: Sale }}] }}
  - key: stranger
    id: "830"
    name: Stranger
    country: US
    wabas:
      - key: stranger-waba
        id: "8300"
        name: Stranger WABA
        tax_country: US
        phone_numbers: [{{ id: "83000", display_phone_number: "+1 555 400 0001", verified_name: Stranger }}]
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

fn promo(to: &str) -> Value {
    json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
        "template": {"name": "promo", "language": {"code": "en_US"}, "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "10%"}]}
        ]}
    })
}

fn template(name: &str, to: &str) -> Value {
    json!({
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
        "template": {"name": name, "language": {"code": "en_US"}}
    })
}

async fn mm(p: &TestPlatform, phone: &str, body: &Value) -> Resp {
    p.post(&format!("/v23.0/{phone}/marketing_messages"), BSP, body)
        .await
}

/// Asserts a Cloud API-style error: status, code, and `error_data.details` containing `details`.
fn refused(r: &Resp, status: u16, code: i64, details: &str) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.json["error"]["code"], code, "{}", r.text);
    assert_eq!(r.json["error"]["type"], "OAuthException");
    assert!(
        r.json["error"]["message"]
            .as_str()
            .is_some_and(|m| m.starts_with(&format!("(#{code}) "))),
        "{}",
        r.text
    );
    assert_eq!(
        r.json["error"]["error_data"]["messaging_product"],
        "whatsapp"
    );
    assert!(
        r.json["error"]["error_data"]["details"]
            .as_str()
            .is_some_and(|d| d.contains(details)),
        "{details:?} in {}",
        r.text
    );
    assert_eq!(
        r.json["error"]["fbtrace_id"].as_str(),
        r.header("x-fb-trace-id").as_deref()
    );
}

async fn subscribe(p: &TestPlatform, receiver: &Receiver) {
    p.post(
        "/v23.0/700/subscriptions",
        &format!("700|{SECRET}"),
        &json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me", "fields": "messages"}),
    )
    .await
    .ok();
}

async fn every_check_answers_with_meta_codes(backend: Backend) {
    let p = start(backend).await;
    // Token and permission: a standard-access app cannot send for a client.
    let r = p
        .post(
            "/v23.0/81000/marketing_messages",
            STANDARD,
            &promo("16315552222"),
        )
        .await;
    assert_eq!(
        (r.status, r.json["error"]["code"].clone()),
        (403, json!(10)),
        "{}",
        r.text
    );
    // A number of a business that shares nothing with the partner does not exist for it.
    mm(&p, "83000", &promo("16315552222"))
        .await
        .graph_error(400, 100, Some(33));
    refused(
        &mm(&p, "81002", &promo("16315552222")).await,
        400,
        133_010,
        "register",
    );
    // Registration: the PIN and the product are checked, then the number can send.
    for bad in [
        json!({ "messaging_product": "whatsapp", "pin": "12345" }),
        json!({ "messaging_product": "whatsapp", "pin": "12345a" }),
        json!({ "pin": "123456" }),
    ] {
        p.post("/v23.0/81002/register", BSP, &bad)
            .await
            .graph_error(400, 100, None);
    }
    p.post(
        "/v23.0/83000/register",
        BSP,
        &json!({ "messaging_product": "whatsapp", "pin": "123456" }),
    )
    .await
    .graph_error(400, 100, Some(33));
    for _ in 0..2 {
        let ok = p
            .post(
                "/v23.0/81002/register",
                BSP,
                &json!({ "messaging_product": "whatsapp", "pin": "123456" }),
            )
            .await;
        assert_eq!(ok.status, 200, "{}", ok.text);
        assert_eq!(ok.json, json!({ "success": true }));
    }
    let number = p.get("/v23.0/81002?fields=status,platform_type", BSP).await;
    assert_eq!(number.json["platform_type"], "CLOUD_API", "{}", number.text);
    assert_eq!(number.json["status"], "CONNECTED");
    // Payload.
    let mut no_to = promo("1");
    no_to.as_object_mut().map(|o| o.remove("to"));
    refused(&mm(&p, "81000", &no_to).await, 400, 100, "to is required");
    refused(
        &mm(&p, "81000", &json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16315552222", "type": "text", "text": {"body": "hi"}})).await,
        400,
        100,
        "Message must be a template message.",
    );
    let mut strict_bad = promo("16315552222");
    strict_bad["product_policy"] = json!("SOMETIMES");
    refused(
        &mm(&p, "81000", &strict_bad).await,
        400,
        100,
        "product_policy",
    );
    // The template.
    refused(
        &mm(&p, "81000", &template("nope", "16315552222")).await,
        404,
        132_001,
        "template name (nope) does not exist in en_US",
    );
    refused(
        &mm(&p, "81000", &template("receipt", "16315552222")).await,
        400,
        134_100,
        "Only marketing template messages",
    );
    refused(
        &p.post(
            "/v22.0/81000/marketing_messages",
            BSP,
            &template("receipt", "16315552222"),
        )
        .await,
        400,
        131_055,
        "Only marketing template messages are supported",
    );
    refused(
        &mm(&p, "81000", &template("paused_one", "16315552222")).await,
        400,
        132_015,
        "paused",
    );
    refused(
        &mm(&p, "81000", &template("disabled_one", "16315552222")).await,
        400,
        132_016,
        "disabled",
    );
    refused(
        &mm(&p, "81000", &template("promo", "16315552222")).await,
        400,
        132_000,
        "number of localizable_params (0) does not match the expected number of params (2)",
    );
    let mut bad_param = promo("16315552222");
    bad_param["template"]["components"][0]["parameters"][0] = json!({"type": "text"});
    refused(&mm(&p, "81000", &bad_param).await, 400, 132_012, "body");
    // Routing: STRICT refuses a business that has not accepted the terms.
    let mut strict = template("promo", "16315552222");
    strict["product_policy"] = json!("STRICT");
    refused(
        &mm(&p, "82000", &strict).await,
        400,
        131_055,
        "Marketing Messages Lite API terms",
    );
    // A template still syncing with its ad is refused on the MM route only.
    refused(
        &mm(&p, "81000", &template("fresh", "16315552222")).await,
        400,
        134_101,
        "syncing",
    );
    p.clock(json!({"advance_seconds": 600})).await;
    mm(&p, "81000", &template("fresh", "16315552222"))
        .await
        .ok();
    // Accepted: Meta's response shape, no top-level success.
    let ok = mm(&p, "81000", &promo("+1 631-555-2222")).await;
    let body = ok.ok();
    assert_eq!(body["messaging_product"], "whatsapp");
    assert_eq!(
        body["contacts"],
        json!([{"input": "+1 631-555-2222", "wa_id": "16315552222"}])
    );
    assert_eq!(body["messages"][0]["message_status"], "accepted");
    assert!(
        body["messages"][0]["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("wamid."))
    );
    assert!(body.get("success").is_none());
    // Form bodies work too (template as a JSON string, as SDKs send nested objects).
    let form = serde_urlencoded::to_string([
        ("messaging_product", "whatsapp"),
        ("recipient_type", "individual"),
        ("to", "16315553333"),
        ("type", "template"),
        (
            "template",
            &template("short_ttl", "x")["template"].to_string(),
        ),
        ("product_policy", "STRICT"),
        ("message_activity_sharing", "false"),
    ])
    .expect("form");
    let r = p
        .raw(
            Method::POST,
            "/v23.0/81000/marketing_messages",
            BSP,
            "application/x-www-form-urlencoded",
            form.into_bytes(),
        )
        .await;
    r.ok();
    // Cloud API /messages takes text and any category.
    let text = p
        .post(
            "/v23.0/81000/messages",
            BSP,
            &json!({"messaging_product": "whatsapp", "to": "16315554444", "type": "text", "text": {"body": "Hello"}}),
        )
        .await;
    assert!(text.ok()["messages"][0].get("message_status").is_none());
    p.post("/v23.0/81000/messages", BSP, &{
        let mut r = template("receipt", "16315554444");
        r["template"]["components"] =
            json!([{"type": "body", "parameters": [{"type": "text", "text": "#9"}]}]);
        r
    })
    .await
    .ok();
    p.finish().await;
}

/// The `value` of each status change received, in order.
fn status_values(receiver: &Receiver) -> Vec<Value> {
    receiver
        .entries()
        .iter()
        .map(|e| e["changes"][0]["value"].clone())
        .filter(|v| v.get("statuses").is_some())
        .collect()
}

/// The `statuses[0]` (or `user_actions[0]`) of each `messages` entry received, in order.
fn items(receiver: &Receiver) -> Vec<Value> {
    receiver
        .entries()
        .iter()
        .filter(|e| e["changes"][0]["field"] == "messages")
        .map(|e| {
            let v = &e["changes"][0]["value"];
            v["statuses"][0].clone().as_object().map_or_else(
                || v["user_actions"][0].clone(),
                |_| v["statuses"][0].clone(),
            )
        })
        .collect()
}

async fn wait_items(receiver: &Receiver, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        let got = items(receiver);
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("expected {n} message webhooks, got {:?}", items(receiver));
}

async fn one_message_through_every_status(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe(&p, &receiver).await;
    p.clock(json!({"freeze": true, "set": "2030-01-01T12:00:00Z"}))
        .await;
    // …555-099-0006 reads, then clicks.
    let mut body = promo("15550990006");
    body["biz_opaque_callback_data"] = json!("campaign-7");
    let wamid = mm(&p, "81000", &body).await.ok()["messages"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let sent = wait_items(&receiver, 1).await;
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["id"], wamid.as_str());
    assert_eq!(sent[0]["recipient_id"], "15550990006");
    assert_eq!(sent[0]["timestamp"], "1893499200");
    assert_eq!(sent[0]["biz_opaque_callback_data"], "campaign-7");
    assert_eq!(
        sent[0]["pricing"],
        json!({"billable": true, "pricing_model": "PMP", "type": "regular", "category": "marketing_lite"})
    );
    assert_eq!(sent[0]["conversation"]["origin"]["type"], "marketing_lite");
    p.clock(json!({"advance_seconds": 1})).await;
    let got = wait_items(&receiver, 2).await;
    assert_eq!(got[1]["status"], "delivered");
    assert!(got[1]["pricing"].is_object());
    p.clock(json!({"advance_seconds": 29})).await;
    let got = wait_items(&receiver, 3).await;
    assert_eq!(got[2]["status"], "read");
    assert!(
        got[2].get("pricing").is_none(),
        "pricing comes with sent and delivered only"
    );
    p.clock(json!({"advance_seconds": 15})).await;
    let got = wait_items(&receiver, 4).await;
    assert_eq!(got[3]["action_type"], "marketing_messages_link_click");
    assert_eq!(
        got[3]["marketing_messages_link_click_data"]["click_component"],
        "cta"
    );
    // `sent`, `delivered` and `read` name the recipient by number and by the BSUID it has
    // under the WABA's business (Onboarded Shop, 810), the same in every status.
    let bsuid = wamm_domain::bsuid::bsuid(BusinessId::new(810), "15550990006");
    assert!(bsuid.starts_with("US.") && bsuid.len() == 23, "{bsuid}");
    let statuses: Vec<Value> = status_values(&receiver);
    assert_eq!(statuses.len(), 3);
    for value in &statuses {
        assert_eq!(
            value["contacts"],
            json!([{"wa_id": "15550990006", "user_id": bsuid}]),
            "{value}"
        );
        assert_eq!(value["statuses"][0]["recipient_user_id"], bsuid.as_str());
    }
    // Each entry is the WABA's, with the number's metadata, signed with the app secret.
    for e in receiver.entries() {
        assert_eq!(e["id"], "8100");
        assert_eq!(
            e["changes"][0]["value"]["metadata"],
            json!({"display_phone_number": "551140000001", "phone_number_id": "81000"})
        );
        assert!(e.get("time").is_none(), "messages entries carry no time");
    }
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, SECRET);
    }
    let state = p
        .call(Method::GET, &format!("/_wamm/messages/{wamid}"), None, None)
        .await;
    assert_eq!(state.ok()["status"], "read");
    p.finish().await;
}

async fn deregistering_takes_a_number_off_cloud_api(backend: Backend) {
    let p = start(backend).await;
    let deregister = |phone: &str| {
        let path = format!("/v23.0/{phone}/deregister");
        let p = &p;
        async move { p.post(&path, BSP, &json!({})).await }
    };
    // Not registered, or a coexistence number: refused with Meta's words.
    let r = deregister("81002").await;
    r.graph_error(400, 100, Some(2_207_051));
    assert_eq!(
        r.message(),
        "Phone number not registered on the WhatsApp Business Platform."
    );
    let r = deregister("81001").await;
    r.graph_error(400, 100, None);
    assert!(
        r.message()
            .contains("not available for API solution for SMB businesses")
    );
    deregister("83000").await.graph_error(400, 100, Some(33));
    // A registered number leaves Cloud API and sends nothing until registered again.
    mm(&p, "81000", &promo("16315552222")).await.ok();
    assert_eq!(deregister("81000").await.ok(), &json!({ "success": true }));
    refused(
        &mm(&p, "81000", &promo("16315552222")).await,
        400,
        133_010,
        "register",
    );
    deregister("81000")
        .await
        .graph_error(400, 100, Some(2_207_051));
    p.post(
        "/v23.0/81000/register",
        BSP,
        &json!({ "messaging_product": "whatsapp", "pin": "123456" }),
    )
    .await
    .ok();
    mm(&p, "81000", &promo("16315552222")).await.ok();
    p.finish().await;
}

async fn routing_and_pricing(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe(&p, &receiver).await;
    p.clock(json!({"freeze": true})).await;
    // Not onboarded: falls back to Cloud API, priced as marketing.
    mm(&p, "82000", &template("promo", "16315550101"))
        .await
        .ok();
    let got = wait_items(&receiver, 1).await;
    assert_eq!(got[0]["pricing"]["category"], "marketing");
    assert_eq!(got[0]["conversation"]["origin"]["type"], "marketing");
    // A coexistence number sends through MM API too.
    mm(&p, "81001", &promo("16315550102")).await.ok();
    let got = wait_items(&receiver, 2).await;
    assert_eq!(got[1]["pricing"]["category"], "marketing_lite");
    // v24.0 drops the conversation object.
    p.post(
        "/v24.0/81000/marketing_messages",
        BSP,
        &promo("16315550103"),
    )
    .await
    .ok();
    let got = wait_items(&receiver, 3).await;
    assert!(got[2].get("conversation").is_none(), "{}", got[2]);
    assert_eq!(got[2]["pricing"]["category"], "marketing_lite");
    // Cloud API: utility by category, text as service.
    let mut receipt = template("receipt", "16315550104");
    receipt["template"]["components"] =
        json!([{"type": "body", "parameters": [{"type": "text", "text": "#9"}]}]);
    p.post("/v23.0/81000/messages", BSP, &receipt).await.ok();
    let got = wait_items(&receiver, 4).await;
    assert_eq!(got[3]["pricing"]["category"], "utility");
    p.post(
        "/v23.0/81000/messages",
        BSP,
        &json!({"messaging_product": "whatsapp", "to": "16315550105", "type": "text", "text": {"body": "Hi"}}),
    )
    .await
    .ok();
    let got = wait_items(&receiver, 5).await;
    assert_eq!(
        got[4]["pricing"],
        json!({"billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service"})
    );
    p.finish().await;
}

async fn reserved_recipients(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe(&p, &receiver).await;
    p.clock(json!({"freeze": true})).await;
    mm(&p, "81000", &promo("15550990001")).await.ok();
    let got = wait_items(&receiver, 1).await;
    assert_eq!(got[0]["status"], "failed");
    assert_eq!(got[0]["errors"][0]["code"], 131_026);
    assert!(got[0].get("pricing").is_none(), "failures are not billed");
    for (to, code) in [("15550990002", 131_050), ("15550990003", 131_049)] {
        let before = items(&receiver).len();
        mm(&p, "81000", &promo(to)).await.ok();
        // Statuses of one message travel in separate POSTs: let `sent` land first.
        wait_items(&receiver, before + 1).await;
        p.clock(json!({"advance_seconds": 1})).await;
        let got = wait_items(&receiver, before + 2).await;
        assert_eq!(got[before]["status"], "sent");
        assert_eq!(got[before + 1]["status"], "failed");
        assert_eq!(got[before + 1]["errors"][0]["code"], code);
        assert!(got[before + 1]["errors"][0]["error_data"]["details"].is_string());
        assert!(got[before]["recipient_user_id"].is_string());
    }
    // Failed statuses of messages sent to a number carry neither `contacts` nor
    // `recipient_user_id`, as Meta sends them.
    for value in status_values(&receiver) {
        let failed = value["statuses"][0]["status"] == "failed";
        assert_eq!(value.get("contacts").is_none(), failed, "{value}");
        assert_eq!(
            value["statuses"][0].get("recipient_user_id").is_none(),
            failed,
            "{value}"
        );
    }
    // Opting out of marketing does not stop a utility message.
    let before = items(&receiver).len();
    let mut receipt = template("receipt", "15550990002");
    receipt["template"]["components"] =
        json!([{"type": "body", "parameters": [{"type": "text", "text": "#9"}]}]);
    p.post("/v23.0/81000/messages", BSP, &receipt).await.ok();
    wait_items(&receiver, before + 1).await;
    p.clock(json!({"advance_seconds": 1})).await;
    let got = wait_items(&receiver, before + 2).await;
    assert_eq!(got[before + 1]["status"], "delivered");
    // A recipient who never reads: delivered, then nothing; reading it through the control API.
    let wamid = mm(&p, "81000", &promo("15550990004")).await.ok()["messages"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    wait_items(&receiver, 8).await;
    p.clock(json!({"advance_seconds": 3600})).await;
    // 1 + 2 + 2 + 2 + 2 statuses so far: the last is this message's `delivered`.
    let got = wait_items(&receiver, 9).await;
    assert_eq!(
        (got[8]["id"].clone(), got[8]["status"].clone()),
        (json!(wamid), json!("delivered"))
    );
    let read = p
        .call(
            Method::POST,
            &format!("/_wamm/messages/{wamid}/read"),
            None,
            None,
        )
        .await;
    assert_eq!(read.ok()["status"], "read", "{}", read.text);
    let got = wait_items(&receiver, 10).await;
    assert_eq!(got[9]["id"], wamid.as_str());
    assert_eq!(got.last().map(|g| g["status"].clone()), Some(json!("read")));
    p.finish().await;
}

async fn marketing_ttl_expires_undelivered_messages(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe(&p, &receiver).await;
    p.clock(json!({"freeze": true})).await;
    // …555-099-0008 is offline; the template lives 12 hours on MM API.
    let wamid = mm(&p, "81000", &template("short_ttl", "15550990008"))
        .await
        .ok()["messages"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    wait_items(&receiver, 1).await;
    p.clock(json!({"advance_seconds": 43_199})).await;
    let message = p
        .call(Method::GET, &format!("/_wamm/messages/{wamid}"), None, None)
        .await;
    assert_eq!(message.ok()["status"], "sent");
    p.clock(json!({"advance_seconds": 1})).await;
    let message = p
        .call(Method::GET, &format!("/_wamm/messages/{wamid}"), None, None)
        .await;
    assert_eq!(message.ok()["status"], "expired");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        items(&receiver).len(),
        1,
        "dropped at the TTL: no delivered, no webhook"
    );
    let read = p
        .call(
            Method::POST,
            &format!("/_wamm/messages/{wamid}/read"),
            None,
            None,
        )
        .await;
    assert_eq!(read.status, 400);
    // Through Cloud API (not onboarded) the marketing TTL is not honoured: still waiting.
    p.post(
        "/v23.0/82000/marketing_messages",
        BSP,
        &template("promo", "15550990008"),
    )
    .await
    .ok();
    p.finish().await;
}

async fn pair_rate_and_throughput(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"freeze": true})).await;
    for _ in 0..45 {
        mm(&p, "81000", &promo("16315559999")).await.ok();
    }
    refused(
        &mm(&p, "81000", &promo("16315559999")).await,
        400,
        131_056,
        "same phone number",
    );
    mm(&p, "81000", &promo("16315558888")).await.ok();
    p.clock(json!({"advance_seconds": 6})).await;
    mm(&p, "81000", &promo("16315559999")).await.ok();
    // A coexistence number sends 20 messages a second: a burst of 150 is partly refused
    // (it would take the refill over 6 s to accept them all).
    let mut tasks = Vec::new();
    for i in 0..150 {
        let url = format!("{}/v23.0/81001/marketing_messages", p.base);
        let handle = p.running.handle().clone();
        tasks.push(tokio::spawn(async move {
            let r = exchange(
                &handle,
                reqwest::Client::new()
                    .post(url)
                    .bearer_auth(BSP)
                    .json(&promo(&format!("1631556{i:04}"))),
            )
            .await;
            (r.status, r.json["error"]["code"].clone())
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        match t.await.expect("task") {
            (200, _) => accepted += 1,
            (400, code) => assert_eq!(code, 130_429),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((20..150).contains(&accepted), "{accepted} accepted");
    p.finish().await;
}

async fn template_review_sends_its_webhooks(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    p.post(
        "/v23.0/700/subscriptions",
        &format!("700|{SECRET}"),
        &json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me",
                "fields": "message_template_status_update,template_category_update"}),
    )
    .await
    .ok();
    let list = p
        .get("/v23.0/8100/message_templates?fields=id,name&limit=50", BSP)
        .await;
    let id_of = |name: &str| {
        list.json["data"]
            .as_array()
            .and_then(|d| d.iter().find(|t| t["name"] == name))
            .and_then(|t| t["id"].as_str())
            .map(str::to_owned)
            .expect("template")
    };
    let (promo_id, receipt_id) = (id_of("promo"), id_of("receipt"));
    let status = |id: &str, body: Value| {
        let path = format!("/_wamm/templates/{id}/status");
        let p = &p;
        async move { p.call(Method::POST, &path, None, Some(&body)).await }
    };
    status(&promo_id, json!({"status": "PAUSED"})).await.ok();
    // Each change travels in its own POST: wait for one before causing the next.
    receiver.wait_for_entries(1).await;
    refused(
        &mm(&p, "81000", &promo("16315550201")).await,
        400,
        132_015,
        "paused",
    );
    status(&promo_id, json!({"status": "APPROVED"})).await.ok();
    receiver.wait_for_entries(2).await;
    mm(&p, "81000", &promo("16315550201")).await.ok();
    // Impending, then completed recategorisation of the utility template to marketing.
    let category = |body: Value| {
        let path = format!("/_wamm/templates/{receipt_id}/category");
        let p = &p;
        async move { p.call(Method::POST, &path, None, Some(&body)).await }
    };
    category(json!({"category": "MARKETING", "impending": true}))
        .await
        .ok();
    receiver.wait_for_entries(3).await;
    let mut receipt = template("receipt", "16315550202");
    receipt["template"]["components"] =
        json!([{"type": "body", "parameters": [{"type": "text", "text": "#9"}]}]);
    refused(&mm(&p, "81000", &receipt).await, 400, 134_100, "marketing");
    category(json!({"category": "MARKETING"})).await.ok();
    mm(&p, "81000", &receipt).await.ok();
    let values: Vec<Value> = receiver
        .wait_for_entries(4)
        .await
        .iter()
        .map(|e| e["changes"][0].clone())
        .collect();
    assert_eq!(values[0]["field"], "message_template_status_update");
    assert_eq!(values[0]["value"]["event"], "PAUSED");
    assert_eq!(values[0]["value"]["other_info"]["title"], "FIRST_PAUSE");
    assert_eq!(values[1]["value"]["event"], "APPROVED");
    assert_eq!(values[1]["value"]["message_template_category"], "MARKETING");
    assert_eq!(values[2]["field"], "template_category_update");
    assert_eq!(values[2]["value"]["correct_category"], "MARKETING");
    assert_eq!(values[2]["value"]["new_category"], "UTILITY");
    assert!(values[2]["value"]["category_update_timestamp"].is_i64());
    assert_eq!(
        (
            values[3]["value"]["previous_category"].clone(),
            values[3]["value"]["new_category"].clone()
        ),
        (json!("UTILITY"), json!("MARKETING"))
    );
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, SECRET);
    }
    // The recategorised template now has its ad entities on the onboarded WABA.
    let ad = p
        .get(&format!("/v23.0/{receipt_id}?fields=category,ad_id"), BSP)
        .await;
    assert_eq!(ad.ok()["category"], "MARKETING");
    assert!(ad.json["ad_id"].is_string(), "{}", ad.text);
    assert_eq!(status("1", json!({"status": "PAUSED"})).await.status, 404);
    assert_eq!(
        status(&promo_id, json!({"status": "SLEEPY"})).await.status,
        400
    );
    p.finish().await;
}

crate::on_both_backends!(
    deregistering_takes_a_number_off_cloud_api,
    template_review_sends_its_webhooks,
    every_check_answers_with_meta_codes,
    one_message_through_every_status,
    routing_and_pricing,
    reserved_recipients,
    marketing_ttl_expires_undelivered_messages,
    pair_rate_and_throughput,
);
