//! Group commit, for either engine: every write goes to one writer, which applies whatever is
//! queued in one transaction and answers each write only once that transaction commits.
//!
//! Change sets that delete nothing go first, together, each kind of row many to a statement.
//! When that fails (a guard, a conflict), the transaction is rolled back and they go again one
//! by one, each in a savepoint of its own, so that only the culprit fails. Every other write
//! (claims, outcomes, reservations, a world load, change sets that delete) goes alone the same
//! way. One commit, and so one sync of the log, serves the whole group: on SQLite that spares
//! the race for its single write lock, on PostgreSQL a flush of the log per write.

use sqlx::{Database, Pool, Transaction};
use tokio::sync::{mpsc, oneshot};

use crate::engine::{Engine, Write, Written};
use crate::sql::{apply, run};
use crate::{ChangeSet, StoreError};

/// Most writes one group commit takes.
pub(crate) const GROUP_MAX: usize = 256;

/// A group this large says writes are arriving faster than they commit.
const BUSY_GROUP: usize = 4;

/// How long a writer on a thread of its own waits for more writes before a group, while
/// writes arrive faster than they commit: a commit's cost is mostly the pages it touches, and
/// the same pages serve a larger group for little more.
const GATHER: std::time::Duration = std::time::Duration::from_micros(300);

/// What a write's sender gets.
type Outcome = Result<Written, StoreError>;

/// A write waiting for the writer, and where its outcome goes.
pub(crate) type Job = (Write, oneshot::Sender<Outcome>);

/// The queue a store sends its writes to.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer of `E` on `pool`: on a thread of its own (named `name`) when
    /// `own_thread`, else as a task of the current runtime. It ends when every clone of the
    /// returned [`Writer`] is gone.
    ///
    /// A thread of its own suits SQLite, whose statements run on threads of their own: on the
    /// shared runtime each of the writer's steps would wait behind every request in the queue,
    /// and everyone waits for the writer. PostgreSQL's connections belong to the runtime that
    /// opened them, so its writer stays on the shared runtime.
    pub(crate) fn start<E: Engine>(
        pool: Pool<E::Db>,
        name: &str,
        own_thread: bool,
    ) -> Result<Self, StoreError> {
        let (jobs, queue) = mpsc::channel(GROUP_MAX * 4);
        if own_thread {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| StoreError::Invalid(format!("cannot start the writer: {e}")))?;
            std::thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || runtime.block_on(write_loop::<E>(pool, queue, true)))
                .map_err(|e| StoreError::Invalid(format!("cannot start the writer: {e}")))?;
        } else {
            tokio::spawn(write_loop::<E>(pool, queue, false));
        }
        Ok(Self { jobs })
    }

    /// Queues `write` and waits for the commit of its group.
    pub(crate) async fn write(&self, write: Write) -> Outcome {
        let (done, outcome) = oneshot::channel();
        self.jobs
            .send((write, done))
            .await
            .map_err(|_| StoreError::Invalid("the writer has stopped".into()))?;
        outcome
            .await
            .map_err(|_| StoreError::Invalid("the writer dropped a write".into()))?
    }

    /// A handle that does not keep the writer alive.
    pub(crate) fn downgrade(&self) -> mpsc::WeakSender<Job> {
        self.jobs.downgrade()
    }
}

/// The writer: takes every queued write (up to [`GROUP_MAX`]) and commits them together.
/// `own_thread` says it may block its thread: then, under load, it waits [`GATHER`] for more
/// writes before each group.
async fn write_loop<E: Engine>(
    pool: Pool<E::Db>,
    mut queue: mpsc::Receiver<Job>,
    own_thread: bool,
) {
    let mut busy = false;
    while let Some(first) = queue.recv().await {
        let mut group = vec![first];
        drain(&mut queue, &mut group);
        if busy && own_thread && group.len() < GROUP_MAX {
            // Nothing else runs on this thread: a short sleep costs no one but the group.
            #[expect(
                clippy::disallowed_methods,
                reason = "a wait for more writes on the writer's own thread, in real time: \
                          no platform time is involved"
            )]
            std::thread::sleep(GATHER);
            drain(&mut queue, &mut group);
        }
        busy = group.len() >= BUSY_GROUP;
        commit_group::<E>(&pool, group).await;
    }
}

/// Adds whatever is queued to `group`, up to [`GROUP_MAX`].
fn drain(queue: &mut mpsc::Receiver<Job>, group: &mut Vec<Job>) {
    while group.len() < GROUP_MAX {
        match queue.try_recv() {
            Ok(job) => group.push(job),
            Err(_) => break,
        }
    }
}

/// Commits one group; see the module docs.
async fn commit_group<E: Engine>(pool: &Pool<E::Db>, group: Vec<Job>) {
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
        match apply::<E::Db>(&mut tx, &sets).await {
            Ok(written) => {
                for ((seqs, outbox), done) in written.into_iter().zip(senders) {
                    landed.push((Ok(Written::Enqueued { seqs, outbox }), done));
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
        let written = if write.is_one_statement() && !E::FAILED_STATEMENT_ABORTS {
            // The engine undoes a failed statement by itself; the transaction goes on.
            run::<E>(&mut tx, write).await
        } else {
            match Transaction::<E::Db>::begin(&mut *tx, None).await {
                Ok(mut savepoint) => {
                    let written = run::<E>(&mut savepoint, write).await;
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
async fn begin<DB: Database>(
    pool: &Pool<DB>,
    together: &mut Vec<(ChangeSet, oneshot::Sender<Outcome>)>,
    alone: &mut Vec<Job>,
) -> Option<Transaction<'static, DB>> {
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
async fn settle<DB: Database, T>(
    savepoint: Transaction<'_, DB>,
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
