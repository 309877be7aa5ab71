//! The store contract: the same test bodies against SQLite (in memory and on a file) and
//! PostgreSQL, so both backends behave alike.
//!
//! PostgreSQL tests need a server (default `postgres://postgres@127.0.0.1:5432/postgres`,
//! override with `WAMM_TEST_PG_URL`); each test creates and drops its own database. They fail,
//! never skip, when the server is unreachable.

mod contract;
mod fixture;
mod support;
mod upgrade;

/// Runs each named contract test on in-memory SQLite and on PostgreSQL.
macro_rules! contract_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite_memory {
            $(
                #[tokio::test]
                async fn $name() {
                    let store = crate::support::sqlite_memory().await;
                    crate::contract::$name(&*store).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let db = crate::support::PgTestDb::create().await;
                    crate::contract::$name(&*db.store).await;
                }
            )+
        }
    };
}

contract_tests!(
    reports_its_backend,
    commits_and_reads_back_every_kind,
    lists_are_sorted_and_filtered,
    world_roundtrips,
    replace_world_clears_everything_but_meta,
    partner_index_follows_partner_changes,
    template_conflict_rolls_back_the_whole_change_set,
    re_putting_a_template_is_an_update,
    deletes_templates_and_subscriptions,
    events_page_in_order,
    recent_events_are_newest_first,
    meta_roundtrips,
    reserve_counts_from_zero,
    is_empty_tracks_businesses_and_apps,
    token_by_hash_finds_exactly_that_token,
    commit_enqueues_webhooks_with_the_rest,
    app_subscriptions_put_delete_and_list,
    replace_world_clears_the_outbox,
    claims_respect_due_time_and_leases,
    a_stale_lease_does_not_decide_what_follows,
    finishing_records_attempts_and_outcomes,
    late_failures_never_downgrade_a_delivery,
    redeliver_makes_a_row_pending_again,
    outbox_pages_by_status_and_id,
    next_due_webhook_is_the_earliest_pending,
    a_large_webhook_commit_lands,
    a_batch_is_claimed_decided_and_redelivered_as_one,
    requests_and_emails_commit_together,
    one_pending_request_per_client,
    decided_requests_do_not_block_a_new_pending_one,
    due_reminders_respect_time_and_status,
    emails_filter_by_recipient_and_page,
    replace_world_clears_requests_and_emails,
    setups_due_follow_the_owed_webhook,
    auth_codes_are_used_once,
    reminders_are_claimed_once,
    reads_see_every_commit,
    concurrent_commits_fail_alone,
    solutions_and_migration_intents_commit_and_read_back,
    one_migration_intent_in_progress_per_waba,
    migrations_due_follow_status_and_time,
    replace_world_clears_solutions_and_migration_intents,
    assignments_put_delete_and_list,
    facts_add_up_once_per_commit_and_read_by_range,
    a_wabas_messages_page_in_acceptance_order,
    ad_objects_lead_to_their_waba_and_template,
    template_groups_list_by_waba,
    pixels_read_back_and_one_dataset_per_business,
    clicks_are_found_by_fbclid_and_campaign_ids,
    event_ids_are_claimed_once_within_the_window,
    every_document_kind_round_trips,
    a_leased_commit_answers_its_rows_until_its_lease_runs_out,
    a_message_step_moves_its_count_and_next_time,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_claims_are_exclusive_under_concurrency() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("claims.db").display());
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(wamm_store::connect(&url).await.expect("open sqlite file"));
    }
    contract::claims_are_exclusive_under_concurrency(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_claims_are_exclusive_under_concurrency() {
    let db = support::PgTestDb::create().await;
    let other = wamm_store::connect(&db.url).await.expect("second pool");
    let stores = vec![db.store.clone(), other.clone(), db.store.clone(), other];
    contract::claims_are_exclusive_under_concurrency(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_reserve_is_atomic_under_concurrency() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("reserve.db").display());
    let store = wamm_store::connect(&url).await.expect("open sqlite file");
    contract::reserve_is_atomic_under_concurrency(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_reserve_is_atomic_under_concurrency() {
    let db = support::PgTestDb::create().await;
    contract::reserve_is_atomic_under_concurrency(db.store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_concurrent_commits_all_land() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("commits.db").display());
    let store = wamm_store::connect(&url).await.expect("open sqlite file");
    contract::concurrent_commits_all_land(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_commits_all_land() {
    let db = support::PgTestDb::create().await;
    contract::concurrent_commits_all_land(db.store.clone()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_file_pending_requests_are_exclusive_under_concurrency() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("requests.db").display());
    let mut stores = Vec::new();
    for _ in 0..2 {
        stores.push(wamm_store::connect(&url).await.expect("open sqlite file"));
    }
    contract::pending_requests_are_exclusive_under_concurrency(stores).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pending_requests_are_exclusive_under_concurrency() {
    let db = support::PgTestDb::create().await;
    let other = wamm_store::connect(&db.url).await.expect("second pool");
    contract::pending_requests_are_exclusive_under_concurrency(vec![db.store.clone(), other]).await;
}

#[tokio::test]
async fn sqlite_file_persists_across_reopen() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("world.db");
    let world = fixture::world();
    {
        let store = wamm_store::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("create");
        store.replace_world(&world).await.expect("replace world");
        store
            .commit(
                wamm_store::ChangeSet::new()
                    .meta("seed", "42")
                    .event(fixture::event("a")),
            )
            .await
            .expect("commit");
        assert_eq!(store.reserve("counter", 10).await.expect("reserve"), 0);
    }
    // Reopen with the other URL form: the same file, the same world.
    let store = wamm_store::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("reopen");
    assert_eq!(store.export_world().await.expect("export"), world);
    assert_eq!(
        store.meta("seed").await.expect("meta").as_deref(),
        Some("42")
    );
    assert_eq!(store.events(0, 10).await.expect("events").len(), 1);
    assert_eq!(store.reserve("counter", 1).await.expect("reserve"), 10);
}

#[tokio::test]
async fn connect_rejects_unknown_urls() {
    let err = wamm_store::connect("mysql://root:hunter2@localhost/db")
        .await
        .err();
    match err {
        Some(wamm_store::StoreError::Url(url)) => assert!(!url.contains("hunter2"), "{url}"),
        other => panic!("expected a Url error, got {other:?}"),
    }
}
