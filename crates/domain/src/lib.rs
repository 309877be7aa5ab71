//! The MM API world: the objects Meta keeps (apps, business portfolios, WABAs, phone numbers,
//! templates, system users, tokens) and the rules over them, as pure functions.
//!
//! Nothing here does I/O or reads a clock: callers pass the state and `now`, and get back a
//! decision. Storage lives in `wamm-store`, transport in `wamm-platform`.

pub mod access;
pub mod ads;
pub mod assignment;
pub mod bsuid;
pub mod capi;
pub mod country;
pub mod enrolment;
pub mod history;
pub mod insights;
pub mod intent;
pub mod metrics;
pub mod model;
pub mod numbers;
pub mod onboarding;
pub mod permission;
pub mod sending;
pub mod signup;
pub mod solution;
pub mod template;
pub mod time;
pub mod timezone;

pub use model::*;
pub use permission::{AccessLevel, Permission};
pub use time::Timestamp;
