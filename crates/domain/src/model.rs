//! The objects of the world, as the platform stores them.
//!
//! These are the platform's own records, not wire shapes: rendering to Graph JSON happens in
//! the platform's HTTP layer, which picks fields per `fields=`.

use serde::{Deserialize, Serialize};
use wamm_wire::ids::{AppId, BusinessId, PhoneNumberId, SolutionId, TemplateId, UserId, WabaId};

use crate::country::Country;
use crate::permission::{AccessLevel, Permission};
use crate::time::Timestamp;

/// What kind of Meta partner an app's business is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerType {
    /// A Solution Partner (BSP): manages OBO WABAs, shares credit lines.
    Bsp,
    /// A Tech Provider: onboards clients, no OBO management.
    TechProvider,
    /// A business integrating Cloud API directly for its own assets.
    Direct,
}

/// A permission granted to an app, with its access level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPermission {
    /// The permission.
    pub permission: Permission,
    /// Standard or advanced access.
    pub access: AccessLevel,
}

/// A Meta app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct App {
    /// App ID.
    pub id: AppId,
    /// Display name.
    pub name: String,
    /// App secret (used for `appsecret_proof`, webhook signatures, app tokens).
    pub secret: String,
    /// The business portfolio that owns the app.
    pub business_id: BusinessId,
    /// Partner type of the owning business.
    pub partner_type: PartnerType,
    /// "Require App Secret": every server call must carry `appsecret_proof`.
    pub require_app_secret: bool,
    /// Granted permissions.
    pub permissions: Vec<AppPermission>,
    /// The partner's own MM API enrolment ("Onboarding yourself"), once started.
    #[serde(default)]
    pub mm_enrolment: Option<MmEnrolment>,
    /// App Review requests for advanced access.
    #[serde(default)]
    pub review_requests: Vec<ReviewRequest>,
    /// Facebook Login for Business configurations Embedded Signup runs with.
    #[serde(default)]
    pub login_configs: Vec<LoginConfig>,
}

impl App {
    /// The Login for Business configuration `id`, if the app has it.
    pub fn login_config(&self, id: u64) -> Option<&LoginConfig> {
        self.login_configs.iter().find(|c| c.id == id)
    }
}

/// A Facebook Login for Business configuration (App Dashboard > Facebook Login for Business >
/// Configurations): what Embedded Signup asks the business for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginConfig {
    /// The `config_id` partners pass to `FB.login`.
    pub id: u64,
    /// Name shown on the App Dashboard.
    pub name: String,
    /// Permissions the business token gets.
    pub permissions: Vec<Permission>,
    /// Whether "Marketing Messages Lite API (MM Lite)" is selected as a product (Embedded
    /// Signup v4): the flow then offers the MM API terms without the `features` extra.
    #[serde(default)]
    pub marketing_messages: bool,
    /// When created.
    pub created_at: Timestamp,
}

/// A partner's enrolment in MM API from the App Dashboard's Quickstart card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmEnrolment {
    /// When "Get started" was clicked.
    pub started_at: Timestamp,
    /// When the Terms of Service were accepted: the partner is enrolled.
    pub terms_accepted_at: Option<Timestamp>,
}

/// Where an App Review request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReviewStatus {
    /// Submitted, not decided.
    Pending,
    /// Advanced access granted.
    Approved,
    /// Refused.
    Rejected,
}

/// An App Review request for advanced access to one permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRequest {
    /// The permission.
    pub permission: Permission,
    /// When submitted.
    pub requested_at: Timestamp,
    /// Where it stands.
    pub status: ReviewStatus,
    /// When decided.
    pub decided_at: Option<Timestamp>,
}

impl App {
    /// The access level the app has for `permission`, if granted at all.
    pub fn access(&self, permission: Permission) -> Option<AccessLevel> {
        self.permissions
            .iter()
            .find(|p| p.permission == permission)
            .map(|p| p.access)
    }

    /// Whether the app has advanced access for `permission`.
    pub fn has_advanced(&self, permission: Permission) -> bool {
        self.access(permission) == Some(AccessLevel::Advanced)
    }
}

/// A person's role on a business portfolio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BusinessRole {
    /// Full control: may accept terms and requests.
    Admin,
    /// Partial access.
    Employee,
}

/// A person with access to a business portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// User ID.
    pub id: UserId,
    /// Name.
    pub name: String,
    /// Email address Meta writes to.
    pub email: String,
    /// Role.
    pub role: BusinessRole,
}

/// The MM API terms state of a business portfolio, when it has signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsSigned {
    /// When an admin signed.
    pub at: Timestamp,
    /// Who signed.
    pub by: Option<UserId>,
}

/// A business portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Business {
    /// Business ID.
    pub id: BusinessId,
    /// Name.
    pub name: String,
    /// Country of the business.
    pub country: Country,
    /// Business verification status as Graph reports it (`verified`, `not_verified`, …).
    pub verification_status: String,
    /// People with access.
    pub people: Vec<Person>,
    /// MM API terms, once signed.
    pub mm_terms: Option<TermsSigned>,
    /// When the portfolio was created.
    pub created_at: Timestamp,
}

impl Business {
    /// The people with full control.
    pub fn admins(&self) -> impl Iterator<Item = &Person> {
        self.people.iter().filter(|p| p.role == BusinessRole::Admin)
    }
}

/// A system user of a business portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SystemUser {
    /// User ID.
    pub id: UserId,
    /// The owning business.
    pub business_id: BusinessId,
    /// Name.
    pub name: String,
    /// Admin or employee system user.
    pub role: BusinessRole,
}

/// A WABA's standing with WhatsApp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WabaStatus {
    /// In good standing.
    Active,
    /// Restricted from messaging for policy violations.
    Restricted,
    /// Disabled.
    Disabled,
}

/// How a partner holds a client's WABA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PartnerAccess {
    /// The client owns the WABA and shared it with the partner.
    Shared,
    /// The partner owns the WABA on behalf of the client (deprecated OBO model).
    Obo,
}

/// An OBO migration ("mobility") intent on an OBO WABA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MigrationIntent {
    /// When the intent was set.
    pub set_at: Timestamp,
    /// Multi-Partner Solution the WABA moves to, if any.
    pub solution_id: Option<SolutionId>,
}

/// A partner's hold on a WABA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WabaPartner {
    /// The partner's business portfolio.
    pub business_id: BusinessId,
    /// Shared or on-behalf-of.
    pub access: PartnerAccess,
    /// OBO migration intent, for OBO WABAs.
    pub migration_intent: Option<MigrationIntent>,
}

/// A WhatsApp Business Account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waba {
    /// WABA ID.
    pub id: WabaId,
    /// Name.
    pub name: String,
    /// The client business the WABA serves (its owner, or the OBO client).
    pub owner_business_id: BusinessId,
    /// Tax country.
    pub tax_country: Country,
    /// Standing.
    pub status: WabaStatus,
    /// Billing currency.
    pub currency: String,
    /// Graph timezone ID.
    pub timezone_id: String,
    /// Template namespace.
    pub message_template_namespace: String,
    /// Whether a valid payment method is on file.
    pub payment_method: bool,
    /// Partners holding the WABA.
    pub partners: Vec<WabaPartner>,
    /// Multi-Partner Solution the WABA is on, if any.
    pub solution_id: Option<SolutionId>,
    /// When Meta's internal MM setup (ad account sync) completes or completed.
    pub mm_setup_complete_at: Option<Timestamp>,
    /// Whether message activity (reads, clicks) is shared with Meta.
    pub message_activity_sharing: bool,
    /// The read-only ad account Meta links to the WABA when MM API setup starts.
    #[serde(default)]
    pub ad_account_id: Option<String>,
    /// The ad account coexistence offboarding disabled and unlinked, still readable as a
    /// disabled account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_ad_account_id: Option<String>,
    /// Whether the `MM_LITE_TERMS_SIGNED` webhook is still owed for the current setup: set when
    /// setup starts on the platform, cleared when the webhook is enqueued at completion. Worlds
    /// loaded from files describe the past and owe nothing.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mm_setup_webhook_pending: bool,
    /// When the business disconnected its coexistence number, offboarding the WABA from MM API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mm_offboarded_at: Option<Timestamp>,
    /// When the business confirmed template insights (`is_enabled_for_insights=true`); Meta
    /// captures template analytics from then on, and it cannot be undone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insights_enabled_at: Option<Timestamp>,
    /// When the WABA was created.
    pub created_at: Timestamp,
}

impl Waba {
    /// The partner entry for `business`, if it holds the WABA.
    pub fn partner(&self, business: BusinessId) -> Option<&WabaPartner> {
        self.partners.iter().find(|p| p.business_id == business)
    }

    /// The partner that owns this WABA on behalf of the client, if it is OBO.
    pub fn obo_owner(&self) -> Option<&WabaPartner> {
        self.partners
            .iter()
            .find(|p| p.access == PartnerAccess::Obo)
    }

    /// The business Graph reports as the owner: the OBO partner, else the client.
    pub fn graph_owner(&self) -> BusinessId {
        self.obo_owner()
            .map_or(self.owner_business_id, |p| p.business_id)
    }
}

/// The digits of a phone number as WhatsApp IDs and webhooks carry it: `+1 555-078-3881` is
/// `15550783881`.
pub fn phone_digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// Phone number throughput level (`throughput.level`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ThroughputLevel {
    /// 80 messages per second.
    Standard,
    /// 1,000 messages per second.
    High,
}

/// Phone number quality rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum QualityRating {
    /// High quality.
    Green,
    /// Medium quality.
    Yellow,
    /// Low quality.
    Red,
    /// Not yet rated.
    Unknown,
}

/// A business phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    /// Phone number ID.
    pub id: PhoneNumberId,
    /// The WABA it belongs to.
    pub waba_id: WabaId,
    /// Display form, e.g. `+1 555-010-0101`.
    pub display_phone_number: String,
    /// Approved display name.
    pub verified_name: String,
    /// Registered on Cloud API.
    pub registered: bool,
    /// Throughput level.
    pub throughput: ThroughputLevel,
    /// Also used with the WhatsApp Business app (coexistence).
    pub coexistence: bool,
    /// Quality rating.
    pub quality_rating: QualityRating,
    /// Verification codes, business profile and settings: what the number gathers after signup.
    #[serde(default, skip_serializing_if = "crate::numbers::NumberLife::is_empty")]
    pub life: crate::numbers::NumberLife,
}

/// Template category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    /// Marketing.
    Marketing,
    /// Utility.
    Utility,
    /// Authentication.
    Authentication,
}

/// Template review status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    /// Approved and sendable.
    Approved,
    /// In review.
    Pending,
    /// Rejected.
    Rejected,
    /// Paused for low quality.
    Paused,
    /// Disabled.
    Disabled,
}

/// A message template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Template {
    /// Template ID.
    pub id: TemplateId,
    /// The WABA it belongs to.
    pub waba_id: WabaId,
    /// Name (lower case, digits, underscores).
    pub name: String,
    /// Locale, e.g. `en_US`.
    pub language: String,
    /// Category.
    pub category: TemplateCategory,
    /// Review status.
    pub status: TemplateStatus,
    /// `POSITIONAL` or `NAMED`.
    pub parameter_format: String,
    /// Components, as Graph's JSON.
    pub components: serde_json::Value,
    /// Time to live for undelivered messages, in seconds.
    pub message_send_ttl_seconds: Option<u32>,
    /// The read-only ad entity chain Meta mirrors a MARKETING template onto after onboarding.
    #[serde(default)]
    pub ad: Option<AdEntities>,
    /// When the template was created.
    pub created_at: Timestamp,
}

/// A named group of a WABA's templates, whose analytics Meta reports together
/// (`template_group_analytics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateGroup {
    /// Its ID.
    pub id: wamm_wire::ids::TemplateGroupId,
    /// The WABA it belongs to.
    pub waba_id: WabaId,
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// The templates in it.
    pub template_ids: Vec<TemplateId>,
    /// When it was created.
    pub created_at: Timestamp,
}

/// The kind of an access token, as `debug_token` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TokenKind {
    /// A system user token of the partner (SUAT).
    SystemUser,
    /// A Business Integration System User token for a client (BISUAT).
    BusinessIntegration,
    /// An app token (`app_id|app_secret` style, from `client_credentials`).
    App,
    /// A person's token.
    User,
}

impl TokenKind {
    /// The `type` value of `debug_token`.
    pub const fn graph_type(self) -> &'static str {
        match self {
            Self::SystemUser | Self::BusinessIntegration => "SYSTEM_USER",
            Self::App => "APP",
            Self::User => "USER",
        }
    }
}

/// An access token as stored: the hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    /// Lowercase hex SHA-256 of the token.
    pub hash: String,
    /// Kind.
    pub kind: TokenKind,
    /// The app the token was issued to.
    pub app_id: AppId,
    /// The business whose user the token acts as (for a BISUAT, the client business).
    pub business_id: Option<BusinessId>,
    /// The system user or person the token acts as.
    pub user_id: Option<UserId>,
    /// Scopes granted.
    pub scopes: Vec<Permission>,
    /// WABAs the token is limited to; empty means every WABA its business may reach.
    pub target_wabas: Vec<WabaId>,
    /// Ad accounts `ads_read` reaches: a business token is scoped to its client's linked ad
    /// accounts once the client is onboarded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub target_ad_accounts: Vec<String>,
    /// When issued.
    pub issued_at: Timestamp,
    /// When it expires; `None` never.
    pub expires_at: Option<Timestamp>,
    /// When revoked, if it was.
    pub revoked_at: Option<Timestamp>,
    /// The last four characters, to recognise a token in lists without storing it.
    pub hint: String,
}

impl TokenRecord {
    /// A live, unscoped token of `kind` for `app_id`, acting for no business yet.
    pub fn new(
        hash: String,
        hint: String,
        kind: TokenKind,
        app_id: AppId,
        issued_at: Timestamp,
    ) -> Self {
        Self {
            hash,
            kind,
            app_id,
            business_id: None,
            user_id: None,
            scopes: Vec::new(),
            target_wabas: Vec::new(),
            target_ad_accounts: Vec::new(),
            issued_at,
            expires_at: None,
            revoked_at: None,
            hint,
        }
    }

    /// The token acts as `user` of `business`.
    #[must_use]
    pub fn acting_as(mut self, business: BusinessId, user: UserId) -> Self {
        self.business_id = Some(business);
        self.user_id = Some(user);
        self
    }

    /// The token carries `scopes`.
    #[must_use]
    pub fn with_scopes(mut self, scopes: Vec<Permission>) -> Self {
        self.scopes = scopes;
        self
    }

    /// Whether the token carries `scope`.
    pub fn has_scope(&self, scope: Permission) -> bool {
        self.scopes.contains(&scope)
    }
}

/// An app subscribed to a WABA's webhooks (`/{waba-id}/subscribed_apps`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WabaSubscription {
    /// The WABA.
    pub waba_id: WabaId,
    /// The subscribed app.
    pub app_id: AppId,
    /// Callback override for this WABA.
    pub override_callback_uri: Option<String>,
    /// Verify token for the override's handshake.
    pub verify_token: Option<String>,
    /// When subscribed.
    pub subscribed_at: Timestamp,
}

/// Everything the platform holds about the world, in one value: what a world file loads and
/// what an export writes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct WorldState {
    /// Apps.
    pub apps: Vec<App>,
    /// Business portfolios.
    pub businesses: Vec<Business>,
    /// System users.
    pub system_users: Vec<SystemUser>,
    /// WABAs.
    pub wabas: Vec<Waba>,
    /// Phone numbers.
    pub phone_numbers: Vec<PhoneNumber>,
    /// Templates.
    pub templates: Vec<Template>,
    /// Tokens (hashed).
    pub tokens: Vec<TokenRecord>,
    /// WABA webhook subscriptions.
    pub subscriptions: Vec<WabaSubscription>,
    /// App-level webhook subscriptions.
    #[serde(default)]
    pub app_subscriptions: Vec<AppSubscription>,
    /// System users assigned to WABAs.
    #[serde(default)]
    pub assignments: Vec<crate::assignment::WabaAssignment>,
    /// What delivered templates cost; `None` for the default rate card.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_card: Option<crate::metrics::RateCard>,
    /// Meta Pixels (datasets) of the businesses.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pixels: Vec<crate::capi::Pixel>,
}

/// Something that happened on the platform, for the event log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Sequence number, increasing.
    pub seq: i64,
    /// When it happened (platform clock).
    pub at: Timestamp,
    /// Kind, e.g. `template.created`.
    pub kind: String,
    /// The object it is about.
    pub subject: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// An event about to be recorded (it gets its sequence number when committed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// When it happened (platform clock).
    pub at: Timestamp,
    /// Kind, e.g. `template.created`.
    pub kind: String,
    /// The object it is about.
    pub subject: String,
    /// Details.
    pub detail: serde_json::Value,
}

/// An app's webhook subscription for one object (`/{app-id}/subscriptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSubscription {
    /// The app.
    pub app_id: AppId,
    /// The subscribed object, e.g. `whatsapp_business_account`.
    pub object: String,
    /// Where deliveries go.
    pub callback_url: String,
    /// The token echoed in the verification handshake.
    pub verify_token: String,
    /// Subscribed fields, e.g. `account_update`, `messages`.
    pub fields: Vec<String>,
    /// Whether the callback passed the verification handshake.
    pub active: bool,
    /// When last changed.
    pub updated_at: Timestamp,
}

impl AppSubscription {
    /// Whether deliveries of `field` go to this subscription.
    pub fn wants(&self, field: &str) -> bool {
        self.active && self.fields.iter().any(|f| f == field)
    }
}

/// A webhook change to deliver: one `entry` with one `changes` item, to one endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewWebhook {
    /// The app whose secret signs the delivery.
    pub app_id: AppId,
    /// The callback URL.
    pub endpoint: String,
    /// `entry.id` (the WABA ID for WhatsApp fields).
    pub object_id: String,
    /// `changes[].field`.
    pub field: String,
    /// `changes[].value`.
    pub value: serde_json::Value,
    /// When the change happened (platform clock); `entry.time` when included.
    pub time: Timestamp,
    /// Whether `entry.time` is sent (Meta omits it for `messages`).
    pub include_time: bool,
}

/// Where a webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for a (first or further) attempt.
    Pending,
    /// Acknowledged with a 2xx.
    Delivered,
    /// Given up after the retry window.
    Dropped,
}

/// The most webhook changes one outbox batch holds, and one delivery carries: Meta sends up to
/// 1,000 changes in one POST.
pub const OUTBOX_BATCH_MAX: usize = 1000;

/// A webhook delivery in the outbox.
///
/// Deliveries are stored and delivered in batches: the webhooks that commits enqueued together
/// for one app's endpoint, numbered consecutively from the batch's ID. Every item of a batch
/// shares its status, attempts and lease, because one POST carries them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    /// Outbox ID, increasing in commit order.
    pub id: i64,
    /// The batch it is delivered in: the ID of the batch's first item.
    pub batch: i64,
    /// What to deliver.
    pub webhook: NewWebhook,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// When the next attempt is due (platform clock).
    pub next_attempt_at: Timestamp,
    /// When it was enqueued (platform clock).
    pub created_at: Timestamp,
    /// When a 2xx acknowledged it.
    pub delivered_at: Option<Timestamp>,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// One delivery attempt of one outbox batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// The outbox batch ([`OutboxItem::batch`]).
    pub outbox_id: i64,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// When it started (platform clock).
    pub at: Timestamp,
    /// How long it took, in milliseconds of wall time.
    pub duration_ms: i64,
    /// The HTTP status, when an answer came.
    pub status_code: Option<u16>,
    /// The failure, when there was one (timeout, connection refused, non-2xx).
    pub error: Option<String>,
    /// The first bytes of the answer.
    pub response_snippet: String,
}

/// What happens to an outbox batch after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Acknowledged.
    Delivered,
    /// Try again at this instant (platform clock).
    Retry {
        /// When.
        next_attempt_at: Timestamp,
    },
    /// Give up.
    Drop,
}

/// The result of one attempt, to record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryResult {
    /// The attempt.
    pub attempt: Attempt,
    /// What follows.
    pub outcome: Outcome,
    /// The lease (`lease_until`, wall-clock ms) the recording worker claimed the row with.
    /// A retry or a drop applies only while the row still holds that lease: once another
    /// worker has claimed it again, that worker decides what follows. `None` records
    /// unconditionally.
    #[serde(default)]
    pub lease_until: Option<i64>,
}

/// Where an MM API onboarding request (Intent API) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RequestStatus {
    /// Waiting for an admin of the client business.
    Pending,
    /// An admin accepted: the terms are signed.
    Accepted,
    /// An admin rejected it.
    Rejected,
}

/// A business-agreement request of type `MM_LITE_ONBOARDING`, made through the Intent API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnboardingRequest {
    /// The `request_id` returned to the partner.
    pub id: wamm_wire::ids::RequestId,
    /// The end business asked to onboard.
    pub client_business_id: BusinessId,
    /// The partner that asked.
    pub partner_business_id: BusinessId,
    /// The partner's app that called the Intent API.
    pub app_id: AppId,
    /// Multi-Partner Solution the OBO WABAs move to, if given.
    pub solution_id: Option<SolutionId>,
    /// Where it stands.
    pub status: RequestStatus,
    /// When it was made.
    pub created_at: Timestamp,
    /// When an admin decided.
    pub decided_at: Option<Timestamp>,
    /// Who decided.
    pub decided_by: Option<UserId>,
    /// OBO WABAs whose migration intent this request set.
    pub obo_intents_set: Vec<WabaId>,
    /// Reminder emails sent after the first.
    pub reminders_sent: u32,
    /// When the next reminder is due, while pending.
    pub next_reminder_at: Option<Timestamp>,
}

/// An email the platform sent (to a business admin), kept in a mailbox tests and people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewEmail {
    /// Recipient address.
    pub to: String,
    /// The business it concerns.
    pub business_id: BusinessId,
    /// The request it is about, if any.
    pub request_id: Option<wamm_wire::ids::RequestId>,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// The link the email points to (a console page).
    pub link: String,
    /// When it was sent (platform clock).
    pub sent_at: Timestamp,
}

/// A sent email, with its mailbox sequence number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// Sequence number, increasing.
    pub id: i64,
    /// The email.
    #[serde(flatten)]
    pub email: NewEmail,
}

/// The ad entities behind an onboarded WABA's MARKETING template (Ad account → Campaign →
/// Ad set ("message set") → Ad), as the template's `ad_*` fields report them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdEntities {
    /// The WABA's ad account.
    pub ad_account_id: String,
    /// The campaign.
    pub ad_campaign_id: String,
    /// The ad set.
    pub ad_adset_id: String,
    /// The ad.
    pub ad_id: String,
    /// The campaign's objective, fixed when the chain was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objective: Option<crate::ads::Objective>,
    /// The ad set's optimization goal, fixed when the chain was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub optimization_goal: Option<crate::ads::OptimizationGoal>,
}

/// A single-use authorization code Embedded Signup hands the partner's page, exchanged at
/// `GET /oauth/access_token` for a business token. Stored by hash, like tokens.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthCode {
    /// Lowercase hex SHA-256 of the code.
    pub hash: String,
    /// The app whose Embedded Signup issued it.
    pub app_id: AppId,
    /// The Login for Business configuration it ran with.
    pub config_id: Option<u64>,
    /// The client business that signed up.
    pub business_id: BusinessId,
    /// The business integration system user the token will act as.
    pub system_user_id: UserId,
    /// WABAs the business granted.
    pub wabas: Vec<WabaId>,
    /// Permissions the token will carry.
    pub scopes: Vec<Permission>,
    /// The `redirect_uri` of a redirect-flow dialog; the exchange must repeat it.
    pub redirect_uri: Option<String>,
    /// When issued.
    pub issued_at: Timestamp,
    /// When it stops being exchangeable (30 seconds after issue).
    pub expires_at: Timestamp,
    /// When it was exchanged, if it was.
    pub used_at: Option<Timestamp>,
}

/// A message accepted for sending, with the rest of its planned life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The `wamid.…` ID.
    pub id: String,
    /// The sending number.
    pub phone_number_id: PhoneNumberId,
    /// Its WABA.
    pub waba_id: WabaId,
    /// The app whose token sent it.
    pub app_id: AppId,
    /// The recipient's WhatsApp ID (digits).
    pub to: String,
    /// How it travels.
    pub route: crate::sending::Route,
    /// The template's category; `None` for text.
    pub category: Option<TemplateCategory>,
    /// The template sent, if any.
    pub template_id: Option<TemplateId>,
    /// `biz_opaque_callback_data`, echoed in status webhooks.
    pub biz_opaque_callback_data: Option<String>,
    /// The Graph major version of the send (status webhooks render by it).
    pub graph_major: u32,
    /// When accepted.
    pub accepted_at: Timestamp,
    /// The last status reached (`sent`, `delivered`, `read`, `failed`, `expired`), if any.
    pub status: Option<String>,
    /// Steps done so far; the store claims the next one by this count.
    pub steps_done: u32,
    /// What happens next and when, in order.
    pub plan: Vec<(Timestamp, crate::sending::Step)>,
    /// The sending WABA's `timezone_id` at acceptance: the analytics count the message's
    /// steps on the local days of that zone too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone_id: Option<String>,
}

impl Message {
    /// The message after its first `steps_done` planned steps, with the status they leave
    /// it in: a store keeps the count of steps taken beside an unchanged document, and the
    /// status follows from the plan.
    #[must_use]
    pub fn after_steps(mut self, steps_done: u32) -> Self {
        let done = usize::try_from(steps_done)
            .unwrap_or(usize::MAX)
            .min(self.plan.len());
        self.status = self.plan[..done]
            .iter()
            .rev()
            .find_map(|(_, step)| step.status())
            .map(str::to_owned);
        self.steps_done = steps_done;
        self
    }

    /// When the next step is due, if any is left.
    pub fn next_at(&self) -> Option<Timestamp> {
        self.plan
            .get(usize::try_from(self.steps_done).unwrap_or(usize::MAX))
            .map(|(at, _)| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sending::{Route, Step};

    fn message(plan: Vec<Step>) -> Message {
        Message {
            id: "wamid.1".into(),
            phone_number_id: PhoneNumberId::new(1),
            waba_id: WabaId::new(2),
            app_id: AppId::new(3),
            to: "5511999990000".into(),
            route: Route::MarketingLite,
            category: Some(TemplateCategory::Marketing),
            template_id: None,
            biz_opaque_callback_data: None,
            graph_major: 23,
            accepted_at: Timestamp::from_millis(0),
            status: None,
            steps_done: 0,
            plan: plan
                .into_iter()
                .enumerate()
                .map(|(i, s)| (Timestamp::from_millis(i64::try_from(i).expect("small")), s))
                .collect(),
            timezone_id: None,
        }
    }

    #[test]
    fn the_status_after_some_steps_is_the_last_status_they_set() {
        let m = message(vec![Step::Sent, Step::Delivered, Step::Read, Step::Click]);
        assert_eq!(m.clone().after_steps(0).status, None);
        assert_eq!(m.clone().after_steps(1).status.as_deref(), Some("sent"));
        assert_eq!(m.clone().after_steps(3).status.as_deref(), Some("read"));
        // A click leaves the status as it was.
        let clicked = m.clone().after_steps(4);
        assert_eq!(clicked.status.as_deref(), Some("read"));
        assert_eq!(clicked.steps_done, 4);
        assert_eq!(clicked.next_at(), None);
        // More steps than planned count as all of them for the status.
        assert_eq!(m.after_steps(9).status.as_deref(), Some("read"));
        let failed = message(vec![Step::Sent, Step::Failed(131_050)]).after_steps(2);
        assert_eq!(failed.status.as_deref(), Some("failed"));
    }
}
