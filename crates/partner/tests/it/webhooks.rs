//! Verified webhooks move the funnel: terms signed → a sealed token, statuses only forward,
//! completed category changes; and signed clients the webhook missed get their token on sync.

use std::sync::Arc;

use serde_json::json;
use wamm_client::receiver::Notification;
use wamm_partner::orchestrate;
use wamm_partner::stage::WabaStatus;
use wamm_partner::store::SentMessage;
use wamm_partner::webhooks::{Moves, handle};

use crate::fake::{FakeGraph, remote, store, vault};

fn notification(changes: &[(&str, serde_json::Value)]) -> Notification {
    let entry: Vec<_> = changes
        .iter()
        .map(|(field, value)| {
            json!({ "id": "10", "time": 1, "changes": [{ "field": field, "value": value }] })
        })
        .collect();
    let body = json!({ "object": "whatsapp_business_account", "entry": entry });
    wamm_client::receiver::parse(body.to_string().as_bytes()).expect("envelope")
}

#[tokio::test]
async fn webhooks_move_the_funnel() {
    let graph = Arc::new(FakeGraph::holding(vec![
        remote("10", "1", WabaStatus::PendingInternalSetup),
        remote("30", "3", WabaStatus::Onboarded),
    ]));
    let store = store().await;
    orchestrate::sync(&*graph, &*store, 1).await.expect("sync");
    let vault = Arc::new(vault());
    let moves = Moves {
        graph: Arc::clone(&graph) as _,
        store: Arc::clone(&store),
        vault: Arc::clone(&vault),
        now: || 77,
    };
    store
        .record_message(&SentMessage {
            id: "wamid.A".into(),
            waba_id: "10".into(),
            phone_number_id: "p10".into(),
            route: "marketing_messages".into(),
            template: Some("sale".into()),
            status: "accepted".into(),
            at: 5,
        })
        .await
        .expect("record");

    let signed = notification(&[
        (
            "account_update",
            json!({ "event": "MM_LITE_TERMS_SIGNED", "waba_info": { "waba_id": "10", "owner_business_id": "1" } }),
        ),
        (
            "messages",
            json!({ "messaging_product": "whatsapp",
                    "metadata": { "display_phone_number": "15550001", "phone_number_id": "p10" },
                    "statuses": [
                        { "id": "wamid.A", "status": "delivered", "timestamp": "9", "recipient_id": "1555" },
                        { "id": "wamid.A", "status": "sent", "timestamp": "8", "recipient_id": "1555" }
                    ] }),
        ),
        (
            "template_category_update",
            json!({ "message_template_id": 5, "message_template_name": "sale",
                    "message_template_language": "en_US", "previous_category": "UTILITY",
                    "new_category": "MARKETING" }),
        ),
        (
            "template_category_update",
            json!({ "message_template_id": 6, "message_template_name": "later",
                    "message_template_language": "en_US", "correct_category": "MARKETING",
                    "new_category": "UTILITY", "category_update_timestamp": 99 }),
        ),
        ("something_new", json!({ "x": 1 })),
    ]);
    handle(&moves, &signed).await.expect("handled");
    // Handling again (Meta delivers at least once) changes nothing.
    handle(&moves, &signed).await.expect("handled again");

    let token = store.token("1").await.expect("read").expect("taken");
    assert_eq!(
        vault
            .open(&token.sealed, &orchestrate::token_row("1"))
            .expect("opens")
            .expose(),
        "EAAG-token-of-1"
    );
    let waba = store.waba("10").await.expect("read").expect("kept");
    assert_eq!(waba.terms_signed_at, Some(77));
    assert_eq!(
        waba.status,
        Some(WabaStatus::Onboarded),
        "the webhook marks the end of Meta's setup"
    );
    let message = store.message("wamid.A").await.expect("read").expect("kept");
    assert_eq!(
        message.status, "delivered",
        "a late `sent` does not undo it"
    );
    assert_eq!(
        store.category("10", "sale", "en_US").await.expect("read"),
        Some("MARKETING".into())
    );
    assert_eq!(
        store.category("10", "later", "en_US").await.expect("read"),
        None,
        "an impending change is not in effect yet"
    );

    // Business 3 signed before anyone listened: the catch-up takes its token.
    assert!(store.token("3").await.expect("read").is_none());
    let fetched = orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, 80)
        .await
        .expect("catch up");
    assert_eq!(fetched, 1);
    assert!(store.token("3").await.expect("read").is_some());
    assert_eq!(
        orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, 81)
            .await
            .expect("again"),
        0
    );
}

#[tokio::test]
async fn sends_route_by_category_and_onboarding() {
    let mut graph = FakeGraph::holding(vec![
        remote("10", "1", WabaStatus::Onboarded),
        remote("20", "2", WabaStatus::PendingInternalSetup),
    ]);
    for waba in ["10", "20"] {
        graph.categories.insert(
            (waba.into(), "sale".into(), "en_US".into()),
            "MARKETING".into(),
        );
        graph.categories.insert(
            (waba.into(), "receipt".into(), "en_US".into()),
            "UTILITY".into(),
        );
    }
    let graph = Arc::new(graph);
    let store = store().await;
    let vault = vault();
    orchestrate::sync(&*graph, &*store, 1).await.expect("sync");
    let order = |waba: &str, template: &str| wamm_partner::send::SendOrder {
        waba_id: waba.into(),
        to: "15550001111".into(),
        template: template.into(),
        language: "en_US".into(),
        body: vec![],
    };
    // No business token yet: the partner's own credentials, on the same route.
    let early = wamm_partner::send::send(&*graph, &*store, &vault, &order("10", "sale"), 2)
        .await
        .expect("sent as the partner");
    assert_eq!(early.route, "marketing_messages");
    assert_eq!(graph.senders.lock().expect("lock").as_slice(), &[None]);
    orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, 3)
        .await
        .expect("tokens");

    let mm = wamm_partner::send::send(&*graph, &*store, &vault, &order("10", "sale"), 4)
        .await
        .expect("sent");
    assert_eq!(mm.route, "marketing_messages");
    let utility = wamm_partner::send::send(&*graph, &*store, &vault, &order("10", "receipt"), 5)
        .await
        .expect("sent");
    assert_eq!(utility.route, "messages");
    // Not onboarded yet (setup running): marketing falls back to Cloud API.
    let pending = wamm_partner::send::send(&*graph, &*store, &vault, &order("20", "sale"), 6)
        .await
        .expect("sent");
    assert_eq!(pending.route, "messages");
    // A completed recategorisation changes the route of the next send.
    store
        .set_category("10", "sale", "en_US", "UTILITY")
        .await
        .expect("set");
    let moved = wamm_partner::send::send(&*graph, &*store, &vault, &order("10", "sale"), 7)
        .await
        .expect("sent");
    assert_eq!(moved.route, "messages");
    assert_eq!(graph.sent.lock().expect("lock").len(), 5);
    let senders = graph.senders.lock().expect("lock").clone();
    assert!(
        senders[1..].iter().all(Option::is_some),
        "with a stored token every send uses it: {senders:?}"
    );
    let recorded = store.message(&mm.id).await.expect("read").expect("kept");
    assert_eq!(recorded.status, "accepted");
    let waba = store.waba("10").await.expect("read").expect("kept");
    assert_eq!(waba.first_sent_at, Some(2));
    let unknown = wamm_partner::send::send(&*graph, &*store, &vault, &order("99", "sale"), 8).await;
    assert!(matches!(
        unknown,
        Err(wamm_partner::send::SendError::UnknownWaba(_))
    ));
}

#[tokio::test]
async fn the_send_api_needs_its_key() {
    let mut graph = FakeGraph::default();
    let mut numberless = remote("20", "2", WabaStatus::Eligible);
    numberless.phone_number_id = None;
    *graph.wabas.lock().expect("lock") = vec![remote("10", "1", WabaStatus::Onboarded), numberless];
    graph.covers.insert("1".into(), vec!["10".into()]);
    graph.categories.insert(
        ("10".into(), "sale".into(), "en_US".into()),
        "MARKETING".into(),
    );
    let graph = Arc::new(graph);
    let store = store().await;
    orchestrate::sync(&*graph, &*store, 1).await.expect("sync");
    let vault = Arc::new(vault());
    let app = wamm_partner::web::send_api::router(wamm_partner::web::send_api::SendState {
        moves: Moves {
            graph: Arc::clone(&graph) as _,
            store: Arc::clone(&store),
            vault: Arc::clone(&vault),
            now: || 9,
        },
        api_key: wamm_partner::vault::Secret::new("sk-test"),
    });
    let url = format!("{}/api/send", crate::fake::serve(app).await);
    let http = reqwest::Client::new();
    let order =
        json!({ "waba_id": "10", "to": "15550001111", "template": "sale", "language": "en_US" });
    let status = |key: Option<&str>, body: serde_json::Value| {
        let mut req = http.post(&url).json(&body);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        async move { req.send().await.expect("post") }
    };
    assert_eq!(status(None, order.clone()).await.status(), 401);
    assert_eq!(status(Some("sk-wrong"), order.clone()).await.status(), 401);
    assert_eq!(
        status(Some("sk-test"), json!({ "to": 1 })).await.status(),
        400
    );
    let elsewhere = |waba: &str| json!({ "waba_id": waba, "to": "15550001111", "template": "sale", "language": "en_US" });
    assert_eq!(
        status(Some("sk-test"), elsewhere("20")).await.status(),
        409,
        "no number to send from"
    );
    assert_eq!(
        status(Some("sk-test"), elsewhere("99")).await.status(),
        404,
        "not a client WABA"
    );
    orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, 2)
        .await
        .expect("tokens");
    let sent = status(Some("sk-test"), order).await;
    assert_eq!(sent.status(), 200);
    let body: serde_json::Value = sent.json().await.expect("json");
    assert_eq!(body["route"], "marketing_messages");
    assert_eq!(body["status"], "accepted");
}

#[tokio::test]
async fn embedded_signup_brings_a_new_client_into_the_funnel() {
    let mut fresh = remote("70", "7", WabaStatus::PendingInternalSetup);
    fresh.phone_number_id = None;
    let coexist = remote("80", "8", WabaStatus::Eligible);
    let graph = FakeGraph::holding(vec![fresh, coexist]);
    graph
        .codes
        .lock()
        .expect("lock")
        .insert("code-7".into(), "7".into());
    graph
        .codes
        .lock()
        .expect("lock")
        .insert("code-8".into(), "8".into());
    let graph = Arc::new(graph);
    let store = store().await;
    let vault = vault();
    let finished = wamm_partner::signup::Finished {
        code: "code-7".into(),
        waba_id: "70".into(),
        phone_number_id: Some("p70".into()),
        coexistence: false,
    };
    let waba = wamm_partner::signup::complete(&*graph, &*store, &vault, &finished, "246810", 11)
        .await
        .expect("signed up");
    assert_eq!(
        *graph.calls.lock().expect("lock"),
        ["exchange code-7", "subscribe 70", "register p70 246810"],
        "the code first, then subscribe and register"
    );
    assert_eq!(
        waba.terms_signed_at,
        Some(11),
        "MM terms accepted in the popup"
    );
    assert_eq!(waba.phone_number_id.as_deref(), Some("p70"));
    assert!(store.business("7").await.expect("read").is_some());
    let token = store.token("7").await.expect("read").expect("sealed");
    assert_eq!(token.wabas, ["70"]);
    // A code works once.
    let again =
        wamm_partner::signup::complete(&*graph, &*store, &vault, &finished, "246810", 12).await;
    assert!(again.is_err());

    // A coexistence number stays on the WhatsApp Business app: not registered.
    graph.calls.lock().expect("lock").clear();
    let coexistence = wamm_partner::signup::Finished {
        code: "code-8".into(),
        waba_id: "80".into(),
        phone_number_id: Some("p80".into()),
        coexistence: true,
    };
    wamm_partner::signup::complete(&*graph, &*store, &vault, &coexistence, "246810", 13)
        .await
        .expect("signed up");
    assert_eq!(
        *graph.calls.lock().expect("lock"),
        ["exchange code-8", "subscribe 80"]
    );
}

#[tokio::test]
async fn one_wabas_failure_leaves_the_others_of_a_batch_done_and_asks_for_it_again() {
    let mut graph = FakeGraph::default();
    let mut wabas = Vec::new();
    for b in 1..=40 {
        wabas.push(remote(
            &format!("{b}0"),
            &b.to_string(),
            WabaStatus::Eligible,
        ));
        // Business 7's token does not reach its WABA: its move fails.
        if b != 7 {
            graph.covers.insert(b.to_string(), vec![format!("{b}0")]);
        }
    }
    *graph.wabas.lock().expect("lock") = wabas;
    let graph = Arc::new(graph);
    let store = store().await;
    orchestrate::sync(&*graph, &*store, 1).await.expect("sync");
    let vault = Arc::new(vault());
    let moves = Moves {
        graph: Arc::clone(&graph) as _,
        store: Arc::clone(&store),
        vault,
        now: || 50,
    };
    // One delivery, one entry per WABA, as Meta batches them.
    let entry: Vec<_> = (1..=40)
        .map(|b| {
            json!({ "id": format!("{b}0"), "time": 1, "changes": [{ "field": "account_update",
                "value": { "event": "MM_LITE_TERMS_SIGNED",
                           "waba_info": { "waba_id": format!("{b}0"), "owner_business_id": b.to_string() } } }] })
        })
        .collect();
    let body = json!({ "object": "whatsapp_business_account", "entry": entry });
    let batch = wamm_client::receiver::parse(body.to_string().as_bytes()).expect("envelope");
    let outcome = handle(&moves, &batch).await;
    assert!(
        matches!(
            outcome,
            Err(orchestrate::OrchestrateError::TokenDoesNotCover { ref business, .. }) if business == "7"
        ),
        "{outcome:?}"
    );
    for b in (1..=40).filter(|b| *b != 7) {
        assert!(
            store.token(&b.to_string()).await.expect("read").is_some(),
            "business {b}'s token was taken despite 7's failure"
        );
    }
    assert!(store.token("7").await.expect("read").is_none());
}
