//! The orchestrator's moves against the platform over a socket, through `wamm-client`: sync
//! the demo world's clients, ask the eligible ones once, an admin accepts, the signed WABAs'
//! business tokens are taken, checked and sealed.

use std::sync::Arc;

use serde_json::{Value, json};
use wamm_client::GraphClient;
use wamm_partner::client_graph::ClientGraph;
use wamm_partner::graph::PartnerGraph;
use wamm_partner::orchestrate::{self, Asked};
use wamm_partner::stage::Stage;
use wamm_partner::store::PartnerStore;
use wamm_partner::vault::{Key, Vault};

#[tokio::test]
async fn the_funnel_against_the_platform() {
    let crate::client::Demo {
        running,
        partner,
        app_secret,
        token,
        ..
    } = crate::client::demo().await;
    let base = running.base_url();
    let graph: Arc<dyn PartnerGraph> = Arc::new(ClientGraph {
        client: GraphClient::new(&base)
            .token(&token)
            .app_secret(&app_secret),
        partner,
        app: None,
    });
    let store: Arc<dyn PartnerStore> = wamm_partner::store::connect("sqlite::memory:")
        .await
        .expect("store");

    let synced = orchestrate::sync(&*graph, &*store, 1).await.expect("sync");
    assert!(synced.wabas >= 6, "{synced:?}");
    let first = orchestrate::onboard(
        Arc::clone(&graph),
        Arc::clone(&store),
        &[],
        4,
        2,
        &|_, _| {},
    )
    .await
    .expect("onboard");
    let requested: Vec<(String, String)> = first
        .asked
        .iter()
        .filter_map(|a| match a {
            Asked::Requested {
                business,
                request_id,
            } => Some((business.clone(), request_id.clone())),
            _ => None,
        })
        .collect();
    assert!(!requested.is_empty(), "{first:?}");
    // Nobody is asked twice.
    let second = orchestrate::onboard(
        Arc::clone(&graph),
        Arc::clone(&store),
        &[],
        4,
        3,
        &|_, _| {},
    )
    .await
    .expect("onboard again");
    assert!(
        second
            .asked
            .iter()
            .all(|a| !matches!(a, Asked::Requested { .. })),
        "{second:?}"
    );
    assert_eq!(
        second.already_asked,
        first.asked.len() + first.already_asked
    );

    // An admin accepts the request of a client with a shared eligible WABA (the OBO-only
    // client's WABAs wait for their migration); Meta's setup completes on the platform clock.
    let http = reqwest::Client::new();
    let wabas = store.wabas().await.expect("wabas");
    let (business, request_id) = requested
        .iter()
        .find(|(b, _)| {
            wabas.iter().any(|w| {
                &w.business_id == b && w.status.as_ref().is_some_and(|s| s.as_str() == "ELIGIBLE")
            })
        })
        .expect("a client with an eligible WABA was asked");
    let accepted = http
        .post(format!("{base}/_wamm/requests/{request_id}/accept"))
        .json(&json!({}))
        .send()
        .await
        .expect("accept");
    assert!(accepted.status().is_success(), "{}", accepted.status());
    http.post(format!("{base}/_wamm/clock"))
        .json(&json!({ "advance_seconds": 3_600 }))
        .send()
        .await
        .expect("clock");
    orchestrate::sync(&*graph, &*store, 4).await.expect("sync");

    let vault = Vault::new(Key::generate("test").expect("key").0, vec![]).expect("vault");
    let signed: Vec<_> = store
        .wabas()
        .await
        .expect("wabas")
        .into_iter()
        .filter(|w| &w.business_id == business)
        .filter(|w| w.status.as_ref().is_some_and(|s| s.as_str() == "ONBOARDED"))
        .collect();
    assert!(
        !signed.is_empty(),
        "the accepted client has an onboarded WABA"
    );
    for waba in &signed {
        orchestrate::terms_signed(&*graph, &*store, &vault, &waba.id, 5)
            .await
            .expect("token taken");
    }
    let stored = store.token(business).await.expect("read").expect("sealed");
    let plain = vault
        .open(&stored.sealed, &orchestrate::token_row(business))
        .expect("opens");
    // The platform agrees: the token is a live business token for those WABAs.
    let debug: Value = GraphClient::new(&base)
        .token(&token)
        .debug_token(plain.expose())
        .await
        .expect("debug_token");
    assert_eq!(debug["data"]["is_valid"], true, "{debug}");
    for waba in &signed {
        assert!(stored.wabas.contains(&waba.id));
    }

    let view = wamm_partner::web::current(&wamm_partner::web::DashboardState {
        store: Arc::clone(&store),
        partner: "Partner Ops".into(),
        unanswered_after: 86_400,
        now: || 6,
    })
    .await
    .expect("funnel");
    for row in view.rows.iter().filter(|r| &r.business_id == business) {
        if signed.iter().any(|w| w.id == row.waba_id) {
            assert!(row.standing.stage >= Stage::TokenFetched, "{row:?}");
        }
    }
    assert!(
        view.rows
            .iter()
            .any(|r| r.standing.stage == Stage::IntentRequested),
        "the other clients wait"
    );

    // A client onboarded before the orchestrator ran gets its token on the catch-up, and its
    // marketing template goes through MM API; the platform has the message on that route.
    orchestrate::fetch_missing_tokens(&*graph, &*store, &vault, 7)
        .await
        .expect("catch up");
    let onboarded = store
        .wabas()
        .await
        .expect("wabas")
        .into_iter()
        .find(|w| w.name == "Already Signed Co")
        .expect("the demo's onboarded client");
    let sent = wamm_partner::send::send(
        &*graph,
        &*store,
        &vault,
        &wamm_partner::send::SendOrder {
            waba_id: onboarded.id.clone(),
            to: "+91 98765 43210".into(),
            template: "diwali_offer".into(),
            language: "en_IN".into(),
            body: vec!["Priya".into(), "15%".into()],
        },
        8,
    )
    .await
    .expect("sent");
    assert_eq!(sent.route, "marketing_messages");
    let on_platform: Value = http
        .get(format!("{base}/_wamm/messages/{}", sent.id))
        .send()
        .await
        .expect("message")
        .json()
        .await
        .expect("json");
    assert_eq!(on_platform["route"], "marketing_lite", "{on_platform}");
}
