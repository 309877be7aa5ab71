//! The orchestrator's moves against a fake Graph: sync, onboard (bounded, idempotent, 1752041
//! as asked), and the token taken when a client signs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use wamm_partner::graph::PartnerGraph;
use wamm_partner::orchestrate::{self, Asked, OrchestrateError};
use wamm_partner::stage::{BusinessStatus, WabaStatus};

use crate::fake::{FakeGraph, remote, store, vault};

#[tokio::test]
async fn sync_records_and_notes_changes() {
    let graph = FakeGraph::default();
    *graph.wabas.lock().expect("lock") = vec![
        remote("10", "1", WabaStatus::Eligible),
        remote("11", "1", WabaStatus::IneligibleOnBehalfOfWaba),
        remote("20", "2", WabaStatus::Onboarded),
    ];
    let store = store().await;
    let first = orchestrate::sync(&graph, &*store, 100).await.expect("sync");
    assert_eq!((first.businesses, first.wabas, first.changed), (2, 3, 3));
    let again = orchestrate::sync(&graph, &*store, 200).await.expect("sync");
    assert_eq!(again.changed, 0);
    graph.wabas.lock().expect("lock")[0].status = WabaStatus::PendingInternalSetup;
    let moved = orchestrate::sync(&graph, &*store, 300).await.expect("sync");
    assert_eq!(moved.changed, 1);
    let waba = store.waba("10").await.expect("read").expect("kept");
    assert_eq!(
        waba.last_event,
        Some(("status ELIGIBLE → PENDING_INTERNAL_SETUP".into(), 300))
    );
    assert_eq!(store.businesses().await.expect("list").len(), 2);
}

#[tokio::test]
async fn onboarding_asks_each_eligible_client_once_with_bounded_concurrency() {
    let mut graph = FakeGraph::default();
    let mut wabas = Vec::new();
    for b in 0..12 {
        wabas.push(remote(
            &format!("{b}0"),
            &format!("b{b}"),
            WabaStatus::Eligible,
        ));
    }
    // Only OBO: asked (the Intent API sets a migration intent). Only ineligible: not asked.
    wabas.push(remote("900", "obo", WabaStatus::IneligibleOnBehalfOfWaba));
    wabas.push(remote(
        "901",
        "far",
        WabaStatus::IneligibleCountryNotSupported,
    ));
    // Signed already: not asked.
    let mut signed = remote("902", "signed", WabaStatus::Onboarded);
    signed.business_status = Some(BusinessStatus::TermOfServiceSigned);
    wabas.push(signed);
    *graph.wabas.lock().expect("lock") = wabas;
    graph.refuse.insert("b3".into(), 1_752_041);
    graph.refuse.insert("b4".into(), 4);
    let graph = Arc::new(graph);
    let store = store().await;
    orchestrate::sync(&*graph, &*store, 1).await.expect("sync");

    let ticks = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&ticks);
    let progress = move |_: usize, _: usize| {
        counter.fetch_add(1, Ordering::SeqCst);
    };
    let run = orchestrate::onboard(
        Arc::clone(&graph) as Arc<dyn PartnerGraph>,
        Arc::clone(&store),
        &[],
        3,
        10,
        &progress,
    )
    .await
    .expect("onboard");
    assert_eq!(run.asked.len(), 13, "12 eligible and the OBO client");
    assert_eq!(run.not_eligible, 2);
    assert_eq!(ticks.load(Ordering::SeqCst), 13);
    assert!(graph.most_in_flight.load(Ordering::SeqCst) <= 3);
    assert!(run.asked.contains(&Asked::AlreadyRequested {
        business: "b3".into()
    }));
    assert!(
        run.asked
            .iter()
            .any(|a| matches!(a, Asked::Failed { business, .. } if business == "b4"))
    );
    assert!(run.asked.contains(&Asked::Requested {
        business: "obo".into(),
        request_id: "req-obo".into()
    }));
    let b3 = store.business("b3").await.expect("read").expect("kept");
    assert_eq!(b3.request.map(|r| r.request_id), Some(None));

    // The second run asks only the one that failed.
    graph.asked.lock().expect("lock").clear();
    let rerun = orchestrate::onboard(
        Arc::clone(&graph) as Arc<dyn PartnerGraph>,
        Arc::clone(&store),
        &[],
        3,
        20,
        &|_, _| {},
    )
    .await
    .expect("onboard");
    assert_eq!(*graph.asked.lock().expect("lock"), ["b4"]);
    assert_eq!(rerun.already_asked, 12);
}

#[tokio::test]
async fn signing_stores_a_sealed_token_that_covers_the_waba() {
    let mut graph = FakeGraph::default();
    *graph.wabas.lock().expect("lock") = vec![
        remote("10", "1", WabaStatus::PendingInternalSetup),
        remote("20", "2", WabaStatus::PendingInternalSetup),
    ];
    graph.covers.insert("1".into(), vec!["10".into()]);
    let store = store().await;
    orchestrate::sync(&graph, &*store, 1).await.expect("sync");
    let vault = vault();

    orchestrate::terms_signed(&graph, &*store, &vault, "10", 50)
        .await
        .expect("signed");
    let token = store.token("1").await.expect("read").expect("stored");
    assert!(!token.sealed.contains("EAAG"), "sealed at rest");
    assert_eq!(token.wabas, ["10"]);
    assert_eq!(
        vault
            .open(&token.sealed, &orchestrate::token_row("1"))
            .expect("opens")
            .expose(),
        "EAAG-token-of-1"
    );
    let waba = store.waba("10").await.expect("read").expect("kept");
    assert_eq!(waba.terms_signed_at, Some(50));

    // A token that does not cover the signed WABA is refused and not stored.
    let refused = orchestrate::terms_signed(&graph, &*store, &vault, "20", 60).await;
    assert!(matches!(
        refused,
        Err(OrchestrateError::TokenDoesNotCover { .. })
    ));
    assert!(store.token("2").await.expect("read").is_none());
    // An unknown WABA waits for the next sync.
    orchestrate::terms_signed(&graph, &*store, &vault, "404", 70)
        .await
        .expect("nothing to do");
}

#[tokio::test]
async fn metrics_sync_stores_each_wabas_days_and_skips_refusals() {
    use wamm_partner::graph::{Product, TemplateDay};
    use wamm_partner::metrics;

    let mut graph = FakeGraph::default();
    *graph.wabas.lock().expect("lock") = vec![
        remote("10", "1", WabaStatus::Onboarded),
        remote("20", "2", WabaStatus::Eligible),
    ];
    let now = 1_927_879_200; // 2031-02-03T10:00:00Z
    let today = metrics::day_start(now);
    let day = |d: i64, sent: i64| TemplateDay {
        waba_id: "10".into(),
        template_id: "T".into(),
        template_name: "promo".into(),
        day: d,
        product: Product::MarketingMessages,
        sent,
        delivered: sent,
        read: 1,
        clicked: 0,
        cost: Some(0.025 * f64::from(u8::try_from(sent).expect("small"))),
        conversions: wamm_partner::graph::Conversions::default(),
    };
    graph.metrics.insert(
        "10".into(),
        vec![
            day(today, 4),
            day(today - 86_400, 2),
            day(today - 40 * 86_400, 9),
        ],
    );
    graph.no_insights.push("20".into());
    let store = store().await;
    orchestrate::sync(&graph, &*store, now).await.expect("sync");
    let done = metrics::sync_metrics(&graph, &*store, now, 30)
        .await
        .expect("metrics sync");
    assert_eq!(
        (done.wabas, done.days),
        (1, 2),
        "the 40-day-old day is outside 30 days"
    );
    assert_eq!(done.skipped.len(), 1);
    assert_eq!(done.skipped[0].0, "20");
    assert!(done.skipped[0].1.contains("insights"), "{:?}", done.skipped);
    let days = store.template_days(None, 0).await.expect("read");
    let owners = store
        .wabas()
        .await
        .expect("wabas")
        .into_iter()
        .map(|w| (w.id, w.business_id))
        .collect();
    let totals = metrics::totals(&days, &owners);
    assert_eq!(totals.len(), 1);
    assert_eq!((totals[0].sent, totals[0].business_id.as_str()), (6, "1"));
    // Again: the same figures, nothing counted twice.
    metrics::sync_metrics(&graph, &*store, now, 30)
        .await
        .expect("again");
    let again = metrics::totals(&store.template_days(None, 0).await.expect("read"), &owners);
    assert_eq!(again[0].sent, 6);
}

#[tokio::test]
async fn insights_sync_reads_with_each_business_token_and_skips_who_it_cannot_read() {
    use wamm_partner::graph::{AdInsights, AdInsightsDay};
    use wamm_partner::{insights, metrics};

    let mut graph = FakeGraph::holding(vec![
        remote("10", "1", WabaStatus::Onboarded),
        remote("20", "2", WabaStatus::Onboarded),
        remote("30", "3", WabaStatus::Eligible),
        remote("40", "4", WabaStatus::Onboarded),
        remote("50", "5", WabaStatus::Onboarded),
    ]);
    let now = 1_927_879_200; // 2031-02-03T10:00:00Z
    let today = metrics::day_start(now);
    let day = |d: i64, sent: i64| AdInsightsDay {
        waba_id: "10".into(),
        account_id: "77".into(),
        ad_id: "A".into(),
        template_id: Some("T".into()),
        ad_name: "promo (en_US)".into(),
        day: d,
        sent,
        delivered: sent,
        read: 1,
        clicked: 1,
        spend: 0.025 * f64::from(u8::try_from(sent).expect("small")),
        currency: Some("USD".into()),
        delivery_rate: Some(100.0),
        read_rate: None,
        click_rate: None,
    };
    graph.insights.insert(
        "10".into(),
        AdInsights::Days {
            account_id: "77".into(),
            days: vec![
                day(today, 4),
                day(today - 86_400, 2),
                day(today - 40 * 86_400, 9),
            ],
        },
    );
    graph.insights.insert(
        "20".into(),
        AdInsights::Days {
            account_id: "88".into(),
            days: vec![],
        },
    );
    graph.no_ads_read.push("20".into());
    let store = store().await;
    let vault = vault();
    orchestrate::sync(&graph, &*store, now).await.expect("sync");
    // Businesses 1, 2 and 5 hold a token; 4 has none; 3 is not onboarded.
    for waba in ["10", "20", "50"] {
        orchestrate::terms_signed(&graph, &*store, &vault, waba, now)
            .await
            .expect("token");
    }

    // Without the key no token opens: every WABA is skipped, nothing is read.
    let locked = insights::sync_insights(&graph, &*store, None, now, 30)
        .await
        .expect("sync without a key");
    assert_eq!((locked.wabas, locked.skipped.len()), (0, 5));
    assert!(graph.insights_reads.lock().expect("lock").is_empty());

    let done = insights::sync_insights(&graph, &*store, Some(&vault), now, 30)
        .await
        .expect("insights sync");
    assert_eq!(
        (done.wabas, done.days),
        (1, 2),
        "the 40-day-old day is outside 30 days"
    );
    let reasons: std::collections::BTreeMap<&str, &str> = done
        .skipped
        .iter()
        .map(|(w, r)| (w.as_str(), r.as_str()))
        .collect();
    assert_eq!(
        reasons.keys().copied().collect::<Vec<_>>(),
        ["20", "30", "40", "50"]
    );
    assert!(reasons["20"].contains("ads_read"), "{reasons:?}");
    assert!(reasons["30"].contains("not onboarded"), "{reasons:?}");
    assert!(reasons["40"].contains("no business token"), "{reasons:?}");
    assert!(reasons["50"].contains("no ad account"), "{reasons:?}");
    // Each read used the business's own token, opened from the vault.
    let reads = graph.insights_reads.lock().expect("lock").clone();
    assert!(
        reads.contains(&("EAAG-token-of-1".to_owned(), "10".to_owned()))
            && reads
                .iter()
                .all(|(t, w)| t.ends_with(&format!("-{}", &w[..1]))),
        "{reads:?}"
    );
    let owners = store
        .wabas()
        .await
        .expect("wabas")
        .into_iter()
        .map(|w| (w.id, w.business_id))
        .collect();
    let read = || async { store.ad_insights_days(None, 0).await.expect("read") };
    let totals = insights::totals(&read().await, &owners);
    assert_eq!(totals.len(), 1);
    assert_eq!(
        (
            totals[0].business_id.as_str(),
            totals[0].sent,
            totals[0].ads
        ),
        ("1", 6, 1)
    );
    assert!((totals[0].spend - 0.15).abs() < 1e-12);
    // Again: the same figures, nothing counted twice.
    insights::sync_insights(&graph, &*store, Some(&vault), now, 30)
        .await
        .expect("again");
    assert_eq!(insights::totals(&read().await, &owners)[0].sent, 6);
}
