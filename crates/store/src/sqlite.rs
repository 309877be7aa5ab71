//! The SQLite backend: a file (WAL mode) or an in-memory database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use crate::shared::impl_store;
use crate::{Backend, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections to a file database; writers queue on SQLite's lock (with a busy timeout).
const FILE_POOL_SIZE: u32 = 4;

/// How long a connection waits for another's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A [`Store`](crate::Store) on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
                // WAL with `synchronous=NORMAL`: a commit is in the log before it returns, so a
                // killed process loses nothing it acknowledged; only a power cut can lose the
                // last commits (which `FULL` would fsync each time, at many times the cost).
                .connect_with(
                    options
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal),
                )
                .await?
        };
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// A transaction whose reads see one snapshot (a deferred SQLite transaction does).
    async fn begin_read(&self) -> Result<Transaction<'static, Sqlite>, StoreError> {
        Ok(self.pool.begin().await?)
    }

    /// SQLite reports no constraint names, only the columns: name the ones we know.
    fn constraint_name(err: &dyn sqlx::error::DatabaseError) -> String {
        if err.message().contains("templates.waba_id") {
            "templates_name_language".to_owned()
        } else if err.message().contains("onboarding_requests") {
            "onboarding_requests_one_pending".to_owned()
        } else {
            "unique".to_owned()
        }
    }
}

/// Whether a SQLite URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

impl_store!(
    SqliteStore,
    Sqlite,
    SqliteConnection,
    Backend::Sqlite,
    crate::shared::claim::SQLITE
);
