//! The SQLite backend: a file (WAL mode) or an in-memory database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Acquire, Pool, Sqlite, SqlitePool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::engine::{Engine, Write, Written};
use crate::sql::{apply, run};
use crate::{Backend, Conflict, StoreError};

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// Connections to a file database; writers queue on SQLite's lock (with a busy timeout).
const FILE_POOL_SIZE: u32 = 4;

/// How long a connection waits for another's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often the log is checkpointed.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(500);

/// Most change sets one group commit takes.
const GROUP_MAX: usize = 256;

/// A write waiting for the writer, and where its outcome goes.
type Job = (Write, oneshot::Sender<Result<Written, StoreError>>);

/// A [`Store`](crate::Store) on SQLite.
///
/// SQLite has one writer at a time. Rather than let concurrent writes race for its lock (and
/// sleep in the busy handler), every write (change sets, webhook claims and outcomes, counter
/// reservations) goes to one writer task, which applies whatever is queued in one
/// transaction, each write inside a savepoint of its own: a write that fails (a unique
/// conflict, a guard) rolls back alone and gets its error; the rest commit together, with one
/// sync. Nobody is answered before the commit.
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
                        .synchronous(SqliteSynchronous::Normal)
                        // Checkpoints run beside the writer (see `checkpoint_loop`); the
                        // writer itself checkpoints only if the log grows past ~40 MB.
                        .pragma("wal_autocheckpoint", "10000"),
                )
                .await?
        };
        MIGRATOR.run(&pool).await?;
        let (writer, jobs) = mpsc::channel(GROUP_MAX * 4);
        if !is_memory(url) {
            tokio::spawn(checkpoint_loop(pool.clone(), writer.downgrade()));
        }
        // The writer runs on a thread of its own: on the shared runtime each of its statements
        // would wait behind every request in the queue, and everyone waits for the writer.
        let writer_pool = pool.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot start the SQLite writer: {e}")))?;
        std::thread::Builder::new()
            .name("wamm-sqlite-writer".into())
            .spawn(move || runtime.block_on(write_loop(writer_pool, jobs)))
            .map_err(|e| StoreError::Invalid(format!("cannot start the SQLite writer: {e}")))?;
        Ok(Self { pool, writer })
    }
}

impl Engine for SqliteStore {
    type Db = Sqlite;

    const BACKEND: Backend = Backend::Sqlite;

    /// SQLite: one `UPDATE` takes the database's single write lock before it reads, so two
    /// claimers never see the same unleased row. Unleased and lapsed rows are found through
    /// their own indexes, so rows in flight cost nothing.
    const CLAIM: &'static str = "UPDATE webhook_outbox SET lease_until = $1 \
        WHERE id IN (SELECT id FROM ( \
        SELECT id FROM (SELECT id FROM webhook_outbox WHERE status = 'pending' \
        AND lease_until IS NULL AND next_attempt_at <= $2 ORDER BY id LIMIT $4) \
        UNION ALL \
        SELECT id FROM (SELECT id FROM webhook_outbox WHERE status = 'pending' \
        AND lease_until IS NOT NULL AND lease_until < $3 AND next_attempt_at <= $2 \
        ORDER BY lease_until LIMIT $4)) \
        ORDER BY id LIMIT $4) \
        RETURNING id, app_id, endpoint, object_id, field, value, time_ms, include_time, status, \
        attempts, next_attempt_at, created_at, delivered_at, last_error";

    fn pool(&self) -> &Pool<Sqlite> {
        &self.pool
    }

    /// Queues `write` for the writer and waits for its commit.
    async fn write(&self, write: Write) -> Result<Written, StoreError> {
        let (done, outcome) = oneshot::channel();
        self.writer
            .send((write, done))
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

/// What a write's sender gets.
type Outcome = Result<Written, StoreError>;

async fn commit_group(pool: &SqlitePool, group: Vec<Job>) {
    // Change sets that delete nothing go together, each kind of row many to a statement; if
    // that fails (a guard, a conflict), they go again one by one so only the culprit fails.
    let mut together = Vec::new();
    let mut alone = Vec::new();
    for (write, done) in group {
        match write {
            Write::Commit(changes) if changes.deletes.is_empty() => {
                together.push((changes, done));
            }
            write => alone.push((write, done)),
        }
    }
    let Some(mut tx) = begin(pool, &mut together, &mut alone).await else {
        return;
    };
    let mut landed: Vec<(Outcome, oneshot::Sender<Outcome>)> = Vec::new();
    if !together.is_empty() {
        let (sets, senders): (Vec<_>, Vec<_>) = together.drain(..).unzip();
        // First in the transaction: a failure rolls back the whole of it, no savepoint needed.
        match apply::<Sqlite>(&mut tx, &sets).await {
            Ok(seqs) => {
                for (seqs, done) in seqs.into_iter().zip(senders) {
                    landed.push((Ok(Written::Seqs(seqs)), done));
                }
            }
            Err(e) => {
                if let Err(e) = tx.rollback().await {
                    tracing::warn!(error = %e, "could not roll back a failed group");
                }
                let mut sets: Vec<_> = sets.into_iter().zip(senders).collect();
                if sets.len() == 1
                    && let Some((_, done)) = sets.pop()
                {
                    // It was alone: the failure is its own.
                    let _ = done.send(Err(e));
                }
                alone.extend(
                    sets.into_iter()
                        .map(|(changes, done)| (Write::Commit(changes), done)),
                );
                let Some(again) = begin(pool, &mut together, &mut alone).await else {
                    return;
                };
                tx = again;
            }
        }
    }
    for (write, done) in alone {
        let written = if write.is_one_statement() {
            // SQLite undoes a failed statement by itself; the transaction goes on.
            run::<SqliteStore>(&mut tx, write).await
        } else {
            match tx.begin().await {
                Ok(mut savepoint) => {
                    let written = run::<SqliteStore>(&mut savepoint, write).await;
                    settle(savepoint, written).await
                }
                Err(e) => Err(e.into()),
            }
        };
        match written {
            Ok(written) => landed.push((Ok(written), done)),
            Err(e) => {
                let _ = done.send(Err(e));
            }
        }
    }
    match tx.commit().await {
        Ok(()) => {
            for (written, done) in landed {
                let _ = done.send(written);
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

/// Begins the group's transaction; when that fails, answers every waiting write with the
/// error and returns `None`.
async fn begin(
    pool: &SqlitePool,
    together: &mut Vec<(crate::ChangeSet, oneshot::Sender<Outcome>)>,
    alone: &mut Vec<Job>,
) -> Option<Transaction<'static, Sqlite>> {
    match pool.begin().await {
        Ok(tx) => Some(tx),
        Err(e) => {
            let text = e.to_string();
            let cannot = || Err(StoreError::Invalid(format!("cannot begin: {text}")));
            for (_, done) in together.drain(..) {
                let _ = done.send(cannot());
            }
            for (_, done) in alone.drain(..) {
                let _ = done.send(cannot());
            }
            None
        }
    }
}

/// Keeps a savepoint's work when it succeeded, rolls it back when it failed.
async fn settle<T>(
    savepoint: Transaction<'_, Sqlite>,
    result: Result<T, StoreError>,
) -> Result<T, StoreError> {
    match result {
        Ok(value) => {
            savepoint.commit().await?;
            Ok(value)
        }
        Err(e) => {
            savepoint.rollback().await?;
            Err(e)
        }
    }
}

/// Whether a SQLite URL names an in-memory database.
fn is_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}
