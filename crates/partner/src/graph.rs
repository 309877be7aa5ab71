//! What the orchestrator asks of Graph, as a port: the calls it makes, in its own terms.
//!
//! [`crate::orchestrate`] works against this trait, so its rules are tested with a fake and run
//! against real Graph or a wamm platform through `wamm-client`.

use crate::stage::{BusinessStatus, WabaStatus};
use crate::vault::Secret;

/// A Graph call that failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Graph: {message} (code {code})")]
pub struct GraphFailure {
    /// Graph's error code (0 when the call never got an answer).
    pub code: i64,
    /// What Graph (or the transport) said.
    pub message: String,
}

/// A client WABA as Graph reports it to the partner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteWaba {
    /// The WABA's ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its `marketing_messages_onboarding_status`.
    pub status: WabaStatus,
    /// The owner portfolio's ID.
    pub business_id: String,
    /// The owner portfolio's name.
    pub business_name: String,
    /// The owner portfolio's `marketing_messages_onboarding_status.status`, when readable.
    pub business_status: Option<BusinessStatus>,
    /// A phone number registered on Cloud API, to send from.
    pub phone_number_id: Option<String>,
}

/// How the Intent API answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntentOutcome {
    /// A request was made (or the pending one returned).
    Requested {
        /// Its `request_id`.
        request_id: String,
    },
    /// The client was already invited (1752041): asked before, by us or another partner.
    AlreadyRequested,
}

/// Which send endpoint a message goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /{phone}/marketing_messages` (MM API).
    MarketingMessages,
    /// `POST /{phone}/messages` (Cloud API).
    Messages,
}

impl Endpoint {
    /// The path segment.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MarketingMessages => "marketing_messages",
            Self::Messages => "messages",
        }
    }
}

/// Which sends a metric counts.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Sends through MM API.
    MarketingMessages,
    /// Sends through Cloud API.
    CloudApi,
}

impl Product {
    /// How the store and the CLI write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::MarketingMessages => "marketing_messages",
            Self::CloudApi => "cloud_api",
        }
    }
}

/// One template's metrics on one UTC day, for one product, as template analytics report them.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TemplateDay {
    /// The WABA.
    pub waba_id: String,
    /// The template.
    pub template_id: String,
    /// Its name.
    pub template_name: String,
    /// The day's start, Unix seconds.
    pub day: i64,
    /// Which sends.
    pub product: Product,
    /// Messages sent.
    pub sent: i64,
    /// Messages delivered.
    pub delivered: i64,
    /// Messages read.
    pub read: i64,
    /// URL button clicks.
    pub clicked: i64,
    /// What the day's deliveries cost, when the business may see it.
    pub cost: Option<f64>,
}

/// The Graph calls the orchestrator makes.
#[async_trait::async_trait]
pub trait PartnerGraph: Send + Sync {
    /// Every WABA the partner's clients shared with it, with statuses.
    async fn client_wabas(&self) -> Result<Vec<RemoteWaba>, GraphFailure>;
    /// `POST /{business}/onboard_partners_to_mm_lite`.
    async fn request_onboarding(&self, business: &str) -> Result<IntentOutcome, GraphFailure>;
    /// `POST /{business}/system_user_access_tokens?fetch_only=true`, with `appsecret_proof`.
    async fn business_token(&self, business: &str) -> Result<Secret, GraphFailure>;
    /// The WABAs `debug_token` shows `token` may act on.
    async fn token_wabas(&self, token: &Secret) -> Result<Vec<String>, GraphFailure>;
    /// A template's category (`MARKETING`, `UTILITY`, …), read with the business `token`, or
    /// the partner's own credentials when there is none.
    async fn template_category(
        &self,
        token: Option<&Secret>,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<String>, GraphFailure>;
    /// Exchanges an Embedded Signup code (single use, 30 s) for the client's business token.
    async fn exchange_code(&self, code: &str) -> Result<Secret, GraphFailure>;
    /// The WABA as the business `token` sees it.
    async fn waba(&self, token: &Secret, waba: &str) -> Result<RemoteWaba, GraphFailure>;
    /// Subscribes the partner's app to the WABA's webhooks, with the business `token`.
    async fn subscribe(&self, token: &Secret, waba: &str) -> Result<(), GraphFailure>;
    /// Registers `phone` on Cloud API with a two-step verification `pin`.
    async fn register(&self, token: &Secret, phone: &str, pin: &str) -> Result<(), GraphFailure>;
    /// Template analytics of every template of `waba`, MM API and Cloud API, per UTC day from
    /// `start` to `end` (Unix seconds), read with the business `token` or the partner's own
    /// credentials when there is none.
    async fn template_metrics(
        &self,
        token: Option<&Secret>,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<Vec<TemplateDay>, GraphFailure>;
    /// Sends `message` from `phone` with the business `token`, or the partner's own
    /// credentials when there is none; returns the `wamid`.
    async fn send_template(
        &self,
        token: Option<&Secret>,
        endpoint: Endpoint,
        phone: &str,
        message: &crate::send::SendOrder,
    ) -> Result<String, GraphFailure>;
}
