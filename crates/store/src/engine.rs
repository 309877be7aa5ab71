//! What a backend supplies ([`Engine`]): its database, its connection pool, its write path,
//! its consistent reads, its webhook claim statement and how it names a violated constraint.
//! Everything else is written once, over any engine, in [`crate::sql`].

use std::future::Future;

use sqlx::{Pool, Transaction};
use wamm_domain::{OutboxItem, Timestamp};

use crate::document::Documents;
use crate::journal::{AttemptColumns, Journal};
use crate::{Backend, Conflict, StoreError};

/// A database engine behind the [`Store`](crate::Store): SQLite or PostgreSQL.
pub(crate) trait Engine: Send + Sync + 'static {
    /// The sqlx database, which holds documents and the journal.
    type Db: Documents + Journal;

    /// Which backend this is.
    const BACKEND: Backend;

    /// Whether a failed statement aborts the transaction around it (PostgreSQL) rather than
    /// undoing only itself (SQLite): then even a write of one statement needs a savepoint.
    const FAILED_STATEMENT_ABORTS: bool;

    /// How to lease due webhooks: `$1` lease until, `$2` now (platform clock), `$3` wall time,
    /// `$4` limit; returns the leased rows as an [`OutboxRow`](crate::journal::OutboxRow), in
    /// no order.
    const CLAIM: &'static str;

    /// The pool reads go through.
    fn pool(&self) -> &Pool<Self::Db>;

    /// Applies `write` with [`crate::sql::run`] in a transaction: in practice queues it for
    /// the engine's group writer ([`crate::group`]).
    fn write(&self, write: Write) -> impl Future<Output = Result<Written, StoreError>> + Send;

    /// A transaction whose reads all see one snapshot.
    fn begin_read(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, StoreError>> + Send;

    /// Which rule a unique violation broke.
    fn conflict(err: &dyn sqlx::error::DatabaseError) -> Conflict;
}

/// A database error from a write, with unique violations turned into
/// [`StoreError::Conflict`] as `conflict` names them.
pub(crate) fn write_error(
    err: StoreError,
    conflict: impl FnOnce(&dyn sqlx::error::DatabaseError) -> Conflict,
) -> StoreError {
    match err {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(conflict(&*db))
        }
        other => other,
    }
}

/// A write to the database, applied in one transaction with whatever else the engine's group
/// writer took at the same time ([`crate::group`]).
pub(crate) enum Write {
    /// A [`ChangeSet`](crate::ChangeSet); answers the sequence numbers of its events.
    Commit(crate::ChangeSet),
    /// Reserves `n` values of the counter `key`; answers the last value before them.
    Reserve { key: String, n: i64 },
    /// Leases due webhooks (see [`Engine::CLAIM`]).
    Claim {
        now: Timestamp,
        wall_ms: i64,
        lease_ms: i64,
        limit: i64,
    },
    /// Records delivery attempts and their outcomes.
    Finish(Vec<(AttemptColumns, wamm_domain::Outcome)>),
    /// Puts an outbox row back to pending; answers whether it existed.
    Redeliver { id: i64, now: Timestamp },
    /// Replaces the whole world.
    World(Box<wamm_domain::WorldState>),
}

impl Write {
    /// Whether the write is one statement, which needs no transaction of its own.
    pub(crate) const fn is_one_statement(&self) -> bool {
        matches!(
            self,
            Self::Reserve { .. } | Self::Claim { .. } | Self::Redeliver { .. }
        )
    }
}

/// What a [`Write`] answers.
pub(crate) enum Written {
    /// The sequence numbers of a commit's events and the deliveries that fall to it.
    Enqueued {
        /// The events' sequence numbers.
        seqs: Vec<i64>,
        /// See [`crate::Committed::outbox`].
        outbox: Vec<OutboxItem>,
    },
    /// The counter value before a reservation.
    Reserved(i64),
    /// Leased webhooks.
    Claimed(Vec<OutboxItem>),
    /// Whether a row changed.
    Changed(bool),
    /// Nothing to answer.
    Done,
}

impl Written {
    fn other(self) -> StoreError {
        StoreError::Invalid("the writer answered a different kind of write".into())
    }

    pub(crate) fn seqs(self) -> Result<Vec<i64>, StoreError> {
        match self {
            Self::Enqueued { seqs, .. } => Ok(seqs),
            other => Err(other.other()),
        }
    }

    pub(crate) fn enqueued(self) -> Result<(Vec<i64>, Vec<OutboxItem>), StoreError> {
        match self {
            Self::Enqueued { seqs, outbox } => Ok((seqs, outbox)),
            other => Err(other.other()),
        }
    }

    pub(crate) fn reserved(self) -> Result<i64, StoreError> {
        match self {
            Self::Reserved(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn claimed(self) -> Result<Vec<OutboxItem>, StoreError> {
        match self {
            Self::Claimed(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn changed(self) -> Result<bool, StoreError> {
        match self {
            Self::Changed(v) => Ok(v),
            other => Err(other.other()),
        }
    }

    pub(crate) fn done(self) -> Result<(), StoreError> {
        match self {
            Self::Done => Ok(()),
            other => Err(other.other()),
        }
    }
}
