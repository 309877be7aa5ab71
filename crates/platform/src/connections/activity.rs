//! What a connection is doing, and so which of its deadlines runs.
//!
//! A connection is always in one phase, and each phase but one has a deadline:
//!
//! | phase        | starts when                                   | deadline         |
//! |--------------|-----------------------------------------------|------------------|
//! | `Head`       | accepted, or the next request's first byte    | header timeout   |
//! | `Handling`   | a request's head is complete                  | none (the body has its own) |
//! | `Responding` | its response is ready                         | body timeout     |
//! | `Idle`       | the response is sent                          | idle timeout     |
//!
//! hyper's own header timeout starts as soon as a connection waits for a request, so it would
//! close every keep-alive connection idle for longer than the header timeout; hence phases of
//! our own. The connection's reads and its requests move the phase; the connection task sleeps
//! until the current deadline and is woken whenever the phase changes.
//!
//! A pipelining client's next request may be read while the previous one is handled; if only
//! part of it was, the connection waits for the rest under the idle timeout rather than the
//! header timeout. Either way the wait is bounded.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::config::ConnectionLimits;

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Waiting for a request's head, part of which may have arrived.
    Head(Instant),
    /// A request is being handled.
    Handling,
    /// Its response is being sent.
    Responding(Instant),
    /// Between requests, with nothing of the next one received.
    Idle(Instant),
}

/// Which deadline ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// The request head did not arrive in time.
    Header,
    /// The client did not take its response in time.
    Response,
    /// No request came in time.
    Idle,
}

impl Expired {
    /// For the log.
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header timeout",
            Self::Response => "response not taken in time",
            Self::Idle => "idle timeout",
        }
    }
}

/// The phase of one connection, shared by its socket, its requests and its task.
#[derive(Debug)]
pub(super) struct Activity {
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Activity {
    /// A connection just accepted: its first request's head is due within the header timeout.
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            phase: Mutex::new(Phase::Head(Instant::now())),
            changed: Notify::new(),
        })
    }

    fn phase(&self) -> Phase {
        // The lock guards a `Copy` value and no code can panic while holding it.
        *self.phase.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Moves to the phase `next` returns (if any), waking the connection task.
    fn update(&self, next: impl FnOnce(Phase) -> Option<Phase>) {
        let mut phase = self.phase.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(new) = next(*phase) {
            *phase = new;
            drop(phase);
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: between requests, they start the next request's head.
    fn received(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Some(Phase::Head(Instant::now())),
            _ => None,
        });
    }

    /// A request's head is complete; the returned guard ends the request when dropped.
    pub(super) fn request(self: &Arc<Self>) -> RequestGuard {
        self.update(|_| Some(Phase::Handling));
        RequestGuard(Arc::clone(self))
    }

    /// When the current phase's deadline is, and what it bounds; `None` while a request is
    /// handled (or when a timeout is too large to reach).
    pub(super) fn deadline(&self, limits: &ConnectionLimits) -> Option<(Instant, Expired)> {
        let (since, timeout, expired) = match self.phase() {
            Phase::Head(since) => (since, limits.header_timeout, Expired::Header),
            Phase::Handling => return None,
            Phase::Responding(since) => (since, limits.body_timeout, Expired::Response),
            Phase::Idle(since) => (since, limits.idle_timeout, Expired::Idle),
        };
        since.checked_add(timeout).map(|at| (at, expired))
    }

    /// Whether no request is in flight (the connection can be closed without losing one).
    pub(super) fn between_requests(&self) -> bool {
        matches!(self.phase(), Phase::Head(_) | Phase::Idle(_))
    }

    /// Completes at the next phase change (or at once if one happened since the last call).
    pub(super) async fn changed(&self) {
        self.changed.notified().await;
    }
}

/// A request in flight; dropping it (with the response body, once sent) ends the request.
#[derive(Debug)]
pub(super) struct RequestGuard(Arc<Activity>);

impl RequestGuard {
    /// The response is ready: from now on the client must take it within the body timeout.
    pub(super) fn responding(&self) {
        self.0.update(|phase| match phase {
            Phase::Handling => Some(Phase::Responding(Instant::now())),
            _ => None,
        });
    }
}

impl Drop for RequestGuard {
    fn drop(&mut self) {
        self.0.update(|_| Some(Phase::Idle(Instant::now())));
    }
}

/// A socket that reports the bytes it reads to its connection's [`Activity`].
#[derive(Debug)]
pub(super) struct Tracked {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Tracked {
    /// Wraps an accepted socket.
    pub(super) fn new(stream: TcpStream, activity: Arc<Activity>) -> Self {
        Self { stream, activity }
    }
}

impl AsyncRead for Tracked {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            this.activity.received();
        }
        read
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            header_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_connections: 1,
        }
    }

    #[test]
    fn each_phase_runs_its_own_deadline() {
        let activity = Activity::new();
        let kind = |a: &Activity| a.deadline(&limits()).map(|(_, e)| e);
        assert_eq!(kind(&activity), Some(Expired::Header));
        let request = activity.request();
        assert_eq!(kind(&activity), None);
        assert!(!activity.between_requests());
        request.responding();
        assert_eq!(kind(&activity), Some(Expired::Response));
        drop(request);
        assert_eq!(kind(&activity), Some(Expired::Idle));
        assert!(activity.between_requests());
        activity.received();
        assert_eq!(kind(&activity), Some(Expired::Header));
    }

    #[test]
    fn a_timeout_too_large_to_reach_sets_no_deadline() {
        let activity = Activity::new();
        let limits = ConnectionLimits {
            header_timeout: Duration::from_secs(u64::MAX),
            ..limits()
        };
        assert_eq!(activity.deadline(&limits), None);
    }
}
