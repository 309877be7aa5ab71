//! Conversion readiness against a fake Graph: the orchestrator remembers which templates it saw
//! before a WABA was onboarded, keeps each business's last check, and the dashboard and its
//! JSON show the findings per client.

use std::sync::Arc;

use wamm_partner::graph::RemoteTemplate;
use wamm_partner::orchestrate;
use wamm_partner::readiness::{self, Code, Severity};
use wamm_partner::stage::WabaStatus;
use wamm_partner::web::{DashboardState, router};

use crate::fake::{FakeGraph, remote, store};

/// An approved MARKETING template with a URL button to `url`, linked to an ad when `linked`.
fn template(id: &str, url: &str, linked: bool) -> RemoteTemplate {
    RemoteTemplate {
        id: id.into(),
        name: format!("offer_{id}"),
        language: "en_US".into(),
        category: Some("MARKETING".into()),
        status: Some("APPROVED".into()),
        ad_id: linked.then(|| format!("9{id}")),
        ad_adset_id: linked.then(|| format!("7{id}")),
        ad_campaign_id: linked.then(|| format!("6{id}")),
        ad_account_id: linked.then(|| "8001".into()),
        url_buttons: vec![url.into()],
        link_tracking_opted_out: false,
    }
}

fn codes(found: &readiness::BusinessReadiness) -> Vec<(&'static str, Option<String>)> {
    found
        .findings
        .iter()
        .map(|f| (f.code.as_str(), f.template.as_ref().map(|t| t.id.clone())))
        .collect()
}

#[tokio::test]
async fn templates_seen_before_onboarding_stay_marked_and_each_check_is_kept() {
    let graph = FakeGraph {
        no_insights: vec!["20".into()],
        ..FakeGraph::holding(vec![
            remote("10", "1", WabaStatus::Eligible),
            remote("20", "2", WabaStatus::Onboarded),
        ])
    };
    graph.templates.lock().expect("lock").extend([
        (
            "10".to_owned(),
            vec![template("101", "https://shop.example/a", false)],
        ),
        (
            "20".to_owned(),
            vec![template("201", "https://bit.ly/sale", true)],
        ),
    ]);
    let store = store().await;
    orchestrate::sync(&graph, &*store, 1).await.expect("sync");

    let first = readiness::check(&graph, &*store, None, 100)
        .await
        .expect("check");
    assert_eq!(first.len(), 2);
    assert_eq!(
        codes(&first[0]),
        [
            ("no_ad_account", None),
            ("template_predates_onboarding", Some("101".to_owned()))
        ]
    );
    assert_eq!(
        codes(&first[1]),
        [
            ("insights_disabled", None),
            ("url_shortener", Some("201".to_owned()))
        ]
    );

    // The client signs; Meta links the old template and the business creates a new one.
    graph.wabas.lock().expect("lock")[0].status = WabaStatus::Onboarded;
    graph.templates.lock().expect("lock").insert(
        "10".into(),
        vec![
            template("101", "https://shop.example/a", true),
            template("102", "https://shop.example/b", false),
        ],
    );
    let second = readiness::check(&graph, &*store, Some("1"), 200)
        .await
        .expect("check");
    assert_eq!(second.len(), 1, "only the business asked for");
    assert_eq!(
        codes(&second[0]),
        [
            ("ad_sync_pending", Some("102".to_owned())),
            ("template_predates_onboarding", Some("101".to_owned()))
        ],
        "the old template is still the one seen before onboarding"
    );
    assert!(
        second[0]
            .findings
            .iter()
            .all(|f| f.severity == Severity::Warning)
    );
    let kept = store.readiness().await.expect("kept");
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0], second[0], "the last check replaces the first");
    assert_eq!(kept[1], first[1], "the other business keeps its check");
}

#[tokio::test]
async fn a_waba_graph_will_not_describe_is_reported_not_guessed() {
    let graph = FakeGraph::holding(vec![remote("10", "1", WabaStatus::Onboarded)]);
    let store = store().await;
    orchestrate::sync(&graph, &*store, 1).await.expect("sync");
    // Graph forgets the WABA (access removed) while the store still knows it.
    graph.wabas.lock().expect("lock").clear();
    let found = readiness::check(&graph, &*store, None, 5)
        .await
        .expect("check");
    assert_eq!(found[0].findings, vec![]);
    assert_eq!(found[0].skipped.len(), 1);
    assert_eq!(found[0].skipped[0].0, "10");
    assert!(!found[0].ready());
}

#[tokio::test]
async fn the_dashboard_shows_each_clients_findings() {
    let graph = FakeGraph::holding(vec![
        remote("10", "1", WabaStatus::Onboarded),
        remote("20", "2", WabaStatus::Onboarded),
    ]);
    graph.templates.lock().expect("lock").extend([
        (
            "10".to_owned(),
            vec![template("101", "https://tinyurl.com/x", true)],
        ),
        (
            "20".to_owned(),
            vec![template("201", "https://shop.example/", true)],
        ),
    ]);
    let store = store().await;
    orchestrate::sync(&graph, &*store, 1).await.expect("sync");
    readiness::check(&graph, &*store, None, 1_927_879_260)
        .await
        .expect("check");
    let base = crate::fake::serve(router(DashboardState {
        store: Arc::clone(&store),
        partner: "Acme BSP".into(),
        unanswered_after: 86_400,
        now: || 1_927_879_300,
    }))
    .await;
    let page = reqwest::get(format!("{base}/"))
        .await
        .expect("page")
        .text()
        .await
        .expect("text");
    assert!(
        page.contains(
            r#"<li data-code="url_shortener" data-severity="warning" data-waba="10" data-template="offer_101">"#
        ),
        "{page}"
    );
    assert!(page.contains("checked 2031-02-03 10:01 UTC"), "{page}");
    assert!(
        page.contains(r#"<div class="client" data-business="2" data-findings="0">"#),
        "{page}"
    );
    assert!(page.contains("Ready: nothing stands in the way"));
    let json: serde_json::Value = reqwest::get(format!("{base}/api/readiness"))
        .await
        .expect("json")
        .json()
        .await
        .expect("decodes");
    assert_eq!(json[0]["business_id"], "1");
    assert_eq!(json[0]["findings"][0]["code"], Code::UrlShortener.as_str());
    assert_eq!(json[0]["findings"][0]["severity"], "warning");
    assert_eq!(json[1]["findings"], serde_json::json!([]));
}
