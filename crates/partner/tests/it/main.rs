//! The orchestrator from the outside: the funnel rule, and its store on both backends.

mod stage;
mod store;
