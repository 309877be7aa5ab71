//! Upgrades: a database written under an earlier schema opens under the current one with
//! everything it held, on both backends.

use std::borrow::Cow;
use std::path::Path;

use serde_json::json;
use sqlx::migrate::Migrator;
use sqlx::{Connection, Executor};
use wamm_domain::{DeliveryStatus, NewWebhook, Timestamp};
use wamm_store::{ChangeSet, OutboxCounts, Store};
use wamm_wire::ids::AppId;

use crate::support::PgScratch;

/// The first migration that stores the webhook outbox a batch to a row.
const BATCHES: i64 = 18;

/// Two deliveries as the one-row-per-webhook outbox held them, with their attempts: one
/// delivered, one failing and leased until wall time 99.
const OLD_OUTBOX: [&str; 2] = [
    r#"INSERT INTO webhook_outbox (id, app_id, endpoint, object_id, field, value, time_ms,
        include_time, status, attempts, next_attempt_at, lease_until, created_at, delivered_at,
        last_error) VALUES
        (7, 42, 'https://example.com/hook', '3001', 'messages',
         '{"statuses":[{"id":"wamid.1","status":"sent"}]}', 1000, FALSE, 'delivered', 1, 1000,
         NULL, 1000, 1010, NULL),
        (9, 42, 'https://example.com/hook', '3001', 'account_update',
         '{"event":"MM_LITE_TERMS_SIGNED","nested":{"b":1,"a":"é"}}', 2000, TRUE, 'pending', 2,
         5000, 99, 2000, NULL, 'HTTP 500')"#,
    "INSERT INTO webhook_attempts (outbox_id, attempt, at, duration_ms, status_code, error,
        response_snippet) VALUES (7, 1, 1010, 3, 200, NULL, 'ok'),
        (9, 1, 2010, 4, 500, 'HTTP 500', ''), (9, 2, 3010, 4, 500, 'HTTP 500', '')",
];

/// The backend's migrations before `version`, read from the folder the store embeds.
async fn migrations_before(folder: &str, version: i64) -> Migrator {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(folder);
    let mut migrator = Migrator::new(dir).await.expect("read the migrations");
    let earlier: Vec<_> = migrator
        .migrations
        .iter()
        .filter(|m| m.version < version)
        .cloned()
        .collect();
    assert!(
        !earlier.is_empty() && earlier.len() < migrator.migrations.len(),
        "migration {version} is among the backend's"
    );
    migrator.migrations = Cow::Owned(earlier);
    migrator
}

/// What the old outbox must read as once upgraded, and how it goes on.
async fn the_old_outbox_reads_as_batches_of_one(store: &dyn Store) {
    let hook = |field: &str, value, time_ms, include_time| NewWebhook {
        app_id: AppId::new(42),
        endpoint: "https://example.com/hook".to_owned(),
        object_id: "3001".to_owned(),
        field: field.to_owned(),
        value,
        time: Timestamp::from_millis(time_ms),
        include_time,
    };
    let items = store.outbox(None, 0, 10).await.expect("outbox");
    assert_eq!(
        items.iter().map(|i| (i.id, i.batch)).collect::<Vec<_>>(),
        [(7, 7), (9, 9)],
        "each row a batch of one under its own ID"
    );
    assert_eq!(
        items[0].webhook,
        hook(
            "messages",
            json!({"statuses": [{"id": "wamid.1", "status": "sent"}]}),
            1_000,
            false
        )
    );
    assert_eq!(items[0].status, DeliveryStatus::Delivered);
    assert_eq!(items[0].delivered_at, Some(Timestamp::from_millis(1_010)));
    assert_eq!(
        items[1].webhook,
        hook(
            "account_update",
            json!({"event": "MM_LITE_TERMS_SIGNED", "nested": {"a": "é", "b": 1}}),
            2_000,
            true
        )
    );
    assert_eq!(items[1].status, DeliveryStatus::Pending);
    assert_eq!(items[1].attempts, 2);
    assert_eq!(items[1].next_attempt_at, Timestamp::from_millis(5_000));
    assert_eq!(items[1].created_at, Timestamp::from_millis(2_000));
    assert_eq!(items[1].last_error.as_deref(), Some("HTTP 500"));
    assert_eq!(store.attempts_of(7).await.expect("attempts").len(), 1);
    assert_eq!(
        store
            .attempts_of(9)
            .await
            .expect("attempts")
            .iter()
            .map(|a| (a.outbox_id, a.attempt))
            .collect::<Vec<_>>(),
        [(9, 1), (9, 2)]
    );
    assert_eq!(
        store.outbox_counts().await.expect("counts"),
        OutboxCounts {
            pending: 1,
            delivered: 1,
            dropped: 0
        }
    );
    // Its lease (until 99) still counts: claimable once it has run out.
    let now = Timestamp::from_millis(5_000);
    assert!(
        store
            .claim_webhooks(now, 99, 1_000, 10)
            .await
            .expect("claim")
            .is_empty()
    );
    let claimed = store
        .claim_webhooks(now, 100, 1_000, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.iter().map(|i| i.id).collect::<Vec<_>>(), [9]);
    // New deliveries are numbered after the old ones.
    store
        .commit(ChangeSet::new().webhook(hook("messages", json!({}), 6_000, false)))
        .await
        .expect("commit");
    let added = store.outbox(None, 9, 10).await.expect("outbox");
    assert_eq!(added.iter().map(|i| i.id).collect::<Vec<_>>(), [10]);
}

#[tokio::test]
async fn sqlite_keeps_the_outbox_across_the_batch_upgrade() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("old.db").display());
    {
        let options: sqlx::sqlite::SqliteConnectOptions = url
            .parse::<sqlx::sqlite::SqliteConnectOptions>()
            .expect("url")
            .create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.expect("open");
        migrations_before("sqlite", BATCHES)
            .await
            .run(&pool)
            .await
            .expect("the earlier schema");
        for sql in OLD_OUTBOX {
            pool.execute(sql).await.expect("old rows");
        }
        pool.close().await;
    }
    let store = wamm_store::connect(&url).await.expect("upgrade");
    the_old_outbox_reads_as_batches_of_one(&*store).await;
}

#[tokio::test]
async fn postgres_keeps_the_outbox_across_the_batch_upgrade() {
    let db = PgScratch::create().await;
    {
        let mut conn = sqlx::PgConnection::connect(&db.url).await.expect("connect");
        migrations_before("postgres", BATCHES)
            .await
            .run(&mut conn)
            .await
            .expect("the earlier schema");
        for sql in OLD_OUTBOX {
            conn.execute(sql).await.expect("old rows");
        }
        conn.close().await.expect("close");
    }
    let store = wamm_store::connect(&db.url).await.expect("upgrade");
    the_old_outbox_reads_as_batches_of_one(&*store).await;
}
