//! The wamm platform: a stateful, persistent, Graph-API-compatible implementation of Meta's
//! Marketing Messages API onboarding system.
//!
//! The front door is small: [`start`] a platform from a [`PlatformConfig`], then reach it over
//! HTTP as a partner would, or through its [`Handle`] (worlds, tokens, the clock, what an ID
//! names). [`catalogue`] and [`served_routes`] describe the Graph surface it serves; [`bench`](mod@bench)
//! holds the measurement hooks of `wamm bench`. Everything else is the crate's own.
//!
//! Inside, in two layers over one context (see README, "Inside wamm-platform"):
//! - the doors: the Graph API (`graph`), the control API under `/_wamm/` (`control`), the
//!   console and the pages, Embedded Signup; they parse, authorise, call a use case and render;
//! - the use cases (`usecase`): each loads, calls the rules of `wamm-domain`, builds a change
//!   set and commits it over the context (`context`: store, clock, ID minter, settings,
//!   webhook delivery);
//! - beside them: `webhooks` (subscriptions, the durable outbox's dispatcher), `connections`
//!   (the accept loop with its limits), `clock` and `mint`.
//!
//! Storage lives in `wamm-store`, world files in `wamm-world`.

pub mod bench;
mod clock;
mod config;
mod connections;
mod console;
mod context;
mod control;
mod dashboard;
mod embedded_signup;
mod graph;
mod handle;
mod limits;
mod mint;
mod requests_page;
mod server;
mod site;
mod state;
mod token_keys;
mod usecase;
mod wa_manager;
mod webhooks;

pub use config::{ConnectionLimits, PlatformConfig, Timing, VersionPolicy};
pub use control::{ControlError, WorldSummary};
pub use graph::MAX_BODY_BYTES as MAX_GRAPH_BODY_BYTES;
pub use graph::catalogue;
pub use graph::objects::NodeKind;
pub use graph::routes::served as served_routes;
pub use handle::{Handle, Welcome};
pub use server::{Running, StartError, start};
pub use token_keys::{KeySource, TokenKeys};
pub use webhooks::WebhookConfig;
pub use webhooks::outbound::Destinations;
pub use webhooks::policy::RetryPolicy;
