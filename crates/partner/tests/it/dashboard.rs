//! The dashboard over a real socket: the page, its JSON, and escaping of what Graph returned.

use std::sync::Arc;

use wamm_partner::stage::{BusinessStatus, Request, WabaStatus};
use wamm_partner::store::{ClientBusiness, ClientWaba, PartnerStore, SentMessage};
use wamm_partner::web::{DashboardState, router};

async fn serve(store: Arc<dyn PartnerStore>) -> String {
    let app = router(DashboardState {
        store,
        partner: "Acme BSP".into(),
        unanswered_after: 86_400,
        now: || 1_000,
    });
    crate::fake::serve(app).await
}

#[tokio::test]
async fn the_page_and_its_json_show_the_funnel() {
    let store = wamm_partner::store::connect("sqlite::memory:")
        .await
        .expect("store");
    store
        .put_business(&ClientBusiness {
            id: "1".into(),
            name: "<script>alert(1)</script> Bakery".into(),
            status: Some(BusinessStatus::RequestSent),
            request: None,
        })
        .await
        .expect("put");
    store
        .record_request(
            "1",
            &Request {
                request_id: Some("893".into()),
                at: 900,
            },
        )
        .await
        .expect("record");
    for (id, status) in [
        ("10", WabaStatus::Eligible),
        ("11", WabaStatus::IneligibleCountryNotSupported),
    ] {
        store
            .put_waba(&ClientWaba {
                id: id.into(),
                business_id: "1".into(),
                name: format!("WABA {id}"),
                status: Some(status),
                terms_signed_at: None,
                phone_number_id: None,
                first_sent_at: None,
                last_event: Some(("synced".into(), 950)),
            })
            .await
            .expect("put");
    }
    store
        .record_message(&SentMessage {
            id: "wamid.1".into(),
            waba_id: "10".into(),
            phone_number_id: "555".into(),
            route: "messages".into(),
            template: None,
            status: "accepted".into(),
            at: 990,
        })
        .await
        .expect("record");
    let base = serve(store).await;

    let json: serde_json::Value = reqwest::get(format!("{base}/api/status"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let rows = json["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["stage"], "intent_requested");
    // The request does not cover a WABA in an unsupported country.
    assert_eq!(rows[1]["stage"], "ineligible");
    assert_eq!(rows[0]["messages"]["accepted"], 1);
    assert!(rows[0]["reason"].as_str().expect("reason").contains("893"));
    let counts = json["counts"].as_array().expect("counts");
    assert!(
        counts.contains(&serde_json::json!(["intent_requested", 1])),
        "{counts:?}"
    );
    assert!(
        counts.contains(&serde_json::json!(["ineligible", 1])),
        "{counts:?}"
    );

    let page = reqwest::get(&base)
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(page.contains("Acme BSP"));
    assert!(page.contains("WABA 11"));
    // What Graph returned is text on the page, never markup.
    assert!(page.contains("alert(1)") && page.contains("Bakery"));
    assert!(!page.contains("<script>alert(1)"));
}

/// The dashboard with a clock in 2031 (2031-02-03T10:00:00Z).
async fn serve_in_2031(store: Arc<dyn PartnerStore>) -> String {
    let app = router(DashboardState {
        store,
        partner: "Acme BSP".into(),
        unanswered_after: 86_400,
        now: || 1_927_879_200,
    });
    crate::fake::serve(app).await
}

#[tokio::test]
async fn template_metrics_show_as_a_table_with_charts_and_as_json() {
    use wamm_partner::graph::{Product, TemplateDay};
    let store = wamm_partner::store::connect("sqlite::memory:")
        .await
        .expect("store");
    store
        .put_waba(&ClientWaba {
            id: "10".into(),
            business_id: "1".into(),
            name: "WABA 10".into(),
            status: Some(WabaStatus::Onboarded),
            terms_signed_at: None,
            phone_number_id: None,
            first_sent_at: None,
            last_event: None,
        })
        .await
        .expect("put");
    let today = 1_927_843_200;
    let day = |at: i64, sent: i64, name: &str| TemplateDay {
        waba_id: "10".into(),
        template_id: "5100".into(),
        template_name: name.into(),
        day: at,
        product: Product::MarketingMessages,
        sent,
        delivered: sent,
        read: sent / 2,
        clicked: 1,
        cost: Some(0.025 * f64::from(u8::try_from(sent).expect("small"))),
        conversions: wamm_partner::graph::Conversions {
            website_purchases: 1,
            website_purchases_conversion_value: 10.25,
            app_add_to_cart: 1,
            ..wamm_partner::graph::Conversions::default()
        },
    };
    store
        .put_template_days(&[
            day(today, 4, "<b>promo</b>"),
            day(today - 86_400, 2, "<b>promo</b>"),
            // Older than 30 days: outside the window.
            day(today - 40 * 86_400, 9, "<b>promo</b>"),
        ])
        .await
        .expect("days");
    let base = serve_in_2031(store).await;
    let page = reqwest::get(format!("{base}/"))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains("since 2031-01-05"),
        "the window is the last 30 days"
    );
    assert!(
        page.contains("promo") && !page.contains("<b>promo</b>"),
        "a template name is text, not markup"
    );
    assert!(page.contains(r#"<svg class="chart daily-chart""#));
    assert!(page.contains("<title>2031-02-03: 4</title>"));
    assert!(page.contains("<title>2031-02-02: 2</title>"));
    assert!(page.contains(r#"<svg class="chart funnel-chart""#));
    assert!(page.contains("sent 6") && page.contains("read 3") && page.contains("clicked 2"));
    assert!(page.contains("50.0%"), "read rate");
    assert!(page.contains("0.1500"), "spend");
    // Each figure is labelled for scripts and screen readers.
    for (metric, shown) in [
        ("sent", "6"),
        ("read", "3"),
        ("read_rate", "50.0%"),
        ("purchases", "2"),
        ("purchase_value", "20.50"),
        ("add_to_cart", "2"),
        ("checkouts_initiated", "0"),
    ] {
        assert!(
            page.contains(&format!(r#"data-metric="{metric}">{shown}</td>"#)),
            "{metric} shows {shown}: {page}"
        );
    }
    assert!(page.contains(r#"data-step="purchased" data-value="2"><title>purchased 2</title>"#));
    assert!(page.contains(r#"data-date="2031-02-03" data-value="4""#));
    let json: serde_json::Value = reqwest::get(format!("{base}/api/metrics"))
        .await
        .expect("json")
        .json()
        .await
        .expect("decodes");
    let t = &json["templates"][0];
    assert_eq!(
        (t["sent"].clone(), t["product"].clone()),
        (
            serde_json::json!(6),
            serde_json::json!("marketing_messages")
        )
    );
    assert_eq!(t["conversions"]["website_purchases"], 2);
    assert_eq!(t["conversions"]["app_add_to_cart"], 2);
    assert_eq!(json["daily"].as_array().map(Vec::len), Some(30));
    assert_eq!(
        json["daily"][29],
        serde_json::json!({"date": "2031-02-03", "sent": 4})
    );
}

#[tokio::test]
async fn synced_insights_show_per_ad_account() {
    use wamm_partner::graph::AdInsightsDay;
    let store = wamm_partner::store::connect("sqlite::memory:")
        .await
        .expect("store");
    store
        .put_waba(&ClientWaba {
            id: "10".into(),
            business_id: "1".into(),
            name: "WABA 10".into(),
            status: Some(WabaStatus::Onboarded),
            terms_signed_at: None,
            phone_number_id: None,
            first_sent_at: None,
            last_event: None,
        })
        .await
        .expect("put");
    let today = 1_927_843_200;
    let day = |ad: &str, at: i64, sent: i64, read: i64| AdInsightsDay {
        waba_id: "10".into(),
        account_id: "777".into(),
        ad_id: ad.into(),
        template_id: Some("5100".into()),
        ad_name: "promo (en_US)".into(),
        day: at,
        sent,
        delivered: sent,
        read,
        clicked: 1,
        spend: 0.025 * f64::from(u8::try_from(sent).expect("small")),
        currency: Some("USD".into()),
        delivery_rate: Some(100.0),
        read_rate: None,
        click_rate: None,
    };
    store
        .put_ad_insights_days(&[
            day("900", today, 4, 2),
            day("900", today - 86_400, 2, 1),
            day("901", today, 2, 1),
            // Older than 30 days: outside the window.
            day("901", today - 40 * 86_400, 50, 50),
        ])
        .await
        .expect("days");
    let base = serve_in_2031(store).await;
    let page = reqwest::get(format!("{base}/"))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains(r#"data-business="1" data-waba="10" data-account="777" data-currency="USD""#),
        "{page}"
    );
    // Two ads over the window; rates from the sums (4 read of 8 delivered, 3 clicks).
    for (metric, shown) in [
        ("ads", "2"),
        ("sent", "8"),
        ("delivered", "8"),
        ("read", "4"),
        ("clicked", "3"),
        ("delivery_rate", "100.0%"),
        ("read_rate", "50.0%"),
        ("click_rate", "37.5%"),
    ] {
        assert!(
            page.contains(&format!(r#"data-metric="{metric}">{shown}</td>"#)),
            "{metric} shows {shown}: {page}"
        );
    }
    assert!(
        page.contains(r#"data-metric="spend" data-value="0.2">0.2000 USD</td>"#),
        "{page}"
    );
    let json: serde_json::Value = reqwest::get(format!("{base}/api/metrics"))
        .await
        .expect("json")
        .json()
        .await
        .expect("decodes");
    assert_eq!(json["insights"][0]["sent"], 8, "{json}");
    assert_eq!(json["insights"][0]["account_id"], "777");
}
