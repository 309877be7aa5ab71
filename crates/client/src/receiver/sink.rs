//! [`EventSink`]: where the receiver hands each verified, parsed notification.
//!
//! Meta wants a 200 within a few hundred milliseconds and retries what it does not get one
//! for, so the router waits for the sink before answering: a sink that accepted the
//! notification means a 200, a sink that refused means a 503 and a retry from Meta later.
//! Sinks should therefore only *take* the notification (queue it, write it down) and leave the
//! work on it to something else.
//!
//! The trait returns a boxed future rather than being an `async fn` so that it stays
//! object-safe: the router keeps its sink as `Arc<dyn EventSink>`. Ready-made sinks: a tokio
//! [`mpsc::Sender`] or [`mpsc::UnboundedSender`] of [`Notification`]s, an `Arc` of any sink, and
//! any async closure through [`sink_fn`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::events::Notification;

/// The future an [`EventSink`] returns.
pub type Delivery<'a> = Pin<Box<dyn Future<Output = Result<(), SinkError>> + Send + 'a>>;

/// Why a sink did not take a notification; the receiver answers 503 so that Meta retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the event sink did not take the notification: {reason}")]
pub struct SinkError {
    reason: String,
}

impl SinkError {
    /// A refusal for `reason` (it is logged; keep secrets out of it).
    pub fn new(reason: impl Into<String>) -> Self {
        Self {
            reason: reason.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

/// Takes the notifications the receiver verified and parsed.
pub trait EventSink: Send + Sync + 'static {
    /// Takes one notification. Resolve quickly: the webhook's answer waits for it.
    fn deliver(&self, notification: Notification) -> Delivery<'_>;
}

impl<T: EventSink + ?Sized> EventSink for Arc<T> {
    fn deliver(&self, notification: Notification) -> Delivery<'_> {
        (**self).deliver(notification)
    }
}

/// Queues without waiting: a full queue refuses (503, Meta retries later) rather than hold
/// Meta's request open until the consumer catches up.
impl EventSink for mpsc::Sender<Notification> {
    fn deliver(&self, notification: Notification) -> Delivery<'_> {
        let sent = self.try_send(notification).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => SinkError::new("the queue is full"),
            mpsc::error::TrySendError::Closed(_) => SinkError::new("the queue is closed"),
        });
        Box::pin(std::future::ready(sent))
    }
}

impl EventSink for mpsc::UnboundedSender<Notification> {
    fn deliver(&self, notification: Notification) -> Delivery<'_> {
        let sent = self
            .send(notification)
            .map_err(|_| SinkError::new("the queue is closed"));
        Box::pin(std::future::ready(sent))
    }
}

/// A sink made from an async closure; see [`sink_fn`].
#[derive(Clone)]
pub struct FnSink<F>(F);

impl<F> fmt::Debug for FnSink<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnSink")
    }
}

/// A sink that calls `f` with each notification; `f` accepts it by returning `Ok(())`.
pub fn sink_fn<F, Fut>(f: F) -> FnSink<F>
where
    F: Fn(Notification) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), SinkError>> + Send + 'static,
{
    FnSink(f)
}

impl<F, Fut> EventSink for FnSink<F>
where
    F: Fn(Notification) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), SinkError>> + Send + 'static,
{
    fn deliver(&self, notification: Notification) -> Delivery<'_> {
        Box::pin((self.0)(notification))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty() -> Notification {
        Notification {
            object: "whatsapp_business_account".into(),
            entry: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_bounded_queue_refuses_when_full_or_closed() {
        let (tx, mut rx) = mpsc::channel(1);
        assert_eq!(tx.deliver(empty()).await, Ok(()));
        let full = tx.deliver(empty()).await.expect_err("full");
        assert_eq!(full.reason(), "the queue is full");
        assert_eq!(rx.recv().await, Some(empty()));
        drop(rx);
        assert!(tx.deliver(empty()).await.is_err());
    }

    #[tokio::test]
    async fn closures_and_shared_sinks() {
        let sink: Arc<dyn EventSink> = Arc::new(sink_fn(|n: Notification| async move {
            if n.object.is_empty() {
                Err(SinkError::new("no object"))
            } else {
                Ok(())
            }
        }));
        assert_eq!(sink.deliver(empty()).await, Ok(()));
        let mut unnamed = empty();
        unnamed.object.clear();
        assert_eq!(
            Arc::clone(&sink).deliver(unnamed).await,
            Err(SinkError::new("no object"))
        );
        let (tx, mut rx) = mpsc::unbounded_channel();
        assert_eq!(tx.deliver(empty()).await, Ok(()));
        assert_eq!(rx.recv().await, Some(empty()));
    }
}
