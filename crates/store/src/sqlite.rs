//! The SQLite backend: a file (WAL mode) or an in-memory database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Pool, Sqlite, SqlitePool, Transaction};
use tokio::sync::mpsc;

use crate::engine::{Engine, Write, Written};
use crate::group::{Job, Writer};
use crate::{Backend, Conflict, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections to a file database; writers queue on SQLite's lock (with a busy timeout).
const FILE_POOL_SIZE: u32 = 4;

/// How long a connection waits for another's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the log is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// A [`Store`](crate::Store) on SQLite.
///
/// SQLite has one writer at a time. Rather than let concurrent writes race for its lock (and
/// sleep in the busy handler), every write (change sets, webhook claims and outcomes, counter
/// reservations) goes to one writer on a thread of its own, which commits whatever is queued
/// together (the store's group writer). Nobody is answered before the commit.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: Writer,
}

impl SqliteStore {
    /// Opens `sqlite::memory:`, `sqlite:path.db` or `sqlite://path.db` (creating the file if
    /// missing) and migrates the schema.
    ///
    /// An in-memory database lives on a single connection that is never recycled, since each
    /// new connection would see a new, empty database.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = if is_memory(url) {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?
        } else {
            SqlitePoolOptions::new()
                .max_connections(FILE_POOL_SIZE)
                // A connection to a local file cannot go stale, so the pool's ping before each
                // acquire (a round trip to the connection's thread) buys nothing.
                .test_before_acquire(false)
                // WAL with `synchronous=NORMAL`: a commit is in the log before it returns, so a
                // killed process loses nothing it acknowledged; only a power cut can lose the
                // last commits (which `FULL` would fsync each time, at many times the cost).
                .connect_with(
                    options
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal)
                        // Checkpoints run beside the writer (see `checkpoint_loop`); the
                        // writer itself checkpoints only if the log grows past ~40 MB.
                        .pragma("wal_autocheckpoint", "10000"),
                )
                .await?
        };
        MIGRATOR.run(&pool).await?;
        let writer = Writer::start::<Self>(pool.clone(), "wamm-sqlite-writer", true)?;
        if !is_memory(url) {
            tokio::spawn(checkpoint_loop(pool.clone(), writer.downgrade()));
        }
        Ok(Self { pool, writer })
    }
}

impl Engine for SqliteStore {
    type Db = Sqlite;

    const BACKEND: Backend = Backend::Sqlite;

    const FAILED_STATEMENT_ABORTS: bool = false;

    /// SQLite: one `UPDATE` takes the database's single write lock before it reads, so two
    /// claimers never see the same unleased batch. Unleased and lapsed batches are found
    /// through their own indexes, so batches in flight cost nothing. Batches are taken in ID
    /// order while their items add up to at most `$4` (the first one always).
    const CLAIM: &'static str = "UPDATE webhook_batches SET lease_until = $1 \
        WHERE id IN (SELECT id FROM (SELECT id, n, SUM(n) OVER (ORDER BY id) AS upto FROM ( \
        SELECT id, n FROM (SELECT id, n FROM webhook_batches WHERE status = 'pending' \
        AND lease_until IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT $4) \
        UNION ALL \
        SELECT id, n FROM (SELECT id, n FROM webhook_batches WHERE status = 'pending' \
        AND lease_until IS NOT NULL AND lease_until < $3 AND next_attempt_at <= $2 \
        ORDER BY lease_until LIMIT $4) \
        ORDER BY id LIMIT $4)) WHERE upto <= $4 OR upto = n) \
        RETURNING id, n, app_id, endpoint, items, status, attempts, next_attempt_at, \
        created_at, delivered_at, last_error";

    fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// Queues `write` for the writer and waits for its group's commit.
    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        self.writer.write(write).await
    }

    /// A transaction whose reads see one snapshot (a deferred SQLite transaction does).
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// SQLite reports no constraint names, only the columns: name the ones we know.
    fn conflict(err: &dyn sqlx::error::DatabaseError) -> Conflict {
        if err.message().contains("templates.waba_id") {
            Conflict::TemplatesNameLanguage
        } else if err.message().contains("onboarding_requests") {
            Conflict::OnboardingRequestsOnePending
        } else if err.message().contains("migration_intents") {
            Conflict::MigrationIntentsOneOpen
        } else if err.message().contains("pixels.dataset_business_id") {
            Conflict::PixelsOneDataset
        } else {
            Conflict::Unique
        }
    }
}

/// Copies the write-ahead log into the database on a connection of its own, a passive
/// checkpoint at a time (it never waits for the writer, nor the writer for it), until the
/// store is gone.
async fn checkpoint_loop(pool: SqlitePool, writer: mpsc::WeakSender<Job>) {
    loop {
        tokio::time::sleep(CHECKPOINT_EVERY).await;
        if writer.upgrade().is_none() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(error = %e, "could not checkpoint the SQLite log");
        }
    }
}

/// Whether a SQLite URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
