//! The [`PartnerStore`] on any sqlx database, written once: records go through the document
//! layer ([`super::document`]), the analytics and sightings tables through the SQL below
//! (written once, with `$n` placeholders both engines accept). A backend module only
//! connects.

use sqlx::{Database, Decode, Encode, Executor, FromRow, IntoArguments, Pool, Type};

use super::document::{Document, Value, sql};
use super::writer::{Arg, Write, Writer};
use super::{
    ClientBusiness, ClientWaba, PartnerStore, SentMessage, StoreError, StoredToken,
    TemplateSighting, status_rank,
};
use crate::graph::{AdInsightsDay, Product, TemplateDay};
use crate::readiness::BusinessReadiness;
use crate::stage::Request;

/// The orchestrator's store on the database `DB`.
#[derive(Debug, Clone)]
pub(super) struct SqlPartnerStore<DB: Database> {
    /// The connections reads go through.
    pub(super) pool: Pool<DB>,
    /// The connections writes go through: on a SQLite file one connection, so that concurrent
    /// writers queue here in turn instead of sleeping in SQLite's busy handler for its single
    /// write lock; elsewhere the same pool as reads.
    pub(super) writes: Pool<DB>,
    /// One-statement writes, committed in groups on [`Self::writes`].
    pub(super) writer: Writer,
}

/// Affected-row counts, which each driver reports through a type of its own.
pub(super) trait RowsAffected {
    /// How many rows the statement changed.
    fn rows_affected(&self) -> u64;
}

impl RowsAffected for sqlx::sqlite::SqliteQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

impl RowsAffected for sqlx::postgres::PgQueryResult {
    fn rows_affected(&self) -> u64 {
        self.rows_affected()
    }
}

/// Upserts and updates of the tables that are not documents.
pub(super) const RECORD_REQUEST: &str =
    "UPDATE businesses SET request = $2 WHERE id = $1 AND request IS NULL";
/// `$3` is the new status's rank; the `CASE` ranks the stored one the same way as
/// [`status_rank`].
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

/// Reads of the tables that are not documents.
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
pub(super) fn template_day_of(row: TemplateDayRow) -> Result<TemplateDay, StoreError> {
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
            return Err(StoreError::Invalid(format!(
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

/// A record from its document and its overlay column, if its kind has one.
fn record<D: Document>(doc: &str, overlay: Option<String>) -> Result<D, StoreError> {
    let mut record: D = serde_json::from_str(doc)?;
    if D::OVERLAY.is_some() {
        record.overlay(overlay)?;
    }
    Ok(record)
}

/// The document layer: reads and writes of any [`Document`] kind.
impl<DB> SqlPartnerStore<DB>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, Option<String>): FromRow<'r, DB::Row>,
{
    /// The record of kind `D` whose key is `key`.
    async fn get<D: Document>(&self, key: &str) -> Result<Option<D>, StoreError> {
        let sql = sqlx::AssertSqlSafe(sql::get::<D>());
        let row = if D::OVERLAY.is_some() {
            sqlx::query_as::<_, (String, Option<String>)>(sql)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
        } else {
            sqlx::query_as::<_, (String,)>(sql)
                .bind(key)
                .fetch_optional(&self.pool)
                .await?
                .map(|(doc,)| (doc, None))
        };
        row.map(|(doc, overlay)| record(&doc, overlay)).transpose()
    }

    /// Every record of kind `D`, by key.
    async fn all<D: Document>(&self) -> Result<Vec<D>, StoreError> {
        let sql = sqlx::AssertSqlSafe(sql::all::<D>());
        let rows: Vec<(String, Option<String>)> = if D::OVERLAY.is_some() {
            sqlx::query_as(sql).fetch_all(&self.pool).await?
        } else {
            sqlx::query_as::<_, (String,)>(sql)
                .fetch_all(&self.pool)
                .await?
                .into_iter()
                .map(|(doc,)| (doc, None))
                .collect()
        };
        rows.into_iter()
            .map(|(doc, overlay)| record(&doc, overlay))
            .collect()
    }

    /// Upserts `record` by its key (or keeps the stored one, as its kind says).
    async fn put<D: Document>(&self, record: &D) -> Result<(), StoreError> {
        let mut args = vec![Arg::Text(record.key().to_owned())];
        args.extend(record.index().into_iter().map(|v| match v {
            Value::Text(s) => Arg::Text(s.to_owned()),
            Value::Int(n) => Arg::Int(n),
        }));
        args.push(Arg::Text(record.doc()?));
        self.writer.write(Write::new(sql::put::<D>(), args)).await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl<DB> PartnerStore for SqlPartnerStore<DB>
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB> + Decode<'v, DB>,
    for<'v> i32: Encode<'v, DB> + Type<DB>,
    for<'v> f64: Encode<'v, DB> + Type<DB>,
    for<'v> bool: Encode<'v, DB> + Type<DB>,
    for<'v> String: Encode<'v, DB> + Type<DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
    for<'v> Option<&'v str>: Encode<'v, DB> + Type<DB>,
    for<'v> Option<f64>: Encode<'v, DB> + Type<DB>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (String, Option<String>): FromRow<'r, DB::Row>,
    for<'r> (String, String, i64): FromRow<'r, DB::Row>,
    for<'r> (String, String, i64, bool): FromRow<'r, DB::Row>,
    for<'r> TemplateDayRow: FromRow<'r, DB::Row>,
    for<'r> AdInsightsRow: FromRow<'r, DB::Row>,
{
    async fn put_business(&self, business: &ClientBusiness) -> Result<(), StoreError> {
        self.put(business).await
    }

    async fn business(&self, id: &str) -> Result<Option<ClientBusiness>, StoreError> {
        self.get(id).await
    }

    async fn businesses(&self) -> Result<Vec<ClientBusiness>, StoreError> {
        self.all().await
    }

    async fn record_request(&self, business: &str, request: &Request) -> Result<bool, StoreError> {
        let args = vec![
            Arg::Text(business.to_owned()),
            Arg::Text(serde_json::to_string(request)?),
        ];
        Ok(self.writer.write(Write::new(RECORD_REQUEST, args)).await? == 1)
    }

    async fn put_waba(&self, waba: &ClientWaba) -> Result<(), StoreError> {
        self.put(waba).await
    }

    async fn waba(&self, id: &str) -> Result<Option<ClientWaba>, StoreError> {
        self.get(id).await
    }

    async fn wabas(&self) -> Result<Vec<ClientWaba>, StoreError> {
        self.all().await
    }

    async fn put_token(&self, token: &StoredToken) -> Result<(), StoreError> {
        self.put(token).await
    }

    async fn token(&self, business: &str) -> Result<Option<StoredToken>, StoreError> {
        self.get(business).await
    }

    async fn tokens(&self) -> Result<Vec<StoredToken>, StoreError> {
        self.all().await
    }

    async fn record_message(&self, message: &SentMessage) -> Result<(), StoreError> {
        self.put(message).await
    }

    async fn set_message_status(&self, id: &str, status: &str) -> Result<bool, StoreError> {
        let args = vec![
            Arg::Text(id.to_owned()),
            Arg::Text(status.to_owned()),
            Arg::Int(i64::from(status_rank(status))),
        ];
        Ok(self.writer.write(Write::new(ADVANCE_MESSAGE, args)).await? == 1)
    }

    async fn message(&self, id: &str) -> Result<Option<SentMessage>, StoreError> {
        self.get(id).await
    }

    async fn message_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        Ok(sqlx::query_as(MESSAGE_COUNTS).fetch_all(&self.pool).await?)
    }

    async fn set_category(
        &self,
        waba: &str,
        name: &str,
        language: &str,
        category: &str,
    ) -> Result<(), StoreError> {
        let args = [waba, name, language, category]
            .into_iter()
            .map(|v| Arg::Text(v.to_owned()))
            .collect();
        self.writer.write(Write::new(SET_CATEGORY, args)).await?;
        Ok(())
    }

    async fn category(
        &self,
        waba: &str,
        name: &str,
        language: &str,
    ) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as(CATEGORY)
            .bind(waba)
            .bind(name)
            .bind(language)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|(category,)| category))
    }

    async fn put_template_days(&self, days: &[TemplateDay]) -> Result<(), StoreError> {
        let mut tx = self.writes.begin().await?;
        for d in days {
            sqlx::query(PUT_TEMPLATE_DAY)
                .bind(d.waba_id.as_str())
                .bind(d.template_id.as_str())
                .bind(d.day)
                .bind(d.product.as_str())
                .bind(d.template_name.as_str())
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
    ) -> Result<Vec<TemplateDay>, StoreError> {
        let rows: Vec<TemplateDayRow> = sqlx::query_as(TEMPLATE_DAYS)
            .bind(business)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(template_day_of).collect()
    }

    async fn put_ad_insights_days(&self, days: &[AdInsightsDay]) -> Result<(), StoreError> {
        let mut tx = self.writes.begin().await?;
        for d in days {
            sqlx::query(PUT_AD_INSIGHTS_DAY)
                .bind(d.waba_id.as_str())
                .bind(d.ad_id.as_str())
                .bind(d.day)
                .bind(d.account_id.as_str())
                .bind(d.template_id.as_deref())
                .bind(d.ad_name.as_str())
                .bind(d.sent)
                .bind(d.delivered)
                .bind(d.read)
                .bind(d.clicked)
                .bind(d.spend)
                .bind(d.currency.as_deref())
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
    ) -> Result<Vec<AdInsightsDay>, StoreError> {
        let rows: Vec<AdInsightsRow> = sqlx::query_as(AD_INSIGHTS_DAYS)
            .bind(business)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(ad_insights_day_of).collect())
    }

    async fn record_sightings(&self, seen: &[TemplateSighting]) -> Result<(), StoreError> {
        let mut tx = self.writes.begin().await?;
        for s in seen {
            sqlx::query(RECORD_SIGHTING)
                .bind(s.waba_id.as_str())
                .bind(s.template_id.as_str())
                .bind(s.first_seen_at)
                .bind(s.before_onboarding)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn sightings(&self, waba: &str) -> Result<Vec<TemplateSighting>, StoreError> {
        let rows: Vec<(String, String, i64, bool)> = sqlx::query_as(SIGHTINGS)
            .bind(waba)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .into_iter()
            .map(
                |(waba_id, template_id, first_seen_at, before_onboarding)| TemplateSighting {
                    waba_id,
                    template_id,
                    first_seen_at,
                    before_onboarding,
                },
            )
            .collect())
    }

    async fn put_readiness(&self, readiness: &BusinessReadiness) -> Result<(), StoreError> {
        self.put(readiness).await
    }

    async fn readiness(&self) -> Result<Vec<BusinessReadiness>, StoreError> {
        self.all().await
    }
}
