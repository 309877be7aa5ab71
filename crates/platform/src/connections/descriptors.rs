//! File descriptors: how many connections the process can afford, and what to do when it has
//! none left.
//!
//! Every connection costs a descriptor, and so do the database (each SQLite connection holds
//! the database, its log and its shared memory), webhook deliveries and the runtime. The
//! connection limit therefore keeps [`RESERVED`] descriptors back from the open-file limit,
//! raising the soft limit if the hard one allows. Should descriptors run out all the same
//! (another part of the process, or a limit lowered from outside), [`Spare`] lets the accept
//! loop shed waiting connections instead of leaving them in the backlog.

use std::fs::File;
use std::io;
use std::time::Duration;

use tokio::net::TcpListener;

/// Descriptors kept back from connections for the database, webhook deliveries, the runtime,
/// the standard streams and refusals in progress.
pub(super) const RESERVED: u64 = 64;

/// How long shedding waits for the connection that could not be accepted (it is already
/// waiting, so this only matters if its client gave up meanwhile).
const SHED_WAIT: Duration = Duration::from_millis(5);

/// How many connections to serve at once: `configured`, unless the open-file limit (raised as
/// far as the hard limit allows) leaves room for fewer.
pub(super) fn connection_budget(configured: usize) -> usize {
    let wanted = u64::try_from(configured)
        .unwrap_or(u64::MAX)
        .saturating_add(RESERVED);
    let Some(limit) = open_file_limit(wanted) else {
        return configured;
    };
    let room = usize::try_from(limit.saturating_sub(RESERVED))
        .unwrap_or(usize::MAX)
        .max(1);
    if room < configured {
        tracing::warn!(
            max_connections = configured,
            open_file_limit = limit,
            serving = room,
            "the open-file limit leaves room for fewer connections than asked; serving at most \
             {room} at once (raise `ulimit -n` to serve more)"
        );
        return room;
    }
    configured
}

/// The open-file limit after raising it towards `wanted`; `None` where it cannot be read.
#[cfg(unix)]
fn open_file_limit(wanted: u64) -> Option<u64> {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limits = getrlimit(Resource::Nofile);
    let current = limits.current?;
    if current >= wanted {
        return Some(current);
    }
    let raised = limits.maximum.map_or(wanted, |hard| hard.min(wanted));
    if raised > current
        && setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(raised),
                maximum: limits.maximum,
            },
        )
        .is_ok()
    {
        tracing::debug!(from = current, to = raised, "raised the open-file limit");
        return Some(raised);
    }
    Some(current)
}

#[cfg(not(unix))]
fn open_file_limit(_wanted: u64) -> Option<u64> {
    None
}

/// Whether an accept failed because the process or the system ran out of descriptors.
pub(super) fn exhausted(error: &io::Error) -> bool {
    #[cfg(unix)]
    {
        use rustix::io::Errno;
        matches!(
            Errno::from_io_error(error),
            Some(e) if e == Errno::MFILE || e == Errno::NFILE
        )
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// A descriptor held in reserve, so that with none left a waiting connection can still be
/// accepted and closed at once. Otherwise it would stay in the backlog, its client hanging,
/// and the listener would report it again and again.
#[derive(Debug)]
pub(super) struct Spare(Option<File>);

impl Spare {
    /// Takes the spare descriptor (none where `/dev/null` cannot be opened).
    pub(super) fn open() -> Self {
        Self(File::open("/dev/null").ok())
    }

    /// With descriptors exhausted: frees the spare, accepts the waiting connection, closes it
    /// and takes the spare back. Returns whether a connection was shed; when not (no spare to
    /// free), the caller should pause before accepting again.
    pub(super) async fn shed(&mut self, listener: &TcpListener) -> bool {
        if self.0.take().is_none() {
            *self = Self::open();
            return false;
        }
        let accepted = tokio::time::timeout(SHED_WAIT, listener.accept()).await;
        let shed = matches!(accepted, Ok(Ok(_)));
        // Dropping the connection closes it: no answer is possible without a descriptor to
        // spare, and the client sees the connection closed instead of hanging.
        drop(accepted);
        *self = Self::open();
        shed
    }
}
