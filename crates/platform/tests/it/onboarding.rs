//! The Intent API and what follows it: eligibility from state, the seed's OBO table, duplicate
//! and concurrent requests, admin emails and reminders on the platform clock, acceptance (terms
//! signed, setup, `MM_LITE_TERMS_SIGNED` per WABA) and rejection.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const BSP: &str = "TOK-ONB-BSP-00000000000";
const TP: &str = "TOK-ONB-TECH-0000000000";
const STANDARD: &str = "TOK-ONB-STANDARD-000000";
const BSP_SECRET: &str = "onboarding-bsp-secret-0000000000";

/// A client business with `shared` shared WABAs and `obo` OBO WABAs (with or without intent).
fn client(key: &str, id: u64, country: &str, shared: u64, obo: u64, intent: bool) -> String {
    let mut wabas = String::new();
    for i in 0..shared {
        wabas += &format!(
            "      - {{ key: w{0}, id: \"{0}\", name: S{i}, tax_country: {country}, partners: [{{ business: partner, access: SHARED }}] }}\n",
            id * 10 + i
        );
    }
    for i in 0..obo {
        wabas += &format!(
            "      - {{ key: w{0}, id: \"{0}\", name: O{i}, tax_country: {country}, partners: [{{ business: partner, access: OBO, migration_intent: {intent} }}] }}\n",
            id * 10 + 5 + i
        );
    }
    if shared + obo == 0 {
        wabas += &format!(
            "      - {{ key: w{0}, id: \"{0}\", name: Alone, tax_country: {country} }}\n",
            id * 10
        );
    }
    format!(
        "  - key: {key}\n    id: \"{id}\"\n    name: {key}\n    country: {country}\n    people:\n      - {{ id: \"{}\", name: Admin {key}, email: admin@{key}.test, role: ADMIN }}\n      - {{ id: \"{}\", name: Staff {key}, email: staff@{key}.test, role: EMPLOYEE }}\n    wabas:\n{wabas}",
        id * 100 + 1,
        id * 100 + 2
    )
}

fn world() -> String {
    let mut w = format!(
        r#"format: wamm-world/1
apps:
  - {{ key: bsp, id: "700", name: BSP App, secret: {BSP_SECRET}, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced, business_management: advanced }} }}
  - {{ key: tp, id: "701", name: TP App, business: partner, partner_type: TECH_PROVIDER,
       permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced, business_management: advanced }} }}
  - {{ key: std, id: "702", name: Standard App, business: partner, partner_type: BSP,
       permissions: {{ whatsapp_business_messaging: standard, whatsapp_business_management: standard }} }}
businesses:
  - key: partner
    id: "600"
    name: Partner Co
    country: US
    people: [{{ id: "60001", name: Pat, email: pat@partner.test, role: ADMIN }}]
    system_users:
      - key: ops
        id: "601"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {BSP}, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management] }}
          - {{ app: tp, token: {TP}, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management] }}
          - {{ app: std, token: {STANDARD}, scopes: [whatsapp_business_messaging, whatsapp_business_management] }}
"#
    );
    w += &client("row1", 801, "BR", 1, 4, true);
    w += &client("row2", 802, "BR", 0, 5, true);
    w += &client("row3", 803, "BR", 1, 4, false);
    w += &client("row4", 804, "BR", 0, 5, false);
    w += &client("row5", 805, "BR", 0, 0, false);
    w += &client("iran", 806, "IR", 1, 0, false);
    w += &client("signed", 807, "BR", 1, 0, false).replace(
        "    country: BR\n",
        "    country: BR\n    mm_terms_signed_at: 2025-10-07\n",
    );
    w += &client("busy", 808, "MX", 2, 0, false);
    w
}

async fn start(backend: Backend) -> TestPlatform {
    TestPlatform::start_with(
        backend,
        wamm_platform::PlatformConfig::default(),
        Some(&world()),
    )
    .await
}

/// Subscribes the BSP app's `account_update` webhooks to `receiver` (which passes the handshake).
async fn subscribe_bsp(p: &TestPlatform, receiver: &Receiver) {
    p.post(
        "/v23.0/700/subscriptions",
        &format!("700|{BSP_SECRET}"),
        &json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me", "fields": "account_update"}),
    )
    .await
    .ok();
}

async fn intent(p: &TestPlatform, business: u64, token: &str) -> Resp {
    p.post(
        &format!("/v23.0/{business}/onboard_partners_to_mm_lite"),
        token,
        &json!({}),
    )
    .await
}

async fn migration_intents(p: &TestPlatform, business: u64) -> Vec<bool> {
    let world = p
        .call(Method::GET, "/_wamm/world?format=json", None, None)
        .await
        .ok()
        .clone();
    let biz = world["businesses"]
        .as_array()
        .and_then(|b| {
            b.iter()
                .find(|b| b["id"].as_str() == Some(business.to_string().as_str()))
        })
        .cloned()
        .unwrap_or_default();
    biz["wabas"]
        .as_array()
        .map(|ws| {
            ws.iter()
                .filter(|w| w["partners"][0]["access"] == "OBO")
                .map(|w| {
                    w["partners"][0]
                        .get("migration_intent")
                        .is_some_and(|i| !i.is_null() && *i != json!(false))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn the_five_rows_of_the_obo_table(backend: Backend) {
    let p = start(backend).await;
    // 1 shared, 4 OBO with intent: succeeds, no new intent.
    let r = intent(&p, 801, BSP).await;
    assert_eq!(r.ok()["request_id"].as_str().map(str::len), Some(15));
    assert_eq!(migration_intents(&p, 801).await, [true; 4]);
    // 0 shared, 5 OBO with intent: succeeds.
    intent(&p, 802, BSP).await.ok();
    // 1 shared, 4 OBO without intent: succeeds and sets the intents.
    assert_eq!(migration_intents(&p, 803).await, [false; 4]);
    intent(&p, 803, BSP).await.ok();
    assert_eq!(migration_intents(&p, 803).await, [true; 4]);
    // 0 shared, 5 OBO without intent: succeeds, contingent on setting them.
    intent(&p, 804, BSP).await.ok();
    assert_eq!(migration_intents(&p, 804).await, [true; 5]);
    // 0 shared, 0 OBO: fails, nothing set. Holding nothing for the partner, the business is
    // not its client, and the answer is the one for an object the caller cannot see (the
    // same as for an ID that does not exist).
    let r = intent(&p, 805, BSP).await;
    let err = r.graph_error(400, 100, Some(33));
    assert!(
        err["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Unsupported post request")
    );
    let unknown = intent(&p, 899, BSP).await;
    assert_eq!(
        unknown.json["error"]["message"],
        err["message"]
            .as_str()
            .unwrap_or_default()
            .replace("805", "899")
    );
    let requests = p
        .call(Method::GET, "/_wamm/requests", None, None)
        .await
        .ok()["data"]
        .as_array()
        .map(Vec::len);
    assert_eq!(requests, Some(4));
    p.finish().await;
}

async fn tech_providers_do_not_manage_obo(backend: Backend) {
    let p = start(backend).await;
    intent(&p, 803, TP).await.ok();
    assert_eq!(
        migration_intents(&p, 803).await,
        [false; 4],
        "a tech provider sets no OBO intent"
    );
    intent(&p, 804, TP).await.graph_error(400, 100, None);
    p.finish().await;
}

async fn ineligible_businesses_and_permissions(backend: Backend) {
    let p = start(backend).await;
    let msg = |r: &Resp| {
        r.json["error"]["error_user_msg"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let r = intent(&p, 807, BSP).await;
    r.graph_error(400, 100, None);
    assert!(msg(&r).contains("already accepted"), "{}", r.text);
    let r = intent(&p, 806, BSP).await;
    r.graph_error(400, 100, None);
    assert!(msg(&r).contains("allowlisted country"), "{}", r.text);
    let r = intent(&p, 805, BSP).await;
    r.graph_error(400, 100, Some(33));
    assert!(
        msg(&r).is_empty(),
        "nothing about the business is told: {}",
        r.text
    );
    let r = intent(&p, 808, STANDARD).await;
    r.graph_error(403, 10, None);
    assert_eq!(
        r.message(),
        "The app does not have sufficient permissions to call this API."
    );
    // An app token acts for no business: like every app token, it sees no business at all.
    let app_token = format!("700|{BSP_SECRET}");
    intent(&p, 808, &app_token)
        .await
        .graph_error(400, 100, Some(33));
    let r = p
        .post(
            "/v23.0/808/onboard_partners_to_mm_lite?solution_id=abc",
            BSP,
            &json!({}),
        )
        .await;
    r.graph_error(400, 100, None);
    p.finish().await;
}

async fn one_request_per_business_even_under_concurrency(backend: Backend) {
    let p = start(backend).await;
    let calls = (0..8).map(|_| intent(&p, 808, BSP));
    let results = futures_join_all(calls).await;
    let ok = results.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        ok,
        1,
        "exactly one request: {:?}",
        results.iter().map(|r| r.text.clone()).collect::<Vec<_>>()
    );
    for r in results.iter().filter(|r| r.status != 200) {
        let err = r.graph_error(400, 1_752_041, None);
        assert!(
            err["message"]
                .as_str()
                .unwrap_or_default()
                .starts_with("Your business has already sent this request.")
        );
    }
    let status = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        status.ok()["marketing_messages_onboarding_status"]["status"],
        "REQUEST_SENT"
    );
    p.finish().await;
}

async fn emails(p: &TestPlatform, to: &str) -> Vec<Value> {
    p.call(Method::GET, &format!("/_wamm/emails?to={to}"), None, None)
        .await
        .ok()["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn acceptance_signs_terms_and_onboards_each_waba(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_bsp(&p, &receiver).await;
    for waba in [8080, 8081] {
        p.post(&format!("/v23.0/{waba}/subscribed_apps"), BSP, &json!({}))
            .await
            .ok();
    }
    let template = p
        .post(
            "/v23.0/8080/message_templates",
            BSP,
            &json!({"name": "promo", "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "Sale"}]}),
        )
        .await;
    let template_id = template.ok()["id"]
        .as_str()
        .expect("template id")
        .to_owned();
    p.clock(json!({"freeze": true, "set": "2030-03-01T09:00:00Z"}))
        .await;
    let request_id = intent(&p, 808, BSP).await.ok()["request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    // Every admin is written to; people with partial access are not.
    let mail = emails(&p, "admin@busy.test").await;
    assert_eq!(mail.len(), 1);
    assert!(
        mail[0]["subject"]
            .as_str()
            .unwrap_or_default()
            .contains("Partner Co")
    );
    assert_eq!(mail[0]["link"], "/_wamm/businesses/808/requests");
    assert!(emails(&p, "staff@busy.test").await.is_empty());
    // Reminders follow on the platform clock until someone decides.
    p.clock(json!({"advance_seconds": 24 * 3600 + 1})).await;
    p.call(Method::POST, "/_wamm/reminders", None, None)
        .await
        .ok();
    let mail = emails(&p, "admin@busy.test").await;
    assert_eq!(mail.len(), 2);
    assert!(
        mail[1]["subject"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Reminder: ")
    );
    // An employee cannot accept; an admin can.
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/requests/{request_id}/accept"),
            None,
            Some(&json!({"user_id": "80802"})),
        )
        .await;
    assert_eq!(r.status, 400);
    p.call(
        Method::POST,
        &format!("/_wamm/requests/{request_id}/accept"),
        None,
        Some(&json!({"user_id": "80801"})),
    )
    .await
    .ok();
    let biz = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"],
        json!({"status": "TERM_OF_SERVICE_SIGNED", "time": "2030-03-02"})
    );
    let waba = p
        .get(
            "/v23.0/8080?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        waba.ok()["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    let syncing = p
        .get(&format!("/v23.0/{template_id}?fields=name,ad_id"), BSP)
        .await;
    assert!(
        syncing.ok().get("ad_id").is_none(),
        "no ad fields while the sync runs: {}",
        syncing.text
    );
    // No more reminders once decided.
    p.clock(json!({"advance_seconds": 3 * 24 * 3600})).await;
    p.call(Method::POST, "/_wamm/reminders", None, None)
        .await
        .ok();
    assert_eq!(emails(&p, "admin@busy.test").await.len(), 2);
    // Setup completed (ten minutes, long passed): onboarded, one webhook per WABA.
    let waba = p
        .get(
            "/v23.0/8080?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        waba.ok()["marketing_messages_onboarding_status"],
        "ONBOARDED"
    );
    let entries = receiver.wait_for_entries(4).await;
    let of = |event: &str| {
        let mut ids: Vec<String> = entries
            .iter()
            .filter(|e| e["changes"][0]["value"]["event"] == event)
            .filter_map(|e| {
                e["changes"][0]["value"]["waba_info"]["waba_id"]
                    .as_str()
                    .map(str::to_owned)
            })
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(of("MM_LITE_TERMS_SIGNED"), ["8080", "8081"]);
    assert_eq!(of("AD_ACCOUNT_LINKED"), ["8080", "8081"]);
    for e in &entries {
        assert_eq!(e["changes"][0]["field"], "account_update");
        assert_eq!(
            e["changes"][0]["value"]["waba_info"]["owner_business_id"],
            "808"
        );
    }
    // The marketing template now has its read-only ad entity chain under the linked account.
    let ad = p
        .get(
            &format!("/v23.0/{template_id}?fields=ad_id,ad_adset_id,ad_campaign_id,ad_account_id"),
            BSP,
        )
        .await;
    let linked = entries
        .iter()
        .find(|e| e["changes"][0]["value"]["event"] == "AD_ACCOUNT_LINKED" && e["id"] == "8080")
        .map(|e| e["changes"][0]["value"]["waba_info"]["ad_account_linked"].clone())
        .unwrap_or_default();
    assert_eq!(ad.ok()["ad_account_id"], linked);
    for f in ["ad_id", "ad_adset_id", "ad_campaign_id"] {
        assert!(
            ad.json[f].as_str().is_some_and(|v| v.len() == 15),
            "{f} in {}",
            ad.text
        );
    }
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, BSP_SECRET);
    }
    // The filter on the partner's list follows.
    let filter = super::business::urlencode(&json!([{"field": "marketing_messages_onboarding_status", "operator": "IN", "value": ["ONBOARDED"]}]).to_string());
    let list = p
        .get(
            &format!("/v23.0/600/client_whatsapp_business_accounts?fields=id&filtering={filter}"),
            BSP,
        )
        .await;
    let listed: Vec<&str> = list.ok()["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|w| w["id"].as_str()).collect())
        .unwrap_or_default();
    // 8070 belongs to the business whose world file says it signed long ago.
    assert_eq!(listed, ["8070", "8080", "8081"]);
    p.finish().await;
}

async fn rejection_closes_the_request(backend: Backend) {
    let p = start(backend).await;
    let request_id = intent(&p, 808, BSP).await.ok()["request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    p.call(
        Method::POST,
        &format!("/_wamm/requests/{request_id}/reject"),
        None,
        None,
    )
    .await
    .ok();
    let biz = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "NOT_STARTED"
    );
    assert_eq!(
        p.call(
            Method::POST,
            &format!("/_wamm/requests/{request_id}/accept"),
            None,
            None
        )
        .await
        .status,
        400
    );
    // A new request may be made after a rejection.
    intent(&p, 808, BSP).await.ok();
    p.finish().await;
}

async fn the_requests_page_decides_as_the_chosen_person(backend: Backend) {
    let p = start(backend).await;
    let request_id = intent(&p, 808, BSP).await.ok()["request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let page = p
        .call(
            Method::GET,
            "/_wamm/businesses/808/requests?as=80802",
            None,
            None,
        )
        .await;
    assert!(page.text.contains(&request_id) && page.text.contains("PENDING"));
    let form = |who: &str| format!("as={who}");
    let path = format!("/_wamm/businesses/808/requests/{request_id}/accept");
    // Someone with partial access is refused, and the page says why.
    let refused = p
        .raw(
            Method::POST,
            &path,
            "",
            "application/x-www-form-urlencoded",
            form("80802").into_bytes(),
        )
        .await;
    assert_eq!(refused.status, 200, "the form lands back on the page");
    assert!(refused.text.contains("partial access"), "{}", refused.text);
    let biz = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "REQUEST_SENT"
    );
    // The admin accepts.
    let accepted = p
        .raw(
            Method::POST,
            &path,
            "",
            "application/x-www-form-urlencoded",
            form("80801").into_bytes(),
        )
        .await;
    assert!(accepted.text.contains("ACCEPTED"));
    let biz = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "TERM_OF_SERVICE_SIGNED"
    );
    p.finish().await;
}

async fn whatsapp_manager_self_onboarding(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_bsp(&p, &receiver).await;
    p.post("/v23.0/8080/subscribed_apps", BSP, &json!({}))
        .await
        .ok();
    // A pending Intent API request closes when the business signs on its own.
    let request_id = intent(&p, 808, BSP).await.ok()["request_id"]
        .as_str()
        .expect("id")
        .to_owned();
    p.clock(json!({"freeze": true})).await;
    let page = p
        .call(
            Method::GET,
            "/_wamm/businesses/808/whatsapp-manager",
            None,
            None,
        )
        .await;
    assert!(
        page.text.contains("Accept terms to get started"),
        "{}",
        page.text
    );
    let path = "/_wamm/businesses/808/whatsapp-manager/accept-terms";
    let refused = p
        .raw(
            Method::POST,
            path,
            "",
            "application/x-www-form-urlencoded",
            b"as=80802".to_vec(),
        )
        .await;
    assert!(refused.text.contains("partial access"), "{}", refused.text);
    let done = p
        .raw(
            Method::POST,
            path,
            "",
            "application/x-www-form-urlencoded",
            b"as=80801".to_vec(),
        )
        .await;
    assert!(done.text.contains("terms accepted on"), "{}", done.text);
    let biz = p
        .get(
            "/v23.0/808?fields=marketing_messages_onboarding_status",
            BSP,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "TERM_OF_SERVICE_SIGNED"
    );
    let requests = p
        .call(Method::GET, "/_wamm/requests", None, None)
        .await
        .ok()["data"]
        .clone();
    let closed = requests
        .as_array()
        .and_then(|r| r.iter().find(|r| r["id"] == request_id.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(closed["status"], "ACCEPTED");
    assert_eq!(
        p.get(
            "/v23.0/8080?fields=marketing_messages_onboarding_status",
            BSP
        )
        .await
        .ok()["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    p.clock(json!({"advance_seconds": 600})).await;
    assert_eq!(
        p.get(
            "/v23.0/8080?fields=marketing_messages_onboarding_status",
            BSP
        )
        .await
        .ok()["marketing_messages_onboarding_status"],
        "ONBOARDED"
    );
    let entries = receiver.wait_for_entries(1).await;
    assert_eq!(
        entries[0]["changes"][0]["value"]["event"],
        "MM_LITE_TERMS_SIGNED"
    );
    assert_eq!(
        entries[0]["changes"][0]["value"]["waba_info"]["waba_id"],
        "8080"
    );
    // Signed already: the card is gone.
    let again = p
        .raw(
            Method::POST,
            path,
            "",
            "application/x-www-form-urlencoded",
            b"as=80801".to_vec(),
        )
        .await;
    assert!(again.text.contains("already accepted"), "{}", again.text);
    p.finish().await;
}

async fn ad_account_linked_can_be_turned_off(backend: Backend) {
    let config = wamm_platform::PlatformConfig {
        ad_account_linked_webhook: false,
        ..wamm_platform::PlatformConfig::default()
    };
    let p = TestPlatform::start_with(backend, config, Some(&world())).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_bsp(&p, &receiver).await;
    p.post("/v23.0/8080/subscribed_apps", BSP, &json!({}))
        .await
        .ok();
    p.clock(json!({"freeze": true})).await;
    let path = "/_wamm/businesses/808/whatsapp-manager/accept-terms";
    p.raw(
        Method::POST,
        path,
        "",
        "application/x-www-form-urlencoded",
        b"as=80801".to_vec(),
    )
    .await;
    p.clock(json!({"advance_seconds": 600})).await;
    receiver.wait_for_entries(1).await;
    // Wait for the dispatcher to record the attempt, then count what went out.
    let mut stats = Value::Null;
    for _ in 0..200 {
        stats = p
            .call(Method::GET, "/_wamm/webhooks/stats", None, None)
            .await
            .ok()
            .clone();
        if stats["pending"] == 0 && stats["delivered"] != 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(stats["delivered"], 1, "only MM_LITE_TERMS_SIGNED: {stats}");
    assert_eq!(
        receiver.entries()[0]["changes"][0]["value"]["event"],
        "MM_LITE_TERMS_SIGNED"
    );
    p.finish().await;
}

async fn a_waba_added_later_is_onboarded_on_its_own(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_bsp(&p, &receiver).await;
    p.post("/v23.0/8070/subscribed_apps", BSP, &json!({}))
        .await
        .ok();
    p.clock(json!({"freeze": true, "set": "2030-05-01T09:00:00Z"}))
        .await;
    // 807 signed the terms long ago; a new WABA joins it and is shared with the partner.
    let added = p
        .call(
            Method::POST,
            "/_wamm/businesses/807/wabas",
            None,
            Some(&json!({"name": "Later", "shared_with": "600",
                         "phone_number": {"display_phone_number": "+55 11 4000-0199"}})),
        )
        .await;
    assert_eq!(added.status, 201, "{}", added.text);
    assert_eq!(
        added.json["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    let waba = added.json["waba_id"].as_str().expect("waba id").to_owned();
    // One without a payment method waits for one, and owes nothing yet.
    let unpaid = p
        .call(
            Method::POST,
            "/_wamm/businesses/807/wabas",
            None,
            Some(&json!({"name": "Unpaid", "shared_with": "600", "payment_method": false})),
        )
        .await;
    assert_eq!(
        unpaid.json["marketing_messages_onboarding_status"],
        "PENDING_VALID_PAYMENT_METHOD"
    );
    let unpaid = unpaid.json["waba_id"].as_str().expect("id").to_owned();
    // A WABA of a business that never signed is only eligible.
    let unsigned = p
        .call(
            Method::POST,
            "/_wamm/businesses/808/wabas",
            None,
            Some(&json!({"name": "Unsigned", "shared_with": "600"})),
        )
        .await;
    assert_eq!(
        unsigned.json["marketing_messages_onboarding_status"],
        "ELIGIBLE"
    );
    // The partner subscribes to the new WABAs after they were created, before setup ends.
    for w in [&waba, &unpaid] {
        p.post(&format!("/v23.0/{w}/subscribed_apps"), BSP, &json!({}))
            .await
            .ok();
    }
    let listed = p
        .get(
            "/v23.0/600/client_whatsapp_business_accounts?fields=id,marketing_messages_onboarding_status&limit=100",
            BSP,
        )
        .await;
    assert!(
        listed.ok()["data"]
            .as_array()
            .is_some_and(|d| d.iter().any(|w| w["id"] == waba.as_str())),
        "{}",
        listed.text
    );
    p.clock(json!({"advance_seconds": 599})).await;
    assert_eq!(
        p.get(
            &format!("/v23.0/{waba}?fields=marketing_messages_onboarding_status"),
            BSP
        )
        .await
        .ok()["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    p.clock(json!({"advance_seconds": 1})).await;
    assert_eq!(
        p.get(
            &format!("/v23.0/{waba}?fields=marketing_messages_onboarding_status"),
            BSP
        )
        .await
        .ok()["marketing_messages_onboarding_status"],
        "ONBOARDED"
    );
    receiver.wait_for_entries(2).await;
    // Anything else owed would have been enqueued with these; give it time to arrive.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let entries = receiver.entries();
    let events: Vec<(String, String)> = entries
        .iter()
        .map(|e| {
            (
                e["changes"][0]["value"]["event"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                e["changes"][0]["value"]["waba_info"]["waba_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            )
        })
        .collect();
    // Its own webhooks, and none for the WABA onboarded long ago or the one awaiting payment.
    assert_eq!(
        events,
        [
            ("MM_LITE_TERMS_SIGNED".to_owned(), waba.clone()),
            ("AD_ACCOUNT_LINKED".to_owned(), waba.clone())
        ]
    );
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, BSP_SECRET);
    }
    assert_eq!(
        p.get(
            &format!("/v23.0/{unpaid}?fields=marketing_messages_onboarding_status"),
            BSP
        )
        .await
        .ok()["marketing_messages_onboarding_status"],
        "PENDING_VALID_PAYMENT_METHOD"
    );
    // Bad input is refused plainly.
    for (body, status) in [
        (json!({"name": "X", "shared_with": "999999"}), 400),
        (json!({"name": "X", "tax_country": "ZZZ"}), 400),
        (json!({"nom": "X"}), 400),
    ] {
        let r = p
            .call(
                Method::POST,
                "/_wamm/businesses/807/wabas",
                None,
                Some(&body),
            )
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
    }
    let r = p
        .call(
            Method::POST,
            "/_wamm/businesses/123/wabas",
            None,
            Some(&json!({"name": "X"})),
        )
        .await;
    assert_eq!(r.status, 404);
    p.finish().await;
}

crate::on_both_backends!(
    a_waba_added_later_is_onboarded_on_its_own,
    ad_account_linked_can_be_turned_off,
    whatsapp_manager_self_onboarding,
    the_requests_page_decides_as_the_chosen_person,
    the_five_rows_of_the_obo_table,
    tech_providers_do_not_manage_obo,
    ineligible_businesses_and_permissions,
    one_request_per_business_even_under_concurrency,
    acceptance_signs_terms_and_onboards_each_waba,
    rejection_closes_the_request,
);
