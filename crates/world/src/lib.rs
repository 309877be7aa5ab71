//! World files: declarative YAML or JSON documents that describe a whole wamm platform world
//! (apps, business portfolios, people, system users and tokens, WABAs with their partners,
//! phone numbers, templates and webhook subscriptions) for partners' tests and demos.
//!
//! [`parse`] reads a file into a [`WorldFile`], [`WorldFile::build`] validates it and turns it
//! into the [`WorldState`](wamm_domain::WorldState) the store persists, and [`export`] writes
//! a state back as a file that builds to the same state. Every error names the field path it is
//! about (`businesses[2].wabas[0].tax_country: …`), or the line when the YAML itself is broken.
//!
//! The format, by example, is [`DEMO_WORLD`] (`crates/world/worlds/demo.yaml`).

mod build;
mod export;
pub mod file;
mod mint;
mod text;

pub use build::{IssuedToken, Loaded};
pub use export::{export, normalize};
pub use file::{FORMAT, WorldFile};
pub use mint::{Mint, SeqMint, hash_token};
pub use text::{Format, WorldError, parse, parse_as};

/// The demo world: a partner with two apps and eight client businesses that exercise the
/// interesting onboarding cases. Everything (IDs, secrets, tokens) is generated.
pub const DEMO_WORLD: &str = include_str!("../worlds/demo.yaml");
