//! World files: declarative YAML or JSON documents that describe a whole wamm platform world
//! (apps, business portfolios, people, system users and tokens, WABAs with their partners,
//! phone numbers, templates and webhook subscriptions) for partners' tests and demos.
//!
//! [`parse`] reads a file into a [`WorldFile`], [`WorldFile::build`] validates it and turns it
//! into the [`WorldState`](wamm_domain::WorldState) the store persists, and [`export`] writes
//! a state back as a file that builds to the same state. Every error names the field path it is
//! about (`businesses[2].wabas[0].tax_country: …`), or the line when the YAML itself is broken.
//!
//! Reading is bounded so that a file costs time and memory in proportion to its size: text
//! larger than [`MAX_WORLD_BYTES`] or nesting deeper than [`MAX_NESTING`] is refused before it
//! is parsed, and YAML whose aliases expand beyond [`node_budget`] nodes while it is read.
//!
//! The format, by example, is [`DEMO_WORLD`] (`crates/world/worlds/demo.yaml`). The demo
//! leaves out one part, app-level webhook subscriptions (`/{app-id}/subscriptions`), since it
//! has no receiver to deliver to. An app declares them in `webhooks`
//! ([`WebhookEntry`](file::WebhookEntry)):
//!
//! ```yaml
//! apps:
//!   - key: connect
//!     # name, business, partner_type, permissions, …
//!     webhooks:
//!       - object: whatsapp_business_account   # the default
//!         callback_url: https://hooks.partner.example/whatsapp   # http(s), with a host
//!         verify_token: s3cret-verify                            # not empty
//!         fields: [account_update, messages]   # from WEBHOOK_FIELDS, no duplicates
//!         active: true                         # the default: the handshake already happened
//!         updated_at: 2025-10-07               # the load time when absent
//! ```
//!
//! An app has at most one entry per `object`.

mod bounds;
mod budget;
mod build;
pub mod clients;
mod export;
pub mod file;
mod history;
mod mint;
mod text;

pub use bounds::{MAX_NESTING, MAX_WORLD_BYTES, check_size};
pub use budget::{EXTRA_NODES, NODES_PER_BYTE, node_budget};
pub use build::{IssuedToken, Loaded};
pub use export::{export, normalize};
pub use file::{FORMAT, WorldFile};
pub use mint::{Mint, SeqMint, hash_token, namespace};
pub use text::{Format, WorldError, parse, parse_as};

/// The demo world: a partner with two apps and eight client businesses that exercise the
/// interesting onboarding cases. Everything (IDs, secrets, tokens) is generated.
pub const DEMO_WORLD: &str = include_str!("../worlds/demo.yaml");

/// The webhook fields an app can subscribe to (`fields` of `/{app-id}/subscriptions`), sorted.
pub const WEBHOOK_FIELDS: &[&str] = &[
    "account_alerts",
    "account_review_update",
    "account_update",
    "business_capability_update",
    "business_status_update",
    "calls",
    "flows",
    "history",
    "message_echoes",
    "message_template_components_update",
    "message_template_quality_update",
    "message_template_status_update",
    "messages",
    "partner_solutions",
    "payment_configuration_update",
    "phone_number_name_update",
    "phone_number_quality_update",
    "security",
    "smb_app_state_sync",
    "smb_message_echoes",
    "template_category_update",
    "user_preferences",
];
