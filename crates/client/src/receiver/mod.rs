//! The partner's webhook receiver: Meta's verification handshake, `X-Hub-Signature-256`
//! checked in constant time against the raw body, and Meta's envelope parsed into typed
//! events, leniently.
//!
//! - [`router`] is a ready axum [`Router`](axum::Router) serving the callback URL: it answers
//!   the handshake, refuses unsigned or wrongly signed deliveries with 401 and oversized ones
//!   with 413, and hands every accepted [`Notification`] to an [`EventSink`] of the caller's.
//! - [`SignatureLayer`] is the signature check alone, as a tower layer, for callers with their
//!   own handlers.
//! - [`parse`] and the types in [`events`] read Meta's envelope; nothing inside it that this
//!   version does not know is an error.
//!
//! ```no_run
//! use wamm_client::receiver::{self, Event, ReceiverConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
//! let app = receiver::router(ReceiverConfig::new("app-secret", "verify-token"), tx);
//! tokio::spawn(async move {
//!     while let Some(notification) = rx.recv().await {
//!         for (waba, event) in notification.events() {
//!             if let Event::AccountUpdate(update) = event {
//!                 println!("{waba}: {}", update.event);
//!             }
//!         }
//!     }
//! });
//! let listener = tokio::net::TcpListener::bind("0.0.0.0:8080").await?;
//! axum::serve(listener, axum::Router::new().nest("/webhooks", app)).await
//! # }
//! ```

pub mod events;
mod layer;
mod router;
mod sink;

pub use events::{Event, Notification, ParseError, parse};
pub use layer::{DEFAULT_MAX_BODY_BYTES, SignatureLayer, SignatureRejection, SignatureService};
pub use router::{ReceiverConfig, router};
pub use sink::{Delivery, EventSink, FnSink, SinkError, sink_fn};
