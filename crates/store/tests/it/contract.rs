//! The contract every backend meets, written once against `&dyn Store`.

use std::collections::BTreeSet;
use std::sync::Arc;

use wamm_domain::WorldState;
use wamm_store::{Backend, ChangeSet, Delete, Put, Store, StoreError};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, TemplateId, UserId, WabaId};

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
    assert_eq!(store.export_world().await.expect("export"), world);

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
        Err(StoreError::Conflict(name)) => assert_eq!(name, "templates_name_language"),
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
    revoked.revoked_at = Some(wamm_domain::Timestamp::from_millis(1_800_000_000_000));
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
