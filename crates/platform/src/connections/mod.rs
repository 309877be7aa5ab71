//! The accept loop: connections bounded in number and in time.
//!
//! hyper serves each connection; around it this module enforces what a bare accept loop does
//! not:
//! - a limit on connections served at once (lowered to what the open-file limit allows, see
//!   `descriptors`); a connection over it is answered 503 and closed;
//! - a deadline on every phase of a connection (see `activity`): header, idle, and body
//!   timeouts, so that slow or silent clients cannot hold sockets;
//! - limits on the request head and a deadline on the request body, answered in Graph's shape
//!   (see `requests`);
//! - accept errors, running out of descriptors above all, which never end the loop: it sheds
//!   the waiting connection or pauses, logs once per burst, and recovers by itself.
//!
//! Stopping stops accepting, closes the connections with no request in flight, and waits for
//! the others to be answered.

mod activity;
mod descriptors;
mod requests;

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot, watch};
use tokio::time::Instant;

use self::activity::{Activity, Tracked};
use self::requests::Gate;
use crate::config::ConnectionLimits;

/// Connections over the limit being answered 503 at once; beyond this they are closed without
/// an answer, since each holds a descriptor.
const MAX_REFUSALS: u32 = 16;

/// The longest a connection over the limit is kept for its 503.
const REFUSAL_GRACE: Duration = Duration::from_secs(2);

/// The pause after an accept error that shedding could not resolve.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `app` on `listener` until `stop` fires (or its sender is dropped), then waits for
/// the requests in flight.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    mut stop: oneshot::Receiver<()>,
) {
    let mut acceptor = Acceptor::new(app, limits);
    loop {
        let accepted = tokio::select! {
            biased;
            _ = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let pause = match accepted {
            Ok((stream, peer)) => {
                acceptor.admit(stream, peer);
                None
            }
            Err(e) => acceptor.failed(&listener, &e).await,
        };
        if let Some(pause) = pause {
            tokio::select! {
                biased;
                _ = &mut stop => break,
                () = tokio::time::sleep(pause) => {}
            }
        }
    }
    drop(listener);
    acceptor.drain().await;
}

/// What the accept loop keeps between connections.
struct Acceptor {
    app: Router,
    limits: ConnectionLimits,
    /// One permit per connection served, held until it ends.
    connections: Arc<Semaphore>,
    budget: u32,
    /// One permit per connection being answered 503.
    refusals: Arc<Semaphore>,
    /// Set once stopping; every connection watches it.
    closing: watch::Sender<bool>,
    spare: descriptors::Spare,
    /// Accept errors in a row.
    starved: Burst,
    /// Connections refused in a row for the limit.
    full: Burst,
}

impl Acceptor {
    fn new(app: Router, limits: ConnectionLimits) -> Self {
        let budget =
            descriptors::connection_budget(limits.max_connections).clamp(1, Semaphore::MAX_PERMITS);
        let budget = u32::try_from(budget).unwrap_or(u32::MAX);
        Self {
            app,
            limits,
            connections: Arc::new(Semaphore::new(budget as usize)),
            budget,
            refusals: Arc::new(Semaphore::new(MAX_REFUSALS as usize)),
            closing: watch::channel(false).0,
            spare: descriptors::Spare::open(),
            starved: Burst::default(),
            full: Burst::default(),
        }
    }

    /// Serves an accepted connection, or refuses it when the limit is reached.
    fn admit(&mut self, stream: TcpStream, peer: SocketAddr) {
        self.starved.end("accepting connections again");
        let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() else {
            let max_connections = self.budget;
            self.full.begin(|| {
                tracing::warn!(
                    max_connections,
                    "connection limit reached: answering new connections 503"
                );
            });
            refuse(stream, &self.refusals);
            return;
        };
        self.full.end("serving new connections again");
        tokio::spawn(connection(
            stream,
            peer,
            self.app.clone(),
            self.limits,
            self.closing.subscribe(),
            permit,
        ));
    }

    /// Deals with a failed accept; returns how long to pause before accepting again.
    async fn failed(&mut self, listener: &TcpListener, error: &io::Error) -> Option<Duration> {
        // The client gave up before it was accepted: nothing to do.
        if per_connection(error) {
            return None;
        }
        let out_of_descriptors = descriptors::exhausted(error);
        self.starved.begin(|| {
            if out_of_descriptors {
                tracing::warn!(
                    %error,
                    "out of file descriptors: closing new connections until some are free \
                     (raise `ulimit -n` or lower --max-connections)"
                );
            } else {
                tracing::warn!(%error, "cannot accept connections; retrying");
            }
        });
        let shed = out_of_descriptors && self.spare.shed(listener).await;
        (!shed).then_some(ACCEPT_BACKOFF)
    }

    /// Tells every connection to close once it has no request in flight, and waits for them
    /// all (and for the refusals under way).
    async fn drain(self) {
        self.closing.send_replace(true);
        // Each connection holds a permit until it ends: once they are all back, all have ended.
        let _ = self.connections.acquire_many(self.budget).await;
        let _ = self.refusals.acquire_many(MAX_REFUSALS).await;
    }
}

/// Accept errors that concern only the connection being accepted.
fn per_connection(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::Interrupted
            | io::ErrorKind::WouldBlock
    )
}

/// A run of the same trouble, logged once when it begins and once when it ends.
#[derive(Debug, Default)]
struct Burst {
    count: u64,
    since: Option<Instant>,
}

impl Burst {
    /// Counts one occurrence, logging with `log` if it starts a burst.
    fn begin(&mut self, log: impl FnOnce()) {
        if self.since.is_none() {
            log();
            self.since = Some(Instant::now());
        }
        self.count += 1;
    }

    /// Ends the burst, if one is running, with `message`.
    fn end(&mut self, message: &str) {
        if let Some(since) = self.since.take() {
            tracing::info!(
                refused = self.count,
                after_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX),
                "{message}"
            );
            self.count = 0;
        }
    }
}

/// The HTTP/1.1 settings of every connection.
fn http1_builder() -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        // The deadlines of [`activity`] replace hyper's header timeout, which would also cut
        // keep-alive connections idle for longer than it.
        .header_read_timeout(None)
        .max_buf_size(requests::HEAD_BUFFER)
        .max_headers(requests::HYPER_MAX_HEADERS);
    builder
}

/// Serves one connection until it ends, a deadline of its current phase passes, or the
/// server stops.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    mut closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
) {
    let activity = Activity::new();
    let io = TokioIo::new(Tracked::new(stream, Arc::clone(&activity)));
    let gate = Gate::new(app, Arc::clone(&activity), limits.body_timeout);
    let mut conn = pin!(http1_builder().serve_connection(io, gate));
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    let mut draining = false;
    loop {
        let deadline = activity.deadline(&limits);
        if let Some((at, _)) = deadline {
            timer.as_mut().reset(at);
        }
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            () = activity.changed() => {}
            () = timer.as_mut(), if deadline.is_some() => {
                // The phase may have moved on since the deadline was read.
                if let Some((at, expired)) = activity.deadline(&limits)
                    && at <= Instant::now()
                {
                    tracing::debug!(%peer, reason = expired.as_str(), "closing the connection");
                    return;
                }
            }
            _ = closing.changed(), if !draining => {
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
        }
        // Stopping: a connection with no request in flight closes now; one with a request
        // closes once it is answered.
        if draining && activity.between_requests() {
            return;
        }
    }
}

/// Answers a connection over the limit with 503 and closes it, or closes it at once when too
/// many refusals are already under way.
fn refuse(stream: TcpStream, refusals: &Arc<Semaphore>) {
    let Ok(permit) = Arc::clone(refusals).try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let answer =
            hyper::service::service_fn(|_| async { Ok::<_, Infallible>(requests::unavailable()) });
        let mut builder = http1_builder();
        builder.keep_alive(false);
        let conn = builder.serve_connection(TokioIo::new(stream), answer);
        let _ = tokio::time::timeout(REFUSAL_GRACE, conn).await;
    });
}
