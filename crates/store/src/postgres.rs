//! The PostgreSQL backend.

use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use crate::shared::{Write, Written, impl_store};
use crate::{Backend, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per store.
const POOL_SIZE: u32 = 8;

/// A [`Store`](crate::Store) on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `postgres://…` / `postgresql://…` and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(url)
            .await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// A read-only transaction whose reads all see one snapshot.
    async fn begin_read(&self) -> Result<Transaction<'static, Postgres>, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    }

    /// Applies `write` in a transaction of its own (one statement needs none): PostgreSQL
    /// runs concurrent writers side by side, so there is nothing to gain from queueing them.
    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        if write.is_one_statement() {
            let mut conn = self.pool.acquire().await?;
            return Self::run(&mut conn, write).await;
        }
        let mut tx = self.pool.begin().await?;
        let written = Self::run(&mut tx, write).await?;
        tx.commit().await?;
        Ok(written)
    }

    /// PostgreSQL names the violated constraint.
    fn constraint_name(err: &dyn sqlx::error::DatabaseError) -> String {
        err.constraint().unwrap_or("unique").to_owned()
    }
}

impl_store!(
    PgStore,
    Postgres,
    PgConnection,
    Backend::Postgres,
    crate::shared::claim::POSTGRES
);
