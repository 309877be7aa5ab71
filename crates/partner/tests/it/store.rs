//! The orchestrator store's contract, on in-memory SQLite and on a fresh PostgreSQL database
//! (which must be reachable: these tests fail, never skip, without it).

use wamm_partner::stage::{BusinessStatus, Request, WabaStatus};
use wamm_partner::store::{ClientBusiness, ClientWaba, PartnerStore, SentMessage, StoredToken};

/// Runs each contract test on both backends.
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = wamm_partner::store::connect("sqlite::memory:")
                        .await
                        .expect("sqlite opens");
                    super::$name(&*store).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = wamm_testkit::TestDatabase::create("wamm_partner").await;
                    let store = wamm_partner::store::connect(&db.url)
                        .await
                        .expect("postgres opens");
                    super::$name(&*store).await;
                    drop(store);
                    db.drop_now().await;
                }
            )+
        }
    };
}

contract!(
    a_template_keeps_its_first_sighting,
    the_last_readiness_check_replaces_the_one_before,
    businesses_keep_their_first_request,
    wabas_and_tokens_round_trip,
    message_statuses_only_move_forward,
    template_categories_follow_the_last_word,
    template_days_are_replaced_and_read_by_business_and_day,
    ad_insights_days_are_replaced_and_read_by_business_and_day,
);

fn business(id: &str, status: Option<BusinessStatus>) -> ClientBusiness {
    ClientBusiness {
        id: id.to_owned(),
        name: format!("Business {id}"),
        status,
        request: None,
    }
}

async fn businesses_keep_their_first_request(store: &dyn PartnerStore) {
    store.put_business(&business("2", None)).await.expect("put");
    store
        .put_business(&business("1", Some(BusinessStatus::NotStarted)))
        .await
        .expect("put");
    let first = Request {
        request_id: Some("893".into()),
        at: 10,
    };
    assert!(store.record_request("1", &first).await.expect("record"));
    // A re-run never asks twice: the first request stays.
    let again = Request {
        request_id: Some("999".into()),
        at: 20,
    };
    assert!(!store.record_request("1", &again).await.expect("record"));
    assert!(
        !store.record_request("404", &again).await.expect("record"),
        "an unknown business records nothing"
    );
    // A sync that rewrites the business keeps the request.
    store
        .put_business(&business("1", Some(BusinessStatus::RequestSent)))
        .await
        .expect("put");
    let stored = store.business("1").await.expect("read").expect("kept");
    assert_eq!(stored.request, Some(first));
    assert_eq!(stored.status, Some(BusinessStatus::RequestSent));
    let all = store.businesses().await.expect("list");
    assert_eq!(
        all.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    assert!(store.business("404").await.expect("read").is_none());
}

async fn wabas_and_tokens_round_trip(store: &dyn PartnerStore) {
    let waba = ClientWaba {
        id: "100".into(),
        business_id: "1".into(),
        name: "Main".into(),
        status: Some(WabaStatus::from("SOMETHING_NEW")),
        terms_signed_at: Some(5),
        phone_number_id: Some("555".into()),
        first_sent_at: None,
        last_event: Some(("MM_LITE_TERMS_SIGNED".into(), 5)),
    };
    store.put_waba(&waba).await.expect("put");
    assert_eq!(store.waba("100").await.expect("read"), Some(waba.clone()));
    let mut moved = waba.clone();
    moved.status = Some(WabaStatus::Onboarded);
    store.put_waba(&moved).await.expect("update");
    assert_eq!(store.wabas().await.expect("list"), vec![moved]);
    let token = StoredToken {
        business_id: "1".into(),
        sealed: "v1.k.AAAA".into(),
        wabas: vec!["100".into()],
        fetched_at: 7,
    };
    store.put_token(&token).await.expect("put");
    let newer = StoredToken {
        sealed: "v1.k.BBBB".into(),
        fetched_at: 8,
        ..token
    };
    store.put_token(&newer).await.expect("replace");
    assert_eq!(store.token("1").await.expect("read"), Some(newer.clone()));
    assert_eq!(store.tokens().await.expect("list"), vec![newer]);
    assert!(store.token("2").await.expect("read").is_none());
}

fn message(id: &str, waba: &str) -> SentMessage {
    SentMessage {
        id: id.to_owned(),
        waba_id: waba.to_owned(),
        phone_number_id: "555".into(),
        route: "marketing_messages".into(),
        template: Some("summer_sale".into()),
        status: "accepted".into(),
        at: 1,
    }
}

async fn message_statuses_only_move_forward(store: &dyn PartnerStore) {
    store
        .record_message(&message("wamid.1", "100"))
        .await
        .expect("record");
    store
        .record_message(&message("wamid.2", "100"))
        .await
        .expect("record");
    store
        .record_message(&message("wamid.3", "200"))
        .await
        .expect("record");
    // Recording again changes nothing.
    store
        .record_message(&message("wamid.1", "999"))
        .await
        .expect("again");
    assert!(
        store
            .set_message_status("wamid.1", "delivered")
            .await
            .expect("set")
    );
    // A late `sent` does not undo `delivered`.
    assert!(
        !store
            .set_message_status("wamid.1", "sent")
            .await
            .expect("set")
    );
    assert!(
        store
            .set_message_status("wamid.1", "read")
            .await
            .expect("set")
    );
    assert!(
        store
            .set_message_status("wamid.2", "failed")
            .await
            .expect("set")
    );
    assert!(
        !store
            .set_message_status("wamid.2", "read")
            .await
            .expect("set")
    );
    assert!(
        !store
            .set_message_status("wamid.404", "read")
            .await
            .expect("set")
    );
    let one = store.message("wamid.1").await.expect("read").expect("kept");
    assert_eq!((one.status.as_str(), one.waba_id.as_str()), ("read", "100"));
    assert_eq!(
        store.message_counts().await.expect("counts"),
        vec![
            ("100".to_owned(), "failed".to_owned(), 1),
            ("100".to_owned(), "read".to_owned(), 1),
            ("200".to_owned(), "accepted".to_owned(), 1),
        ]
    );
}

async fn template_categories_follow_the_last_word(store: &dyn PartnerStore) {
    assert_eq!(
        store.category("100", "sale", "en_US").await.expect("read"),
        None
    );
    store
        .set_category("100", "sale", "en_US", "MARKETING")
        .await
        .expect("set");
    store
        .set_category("100", "sale", "en_US", "UTILITY")
        .await
        .expect("set");
    store
        .set_category("100", "sale", "pt_BR", "MARKETING")
        .await
        .expect("set");
    assert_eq!(
        store.category("100", "sale", "en_US").await.expect("read"),
        Some("UTILITY".into())
    );
    assert_eq!(
        store.category("100", "sale", "pt_BR").await.expect("read"),
        Some("MARKETING".into())
    );
}

async fn template_days_are_replaced_and_read_by_business_and_day(store: &dyn PartnerStore) {
    use wamm_partner::graph::{Conversions, Product, TemplateDay};
    for (waba, owner) in [("W1", "1"), ("W2", "2")] {
        store
            .put_waba(&ClientWaba {
                id: waba.into(),
                business_id: owner.into(),
                name: waba.into(),
                status: Some(WabaStatus::Onboarded),
                terms_signed_at: None,
                phone_number_id: None,
                first_sent_at: None,
                last_event: None,
            })
            .await
            .expect("waba");
    }
    let day = |waba: &str, day: i64, product: Product, sent: i64| TemplateDay {
        waba_id: waba.into(),
        template_id: "T".into(),
        template_name: "promo".into(),
        day,
        product,
        sent,
        delivered: sent,
        read: 0,
        clicked: 0,
        cost: (product == Product::MarketingMessages).then_some(0.5),
        conversions: Conversions {
            website_purchases: sent / 2,
            website_purchases_conversion_value: 12.5
                * f64::from(i32::try_from(sent / 2).expect("small")),
            app_activations: 1,
            ..Conversions::default()
        },
    };
    store
        .put_template_days(&[
            day("W1", 86_400, Product::MarketingMessages, 3),
            day("W1", 86_400, Product::CloudApi, 1),
            day("W1", 172_800, Product::MarketingMessages, 2),
            day("W2", 172_800, Product::MarketingMessages, 9),
        ])
        .await
        .expect("put");
    // A later sync's figures replace the earlier ones.
    store
        .put_template_days(&[day("W1", 86_400, Product::MarketingMessages, 4)])
        .await
        .expect("put again");
    let all = store.template_days(None, 0).await.expect("all");
    assert_eq!(all.len(), 4);
    // Ordered by WABA, template, day, then product as stored (`cloud_api` first).
    let read = |d: &TemplateDay| (d.waba_id.clone(), d.day, d.product, d.sent, d.cost);
    assert_eq!(
        read(&all[0]),
        ("W1".into(), 86_400, Product::CloudApi, 1, None),
        "a cost the business may not see stays unknown"
    );
    assert_eq!(
        read(&all[1]),
        (
            "W1".into(),
            86_400,
            Product::MarketingMessages,
            4,
            Some(0.5)
        ),
        "a later sync's figures replace the earlier ones"
    );
    let of_one = store
        .template_days(Some("1"), 0)
        .await
        .expect("one business");
    assert!(of_one.iter().all(|d| d.waba_id == "W1") && of_one.len() == 3);
    let recent = store.template_days(None, 172_800).await.expect("recent");
    assert_eq!(recent.len(), 2);
    // Conversions come back as stored, replaced with the rest.
    assert_eq!(all[1].conversions.website_purchases, 2);
    assert!((all[1].conversions.website_purchases_conversion_value - 25.0).abs() < 1e-9);
    assert_eq!(all[1].conversions.app_activations, 1);
}

async fn a_template_keeps_its_first_sighting(store: &dyn PartnerStore) {
    use wamm_partner::store::TemplateSighting;
    let seen = |template: &str, at: i64, before: bool| TemplateSighting {
        waba_id: "W1".into(),
        template_id: template.into(),
        first_seen_at: at,
        before_onboarding: before,
    };
    store
        .record_sightings(&[seen("T1", 10, true), seen("T2", 10, true)])
        .await
        .expect("first");
    // Seen again after onboarding: the first sighting stands; a new template is added.
    store
        .record_sightings(&[seen("T1", 20, false), seen("T3", 20, false)])
        .await
        .expect("again");
    let mut other = seen("T1", 30, false);
    other.waba_id = "W2".into();
    store.record_sightings(&[other]).await.expect("other WABA");
    assert_eq!(
        store.sightings("W1").await.expect("read"),
        vec![
            seen("T1", 10, true),
            seen("T2", 10, true),
            seen("T3", 20, false)
        ]
    );
    assert_eq!(store.sightings("W9").await.expect("none"), vec![]);
}

async fn the_last_readiness_check_replaces_the_one_before(store: &dyn PartnerStore) {
    use wamm_partner::readiness::{BusinessReadiness, Code, Finding, Severity};
    let check = |business: &str, at: i64, findings: Vec<Finding>| BusinessReadiness {
        business_id: business.into(),
        checked_at: at,
        wabas: vec!["W1".into()],
        findings,
        skipped: vec![],
    };
    let blocker = Finding {
        code: Code::InsightsDisabled,
        severity: Severity::Blocker,
        waba_id: "W1".into(),
        template: None,
        message: "confirm insights".into(),
    };
    store
        .put_readiness(&check("2", 5, vec![blocker.clone()]))
        .await
        .expect("put");
    store
        .put_readiness(&check("1", 5, vec![blocker]))
        .await
        .expect("put");
    store
        .put_readiness(&check("2", 9, vec![]))
        .await
        .expect("put again");
    let all = store.readiness().await.expect("read");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].business_id, "1");
    assert_eq!(all[0].findings[0].code, Code::InsightsDisabled);
    assert_eq!(all[1], check("2", 9, vec![]));
    assert!(all[1].ready() && !all[0].ready());
}

async fn ad_insights_days_are_replaced_and_read_by_business_and_day(store: &dyn PartnerStore) {
    use wamm_partner::graph::AdInsightsDay;
    for (waba, owner) in [("W1", "1"), ("W2", "2")] {
        store
            .put_waba(&ClientWaba {
                id: waba.into(),
                business_id: owner.into(),
                name: waba.into(),
                status: Some(WabaStatus::Onboarded),
                terms_signed_at: None,
                phone_number_id: None,
                first_sent_at: None,
                last_event: None,
            })
            .await
            .expect("waba");
    }
    let day = |waba: &str, ad: &str, day: i64, sent: i64| AdInsightsDay {
        waba_id: waba.into(),
        account_id: format!("acct{waba}"),
        ad_id: ad.into(),
        template_id: (ad != "orphan").then(|| format!("t{ad}")),
        ad_name: format!("{ad} (en_US)"),
        day,
        sent,
        delivered: sent,
        read: sent / 2,
        clicked: 1,
        spend: 0.025 * f64::from(i32::try_from(sent).expect("small")),
        currency: (sent > 0).then(|| "USD".to_owned()),
        delivery_rate: (sent > 0).then_some(100.0),
        read_rate: (sent > 0).then_some(50.0),
        click_rate: None,
    };
    store
        .put_ad_insights_days(&[
            day("W1", "A1", 86_400, 3),
            day("W1", "A1", 172_800, 0),
            day("W1", "orphan", 86_400, 2),
            day("W2", "A2", 172_800, 9),
        ])
        .await
        .expect("put");
    // A later sync's figures replace the earlier ones, every column.
    let later = day("W1", "A1", 86_400, 4);
    store
        .put_ad_insights_days(std::slice::from_ref(&later))
        .await
        .expect("put again");
    let all = store.ad_insights_days(None, 0).await.expect("all");
    assert_eq!(all.len(), 4, "{all:?}");
    assert_eq!(all[0], later, "by WABA, ad, day; the later figures");
    assert_eq!(all[1].day, 172_800);
    assert_eq!(
        (all[1].currency.as_deref(), all[1].read_rate),
        (None, None),
        "absent figures stay absent"
    );
    assert_eq!(all[2].ad_id, "orphan");
    assert_eq!(all[2].template_id, None);
    let of_one = store
        .ad_insights_days(Some("2"), 0)
        .await
        .expect("one business");
    assert_eq!(of_one.len(), 1);
    assert_eq!((of_one[0].ad_id.as_str(), of_one[0].sent), ("A2", 9));
    let recent = store.ad_insights_days(None, 172_800).await.expect("recent");
    assert_eq!(recent.len(), 2);
}
