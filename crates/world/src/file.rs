//! The world file format (`wamm-world/1`) as serde types.
//!
//! Every struct denies unknown fields so that a typo (`tax_contry`) is an error naming its path
//! rather than a silently ignored line. Objects are referred to by *keys*, local names that
//! exist only in the file; Graph IDs are optional and generated when absent.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use wamm_domain::model::{
    BusinessRole, PartnerAccess, PartnerType, QualityRating, TemplateCategory, TemplateStatus,
    ThroughputLevel, TokenKind, WabaStatus,
};
use wamm_domain::numbers::NumberLife;
use wamm_domain::{AccessLevel, Permission, Timestamp};
use wamm_wire::ids::{
    AppId, BusinessId, PhoneNumberId, PixelId, SolutionId, TemplateId, UserId, WabaId,
};

/// The only `format` value this crate reads and writes.
pub const FORMAT: &str = "wamm-world/1";

/// A whole world file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldFile {
    /// Format version; must be [`FORMAT`].
    pub format: String,
    /// Meta apps.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<AppEntry>,
    /// Business portfolios with everything they own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub businesses: Vec<BusinessEntry>,
    /// Tokens not held by a system user of their business (app tokens, person tokens, …).
    /// Only already-hashed tokens (`token_sha256`) may appear here; exports write them so that
    /// nothing in a world is lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenEntry>,
    /// What a delivered template costs, per market and category; absent for the default rate
    /// card (a few markets of Meta's USD rate card and its rates for every other country).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_card: Option<wamm_domain::metrics::RateCard>,
}

impl Default for WorldFile {
    fn default() -> Self {
        Self {
            format: FORMAT.to_owned(),
            apps: Vec::new(),
            businesses: Vec::new(),
            tokens: Vec::new(),
            rate_card: None,
        }
    }
}

/// An instant in a world file: RFC 3339 (`2025-10-07T10:00:00Z`) or a bare date
/// (`2025-10-07`, midnight UTC). Written back as RFC 3339 with milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(pub Timestamp);

impl Serialize for Time {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Timestamp::parse(&text).map(Self).ok_or_else(|| {
            de::Error::custom(format!(
                "'{text}' is not an RFC 3339 time (2025-10-07T10:00:00Z) or a YYYY-MM-DD date"
            ))
        })
    }
}

/// A Meta app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppEntry {
    /// Local reference name, unique among apps.
    pub key: String,
    /// Graph ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<AppId>,
    /// Display name.
    pub name: String,
    /// App secret; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Key of the owning business.
    pub business: String,
    /// Partner type of the owning business.
    pub partner_type: PartnerType,
    /// Whether every server call must carry `appsecret_proof`.
    #[serde(default)]
    pub require_app_secret: bool,
    /// Granted permissions and their access levels.
    #[serde(default)]
    pub permissions: BTreeMap<Permission, AccessLevel>,
    /// App-level webhook subscriptions (`/{app-id}/subscriptions`), at most one per object.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<WebhookEntry>,
    /// The partner's own MM API enrolment, once started (times in milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm_enrolment: Option<wamm_domain::MmEnrolment>,
    /// App Review requests for advanced access (times in milliseconds since the epoch).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub review_requests: Vec<wamm_domain::ReviewRequest>,
    /// Facebook Login for Business configurations for Embedded Signup.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub login_configs: Vec<LoginConfigEntry>,
}

/// A Facebook Login for Business configuration of an app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginConfigEntry {
    /// The `config_id`; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Name.
    pub name: String,
    /// Permissions the business token gets.
    pub permissions: Vec<Permission>,
    /// Whether the "Marketing Messages Lite API (MM Lite)" product is selected.
    #[serde(default)]
    pub marketing_messages: bool,
    /// When created; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
}

/// The object an app webhook subscription is for when the entry does not say.
pub const DEFAULT_WEBHOOK_OBJECT: &str = "whatsapp_business_account";

fn default_webhook_object() -> String {
    DEFAULT_WEBHOOK_OBJECT.to_owned()
}

/// An app's webhook subscription for one object, as `POST /{app-id}/subscriptions` leaves it.
///
/// A world file states the result of a verification handshake that already happened, so an
/// entry is `active` unless it says otherwise and loading a world calls no callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookEntry {
    /// The subscribed object ([`DEFAULT_WEBHOOK_OBJECT`] by default).
    #[serde(default = "default_webhook_object")]
    pub object: String,
    /// Where deliveries go: an `http://` or `https://` URL with a host.
    pub callback_url: String,
    /// The token echoed in the verification handshake; not empty.
    pub verify_token: String,
    /// Subscribed fields, each one of [`WEBHOOK_FIELDS`](crate::WEBHOOK_FIELDS), without
    /// duplicates; at least one.
    pub fields: Vec<String>,
    /// Whether the callback passed the verification handshake (default true).
    #[serde(default = "yes")]
    pub active: bool,
    /// When the subscription last changed; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Time>,
}

fn default_verification() -> String {
    "verified".to_owned()
}

/// A business portfolio and what it owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BusinessEntry {
    /// Local reference name, unique among businesses.
    pub key: String,
    /// Graph ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<BusinessId>,
    /// Name.
    pub name: String,
    /// Country of the business.
    pub country: wamm_domain::country::Country,
    /// Business verification status (`verified` by default).
    #[serde(default = "default_verification")]
    pub verification_status: String,
    /// When the portfolio was created; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// When an admin signed the MM API terms; unsigned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm_terms_signed_at: Option<Time>,
    /// Key of the person (or system user) who signed the terms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm_terms_signed_by: Option<String>,
    /// People with access.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub people: Vec<PersonEntry>,
    /// System users and their tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub system_users: Vec<SystemUserEntry>,
    /// WABAs this business owns (for OBO WABAs: the client the WABA serves).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wabas: Vec<WabaEntry>,
    /// Meta Pixels (datasets) this business owns, which its website and app report
    /// conversions to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pixels: Vec<PixelEntry>,
}

/// A Meta Pixel, which is also a dataset (the same ID names both), owned by the business it
/// is listed under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PixelEntry {
    /// Optional local reference name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Graph ID (pixel and dataset); generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PixelId>,
    /// Name; not empty.
    pub name: String,
    /// Website domains it reports events for (`shop.example`), without scheme or path.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    /// Whether it is the dataset `POST /{waba-id}/dataset` made (at most one per business).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dataset: bool,
    /// When it was created; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
}

/// A person with access to a business portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonEntry {
    /// Optional local reference name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Graph user ID; generated when absent. The same person may appear in several businesses
    /// with the same ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// Name.
    pub name: String,
    /// Email address.
    pub email: String,
    /// `ADMIN` or `EMPLOYEE`.
    pub role: BusinessRole,
}

/// A system user of a business portfolio.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SystemUserEntry {
    /// Optional local reference name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Graph user ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<UserId>,
    /// Name.
    pub name: String,
    /// `ADMIN` or `EMPLOYEE`.
    pub role: BusinessRole,
    /// Tokens acting as this system user.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<TokenEntry>,
    /// WABAs the system user is assigned to (`/{waba-id}/assigned_users`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assigned_wabas: Vec<AssignedWabaEntry>,
}

/// A system user's assignment to a WABA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignedWabaEntry {
    /// The WABA's key or ID.
    pub waba: String,
    /// The tasks granted (`MANAGE`, `DEVELOP`, …).
    pub tasks: Vec<String>,
    /// When; the world's load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_at: Option<Time>,
}

const fn default_token_kind() -> TokenKind {
    TokenKind::SystemUser
}

/// An access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenEntry {
    /// Optional local reference name (reported with issued tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Key of the app the token was issued to.
    pub app: String,
    /// `SYSTEM_USER` (default) or `BUSINESS_INTEGRATION`; top-level tokens may also be `APP`
    /// or `USER`.
    #[serde(default = "default_token_kind")]
    pub kind: TokenKind,
    /// The plain token (at least 16 characters). Generated when neither this nor
    /// `token_sha256` is given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// An already-hashed token: 64 lowercase hex characters of SHA-256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_sha256: Option<String>,
    /// Last four characters of the token; only with `token_sha256` (derived otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Scopes; the app's granted permissions when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<Permission>>,
    /// Keys of the WABAs the token is limited to; empty means no limit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_wabas: Vec<String>,
    /// When issued; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued_at: Option<Time>,
    /// When it expires; never when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
    /// When it was revoked, if it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<Time>,
    /// Top-level tokens only: key of the business the token acts for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business: Option<String>,
    /// Top-level tokens only: key of the person or system user the token acts as.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

const fn yes() -> bool {
    true
}

fn default_currency() -> String {
    "USD".to_owned()
}

fn default_timezone() -> String {
    "1".to_owned()
}

const fn default_waba_status() -> WabaStatus {
    WabaStatus::Active
}

/// A `WhatsApp` Business Account, nested under the business it serves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WabaEntry {
    /// Local reference name, unique among WABAs.
    pub key: String,
    /// Graph ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<WabaId>,
    /// Name.
    pub name: String,
    /// Tax country.
    pub tax_country: wamm_domain::country::Country,
    /// `ACTIVE` (default), `RESTRICTED` or `DISABLED`.
    #[serde(default = "default_waba_status")]
    pub status: WabaStatus,
    /// Billing currency (`USD` by default).
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Graph timezone ID (`"1"` by default); a number is accepted too.
    #[serde(default = "default_timezone", deserialize_with = "string_or_number")]
    pub timezone_id: String,
    /// Template namespace; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_template_namespace: Option<String>,
    /// Whether a valid payment method is on file (default true).
    #[serde(default = "yes")]
    pub payment_method: bool,
    /// Whether message activity is shared with Meta (default true).
    #[serde(default = "yes")]
    pub message_activity_sharing: bool,
    /// The linked read-only ad account, once MM API setup started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad_account_id: Option<String>,
    /// When the business disconnected its coexistence number (MM API offboarded).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm_offboarded_at: Option<Time>,
    /// When template insights were confirmed (`is_enabled_for_insights`); absent: not yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_enabled_at: Option<Time>,
    /// When Meta's MM setup completes. Absent: the owner's terms signing time, if it signed;
    /// `null`: never.
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    pub mm_setup_complete_at: Option<Option<Time>>,
    /// Multi-Partner Solution the WABA is on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution_id: Option<SolutionId>,
    /// When the WABA was created; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
    /// Partners holding the WABA.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub partners: Vec<PartnerEntry>,
    /// Phone numbers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phone_numbers: Vec<PhoneEntry>,
    /// Message templates.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub templates: Vec<TemplateEntry>,
    /// Apps subscribed to the WABA's webhooks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subscribed_apps: Vec<SubscriptionEntry>,
    /// The WABA's message history, replayed through the platform's send use case and message
    /// lifecycle each time the world is loaded. Exports leave it out: what it made is in the
    /// platform's messages and facts, which a world file does not carry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryEntry>,
}

const fn default_read_rate() -> f64 {
    0.6
}

const fn default_click_rate() -> f64 {
    0.3
}

const fn default_conversion_rate() -> f64 {
    0.2
}

/// A WABA's past: whole days ending yesterday, with what was sent each day and how
/// recipients answered (see `wamm_domain::history`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryEntry {
    /// How many days back, 1 to 90.
    pub days: u32,
    /// The seed of the draws; the platform's `--seed` when absent (and random without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    /// The sending number: its key or display number; the WABA's first number when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// The templates sent and how many a weekday.
    pub templates: Vec<HistoryTemplateEntry>,
    /// How many generated recipients (under the sending number's calling code), or the
    /// recipients' numbers; 200 generated when absent.
    #[serde(default)]
    pub recipients: RecipientsEntry,
    /// The share of delivered messages that are read (0.6 when absent).
    #[serde(default = "default_read_rate")]
    pub read_rate: f64,
    /// The share of read messages whose URL button is clicked (0.3 when absent).
    #[serde(default = "default_click_rate")]
    pub click_rate: f64,
    /// The share of clicks followed by a website conversion (0.2 when absent).
    #[serde(default = "default_conversion_rate")]
    pub conversion_rate: f64,
}

/// A template of a history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryTemplateEntry {
    /// The template's name, one of the WABA's approved templates.
    pub name: String,
    /// Its language; needed only when the WABA has the name in several languages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// MM API sends (`/marketing_messages`) on a weekday.
    #[serde(default)]
    pub marketing_messages: u32,
    /// Cloud API sends (`/messages`) on a weekday.
    #[serde(default)]
    pub messages: u32,
}

/// A history's recipients: a count to generate, or the numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RecipientsEntry {
    /// This many generated ordinary numbers.
    Count(u32),
    /// These numbers (any format Graph takes in `to`; reserved numbers behave as reserved).
    Numbers(Vec<String>),
}

impl Default for RecipientsEntry {
    fn default() -> Self {
        Self::Count(200)
    }
}

/// A partner's hold on a WABA.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerEntry {
    /// Key of the partner's business.
    pub business: String,
    /// `SHARED` or `OBO`.
    pub access: PartnerAccess,
    /// OBO migration intent: `false` (default), `true` (set at load time) or
    /// `{set_at, solution_id}`.
    #[serde(default, skip_serializing_if = "MigrationIntentEntry::is_none")]
    pub migration_intent: MigrationIntentEntry,
}

/// An OBO migration intent as a world file writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MigrationIntentEntry {
    /// `false`: no intent.
    #[default]
    None,
    /// `true` or an object: an intent.
    Set(IntentDetails),
}

impl MigrationIntentEntry {
    /// Whether there is no intent.
    pub const fn is_none(&self) -> bool {
        matches!(self, Self::None)
    }
}

/// The details of an OBO migration intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentDetails {
    /// When the intent was set; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_at: Option<Time>,
    /// Multi-Partner Solution the WABA moves to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solution_id: Option<SolutionId>,
}

impl Serialize for MigrationIntentEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::None => s.serialize_bool(false),
            Self::Set(details) => details.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for MigrationIntentEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IntentVisitor;

        impl<'de> Visitor<'de> for IntentVisitor {
            type Value = MigrationIntentEntry;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("false, true or a map with set_at and solution_id")
            }

            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(if v {
                    MigrationIntentEntry::Set(IntentDetails::default())
                } else {
                    MigrationIntentEntry::None
                })
            }

            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(MigrationIntentEntry::None)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                IntentDetails::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(MigrationIntentEntry::Set)
            }
        }

        d.deserialize_any(IntentVisitor)
    }
}

const fn default_registered() -> bool {
    true
}

const fn default_throughput() -> ThroughputLevel {
    ThroughputLevel::Standard
}

const fn default_quality() -> QualityRating {
    QualityRating::Green
}

/// A business phone number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneEntry {
    /// Optional local reference name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Graph ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<PhoneNumberId>,
    /// Display form, e.g. `+55 11 5555-0101`.
    pub display_phone_number: String,
    /// Approved display name.
    pub verified_name: String,
    /// Registered on Cloud API (default true).
    #[serde(default = "default_registered")]
    pub registered: bool,
    /// `STANDARD` (default) or `HIGH`.
    #[serde(default = "default_throughput")]
    pub throughput: ThroughputLevel,
    /// Also used with the `WhatsApp` Business app (default false).
    #[serde(default)]
    pub coexistence: bool,
    /// Quality rating (`GREEN` by default).
    #[serde(default = "default_quality")]
    pub quality_rating: QualityRating,
    /// Verification, business profile and settings, once the number has any.
    #[serde(default, skip_serializing_if = "NumberLife::is_empty")]
    pub life: NumberLife,
}

const fn default_template_status() -> TemplateStatus {
    TemplateStatus::Approved
}

fn default_parameter_format() -> String {
    "POSITIONAL".to_owned()
}

/// A message template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateEntry {
    /// Optional local reference name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Graph ID; generated when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<TemplateId>,
    /// Name (lower case letters, digits, underscores).
    pub name: String,
    /// Locale, e.g. `en_US`.
    pub language: String,
    /// Category.
    pub category: TemplateCategory,
    /// Review status (`APPROVED` by default).
    #[serde(default = "default_template_status")]
    pub status: TemplateStatus,
    /// `POSITIONAL` (default) or `NAMED`.
    #[serde(default = "default_parameter_format")]
    pub parameter_format: String,
    /// Components as Graph's JSON.
    pub components: serde_json::Value,
    /// Time to live for undelivered messages, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_send_ttl_seconds: Option<i64>,
    /// The ad entity chain of a MARKETING template of an onboarded WABA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ad: Option<wamm_domain::AdEntities>,
    /// When the template was created; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Time>,
}

/// An app subscribed to a WABA's webhooks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionEntry {
    /// Key of the subscribed app.
    pub app: String,
    /// Callback override for this WABA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub override_callback_uri: Option<String>,
    /// Verify token for the override's handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_token: Option<String>,
    /// When subscribed; the load time when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed_at: Option<Time>,
}

/// Deserializes a field that is present (possibly `null`) into `Some(..)`, so that `null`
/// and an absent field (`None`, via `#[serde(default)]`) differ.
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Accepts a string or an integer, as text.
fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    struct TextVisitor;

    impl Visitor<'_> for TextVisitor {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or an integer")
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(v.to_owned())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            Ok(v.to_string())
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            Ok(v.to_string())
        }
    }

    d.deserialize_any(TextVisitor)
}
