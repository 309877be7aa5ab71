//! Embedded Signup over HTTP: the dialog's screens, what finishing creates, the session events,
//! the partner webhooks, and the code: single use, 30 seconds, exchanged for a business token.
//! The same flow in a real browser, from the sample partner page, is in `browser.rs`.

use std::collections::BTreeMap;

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::*;

const BSP: &str = "TOK-ES-BSP-0000000000000";
const SECRET: &str = "es-bsp-secret-000000000000000000";
const OTHER_SECRET: &str = "es-other-secret-0000000000000000";
const ORIGIN: &str = "https://partner.example";

pub(crate) fn world() -> String {
    format!(
        r#"format: wamm-world/1
apps:
  - key: bsp
    id: "900"
    name: Partner Connect
    secret: {SECRET}
    business: partner
    partner_type: BSP
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced, business_management: advanced, ads_read: advanced }}
    login_configs:
      - {{ id: 9001, name: ES with MM, permissions: [whatsapp_business_management, whatsapp_business_messaging, ads_read] }}
      - {{ id: 9002, name: MM product, permissions: [whatsapp_business_management, whatsapp_business_messaging], marketing_messages: true }}
  - key: other
    id: "901"
    name: Other App
    secret: {OTHER_SECRET}
    business: partner
    partner_type: TECH_PROVIDER
    permissions: {{ whatsapp_business_messaging: advanced, whatsapp_business_management: advanced }}
    login_configs:
      - {{ id: 9011, name: Other, permissions: [whatsapp_business_management, whatsapp_business_messaging] }}
businesses:
  - key: partner
    id: "910"
    name: Partner Co
    country: US
    people: [{{ id: "91001", name: Pat, email: pat@partner.test, role: ADMIN }}]
    system_users:
      - key: ops
        id: "911"
        name: Ops
        role: ADMIN
        tokens:
          - {{ app: bsp, token: {BSP}, scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management] }}
  - key: shop
    id: "920"
    name: Existing Shop
    country: BR
    people:
      - {{ id: "92001", name: Olga Owner, email: olga@shop.test, role: ADMIN }}
      - {{ id: "92002", name: Sam Staff, email: sam@shop.test, role: EMPLOYEE }}
    wabas:
      - key: shop-waba
        id: "9200"
        name: Shop WABA
        tax_country: BR
        phone_numbers: [{{ id: "92000", display_phone_number: "+55 11 4000-0001", verified_name: Shop }}]
  - key: signed
    id: "930"
    name: Signed Store
    country: MX
    mm_terms_signed_at: 2025-10-07
    people: [{{ id: "93001", name: Sara Signer, email: sara@signed.test, role: ADMIN }}]
    wabas:
      - {{ key: signed-waba, id: "9300", name: Signed WABA, tax_country: MX }}
"#
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

/// A client that does not follow redirects, for the dialog's forms.
fn browserless() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An answer from the dialog.
struct Page {
    status: u16,
    location: Option<String>,
    html: String,
}

impl Page {
    /// The screen shown (`data-screen`), if this is a screen.
    fn screen(&self) -> Option<String> {
        let at = self.html.find("data-screen=\"")? + 13;
        Some(self.html[at..at + self.html[at..].find('"')?].to_owned())
    }

    /// The JSON inside `<script type="application/json" id="{id}">`.
    fn script(&self, id: &str) -> Option<Value> {
        let tag = format!("id=\"{id}\">");
        let at = self.html.find(&tag)? + tag.len();
        let end = at + self.html[at..].find("</script>")?;
        let text = &self.html[at..end];
        serde_json::from_str::<Value>(text).ok().map(|v| match v {
            // The session event is itself a JSON string, as Meta posts it.
            Value::String(s) => serde_json::from_str(&s).unwrap_or(Value::String(s)),
            other => other,
        })
    }

    fn session_event(&self) -> Value {
        self.script("session-event").unwrap_or(Value::Null)
    }

    fn code(&self) -> String {
        self.script("login-response").unwrap_or(Value::Null)["authResponse"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

async fn read(res: reqwest::Response) -> Page {
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    Page {
        status,
        location,
        html: res.text().await.expect("body"),
    }
}

async fn dialog(p: &TestPlatform, query: &[(&str, &str)]) -> Page {
    let url = format!("{}/v23.0/dialog/oauth", p.base);
    read(
        browserless()
            .get(url)
            .query(query)
            .send()
            .await
            .expect("dialog"),
    )
    .await
}

async fn post(p: &TestPlatform, fields: &BTreeMap<&str, String>) -> Page {
    let (cookie, csrf) = p.csrf().await;
    let body = format!(
        "{}&{csrf}",
        serde_urlencoded::to_string(fields).expect("form")
    );
    read(
        browserless()
            .post(format!("{}/_wamm/embedded-signup", p.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", cookie)
            .body(body)
            .send()
            .await
            .expect("step"),
    )
    .await
}

/// The fields every screen carries, for the app's config 9001 and `extras`.
fn base(config: &str, extras: &Value) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        (
            "app_id",
            if config == "9011" { "901" } else { "900" }.to_owned(),
        ),
        ("config_id", config.to_owned()),
        ("origin", ORIGIN.to_owned()),
        ("extras", extras.to_string()),
    ])
}

fn mm_extras() -> Value {
    json!({"setup": {}, "sessionInfoVersion": "3", "features": [{"name": "marketing_messages_lite"}], "version": "v3"})
}

/// A new person creating a new business, WABA and phone number, accepting the MM terms.
fn newcomer(config: &str, extras: &Value) -> BTreeMap<&'static str, String> {
    let mut f = base(config, extras);
    for (k, v) in [
        ("person", "new"),
        ("person_name", "Nina New"),
        ("person_email", "nina@newco.test"),
        ("business", "new"),
        ("business_name", "NewCo"),
        ("business_country", "BR"),
        ("waba", "new"),
        ("waba_name", "NewCo WhatsApp"),
        ("phone", "new"),
        ("phone_number", "+55 11 4000-1234"),
        ("terms", "accept"),
        ("confirm", "yes"),
    ] {
        f.insert(k, v.to_owned());
    }
    f
}

async fn exchange(
    p: &TestPlatform,
    app: &str,
    secret: &str,
    code: &str,
    redirect: Option<&str>,
) -> Resp {
    let mut q = vec![
        ("client_id", app),
        ("client_secret", secret),
        ("code", code),
    ];
    if let Some(r) = redirect {
        q.push(("redirect_uri", r));
    }
    let query = serde_urlencoded::to_string(&q).expect("query");
    p.call(
        Method::GET,
        &format!("/v23.0/oauth/access_token?{query}"),
        None,
        None,
    )
    .await
}

async fn subscribe_app(p: &TestPlatform, receiver: &Receiver) {
    p.post(
        "/v23.0/900/subscriptions",
        &format!("900|{SECRET}"),
        &json!({"object": "whatsapp_business_account", "callback_url": receiver.url, "verify_token": "verify-me", "fields": "account_update"}),
    )
    .await
    .ok();
}

async fn the_screens_come_in_order(backend: Backend) {
    let p = start(backend).await;
    let extras = mm_extras().to_string();
    let first = dialog(
        &p,
        &[
            ("client_id", "900"),
            ("config_id", "9001"),
            ("response_type", "code"),
            ("override_default_response_type", "true"),
            ("origin", ORIGIN),
            ("extras", &extras),
        ],
    )
    .await;
    assert_eq!(first.status, 200, "{}", first.html);
    assert_eq!(first.screen().as_deref(), Some("LOGIN"));
    // Admins are offered; employees are not.
    assert!(first.html.contains("olga@shop.test"));
    assert!(!first.html.contains("sam@shop.test"));
    let mut f = base("9001", &mm_extras());
    f.insert("person", "92001".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("BUSINESS_ACCOUNT_SELECTION"));
    assert!(page.html.contains("Existing Shop"));
    assert!(
        !page.html.contains("Signed Store"),
        "only businesses the person administers"
    );
    f.insert("business", "920".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("WABA_SELECTION"));
    assert!(page.html.contains("Shop WABA"));
    f.insert("waba", "9200".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("PHONE_NUMBER_SETUP"));
    assert!(page.html.contains("+55 11 4000-0001"));
    // A bad answer stays on its screen with the reason.
    f.insert("phone", "new".into());
    f.insert("phone_number", "12".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("PHONE_NUMBER_SETUP"));
    assert!(page.html.contains("id=\"problem\""));
    f.insert("phone", "92000".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("MARKETING_MESSAGES_TERMS"));
    f.insert("terms", "accept".into());
    let page = post(&p, &f).await;
    assert_eq!(page.screen().as_deref(), Some("PERMISSIONS_REVIEW"));
    assert!(page.html.contains("ads_read"));
    // Someone else's business is refused even when posted directly.
    let mut forged = f.clone();
    forged.insert("business", "930".into());
    let page = post(&p, &forged).await;
    assert_eq!(page.screen().as_deref(), Some("BUSINESS_ACCOUNT_SELECTION"));
    // A business that signed the terms already skips the terms screen.
    let mut g = base("9001", &mm_extras());
    for (k, v) in [
        ("person", "93001"),
        ("business", "930"),
        ("waba", "9300"),
        ("phone", "skip"),
    ] {
        g.insert(k, v.into());
    }
    assert_eq!(
        post(&p, &g).await.screen().as_deref(),
        Some("PERMISSIONS_REVIEW")
    );
    // Without the feature, no terms screen either.
    let mut h = f.clone();
    h.remove("terms");
    h.insert("extras", json!({"sessionInfoVersion": "3"}).to_string());
    assert_eq!(
        post(&p, &h).await.screen().as_deref(),
        Some("PERMISSIONS_REVIEW")
    );
    p.finish().await;
}

async fn finishing_creates_the_assets_and_a_code_for_the_business_token(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &receiver).await;
    p.clock(json!({"freeze": true, "set": "2030-06-01T10:00:00Z"}))
        .await;
    let done = post(&p, &newcomer("9001", &mm_extras())).await;
    assert_eq!(done.status, 200, "{}", done.html);
    let event = done.session_event();
    assert_eq!(event["type"], "WA_EMBEDDED_SIGNUP");
    assert_eq!(event["event"], "FINISH");
    assert_eq!(event["version"], 3);
    let waba = event["data"]["waba_id"]
        .as_str()
        .expect("waba_id")
        .to_owned();
    let phone = event["data"]["phone_number_id"]
        .as_str()
        .expect("phone")
        .to_owned();
    let business = event["data"]["business_id"]
        .as_str()
        .expect("business")
        .to_owned();
    let login = done.script("login-response").expect("login response");
    assert_eq!(login["status"], "connected");
    assert_eq!(login["authResponse"]["expiresIn"], 30);
    assert_eq!(
        done.script("target-origin"),
        Some(json!(ORIGIN)),
        "messages go to the opener's origin only"
    );
    let code = done.code();
    assert!(code.starts_with("AQ") && code.len() > 40, "{code}");
    // The partner hears of the install on its app subscription, signed with its secret.
    let entries = receiver.wait_for_entries(2).await;
    let mut events: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["changes"][0]["value"]["event"].as_str())
        .collect();
    events.sort_unstable();
    assert_eq!(events, ["PARTNER_ADDED", "PARTNER_APP_INSTALLED"]);
    let installed = entries
        .iter()
        .find(|e| e["changes"][0]["value"]["event"] == "PARTNER_APP_INSTALLED")
        .map(|e| e["changes"][0]["value"]["waba_info"].clone())
        .unwrap_or_default();
    assert_eq!(installed["waba_id"], waba.as_str());
    assert_eq!(installed["partner_app_id"], "900");
    // The code buys the business token, once.
    let token = exchange(&p, "900", SECRET, &code, None).await;
    assert_eq!(token.status, 200, "{}", token.text);
    assert_eq!(token.json["token_type"], "bearer");
    let bisuat = token.json["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let again = exchange(&p, "900", SECRET, &code, None).await;
    assert_eq!(
        (
            again.status,
            again.json["error"]["code"].clone(),
            again.json["error"]["error_subcode"].clone()
        ),
        (400, json!(100), json!(36009)),
        "{}",
        again.text
    );
    assert_eq!(again.message(), "This authorization code has been used.");
    // It acts for the new business, on the new WABA, with the configuration's permissions.
    let debug = p
        .get(
            &format!("/v23.0/debug_token?input_token={bisuat}"),
            &format!("900|{SECRET}"),
        )
        .await;
    let data = &debug.ok()["data"];
    assert_eq!(data["type"], "SYSTEM_USER");
    assert_eq!(
        data["scopes"],
        json!([
            "whatsapp_business_management",
            "whatsapp_business_messaging",
            "ads_read"
        ])
    );
    assert_eq!(data["granular_scopes"][0]["target_ids"], json!([waba]));
    assert!(
        data["granular_scopes"][2].get("target_ids").is_none(),
        "no ad account before setup: {data}"
    );
    let node = p
        .get(&format!("/v23.0/{waba}?fields=id,name,marketing_messages_onboarding_status,owner_business_info"), &bisuat)
        .await;
    assert_eq!(
        node.ok()["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    assert_eq!(node.json["owner_business_info"]["id"], business.as_str());
    let number = p
        .get(
            &format!("/v23.0/{phone}?fields=display_phone_number,is_on_biz_app"),
            &bisuat,
        )
        .await;
    assert_eq!(number.ok()["display_phone_number"], "+55 11 4000-1234");
    assert_eq!(number.json["is_on_biz_app"], false);
    let status = p
        .get(
            &format!("/v23.0/{business}?fields=marketing_messages_onboarding_status"),
            BSP,
        )
        .await;
    assert_eq!(
        status.ok()["marketing_messages_onboarding_status"],
        json!({"status": "TERM_OF_SERVICE_SIGNED", "time": "2030-06-01"})
    );
    // The partner subscribes to the new WABA after the flow; setup completes, the WABA's own
    // MM_LITE_TERMS_SIGNED arrives.
    p.post(
        &format!("/v23.0/{waba}/subscribed_apps"),
        &bisuat,
        &json!({}),
    )
    .await
    .ok();
    p.clock(json!({"advance_seconds": 600})).await;
    let entries = receiver.wait_for_entries(4).await;
    let signed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["changes"][0]["value"]["event"] == "MM_LITE_TERMS_SIGNED")
        .collect();
    assert_eq!(signed.len(), 1);
    assert_eq!(
        signed[0]["changes"][0]["value"]["waba_info"],
        json!({"waba_id": waba, "owner_business_id": business})
    );
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, SECRET);
    }
    // After onboarding, the fetched business token is the same one, scoped to the ad account.
    let proof = wamm_wire::proof::appsecret_proof(SECRET, BSP);
    let fetched = p
        .post(
            &format!("/v23.0/{business}/system_user_access_tokens?fetch_only=true&appsecret_proof={proof}"),
            BSP,
            &json!({}),
        )
        .await;
    assert_eq!(fetched.ok()["access_token"], bisuat.as_str());
    let ad_account = entries
        .iter()
        .find(|e| e["changes"][0]["value"]["event"] == "AD_ACCOUNT_LINKED")
        .map(|e| e["changes"][0]["value"]["waba_info"]["ad_account_linked"].clone())
        .expect("AD_ACCOUNT_LINKED");
    let debug = p
        .get(
            &format!("/v23.0/debug_token?input_token={bisuat}"),
            &format!("900|{SECRET}"),
        )
        .await;
    assert_eq!(
        debug.ok()["data"]["granular_scopes"][2],
        json!({"scope": "ads_read", "target_ids": [ad_account]})
    );
    p.finish().await;
}

async fn codes_expire_and_belong_to_their_app(backend: Backend) {
    let p = start(backend).await;
    p.clock(json!({"freeze": true})).await;
    let code = post(&p, &newcomer("9001", &mm_extras())).await.code();
    p.clock(json!({"advance_seconds": 30})).await;
    let expired = exchange(&p, "900", SECRET, &code, None).await;
    assert_eq!(
        (
            expired.status,
            expired.json["error"]["error_subcode"].clone()
        ),
        (400, json!(36007)),
        "{}",
        expired.text
    );
    assert_eq!(expired.message(), "This authorization code has expired.");
    assert_eq!(expired.json["error"]["type"], "OAuthException");
    let code = post(&p, &newcomer("9001", &mm_extras())).await.code();
    p.clock(json!({"advance_seconds": 29})).await;
    // Another app's credentials, a wrong secret, a made-up code: refused, and the code survives.
    let other = exchange(&p, "901", OTHER_SECRET, &code, None).await;
    assert_eq!(
        (other.status, other.json["error"]["error_subcode"].clone()),
        (400, json!(36007))
    );
    assert_eq!(other.message(), "Invalid verification code format.");
    let wrong = exchange(&p, "900", "not-the-secret", &code, None).await;
    assert_eq!(
        (wrong.status, wrong.json["error"]["code"].clone()),
        (400, json!(1))
    );
    let made_up = exchange(&p, "900", SECRET, "AQnot-a-code", None).await;
    assert_eq!(made_up.json["error"]["error_subcode"], 36007);
    assert_eq!(exchange(&p, "900", SECRET, &code, None).await.status, 200);
    // Eight concurrent exchanges of one code: exactly one token.
    let code = post(&p, &newcomer("9001", &mm_extras())).await.code();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let url = format!(
            "{}/v23.0/oauth/access_token?client_id=900&client_secret={SECRET}&code={code}",
            p.base
        );
        tasks.push(tokio::spawn(async move {
            reqwest::get(url).await.expect("exchange").status().as_u16()
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.expect("task"));
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400, 400, 400, 400, 400, 400, 400]);
    p.finish().await;
}

async fn the_redirect_flow_repeats_its_redirect_uri(backend: Backend) {
    let p = start(backend).await;
    let redirect = "https://partner.example/whatsapp/callback";
    let mut f = newcomer("9001", &json!({}));
    f.remove("origin");
    f.insert("redirect_uri", redirect.into());
    f.insert("state", "xyz 1".into());
    let done = post(&p, &f).await;
    assert_eq!(done.status, 303, "{}", done.html);
    let location = url::Url::parse(done.location.as_deref().expect("location")).expect("url");
    assert_eq!(location.path(), "/whatsapp/callback");
    let q: BTreeMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q.get("state").map(String::as_str), Some("xyz 1"));
    let code = q.get("code").expect("code").clone();
    let missing = exchange(&p, "900", SECRET, &code, None).await;
    assert_eq!(
        missing.json["error"]["error_subcode"], 36008,
        "{}",
        missing.text
    );
    let other = exchange(
        &p,
        "900",
        SECRET,
        &code,
        Some("https://partner.example/other"),
    )
    .await;
    assert_eq!(other.json["error"]["error_subcode"], 36008);
    assert_eq!(
        exchange(&p, "900", SECRET, &code, Some(redirect))
            .await
            .status,
        200
    );
    // Cancelling in the redirect flow comes back as Facebook's denial.
    let mut c = base("9001", &json!({}));
    c.remove("origin");
    c.insert("redirect_uri", redirect.into());
    c.insert("cancel", "1".into());
    let cancelled = post(&p, &c).await;
    let location = url::Url::parse(cancelled.location.as_deref().expect("location")).expect("url");
    let q: BTreeMap<String, String> = location.query_pairs().into_owned().collect();
    assert_eq!(q.get("error").map(String::as_str), Some("access_denied"));
    assert_eq!(
        q.get("error_reason").map(String::as_str),
        Some("user_denied")
    );
    assert!(!q.contains_key("code"));
    p.finish().await;
}

async fn coexistence_waba_only_and_cancel(backend: Backend) {
    let p = start(backend).await;
    // Coexistence: the WhatsApp Business app's number, connected by QR code, not registered anew.
    let coex = json!({"featureType": "whatsapp_business_app_onboarding", "sessionInfoVersion": "3", "features": [{"name": "marketing_messages_lite"}], "version": "v3"});
    let mut f = newcomer("9001", &coex);
    let refused = post(&p, &f).await;
    assert_eq!(
        refused.screen().as_deref(),
        Some("PHONE_NUMBER_SETUP"),
        "the QR code must be scanned"
    );
    f.insert("qr_scanned", "yes".into());
    let done = post(&p, &f).await;
    let event = done.session_event();
    assert_eq!(event["event"], "FINISH_WHATSAPP_BUSINESS_APP_ONBOARDING");
    let phone = event["data"]["phone_number_id"]
        .as_str()
        .expect("phone")
        .to_owned();
    let token = exchange(&p, "900", SECRET, &done.code(), None).await;
    let bisuat = token.ok()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let number = p
        .get(
            &format!("/v23.0/{phone}?fields=is_on_biz_app,platform_type"),
            &bisuat,
        )
        .await;
    assert_eq!(number.ok()["is_on_biz_app"], true);
    assert_eq!(number.json["platform_type"], "CLOUD_API");
    // No phone number: FINISH_ONLY_WABA.
    let mut f = newcomer("9001", &mm_extras());
    f.insert("phone", "skip".into());
    let event = post(&p, &f).await.session_event();
    assert_eq!(event["event"], "FINISH_ONLY_WABA");
    assert!(event["data"].get("phone_number_id").is_none());
    // Cancelled on the phone number screen: CANCEL with the step, and no code.
    let mut f = newcomer("9001", &mm_extras());
    f.remove("phone");
    f.insert("cancel", "1".into());
    let cancelled = post(&p, &f).await;
    assert_eq!(
        cancelled.session_event(),
        json!({"type": "WA_EMBEDDED_SIGNUP", "event": "CANCEL", "data": {"current_step": "PHONE_NUMBER_SETUP"}, "version": 3})
    );
    assert_eq!(
        cancelled.script("login-response"),
        Some(json!({"authResponse": null, "status": "unknown"}))
    );
    // v2 without sessionInfoVersion posts no session event, only the login response.
    let quiet = post(&p, &newcomer("9001", &json!({}))).await;
    assert!(quiet.script("session-event").is_none());
    assert!(!quiet.code().is_empty());
    // A v4 configuration with the MM Lite product offers the terms without the extra.
    let mut f = newcomer("9002", &json!({}));
    f.remove("terms");
    assert_eq!(
        post(&p, &f).await.screen().as_deref(),
        Some("MARKETING_MESSAGES_TERMS")
    );
    p.finish().await;
}

async fn the_dialog_refuses_what_it_cannot_run(backend: Backend) {
    let p = start(backend).await;
    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[
                ("client_id", "999"),
                ("config_id", "9001"),
                ("response_type", "code"),
                ("origin", ORIGIN),
            ],
            "Invalid App ID",
        ),
        (
            &[
                ("client_id", "900"),
                ("config_id", "9011"),
                ("response_type", "code"),
                ("origin", ORIGIN),
            ],
            "Invalid configuration",
        ),
        (
            &[
                ("client_id", "900"),
                ("response_type", "code"),
                ("origin", ORIGIN),
            ],
            "config_id",
        ),
        (
            &[
                ("client_id", "900"),
                ("config_id", "9001"),
                ("response_type", "token"),
                ("origin", ORIGIN),
            ],
            "response_type",
        ),
        (
            &[
                ("client_id", "900"),
                ("config_id", "9001"),
                ("response_type", "code"),
            ],
            "redirect_uri",
        ),
        (
            &[
                ("client_id", "900"),
                ("config_id", "9001"),
                ("response_type", "code"),
                ("origin", ORIGIN),
                ("extras", "[1"),
            ],
            "extras",
        ),
    ];
    for (query, words) in cases {
        let page = dialog(&p, query).await;
        assert_eq!(page.status, 400, "{query:?}");
        assert!(page.html.contains(words), "{query:?}: {}", page.html);
    }
    // The SDK is served where pages load it from.
    let sdk = p.call(Method::GET, "/en_US/sdk.js", None, None).await;
    assert_eq!(sdk.status, 200);
    assert!(
        sdk.header("content-type")
            .unwrap_or_default()
            .starts_with("application/javascript")
    );
    assert!(sdk.text.contains("WAMM_SDK_LOGIN_RESPONSE") && sdk.text.contains("fbAsyncInit"));
    assert_eq!(
        sdk.header("access-control-allow-origin").as_deref(),
        Some("*"),
        "pages on other origins load it with crossorigin=\"anonymous\""
    );
    p.finish().await;
}

async fn mm_status(p: &TestPlatform, waba: &str, token: &str) -> Value {
    p.get(
        &format!("/v23.0/{waba}?fields=marketing_messages_onboarding_status"),
        token,
    )
    .await
    .ok()["marketing_messages_onboarding_status"]
        .clone()
}

async fn disconnecting_a_coexistence_number_offboards_mm(backend: Backend) {
    let p = start(backend).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    subscribe_app(&p, &receiver).await;
    p.clock(json!({"freeze": true, "set": "2030-07-01T10:00:00Z"}))
        .await;
    let coex = json!({"featureType": "whatsapp_business_app_onboarding", "sessionInfoVersion": "3", "features": [{"name": "marketing_messages_lite"}], "version": "v3"});
    let mut f = newcomer("9001", &coex);
    f.insert("qr_scanned", "yes".into());
    f.insert("phone_number", "+1 555-078-3881".into());
    let done = post(&p, &f).await;
    let data = done.session_event()["data"].clone();
    let (waba, phone, business) = (
        data["waba_id"].as_str().expect("waba").to_owned(),
        data["phone_number_id"].as_str().expect("phone").to_owned(),
        data["business_id"].as_str().expect("business").to_owned(),
    );
    let bisuat = exchange(&p, "900", SECRET, &done.code(), None).await.ok()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    p.post(
        &format!("/v23.0/{waba}/subscribed_apps"),
        &bisuat,
        &json!({}),
    )
    .await
    .ok();
    let template = p
        .post(
            &format!("/v23.0/{waba}/message_templates"),
            &bisuat,
            &json!({"name": "deal", "language": "en_US", "category": "MARKETING", "components": [{"type": "BODY", "text": "Deal"}]}),
        )
        .await;
    let template = template.ok()["id"].as_str().expect("template").to_owned();
    p.clock(json!({"advance_seconds": 600})).await;
    assert_eq!(mm_status(&p, &waba, &bisuat).await, "ONBOARDED");
    let ad = p
        .get(
            &format!("/v23.0/{template}?fields=ad_id,ad_account_id"),
            &bisuat,
        )
        .await;
    let ad_account = ad.ok()["ad_account_id"]
        .as_str()
        .expect("linked")
        .to_owned();
    let proof = wamm_wire::proof::appsecret_proof(SECRET, BSP);
    p.post(
        &format!(
            "/v23.0/{business}/system_user_access_tokens?fetch_only=true&appsecret_proof={proof}"
        ),
        BSP,
        &json!({}),
    )
    .await
    .ok();
    let before = receiver.wait_for_entries(4).await.len();
    // The business disconnects in the app (here: the WhatsApp Manager page's button).
    let (cookie, csrf) = p.csrf().await;
    let page = browserless()
        .post(format!(
            "{}/_wamm/businesses/{business}/whatsapp-manager/disconnect",
            p.base
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(format!("phone={phone}&{csrf}"))
        .send()
        .await
        .expect("disconnect");
    assert_eq!(page.status().as_u16(), 303);
    assert!(
        !page.headers()["location"]
            .to_str()
            .unwrap_or_default()
            .contains("error")
    );
    assert_eq!(
        mm_status(&p, &waba, &bisuat).await,
        "INELIGIBLE_USING_WHATSAPP_BUSINESS_APP"
    );
    let ad = p
        .get(
            &format!("/v23.0/{template}?fields=name,ad_id,ad_account_id"),
            &bisuat,
        )
        .await;
    assert!(
        ad.ok().get("ad_id").is_none() && ad.json.get("ad_account_id").is_none(),
        "{}",
        ad.text
    );
    let debug = p
        .get(
            &format!("/v23.0/debug_token?input_token={bisuat}"),
            &format!("900|{SECRET}"),
        )
        .await;
    assert_eq!(
        debug.ok()["data"]["granular_scopes"][2],
        json!({"scope": "ads_read"}),
        "the ad account is unlinked"
    );
    let entries = receiver.wait_for_entries(before + 1).await;
    let removed = &entries[before];
    assert_eq!(removed["id"], waba.as_str());
    assert_eq!(
        removed["changes"][0],
        json!({"field": "account_update", "value": {"phone_number": "15550783881", "event": "PARTNER_REMOVED"}})
    );
    for post in receiver.posts() {
        wamm_testkit::assert_hub_signature(post.signature.as_deref(), &post.body, SECRET);
    }
    assert!(!ad_account.is_empty());
    // Not twice; not for numbers that are not coexistence numbers; not for unknown numbers.
    let again = p
        .call(
            Method::POST,
            &format!("/_wamm/phone_numbers/{phone}/disconnect"),
            None,
            None,
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.text);
    let unknown = p
        .call(
            Method::POST,
            "/_wamm/phone_numbers/12345/disconnect",
            None,
            None,
        )
        .await;
    assert_eq!(unknown.status, 404);
    let cloud = p
        .call(
            Method::POST,
            "/_wamm/phone_numbers/92000/disconnect",
            None,
            None,
        )
        .await;
    assert_eq!(cloud.status, 400);
    // WhatsApp disconnecting an inactive companion: ACCOUNT_OFFBOARDED, initiated by the system.
    let mut f = newcomer("9001", &coex);
    f.insert("qr_scanned", "yes".into());
    f.insert("phone_number", "+1 555-078-3882".into());
    let data = post(&p, &f).await.session_event()["data"].clone();
    let (waba2, phone2) = (
        data["waba_id"].as_str().expect("waba").to_owned(),
        data["phone_number_id"].as_str().expect("phone").to_owned(),
    );
    p.post(&format!("/v23.0/{waba2}/subscribed_apps"), BSP, &json!({}))
        .await
        .ok();
    let r = p
        .call(
            Method::POST,
            &format!("/_wamm/phone_numbers/{phone2}/disconnect"),
            None,
            Some(&json!({"reason": "COMPANION_INACTIVITY"})),
        )
        .await;
    assert_eq!(r.ok()["event"], "ACCOUNT_OFFBOARDED");
    // The second signup's partner events travel on their own; find the offboarding among them.
    let mut offboarded = None;
    for _ in 0..200 {
        offboarded = receiver
            .entries()
            .into_iter()
            .map(|e| e["changes"][0]["value"].clone())
            .find(|v| v["event"] == "ACCOUNT_OFFBOARDED");
        if offboarded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(
        offboarded,
        Some(
            json!({"event": "ACCOUNT_OFFBOARDED", "phone_number": "15550783882", "disconnection_info": {"reason": "COMPANION_INACTIVITY", "initiated_by": "SYSTEM"}})
        )
    );
    let bad = p
        .call(
            Method::POST,
            &format!("/_wamm/phone_numbers/{phone2}/disconnect"),
            None,
            Some(&json!({"reason": "BORED"})),
        )
        .await;
    assert_eq!(bad.status, 400);
    p.finish().await;
}

crate::on_both_backends!(
    disconnecting_a_coexistence_number_offboards_mm,
    the_screens_come_in_order,
    finishing_creates_the_assets_and_a_code_for_the_business_token,
    codes_expire_and_belong_to_their_app,
    the_redirect_flow_repeats_its_redirect_uri,
    coexistence_waba_only_and_cancel,
    the_dialog_refuses_what_it_cannot_run,
);
