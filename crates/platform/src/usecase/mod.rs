//! The use cases: each loads what it needs, calls the domain's rules, builds one change set
//! (state, events and the webhooks they cause) and commits it. Every door (Graph, control API,
//! pages, Embedded Signup) that offers a behaviour calls the same use case; none builds a
//! change set itself. Use cases see only the narrow [`crate::context::Platform`].

pub mod app_subscriptions;
pub mod apps;
pub mod assets;
pub mod assign;
pub mod business_tokens;
pub mod conversions;
pub mod datasets;
pub mod emit;
pub mod history;
pub mod journal;
pub mod lifecycle;
pub mod numbers;
pub mod offboard;
pub mod onboard;
pub mod registration;
pub mod review;
pub mod schedule;
pub mod send;
pub mod setup;
pub mod signup;
pub mod solutions;
pub mod templates;
pub mod tokens;
pub mod waba_settings;

use wamm_store::StoreError;
use wamm_wire::GraphError;

/// Why a use case did not happen: a refusal every door renders as the Graph error it is (the
/// control API and pages show its message), or a storage failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule refused the change; nothing was written.
    #[error("{0}")]
    Refused(#[from] GraphError),
    /// Storage failed; nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}
