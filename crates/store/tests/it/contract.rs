//! The contract every backend meets, written once against `&dyn Store`.

use std::collections::BTreeSet;
use std::sync::Arc;

use wamm_domain::{DeliveryStatus, OutboxItem, Outcome, RequestStatus, Timestamp, WorldState};
use wamm_store::{Backend, ChangeSet, Conflict, Delete, OutboxCounts, Put, Store, StoreError};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, RequestId, TemplateId, UserId, WabaId};

use crate::fixture::{self, APP, CLIENT, PARTNER, WABA};

/// Commits `changes`, failing the test on error.
async fn commit(store: &dyn Store, changes: ChangeSet) -> Vec<i64> {
    store.commit(changes).await.expect("commit")
}

pub async fn reports_its_backend(store: &dyn Store) {
    let name = store.backend().to_string();
    assert!(matches!(
        store.backend(),
        Backend::Sqlite | Backend::Postgres
    ));
    assert!(name == "sqlite" || name == "postgres", "{name}");
}

pub async fn commits_and_reads_back_every_kind(store: &dyn Store) {
    let world = fixture::world();
    let mut changes = ChangeSet::new();
    for v in &world.businesses {
        changes = changes.put(Put::Business(v.clone()));
    }
    for v in &world.apps {
        changes = changes.put(Put::App(v.clone()));
    }
    for v in &world.system_users {
        changes = changes.put(Put::SystemUser(v.clone()));
    }
    for v in &world.wabas {
        changes = changes.put(Put::Waba(v.clone()));
    }
    for v in &world.phone_numbers {
        changes = changes.put(Put::PhoneNumber(v.clone()));
    }
    for v in &world.templates {
        changes = changes.put(Put::Template(v.clone()));
    }
    for v in &world.tokens {
        changes = changes.put(Put::Token(v.clone()));
    }
    for v in &world.subscriptions {
        changes = changes.put(Put::Subscription(v.clone()));
    }
    for v in &world.app_subscriptions {
        changes = changes.put(Put::AppSubscription(v.clone()));
    }
    for v in &world.assignments {
        changes = changes.put(Put::Assignment(v.clone()));
    }
    for v in &world.pixels {
        changes = changes.put(Put::Pixel(v.clone()));
    }
    assert!(!changes.is_empty());
    let seqs = commit(store, changes.event(fixture::event("world"))).await;
    assert_eq!(seqs.len(), 1);

    for v in &world.apps {
        assert_eq!(store.app(v.id).await.expect("app").as_ref(), Some(v));
    }
    for v in &world.businesses {
        assert_eq!(
            store.business(v.id).await.expect("business").as_ref(),
            Some(v)
        );
    }
    for v in &world.system_users {
        assert_eq!(
            store.system_user(v.id).await.expect("system user").as_ref(),
            Some(v)
        );
    }
    for v in &world.wabas {
        assert_eq!(store.waba(v.id).await.expect("waba").as_ref(), Some(v));
    }
    for v in &world.phone_numbers {
        assert_eq!(
            store.phone_number(v.id).await.expect("phone").as_ref(),
            Some(v)
        );
    }
    for v in &world.templates {
        assert_eq!(
            store.template(v.id).await.expect("template").as_ref(),
            Some(v)
        );
    }
    for v in &world.tokens {
        assert_eq!(
            store.token_by_hash(&v.hash).await.expect("token").as_ref(),
            Some(v)
        );
    }
    assert_eq!(store.apps().await.expect("apps"), world.apps);
    assert_eq!(
        store.businesses().await.expect("businesses"),
        world.businesses
    );
    assert_eq!(store.wabas().await.expect("wabas"), world.wabas);
    assert_eq!(
        store.subscriptions_of(WABA).await.expect("subs"),
        world.subscriptions[..1]
    );
    // The rate card is a world setting, written by a world load, not by a change set.
    assert_eq!(
        store.export_world().await.expect("export"),
        WorldState {
            rate_card: None,
            ..world.clone()
        }
    );

    // Missing IDs read as None.
    assert_eq!(store.app(AppId::new(1)).await.expect("app"), None);
    assert_eq!(
        store.business(BusinessId::new(1)).await.expect("business"),
        None
    );
    assert_eq!(store.system_user(UserId::new(1)).await.expect("su"), None);
    assert_eq!(store.waba(WabaId::new(1)).await.expect("waba"), None);
    assert_eq!(
        store
            .phone_number(PhoneNumberId::new(1))
            .await
            .expect("phone"),
        None
    );
    assert_eq!(
        store.template(TemplateId::new(1)).await.expect("template"),
        None
    );

    // A put of an existing ID replaces it.
    let mut renamed = world.apps[0].clone();
    renamed.name = "renamed".to_owned();
    renamed.business_id = CLIENT;
    commit(store, ChangeSet::new().put(Put::App(renamed.clone()))).await;
    assert_eq!(store.app(renamed.id).await.expect("app"), Some(renamed));
    assert_eq!(store.apps().await.expect("apps").len(), world.apps.len());
}

pub async fn lists_are_sorted_and_filtered(store: &dyn Store) {
    let other_waba = WabaId::new(3_000_000_000_009);
    // Put in descending ID order; lists come back ascending.
    let changes = ChangeSet::new()
        .put(Put::SystemUser(fixture::system_user(
            UserId::new(30),
            PARTNER,
        )))
        .put(Put::SystemUser(fixture::system_user(
            UserId::new(20),
            CLIENT,
        )))
        .put(Put::SystemUser(fixture::system_user(
            UserId::new(10),
            PARTNER,
        )))
        .put(Put::Waba(fixture::waba(
            WabaId::new(300),
            CLIENT,
            &[PARTNER],
        )))
        .put(Put::Waba(fixture::waba(WabaId::new(200), PARTNER, &[])))
        .put(Put::Waba(fixture::waba(
            WabaId::new(100),
            CLIENT,
            &[PARTNER],
        )))
        .put(Put::PhoneNumber(fixture::phone_number(
            PhoneNumberId::new(9),
            WABA,
        )))
        .put(Put::PhoneNumber(fixture::phone_number(
            PhoneNumberId::new(8),
            other_waba,
        )))
        .put(Put::PhoneNumber(fixture::phone_number(
            PhoneNumberId::new(7),
            WABA,
        )))
        .put(Put::Template(fixture::template(
            TemplateId::new(99),
            WABA,
            "b",
            "en_US",
        )))
        .put(Put::Template(fixture::template(
            TemplateId::new(98),
            other_waba,
            "a",
            "en_US",
        )))
        .put(Put::Template(fixture::template(
            TemplateId::new(97),
            WABA,
            "a",
            "en_US",
        )))
        .put(Put::Token(fixture::token("cc", APP, None)))
        .put(Put::Token(fixture::token("bb", AppId::new(77), None)))
        .put(Put::Token(fixture::token("aa", APP, Some(CLIENT))))
        .put(Put::Subscription(fixture::subscription(
            WABA,
            AppId::new(12),
        )))
        .put(Put::Subscription(fixture::subscription(
            other_waba,
            AppId::new(11),
        )))
        .put(Put::Subscription(fixture::subscription(
            WABA,
            AppId::new(10),
        )));
    commit(store, changes).await;

    let ids =
        |v: Vec<wamm_domain::SystemUser>| v.into_iter().map(|u| u.id.get()).collect::<Vec<_>>();
    assert_eq!(
        ids(store.system_users_of(PARTNER).await.expect("sus")),
        [10, 30]
    );
    assert_eq!(ids(store.system_users_of(CLIENT).await.expect("sus")), [20]);

    let wabas = |v: Vec<wamm_domain::Waba>| v.into_iter().map(|w| w.id.get()).collect::<Vec<_>>();
    assert_eq!(wabas(store.wabas().await.expect("wabas")), [100, 200, 300]);
    assert_eq!(
        wabas(store.wabas_owned_by(CLIENT).await.expect("owned")),
        [100, 300]
    );
    assert_eq!(
        wabas(store.wabas_owned_by(PARTNER).await.expect("owned")),
        [200]
    );
    assert_eq!(
        wabas(store.wabas_held_by_partner(PARTNER).await.expect("held")),
        [100, 300]
    );
    assert!(
        store
            .wabas_held_by_partner(CLIENT)
            .await
            .expect("held")
            .is_empty()
    );

    let phones: Vec<u64> = store
        .phone_numbers_of(WABA)
        .await
        .expect("phones")
        .iter()
        .map(|p| p.id.get())
        .collect();
    assert_eq!(phones, [7, 9]);
    let templates: Vec<u64> = store
        .templates_of(WABA)
        .await
        .expect("templates")
        .iter()
        .map(|t| t.id.get())
        .collect();
    assert_eq!(templates, [97, 99]);
    let tokens: Vec<String> = store
        .tokens_of_app(APP)
        .await
        .expect("tokens")
        .into_iter()
        .map(|t| t.hash)
        .collect();
    assert_eq!(tokens, ["aa", "cc"]);
    let subs: Vec<u64> = store
        .subscriptions_of(WABA)
        .await
        .expect("subs")
        .iter()
        .map(|s| s.app_id.get())
        .collect();
    assert_eq!(subs, [10, 12]);

    let world = store.export_world().await.expect("export");
    let sub_keys: Vec<(u64, u64)> = world
        .subscriptions
        .iter()
        .map(|s| (s.waba_id.get(), s.app_id.get()))
        .collect();
    assert_eq!(
        sub_keys,
        [(WABA.get(), 10), (WABA.get(), 12), (other_waba.get(), 11)]
    );
    let hashes: Vec<&str> = world.tokens.iter().map(|t| t.hash.as_str()).collect();
    assert_eq!(hashes, ["aa", "bb", "cc"]);
}

pub async fn world_roundtrips(store: &dyn Store) {
    let world = fixture::world();
    store.replace_world(&world).await.expect("replace");
    assert_eq!(store.export_world().await.expect("export"), world);

    // Replacing again with a smaller world leaves nothing of the first.
    let mut smaller = WorldState::default();
    smaller.businesses.push(world.businesses[1].clone());
    smaller
        .wabas
        .push(fixture::waba(WabaId::new(42), CLIENT, &[CLIENT]));
    store.replace_world(&smaller).await.expect("replace");
    assert_eq!(store.export_world().await.expect("export"), smaller);
    assert!(
        store
            .wabas_held_by_partner(PARTNER)
            .await
            .expect("held")
            .is_empty()
    );
    assert_eq!(
        store
            .wabas_held_by_partner(CLIENT)
            .await
            .expect("held")
            .len(),
        1
    );

    store
        .replace_world(&WorldState::default())
        .await
        .expect("clear");
    assert_eq!(
        store.export_world().await.expect("export"),
        WorldState::default()
    );
}

pub async fn replace_world_clears_everything_but_meta(store: &dyn Store) {
    commit(
        store,
        ChangeSet::new()
            .meta("seed", "7")
            .event(fixture::event("before")),
    )
    .await;
    store
        .replace_world(&fixture::world())
        .await
        .expect("replace");
    assert!(store.events(0, 100).await.expect("events").is_empty());
    assert_eq!(
        store.meta("seed").await.expect("meta").as_deref(),
        Some("7")
    );
}

pub async fn partner_index_follows_partner_changes(store: &dyn Store) {
    let held = fixture::waba(WABA, CLIENT, &[PARTNER]);
    commit(store, ChangeSet::new().put(Put::Waba(held.clone()))).await;
    assert_eq!(
        store.wabas_held_by_partner(PARTNER).await.expect("held"),
        std::slice::from_ref(&held)
    );

    let mut released = held;
    released.partners.clear();
    commit(store, ChangeSet::new().put(Put::Waba(released.clone()))).await;
    assert!(
        store
            .wabas_held_by_partner(PARTNER)
            .await
            .expect("held")
            .is_empty()
    );
    assert_eq!(
        store.waba(WABA).await.expect("waba"),
        Some(released.clone())
    );

    // A different partner picks it up.
    let other = BusinessId::new(1_000_000_000_077);
    let mut moved = released;
    moved.partners = fixture::waba(WABA, CLIENT, &[other]).partners;
    commit(store, ChangeSet::new().put(Put::Waba(moved.clone()))).await;
    assert_eq!(
        store.wabas_held_by_partner(other).await.expect("held"),
        [moved]
    );
    assert!(
        store
            .wabas_held_by_partner(PARTNER)
            .await
            .expect("held")
            .is_empty()
    );
}

pub async fn template_conflict_rolls_back_the_whole_change_set(store: &dyn Store) {
    let first = fixture::template(TemplateId::new(61), WABA, "welcome", "en_US");
    commit(store, ChangeSet::new().put(Put::Template(first.clone()))).await;
    let events_before = store.events(0, 100).await.expect("events").len();

    let bystander = fixture::business(PARTNER, "Partner");
    let clash = fixture::template(TemplateId::new(62), WABA, "welcome", "en_US");
    let result = store
        .commit(
            ChangeSet::new()
                .put(Put::Business(bystander))
                .put(Put::Template(clash))
                .meta("touched", "yes")
                .event(fixture::event("template.created")),
        )
        .await;
    match result {
        Err(StoreError::Conflict(Conflict::TemplatesNameLanguage)) => {}
        other => panic!("expected a templates_name_language conflict, got {other:?}"),
    }

    assert_eq!(
        store.events(0, 100).await.expect("events").len(),
        events_before
    );
    assert_eq!(store.business(PARTNER).await.expect("business"), None);
    assert_eq!(store.meta("touched").await.expect("meta"), None);
    assert_eq!(
        store.template(TemplateId::new(62)).await.expect("template"),
        None
    );
    assert_eq!(store.templates_of(WABA).await.expect("templates"), [first]);

    // The same name in another language, or on another WABA, is fine.
    let other_language = fixture::template(TemplateId::new(63), WABA, "welcome", "pt_BR");
    let other_waba = fixture::template(TemplateId::new(64), WabaId::new(9), "welcome", "en_US");
    commit(
        store,
        ChangeSet::new()
            .put(Put::Template(other_language))
            .put(Put::Template(other_waba)),
    )
    .await;
    assert_eq!(store.templates_of(WABA).await.expect("templates").len(), 2);
}

pub async fn re_putting_a_template_is_an_update(store: &dyn Store) {
    let mut t = fixture::template(TemplateId::new(61), WABA, "welcome", "en_US");
    commit(store, ChangeSet::new().put(Put::Template(t.clone()))).await;
    t.status = wamm_domain::TemplateStatus::Paused;
    t.name = "welcome_v2".to_owned();
    commit(store, ChangeSet::new().put(Put::Template(t.clone()))).await;
    assert_eq!(store.templates_of(WABA).await.expect("templates"), [t]);
    // The old name is free again.
    let reuse = fixture::template(TemplateId::new(62), WABA, "welcome", "en_US");
    commit(store, ChangeSet::new().put(Put::Template(reuse))).await;
}

pub async fn deletes_templates_and_subscriptions(store: &dyn Store) {
    store
        .replace_world(&fixture::world())
        .await
        .expect("replace");
    let gone = TemplateId::new(6_000_000_000_001);
    let seqs = commit(
        store,
        ChangeSet::new()
            .delete(Delete::Template(gone))
            .delete(Delete::Subscription { waba: WABA, app: APP })
            // Removing what is not there is not an error.
            .delete(Delete::Template(TemplateId::new(12345)))
            .delete(Delete::Subscription { waba: WabaId::new(1), app: APP })
            .event(fixture::event("deleted")),
    )
    .await;
    assert_eq!(seqs.len(), 1);
    assert_eq!(store.template(gone).await.expect("template"), None);
    assert_eq!(store.templates_of(WABA).await.expect("templates").len(), 1);
    assert!(store.subscriptions_of(WABA).await.expect("subs").is_empty());
    assert_eq!(
        store
            .subscriptions_of(WabaId::new(3_000_000_000_002))
            .await
            .expect("subs")
            .len(),
        1
    );

    // A put and a delete of the same template in one change set: the delete comes after.
    let t = fixture::template(TemplateId::new(70), WABA, "temp", "en_US");
    commit(
        store,
        ChangeSet::new()
            .put(Put::Template(t))
            .delete(Delete::Template(TemplateId::new(70))),
    )
    .await;
    assert_eq!(
        store.template(TemplateId::new(70)).await.expect("template"),
        None
    );
}

pub async fn events_page_in_order(store: &dyn Store) {
    let first = commit(
        store,
        ChangeSet::new()
            .event(fixture::event("e0"))
            .event(fixture::event("e1")),
    )
    .await;
    assert_eq!(first.len(), 2);
    assert!(first[0] < first[1]);
    let mut all = first.clone();
    for i in 2..7 {
        all.extend(
            commit(
                store,
                ChangeSet::new().event(fixture::event(&format!("e{i}"))),
            )
            .await,
        );
    }
    assert!(all.windows(2).all(|w| w[0] < w[1]), "{all:?}");

    let events = store.events(0, 100).await.expect("events");
    let subjects: Vec<&str> = events.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["e0", "e1", "e2", "e3", "e4", "e5", "e6"]);
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), all);
    let expected = fixture::event("e3");
    assert_eq!(events[3].at, expected.at);
    assert_eq!(events[3].kind, expected.kind);
    assert_eq!(events[3].detail, expected.detail);

    // Paging by after_seq.
    let page1 = store.events(0, 3).await.expect("page");
    assert_eq!(page1.iter().map(|e| e.seq).collect::<Vec<_>>(), all[..3]);
    let page2 = store.events(page1[2].seq, 3).await.expect("page");
    assert_eq!(page2.iter().map(|e| e.seq).collect::<Vec<_>>(), all[3..6]);
    let page3 = store.events(page2[2].seq, 3).await.expect("page");
    assert_eq!(page3.iter().map(|e| e.seq).collect::<Vec<_>>(), all[6..]);
    assert!(store.events(all[6], 3).await.expect("page").is_empty());
}

pub async fn recent_events_are_newest_first(store: &dyn Store) {
    assert!(store.recent_events(5).await.expect("recent").is_empty());
    for i in 0..5 {
        commit(
            store,
            ChangeSet::new().event(fixture::event(&format!("e{i}"))),
        )
        .await;
    }
    let recent = store.recent_events(3).await.expect("recent");
    let subjects: Vec<&str> = recent.iter().map(|e| e.subject.as_str()).collect();
    assert_eq!(subjects, ["e4", "e3", "e2"]);
    assert!(recent.windows(2).all(|w| w[0].seq > w[1].seq));
}

pub async fn meta_roundtrips(store: &dyn Store) {
    assert_eq!(store.meta("seed").await.expect("meta"), None);
    commit(
        store,
        ChangeSet::new()
            .meta("seed", "1234")
            .meta("clock", "{\"offset\":5}"),
    )
    .await;
    assert_eq!(
        store.meta("seed").await.expect("meta").as_deref(),
        Some("1234")
    );
    assert_eq!(
        store.meta("clock").await.expect("meta").as_deref(),
        Some("{\"offset\":5}")
    );
    // Overwrite; the last write in a change set wins.
    commit(store, ChangeSet::new().meta("seed", "x").meta("seed", "y")).await;
    assert_eq!(
        store.meta("seed").await.expect("meta").as_deref(),
        Some("y")
    );
}

pub async fn reserve_counts_from_zero(store: &dyn Store) {
    assert_eq!(store.reserve("ids", 5).await.expect("reserve"), 0);
    assert_eq!(store.reserve("ids", 1).await.expect("reserve"), 5);
    assert_eq!(store.reserve("ids", 10).await.expect("reserve"), 6);
    assert_eq!(
        store.meta("ids").await.expect("meta").as_deref(),
        Some("16")
    );
    assert_eq!(store.reserve("other", 1).await.expect("reserve"), 0);
    // A counter set through meta continues from there.
    commit(store, ChangeSet::new().meta("preset", "1000")).await;
    assert_eq!(store.reserve("preset", 2).await.expect("reserve"), 1000);
    assert_eq!(store.reserve("preset", 0).await.expect("reserve"), 1002);
}

pub async fn reserve_is_atomic_under_concurrency(store: Arc<dyn Store>) {
    const TASKS: usize = 8;
    const EACH: usize = 25;
    let mut handles = Vec::new();
    for _ in 0..TASKS {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut got = Vec::with_capacity(EACH);
            for _ in 0..EACH {
                got.push(store.reserve("counter", 1).await.expect("reserve"));
            }
            got
        }));
    }
    let mut seen = BTreeSet::new();
    for handle in handles {
        for value in handle.await.expect("task") {
            assert!(seen.insert(value), "value {value} handed out twice");
        }
    }
    let total = i64::try_from(TASKS * EACH).expect("small");
    assert_eq!(seen, (0..total).collect::<BTreeSet<_>>());
    assert_eq!(
        store.meta("counter").await.expect("meta"),
        Some(total.to_string())
    );
}

pub async fn is_empty_tracks_businesses_and_apps(store: &dyn Store) {
    assert!(store.is_empty().await.expect("empty"));
    // Settings and events do not count.
    commit(
        store,
        ChangeSet::new()
            .meta("seed", "1")
            .event(fixture::event("x")),
    )
    .await;
    assert!(store.is_empty().await.expect("empty"));

    commit(
        store,
        ChangeSet::new().put(Put::App(fixture::app(APP, PARTNER))),
    )
    .await;
    assert!(!store.is_empty().await.expect("empty"));

    store
        .replace_world(&WorldState::default())
        .await
        .expect("clear");
    assert!(store.is_empty().await.expect("empty"));
    commit(
        store,
        ChangeSet::new().put(Put::Business(fixture::business(CLIENT, "c"))),
    )
    .await;
    assert!(!store.is_empty().await.expect("empty"));
}

pub async fn token_by_hash_finds_exactly_that_token(store: &dyn Store) {
    let a = fixture::token("a".repeat(64).as_str(), APP, Some(CLIENT));
    let b = fixture::token("b".repeat(64).as_str(), APP, None);
    commit(
        store,
        ChangeSet::new()
            .put(Put::Token(a.clone()))
            .put(Put::Token(b.clone())),
    )
    .await;
    assert_eq!(
        store.token_by_hash(&a.hash).await.expect("token"),
        Some(a.clone())
    );
    assert_eq!(store.token_by_hash(&b.hash).await.expect("token"), Some(b));
    assert_eq!(
        store.token_by_hash(&"a".repeat(63)).await.expect("token"),
        None
    );
    assert_eq!(
        store.token_by_hash(&"A".repeat(64)).await.expect("token"),
        None
    );

    // Revoking is a re-put by hash.
    let mut revoked = a;
    revoked.revoked_at = Some(Timestamp::from_millis(1_800_000_000_000));
    commit(store, ChangeSet::new().put(Put::Token(revoked.clone()))).await;
    assert_eq!(
        store.token_by_hash(&revoked.hash).await.expect("token"),
        Some(revoked)
    );
    assert_eq!(store.tokens_of_app(APP).await.expect("tokens").len(), 2);
}

pub async fn concurrent_commits_all_land(store: Arc<dyn Store>) {
    const TASKS: u64 = 8;
    const EACH: u64 = 10;
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&store);
        handles.push(tokio::spawn(async move {
            let mut seqs = Vec::new();
            for i in 0..EACH {
                let id = BusinessId::new(task * 1000 + i + 1);
                let changes = ChangeSet::new()
                    .put(Put::Business(fixture::business(id, "b")))
                    .meta(format!("task{task}"), i.to_string())
                    .event(fixture::event(&id.to_string()));
                seqs.extend(store.commit(changes).await.expect("concurrent commit"));
            }
            seqs
        }));
    }
    let mut seqs = BTreeSet::new();
    for handle in handles {
        seqs.extend(handle.await.expect("task"));
    }
    let total = usize::try_from(TASKS * EACH).expect("small");
    assert_eq!(seqs.len(), total);
    assert_eq!(store.businesses().await.expect("businesses").len(), total);
    assert_eq!(store.events(0, 1000).await.expect("events").len(), total);
}

/// The IDs of outbox items.
fn outbox_ids(items: &[OutboxItem]) -> Vec<i64> {
    items.iter().map(|i| i.id).collect()
}

/// Every outbox row, by ID.
async fn all_outbox(store: &dyn Store) -> Vec<OutboxItem> {
    store.outbox(None, 0, 100_000).await.expect("outbox")
}

/// The outbox counts.
async fn counts(store: &dyn Store) -> OutboxCounts {
    store.outbox_counts().await.expect("counts")
}

/// Enqueues one webhook per time, each in a commit of its own and so in an outbox batch of
/// its own, returning their outbox IDs.
async fn enqueue(store: &dyn Store, times: &[i64]) -> Vec<i64> {
    let before = all_outbox(store).await.last().map_or(0, |i| i.id);
    for (n, t) in times.iter().enumerate() {
        let hook = fixture::webhook(u64::try_from(n).expect("small"), *t);
        commit(store, ChangeSet::new().webhook(hook)).await;
    }
    let added = outbox_ids(&store.outbox(None, before, 100_000).await.expect("outbox"));
    assert_eq!(added.len(), times.len());
    added
}

/// Claims everything due by `now` at wall time `wall`, under a 1000 ms lease.
async fn claim(store: &dyn Store, now: i64, wall: i64) -> Vec<i64> {
    outbox_ids(
        &store
            .claim_webhooks(Timestamp::from_millis(now), wall, 1000, 100)
            .await
            .expect("claim"),
    )
}

/// An outbox row that must exist.
async fn item(store: &dyn Store, id: i64) -> OutboxItem {
    store
        .outbox_item(id)
        .await
        .expect("outbox item")
        .expect("outbox row exists")
}

pub async fn commit_enqueues_webhooks_with_the_rest(store: &dyn Store) {
    assert!(all_outbox(store).await.is_empty());
    let hooks = [
        fixture::webhook(0, 1_000),
        fixture::webhook(1, 2_000),
        fixture::webhook(2, 1_500),
    ];
    let changes = ChangeSet::new()
        .put(Put::App(fixture::app(APP, PARTNER)))
        .event(fixture::event("a"))
        .webhook(hooks[0].clone())
        .webhooks(hooks[1..].iter().cloned())
        .event(fixture::event("b"));
    assert!(!ChangeSet::new().webhook(hooks[0].clone()).is_empty());
    let seqs = commit(store, changes).await;
    assert_eq!(seqs.len(), 2);
    assert!(store.app(APP).await.expect("app").is_some());

    // One batch, numbered consecutively, due when its latest webhook is and created with its
    // earliest.
    let items = all_outbox(store).await;
    assert_eq!(items.len(), 3);
    assert!(items.windows(2).all(|w| w[0].id + 1 == w[1].id));
    for (item, hook) in items.iter().zip(&hooks) {
        assert_eq!(&item.webhook, hook);
        assert_eq!(item.batch, items[0].id);
        assert_eq!(item.status, DeliveryStatus::Pending);
        assert_eq!(item.attempts, 0);
        assert_eq!(item.next_attempt_at, Timestamp::from_millis(2_000));
        assert_eq!(item.created_at, Timestamp::from_millis(1_000));
        assert_eq!(item.delivered_at, None);
        assert_eq!(item.last_error, None);
        assert_eq!(
            store.outbox_item(item.id).await.expect("item").as_ref(),
            Some(item)
        );
    }
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 3,
            delivered: 0,
            dropped: 0
        }
    );

    // A change set that fails enqueues nothing.
    let first = fixture::template(TemplateId::new(61), WABA, "welcome", "en_US");
    commit(store, ChangeSet::new().put(Put::Template(first))).await;
    let clash = fixture::template(TemplateId::new(62), WABA, "welcome", "en_US");
    let result = store
        .commit(
            ChangeSet::new()
                .webhook(fixture::webhook(9, 3_000))
                .put(Put::Template(clash))
                .event(fixture::event("c")),
        )
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    assert_eq!(outbox_ids(&all_outbox(store).await), outbox_ids(&items));
    assert_eq!(
        store.outbox_item(items[2].id + 1).await.expect("item"),
        None
    );
}

pub async fn app_subscriptions_put_delete_and_list(store: &dyn Store) {
    let other = AppId::new(2_000_000_000_002);
    assert!(store.app_subscriptions(APP).await.expect("subs").is_empty());
    let waba_sub = fixture::app_subscription(APP, "whatsapp_business_account");
    let app_sub = fixture::app_subscription(APP, "application");
    let other_sub = fixture::app_subscription(other, "whatsapp_business_account");
    commit(
        store,
        ChangeSet::new()
            .put(Put::AppSubscription(waba_sub.clone()))
            .put(Put::AppSubscription(other_sub.clone()))
            .put(Put::AppSubscription(app_sub.clone())),
    )
    .await;
    assert_eq!(
        store.app_subscriptions(APP).await.expect("subs"),
        [app_sub.clone(), waba_sub.clone()]
    );
    assert_eq!(
        store.app_subscriptions(other).await.expect("subs"),
        std::slice::from_ref(&other_sub)
    );
    assert_eq!(
        store
            .export_world()
            .await
            .expect("export")
            .app_subscriptions,
        [app_sub.clone(), waba_sub.clone(), other_sub.clone()]
    );

    // A put of the same (app, object) replaces it.
    let mut changed = waba_sub;
    changed.fields = vec!["messages".to_owned()];
    changed.active = false;
    commit(
        store,
        ChangeSet::new().put(Put::AppSubscription(changed.clone())),
    )
    .await;
    assert_eq!(
        store.app_subscriptions(APP).await.expect("subs"),
        [app_sub, changed]
    );

    commit(
        store,
        ChangeSet::new()
            .delete(Delete::AppSubscription {
                app: APP,
                object: "application".to_owned(),
            })
            .delete(Delete::AppSubscription {
                app: APP,
                object: "missing".to_owned(),
            }),
    )
    .await;
    let left: Vec<String> = store
        .app_subscriptions(APP)
        .await
        .expect("subs")
        .into_iter()
        .map(|s| s.object)
        .collect();
    assert_eq!(left, ["whatsapp_business_account"]);
    assert_eq!(
        store.app_subscriptions(other).await.expect("subs"),
        [other_sub]
    );
    // App subscriptions alone do not make the store non-empty.
    assert!(store.is_empty().await.expect("empty"));
}

pub async fn replace_world_clears_the_outbox(store: &dyn Store) {
    let ids = enqueue(store, &[10, 20]).await;
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(ids[0], 1, 10, Some(200)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    assert_eq!(store.attempts_of(ids[0]).await.expect("attempts").len(), 1);

    store
        .replace_world(&fixture::world())
        .await
        .expect("replace");
    assert!(all_outbox(store).await.is_empty());
    assert!(
        store
            .attempts_of(ids[0])
            .await
            .expect("attempts")
            .is_empty()
    );
    assert_eq!(counts(store).await, OutboxCounts::default());
    assert_eq!(store.next_due_webhook().await.expect("due"), None);
    assert!(claim(store, i64::MAX, 0).await.is_empty());
    assert_eq!(
        store
            .export_world()
            .await
            .expect("export")
            .app_subscriptions,
        fixture::world().app_subscriptions
    );

    // New rows get fresh IDs that never collide with old attempts.
    let again = enqueue(store, &[30]).await;
    assert!(
        store
            .attempts_of(again[0])
            .await
            .expect("attempts")
            .is_empty()
    );
}

pub async fn claims_respect_due_time_and_leases(store: &dyn Store) {
    let ids = enqueue(store, &[100, 200, 300]).await;
    // Nothing is due before its time.
    assert!(claim(store, 99, 1_000).await.is_empty());
    assert_eq!(claim(store, 150, 1_000).await, ids[..1]);
    // Leased until 2000: a second claim at the same wall time gets nothing more.
    assert!(claim(store, 150, 1_000).await.is_empty());
    assert_eq!(claim(store, 250, 1_000).await, ids[1..2]);
    assert_eq!(claim(store, 10_000, 1_999).await, ids[2..]);
    // A lease ending exactly now still holds.
    assert!(claim(store, 10_000, 2_000).await.is_empty());
    // Expired: claimable again, lowest ID first, up to the limit.
    let limited = store
        .claim_webhooks(Timestamp::from_millis(10_000), 2_001, 1000, 1)
        .await
        .expect("claim");
    assert_eq!(outbox_ids(&limited), ids[..1]);
    assert_eq!(limited[0].status, DeliveryStatus::Pending);
    assert_eq!(limited[0].attempts, 0);
    assert_eq!(claim(store, 10_000, 2_001).await, ids[1..2]);
    assert_eq!(claim(store, 10_000, 3_000).await, ids[2..]);
    assert_eq!(claim(store, 10_000, 5_000).await, ids);
    // Claiming changes nothing else.
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 3,
            delivered: 0,
            dropped: 0
        }
    );
    assert_eq!(
        item(store, ids[0]).await.next_attempt_at,
        Timestamp::from_millis(100)
    );
}

pub async fn a_stale_lease_does_not_decide_what_follows(store: &dyn Store) {
    let ids = enqueue(store, &[100, 100]).await;
    // Worker A claims both at wall 1000 (lease until 2000); its receiver is slow, the lease
    // runs out, and worker B claims them again at wall 2500 (lease until 3500).
    assert_eq!(claim(store, 100, 1_000).await, ids);
    assert_eq!(claim(store, 100, 2_500).await, ids);
    let stale = |id, outcome| wamm_domain::DeliveryResult {
        lease_until: Some(2_000),
        ..fixture::result(fixture::attempt(id, 1, 3_000, Some(500)), outcome)
    };
    store
        .finish_deliveries(vec![
            stale(
                ids[0],
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(100),
                },
            ),
            stale(ids[1], Outcome::Drop),
        ])
        .await
        .expect("finish");
    // A's failure neither frees the rows for a third claim while B delivers nor drops them.
    assert!(claim(store, 10_000, 3_000).await.is_empty());
    for id in &ids {
        let row = item(store, *id).await;
        assert_eq!(row.status, DeliveryStatus::Pending);
        assert_eq!(row.attempts, 0);
    }
    // B's own results, under its lease, decide.
    let current = |id, outcome| wamm_domain::DeliveryResult {
        lease_until: Some(3_500),
        ..fixture::result(fixture::attempt(id, 2, 3_100, Some(500)), outcome)
    };
    store
        .finish_deliveries(vec![
            current(
                ids[0],
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(5_000),
                },
            ),
            current(ids[1], Outcome::Drop),
        ])
        .await
        .expect("finish");
    assert_eq!(item(store, ids[0]).await.attempts, 2);
    assert_eq!(
        item(store, ids[0]).await.next_attempt_at,
        Timestamp::from_millis(5_000)
    );
    assert_eq!(item(store, ids[1]).await.status, DeliveryStatus::Dropped);
    // A delivery is recorded whoever holds the lease: it happened.
    let late = wamm_domain::DeliveryResult {
        lease_until: Some(1),
        ..fixture::result(
            fixture::attempt(ids[0], 3, 3_200, Some(200)),
            Outcome::Delivered,
        )
    };
    store.finish_deliveries(vec![late]).await.expect("finish");
    assert_eq!(item(store, ids[0]).await.status, DeliveryStatus::Delivered);
}

pub async fn finishing_records_attempts_and_outcomes(store: &dyn Store) {
    let ids = enqueue(store, &[100, 100, 100, 100]).await;
    assert_eq!(claim(store, 100, 1_000).await, ids);
    store
        .finish_deliveries(vec![
            fixture::result(
                fixture::attempt(ids[0], 1, 110, Some(200)),
                Outcome::Delivered,
            ),
            fixture::result(
                fixture::attempt(ids[1], 1, 120, Some(500)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(5_000),
                },
            ),
            fixture::result(fixture::attempt(ids[2], 1, 130, None), Outcome::Drop),
        ])
        .await
        .expect("finish");
    store
        .finish_deliveries(Vec::new())
        .await
        .expect("finish nothing");

    let delivered = item(store, ids[0]).await;
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(delivered.attempts, 1);
    assert_eq!(delivered.delivered_at, Some(Timestamp::from_millis(110)));
    assert_eq!(delivered.last_error, None);

    let retried = item(store, ids[1]).await;
    assert_eq!(retried.status, DeliveryStatus::Pending);
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.next_attempt_at, Timestamp::from_millis(5_000));
    assert_eq!(retried.delivered_at, None);
    assert_eq!(retried.last_error.as_deref(), Some("HTTP 500"));

    let dropped = item(store, ids[2]).await;
    assert_eq!(dropped.status, DeliveryStatus::Dropped);
    assert_eq!(dropped.attempts, 1);
    assert_eq!(dropped.last_error.as_deref(), Some("timeout"));

    assert_eq!(
        store.attempts_of(ids[0]).await.expect("attempts"),
        [fixture::attempt(ids[0], 1, 110, Some(200))]
    );
    assert_eq!(
        store.attempts_of(ids[2]).await.expect("attempts"),
        [fixture::attempt(ids[2], 1, 130, None)]
    );
    assert!(
        store
            .attempts_of(ids[3])
            .await
            .expect("attempts")
            .is_empty()
    );
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 2,
            delivered: 1,
            dropped: 1
        }
    );

    // The retry's lease is released, but it is due again only at next_attempt_at; the
    // unfinished row stays leased until its lease ends.
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(100))
    );
    assert!(claim(store, 4_999, 1_500).await.is_empty());
    assert_eq!(claim(store, 5_000, 1_500).await, ids[1..2]);
    assert_eq!(claim(store, 5_000, 2_500).await, ids[3..]);

    // A second attempt succeeds.
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(ids[1], 2, 5_010, Some(204)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    let delivered = item(store, ids[1]).await;
    assert_eq!(delivered.status, DeliveryStatus::Delivered);
    assert_eq!(delivered.attempts, 2);
    assert_eq!(delivered.delivered_at, Some(Timestamp::from_millis(5_010)));
    assert_eq!(delivered.last_error, None);
    assert_eq!(
        store.attempts_of(ids[1]).await.expect("attempts"),
        [
            fixture::attempt(ids[1], 1, 120, Some(500)),
            fixture::attempt(ids[1], 2, 5_010, Some(204)),
        ]
    );
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 1,
            delivered: 2,
            dropped: 1
        }
    );
}

pub async fn late_failures_never_downgrade_a_delivery(store: &dyn Store) {
    let ids = enqueue(store, &[100, 100]).await;
    assert_eq!(claim(store, 100, 1_000).await, ids);
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(ids[0], 1, 110, Some(200)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    let delivered = item(store, ids[0]).await;

    // A worker whose lease expired reports the same attempt number failing, then a drop.
    store
        .finish_deliveries(vec![
            fixture::result(
                fixture::attempt(ids[0], 1, 120, Some(503)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(9_000),
                },
            ),
            fixture::result(fixture::attempt(ids[0], 2, 130, None), Outcome::Drop),
        ])
        .await
        .expect("late finish");
    assert_eq!(item(store, ids[0]).await, delivered);
    // The first record of attempt 1 is kept; attempt 2 is recorded.
    let attempts = store.attempts_of(ids[0]).await.expect("attempts");
    assert_eq!(attempts.len(), 2);
    assert_eq!(attempts[0], fixture::attempt(ids[0], 1, 110, Some(200)));

    // In one batch, a retry listed before the delivery of the same row loses too.
    store
        .finish_deliveries(vec![
            fixture::result(
                fixture::attempt(ids[1], 1, 140, Some(500)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(9_000),
                },
            ),
            fixture::result(
                fixture::attempt(ids[1], 2, 150, Some(200)),
                Outcome::Delivered,
            ),
        ])
        .await
        .expect("finish");
    let second = item(store, ids[1]).await;
    assert_eq!(second.status, DeliveryStatus::Delivered);
    assert_eq!(second.delivered_at, Some(Timestamp::from_millis(150)));
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 0,
            delivered: 2,
            dropped: 0
        }
    );
    assert_eq!(store.next_due_webhook().await.expect("due"), None);
}

pub async fn redeliver_makes_a_row_pending_again(store: &dyn Store) {
    let ids = enqueue(store, &[100, 100]).await;
    assert_eq!(claim(store, 100, 1_000).await, ids);
    store
        .finish_deliveries(vec![
            fixture::result(fixture::attempt(ids[0], 1, 110, None), Outcome::Drop),
            fixture::result(
                fixture::attempt(ids[1], 1, 110, Some(200)),
                Outcome::Delivered,
            ),
        ])
        .await
        .expect("finish");
    assert!(
        store
            .redeliver(ids[0], Timestamp::from_millis(9_000))
            .await
            .expect("redeliver")
    );
    assert!(
        store
            .redeliver(ids[1], Timestamp::from_millis(9_500))
            .await
            .expect("redeliver")
    );
    assert!(
        !store
            .redeliver(ids[1] + 1000, Timestamp::from_millis(1))
            .await
            .expect("redeliver")
    );

    let again = item(store, ids[0]).await;
    assert_eq!(again.status, DeliveryStatus::Pending);
    assert_eq!(again.attempts, 1);
    assert_eq!(again.next_attempt_at, Timestamp::from_millis(9_000));
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 2,
            delivered: 0,
            dropped: 0
        }
    );
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(9_000))
    );
    // Due at `now`, and unleased even though the old lease (until 2000) would still hold.
    assert!(claim(store, 8_999, 1_500).await.is_empty());
    assert_eq!(claim(store, 9_000, 1_500).await, ids[..1]);
    assert_eq!(claim(store, 9_500, 1_500).await, ids[1..]);
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(ids[0], 2, 9_010, Some(200)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    assert_eq!(item(store, ids[0]).await.attempts, 2);
    assert_eq!(store.attempts_of(ids[0]).await.expect("attempts").len(), 2);
}

pub async fn outbox_pages_by_status_and_id(store: &dyn Store) {
    let ids = enqueue(store, &[100; 10]).await;
    let recent: Vec<i64> = store
        .recent_outbox(3)
        .await
        .expect("recent")
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(recent, [ids[9], ids[8], ids[7]], "newest first");
    assert_eq!(claim(store, 100, 1_000).await, ids);
    let results = ids
        .iter()
        .enumerate()
        .map(|(i, id)| match i % 3 {
            0 => fixture::result(fixture::attempt(*id, 1, 110, Some(200)), Outcome::Delivered),
            1 => fixture::result(fixture::attempt(*id, 1, 110, None), Outcome::Drop),
            _ => fixture::result(
                fixture::attempt(*id, 1, 110, Some(500)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(500),
                },
            ),
        })
        .collect();
    store.finish_deliveries(results).await.expect("finish");
    let pick = |r: usize| -> Vec<i64> {
        ids.iter()
            .enumerate()
            .filter(|(i, _)| i % 3 == r)
            .map(|(_, id)| *id)
            .collect()
    };
    let delivered = pick(0);
    assert_eq!(delivered.len(), 4);

    let page = |status, after, limit| async move {
        outbox_ids(&store.outbox(status, after, limit).await.expect("outbox"))
    };
    let first = page(Some(DeliveryStatus::Delivered), 0, 3).await;
    assert_eq!(first, delivered[..3]);
    assert_eq!(
        page(Some(DeliveryStatus::Delivered), first[2], 3).await,
        delivered[3..]
    );
    assert!(
        page(Some(DeliveryStatus::Delivered), delivered[3], 3)
            .await
            .is_empty()
    );
    assert_eq!(page(Some(DeliveryStatus::Dropped), 0, 100).await, pick(1));
    assert_eq!(page(Some(DeliveryStatus::Pending), 0, 100).await, pick(2));
    assert_eq!(page(None, ids[4], 3).await, ids[5..8]);
    assert_eq!(page(None, 0, 100).await, ids);
    assert!(page(None, ids[9], 100).await.is_empty());
    for item in store
        .outbox(Some(DeliveryStatus::Dropped), 0, 100)
        .await
        .expect("outbox")
    {
        assert_eq!(item.status, DeliveryStatus::Dropped);
    }
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 3,
            delivered: 4,
            dropped: 3
        }
    );
}

pub async fn next_due_webhook_is_the_earliest_pending(store: &dyn Store) {
    assert_eq!(store.next_due_webhook().await.expect("due"), None);
    let ids = enqueue(store, &[300, 100, 200]).await;
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(100))
    );
    // Leases do not hide a row from the wake-up time.
    assert_eq!(claim(store, 100, 1_000).await, ids[1..2]);
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(100))
    );
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(ids[1], 1, 100, Some(200)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(200))
    );
    assert_eq!(claim(store, 1_000, 1_000).await, [ids[0], ids[2]]);
    store
        .finish_deliveries(vec![
            fixture::result(fixture::attempt(ids[0], 1, 1_000, None), Outcome::Drop),
            fixture::result(
                fixture::attempt(ids[2], 1, 1_000, None),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(7_000),
                },
            ),
        ])
        .await
        .expect("finish");
    assert_eq!(
        store.next_due_webhook().await.expect("due"),
        Some(Timestamp::from_millis(7_000))
    );
}

pub async fn a_large_webhook_commit_lands(store: &dyn Store) {
    const N: u64 = 5_000;
    let webhooks = (0..N).map(|n| fixture::webhook(n, 1_000 + i64::try_from(n).expect("small")));
    let seqs = commit(
        store,
        ChangeSet::new()
            .event(fixture::event("bulk"))
            .webhooks(webhooks),
    )
    .await;
    assert_eq!(seqs.len(), 1);
    let total = i64::try_from(N).expect("small");
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: total,
            delivered: 0,
            dropped: 0
        }
    );
    let items = all_outbox(store).await;
    assert_eq!(items.len(), 5_000);
    assert!(items.windows(2).all(|w| w[0].id + 1 == w[1].id));
    assert_eq!(items[4_321].webhook, fixture::webhook(4_321, 5_321));
    // In batches of at most a thousand, the size of Meta's largest delivery.
    let batches: BTreeSet<i64> = items.iter().map(|i| i.batch).collect();
    assert_eq!(batches.len(), 5);
    assert!(items.iter().all(|i| i.id - i.batch < 1_000));

    // Claims take whole batches while their items fit the limit, and always the first.
    let claimed = store
        .claim_webhooks(Timestamp::from_millis(i64::MAX), 0, 1_000, 2_500)
        .await
        .expect("claim");
    assert_eq!(claimed, items[..2_000]);
    let claimed = store
        .claim_webhooks(Timestamp::from_millis(i64::MAX), 0, 1_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed, items[2_000..3_000]);
    assert_eq!(
        store
            .claim_webhooks(Timestamp::from_millis(i64::MAX), 0, 1_000, 10_000)
            .await
            .expect("claim")
            .len(),
        2_000
    );
    // Finishing thousands at once works too: one result per batch decides all its items.
    let results = batches
        .iter()
        .enumerate()
        .map(|(n, batch)| {
            if n % 2 == 0 {
                fixture::result(
                    fixture::attempt(*batch, 1, 9_000, Some(200)),
                    Outcome::Delivered,
                )
            } else {
                fixture::result(
                    fixture::attempt(*batch, 1, 9_000, Some(500)),
                    Outcome::Retry {
                        next_attempt_at: Timestamp::from_millis(10_000),
                    },
                )
            }
        })
        .collect();
    store.finish_deliveries(results).await.expect("finish");
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 2_000,
            delivered: 3_000,
            dropped: 0
        }
    );
}

/// A commit's webhooks for one endpoint are one batch: claimed, decided, redelivered and
/// counted as one, paged item by item, and kept apart from another endpoint's.
pub async fn a_batch_is_claimed_decided_and_redelivered_as_one(store: &dyn Store) {
    let mut other = fixture::webhook(9, 150);
    other.endpoint = "https://example.org/other".to_owned();
    let hooks = [
        fixture::webhook(0, 100),
        fixture::webhook(1, 120),
        other.clone(),
        fixture::webhook(2, 110),
    ];
    commit(store, ChangeSet::new().webhooks(hooks.iter().cloned())).await;
    let items = all_outbox(store).await;
    let ids = outbox_ids(&items);
    assert_eq!(
        items.iter().map(|i| &i.webhook).collect::<Vec<_>>(),
        [&hooks[0], &hooks[1], &hooks[3], &other],
        "per endpoint, in commit order"
    );
    let (main, side) = (ids[0], ids[3]);
    assert!(items[..3].iter().all(|i| i.batch == main));
    assert_eq!(items[3].batch, side);
    assert_eq!(items[0].next_attempt_at, Timestamp::from_millis(120));

    // Not due until its latest item is; then whole, even past the limit.
    assert!(claim(store, 119, 1_000).await.is_empty());
    let claimed = store
        .claim_webhooks(Timestamp::from_millis(1_000), 1_000, 1_000, 1)
        .await
        .expect("claim");
    assert_eq!(outbox_ids(&claimed), ids[..3]);
    assert_eq!(claim(store, 1_000, 1_000).await, ids[3..]);

    // One result decides every item of its batch.
    store
        .finish_deliveries(vec![
            fixture::result(
                fixture::attempt(main, 1, 1_010, Some(200)),
                Outcome::Delivered,
            ),
            fixture::result(
                fixture::attempt(side, 1, 1_010, Some(500)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(4_000),
                },
            ),
        ])
        .await
        .expect("finish");
    for id in &ids[..3] {
        let it = item(store, *id).await;
        assert_eq!(it.status, DeliveryStatus::Delivered);
        assert_eq!(it.delivered_at, Some(Timestamp::from_millis(1_010)));
        assert_eq!(
            store.attempts_of(*id).await.expect("attempts"),
            [fixture::attempt(main, 1, 1_010, Some(200))]
        );
    }
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 1,
            delivered: 3,
            dropped: 0
        }
    );

    // Items page one by one, from inside a batch too.
    let page = |status, after, limit| async move {
        outbox_ids(&store.outbox(status, after, limit).await.expect("outbox"))
    };
    assert_eq!(page(None, ids[0], 2).await, ids[1..3]);
    assert_eq!(page(None, ids[1], 10).await, ids[2..]);
    assert_eq!(
        page(Some(DeliveryStatus::Delivered), ids[1], 10).await,
        ids[2..3]
    );
    assert_eq!(page(Some(DeliveryStatus::Pending), 0, 10).await, ids[3..]);
    let recent: Vec<i64> = outbox_ids(&store.recent_outbox(2).await.expect("recent"));
    assert_eq!(recent, [ids[3], ids[2]]);
    assert_eq!(store.outbox_item(ids[3] + 1).await.expect("item"), None);

    // Redelivering any item sends its whole batch again.
    assert!(
        store
            .redeliver(ids[1], Timestamp::from_millis(2_000))
            .await
            .expect("redeliver")
    );
    assert!(
        !store
            .redeliver(ids[3] + 1, Timestamp::from_millis(2_000))
            .await
            .expect("redeliver")
    );
    assert_eq!(claim(store, 2_000, 5_000).await, ids[..3]);
    assert_eq!(
        counts(store).await,
        OutboxCounts {
            pending: 4,
            delivered: 0,
            dropped: 0
        }
    );
}

/// Four claimers, each with its own store handle on the same database, drain 2000 due rows:
/// no ID goes to two of them, and together they get every row.
pub async fn claims_are_exclusive_under_concurrency(stores: Vec<Arc<dyn Store>>) {
    const ROWS: u64 = 2_000;
    // Commits of ten, so that claimers contend for 200 batches.
    for first in (0..ROWS).step_by(10) {
        let webhooks = (first..first + 10).map(|n| fixture::webhook(n, 100));
        stores[0]
            .commit(ChangeSet::new().webhooks(webhooks))
            .await
            .expect("enqueue");
    }
    let mut handles = Vec::new();
    for store in stores {
        handles.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                // A lease far longer than the test, at one wall time: nothing expires.
                let claimed = store
                    .claim_webhooks(Timestamp::from_millis(1_000), 5_000, 3_600_000, 37)
                    .await
                    .expect("claim");
                if claimed.is_empty() {
                    break;
                }
                got.extend(claimed.into_iter().map(|i| i.id));
                tokio::task::yield_now().await;
            }
            got
        }));
    }
    let mut seen = BTreeSet::new();
    let mut per_task = Vec::new();
    for handle in handles {
        let got = handle.await.expect("task");
        per_task.push(got.len());
        for id in got {
            assert!(seen.insert(id), "outbox row {id} claimed twice");
        }
    }
    assert_eq!(
        seen.len(),
        usize::try_from(ROWS).expect("small"),
        "{per_task:?}"
    );
}

/// Emails as their mailbox IDs.
fn email_ids(emails: &[wamm_domain::Email]) -> Vec<i64> {
    emails.iter().map(|e| e.id).collect()
}

pub async fn requests_and_emails_commit_together(store: &dyn Store) {
    let other_client = BusinessId::new(1_000_000_000_009);
    let pending = fixture::request(71, CLIENT, RequestStatus::Pending, Some(1_000));
    let other = fixture::request(72, other_client, RequestStatus::Pending, None);
    let mail = fixture::email(1, "admin@client.example", Some(71));
    let changes = ChangeSet::new()
        .put(Put::Request(other.clone()))
        .put(Put::Request(pending.clone()))
        .email(mail.clone())
        .emails([fixture::email(2, "admin@other.example", None)]);
    assert!(!changes.is_empty());
    assert!(!ChangeSet::new().email(mail.clone()).is_empty());
    commit(store, changes).await;

    assert_eq!(
        store.request(RequestId::new(71)).await.expect("request"),
        Some(pending.clone())
    );
    assert_eq!(
        store.request(RequestId::new(99)).await.expect("request"),
        None
    );
    assert_eq!(
        store.requests().await.expect("requests"),
        [pending.clone(), other.clone()]
    );
    assert_eq!(
        store.requests_of(CLIENT).await.expect("of client"),
        std::slice::from_ref(&pending)
    );
    assert_eq!(
        store.requests_of(other_client).await.expect("of other"),
        [other]
    );
    assert!(
        store
            .requests_of(PARTNER)
            .await
            .expect("of partner")
            .is_empty()
    );

    let emails = store.emails(None, 0, 10).await.expect("emails");
    assert_eq!(emails.len(), 2);
    assert!(emails[0].id < emails[1].id);
    assert_eq!(emails[0].email, mail);
    assert_eq!(emails[1].email.request_id, None);

    // Re-putting is an update: the status column follows the document.
    let mut accepted = pending;
    accepted.status = RequestStatus::Accepted;
    accepted.next_reminder_at = None;
    commit(store, ChangeSet::new().put(Put::Request(accepted.clone()))).await;
    assert_eq!(
        store.request(RequestId::new(71)).await.expect("request"),
        Some(accepted)
    );
    assert!(
        store
            .due_reminders(Timestamp::from_millis(i64::MAX))
            .await
            .expect("due")
            .is_empty()
    );
}

pub async fn one_pending_request_per_client(store: &dyn Store) {
    let first = fixture::request(71, CLIENT, RequestStatus::Pending, Some(1_000));
    commit(store, ChangeSet::new().put(Put::Request(first.clone()))).await;
    let emails_before = store.emails(None, 0, 100).await.expect("emails");
    let events_before = store.events(0, 100).await.expect("events").len();

    let second = fixture::request(72, CLIENT, RequestStatus::Pending, Some(2_000));
    let result = store
        .commit(
            ChangeSet::new()
                .put(Put::Business(fixture::business(PARTNER, "Partner")))
                .put(Put::Request(second))
                .meta("touched", "yes")
                .event(fixture::event("request.created"))
                .email(fixture::email(1, "admin@client.example", Some(72))),
        )
        .await;
    match result {
        Err(StoreError::Conflict(Conflict::OnboardingRequestsOnePending)) => {}
        other => panic!("expected an onboarding_requests_one_pending conflict, got {other:?}"),
    }

    assert_eq!(
        store.request(RequestId::new(72)).await.expect("request"),
        None
    );
    assert_eq!(
        store.requests().await.expect("requests"),
        std::slice::from_ref(&first)
    );
    assert_eq!(
        store.emails(None, 0, 100).await.expect("emails"),
        emails_before
    );
    assert_eq!(
        store.events(0, 100).await.expect("events").len(),
        events_before
    );
    assert_eq!(store.business(PARTNER).await.expect("business"), None);
    assert_eq!(store.meta("touched").await.expect("meta"), None);

    // Turning a decided request back to pending beside a pending one clashes too.
    let decided = fixture::request(73, CLIENT, RequestStatus::Rejected, None);
    commit(store, ChangeSet::new().put(Put::Request(decided.clone()))).await;
    let mut reopened = decided;
    reopened.status = RequestStatus::Pending;
    match store
        .commit(ChangeSet::new().put(Put::Request(reopened)))
        .await
    {
        Err(StoreError::Conflict(Conflict::OnboardingRequestsOnePending)) => {}
        other => panic!("expected an onboarding_requests_one_pending conflict, got {other:?}"),
    }
    // Re-putting the pending request itself is fine.
    commit(store, ChangeSet::new().put(Put::Request(first))).await;
}

pub async fn decided_requests_do_not_block_a_new_pending_one(store: &dyn Store) {
    let mut first = fixture::request(71, CLIENT, RequestStatus::Pending, Some(1_000));
    commit(store, ChangeSet::new().put(Put::Request(first.clone()))).await;
    first.status = RequestStatus::Rejected;
    first.next_reminder_at = None;
    commit(store, ChangeSet::new().put(Put::Request(first.clone()))).await;

    let mut second = fixture::request(72, CLIENT, RequestStatus::Pending, Some(2_000));
    commit(store, ChangeSet::new().put(Put::Request(second.clone()))).await;
    second.status = RequestStatus::Accepted;
    second.next_reminder_at = None;
    // Deciding one and opening the next in the same change set works too.
    let third = fixture::request(73, CLIENT, RequestStatus::Pending, Some(3_000));
    commit(
        store,
        ChangeSet::new()
            .put(Put::Request(second.clone()))
            .put(Put::Request(third.clone())),
    )
    .await;

    assert_eq!(
        store.requests_of(CLIENT).await.expect("of client"),
        [first, second, third]
    );
}

pub async fn due_reminders_respect_time_and_status(store: &dyn Store) {
    let due_early = fixture::request(71, CLIENT, RequestStatus::Pending, Some(1_000));
    let due_late = fixture::request(
        72,
        BusinessId::new(1_000_000_000_009),
        RequestStatus::Pending,
        Some(2_000),
    );
    let never = fixture::request(
        73,
        BusinessId::new(1_000_000_000_010),
        RequestStatus::Pending,
        None,
    );
    // Decided requests are never due, whatever their column says.
    let accepted = fixture::request(74, CLIENT, RequestStatus::Accepted, Some(500));
    let rejected = fixture::request(75, CLIENT, RequestStatus::Rejected, Some(500));
    commit(
        store,
        ChangeSet::new()
            .put(Put::Request(due_late.clone()))
            .put(Put::Request(never))
            .put(Put::Request(accepted))
            .put(Put::Request(rejected))
            .put(Put::Request(due_early.clone())),
    )
    .await;

    let due = |ms| async move {
        store
            .due_reminders(Timestamp::from_millis(ms))
            .await
            .expect("due reminders")
    };
    assert!(due(999).await.is_empty());
    assert_eq!(due(1_000).await, std::slice::from_ref(&due_early));
    assert_eq!(due(1_999).await, std::slice::from_ref(&due_early));
    assert_eq!(due(2_000).await, [due_early.clone(), due_late.clone()]);
    assert_eq!(due(i64::MAX).await, [due_early, due_late]);
}

pub async fn emails_filter_by_recipient_and_page(store: &dyn Store) {
    let alice = "alice@client.example";
    let bob = "bob@client.example";
    let sent: Vec<_> = (1..=5)
        .map(|n| fixture::email(n, if n % 2 == 1 { alice } else { bob }, Some(71)))
        .collect();
    commit(store, ChangeSet::new().emails(sent[..3].to_vec())).await;
    commit(store, ChangeSet::new().emails(sent[3..].to_vec())).await;

    let all = store.emails(None, 0, 100).await.expect("all");
    assert_eq!(
        all.iter().map(|e| e.email.clone()).collect::<Vec<_>>(),
        sent
    );
    let ids = email_ids(&all);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    let to_alice = store.emails(Some(alice), 0, 100).await.expect("alice");
    assert_eq!(email_ids(&to_alice), [ids[0], ids[2], ids[4]]);
    assert!(to_alice.iter().all(|e| e.email.to == alice));
    let to_bob = store.emails(Some(bob), 0, 100).await.expect("bob");
    assert_eq!(email_ids(&to_bob), [ids[1], ids[3]]);
    assert!(
        store
            .emails(Some("nobody@example.com"), 0, 100)
            .await
            .expect("nobody")
            .is_empty()
    );

    // Paging: after an ID, up to a limit.
    assert_eq!(
        email_ids(&store.emails(None, 0, 2).await.expect("page 1")),
        ids[..2]
    );
    assert_eq!(
        email_ids(&store.emails(None, ids[1], 2).await.expect("page 2")),
        ids[2..4]
    );
    assert_eq!(
        email_ids(&store.emails(None, ids[3], 2).await.expect("page 3")),
        ids[4..]
    );
    assert!(store.emails(None, ids[4], 2).await.expect("end").is_empty());
    assert_eq!(
        email_ids(
            &store
                .emails(Some(alice), ids[0], 1)
                .await
                .expect("alice page")
        ),
        [ids[2]]
    );
}

pub async fn replace_world_clears_requests_and_emails(store: &dyn Store) {
    commit(
        store,
        ChangeSet::new()
            .put(Put::Request(fixture::request(
                71,
                CLIENT,
                RequestStatus::Pending,
                Some(1_000),
            )))
            .email(fixture::email(1, "admin@client.example", Some(71))),
    )
    .await;
    store
        .replace_world(&fixture::world())
        .await
        .expect("replace world");
    assert!(store.requests().await.expect("requests").is_empty());
    assert!(store.emails(None, 0, 100).await.expect("emails").is_empty());
    assert!(
        store
            .due_reminders(Timestamp::from_millis(i64::MAX))
            .await
            .expect("due")
            .is_empty()
    );
    // The client may be asked again.
    commit(
        store,
        ChangeSet::new().put(Put::Request(fixture::request(
            72,
            CLIENT,
            RequestStatus::Pending,
            None,
        ))),
    )
    .await;
}

/// Tasks racing to open a pending request for the same client: exactly one wins, the rest
/// conflict, and the losers' emails are gone with them.
pub async fn pending_requests_are_exclusive_under_concurrency(stores: Vec<Arc<dyn Store>>) {
    const TASKS: u64 = 8;
    let barrier = Arc::new(tokio::sync::Barrier::new(
        usize::try_from(TASKS).expect("small"),
    ));
    let mut handles = Vec::new();
    for task in 0..TASKS {
        let store = Arc::clone(&stores[usize::try_from(task).expect("small") % stores.len()]);
        let barrier = Arc::clone(&barrier);
        handles.push(tokio::spawn(async move {
            let id = 100 + task;
            let changes = ChangeSet::new()
                .put(Put::Request(fixture::request(
                    id,
                    CLIENT,
                    RequestStatus::Pending,
                    Some(1_000),
                )))
                .email(fixture::email(
                    i64::try_from(id).expect("small"),
                    "admin@client.example",
                    Some(id),
                ));
            barrier.wait().await;
            (id, store.commit(changes).await)
        }));
    }
    let mut winners = Vec::new();
    for handle in handles {
        match handle.await.expect("task") {
            (id, Ok(_)) => winners.push(id),
            (_, Err(StoreError::Conflict(conflict))) => {
                assert_eq!(conflict, Conflict::OnboardingRequestsOnePending);
            }
            (_, Err(other)) => panic!("expected a conflict, got {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let store = &stores[0];
    let requests = store.requests_of(CLIENT).await.expect("requests");
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].id, RequestId::new(winners[0]));
    let emails = store.emails(None, 0, 100).await.expect("emails");
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].email.request_id, Some(RequestId::new(winners[0])));
}

pub async fn setups_due_follow_the_owed_webhook(store: &dyn Store) {
    let mut owed = fixture::waba(WABA, CLIENT, &[PARTNER]);
    owed.mm_setup_complete_at = Some(Timestamp::from_millis(5_000));
    owed.mm_setup_webhook_pending = true;
    let mut later = fixture::waba(WabaId::new(3_000_000_000_002), CLIENT, &[]);
    later.mm_setup_complete_at = Some(Timestamp::from_millis(9_000));
    later.mm_setup_webhook_pending = true;
    // Complete long ago and owing nothing: never due.
    let settled = fixture::waba(WabaId::new(3_000_000_000_003), CLIENT, &[]);
    commit(
        store,
        ChangeSet::new()
            .put(Put::Waba(owed.clone()))
            .put(Put::Waba(later))
            .put(Put::Waba(settled)),
    )
    .await;
    let due = |ms| async move {
        store
            .setups_due(Timestamp::from_millis(ms))
            .await
            .expect("due")
            .into_iter()
            .map(|w| w.id.get())
            .collect::<Vec<_>>()
    };
    assert!(due(4_999).await.is_empty());
    assert_eq!(due(5_000).await, [WABA.get()]);
    assert_eq!(due(10_000).await, [WABA.get(), 3_000_000_000_002]);
    // The first claim wins and lands with its writes; a second conflicts and writes nothing.
    owed.mm_setup_webhook_pending = false;
    commit(
        store,
        ChangeSet::new()
            .guard(wamm_store::Guard::WabaSetupPending(WABA))
            .put(Put::Waba(owed.clone()))
            .webhook(fixture::webhook(1, 5_000)),
    )
    .await;
    let again = store
        .commit(
            ChangeSet::new()
                .guard(wamm_store::Guard::WabaSetupPending(WABA))
                .put(Put::Waba(owed))
                .webhook(fixture::webhook(2, 5_000)),
        )
        .await;
    assert!(
        matches!(
            &again,
            Err(StoreError::Conflict(Conflict::WabaSetupClaimed))
        ),
        "{again:?}"
    );
    assert_eq!(store.outbox_counts().await.expect("counts").pending, 1);
    assert_eq!(due(10_000).await, [3_000_000_000_002]);
}

pub async fn auth_codes_are_used_once(store: &dyn Store) {
    let code = wamm_domain::AuthCode {
        hash: "c0de".into(),
        app_id: APP,
        config_id: Some(77),
        business_id: CLIENT,
        system_user_id: UserId::new(42),
        wabas: vec![WABA],
        scopes: vec![wamm_domain::Permission::WhatsappBusinessMessaging],
        redirect_uri: None,
        issued_at: Timestamp::from_millis(1_000),
        expires_at: Timestamp::from_millis(31_000),
        used_at: None,
    };
    commit(store, ChangeSet::new().put(Put::AuthCode(code.clone()))).await;
    assert_eq!(
        store.auth_code("c0de").await.expect("read"),
        Some(code.clone())
    );
    assert_eq!(store.auth_code("other").await.expect("read"), None);
    let at = Timestamp::from_millis(2_000);
    let used = wamm_domain::AuthCode {
        used_at: Some(at),
        ..code
    };
    let exchange = |token: &str| {
        ChangeSet::new()
            .guard(wamm_store::Guard::CodeUnused {
                hash: "c0de".into(),
                at,
            })
            .put(Put::AuthCode(used.clone()))
            .put(Put::Token(fixture::token(token, APP, Some(CLIENT))))
    };
    commit(store, exchange("first")).await;
    let again = store.commit(exchange("second")).await;
    assert!(
        matches!(&again, Err(StoreError::Conflict(Conflict::AuthCodeUsed))),
        "{again:?}"
    );
    assert!(store.token_by_hash("second").await.expect("read").is_none());
    assert_eq!(
        store
            .auth_code("c0de")
            .await
            .expect("read")
            .and_then(|c| c.used_at),
        Some(at)
    );
    // A missing code is no code to use.
    let missing = store
        .commit(ChangeSet::new().guard(wamm_store::Guard::CodeUnused {
            hash: "nope".into(),
            at,
        }))
        .await;
    assert!(matches!(missing, Err(StoreError::Conflict(_))));
}

/// A due reminder is claimed once, and never by a pass that read the request before it was
/// decided or reminded.
pub async fn reminders_are_claimed_once(store: &dyn Store) {
    let pending = fixture::request(81, CLIENT, RequestStatus::Pending, Some(1_000));
    commit(store, ChangeSet::new().put(Put::Request(pending.clone()))).await;
    let remind = |due_ms: i64, next_ms: i64| {
        let mut reminded = pending.clone();
        reminded.reminders_sent += 1;
        reminded.next_reminder_at = Some(Timestamp::from_millis(next_ms));
        ChangeSet::new()
            .guard(wamm_store::Guard::ReminderDue {
                request: pending.id,
                due_at: Timestamp::from_millis(due_ms),
            })
            .put(Put::Request(reminded))
            .email(fixture::email(1, "admin@client.example", Some(81)))
    };
    commit(store, remind(1_000, 5_000)).await;
    let claimed = |r: Result<Vec<i64>, StoreError>| {
        matches!(&r, Err(StoreError::Conflict(Conflict::ReminderClaimed)))
    };
    // A second pass that read the same due time writes nothing.
    assert!(claimed(store.commit(remind(1_000, 9_000)).await));
    let now = store
        .request(pending.id)
        .await
        .expect("read")
        .expect("request");
    assert_eq!(now.next_reminder_at, Some(Timestamp::from_millis(5_000)));
    assert_eq!(now.reminders_sent, pending.reminders_sent + 1);
    // Once decided, a pass holding the current due time still cannot remind it.
    let mut accepted = now.clone();
    accepted.status = RequestStatus::Accepted;
    commit(store, ChangeSet::new().put(Put::Request(accepted.clone()))).await;
    assert!(claimed(store.commit(remind(5_000, 9_000)).await));
    assert_eq!(
        store.request(pending.id).await.expect("read"),
        Some(accepted)
    );
}

/// Reads after a commit see it, whatever was read (and may be cached) before.
pub async fn reads_see_every_commit(store: &dyn Store) {
    let phone = PhoneNumberId::new(5_000_000_000_001);
    let mut app = fixture::app(APP, PARTNER);
    let mut business = fixture::business(CLIENT, "Before");
    let mut waba = fixture::waba(WABA, CLIENT, &[PARTNER]);
    let mut number = fixture::phone_number(phone, WABA);
    let mut token = fixture::token("cached-hash", APP, Some(CLIENT));
    let user_id = UserId::new(7_000_000_000_077);
    let mut user = fixture::system_user(user_id, CLIENT);
    let template = fixture::template(TemplateId::new(6_000_000_000_001), WABA, "first", "en_US");
    commit(
        store,
        ChangeSet::new()
            .put(Put::App(app.clone()))
            .put(Put::Business(business.clone()))
            .put(Put::Waba(waba.clone()))
            .put(Put::PhoneNumber(number.clone()))
            .put(Put::Token(token.clone()))
            .put(Put::SystemUser(user.clone()))
            .put(Put::Template(template.clone())),
    )
    .await;
    // Read everything once (a cache would now hold it), then change everything.
    assert_eq!(
        store.app(APP).await.expect("read").map(|a| a.name),
        Some(app.name.clone())
    );
    assert!(store.business(CLIENT).await.expect("read").is_some());
    assert!(store.waba(WABA).await.expect("read").is_some());
    assert!(store.phone_number(phone).await.expect("read").is_some());
    assert!(
        store
            .token_by_hash("cached-hash")
            .await
            .expect("read")
            .is_some()
    );
    assert_eq!(store.templates_of(WABA).await.expect("read").len(), 1);
    assert!(store.system_user(user_id).await.expect("read").is_some());
    let names =
        |wabas: Vec<wamm_domain::Waba>| wabas.into_iter().map(|w| w.name).collect::<Vec<_>>();
    let owned = names(store.wabas_owned_by(CLIENT).await.expect("read"));
    assert_eq!(owned, [waba.name.clone()]);
    let held = names(store.wabas_held_by_partner(PARTNER).await.expect("read"));
    assert_eq!(held, [waba.name.clone()]);
    app.name = "renamed".into();
    user.name = "renamed user".into();
    business.name = "After".into();
    waba.name = "renamed waba".into();
    number.verified_name = "renamed number".into();
    token.revoked_at = Some(Timestamp::from_millis(9));
    let second = fixture::template(TemplateId::new(6_000_000_000_002), WABA, "second", "en_US");
    commit(
        store,
        ChangeSet::new()
            .put(Put::App(app))
            .put(Put::Business(business))
            .put(Put::Waba(waba))
            .put(Put::PhoneNumber(number))
            .put(Put::Token(token))
            .put(Put::SystemUser(user))
            .put(Put::Template(second)),
    )
    .await;
    assert_eq!(
        store
            .app(APP)
            .await
            .expect("read")
            .map(|a| a.name)
            .as_deref(),
        Some("renamed")
    );
    assert_eq!(
        store
            .business(CLIENT)
            .await
            .expect("read")
            .map(|b| b.name)
            .as_deref(),
        Some("After")
    );
    assert_eq!(
        store
            .waba(WABA)
            .await
            .expect("read")
            .map(|w| w.name)
            .as_deref(),
        Some("renamed waba")
    );
    assert_eq!(
        store
            .phone_number(phone)
            .await
            .expect("read")
            .map(|p| p.verified_name)
            .as_deref(),
        Some("renamed number")
    );
    assert!(
        store
            .token_by_hash("cached-hash")
            .await
            .expect("read")
            .and_then(|t| t.revoked_at)
            .is_some()
    );
    assert_eq!(store.templates_of(WABA).await.expect("read").len(), 2);
    assert_eq!(
        names(store.wabas_owned_by(CLIENT).await.expect("read")),
        ["renamed waba"]
    );
    assert_eq!(
        names(store.wabas_held_by_partner(PARTNER).await.expect("read")),
        ["renamed waba"]
    );
    // A WABA shared with the partner later joins its list at once.
    let other = WabaId::new(WABA.get() + 1);
    commit(
        store,
        ChangeSet::new().put(Put::Waba(fixture::waba(other, CLIENT, &[PARTNER]))),
    )
    .await;
    assert_eq!(
        store
            .wabas_held_by_partner(PARTNER)
            .await
            .expect("read")
            .iter()
            .map(|w| w.id)
            .collect::<Vec<_>>(),
        [WABA, other]
    );
    assert_eq!(
        store
            .system_user(user_id)
            .await
            .expect("read")
            .map(|u| u.name)
            .as_deref(),
        Some("renamed user")
    );
    commit(
        store,
        ChangeSet::new().delete(Delete::Template(template.id)),
    )
    .await;
    assert_eq!(store.templates_of(WABA).await.expect("read").len(), 1);
    // A new world replaces what was read.
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert!(store.app(APP).await.expect("read").is_none());
    assert!(
        store
            .token_by_hash("cached-hash")
            .await
            .expect("read")
            .is_none()
    );
}

/// Polls every future to completion together (the writes land in the store side by side).
async fn all<T>(futures: Vec<std::pin::Pin<Box<dyn Future<Output = T> + Send + '_>>>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
    let mut out: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, result) in futures.iter_mut().zip(out.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        *result = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter().flatten().collect()
}

pub async fn concurrent_commits_fail_alone(store: &dyn Store) {
    let claimed = fixture::message("wamid.claimed", "15550001");
    commit(store, ChangeSet::new().put(Put::Message(claimed.clone()))).await;
    let step = |n: usize| {
        let mut next = claimed.clone();
        next.steps_done = 1;
        next.biz_opaque_callback_data = Some(format!("claimer {n}"));
        ChangeSet::new()
            .guard(wamm_store::Guard::MessageStep {
                id: claimed.id.clone(),
                done: 0,
                next_at: next.next_at(),
            })
            .put(Put::Message(next))
            .event(fixture::event(&format!("step:{n}")))
    };
    let send = |n: usize| {
        ChangeSet::new()
            .put(Put::Message(fixture::message(
                &format!("wamid.{n}"),
                &format!("1555000{n:04}"),
            )))
            .event(fixture::event(&format!("send:{n}")))
    };
    // Sends and rival claims of one step, interleaved, all in flight at once.
    let mut futures: Vec<std::pin::Pin<Box<dyn Future<Output = _> + Send + '_>>> = Vec::new();
    for n in 0..40 {
        futures.push(Box::pin(store.commit(send(n))));
        if n % 8 == 0 {
            futures.push(Box::pin(store.commit(step(n))));
        }
    }
    let outcomes = all(futures).await;
    let mut seqs = BTreeSet::new();
    let mut conflicts = 0;
    for outcome in outcomes {
        match outcome {
            Ok(got) => {
                assert_eq!(got.len(), 1, "one event, one sequence number");
                assert!(seqs.insert(got[0]), "sequence numbers are distinct");
            }
            Err(StoreError::Conflict(conflict)) => {
                assert_eq!(conflict, Conflict::MessageStepClaimed);
                conflicts += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert_eq!(conflicts, 4, "five rivals, one claim");
    assert_eq!(seqs.len(), 41);
    // Each answered sequence number is the event that commit wrote; the losers wrote none.
    let events = store.events(0, 1_000).await.expect("events");
    assert_eq!(events.len(), 41);
    let steps: Vec<_> = events
        .iter()
        .filter(|e| e.subject.starts_with("step:"))
        .collect();
    assert_eq!(steps.len(), 1);
    assert_eq!(events.iter().map(|e| e.seq).collect::<BTreeSet<_>>(), seqs);
    let winner = steps[0].subject.trim_start_matches("step:");
    let stored = store
        .message(&claimed.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(stored.steps_done, 1);
    assert_eq!(
        stored.biz_opaque_callback_data,
        Some(format!("claimer {winner}"))
    );
    assert_eq!(stored.status.as_deref(), Some("sent"), "from the plan");
    for n in 0..40 {
        let sent = store
            .message(&format!("wamid.{n}"))
            .await
            .expect("read")
            .expect("every send landed");
        assert_eq!(sent.to, format!("1555000{n:04}"));
    }
    // The claimed step is due no more; every send's first step is.
    let due = store
        .messages_due(Timestamp::from_millis(1_000), 100)
        .await
        .expect("due");
    assert_eq!(due.len(), 40);
    assert!(due.iter().all(|m| m.id != claimed.id));
}

pub async fn solutions_and_migration_intents_commit_and_read_back(store: &dyn Store) {
    use wamm_domain::solution::{MigrationStatus, PendingRequest};
    use wamm_wire::ids::{MigrationIntentId, SolutionId};
    let other_app = AppId::new(2_000_000_000_002);
    let third_app = AppId::new(2_000_000_000_003);
    let owned = fixture::solution(51, APP, other_app);
    let partnered = fixture::solution(52, other_app, APP);
    let unrelated = fixture::solution(53, other_app, third_app);
    let intent = fixture::migration(61, WABA, 51, MigrationStatus::Initiated, None);
    commit(
        store,
        ChangeSet::new()
            .put(Put::Solution(unrelated.clone()))
            .put(Put::Solution(partnered.clone()))
            .put(Put::Solution(owned.clone()))
            .put(Put::MigrationIntent(intent.clone())),
    )
    .await;
    assert_eq!(
        store.solution(SolutionId::new(51)).await.expect("solution"),
        Some(owned.clone())
    );
    assert_eq!(
        store.solution(SolutionId::new(59)).await.expect("none"),
        None
    );
    // Both roles, sorted by ID; a solution of other apps is not listed.
    assert_eq!(
        store.solutions_of_app(APP).await.expect("of app"),
        vec![owned.clone(), partnered]
    );
    assert_eq!(
        store.solutions_of_app(third_app).await.expect("of third"),
        vec![unrelated]
    );
    assert_eq!(
        store
            .migration_intent(MigrationIntentId::new(61))
            .await
            .expect("intent"),
        Some(intent.clone())
    );
    assert_eq!(
        store.migration_intents_of(WABA).await.expect("of waba"),
        vec![intent]
    );
    assert!(
        store
            .migration_intents_of(WabaId::new(3_000_000_000_009))
            .await
            .expect("of other")
            .is_empty()
    );
    // A put is an update.
    let mut changed = owned;
    changed.pending = PendingRequest::PendingDeactivation;
    changed.deactivation_requested_by = Some(APP);
    commit(store, ChangeSet::new().put(Put::Solution(changed.clone()))).await;
    assert_eq!(
        store.solution(SolutionId::new(51)).await.expect("solution"),
        Some(changed)
    );
}

pub async fn one_migration_intent_in_progress_per_waba(store: &dyn Store) {
    use wamm_domain::solution::MigrationStatus;
    use wamm_wire::ids::MigrationIntentId;
    let first = fixture::migration(61, WABA, 51, MigrationStatus::Initiated, None);
    commit(
        store,
        ChangeSet::new().put(Put::MigrationIntent(first.clone())),
    )
    .await;
    // An ACCEPTED one is in progress too: it clashes, and nothing of the change set lands.
    let second = fixture::migration(62, WABA, 52, MigrationStatus::Accepted, None);
    let result = store
        .commit(
            ChangeSet::new()
                .put(Put::Solution(fixture::solution(52, APP, AppId::new(9))))
                .put(Put::MigrationIntent(second.clone()))
                .event(fixture::event("migration")),
        )
        .await;
    match result {
        Err(StoreError::Conflict(Conflict::MigrationIntentsOneOpen)) => {}
        other => panic!("expected a migration_intents_one_open conflict, got {other:?}"),
    }
    assert_eq!(
        store
            .migration_intent(MigrationIntentId::new(62))
            .await
            .expect("intent"),
        None
    );
    assert_eq!(
        store
            .solution(wamm_wire::ids::SolutionId::new(52))
            .await
            .expect("solution"),
        None
    );
    assert!(store.events(0, 10).await.expect("events").is_empty());
    // Once the first ends, a new one may start; ended ones never clash with each other.
    let mut ended = first;
    ended.status = MigrationStatus::Rejected;
    let done = fixture::migration(63, WABA, 53, MigrationStatus::Completed, None);
    commit(
        store,
        ChangeSet::new()
            .put(Put::MigrationIntent(ended))
            .put(Put::MigrationIntent(done))
            .put(Put::MigrationIntent(second)),
    )
    .await;
    assert_eq!(store.migration_intents_of(WABA).await.expect("of").len(), 3);
    // Another WABA has its own.
    let elsewhere = fixture::migration(
        64,
        WabaId::new(3_000_000_000_002),
        51,
        MigrationStatus::Initiated,
        None,
    );
    commit(store, ChangeSet::new().put(Put::MigrationIntent(elsewhere))).await;
}

pub async fn migrations_due_follow_status_and_time(store: &dyn Store) {
    use wamm_domain::solution::MigrationStatus;
    let due = fixture::migration(61, WABA, 51, MigrationStatus::Accepted, Some(5_000));
    let later = fixture::migration(
        62,
        WabaId::new(3_000_000_000_002),
        51,
        MigrationStatus::Accepted,
        Some(9_000),
    );
    let unscheduled = fixture::migration(
        63,
        WabaId::new(3_000_000_000_003),
        51,
        MigrationStatus::Accepted,
        None,
    );
    let waiting = fixture::migration(
        64,
        WabaId::new(3_000_000_000_004),
        51,
        MigrationStatus::Initiated,
        Some(1_000),
    );
    let mut ended = fixture::migration(
        65,
        WabaId::new(3_000_000_000_005),
        51,
        MigrationStatus::Completed,
        Some(1_000),
    );
    ended.cancelled = true;
    commit(
        store,
        ChangeSet::new()
            .put(Put::MigrationIntent(later.clone()))
            .put(Put::MigrationIntent(due.clone()))
            .put(Put::MigrationIntent(unscheduled))
            .put(Put::MigrationIntent(waiting))
            .put(Put::MigrationIntent(ended)),
    )
    .await;
    assert!(
        store
            .migrations_due(Timestamp(4_999))
            .await
            .expect("none")
            .is_empty()
    );
    assert_eq!(
        store.migrations_due(Timestamp(5_000)).await.expect("one"),
        vec![due.clone()]
    );
    assert_eq!(
        store.migrations_due(Timestamp(10_000)).await.expect("two"),
        vec![due, later]
    );
}

pub async fn replace_world_clears_solutions_and_migration_intents(store: &dyn Store) {
    use wamm_domain::solution::MigrationStatus;
    commit(
        store,
        ChangeSet::new()
            .put(Put::Solution(fixture::solution(51, APP, AppId::new(9))))
            .put(Put::MigrationIntent(fixture::migration(
                61,
                WABA,
                51,
                MigrationStatus::Initiated,
                None,
            ))),
    )
    .await;
    store
        .replace_world(&fixture::world())
        .await
        .expect("replace");
    assert!(
        store
            .solutions_of_app(APP)
            .await
            .expect("solutions")
            .is_empty()
    );
    assert!(
        store
            .migration_intents_of(WABA)
            .await
            .expect("intents")
            .is_empty()
    );
    // The one-in-progress rule starts afresh too.
    commit(
        store,
        ChangeSet::new().put(Put::MigrationIntent(fixture::migration(
            62,
            WABA,
            51,
            MigrationStatus::Initiated,
            None,
        ))),
    )
    .await;
}

pub async fn assignments_put_delete_and_list(store: &dyn Store) {
    let su = UserId::new(4_000_000_000_001);
    let other = UserId::new(4_000_000_000_003);
    let second = WabaId::new(3_000_000_000_009);
    commit(
        store,
        ChangeSet::new()
            .put(Put::Assignment(fixture::assignment(second, su, PARTNER)))
            .put(Put::Assignment(fixture::assignment(WABA, other, PARTNER)))
            .put(Put::Assignment(fixture::assignment(WABA, su, PARTNER))),
    )
    .await;
    let of_waba: Vec<UserId> = store
        .assignments_of_waba(WABA)
        .await
        .expect("of waba")
        .iter()
        .map(|a| a.user_id)
        .collect();
    assert_eq!(of_waba, vec![su, other]);
    let of_user: Vec<WabaId> = store
        .assignments_of_user(su)
        .await
        .expect("of user")
        .iter()
        .map(|a| a.waba_id)
        .collect();
    assert_eq!(of_user, vec![WABA, second]);

    // Re-putting replaces the tasks; deleting removes exactly that pair.
    let mut changed = fixture::assignment(WABA, su, PARTNER);
    changed.tasks = vec!["DEVELOP".into(), "MESSAGING".into()];
    commit(
        store,
        ChangeSet::new()
            .put(Put::Assignment(changed.clone()))
            .delete(Delete::Assignment {
                waba: second,
                user: su,
            }),
    )
    .await;
    assert_eq!(
        store.assignments_of_user(su).await.expect("of user"),
        vec![changed]
    );
    assert_eq!(
        store
            .assignments_of_waba(WABA)
            .await
            .expect("of waba")
            .len(),
        2
    );
    assert!(
        store
            .assignments_of_waba(second)
            .await
            .expect("gone")
            .is_empty()
    );

    // A world replace clears them.
    store
        .replace_world(&WorldState::default())
        .await
        .expect("clear");
    assert!(
        store
            .assignments_of_user(su)
            .await
            .expect("cleared")
            .is_empty()
    );
}

/// Facts add their counts to their key's row, within one commit and across commits; a commit
/// refused by its guard adds nothing; reads select a WABA's days and templates; a new world
/// clears them.
pub async fn facts_add_up_once_per_commit_and_read_by_range(store: &dyn Store) {
    use wamm_domain::metrics::{Conversions, Counts, Day, Fact, FactKey, PricingCategory};
    use wamm_domain::sending::Route;
    use wamm_store::FactQuery;

    let template = TemplateId::new(6_000_000_000_101);
    let other = TemplateId::new(6_000_000_000_102);
    let fact = |template: Option<TemplateId>, day: i64, counts: Counts| Fact {
        key: FactKey {
            waba_id: WABA,
            template_id: template,
            phone_number_id: PhoneNumberId::new(5_000_000_000_101),
            day: Day(day),
            // As in a zone behind UTC: the local day is the day before.
            local_day: Day(day - 1),
            route: Route::MarketingLite,
            category: PricingCategory::MarketingLite,
            country: "US".parse().expect("country"),
        },
        counts,
    };
    let sent = Counts {
        sent: 1,
        ..Counts::default()
    };
    let delivered = Counts {
        delivered: 1,
        cost_micros: 10_700,
        ..Counts::default()
    };
    let converted = Counts {
        website: Conversions {
            purchases: 1,
            purchase_value_micros: 499_000_000,
            ..Conversions::default()
        },
        app: Conversions {
            activations: 1,
            ..Conversions::default()
        },
        ..Counts::default()
    };
    // Two facts of one key in one commit (one statement may not upsert a row twice).
    commit(
        store,
        ChangeSet::new()
            .fact(fact(Some(template), 20_000, sent))
            .fact(fact(Some(template), 20_000, sent))
            .fact(fact(Some(other), 20_000, sent))
            .fact(fact(None, 20_000, sent)),
    )
    .await;
    commit(
        store,
        ChangeSet::new()
            .fact(fact(Some(template), 20_000, delivered))
            .fact(fact(Some(template), 20_001, sent))
            .fact(fact(Some(template), 20_001, converted)),
    )
    .await;
    // A refused commit adds nothing.
    let refused = store
        .commit(
            ChangeSet::new()
                .guard(wamm_store::Guard::MessageStep {
                    id: "wamid.none".to_owned(),
                    done: 0,
                    next_at: None,
                })
                .fact(fact(Some(template), 20_000, sent)),
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let query = |from: i64, until: i64, templates: Option<Vec<TemplateId>>| FactQuery {
        waba_id: WABA,
        from: Day(from),
        until: Day(until),
        templates,
        by_local_day: false,
    };
    let all = store
        .facts(&query(20_000, 20_002, None))
        .await
        .expect("read");
    assert_eq!(all.len(), 4, "{all:?}");
    // Messages without a template come first (template 0), then by template and day.
    assert_eq!(all[0].key.template_id, None);
    let ours: Vec<(i64, Counts)> = all
        .iter()
        .filter(|f| f.key.template_id == Some(template))
        .map(|f| (f.key.day.0, f.counts))
        .collect();
    assert_eq!(
        ours,
        vec![
            (
                20_000,
                Counts {
                    sent: 2,
                    delivered: 1,
                    cost_micros: 10_700,
                    ..Counts::default()
                }
            ),
            (
                20_001,
                Counts {
                    sent: 1,
                    ..converted
                }
            ),
        ]
    );
    let one_day = store
        .facts(&query(20_001, 20_002, None))
        .await
        .expect("read");
    assert_eq!(one_day.len(), 1);
    let picked = store
        .facts(&query(20_000, 20_002, Some(vec![other])))
        .await
        .expect("read");
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0].key.template_id, Some(other));
    // The same facts selected by their local days, which read back as written.
    let local = store
        .facts(&FactQuery {
            by_local_day: true,
            ..query(19_999, 20_001, None)
        })
        .await
        .expect("read");
    assert_eq!(local.len(), 4, "{local:?}");
    assert!(local.iter().all(|f| f.key.local_day.0 == f.key.day.0 - 1));
    assert_eq!(
        store
            .facts(&FactQuery {
                by_local_day: true,
                ..query(20_001, 20_002, None)
            })
            .await
            .expect("read")
            .len(),
        0,
        "no local day 20 001"
    );
    let elsewhere = FactQuery {
        waba_id: WabaId::new(WABA.get() + 1),
        ..query(20_000, 20_002, None)
    };
    assert!(store.facts(&elsewhere).await.expect("read").is_empty());
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert!(
        store
            .facts(&query(20_000, 20_002, None))
            .await
            .expect("read")
            .is_empty()
    );
}

/// Putting a WABA with an ad account and a template with an ad chain indexes where their IDs
/// lead; offboarding keeps the disabled account readable; a new world clears the index.
pub async fn ad_objects_lead_to_their_waba_and_template(store: &dyn Store) {
    use wamm_domain::AdEntities;
    use wamm_domain::ads::AdObjectKind;

    let mut waba = fixture::waba(WABA, CLIENT, &[PARTNER]);
    waba.ad_account_id = Some("7000000000101".into());
    let mut template = fixture::template(TemplateId::new(6_000_000_000_201), WABA, "sale", "en_US");
    template.ad = Some(AdEntities {
        ad_account_id: "7000000000101".into(),
        ad_campaign_id: "7000000000102".into(),
        ad_adset_id: "7000000000103".into(),
        ad_id: "7000000000104".into(),
        objective: None,
        optimization_goal: None,
    });
    store
        .commit(
            ChangeSet::new()
                .put(Put::Business(fixture::business(CLIENT, "Client")))
                .put(Put::Waba(waba.clone()))
                .put(Put::Template(template.clone())),
        )
        .await
        .expect("commit");
    let account = store
        .ad_object(7_000_000_000_101)
        .await
        .expect("read")
        .expect("indexed");
    assert_eq!(account.kind, AdObjectKind::Account);
    assert_eq!(account.waba_id, WABA);
    assert_eq!(account.template_id, None);
    for (id, kind) in [
        (7_000_000_000_102, AdObjectKind::Campaign),
        (7_000_000_000_103, AdObjectKind::Adset),
        (7_000_000_000_104, AdObjectKind::Ad),
    ] {
        let r = store.ad_object(id).await.expect("read").expect("indexed");
        assert_eq!(
            (r.kind, r.waba_id, r.template_id),
            (kind, WABA, Some(template.id))
        );
    }
    assert_eq!(
        store.ad_object(7_000_000_000_105).await.expect("read"),
        None
    );
    assert_eq!(store.ad_object(u64::MAX).await.expect("read"), None);

    // Offboarding unlinks the account; it stays indexed as the WABA's disabled account.
    waba.disabled_ad_account_id = waba.ad_account_id.take();
    store
        .commit(ChangeSet::new().put(Put::Waba(waba)))
        .await
        .expect("commit");
    let account = store
        .ad_object(7_000_000_000_101)
        .await
        .expect("read")
        .expect("still indexed");
    assert_eq!(account.waba_id, WABA);

    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert_eq!(
        store.ad_object(7_000_000_000_101).await.expect("read"),
        None
    );
}

/// A WABA's messages page in the order they were accepted, each once, a message stored again
/// keeping its place; other WABAs' messages are not in its pages.
pub async fn a_wabas_messages_page_in_acceptance_order(store: &dyn Store) {
    let other = WabaId::new(3_000_000_000_999);
    let order = [3, 1, 4, 5, 9, 2, 6];
    for n in order {
        let message = fixture::message(&format!("wamid.{n}"), &format!("1555000{n:04}"));
        commit(store, ChangeSet::new().put(Put::Message(message))).await;
    }
    let mut elsewhere = fixture::message("wamid.7", "15550000007");
    elsewhere.waba_id = other;
    commit(store, ChangeSet::new().put(Put::Message(elsewhere))).await;
    // Stored again (a recipient acts): it keeps its place.
    let mut again = fixture::message("wamid.4", "15550000004");
    again.biz_opaque_callback_data = Some("stored again".into());
    commit(store, ChangeSet::new().put(Put::Message(again))).await;
    let mut seen = Vec::new();
    let mut after = 0;
    loop {
        let page = store.messages_of_waba(WABA, after, 3).await.expect("page");
        assert!(page.len() <= 3);
        let Some(&(last, _)) = page.last() else { break };
        assert!(last > after, "positions increase");
        after = last;
        seen.extend(page.into_iter().map(|(_, m)| m));
    }
    let want: Vec<String> = order.iter().map(|n| format!("wamid.{n}")).collect();
    assert_eq!(
        seen.iter().map(|m| m.id.clone()).collect::<Vec<_>>(),
        want,
        "every message of the WABA once, as accepted"
    );
    assert_eq!(
        seen[2].biz_opaque_callback_data.as_deref(),
        Some("stored again")
    );
    let theirs = store.messages_of_waba(other, 0, 10).await.expect("other");
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].1.to, "15550000007");
    assert!(
        store
            .messages_of_waba(WabaId::new(1), 0, 10)
            .await
            .expect("none")
            .is_empty()
    );
}

/// Pixels read back by ID and by owner; a business has at most one pixel made as its dataset.
pub async fn pixels_read_back_and_one_dataset_per_business(store: &dyn Store) {
    use wamm_wire::ids::PixelId;
    let world = fixture::world();
    store.replace_world(&world).await.expect("replace");
    let owned = store.pixels_owned_by(CLIENT).await.expect("pixels");
    assert_eq!(owned, world.pixels);
    assert!(
        store
            .pixels_owned_by(PARTNER)
            .await
            .expect("pixels")
            .is_empty()
    );
    assert_eq!(
        store.pixel(world.pixels[0].id).await.expect("pixel"),
        Some(world.pixels[0].clone())
    );
    assert_eq!(store.pixel(PixelId::new(1)).await.expect("pixel"), None);
    // A second dataset for the client is refused, and nothing of its change set lands.
    let second = fixture::pixel(8_000_000_000_009, CLIENT, true);
    let refused = store
        .commit(
            ChangeSet::new()
                .put(Put::Pixel(second.clone()))
                .event(fixture::event("dataset")),
        )
        .await;
    match refused {
        Err(StoreError::Conflict(Conflict::PixelsOneDataset)) => {}
        other => panic!("expected pixels_one_dataset, got {other:?}"),
    }
    assert_eq!(store.pixel(second.id).await.expect("pixel"), None);
    assert!(store.events(0, 10).await.expect("events").is_empty());
    // Another business may have its own dataset; re-putting a pixel is an update.
    commit(
        store,
        ChangeSet::new().put(Put::Pixel(fixture::pixel(8_000_000_000_010, PARTNER, true))),
    )
    .await;
    let mut renamed = world.pixels[1].clone();
    renamed.name = "Renamed".to_owned();
    commit(store, ChangeSet::new().put(Put::Pixel(renamed.clone()))).await;
    assert_eq!(store.pixel(renamed.id).await.expect("pixel"), Some(renamed));
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert!(
        store
            .pixels_owned_by(CLIENT)
            .await
            .expect("pixels")
            .is_empty()
    );
}

/// Clicks are found by fbclid and by `campaign_ids`; the same click written again is kept.
pub async fn clicks_are_found_by_fbclid_and_campaign_ids(store: &dyn Store) {
    use wamm_domain::capi::Click;
    let click = |fbclid: &str, message: &str, at: i64| Click {
        fbclid: fbclid.to_owned(),
        campaign_ids: format!("ci.{fbclid}"),
        message_id: message.to_owned(),
        waba_id: WABA,
        at: Timestamp::from_millis(at),
    };
    let first = click("IwARone", "wamid.A", 1_000);
    commit(
        store,
        ChangeSet::new()
            .put(Put::Click(first.clone()))
            .put(Put::Click(click("IwARtwo", "wamid.B", 2_000))),
    )
    .await;
    // Written again (a replayed step) it changes nothing.
    commit(
        store,
        ChangeSet::new().put(Put::Click(click("IwARone", "wamid.other", 9_000))),
    )
    .await;
    assert_eq!(
        store.click_by_fbclid("IwARone").await.expect("click"),
        Some(first.clone())
    );
    assert_eq!(
        store
            .click_by_campaign_ids("ci.IwARone")
            .await
            .expect("click"),
        Some(first)
    );
    assert_eq!(
        store
            .click_by_fbclid("IwARtwo")
            .await
            .expect("click")
            .map(|c| c.message_id),
        Some("wamid.B".to_owned())
    );
    assert_eq!(store.click_by_fbclid("iwarone").await.expect("click"), None);
    assert_eq!(
        store.click_by_campaign_ids("IwARone").await.expect("click"),
        None
    );
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert_eq!(store.click_by_fbclid("IwARtwo").await.expect("click"), None);
}

/// An event ID is claimed once per pixel and event name within the window; a refused claim
/// writes nothing of its change set. Received events list newest first, per pixel.
pub async fn event_ids_are_claimed_once_within_the_window(store: &dyn Store) {
    use wamm_domain::capi::ReceivedEvent;
    use wamm_store::Guard;
    use wamm_wire::ids::PixelId;
    let pixel = PixelId::new(8_000_000_000_001);
    let claim = |name: &str, id: &str, at: i64| Guard::EventUnseen {
        pixel,
        event_name: name.to_owned(),
        event_id: id.to_owned(),
        at: Timestamp::from_millis(at),
        since: Timestamp::from_millis(at - 1_000),
    };
    let received = |id: &str, pixel: PixelId| ReceivedEvent {
        id: id.to_owned(),
        pixel_id: pixel,
        received_at: Timestamp::from_millis(5),
        detail: serde_json::json!({"id": id}),
    };
    commit(
        store,
        ChangeSet::new()
            .guard(claim("Purchase", "order-1", 10_000))
            .put(Put::PixelEvent(received("0001", pixel))),
    )
    .await;
    let again = store
        .commit(
            ChangeSet::new()
                .guard(claim("Purchase", "order-1", 10_500))
                .put(Put::PixelEvent(received("0002", pixel))),
        )
        .await;
    match again {
        Err(StoreError::Conflict(Conflict::PixelEventSeen)) => {}
        other => panic!("expected pixel_event_seen, got {other:?}"),
    }
    // Another name, another pixel, or after the window: claimed.
    commit(
        store,
        ChangeSet::new()
            .guard(claim("AddToCart", "order-1", 10_500))
            .put(Put::PixelEvent(received("0003", pixel))),
    )
    .await;
    commit(
        store,
        ChangeSet::new().guard(Guard::EventUnseen {
            pixel: PixelId::new(8_000_000_000_002),
            event_name: "Purchase".to_owned(),
            event_id: "order-1".to_owned(),
            at: Timestamp::from_millis(10_500),
            since: Timestamp::from_millis(9_500),
        }),
    )
    .await;
    commit(
        store,
        ChangeSet::new()
            .guard(claim("Purchase", "order-1", 11_001))
            .put(Put::PixelEvent(received("0004", PixelId::new(7)))),
    )
    .await;
    let listed: Vec<String> = store
        .pixel_events(pixel, 10)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(listed, vec!["0003", "0001"]);
    assert_eq!(store.pixel_events(pixel, 1).await.expect("events").len(), 1);
    assert_eq!(
        store
            .pixel_events(PixelId::new(7), 10)
            .await
            .expect("events"),
        vec![received("0004", PixelId::new(7))]
    );
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert!(
        store
            .pixel_events(pixel, 10)
            .await
            .expect("events")
            .is_empty()
    );
    commit(
        store,
        ChangeSet::new().guard(claim("Purchase", "order-1", 10_000)),
    )
    .await;
}

/// Template groups read back by their WABA, by ID; putting one again replaces it; a new world
/// clears them.
pub async fn template_groups_list_by_waba(store: &dyn Store) {
    use wamm_domain::TemplateGroup;
    use wamm_wire::ids::TemplateGroupId;
    let group = |id: u64, waba: WabaId, name: &str| TemplateGroup {
        id: TemplateGroupId::new(id),
        waba_id: waba,
        name: name.to_owned(),
        description: String::new(),
        template_ids: vec![TemplateId::new(6_000_000_000_301)],
        created_at: Timestamp::from_millis(1_700_000_000_000),
    };
    let other = WabaId::new(WABA.get() + 1);
    store
        .commit(
            ChangeSet::new()
                .put(Put::TemplateGroup(group(9_000_000_000_002, WABA, "b")))
                .put(Put::TemplateGroup(group(9_000_000_000_001, WABA, "a")))
                .put(Put::TemplateGroup(group(9_000_000_000_003, other, "c"))),
        )
        .await
        .expect("commit");
    let mut renamed = group(9_000_000_000_002, WABA, "b2");
    renamed.description = "Renamed".into();
    store
        .commit(ChangeSet::new().put(Put::TemplateGroup(renamed.clone())))
        .await
        .expect("commit");
    let ours = store.template_groups_of(WABA).await.expect("groups");
    assert_eq!(ours, vec![group(9_000_000_000_001, WABA, "a"), renamed]);
    assert_eq!(
        store.template_groups_of(other).await.expect("groups").len(),
        1
    );
    store
        .replace_world(&WorldState::default())
        .await
        .expect("replace");
    assert!(
        store
            .template_groups_of(WABA)
            .await
            .expect("groups")
            .is_empty()
    );
}

/// One value of every stored document kind, put in one commit, reads back by its key and in
/// every list that takes it; a second put replaces it (a received pixel event is kept as first
/// written).
pub async fn every_document_kind_round_trips(store: &dyn Store) {
    use wamm_domain::TemplateGroup;
    use wamm_domain::capi::ReceivedEvent;
    use wamm_domain::solution::MigrationStatus;
    use wamm_wire::ids::{PixelId, SolutionId, TemplateGroupId};

    let business = fixture::business(CLIENT, "Client");
    let app = fixture::app(APP, PARTNER);
    let user = fixture::system_user(UserId::new(4_000_000_000_001), CLIENT);
    let waba = fixture::waba(WABA, CLIENT, &[PARTNER]);
    let phone = fixture::phone_number(PhoneNumberId::new(5_000_000_000_001), WABA);
    let template = fixture::template(TemplateId::new(6_000_000_000_001), WABA, "hello", "en_US");
    let token = fixture::token("beef", APP, Some(CLIENT));
    let subscription = fixture::subscription(WABA, APP);
    let app_subscription = fixture::app_subscription(APP, "whatsapp_business_account");
    let assignment = fixture::assignment(WABA, user.id, CLIENT);
    let request = fixture::request(7_000_000_000_001, CLIENT, RequestStatus::Pending, None);
    let code = wamm_domain::AuthCode {
        hash: "c0de".into(),
        app_id: APP,
        config_id: None,
        business_id: CLIENT,
        system_user_id: user.id,
        wabas: vec![WABA],
        scopes: vec![wamm_domain::Permission::WhatsappBusinessMessaging],
        redirect_uri: None,
        issued_at: Timestamp::from_millis(1_000),
        expires_at: Timestamp::from_millis(31_000),
        used_at: None,
    };
    let solution = fixture::solution(9_000_000_000_001, APP, AppId::new(APP.get() + 1));
    let migration = fixture::migration(
        9_100_000_000_001,
        WABA,
        solution.id.get(),
        MigrationStatus::Initiated,
        None,
    );
    let group = TemplateGroup {
        id: TemplateGroupId::new(9_200_000_000_001),
        waba_id: WABA,
        name: "group".into(),
        description: String::new(),
        template_ids: vec![template.id],
        created_at: Timestamp::from_millis(1_000),
    };
    let pixel = fixture::pixel(9_300_000_000_001, CLIENT, true);
    let received = |detail: &str| ReceivedEvent {
        id: "evt-1".into(),
        pixel_id: PixelId::new(9_300_000_000_001),
        received_at: Timestamp::from_millis(5),
        detail: serde_json::json!({ "detail": detail }),
    };
    let event = received("first");
    let all = |business: &wamm_domain::Business, event: &ReceivedEvent| {
        ChangeSet::new()
            .put(Put::Business(business.clone()))
            .put(Put::App(app.clone()))
            .put(Put::SystemUser(user.clone()))
            .put(Put::Waba(waba.clone()))
            .put(Put::PhoneNumber(phone.clone()))
            .put(Put::Template(template.clone()))
            .put(Put::Token(token.clone()))
            .put(Put::Subscription(subscription.clone()))
            .put(Put::AppSubscription(app_subscription.clone()))
            .put(Put::Assignment(assignment.clone()))
            .put(Put::Request(request.clone()))
            .put(Put::AuthCode(code.clone()))
            .put(Put::Solution(solution.clone()))
            .put(Put::MigrationIntent(migration.clone()))
            .put(Put::TemplateGroup(group.clone()))
            .put(Put::Pixel(pixel.clone()))
            .put(Put::PixelEvent(event.clone()))
    };
    commit(store, all(&business, &event)).await;

    assert_eq!(
        store.business(CLIENT).await.expect("get"),
        Some(business.clone())
    );
    assert_eq!(
        store.businesses().await.expect("list"),
        vec![business.clone()]
    );
    assert_eq!(store.app(APP).await.expect("get"), Some(app.clone()));
    assert_eq!(store.apps().await.expect("list"), vec![app.clone()]);
    assert_eq!(
        store.system_user(user.id).await.expect("get"),
        Some(user.clone())
    );
    assert_eq!(
        store.system_users_of(CLIENT).await.expect("list"),
        vec![user.clone()]
    );
    assert_eq!(store.waba(WABA).await.expect("get"), Some(waba.clone()));
    assert_eq!(store.wabas().await.expect("list"), vec![waba.clone()]);
    assert_eq!(
        store.wabas_owned_by(CLIENT).await.expect("list"),
        vec![waba.clone()]
    );
    assert_eq!(
        store.wabas_held_by_partner(PARTNER).await.expect("list"),
        vec![waba.clone()]
    );
    assert_eq!(
        store.phone_number(phone.id).await.expect("get"),
        Some(phone.clone())
    );
    assert_eq!(
        store.phone_numbers_of(WABA).await.expect("list"),
        vec![phone.clone()]
    );
    assert_eq!(
        store.template(template.id).await.expect("get"),
        Some(template.clone())
    );
    assert_eq!(
        store.templates_of(WABA).await.expect("list"),
        vec![template.clone()]
    );
    assert_eq!(
        store.token_by_hash("beef").await.expect("get"),
        Some(token.clone())
    );
    assert_eq!(
        store.tokens_of_app(APP).await.expect("list"),
        vec![token.clone()]
    );
    assert_eq!(
        store.subscriptions_of(WABA).await.expect("list"),
        vec![subscription.clone()]
    );
    assert_eq!(
        store.app_subscriptions(APP).await.expect("list"),
        vec![app_subscription.clone()]
    );
    assert_eq!(
        store.assignments_of_waba(WABA).await.expect("list"),
        vec![assignment.clone()]
    );
    assert_eq!(
        store.assignments_of_user(user.id).await.expect("list"),
        vec![assignment.clone()]
    );
    assert_eq!(
        store.request(request.id).await.expect("get"),
        Some(request.clone())
    );
    assert_eq!(
        store.requests_of(CLIENT).await.expect("list"),
        vec![request.clone()]
    );
    assert_eq!(store.requests().await.expect("list"), vec![request.clone()]);
    assert_eq!(
        store.auth_code("c0de").await.expect("get"),
        Some(code.clone())
    );
    assert_eq!(
        store.solution(solution.id).await.expect("get"),
        Some(solution.clone())
    );
    assert_eq!(
        store.solutions_of_app(APP).await.expect("list"),
        vec![solution.clone()]
    );
    assert_eq!(
        store.migration_intent(migration.id).await.expect("get"),
        Some(migration.clone())
    );
    assert_eq!(
        store.migration_intents_of(WABA).await.expect("list"),
        vec![migration.clone()]
    );
    assert_eq!(
        store.template_groups_of(WABA).await.expect("list"),
        vec![group.clone()]
    );
    assert_eq!(
        store.pixel(pixel.id).await.expect("get"),
        Some(pixel.clone())
    );
    assert_eq!(
        store.pixels_owned_by(CLIENT).await.expect("list"),
        vec![pixel.clone()]
    );
    assert_eq!(
        store.pixel_events(pixel.id, 10).await.expect("list"),
        vec![event.clone()]
    );
    // Missing keys read as nothing.
    assert_eq!(store.solution(SolutionId::new(1)).await.expect("get"), None);
    assert_eq!(store.token_by_hash("missing").await.expect("get"), None);

    // Putting again replaces, except a received event, which stays as first received.
    let renamed = fixture::business(CLIENT, "Client renamed");
    commit(store, all(&renamed, &received("second"))).await;
    assert_eq!(
        store.business(CLIENT).await.expect("get"),
        Some(renamed.clone())
    );
    assert_eq!(store.businesses().await.expect("list"), vec![renamed]);
    assert_eq!(
        store.pixel_events(pixel.id, 10).await.expect("list"),
        vec![event]
    );
}

/// A commit that leases its webhooks answers them as the rows they became; nobody claims them
/// while the lease holds, results recorded under it apply, and once it runs out any claimer
/// takes what is left.
pub async fn a_leased_commit_answers_its_rows_until_its_lease_runs_out(store: &dyn Store) {
    const LEASE: i64 = 50_000;
    let hooks = [fixture::webhook(0, 1_000), fixture::webhook(1, 1_200)];
    let committed = store
        .commit_delivering(
            ChangeSet::new()
                .event(fixture::event("leased"))
                .webhooks(hooks.iter().cloned())
                .leased_until(LEASE),
        )
        .await
        .expect("commit");
    assert_eq!(committed.events.len(), 1);
    assert_eq!(
        committed.outbox,
        all_outbox(store).await,
        "as they were written"
    );
    assert_eq!(
        committed
            .outbox
            .iter()
            .map(|i| &i.webhook)
            .collect::<Vec<_>>(),
        hooks.iter().collect::<Vec<_>>()
    );
    let now = Timestamp::from_millis(10_000);
    let claimed = store
        .claim_webhooks(now, LEASE - 1, 1_000, 10)
        .await
        .expect("claim");
    assert!(claimed.is_empty(), "leased at enqueue: {claimed:?}");
    // The committing process's attempt of their batch fails and is retried.
    let [first, second] = [&committed.outbox[0], &committed.outbox[1]];
    assert_eq!((first.batch, second.batch), (first.id, first.id));
    store
        .finish_deliveries(vec![wamm_domain::DeliveryResult {
            lease_until: Some(LEASE),
            ..fixture::result(
                fixture::attempt(first.batch, 1, 5_000, Some(503)),
                Outcome::Retry {
                    next_attempt_at: Timestamp::from_millis(6_000),
                },
            )
        }])
        .await
        .expect("finish");
    let retried = store
        .outbox_item(second.id)
        .await
        .expect("read")
        .expect("row");
    assert_eq!(
        retried.attempts, 1,
        "the retry applied under the enqueue's lease"
    );
    assert_eq!(retried.next_attempt_at, Timestamp::from_millis(6_000));
    let again = store
        .claim_webhooks(now, 7_000, 1_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        again.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![first.id, second.id],
        "the retry is anyone's"
    );
    store
        .finish_deliveries(vec![fixture::result(
            fixture::attempt(first.batch, 2, 7_000, Some(200)),
            Outcome::Delivered,
        )])
        .await
        .expect("finish");
    assert_eq!(
        store
            .outbox_item(second.id)
            .await
            .expect("read")
            .map(|i| i.status),
        Some(DeliveryStatus::Delivered)
    );
    // A leased row its process never finished is claimed once the lease runs out.
    let orphan = store
        .commit_delivering(
            ChangeSet::new()
                .webhook(fixture::webhook(2, 1_300))
                .leased_until(LEASE),
        )
        .await
        .expect("commit");
    assert!(orphan.events.is_empty());
    let early = store
        .claim_webhooks(now, LEASE - 1, 1_000, 10)
        .await
        .expect("claim");
    assert!(early.is_empty(), "{early:?}");
    let late = store
        .claim_webhooks(now, LEASE + 1, 1_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        late.iter().map(|i| i.id).collect::<Vec<_>>(),
        vec![orphan.outbox[0].id]
    );
    // Unleased, the rows are anyone's at once: none falls to the commit.
    let open = store
        .commit_delivering(ChangeSet::new().webhook(fixture::webhook(3, 1_400)))
        .await
        .expect("commit");
    assert!(open.outbox.is_empty(), "{open:?}");
    let claimed = store
        .claim_webhooks(now, 1, 1_000, 10)
        .await
        .expect("claim");
    assert_eq!(
        claimed.iter().map(|i| &i.webhook).collect::<Vec<_>>(),
        vec![&fixture::webhook(3, 1_400)]
    );
}

/// A message step is claimed by its count alone: the count and the next step's time move, the
/// document stays as written, and every read gives the count with the status it leads to.
pub async fn a_message_step_moves_its_count_and_next_time(store: &dyn Store) {
    let message = fixture::message("wamid.steps", "15550001111");
    commit(store, ChangeSet::new().put(Put::Message(message.clone()))).await;
    let at = Timestamp::from_millis;
    let due = store.messages_due(at(1_500), 10).await.expect("due");
    assert_eq!(due, vec![message.clone()]);
    let step = |done: u32, next_at: Option<Timestamp>| {
        ChangeSet::new().guard(wamm_store::Guard::MessageStep {
            id: message.id.clone(),
            done,
            next_at,
        })
    };
    commit(store, step(0, Some(at(2_000)))).await;
    let read = store
        .message(&message.id)
        .await
        .expect("read")
        .expect("kept");
    assert_eq!(read.steps_done, 1);
    assert_eq!(read.status.as_deref(), Some("sent"));
    assert_eq!(read.next_at(), Some(at(2_000)));
    assert_eq!(
        read.plan, message.plan,
        "the document is as the send wrote it"
    );
    assert!(
        store
            .messages_due(at(1_500), 10)
            .await
            .expect("due")
            .is_empty(),
        "the next step is due later"
    );
    let due = store.messages_due(at(2_500), 10).await.expect("due");
    assert_eq!(due, vec![read.clone()]);
    // The same step again is refused; the next one is taken.
    assert!(matches!(
        store.commit(step(0, Some(at(2_000)))).await,
        Err(StoreError::Conflict(Conflict::MessageStepClaimed))
    ));
    commit(store, step(1, None)).await;
    let page: Vec<_> = store
        .messages_of_waba(WABA, 0, 10)
        .await
        .expect("page")
        .into_iter()
        .map(|(_, m)| m)
        .collect();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].steps_done, 2);
    assert_eq!(page[0].status.as_deref(), Some("delivered"));
    assert!(
        store
            .messages_due(at(i64::MAX / 2), 10)
            .await
            .expect("due")
            .is_empty(),
        "nothing is left to do"
    );
}
