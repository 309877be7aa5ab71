//! The use cases: each loads what it needs, calls the domain's rules, builds one change set
//! (state, events and the webhooks they cause) and commits it. Every door (Graph, control API,
//! pages, Embedded Signup) that offers a behaviour calls the same use case; none builds a
//! change set itself. Use cases see only the narrow [`crate::context::Platform`].

pub mod assets;
pub mod assign;
pub mod lifecycle;
pub mod numbers;
pub mod offboard;
pub mod onboard;
pub mod review;
pub mod schedule;
pub mod send;
pub mod setup;
