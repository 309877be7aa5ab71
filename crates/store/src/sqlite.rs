//! The SQLite backend: a file (WAL mode) or an in-memory database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use sqlx::Acquire;
use tokio::sync::{mpsc, oneshot};

use crate::shared::impl_store;
use crate::{Backend, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections to a file database; writers queue on SQLite's lock (with a busy timeout).
const FILE_POOL_SIZE: u32 = 4;

/// How long a connection waits for another's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Most change sets one group commit takes.
const GROUP_MAX: usize = 256;

/// A change set waiting for the writer, and where its outcome goes.
type Job = (
    crate::ChangeSet,
    oneshot::Sender<Result<Vec<i64>, StoreError>>,
);

/// A [`Store`](crate::Store) on SQLite.
///
/// SQLite has one writer at a time. Rather than let concurrent commits race for its lock (and
/// sleep in the busy handler), every [`ChangeSet`](crate::ChangeSet) goes to one writer task,
/// which applies whatever is queued in one transaction, each change set inside a savepoint of
/// its own: a change set that fails (a unique conflict, a guard) rolls back alone and gets its
/// error; the rest commit together, with one sync. Nobody is answered before the commit.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: mpsc::Sender<Job>,
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
        let (writer, jobs) = mpsc::channel(GROUP_MAX * 4);
        tokio::spawn(write_loop(pool.clone(), jobs));
        Ok(Self { pool, writer })
    }

    /// Queues `changes` for the writer and waits for their commit.
    async fn write(&self, changes: crate::ChangeSet) -> Result<Vec<i64>, StoreError> {
        let (done, outcome) = oneshot::channel();
        self.writer
            .send((changes, done))
            .await
            .map_err(|_| StoreError::Invalid("the SQLite writer has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Invalid("the SQLite writer dropped a commit".into()))?
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

/// The writer: takes every queued change set (up to [`GROUP_MAX`]) and commits them together.
/// Ends when every [`SqliteStore`] clone is gone.
async fn write_loop(pool: SqlitePool, mut jobs: mpsc::Receiver<Job>) {
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < GROUP_MAX {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        commit_group(&pool, group).await;
    }
}

async fn commit_group(pool: &SqlitePool, group: Vec<Job>) {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let text = e.to_string();
            for (_, done) in group {
                let _ = done.send(Err(StoreError::Invalid(format!("cannot begin: {text}"))));
            }
            return;
        }
    };
    let mut landed = Vec::with_capacity(group.len());
    for (changes, done) in group {
        let outcome = async {
            let mut savepoint = tx.begin().await?;
            match SqliteStore::apply(&mut savepoint, changes).await {
                Ok(seqs) => {
                    savepoint.commit().await?;
                    Ok(seqs)
                }
                Err(e) => {
                    savepoint.rollback().await?;
                    Err(e)
                }
            }
        }
        .await;
        match outcome {
            Ok(seqs) => landed.push((seqs, done)),
            Err(e) => {
                let _ = done.send(Err(e));
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            for (seqs, done) in landed {
                let _ = done.send(Ok(seqs));
            }
        }
        Err(e) => {
            let text = e.to_string();
            for (_, done) in landed {
                let _ = done.send(Err(StoreError::Invalid(format!("commit failed: {text}"))));
            }
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
