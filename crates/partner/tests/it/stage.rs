//! The funnel rule through the crate's public API: JSON names of stages and statuses.

use wamm_partner::stage::{BusinessStatus, Facts, Stage, WabaStatus, stage};

#[test]
fn stages_and_statuses_speak_json_as_graph_and_the_dashboard_do() {
    let facts: Facts = serde_json::from_str(
        r#"{"waba_status":"ELIGIBLE","business_status":"REQUEST_SENT",
            "request":{"request_id":"42","at":0},"terms_signed_at":null,
            "token_ok":false,"can_send":false,"first_sent_at":null}"#,
    )
    .expect("facts decode");
    assert_eq!(facts.waba_status, Some(WabaStatus::Eligible));
    assert_eq!(facts.business_status, Some(BusinessStatus::RequestSent));
    let standing = stage(&facts, 5, 60);
    assert_eq!(
        serde_json::to_value(&standing).expect("encode")["stage"],
        "intent_requested"
    );
    for s in Stage::ALL {
        assert_eq!(
            serde_json::to_value(s).expect("encode"),
            serde_json::json!(s.name())
        );
    }
}
