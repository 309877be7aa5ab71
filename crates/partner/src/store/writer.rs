//! Group commit for the orchestrator's one-statement writes.
//!
//! Every webhook delivery, send and sync step writes a row or two, many of them at once. Each
//! in a transaction of its own, they queue for the one write connection and pay a commit
//! each. The writer instead takes whatever is queued, runs it in one transaction and answers
//! each write only after that commit. Should the group fail (a constraint, a lost
//! connection), it is rolled back and every write goes again alone, so only the culprit fails.
//! A write is data (a statement and its values), so it can run twice.

use sqlx::{Database, Encode, Executor, IntoArguments, Pool, Type};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;
use super::sql::RowsAffected;

/// Writes queued before the writer stops taking more for a group.
const MAX_GROUP: usize = 256;

/// A value bound to a queued statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Arg {
    /// Text.
    Text(String),
    /// An integer.
    Int(i64),
}

/// One statement with its values: a write the writer can run, and run again alone.
#[derive(Debug, Clone)]
pub(super) struct Write {
    sql: String,
    args: Vec<Arg>,
}

impl Write {
    /// `sql` with `args` bound in order.
    pub(super) fn new(sql: impl Into<String>, args: Vec<Arg>) -> Self {
        Self {
            sql: sql.into(),
            args,
        }
    }
}

/// A queued write and where its result goes.
type Job = (Write, oneshot::Sender<Result<u64, StoreError>>);

/// The handle writes are queued through; clones share one writer.
#[derive(Debug, Clone)]
pub(super) struct Writer {
    queue: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts a writer on `pool`'s connections; it stops when every handle is dropped.
    pub(super) fn start<DB>(pool: Pool<DB>) -> Self
    where
        DB: Database,
        DB::Arguments: IntoArguments<DB>,
        DB::QueryResult: RowsAffected,
        for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
        for<'v> i64: Encode<'v, DB> + Type<DB>,
        for<'v> String: Encode<'v, DB> + Type<DB>,
    {
        let (queue, jobs) = mpsc::channel(MAX_GROUP * 4);
        tokio::spawn(run(pool, jobs));
        Self { queue }
    }

    /// Runs `write` in the next group; answers its affected rows once the group committed.
    pub(super) async fn write(&self, write: Write) -> Result<u64, StoreError> {
        let (done, answer) = oneshot::channel();
        self.queue
            .send((write, done))
            .await
            .map_err(|_| StoreError::Invalid("the store's writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Invalid("the store's writer dropped a write".into()))?
    }
}

/// Takes groups of queued writes until every handle is gone.
async fn run<DB>(pool: Pool<DB>, mut jobs: mpsc::Receiver<Job>)
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB>,
{
    while let Some(first) = jobs.recv().await {
        let mut group = vec![first];
        while group.len() < MAX_GROUP
            && let Ok(more) = jobs.try_recv()
        {
            group.push(more);
        }
        if group.len() > 1 {
            match together(&pool, &group).await {
                Ok(counts) => {
                    for ((_, done), n) in group.into_iter().zip(counts) {
                        let _ = done.send(Ok(n));
                    }
                    continue;
                }
                Err(e) => {
                    tracing::debug!(error = %e, "a group of writes failed; each goes alone");
                }
            }
        }
        for (write, done) in group {
            let _ = done.send(alone(&pool, &write).await);
        }
    }
}

/// Runs every write of `group` in one transaction.
async fn together<DB>(pool: &Pool<DB>, group: &[Job]) -> Result<Vec<u64>, StoreError>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB>,
{
    let mut tx = pool.begin().await?;
    let mut counts = Vec::with_capacity(group.len());
    for (write, _) in group {
        counts.push(execute(&mut *tx, write).await?);
    }
    tx.commit().await?;
    Ok(counts)
}

/// Runs `write` in a transaction of its own.
async fn alone<DB>(pool: &Pool<DB>, write: &Write) -> Result<u64, StoreError>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB>,
{
    let mut conn = pool.acquire().await?;
    execute(&mut *conn, write).await
}

/// Binds and runs one write.
async fn execute<DB>(conn: &mut DB::Connection, write: &Write) -> Result<u64, StoreError>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB>,
{
    let mut query = sqlx::query(sqlx::AssertSqlSafe(write.sql.clone()));
    for arg in &write.args {
        query = match arg {
            Arg::Text(s) => query.bind(s.clone()),
            Arg::Int(n) => query.bind(*n),
        };
    }
    Ok(query.execute(&mut *conn).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    use sqlx::sqlite::SqlitePoolOptions;

    use super::{Arg, Write, Writer};

    const INSERT: &str = "INSERT INTO t (id, n) VALUES ($1, $2)";

    #[tokio::test]
    async fn a_failing_write_fails_alone_and_the_rest_of_its_group_commits() {
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect("sqlite::memory:")
            .await
            .expect("open");
        sqlx::query("CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .expect("table");
        let writer = Writer::start(pool.clone());
        let write = |id: &str, n: i64| {
            let writer = writer.clone();
            let w = Write::new(INSERT, vec![Arg::Text(id.to_owned()), Arg::Int(n)]);
            async move { writer.write(w).await }
        };
        // Queued together: one group, whose duplicate key makes it go again write by write.
        let (a, b, dup, c) =
            tokio::join!(write("a", 1), write("b", 2), write("a", 3), write("c", 4));
        assert_eq!(a.expect("a"), 1);
        assert_eq!(b.expect("b"), 1);
        assert!(dup.is_err(), "{dup:?}");
        assert_eq!(c.expect("c"), 1);
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT id, n FROM t ORDER BY id")
            .fetch_all(&pool)
            .await
            .expect("read");
        assert_eq!(rows, [("a".into(), 1), ("b".into(), 2), ("c".into(), 4)]);
        // Answered counts are each write's own.
        let update = Write::new("UPDATE t SET n = n + 1 WHERE n > $1", vec![Arg::Int(1)]);
        assert_eq!(writer.write(update).await.expect("update"), 2);
    }
}
