//! A typed async client for the Graph endpoints an MM API partner uses.
//!
//! It talks to real Graph (`https://graph.facebook.com`) by default and to any other base URL,
//! such as a wamm platform, when told. It knows nothing of the platform's internals: only the
//! wire contract in `wamm-wire`.
//!
//! - [`GraphClient`] holds the configuration (base URL, version, token, app secret, timeouts,
//!   [`RetryPolicy`]) and has one method per call of the partner flow (see [`calls`]'s list):
//!   tokens, the Intent API, status fields, subscriptions, numbers, templates and sends.
//! - Every authenticated call carries `appsecret_proof` when an app secret is set.
//! - Failures come back as [`ClientError`]; Graph's error objects are decoded, HTTP status
//!   included. Throttled and transient failures are retried with back-off that honours
//!   `x-business-use-case-usage` ([`usage`]), within what is safe for the call ([`Replay`]).
//! - Request and answer bodies are typed ([`types`]) and decoded leniently.
//! - [`receiver`] is the partner's webhook endpoint.

pub mod calls;
pub mod client;
pub mod error;
pub mod receiver;
pub mod retry;
pub mod types;
pub mod usage;

pub use client::{GraphCall, GraphClient, GraphClientBuilder};
pub use error::ClientError;
pub use retry::{Replay, RetryPolicy};
pub use types::*;

/// Meta's Graph API.
pub const GRAPH_BASE_URL: &str = "https://graph.facebook.com";
/// The Graph version used unless another is chosen.
pub const DEFAULT_VERSION: &str = "v23.0";
