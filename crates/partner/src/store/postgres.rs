//! The PostgreSQL backend, for orchestrators that share a server.

use sqlx::PgPool;
use sqlx::migrate::Migrator;
use sqlx::postgres::PgPoolOptions;

use super::StoreError;
use super::sql::impl_partner_store;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The orchestrator's store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PgPartnerStore {
    pool: PgPool,
}

impl PgPartnerStore {
    /// Connects to `postgres://…` and migrates the schema.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

impl_partner_store!(PgPartnerStore);
