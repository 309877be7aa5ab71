//! The SQL both backends run (written once, with `$n` placeholders both engines accept), and
//! the [`PartnerStore`](super::PartnerStore) implementation, expanded per backend by
//! [`impl_partner_store!`].

use crate::graph::{AdInsightsDay, Product, TemplateDay};

/// Upserts and updates.
pub(super) const PUT_BUSINESS: &str = "INSERT INTO businesses (id, doc) VALUES ($1, $2) \
    ON CONFLICT (id) DO UPDATE SET doc = excluded.doc";
pub(super) const RECORD_REQUEST: &str =
    "UPDATE businesses SET request = $2 WHERE id = $1 AND request IS NULL";
pub(super) const PUT_WABA: &str = "INSERT INTO wabas (id, business_id, doc) VALUES ($1, $2, $3) \
    ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
pub(super) const PUT_TOKEN: &str = "INSERT INTO tokens (business_id, doc) VALUES ($1, $2) \
    ON CONFLICT (business_id) DO UPDATE SET doc = excluded.doc";
pub(super) const RECORD_MESSAGE: &str = "INSERT INTO messages (id, waba_id, status, doc) \
    VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
/// `$3` is the new status's rank; the `CASE` ranks the stored one the same way as
/// [`status_rank`](super::status_rank).
pub(super) const ADVANCE_MESSAGE: &str = "UPDATE messages SET status = $2 WHERE id = $1 AND \
    (CASE status WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 \
    WHEN 'failed' THEN 4 ELSE 0 END) < $3";
pub(super) const SET_CATEGORY: &str = "INSERT INTO template_categories \
    (waba_id, name, language, category) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (waba_id, name, language) DO UPDATE SET category = excluded.category";
pub(super) const PUT_TEMPLATE_DAY: &str = "INSERT INTO template_metrics (waba_id, \
    template_id, day, product, template_name, sent, delivered, read, clicked, cost, \
    conversions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
    ON CONFLICT (waba_id, template_id, day, product) DO UPDATE SET \
    template_name = excluded.template_name, sent = excluded.sent, \
    delivered = excluded.delivered, read = excluded.read, clicked = excluded.clicked, \
    cost = excluded.cost, conversions = excluded.conversions";
pub(super) const PUT_AD_INSIGHTS_DAY: &str = "INSERT INTO ad_insights (waba_id, ad_id, day, \
    account_id, template_id, ad_name, sent, delivered, read, clicked, spend, currency, \
    delivery_rate, read_rate, click_rate) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
    ON CONFLICT (waba_id, ad_id, day) DO UPDATE SET account_id = excluded.account_id, \
    template_id = excluded.template_id, ad_name = excluded.ad_name, sent = excluded.sent, \
    delivered = excluded.delivered, read = excluded.read, clicked = excluded.clicked, \
    spend = excluded.spend, currency = excluded.currency, \
    delivery_rate = excluded.delivery_rate, read_rate = excluded.read_rate, \
    click_rate = excluded.click_rate";
pub(super) const RECORD_SIGHTING: &str = "INSERT INTO template_sightings \
    (waba_id, template_id, first_seen_at, before_onboarding) VALUES ($1, $2, $3, $4) \
    ON CONFLICT (waba_id, template_id) DO NOTHING";
pub(super) const PUT_READINESS: &str = "INSERT INTO readiness (business_id, checked_at, doc) \
    VALUES ($1, $2, $3) ON CONFLICT (business_id) DO UPDATE SET \
    checked_at = excluded.checked_at, doc = excluded.doc";

/// Reads.
pub(super) const BUSINESS: &str = "SELECT doc, request FROM businesses WHERE id = $1";
pub(super) const BUSINESSES: &str = "SELECT doc, request FROM businesses ORDER BY id";
pub(super) const WABA: &str = "SELECT doc FROM wabas WHERE id = $1";
pub(super) const WABAS: &str = "SELECT doc FROM wabas ORDER BY id";
pub(super) const TOKEN: &str = "SELECT doc FROM tokens WHERE business_id = $1";
pub(super) const TOKENS: &str = "SELECT doc FROM tokens ORDER BY business_id";
pub(super) const MESSAGE: &str = "SELECT doc, status FROM messages WHERE id = $1";
pub(super) const MESSAGE_COUNTS: &str = "SELECT waba_id, status, COUNT(*) FROM messages \
    GROUP BY waba_id, status ORDER BY waba_id, status";
pub(super) const CATEGORY: &str = "SELECT category FROM template_categories \
    WHERE waba_id = $1 AND name = $2 AND language = $3";
/// `$1` is a business ID or NULL for every business.
pub(super) const TEMPLATE_DAYS: &str = "SELECT m.waba_id, m.template_id, m.template_name, \
    m.day, m.product, m.sent, m.delivered, m.read, m.clicked, m.cost, m.conversions \
    FROM template_metrics m JOIN wabas w ON w.id = m.waba_id \
    WHERE ($1 IS NULL OR w.business_id = $1) AND m.day >= $2 \
    ORDER BY m.waba_id, m.template_id, m.day, m.product";
/// `$1` is a business ID or NULL for every business.
pub(super) const AD_INSIGHTS_DAYS: &str = "SELECT i.waba_id, i.ad_id, i.day, i.account_id, \
    i.template_id, i.ad_name, i.sent, i.delivered, i.read, i.clicked, i.spend, i.currency, \
    i.delivery_rate, i.read_rate, i.click_rate \
    FROM ad_insights i JOIN wabas w ON w.id = i.waba_id \
    WHERE ($1 IS NULL OR w.business_id = $1) AND i.day >= $2 \
    ORDER BY i.waba_id, i.ad_id, i.day";
pub(super) const SIGHTINGS: &str = "SELECT waba_id, template_id, first_seen_at, \
    before_onboarding FROM template_sightings WHERE waba_id = $1 ORDER BY template_id";
pub(super) const READINESS: &str = "SELECT doc FROM readiness ORDER BY business_id";

/// A template day row: WABA, template, name, day, product, the four counts, the cost and the
/// conversions (JSON).
pub(super) type TemplateDayRow = (
    String,
    String,
    String,
    i64,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    Option<String>,
);

/// A template day from its row.
pub(super) fn template_day_of(row: TemplateDayRow) -> Result<TemplateDay, super::StoreError> {
    let (
        waba_id,
        template_id,
        template_name,
        day,
        product,
        sent,
        delivered,
        read,
        clicked,
        cost,
        conversions,
    ) = row;
    let product = match product.as_str() {
        "marketing_messages" => Product::MarketingMessages,
        "cloud_api" => Product::CloudApi,
        other => {
            return Err(super::StoreError::Invalid(format!(
                "template_metrics product '{other}'"
            )));
        }
    };
    Ok(TemplateDay {
        waba_id,
        template_id,
        template_name,
        day,
        product,
        sent,
        delivered,
        read,
        clicked,
        cost,
        conversions: conversions
            .as_deref()
            .map(serde_json::from_str)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// An ad insights row: WABA, ad, day, account, template, ad name, the four counts, spend,
/// currency and the three rates.
pub(super) type AdInsightsRow = (
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    i64,
    i64,
    i64,
    i64,
    f64,
    Option<String>,
    Option<f64>,
    Option<f64>,
    Option<f64>,
);

/// An ad insights day from its row.
pub(super) fn ad_insights_day_of(row: AdInsightsRow) -> AdInsightsDay {
    let (
        waba_id,
        ad_id,
        day,
        account_id,
        template_id,
        ad_name,
        sent,
        delivered,
        read,
        clicked,
        spend,
        currency,
        delivery_rate,
        read_rate,
        click_rate,
    ) = row;
    AdInsightsDay {
        waba_id,
        account_id,
        ad_id,
        template_id,
        ad_name,
        day,
        sent,
        delivered,
        read,
        clicked,
        spend,
        currency,
        delivery_rate,
        read_rate,
        click_rate,
    }
}

/// A business from its document and its request column.
pub(super) fn business_of(
    doc: &str,
    request: Option<&str>,
) -> Result<super::ClientBusiness, super::StoreError> {
    let mut business: super::ClientBusiness = serde_json::from_str(doc)?;
    business.request = request.map(serde_json::from_str).transpose()?;
    Ok(business)
}

/// Implements [`PartnerStore`](super::PartnerStore) for `$store` (which has a
/// `pool: sqlx::Pool<$db>`).
macro_rules! impl_partner_store {
    ($store:ty) => {
        impl $store {
            /// The document `sql` selects for `key`, decoded.
            async fn doc_of<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
                key: &str,
            ) -> Result<Option<T>, $crate::store::StoreError> {
                let doc: Option<String> = sqlx::query_scalar(sql)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(doc.as_deref().map(serde_json::from_str).transpose()?)
            }

            /// Every document `sql` selects, decoded.
            async fn docs_of<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
            ) -> Result<Vec<T>, $crate::store::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar(sql).fetch_all(&self.pool).await?;
                Ok(docs
                    .iter()
                    .map(|d| serde_json::from_str(d))
                    .collect::<Result<_, _>>()?)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::PartnerStore for $store {
            async fn put_business(
                &self,
                business: &$crate::store::ClientBusiness,
            ) -> Result<(), $crate::store::StoreError> {
                // The request lives in its own column, written once by `record_request`.
                let doc = serde_json::to_string(&$crate::store::ClientBusiness {
                    request: None,
                    ..business.clone()
                })?;
                sqlx::query(super::sql::PUT_BUSINESS)
                    .bind(&business.id)
                    .bind(doc)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn business(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::ClientBusiness>, $crate::store::StoreError> {
                let row: Option<(String, Option<String>)> = sqlx::query_as(super::sql::BUSINESS)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(doc, request)| super::sql::business_of(&doc, request.as_deref()))
                    .transpose()
            }

            async fn businesses(
                &self,
            ) -> Result<Vec<$crate::store::ClientBusiness>, $crate::store::StoreError> {
                let rows: Vec<(String, Option<String>)> = sqlx::query_as(super::sql::BUSINESSES)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter()
                    .map(|(doc, request)| super::sql::business_of(doc, request.as_deref()))
                    .collect()
            }

            async fn record_request(
                &self,
                business: &str,
                request: &$crate::stage::Request,
            ) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query(super::sql::RECORD_REQUEST)
                    .bind(business)
                    .bind(serde_json::to_string(request)?)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn put_waba(
                &self,
                waba: &$crate::store::ClientWaba,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(super::sql::PUT_WABA)
                    .bind(&waba.id)
                    .bind(&waba.business_id)
                    .bind(serde_json::to_string(waba)?)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn waba(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::ClientWaba>, $crate::store::StoreError> {
                self.doc_of(super::sql::WABA, id).await
            }

            async fn wabas(
                &self,
            ) -> Result<Vec<$crate::store::ClientWaba>, $crate::store::StoreError> {
                self.docs_of(super::sql::WABAS).await
            }

            async fn put_token(
                &self,
                token: &$crate::store::StoredToken,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(super::sql::PUT_TOKEN)
                    .bind(&token.business_id)
                    .bind(serde_json::to_string(token)?)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn token(
                &self,
                business: &str,
            ) -> Result<Option<$crate::store::StoredToken>, $crate::store::StoreError> {
                self.doc_of(super::sql::TOKEN, business).await
            }

            async fn tokens(
                &self,
            ) -> Result<Vec<$crate::store::StoredToken>, $crate::store::StoreError> {
                self.docs_of(super::sql::TOKENS).await
            }

            async fn record_message(
                &self,
                message: &$crate::store::SentMessage,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(super::sql::RECORD_MESSAGE)
                    .bind(&message.id)
                    .bind(&message.waba_id)
                    .bind(&message.status)
                    .bind(serde_json::to_string(message)?)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn set_message_status(
                &self,
                id: &str,
                status: &str,
            ) -> Result<bool, $crate::store::StoreError> {
                let done = sqlx::query(super::sql::ADVANCE_MESSAGE)
                    .bind(id)
                    .bind(status)
                    .bind(i32::from($crate::store::status_rank(status)))
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn message(
                &self,
                id: &str,
            ) -> Result<Option<$crate::store::SentMessage>, $crate::store::StoreError> {
                let row: Option<(String, String)> = sqlx::query_as(super::sql::MESSAGE)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(doc, status)| {
                    let mut message: $crate::store::SentMessage = serde_json::from_str(&doc)?;
                    message.status = status;
                    Ok(message)
                })
                .transpose()
            }

            async fn message_counts(
                &self,
            ) -> Result<Vec<(String, String, i64)>, $crate::store::StoreError> {
                Ok(sqlx::query_as(super::sql::MESSAGE_COUNTS)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn set_category(
                &self,
                waba: &str,
                name: &str,
                language: &str,
                category: &str,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(super::sql::SET_CATEGORY)
                    .bind(waba)
                    .bind(name)
                    .bind(language)
                    .bind(category)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn category(
                &self,
                waba: &str,
                name: &str,
                language: &str,
            ) -> Result<Option<String>, $crate::store::StoreError> {
                Ok(sqlx::query_scalar(super::sql::CATEGORY)
                    .bind(waba)
                    .bind(name)
                    .bind(language)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn put_template_days(
                &self,
                days: &[$crate::graph::TemplateDay],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for d in days {
                    sqlx::query(super::sql::PUT_TEMPLATE_DAY)
                        .bind(&d.waba_id)
                        .bind(&d.template_id)
                        .bind(d.day)
                        .bind(d.product.as_str())
                        .bind(&d.template_name)
                        .bind(d.sent)
                        .bind(d.delivered)
                        .bind(d.read)
                        .bind(d.clicked)
                        .bind(d.cost)
                        .bind(serde_json::to_string(&d.conversions)?)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn template_days(
                &self,
                business: Option<&str>,
                since: i64,
            ) -> Result<Vec<$crate::graph::TemplateDay>, $crate::store::StoreError> {
                let rows: Vec<super::sql::TemplateDayRow> =
                    sqlx::query_as(super::sql::TEMPLATE_DAYS)
                        .bind(business)
                        .bind(since)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter().map(super::sql::template_day_of).collect()
            }

            async fn put_ad_insights_days(
                &self,
                days: &[$crate::graph::AdInsightsDay],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for d in days {
                    sqlx::query(super::sql::PUT_AD_INSIGHTS_DAY)
                        .bind(&d.waba_id)
                        .bind(&d.ad_id)
                        .bind(d.day)
                        .bind(&d.account_id)
                        .bind(&d.template_id)
                        .bind(&d.ad_name)
                        .bind(d.sent)
                        .bind(d.delivered)
                        .bind(d.read)
                        .bind(d.clicked)
                        .bind(d.spend)
                        .bind(&d.currency)
                        .bind(d.delivery_rate)
                        .bind(d.read_rate)
                        .bind(d.click_rate)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn ad_insights_days(
                &self,
                business: Option<&str>,
                since: i64,
            ) -> Result<Vec<$crate::graph::AdInsightsDay>, $crate::store::StoreError> {
                let rows: Vec<super::sql::AdInsightsRow> =
                    sqlx::query_as(super::sql::AD_INSIGHTS_DAYS)
                        .bind(business)
                        .bind(since)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows
                    .into_iter()
                    .map(super::sql::ad_insights_day_of)
                    .collect())
            }

            async fn record_sightings(
                &self,
                seen: &[$crate::store::TemplateSighting],
            ) -> Result<(), $crate::store::StoreError> {
                let mut tx = self.pool.begin().await?;
                for s in seen {
                    sqlx::query(super::sql::RECORD_SIGHTING)
                        .bind(&s.waba_id)
                        .bind(&s.template_id)
                        .bind(s.first_seen_at)
                        .bind(s.before_onboarding)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn sightings(
                &self,
                waba: &str,
            ) -> Result<Vec<$crate::store::TemplateSighting>, $crate::store::StoreError> {
                let rows: Vec<(String, String, i64, bool)> = sqlx::query_as(super::sql::SIGHTINGS)
                    .bind(waba)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(waba_id, template_id, first_seen_at, before_onboarding)| {
                        $crate::store::TemplateSighting {
                            waba_id,
                            template_id,
                            first_seen_at,
                            before_onboarding,
                        }
                    })
                    .collect())
            }

            async fn put_readiness(
                &self,
                readiness: &$crate::readiness::BusinessReadiness,
            ) -> Result<(), $crate::store::StoreError> {
                sqlx::query(super::sql::PUT_READINESS)
                    .bind(&readiness.business_id)
                    .bind(readiness.checked_at)
                    .bind(serde_json::to_string(readiness)?)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn readiness(
                &self,
            ) -> Result<Vec<$crate::readiness::BusinessReadiness>, $crate::store::StoreError> {
                self.docs_of(super::sql::READINESS).await
            }
        }
    };
}

pub(super) use impl_partner_store;
