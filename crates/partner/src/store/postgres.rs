//! The PostgreSQL backend, for orchestrators that share a server.

use sqlx::Postgres;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::StoreError;
use super::sql::SqlPartnerStore;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The orchestrator's store on PostgreSQL.
impl SqlPartnerStore<Postgres> {
    /// Connects to `postgres://…` and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self {
            writer: super::writer::Writer::start(pool.clone()),
            writes: pool.clone(),
            pool,
        })
    }
}
