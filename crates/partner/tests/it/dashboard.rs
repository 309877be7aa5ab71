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
