//! The partner's onboarding orchestrator: it keeps what it knows of each client business and
//! WABA (synced from Graph, learned from webhooks, remembered from its own calls) and derives
//! where each one stands in the MM API funnel.
//!
//! - [`stage`]: the funnel as a pure rule over those facts.
//! - [`vault`]: business tokens sealed at rest under a key from configuration.
//! - [`store`]: what the orchestrator keeps, on SQLite or PostgreSQL.
//! - [`funnel`]: the dashboard's view: a row per WABA and counts per stage.
//! - [`web`]: the live dashboard and its JSON, the send API, and the partner's Embedded Signup
//!   page.
//! - [`graph`]: the Graph calls the orchestrator makes, as a port; [`orchestrate`]: its moves;
//!   [`client_graph`]: the port over `wamm-client`, for real Graph or a wamm platform.
//! - [`metrics`]: each client's template analytics, synced from Graph into the store, and the
//!   per-template totals a partner reads.
//! - [`insights`]: each client's MM API Insights, read from its ad account with its business
//!   token, synced into the store, and the per-account totals a partner reads.
//! - [`readiness`]: per client business, what stands between its sends and measured
//!   conversions, as findings with stable codes.
//! - [`webhooks`]: what each verified webhook moves; [`send`]: sends for the partner's
//!   customers, routed by template category and onboarding status; [`signup`]: a new client
//!   through Embedded Signup.

pub mod client_graph;
pub mod funnel;
pub mod graph;
pub mod insights;
pub mod metrics;
pub mod orchestrate;
pub mod readiness;
pub mod send;
pub mod signup;
pub mod stage;
pub mod store;
pub mod vault;
pub mod web;
pub mod webhooks;
