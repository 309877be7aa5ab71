//! Webhooks delivered the way Meta delivers them.
//!
//! - [`handshake`]: Meta's verification handshake, run before a callback is used
//!   (`/{app-id}/subscriptions` and per-WABA overrides are served by the Graph door and set by
//!   [`crate::usecase::app_subscriptions`]).
//! - [`fanout`]: which endpoints a change goes to (the WABA's subscribed apps whose app-level
//!   subscription includes the field), as outbox rows written in the same transaction as the
//!   change.
//! - [`dispatcher`]: the worker that claims due rows, batches them per endpoint, signs them with
//!   `X-Hub-Signature-256`, and records each attempt; [`policy`] decides retries and drops on
//!   the platform clock; [`outbound`] is the guarded HTTP client; [`faults`] are the per-endpoint
//!   fault options partners test against.

pub mod dispatcher;
pub mod fanout;
pub mod faults;
pub mod handshake;
pub mod outbound;
pub mod policy;

use std::time::Duration;

/// Webhook delivery settings.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// Whether this process runs the dispatcher.
    pub dispatch: bool,
    /// Most entries in one POST (Meta: up to 1000).
    pub batch_max: usize,
    /// Most outbox rows claimed at once.
    pub claim_max: i64,
    /// Connect timeout for deliveries and handshakes.
    pub connect_timeout: Duration,
    /// Whole-request timeout for deliveries and handshakes.
    pub request_timeout: Duration,
    /// Largest response body read from a receiver.
    pub response_cap_bytes: usize,
    /// Retry policy.
    pub retry: policy::RetryPolicy,
    /// Destinations deliveries may reach.
    pub destinations: outbound::Destinations,
    /// How often the dispatcher looks for due rows when nothing woke it.
    pub poll_interval: Duration,
    /// Most POSTs in flight to one endpoint at once.
    pub per_endpoint_concurrency: usize,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            dispatch: true,
            batch_max: 1000,
            claim_max: 5000,
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            response_cap_bytes: 64 * 1024,
            retry: policy::RetryPolicy::default(),
            destinations: outbound::Destinations::default(),
            poll_interval: Duration::from_millis(50),
            per_endpoint_concurrency: 4,
        }
    }
}

impl WebhookConfig {
    /// How long a claimed row stays leased (wall time): an attempt, waiting included, must fit.
    pub fn lease(&self) -> Duration {
        self.request_timeout * 2 + Duration::from_secs(5)
    }
}
