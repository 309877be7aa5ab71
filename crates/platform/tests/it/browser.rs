//! The console in a real browser: headless Chromium driven over WebDriver (ChromeDriver).
//!
//! These tests need Debian's `chromium` and `chromium-driver`; `scripts/test.sh` installs them.
//! When they are missing the tests fail with a message saying so, never skip.

use std::time::Duration;

use serde_json::json;
use wamm_testkit::browser::fantoccini::{self, Locator};
use wamm_testkit::browser::{
    NewSignup, browser, press, sign_up_new_business, switch_to_popup, wait_script, wait_text,
};

use crate::support::*;

#[tokio::test]
async fn console_lists_the_world_and_follows_changes() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/", p.base))
        .await
        .expect("console loads");
    assert_eq!(client.title().await.expect("title"), "wamm console");
    let row = client
        .find(Locator::Css(r#"tr[data-waba="3003"]"#))
        .await
        .expect("the OBO WABA's row");
    let text = row.text().await.expect("row text");
    assert!(
        text.contains("Client B OBO") && text.contains("INELIGIBLE_ON_BEHALF_OF_WABA"),
        "{text}"
    );
    let row = client
        .find(Locator::Css(r#"tr[data-waba="3005"]"#))
        .await
        .expect("the onboarded WABA's row");
    assert!(row.text().await.expect("text").contains("ONBOARDED"));
    // A change made through Graph shows on the next load.
    p.post("/v23.0/3001", FULL, &json!({"name": "Renamed In Graph"}))
        .await
        .ok();
    client.refresh().await.expect("reload");
    let row = client
        .find(Locator::Css(r#"tr[data-waba="3001"]"#))
        .await
        .expect("row");
    assert!(row.text().await.expect("text").contains("Renamed In Graph"));
    let events = client
        .find(Locator::Id("events"))
        .await
        .expect("events section");
    assert!(events.text().await.expect("text").contains("waba.updated"));
    if let Ok(path) = std::env::var("WAMM_SCREENSHOT") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("screenshot written");
    }
    client.close().await.expect("session closes");
    p.finish().await;
}

#[tokio::test]
async fn app_dashboard_sets_a_verified_callback() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    let receiver = Receiver::start(ReceiverBehaviour::default()).await;
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/", p.base))
        .await
        .expect("console loads");
    client
        .find(Locator::LinkText("Partner Connect"))
        .await
        .expect("app link")
        .click()
        .await
        .expect("open the app");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/_wamm/apps/2000")
    );
    let status = client
        .find(Locator::Id("subscription-status"))
        .await
        .expect("status");
    assert!(status.text().await.expect("text").contains("No callback"));
    let fill = |id: &'static str, value: String| {
        let client = client.clone();
        async move {
            let input = client.find(Locator::Id(id)).await.expect("input");
            input.clear().await.expect("clear");
            input.send_keys(&value).await.expect("type");
        }
    };
    // A wrong verify token fails the handshake and says so.
    fill("callback_url", receiver.url.clone()).await;
    fill("verify_token", "not-it".into()).await;
    tick(&client, "account_update").await;
    submit_and_wait(&client, "error=").await;
    let message = client.find(Locator::Id("message")).await.expect("message");
    assert!(message.text().await.expect("text").contains("Not saved"));
    let status = client
        .find(Locator::Id("subscription-status"))
        .await
        .expect("status");
    assert!(status.text().await.expect("text").contains("inactive"));
    // The right one passes; the subscription is active and serves Graph too.
    fill("verify_token", "verify-me".into()).await;
    tick(&client, "account_update").await;
    submit_and_wait(&client, "saved=1").await;
    let message = client.find(Locator::Id("message")).await.expect("message");
    assert!(message.text().await.expect("text").contains("Saved"));
    let status = client
        .find(Locator::Id("subscription-status"))
        .await
        .expect("status");
    assert_eq!(status.text().await.expect("text"), "active");
    let graph = p
        .get(
            "/v23.0/2000/subscriptions",
            "2000|connect-secret-0000000000000000",
        )
        .await;
    assert_eq!(
        graph.ok()["data"][0]["fields"],
        json!([{"name": "account_update", "version": "v23.0"}])
    );
    assert_eq!(receiver.handshakes(), 2);
    client.close().await.expect("session closes");
    p.finish().await;
}

/// Makes sure a field's checkbox is ticked.
async fn tick(client: &fantoccini::Client, field: &str) {
    let checkbox = client
        .find(Locator::Css(&format!(r#"input[value="{field}"]"#)))
        .await
        .expect("checkbox");
    if !checkbox.is_selected().await.expect("state") {
        checkbox.click().await.expect("tick");
    }
}

/// Submits the webhook form and waits (bounded) for the page it redirects to.
async fn submit_and_wait(client: &fantoccini::Client, query_part: &str) {
    let before = client.current_url().await.expect("url");
    client
        .find(Locator::Css("#webhook-form button"))
        .await
        .expect("submit")
        .click()
        .await
        .expect("submit");
    for _ in 0..100 {
        let now = client.current_url().await.expect("url");
        if now != before && now.query().unwrap_or_default().contains(query_part) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the form did not land on a page with {query_part}");
}

#[tokio::test]
async fn an_admin_accepts_a_request_from_the_mailbox_link() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    // Client A (1001) asks nothing yet; the partner calls the Intent API for it.
    let r = p
        .post("/v23.0/1001/onboard_partners_to_mm_lite", FULL, &json!({}))
        .await;
    let request_id = r.ok()["request_id"]
        .as_str()
        .expect("request id")
        .to_owned();
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/", p.base))
        .await
        .expect("console loads");
    let mailbox = client.find(Locator::Id("mailbox")).await.expect("mailbox");
    assert!(mailbox.text().await.expect("text").contains("ana@a.test"));
    client
        .find(Locator::Css("#mailbox a.email-link"))
        .await
        .expect("email link")
        .click()
        .await
        .expect("open the request");
    assert!(
        client
            .current_url()
            .await
            .expect("url")
            .path()
            .ends_with("/_wamm/businesses/1001/requests")
    );
    let request = client
        .find(Locator::Css(&format!(
            r#"section[data-request="{request_id}"]"#
        )))
        .await
        .expect("the request");
    let text = request.text().await.expect("text");
    assert!(
        text.contains("Partner Inc")
            && text.contains("PENDING")
            && text.contains("Terms of Service"),
        "{text}"
    );
    // The admin (full control) is the default identity; accept.
    client
        .find(Locator::Css("button.accept"))
        .await
        .expect("accept")
        .click()
        .await
        .expect("click");
    let status = client
        .wait()
        .for_element(Locator::Css("section.request .status.ACCEPTED"))
        .await
        .expect("accepted");
    assert_eq!(status.text().await.expect("text"), "ACCEPTED");
    let biz = p
        .get(
            "/v23.0/1001?fields=marketing_messages_onboarding_status",
            FULL,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "TERM_OF_SERVICE_SIGNED"
    );
    client.close().await.expect("session closes");
    p.finish().await;
}

#[tokio::test]
async fn a_partner_enrols_on_the_app_dashboard() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    let proof = wamm_wire::proof::appsecret_proof(STARTER_SECRET, STARTER);
    // Standard access only: a client's WABA is out of reach.
    p.get(&format!("/v23.0/3001?appsecret_proof={proof}"), STARTER)
        .await
        .graph_error(403, 10, None);
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_wamm/apps/2001", p.base))
        .await
        .expect("App Dashboard");
    press(&client, "#get-started").await;
    wait_text(&client, "#enrolment-status", "Advanced access needed").await;
    for permission in [
        "whatsapp_business_messaging",
        "whatsapp_business_management",
    ] {
        let row = format!(r#"tr[data-permission="{permission}"]"#);
        press(&client, &format!("{row} .request-permission")).await;
        wait_text(&client, &format!("{row} .state"), "in review").await;
        press(&client, &format!("{row} .approve")).await;
        wait_text(&client, &format!("{row} .state"), "advanced access").await;
    }
    press(&client, "#continue").await;
    press(&client, "#accept-tos").await;
    wait_text(&client, "#enrolment-status", "Enrolled").await;
    // App Review granted advanced access: the client's WABA is reachable now.
    p.get(&format!("/v23.0/3001?appsecret_proof={proof}"), STARTER)
        .await
        .ok();
    let world = p
        .call(reqwest::Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    let app = world.ok()["apps"]
        .as_array()
        .and_then(|a| a.iter().find(|a| a["id"] == "2001"))
        .cloned()
        .unwrap_or_default();
    assert!(
        app["mm_enrolment"]["terms_accepted_at"].is_i64(),
        "enrolment is in the state: {app}"
    );
    client.close().await.expect("session closes");
    p.finish().await;
}

#[tokio::test]
async fn embedded_signup_from_the_sample_partner_page_to_the_code_exchange() {
    let p = TestPlatform::start_with(
        Backend::Sqlite,
        wamm_platform::PlatformConfig::default(),
        Some(&crate::embedded_signup::world()),
    )
    .await;
    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/_wamm/apps/900/embedded-signup", p.base))
        .await
        .expect("sample page");
    // The SDK loads asynchronously and calls fbAsyncInit, as Meta's does.
    wait_script(
        &client,
        "return typeof FB !== 'undefined' && FB.__wamm === true;",
    )
    .await;
    let opener = client.window().await.expect("window");
    press(&client, "#launch").await;
    switch_to_popup(&client, &opener).await;
    sign_up_new_business(
        &client,
        NewSignup {
            person: "Bea Browser",
            email: "bea@browser.test",
            business: "Browser Bakery",
            country: "BR",
            phone: "+55 21 4000-7777",
        },
    )
    .await;
    // The popup posts to the opener and closes itself.
    client
        .switch_to_window(opener)
        .await
        .expect("back to the partner page");
    wait_text(&client, "#events", "\"event\":\"FINISH\"").await;
    wait_text(&client, "#response", "\"status\":\"connected\"").await;
    let events = client
        .find(Locator::Css("#events"))
        .await
        .expect("events")
        .text()
        .await
        .expect("text");
    let finish: serde_json::Value =
        serde_json::from_str(events.lines().next().unwrap_or_default()).expect("event JSON");
    let waba = finish["data"]["waba_id"].as_str().expect("waba").to_owned();
    // The partner's "server" exchanges the code within 30 seconds.
    press(&client, "#exchange").await;
    wait_text(&client, "#token", "access_token").await;
    let token: serde_json::Value = serde_json::from_str(
        &client
            .find(Locator::Css("#token"))
            .await
            .expect("token")
            .text()
            .await
            .expect("text"),
    )
    .expect("token JSON");
    let bisuat = token["access_token"].as_str().expect("a business token");
    let node = p
        .get(
            &format!("/v23.0/{waba}?fields=name,marketing_messages_onboarding_status"),
            bisuat,
        )
        .await;
    assert_eq!(node.ok()["name"], "Browser Bakery");
    assert_eq!(
        node.json["marketing_messages_onboarding_status"],
        "PENDING_INTERNAL_SETUP"
    );
    // The code was single use: the page's second exchange is refused.
    press(&client, "#exchange").await;
    wait_text(&client, "#token", "36009").await;
    client.close().await.expect("session closes");
    p.finish().await;
}

/// A page on another site (`localhost` against the platform's `127.0.0.1`) that tries every
/// state change the control API and the pages offer: `text/plain` and JSON fetches, forms
/// posted into a frame, and a read of the world (app secrets).
fn attack_page(platform: &str, request_path: &str) -> String {
    format!(
        r#"<!doctype html><title>attack</title>
<iframe name="sink"></iframe>
<form id="accept" method="post" target="sink" action="{platform}{request_path}"><input name="as" value="1101"></form>
<form id="reset" method="post" target="sink" action="{platform}/_wamm/reset"></form>
<form id="terms" method="post" target="sink" action="{platform}/_wamm/businesses/1002/whatsapp-manager/accept-terms"></form>
<script>
const base = "{platform}";
const tries = [
  ["/_wamm/reset", "text/plain", ""],
  ["/_wamm/world", "text/plain", "format: wamm-world/1\n"],
  ["/_wamm/clock", "text/plain", '{{"advance_seconds": 864000}}'],
  ["/_wamm/tokens", "text/plain", '{{"app_id": "2000", "user_id": "1100"}}'],
  ["/_wamm/clock", "application/json", '{{"advance_seconds": 864000}}'],
];
async function run() {{
  const out = {{}};
  for (const [path, type, body] of tries) {{
    try {{
      await fetch(base + path, {{ method: "POST", mode: "no-cors", headers: {{ "content-type": type }}, body }});
      out[path + " " + type] = "sent";
    }} catch (e) {{ out[path + " " + type] = "blocked"; }}
  }}
  try {{
    const r = await fetch(base + "/_wamm/world?format=json");
    out.read = (await r.text()).slice(0, 40);
  }} catch (e) {{ out.read = "blocked"; }}
  for (const id of ["accept", "reset", "terms"]) {{
    document.getElementById(id).submit();
    await new Promise(r => setTimeout(r, 300));
  }}
  document.body.dataset.done = JSON.stringify(out);
}}
run();
</script>"#
    )
}

#[tokio::test]
async fn a_page_on_another_site_changes_nothing() {
    let p = TestPlatform::start(Backend::Sqlite).await;
    let r = p
        .post("/v23.0/1001/onboard_partners_to_mm_lite", FULL, &json!({}))
        .await;
    let request_id = r.ok()["request_id"]
        .as_str()
        .expect("request id")
        .to_owned();
    let clock = || async {
        p.call(reqwest::Method::GET, "/_wamm/clock", None, None)
            .await
            .ok()["offset_ms"]
            .as_i64()
            .expect("offset")
    };
    let clock_before = clock().await;
    let page = attack_page(
        &p.base,
        &format!("/_wamm/businesses/1001/requests/{request_id}/accept"),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let app = axum::Router::new().route(
            "/",
            axum::routing::get(move || async move { axum::response::Html(page) }),
        );
        axum::serve(listener, app).await.ok();
    });
    let (_driver, client) = browser().await;
    // The admin has the platform open in this browser, so its CSRF cookie is there.
    client
        .goto(&format!("{}/", p.base))
        .await
        .expect("console loads");
    client
        .goto(&format!("http://localhost:{port}/"))
        .await
        .expect("attack page loads");
    wait_script(
        &client,
        "return !!(document.body && document.body.dataset.done);",
    )
    .await;
    let done = client
        .execute("return document.body.dataset.done;", vec![])
        .await
        .expect("results");
    let out: serde_json::Value =
        serde_json::from_str(done.as_str().unwrap_or("{}")).expect("results");
    assert_eq!(out["read"], "blocked", "the world cannot be read: {out}");
    // Nothing changed: the world, the clock, the request, the terms.
    let world = p
        .call(reqwest::Method::GET, "/_wamm/world?format=json", None, None)
        .await;
    assert_eq!(
        world.ok()["businesses"].as_array().map(Vec::len),
        Some(6),
        "the world was not reset or replaced"
    );
    assert_eq!(clock().await, clock_before, "the clock was not moved");
    let biz = p
        .get(
            "/v23.0/1001?fields=marketing_messages_onboarding_status",
            FULL,
        )
        .await;
    assert_eq!(
        biz.ok()["marketing_messages_onboarding_status"]["status"],
        "REQUEST_SENT",
        "the request was not accepted"
    );
    let b = p
        .get(
            "/v23.0/1002?fields=marketing_messages_onboarding_status",
            FULL,
        )
        .await;
    assert_ne!(
        b.ok()["marketing_messages_onboarding_status"]["status"],
        "TERM_OF_SERVICE_SIGNED"
    );
    let tokens = p
        .call(reqwest::Method::GET, "/_wamm/events?limit=200", None, None)
        .await;
    assert!(
        !tokens.text.contains("token.issued"),
        "no token was minted: {}",
        tokens.text
    );
    client.close().await.expect("session closes");
    server.abort();
    p.finish().await;
}
