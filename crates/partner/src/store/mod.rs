//! The orchestrator's own store: one trait, SQLite (the default) and PostgreSQL behind it.
//!
//! Rows are small JSON documents keyed by Graph ID; only what is filtered or counted has a
//! column of its own. The store knows nothing of Graph or of the funnel's rules: it keeps
//! facts, and [`crate::stage`] reads them.

mod document;
mod postgres;
mod sql;
mod sqlite;
mod writer;

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::graph::{AdInsightsDay, TemplateDay};
use crate::readiness::BusinessReadiness;
use crate::stage::{BusinessStatus, Request, WabaStatus};

use sql::SqlPartnerStore;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrating the schema failed.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored document does not decode.
    #[error("stored document: {0}")]
    Document(#[from] serde_json::Error),
    /// A stored column holds a value no version of this crate writes.
    #[error("stored value: {0}")]
    Invalid(String),
    /// The URL names no supported database (the URL is not repeated: it may hold a password).
    #[error("unsupported database URL: use sqlite:… or postgres://…")]
    Url,
}

/// A client business portfolio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientBusiness {
    /// Graph ID.
    pub id: String,
    /// Name.
    pub name: String,
    /// `marketing_messages_onboarding_status.status` at the last sync.
    pub status: Option<BusinessStatus>,
    /// The partner's onboarding request, once made.
    pub request: Option<Request>,
}

/// A client WABA shared with the partner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientWaba {
    /// Graph ID.
    pub id: String,
    /// The owner portfolio's Graph ID.
    pub business_id: String,
    /// Name.
    pub name: String,
    /// `marketing_messages_onboarding_status` at the last sync.
    pub status: Option<WabaStatus>,
    /// When `MM_LITE_TERMS_SIGNED` arrived (Unix seconds).
    pub terms_signed_at: Option<i64>,
    /// A phone number registered on Cloud API to send from, if any.
    pub phone_number_id: Option<String>,
    /// When its first message was accepted (Unix seconds).
    pub first_sent_at: Option<i64>,
    /// The last thing that happened to it, in words, and when (Unix seconds).
    pub last_event: Option<(String, i64)>,
}

/// A business token, sealed (see [`crate::vault`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    /// The client business it acts for.
    pub business_id: String,
    /// The sealed token.
    pub sealed: String,
    /// The WABAs `debug_token` showed it may act on.
    pub wabas: Vec<String>,
    /// When it was fetched (Unix seconds).
    pub fetched_at: i64,
}

/// A message the partner sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentMessage {
    /// The `wamid.…`.
    pub id: String,
    /// The WABA it went from.
    pub waba_id: String,
    /// The number it went from.
    pub phone_number_id: String,
    /// `marketing_messages` or `messages`.
    pub route: String,
    /// The template, if any.
    pub template: Option<String>,
    /// `accepted`, then `sent`, `delivered`, `read` or `failed` as webhooks tell.
    pub status: String,
    /// When accepted (Unix seconds).
    pub at: i64,
}

/// When the orchestrator first saw a template, and whether its WABA was onboarded then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateSighting {
    /// The WABA.
    pub waba_id: String,
    /// The template.
    pub template_id: String,
    /// When first seen (Unix seconds).
    pub first_seen_at: i64,
    /// Whether the WABA was not yet onboarded to MM API then.
    pub before_onboarding: bool,
}

/// How far a message status is along; statuses arrive out of order, and only a later one may
/// replace an earlier one.
pub(crate) fn status_rank(status: &str) -> u8 {
    // `accepted` and anything unknown rank lowest.
    match status {
        "sent" => 1,
        "delivered" => 2,
        "read" => 3,
        // Final whenever it comes.
        "failed" => 4,
        _ => 0,
    }
}

/// The orchestrator's storage.
#[async_trait::async_trait]
pub trait PartnerStore: Send + Sync + std::fmt::Debug {
    /// Adds or updates a business; its recorded request is kept when `business.request` is
    /// `None`.
    async fn put_business(&self, business: &ClientBusiness) -> Result<(), StoreError>;
    /// One business.
    async fn business(&self, id: &str) -> Result<Option<ClientBusiness>, StoreError>;
    /// Every business, by ID.
    async fn businesses(&self) -> Result<Vec<ClientBusiness>, StoreError>;
    /// Records the onboarding request for a business unless one is recorded; returns whether
    /// this call recorded it.
    async fn record_request(&self, business: &str, request: &Request) -> Result<bool, StoreError>;
    /// Adds or updates a WABA.
    async fn put_waba(&self, waba: &ClientWaba) -> Result<(), StoreError>;
    /// One WABA.
    async fn waba(&self, id: &str) -> Result<Option<ClientWaba>, StoreError>;
    /// Every WABA, by ID.
    async fn wabas(&self) -> Result<Vec<ClientWaba>, StoreError>;
    /// Adds or replaces a business's token.
    async fn put_token(&self, token: &StoredToken) -> Result<(), StoreError>;
    /// A business's token.
    async fn token(&self, business: &str) -> Result<Option<StoredToken>, StoreError>;
    /// Every token, by business.
    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError>;
    /// Records a sent message (again: no change).
    async fn record_message(&self, message: &SentMessage) -> Result<(), StoreError>;
    /// Moves a message to `status` when that is further along (accepted, sent, delivered,
    /// read; `failed` is final whenever it comes, and a status that arrives late never moves a
    /// message back); returns whether it changed.
    async fn set_message_status(&self, id: &str, status: &str) -> Result<bool, StoreError>;
    /// One message.
    async fn message(&self, id: &str) -> Result<Option<SentMessage>, StoreError>;
    /// Messages per (WABA, status).
    async fn message_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError>;
    /// Sets a template's category.
    async fn set_category(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        category: &str,
    ) -> Result<(), StoreError>;
    /// A template's category, if known.
    async fn category(
        &self,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<String>, StoreError>;
    /// Stores synced template analytics, replacing what the same WABA, template, day and
    /// product held.
    async fn put_template_days(&self, days: &[TemplateDay]) -> Result<(), StoreError>;
    /// Synced template analytics from day `since` (Unix seconds) on, of one client business's
    /// WABAs or of all, by WABA, template, day and product.
    async fn template_days(
        &self,
        business: Option<&str>,
        since: i64,
    ) -> Result<Vec<TemplateDay>, StoreError>;
    /// Stores synced MM API Insights, replacing what the same WABA, ad and day held.
    async fn put_ad_insights_days(&self, days: &[AdInsightsDay]) -> Result<(), StoreError>;
    /// Synced MM API Insights from day `since` (Unix seconds) on, of one client business's
    /// WABAs or of all, by WABA, ad and day.
    async fn ad_insights_days(
        &self,
        business: Option<&str>,
        since: i64,
    ) -> Result<Vec<AdInsightsDay>, StoreError>;
    /// Records templates seen; a template seen before keeps its first sighting.
    async fn record_sightings(&self, seen: &[TemplateSighting]) -> Result<(), StoreError>;
    /// The first sightings of a WABA's templates.
    async fn sightings(&self, waba: &str) -> Result<Vec<TemplateSighting>, StoreError>;
    /// Replaces a business's last readiness check.
    async fn put_readiness(&self, readiness: &BusinessReadiness) -> Result<(), StoreError>;
    /// The last readiness check of every business, by business ID.
    async fn readiness(&self) -> Result<Vec<BusinessReadiness>, StoreError>;
}

/// Opens `sqlite:…` (created if missing) or `postgres://…` and migrates it.
pub async fn connect(url: &str) -> Result<Arc<dyn PartnerStore>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(
            SqlPartnerStore::<sqlx::Sqlite>::connect(url).await?,
        ))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(
            SqlPartnerStore::<sqlx::Postgres>::connect(url).await?,
        ))
    } else {
        Err(StoreError::Url)
    }
}

#[cfg(test)]
mod tests {
    use super::status_rank;

    #[test]
    fn statuses_only_move_forward() {
        let order = ["accepted", "sent", "delivered", "read", "failed"];
        for pair in order.windows(2) {
            assert!(status_rank(pair[0]) < status_rank(pair[1]), "{pair:?}");
        }
    }
}
