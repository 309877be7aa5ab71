//! The orchestrator from the outside: the funnel rule, its store on both backends, its moves
//! and webhooks against a fake Graph, and the dashboard and the signup page over a socket.

mod dashboard;
mod fake;
mod orchestrate;
mod readiness;
mod signup_page;
mod stage;
mod store;
mod webhooks;
