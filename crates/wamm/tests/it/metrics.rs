//! Metrics end to end, over a real socket with our own client: a partner onboards a client to
//! the MM API, fetches its business token, sends marketing messages through the MM API and a
//! utility one through Cloud API; recipients receive, read, click and buy; then every figure
//! template analytics, pricing analytics and Insights (synchronous and as a report run) give
//! is asserted, at two Graph versions, on SQLite and on PostgreSQL.

use std::time::Duration;

use serde_json::{Value, json};
use wamm_client::{
    GraphClient, InsightsQuery, InsightsRange, PricingAnalyticsQuery, Product,
    TemplateAnalyticsQuery,
};
use wamm_platform::PlatformConfig;
use wamm_wire::ids::{BusinessId, TemplateId, WabaId};

use crate::support::on_fresh_postgres;

const PARTNER_TOKEN: &str = "TOK-METRICS-PARTNER-000000";
const CLIENT: BusinessId = BusinessId::new(810);
const WABA: WabaId = WabaId::new(8100);
const PROMO: TemplateId = TemplateId::new(5100);
const RECEIPT: TemplateId = TemplateId::new(5102);

const WORLD: &str = r##"format: wamm-world/1
apps:
  - { key: bsp, id: "700", name: BSP App, business: partner, partner_type: BSP,
      permissions: { whatsapp_business_messaging: advanced, whatsapp_business_management: advanced,
                     business_management: advanced, ads_read: advanced } }
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
          - { app: bsp, token: TOK-METRICS-PARTNER-000000,
              scopes: [whatsapp_business_messaging, whatsapp_business_management, business_management, ads_read] }
  - key: shop
    id: "810"
    name: Corner Shop
    country: BR
    people:
      - { key: owner, name: Owner, email: owner@corner.example, role: ADMIN }
    wabas:
      - key: main
        id: "8100"
        name: Corner Shop
        tax_country: BR
        insights_enabled_at: 2030-12-01
        partners: [{ business: partner, access: SHARED }]
        phone_numbers:
          - { id: "81000", display_phone_number: "+55 11 4000-0001", verified_name: Corner Shop }
        templates:
          - { id: "5100", name: promo, language: en_US, category: MARKETING, created_at: 2030-12-01,
              components: [{ type: BODY, text: "Big sale" },
                           { type: BUTTONS, buttons: [{ type: URL, text: "Shop now", url: "https://shop.example/" }] }] }
          - { id: "5102", name: receipt, language: en_US, category: UTILITY, created_at: 2030-12-01,
              components: [{ type: BODY, text: "Thanks for your order" }] }
"##;

/// 2031-02-03T00:00:00Z and the next midnight, in Unix seconds.
const DAY_START: i64 = 1_927_843_200;
const DAY_END: i64 = 1_927_929_600;

async fn control(base: &str, path: &str, body: &Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{base}/_wamm{path}"))
        .json(body)
        .send()
        .await
        .expect("control call");
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    assert!(status.is_success(), "{path}: {status} {v}");
    v
}

async fn send(graph: &GraphClient, edge: &str, template: &str, to: &str) -> String {
    let body = json!({"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
        "type": "template", "template": {"name": template, "language": {"code": "en_US"}}});
    let sent: Value = graph
        .post(&format!("81000/{edge}"), &body)
        .await
        .unwrap_or_else(|e| panic!("{edge} send: {e}"));
    sent["messages"][0]["id"]
        .as_str()
        .expect("wamid")
        .to_owned()
}

/// A platform on the database at `url` where the partner onboarded the client, fetched its
/// business token, and sent; recipients received, read, clicked and bought.
struct Sent {
    running: wamm_platform::Running,
    base: String,
    secret: String,
    partner: GraphClient,
    client: GraphClient,
    bisuat: String,
    account: String,
    campaign: String,
}

fn mm(metric_types: &[&str]) -> TemplateAnalyticsQuery {
    TemplateAnalyticsQuery {
        start: DAY_START,
        end: DAY_END,
        template_ids: vec![PROMO],
        metric_types: metric_types.iter().map(|m| (*m).to_owned()).collect(),
        product: Product::MarketingMessages,
    }
}

async fn onboard_and_send(url: String) -> Sent {
    let running = wamm_platform::start(PlatformConfig {
        database_url: url,
        ..PlatformConfig::default()
    })
    .await
    .expect("platform starts");
    running.handle().load_world(WORLD).await.expect("world");
    let base = running.base_url();
    let secret = running
        .handle()
        .app_secret(wamm_wire::ids::AppId::new(700))
        .await
        .expect("store")
        .expect("app");
    let partner = GraphClient::new(base.clone())
        .token(PARTNER_TOKEN)
        .app_secret(&secret);
    control(&base, "/clock", &json!({"set": "2031-02-03T08:00:00Z"})).await;

    // Onboarding: the partner asks, the client's admin accepts, Meta's setup completes.
    let asked = partner
        .onboard_partners_to_mm_lite(CLIENT, None)
        .await
        .expect("intent");
    control(
        &base,
        &format!("/requests/{}/accept", asked.request_id),
        &json!({}),
    )
    .await;
    control(&base, "/clock", &json!({"advance_seconds": 660})).await;
    let mut onboarded = false;
    for _ in 0..200 {
        let w = partner.fetch_waba(WABA).await.expect("waba");
        if w.marketing_messages_onboarding_status == Some(wamm_client::OnboardingStatus::Onboarded)
        {
            onboarded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(onboarded, "the WABA is onboarded after Meta's setup");

    // The business token, fetched after onboarding, reaches the linked ad account.
    let bisuat = partner
        .fetch_business_token(CLIENT)
        .await
        .expect("business token")
        .access_token;
    let promo: Value = partner
        .get(
            &PROMO.to_string(),
            &[("fields", "ad_account_id,ad_campaign_id,ad_id")],
        )
        .await
        .expect("template");
    let account = promo["ad_account_id"]
        .as_str()
        .expect("ad account")
        .to_owned();
    let campaign = promo["ad_campaign_id"]
        .as_str()
        .expect("campaign")
        .to_owned();
    let client = GraphClient::new(base.clone())
        .token(&bisuat)
        .app_secret(&secret);

    // Sends: four through the MM API (US recipients who click, read, only receive; one in
    // India), a receipt through Cloud API.
    let clicker = send(&partner, "marketing_messages", "promo", "15550990006").await;
    for to in ["15550990005", "16315552222", "919876500001"] {
        send(&partner, "marketing_messages", "promo", to).await;
    }
    send(&partner, "messages", "receipt", "15550990005").await;
    control(&base, "/clock", &json!({"advance_seconds": 120})).await;
    let mut settled = false;
    for _ in 0..400 {
        let a = partner
            .template_analytics(WABA, &mm(&["READ", "CLICKED"]))
            .await
            .expect("analytics");
        let p = &a.data_points[0];
        if p.read == Some(2) && p.clicks("url_button") == 1 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(settled, "the sends' steps were taken");
    // The clicker buys and adds to the cart the next morning.
    control(&base, "/clock", &json!({"advance_seconds": 86_400})).await;
    control(
        &base,
        &format!("/messages/{clicker}/convert"),
        &json!({"event": "Purchase", "value": 499}),
    )
    .await;
    control(
        &base,
        &format!("/messages/{clicker}/convert"),
        &json!({"event": "AddToCart"}),
    )
    .await;
    Sent {
        running,
        base,
        secret,
        partner,
        client,
        bisuat,
        account,
        campaign,
    }
}

/// The whole story on the database at `url`.
async fn story(url: String) {
    let Sent {
        running,
        base,
        partner,
        client,
        bisuat,
        account,
        campaign,
        ..
    } = onboard_and_send(url).await;
    let info = partner.token_info(&bisuat).await.expect("debug_token");
    assert!(
        info.granular_scopes
            .iter()
            .any(|g| g.scope == "ads_read" && g.target_ids.contains(&account)),
        "{info:?}"
    );
    let acct = client.ad_account(&account).await.expect("ad account");
    assert_eq!(acct.id, format!("act_{account}"));
    assert_eq!(
        acct.marketing_messages_settings
            .map(|s| s.whatsapp_activation_status)
            .as_deref(),
        Some("MARKETING_MESSAGE_ONBOARDED")
    );
    let c = client.campaign(&campaign).await.expect("campaign");
    assert_eq!(c.objective.as_deref(), Some("LINK_CLICKS"));
    // The partner's own token does not see the account: Meta gives partners no access.
    assert!(partner.ad_account(&account).await.is_err());

    // Prices: the default rate card, 0.025 per US marketing delivery, 0.0107 in India, 0.004
    // per US utility delivery.
    for version in ["v23.0", "v26.0"] {
        let partner = partner.clone().version(version);
        let client = client.clone().version(version);
        let a = partner
            .template_analytics(WABA, &mm(&[]))
            .await
            .expect("analytics");
        assert_eq!(a.product_type, "marketing_messages_api_for_whatsapp");
        let p = &a.data_points[0];
        assert_eq!(
            (p.template_id, p.start, p.end),
            (PROMO, DAY_START, DAY_END),
            "{version}"
        );
        assert_eq!((p.sent, p.delivered, p.read), (Some(4), Some(4), Some(2)));
        assert_eq!(
            (p.clicks("url_button"), p.clicks("unique_url_button")),
            (1, 1)
        );
        assert_close(p.cost("amount_spent"), 0.0857);
        assert_close(p.cost("cost_per_delivered"), 0.021_425);
        assert_close(p.cost("cost_per_url_button_click"), 0.0857);
        assert_eq!(p.other["website_purchases"], json!(1));
        assert_eq!(p.other["website_purchases_conversion_value"], json!(499.0));
        assert_eq!(p.other["website_add_to_cart"], json!(1));
        assert_eq!(p.other["app_purchases"], json!(0));
        let cloud = partner
            .template_analytics(
                WABA,
                &TemplateAnalyticsQuery {
                    template_ids: vec![RECEIPT],
                    product: Product::CloudApi,
                    ..mm(&[])
                },
            )
            .await
            .expect("cloud analytics");
        let r = &cloud.data_points[0];
        assert_eq!((r.sent, r.delivered, r.read), (Some(1), Some(1), Some(1)));
        assert_close(r.cost("amount_spent"), 0.004);
        assert!(!r.other.contains_key("website_purchases"), "MM API only");

        let mut points = partner
            .pricing_analytics(
                WABA,
                &PricingAnalyticsQuery {
                    start: DAY_START,
                    end: DAY_END,
                    granularity: "DAILY".to_owned(),
                    dimensions: vec!["PRICING_CATEGORY".to_owned(), "COUNTRY".to_owned()],
                },
            )
            .await
            .expect("pricing analytics");
        points.sort_by(|a, b| {
            (&a.pricing_category, &a.country).cmp(&(&b.pricing_category, &b.country))
        });
        let seen: Vec<(Option<String>, Option<String>, Option<i64>)> = points
            .iter()
            .map(|p| (p.pricing_category.clone(), p.country.clone(), p.volume))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Some("MARKETING_LITE".into()), Some("IN".into()), Some(1)),
                (Some("MARKETING_LITE".into()), Some("US".into()), Some(3)),
                (Some("UTILITY".into()), Some("US".into()), Some(1)),
            ],
            "{version}"
        );
        assert_close(points[1].cost, 0.075);

        // Insights, with the business token: the MM API sends only.
        let mut q = InsightsQuery::last_30_days();
        q.range = InsightsRange::Dates {
            since: "2031-02-03".into(),
            until: "2031-02-03".into(),
        };
        let rows = client
            .insights(&format!("act_{account}"), &q)
            .await
            .expect("insights");
        assert_eq!(rows.len(), 1, "{version}: {rows:?}");
        let row = &rows[0];
        assert_eq!(
            (row.date_start.as_str(), row.date_stop.as_str()),
            ("2031-02-03", "2031-02-03")
        );
        for (field, value) in [
            ("marketing_messages_sent", "4"),
            ("marketing_messages_delivered", "4"),
            ("marketing_messages_read", "2"),
            ("marketing_messages_link_btn_click", "1"),
            ("marketing_messages_read_rate", "50"),
            ("marketing_messages_link_btn_click_rate", "25"),
            ("marketing_messages_spend", "0.0857"),
        ] {
            assert_eq!(row.text(field), Some(value), "{version} {field}");
        }
        let mut conversions = q.clone();
        conversions.fields = vec![
            "marketing_messages_website_purchase".into(),
            "marketing_messages_website_purchase_values".into(),
        ];
        let conv = client.insights(&campaign, &conversions).await;
        if version == "v23.0" {
            let rows = conv.expect("conversion fields up to v25");
            assert_eq!(
                rows[0].count("marketing_messages_website_purchase"),
                Some(1)
            );
            assert_eq!(
                rows[0].number("marketing_messages_website_purchase_values"),
                Some(499.0)
            );
        } else {
            assert!(conv.is_err(), "retired from Insights in v26");
        }
        // The same request as a report run, completed on the platform clock.
        let run = client
            .start_insights_report(&format!("act_{account}"), &q)
            .await
            .expect("report run");
        control(&base, "/clock", &json!({"advance_seconds": 60})).await;
        let status = client.report_run(&run).await.expect("run status");
        assert!(status.is_complete(), "{status:?}");
        assert_eq!(client.report_rows(&run).await.expect("rows"), rows);
    }
    running.stop().await;
}

#[track_caller]
fn assert_close(actual: Option<f64>, expected: f64) {
    let a = actual.expect("a figure");
    assert!((a - expected).abs() < 1e-9, "{a} != {expected}");
}

#[tokio::test]
async fn metrics_add_up_end_to_end_on_sqlite() {
    story("sqlite::memory:".to_owned()).await;
}

#[tokio::test]
async fn metrics_add_up_end_to_end_on_postgres() {
    on_fresh_postgres("wamm_metrics", story).await;
}

/// Meta's Business SDK for Python (`facebook-business`, the pinned release
/// `scripts/ensure-fbsdk.sh` installs), unchanged but for its base URL, reads the ad account,
/// Insights, a report run and template analytics with the business token, and decodes what
/// our own client reads.
#[tokio::test]
async fn metas_business_sdk_reads_the_same_figures() {
    let python = crate::real_clients::installed("WAMM_FBSDK_PYTHON", "scripts/ensure-fbsdk.sh");
    let sent = onboard_and_send("sqlite::memory:".to_owned()).await;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/clients/fbsdk_insights.py"
    );
    let base = sent.base.clone();
    let env = [
        ("WAMM_BASE", base.clone()),
        ("WAMM_APP_ID", "700".to_owned()),
        ("WAMM_APP_SECRET", sent.secret.clone()),
        ("WAMM_TOKEN", sent.bisuat.clone()),
        ("WAMM_ACCOUNT", sent.account.clone()),
        ("WAMM_CAMPAIGN", sent.campaign.clone()),
        ("WAMM_WABA", WABA.to_string()),
        ("WAMM_TEMPLATE", PROMO.to_string()),
        ("WAMM_DAY", "2031-02-03".to_owned()),
        ("WAMM_DAY_START", DAY_START.to_string()),
        ("WAMM_DAY_END", DAY_END.to_string()),
    ];
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .arg(script)
            .envs(env)
            .output()
            .expect("python runs")
    })
    .await
    .expect("joined");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the SDK script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let calls: std::collections::BTreeMap<String, Value> = stdout
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            (
                v["call"].as_str().expect("call").to_owned(),
                v["value"].clone(),
            )
        })
        .collect();
    let account = &sent.account;
    assert_eq!(calls["account"]["id"], json!(format!("act_{account}")));
    assert_eq!(calls["account"]["account_id"], json!(account));
    assert_eq!(calls["account"]["account_status"], 1);
    assert_eq!(
        calls["account"]["marketing_messages_settings"]["whatsapp_activation_status"],
        "MARKETING_MESSAGE_ONBOARDED"
    );
    // What the SDK decoded equals what our client reads, row for row.
    let mut q = InsightsQuery::last_30_days();
    q.fields = [
        "marketing_messages_sent",
        "marketing_messages_delivered",
        "marketing_messages_read",
        "marketing_messages_link_btn_click",
        "marketing_messages_read_rate",
        "marketing_messages_spend",
    ]
    .map(str::to_owned)
    .to_vec();
    q.range = InsightsRange::Dates {
        since: "2031-02-03".into(),
        until: "2031-02-03".into(),
    };
    let ours = sent
        .client
        .clone()
        .version("v26.0")
        .insights(&format!("act_{account}"), &q)
        .await
        .expect("insights");
    assert_eq!(
        calls["insights"],
        serde_json::to_value(&ours).expect("json")
    );
    assert_eq!(calls["insights"][0]["marketing_messages_sent"], "4");
    assert_eq!(calls["report_status"], "Job Completed");
    assert_eq!(calls["report_rows"], calls["insights"]);
    let by_ad = calls["insights_by_ad"].as_array().expect("rows");
    assert_eq!(by_ad.len(), 1, "one ad, one day: {by_ad:?}");
    assert_eq!(by_ad[0]["marketing_messages_link_btn_click"], "1");
    assert_eq!(
        calls["campaign_insights"][0]["marketing_messages_btn_name"],
        "Shop now"
    );
    let analytics = &calls["template_analytics"][0];
    assert_eq!(analytics["product_type"], "marketing_messages_lite_api");
    let point = &analytics["data_points"][0];
    assert_eq!(
        (point["sent"].clone(), point["read"].clone()),
        (json!(4), json!(2))
    );
    assert_eq!(calls["insights_enabled"]["id"], json!(WABA.to_string()));
    sent.running.stop().await;
}
