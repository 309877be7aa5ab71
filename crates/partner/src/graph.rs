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
    /// Conversions attributed to the day's clicks (MM API only; zeros elsewhere).
    #[serde(default)]
    pub conversions: Conversions,
}

/// Conversions template analytics attribute to a template's clicked messages, under Meta's
/// metric names: web events through a Pixel or the Conversions API, app events through the
/// Meta SDK or the Conversions API for App Events.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Conversions {
    /// `website_purchases`.
    pub website_purchases: i64,
    /// `website_purchases_conversion_value`, in the business's currency.
    pub website_purchases_conversion_value: f64,
    /// `website_add_to_cart`.
    pub website_add_to_cart: i64,
    /// `website_checkouts_initiated`.
    pub website_checkouts_initiated: i64,
    /// `app_purchases`.
    pub app_purchases: i64,
    /// `app_purchases_conversion_value`, in the business's currency.
    pub app_purchases_conversion_value: f64,
    /// `app_add_to_cart`.
    pub app_add_to_cart: i64,
    /// `app_checkouts_initiated`.
    pub app_checkouts_initiated: i64,
    /// `app_activations`.
    pub app_activations: i64,
}

impl RemoteTemplate {
    /// Whether Meta's ad sync linked it: its ad, message set, campaign and ad account are all
    /// readable.
    pub const fn linked(&self) -> bool {
        self.ad_id.is_some()
            && self.ad_adset_id.is_some()
            && self.ad_campaign_id.is_some()
            && self.ad_account_id.is_some()
    }
}

impl Conversions {
    /// Purchases, web and app.
    pub const fn purchases(&self) -> i64 {
        self.website_purchases + self.app_purchases
    }

    /// What the purchases were worth, web and app.
    pub fn purchase_value(&self) -> f64 {
        self.website_purchases_conversion_value + self.app_purchases_conversion_value
    }

    /// Add-to-cart events, web and app.
    pub const fn add_to_cart(&self) -> i64 {
        self.website_add_to_cart + self.app_add_to_cart
    }

    /// Checkouts initiated, web and app.
    pub const fn checkouts_initiated(&self) -> i64 {
        self.website_checkouts_initiated + self.app_checkouts_initiated
    }

    /// Adds `other` to these.
    pub fn add(&mut self, other: &Self) {
        self.website_purchases += other.website_purchases;
        self.website_purchases_conversion_value += other.website_purchases_conversion_value;
        self.website_add_to_cart += other.website_add_to_cart;
        self.website_checkouts_initiated += other.website_checkouts_initiated;
        self.app_purchases += other.app_purchases;
        self.app_purchases_conversion_value += other.app_purchases_conversion_value;
        self.app_add_to_cart += other.app_add_to_cart;
        self.app_checkouts_initiated += other.app_checkouts_initiated;
        self.app_activations += other.app_activations;
    }

    /// The conversions of a data point's other keys, by Meta's names; a missing or
    /// unreadable key counts as zero.
    pub fn from_keys(keys: &std::collections::BTreeMap<String, serde_json::Value>) -> Self {
        let count = |k: &str| keys.get(k).and_then(integer).unwrap_or_default();
        let value = |k: &str| keys.get(k).and_then(number).unwrap_or_default();
        Self {
            website_purchases: count("website_purchases"),
            website_purchases_conversion_value: value("website_purchases_conversion_value"),
            website_add_to_cart: count("website_add_to_cart"),
            website_checkouts_initiated: count("website_checkouts_initiated"),
            app_purchases: count("app_purchases"),
            app_purchases_conversion_value: value("app_purchases_conversion_value"),
            app_add_to_cart: count("app_add_to_cart"),
            app_checkouts_initiated: count("app_checkouts_initiated"),
            app_activations: count("app_activations"),
        }
    }
}

/// A JSON integer, or one written as a string.
fn integer(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A JSON number, or a number written as a string (Graph writes some figures so).
fn number(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A template as conversion measurement sees it: its category and status, the ad entities
/// Meta linked it to, and its URL buttons.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RemoteTemplate {
    /// The template's ID.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its language.
    pub language: String,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: Option<String>,
    /// `APPROVED`, `PENDING`, `PAUSED`…
    pub status: Option<String>,
    /// `ad_id`, present once Meta's ad sync linked the template.
    pub ad_id: Option<String>,
    /// `ad_adset_id` (the message set), present once the ad sync linked the template.
    pub ad_adset_id: Option<String>,
    /// `ad_campaign_id`, present once the ad sync linked the template.
    pub ad_campaign_id: Option<String>,
    /// `ad_account_id`, present once the ad sync linked the template.
    pub ad_account_id: Option<String>,
    /// The URLs of its URL buttons, as written in the template (placeholders kept).
    pub url_buttons: Vec<String>,
    /// `cta_url_link_tracking_opted_out` (Meta's default: false).
    pub link_tracking_opted_out: bool,
}

/// What conversion measurement needs of a WABA, as Graph reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversionSetup {
    /// Its `marketing_messages_onboarding_status`.
    pub status: WabaStatus,
    /// `is_enabled_for_insights`, when readable.
    pub insights_enabled: Option<bool>,
    /// Its templates.
    pub templates: Vec<RemoteTemplate>,
}

/// One ad's MM API Insights on one UTC day, read from its WABA's ad account with the client's
/// business token (`GET /act_<id>/insights`, `level=ad`, `time_increment=1`).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AdInsightsDay {
    /// The WABA whose ad account it is.
    pub waba_id: String,
    /// The ad account's digits (the templates' `ad_account_id`).
    pub account_id: String,
    /// The ad Meta mirrored the template onto.
    pub ad_id: String,
    /// The template behind the ad, when one of the WABA's templates names the ad.
    pub template_id: Option<String>,
    /// The ad's name (`<template> (<language>)` on a wamm platform).
    pub ad_name: String,
    /// The day's start, Unix seconds (UTC).
    pub day: i64,
    /// `marketing_messages_sent`.
    pub sent: i64,
    /// `marketing_messages_delivered`.
    pub delivered: i64,
    /// `marketing_messages_read`.
    pub read: i64,
    /// `marketing_messages_link_btn_click`.
    pub clicked: i64,
    /// `marketing_messages_spend`, in `currency`.
    pub spend: f64,
    /// `marketing_messages_spend_currency`, when Insights gave it.
    pub currency: Option<String>,
    /// `marketing_messages_delivery_rate`, in percent, when Insights gave it.
    pub delivery_rate: Option<f64>,
    /// `marketing_messages_read_rate` (per delivery), in percent.
    pub read_rate: Option<f64>,
    /// `marketing_messages_link_btn_click_rate` (per delivery), in percent.
    pub click_rate: Option<f64>,
}

/// A WABA's MM API Insights, or why there are none to read.
#[derive(Debug, Clone, PartialEq)]
pub enum AdInsights {
    /// No template of the WABA names an ad account: Meta has linked none yet.
    NoAdAccount,
    /// The account's daily rows per ad.
    Days {
        /// The ad account's digits.
        account_id: String,
        /// One row per ad and day.
        days: Vec<AdInsightsDay>,
    },
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
    /// What conversion measurement needs of `waba` (onboarding status, template insights,
    /// templates with their ad fields and URL buttons), read with the business `token` or the
    /// partner's own credentials when there is none.
    async fn conversion_setup(
        &self,
        token: Option<&Secret>,
        waba: &str,
    ) -> Result<ConversionSetup, GraphFailure>;
    /// MM API Insights of `waba`'s ad account, per ad and UTC day from `start` to `end` (Unix
    /// seconds, `end` excluded), read with the client's business `token`: the ad account is
    /// the one the WABA's templates name in `ad_account_id`. Meta gives partners no access of
    /// their own to these accounts, so there is no variant without a token.
    async fn ad_insights(
        &self,
        token: &Secret,
        waba: &str,
        start: i64,
        end: i64,
    ) -> Result<AdInsights, GraphFailure>;
    /// The IDs of the datasets (Pixels) of `waba`'s owner business, `GET /{waba-id}/dataset`,
    /// read with the business `token` or the partner's own credentials when there is none.
    async fn datasets(
        &self,
        token: Option<&Secret>,
        waba: &str,
    ) -> Result<Vec<String>, GraphFailure>;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn conversions_are_read_by_metas_names_and_summed() {
        let keys: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_value(
            json!({"website_purchases": 2, "website_purchases_conversion_value": 30.5,
                   "app_purchases": "1", "app_purchases_conversion_value": 4.5,
                   "website_add_to_cart": 3, "app_checkouts_initiated": 1,
                   "app_activations": 2, "replied": 0, "website_checkouts_initiated": null}),
        )
        .expect("keys");
        let c = Conversions::from_keys(&keys);
        assert_eq!(
            (c.purchases(), c.add_to_cart(), c.checkouts_initiated()),
            (3, 3, 1)
        );
        assert!((c.purchase_value() - 35.0).abs() < 1e-9);
        assert_eq!(c.app_activations, 2);
        let mut sum = c;
        sum.add(&c);
        assert_eq!(sum.purchases(), 6);
        assert_eq!(
            Conversions::from_keys(&Default::default()),
            Conversions::default()
        );
    }
}
