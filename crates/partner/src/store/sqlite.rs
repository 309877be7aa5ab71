//! The SQLite backend (the default): a file in WAL mode, or memory for tests.

use std::str::FromStr;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::StoreError;
use super::sql::SqlPartnerStore;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The orchestrator's store on SQLite.
impl SqlPartnerStore<Sqlite> {
    /// Opens `sqlite:path` (created when missing) or `sqlite::memory:` and migrates it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .busy_timeout(Duration::from_secs(5));
        let (pool, writes) = if memory {
            // Each connection to `:memory:` is a database of its own: keep exactly one.
            let pool = SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await?;
            (pool.clone(), pool)
        } else {
            // WAL with `synchronous=NORMAL`: a commit is in the log before it returns, so a
            // killed process loses nothing it acknowledged (only a power cut can lose the last
            // commits), without a sync of the disk per write.
            let options = options
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal);
            // A connection to a local file cannot go stale, so the pool's ping before each
            // acquire (a round trip to the connection's thread) buys nothing.
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await?;
            let writes = SqlitePoolOptions::new()
                .max_connections(1)
                .test_before_acquire(false)
                .connect_with(options)
                .await?;
            (pool, writes)
        };
        MIGRATOR.run(&writes).await?;
        let writer = super::writer::Writer::start(writes.clone());
        Ok(Self {
            pool,
            writes,
            writer,
        })
    }
}
