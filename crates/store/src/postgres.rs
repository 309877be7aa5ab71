//! The PostgreSQL backend.

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Pool, Postgres, Transaction};

use crate::engine::{Engine, Write, Written};
use crate::group::Writer;
use crate::{Backend, Conflict, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per store.
const POOL_SIZE: u32 = 8;

/// A [`Store`](crate::Store) on PostgreSQL.
///
/// Change sets go to the store's group writer, which commits whatever is queued in one
/// transaction: one flush of the log per group rather than per change. Everything else goes
/// through the pool beside it.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    writer: Writer,
}

impl PgStore {
    /// Connects to `postgres://…` / `postgresql://…` and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        let writer = Writer::start::<Self>(pool.clone(), "wamm-postgres-writer", false)?;
        Ok(Self { pool, writer })
    }
}

impl Engine for PgStore {
    type Db = Postgres;

    const BACKEND: Backend = Backend::Postgres;

    const FAILED_STATEMENT_ABORTS: bool = true;

    /// PostgreSQL: batches another claimer holds are skipped, and batches it leased meanwhile
    /// fail the re-checked condition. The ids come as an array so the planner probes the
    /// primary key for each instead of joining against a scan of the whole outbox. Batches are
    /// taken in ID order while their items add up to at most `$4` (the first one always).
    const CLAIM: &'static str = "WITH fresh AS (SELECT id, n FROM webhook_batches \
        WHERE status = 'pending' AND lease_until IS NULL AND next_attempt_at <= $2 \
        ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED), \
        lapsed AS (SELECT id, n FROM webhook_batches WHERE status = 'pending' \
        AND lease_until IS NOT NULL AND lease_until < $3 AND next_attempt_at <= $2 \
        ORDER BY lease_until LIMIT $4 FOR UPDATE SKIP LOCKED), \
        due AS (SELECT id, n FROM (SELECT id, n FROM fresh UNION ALL \
        SELECT id, n FROM lapsed) AS due ORDER BY id LIMIT $4), \
        taken AS (SELECT id, n, SUM(n) OVER (ORDER BY id) AS upto FROM due) \
        UPDATE webhook_batches SET lease_until = $1 \
        WHERE id = ANY(ARRAY(SELECT id FROM taken WHERE upto <= $4 OR upto = n)) \
        RETURNING id, n, app_id, endpoint, items, status, attempts, next_attempt_at, \
        created_at, delivered_at, last_error";

    fn pool(&self) -> &Pool<Postgres> {
        &self.pool
    }

    /// A read-only transaction whose reads all see one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Queues a change set for the writer and waits for its group's commit. The dispatcher's
    /// bookkeeping (claims, outcomes, redeliveries), counter reservations and world loads run
    /// at once in a transaction of their own beside it, as PostgreSQL runs writers side by
    /// side: they touch rows no change set does, and queueing them behind the sends only
    /// slows delivery down.
    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        if matches!(write, Write::Commit(_)) {
            return self.writer.write(write).await;
        }
        if write.is_one_statement() {
            let mut conn = self.pool.acquire().await?;
            return crate::sql::run::<Self>(&mut conn, write).await;
        }
        let mut tx = self.pool.begin().await?;
        let written = crate::sql::run::<Self>(&mut tx, write).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// PostgreSQL names the violated constraint.
    fn conflict(err: &dyn sqlx::error::DatabaseError) -> Conflict {
        err.constraint()
            .map_or(Conflict::Unique, Conflict::of_constraint)
    }
}
