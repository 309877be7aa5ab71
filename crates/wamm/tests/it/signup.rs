//! The partner's Embedded Signup page end to end, in headless Chromium: `wamm serve` with the
//! demo world and `wamm partner serve` with its signup page, each a child process. A new
//! client walks the platform's popup from the partner's page; the page hands the code and the
//! session to the orchestrator, which exchanges, subscribes, registers and stores the token.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`scripts/test.sh` installs them); without
//! them the test fails saying so, never skips.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wamm_testkit::browser::fantoccini::{Client, Locator};
use wamm_testkit::browser::{
    NewSignup, browser, on_screen, press, sign_up_new_business, switch_to_popup, wait_script,
    wait_text,
};

use crate::support::{Server, http, named, text};

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../world/worlds/demo.yaml");
const BUSINESS: &str = "Signup Page Bakery";
const PIN: &str = "123456";

/// The demo world's partner as the orchestrator needs it.
struct Partner {
    app_id: String,
    app_secret: String,
    business_id: String,
    config_id: String,
    token: String,
}

/// The IDs from the world export, and a fresh system user token from the control API.
async fn partner(platform: &Server) -> Partner {
    let world = platform.get_json("/_wamm/world?format=json").await;
    let app = named(&world["apps"], "Lucky Shrub Connect");
    let business = named(&world["businesses"], "Lucky Shrub Partners");
    let ops = named(&business["system_users"], "Partner Ops");
    let minted: Value = http()
        .post(format!("{}/_wamm/tokens", platform.base))
        .json(&json!({ "system_user_id": text(&ops["id"]), "app_id": text(&app["id"]) }))
        .send()
        .await
        .expect("token minted")
        .json()
        .await
        .expect("token JSON");
    Partner {
        app_id: text(&app["id"]),
        app_secret: text(&app["secret"]),
        business_id: text(&business["id"]),
        config_id: text(&named(&app["login_configs"], "WhatsApp + MM API signup")["id"]),
        token: minted["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("a token: {minted}"))
            .to_owned(),
    }
}

/// `GET /v23.0/{path}` with `token`; asserts a 200.
async fn graph(base: &str, token: &str, path: &str) -> Value {
    let res = http()
        .get(format!("{base}/v23.0/{path}"))
        .bearer_auth(token)
        .send()
        .await
        .expect("Graph answers");
    let status = res.status();
    let body: Value = res.json().await.expect("Graph JSON");
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// Waits (bounded) until the page's `#result` says how the signup ended.
async fn outcome(client: &Client, orchestrator: &Server) -> (String, String, String) {
    let start = Instant::now();
    loop {
        if let Ok(el) = client.find(Locator::Css("#result")).await {
            let class = el.attr("class").await.ok().flatten().unwrap_or_default();
            let shown = el.text().await.unwrap_or_default();
            match class.as_str() {
                "ok" => {
                    let waba = el
                        .attr("data-waba")
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    let stage = el
                        .attr("data-stage")
                        .await
                        .ok()
                        .flatten()
                        .unwrap_or_default();
                    return (shown, waba, stage);
                }
                "failed" => panic!(
                    "the signup failed: {shown}\norchestrator:\n{}",
                    orchestrator.log()
                ),
                _ => {}
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "no outcome within 30 s; #result shows {shown:?}\norchestrator:\n{}",
                orchestrator.log()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_client_signs_up_on_the_partners_page() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let platform = Server::start(
        &format!("sqlite:{}", dir.path().join("p.db").display()),
        Some(Path::new(DEMO)),
        &[],
    )
    .await;
    let base = platform.base.clone();
    let p = partner(&platform).await;
    let (_, key) = wamm_partner::vault::Key::generate("e2e").expect("a token key");
    let partner_db = format!("sqlite:{}", dir.path().join("partner.db").display());
    let sdk = format!("{base}/en_US/sdk.js");
    let orchestrator = Server::partner(
        &[
            ("WAMM_PARTNER_GRAPH_URL", &base),
            ("WAMM_PARTNER_BUSINESS_ID", &p.business_id),
            ("WAMM_PARTNER_TOKEN", &p.token),
            ("WAMM_PARTNER_APP_ID", &p.app_id),
            ("WAMM_PARTNER_APP_SECRET", &p.app_secret),
            ("WAMM_PARTNER_DATABASE_URL", &partner_db),
            ("WAMM_PARTNER_TOKEN_KEY", &key),
            ("WAMM_PARTNER_VERIFY_TOKEN", "signup-e2e"),
            ("WAMM_PARTNER_SIGNUP_CONFIG_ID", &p.config_id),
            ("WAMM_PARTNER_SIGNUP_SDK_URL", &sdk),
            ("WAMM_PARTNER_SIGNUP_PIN", PIN),
        ],
        &[],
    )
    .await;

    // The dashboard links to the page.
    let dashboard = http()
        .get(format!("{}/", orchestrator.base))
        .send()
        .await
        .expect("dashboard answers")
        .text()
        .await
        .expect("dashboard text");
    assert!(dashboard.contains(r#"href="/signup""#));

    let (_driver, client) = browser().await;
    client
        .goto(&format!("{}/signup", orchestrator.base))
        .await
        .expect("the signup page loads");
    // The platform's SDK loads asynchronously and calls fbAsyncInit, as Meta's does.
    wait_script(
        &client,
        "return document.body.dataset.sdk === 'ready' && typeof FB !== 'undefined';",
    )
    .await;
    let opener = client.window().await.expect("window");
    // A first attempt, cancelled on the first screen: the page says so.
    press(&client, "#launch").await;
    switch_to_popup(&client, &opener).await;
    on_screen(&client, "LOGIN").await;
    press(&client, "#cancel").await;
    client
        .switch_to_window(opener.clone())
        .await
        .expect("back to the partner's page");
    wait_text(&client, "#result", "Signup cancelled at LOGIN").await;
    // The popup closes itself; the next one must not be mistaken for it.
    let start = Instant::now();
    while client.windows().await.expect("windows").len() > 1 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the cancelled popup stayed open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The second attempt goes through.
    press(&client, "#launch").await;
    switch_to_popup(&client, &opener).await;
    sign_up_new_business(
        &client,
        NewSignup {
            person: "Pia Page",
            email: "pia@signup-page.test",
            business: BUSINESS,
            country: "BR",
            phone: "+55 21 4000-8888",
        },
    )
    .await;
    // The popup posts to the opener and closes; the page completes on its own.
    client
        .switch_to_window(opener)
        .await
        .expect("back to the partner's page");
    wait_text(&client, "#events", "\"event\":\"FINISH\"").await;
    let (shown, waba, stage) = outcome(&client, &orchestrator).await;
    assert!(!waba.is_empty(), "{shown}");
    assert!(
        shown.contains(&waba) && shown.contains(BUSINESS) && shown.contains(&stage),
        "{shown}"
    );
    if let Ok(path) = std::env::var("WAMM_SCREENSHOT") {
        let png = client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("screenshot written");
    }
    client.close().await.expect("session closes");

    // The orchestrator's funnel has the new client, its token checked and sealed: the stage
    // is past terms_signed only with a stored token that covers the WABA.
    let status = orchestrator.get_json("/api/status").await;
    let row = status["rows"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["waba_id"] == waba.as_str()))
        .unwrap_or_else(|| panic!("{waba} in the funnel: {status}"));
    assert_eq!(row["business_name"], BUSINESS, "{row}");
    assert!(
        ["token_fetched", "ready_to_send"].contains(&row["stage"].as_str().unwrap_or_default()),
        "a stored, checked token: {row}"
    );
    assert_eq!(
        row["stage"],
        stage.as_str(),
        "the page showed the funnel's stage"
    );
    assert_eq!(
        row["last_event"][0], "signed up through Embedded Signup",
        "{row}"
    );

    // The platform: the number is registered and the app subscribed to the WABA.
    let exported = platform.get_json("/_wamm/world?format=json").await;
    let business = named(&exported["businesses"], BUSINESS);
    let exported_waba = business["wabas"]
        .as_array()
        .and_then(|w| w.iter().find(|w| text(&w["id"]) == waba))
        .unwrap_or_else(|| panic!("{waba} in the export: {business}"));
    let phone = text(&exported_waba["phone_numbers"][0]["id"]);
    assert_eq!(exported_waba["phone_numbers"][0]["registered"], true);
    let number = graph(
        &base,
        &p.token,
        &format!("{phone}?fields=status,platform_type"),
    )
    .await;
    assert_eq!(number["status"], "CONNECTED", "{number}");
    assert_eq!(number["platform_type"], "CLOUD_API", "{number}");
    let subscribed = graph(&base, &p.token, &format!("{waba}/subscribed_apps")).await;
    assert!(
        subscribed["data"].as_array().is_some_and(|apps| apps
            .iter()
            .any(|a| a["whatsapp_business_api_data"]["id"] == p.app_id.as_str())),
        "the partner's app is subscribed: {subscribed}"
    );
    drop(orchestrator);
    drop(platform);
}
