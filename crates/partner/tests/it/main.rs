//! The orchestrator from the outside: the funnel rule, its store on both backends, and the
//! dashboard over a socket.

mod dashboard;
mod stage;
mod store;
