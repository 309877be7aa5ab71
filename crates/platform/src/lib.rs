//! The wamm platform: a stateful, persistent, Graph-API-compatible implementation of Meta's
//! Marketing Messages API onboarding system.
//!
//! Layout:
//! - [`graph`]: the Graph API surface (versioned paths, tokens, proofs, fields, paging, errors);
//!   handlers parse, authorise, call the domain and render.
//! - [`control`]: the control API under `/_wamm/` (worlds, clock, event log).
//! - [`console`]: the server-rendered console page.
//! - [`connections`]: the accept loop, with connection limits and timeouts.
//! - [`webhooks`]: subscriptions with Meta's handshake, the durable outbox and its dispatcher.
//! - [`clock`], [`mint`]: the platform clock tests can move, and seeded ID/token generation.
//!
//! Rules live in `wamm-domain`, storage in `wamm-store`, world files in `wamm-world`.

pub mod clock;
pub mod config;
pub mod connections;
pub mod console;
pub mod context;
pub mod control;
pub mod dashboard;
pub mod embedded_signup;
pub mod graph;
pub mod limits;
pub mod mint;
pub mod requests_page;
pub mod server;
pub mod site;
pub mod state;
pub mod token_keys;
pub mod usecase;
pub mod wa_manager;
pub mod webhooks;

pub use config::{ConnectionLimits, PlatformConfig, Timing, VersionPolicy};
pub use server::{Running, start};
pub use state::AppState;
