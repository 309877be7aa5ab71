//! What both backends share: the SQL (written once, with `$n` placeholders both engines
//! accept), value conversions, and the [`Store`](crate::Store) implementation, expanded per
//! backend by [`impl_store!`].
//!
//! A backend module supplies only what differs: how to connect, how to begin a consistent
//! read, and how to name a violated unique constraint.

use serde::Serialize;
use serde::de::DeserializeOwned;
use wamm_domain::{Event, PartnerAccess, Timestamp};

use crate::StoreError;

/// Upsert statements, by primary key.
pub(crate) mod put {
    pub(crate) const APP: &str = "INSERT INTO apps (id, business_id, doc) VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const BUSINESS: &str = "INSERT INTO businesses (id, doc) VALUES ($1, $2) \
        ON CONFLICT (id) DO UPDATE SET doc = excluded.doc";
    pub(crate) const SYSTEM_USER: &str = "INSERT INTO system_users (id, business_id, doc) \
        VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const WABA: &str = "INSERT INTO wabas (id, owner_business_id, doc) \
        VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE \
        SET owner_business_id = excluded.owner_business_id, doc = excluded.doc";
    pub(crate) const WABA_PARTNERS_CLEAR: &str = "DELETE FROM waba_partners WHERE waba_id = $1";
    pub(crate) const WABA_PARTNER: &str =
        "INSERT INTO waba_partners (waba_id, partner_business_id, access) VALUES ($1, $2, $3)";
    pub(crate) const PHONE_NUMBER: &str = "INSERT INTO phone_numbers (id, waba_id, doc) \
        VALUES ($1, $2, $3) \
        ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, doc = excluded.doc";
    pub(crate) const TEMPLATE: &str = "INSERT INTO templates (id, waba_id, name, language, doc) \
        VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO UPDATE SET waba_id = excluded.waba_id, \
        name = excluded.name, language = excluded.language, doc = excluded.doc";
    pub(crate) const TOKEN: &str = "INSERT INTO tokens (hash, app_id, business_id, doc) \
        VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET app_id = excluded.app_id, \
        business_id = excluded.business_id, doc = excluded.doc";
    pub(crate) const SUBSCRIPTION: &str = "INSERT INTO subscriptions (waba_id, app_id, doc) \
        VALUES ($1, $2, $3) ON CONFLICT (waba_id, app_id) DO UPDATE SET doc = excluded.doc";
    pub(crate) const META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
        ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    pub(crate) const EVENT: &str = "INSERT INTO events (at, kind, subject, detail) \
        VALUES ($1, $2, $3, $4) RETURNING seq";
}

/// Removal statements.
pub(crate) mod delete {
    pub(crate) const TEMPLATE: &str = "DELETE FROM templates WHERE id = $1";
    pub(crate) const SUBSCRIPTION: &str =
        "DELETE FROM subscriptions WHERE waba_id = $1 AND app_id = $2";
    /// Everything `replace_world` clears: every world table and the event log, not `meta`.
    pub(crate) const WORLD: [&str; 10] = [
        "DELETE FROM apps",
        "DELETE FROM businesses",
        "DELETE FROM system_users",
        "DELETE FROM wabas",
        "DELETE FROM waba_partners",
        "DELETE FROM phone_numbers",
        "DELETE FROM templates",
        "DELETE FROM tokens",
        "DELETE FROM subscriptions",
        "DELETE FROM events",
    ];
}

/// Read statements; every one selects the `doc` column (events: the event's columns).
pub(crate) mod get {
    pub(crate) const APP: &str = "SELECT doc FROM apps WHERE id = $1";
    pub(crate) const APPS: &str = "SELECT doc FROM apps ORDER BY id";
    pub(crate) const BUSINESS: &str = "SELECT doc FROM businesses WHERE id = $1";
    pub(crate) const BUSINESSES: &str = "SELECT doc FROM businesses ORDER BY id";
    pub(crate) const SYSTEM_USER: &str = "SELECT doc FROM system_users WHERE id = $1";
    pub(crate) const SYSTEM_USERS: &str = "SELECT doc FROM system_users ORDER BY id";
    pub(crate) const SYSTEM_USERS_OF: &str =
        "SELECT doc FROM system_users WHERE business_id = $1 ORDER BY id";
    pub(crate) const WABA: &str = "SELECT doc FROM wabas WHERE id = $1";
    pub(crate) const WABAS: &str = "SELECT doc FROM wabas ORDER BY id";
    pub(crate) const WABAS_OWNED_BY: &str =
        "SELECT doc FROM wabas WHERE owner_business_id = $1 ORDER BY id";
    pub(crate) const WABAS_HELD_BY_PARTNER: &str = "SELECT doc FROM wabas WHERE id IN \
        (SELECT waba_id FROM waba_partners WHERE partner_business_id = $1) ORDER BY id";
    pub(crate) const PHONE_NUMBER: &str = "SELECT doc FROM phone_numbers WHERE id = $1";
    pub(crate) const PHONE_NUMBERS: &str = "SELECT doc FROM phone_numbers ORDER BY id";
    pub(crate) const PHONE_NUMBERS_OF: &str =
        "SELECT doc FROM phone_numbers WHERE waba_id = $1 ORDER BY id";
    pub(crate) const TEMPLATE: &str = "SELECT doc FROM templates WHERE id = $1";
    pub(crate) const TEMPLATES: &str = "SELECT doc FROM templates ORDER BY id";
    pub(crate) const TEMPLATES_OF: &str =
        "SELECT doc FROM templates WHERE waba_id = $1 ORDER BY id";
    pub(crate) const TOKEN: &str = "SELECT doc FROM tokens WHERE hash = $1";
    pub(crate) const TOKENS: &str = "SELECT doc FROM tokens ORDER BY hash";
    pub(crate) const TOKENS_OF_APP: &str = "SELECT doc FROM tokens WHERE app_id = $1 ORDER BY hash";
    pub(crate) const SUBSCRIPTIONS: &str = "SELECT doc FROM subscriptions ORDER BY waba_id, app_id";
    pub(crate) const SUBSCRIPTIONS_OF: &str =
        "SELECT doc FROM subscriptions WHERE waba_id = $1 ORDER BY app_id";
    pub(crate) const ENTITY_COUNT: &str =
        "SELECT (SELECT COUNT(*) FROM businesses) + (SELECT COUNT(*) FROM apps)";
    pub(crate) const EVENTS_AFTER: &str = "SELECT seq, at, kind, subject, detail FROM events \
        WHERE seq > $1 ORDER BY seq LIMIT $2";
    pub(crate) const EVENTS_RECENT: &str =
        "SELECT seq, at, kind, subject, detail FROM events ORDER BY seq DESC LIMIT $1";
    pub(crate) const META: &str = "SELECT value FROM meta WHERE key = $1";
    /// Adds `$3` to the integer under `$1` (inserting `$2`, the text of `$3`, when missing) in
    /// one statement, and returns the new value.
    pub(crate) const RESERVE: &str = "INSERT INTO meta (key, value) VALUES ($1, $2) \
        ON CONFLICT (key) DO UPDATE \
        SET value = CAST(CAST(meta.value AS BIGINT) + CAST($3 AS BIGINT) AS TEXT) \
        RETURNING CAST(value AS BIGINT)";
}

/// An event row: seq, at, kind, subject, detail (JSON text).
pub(crate) type EventRow = (i64, i64, String, String, String);

/// An ID as the database stores it.
pub(crate) fn db_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::Invalid(format!("id {id} exceeds the BIGINT range")))
}

/// An optional ID as the database stores it.
pub(crate) fn db_id_opt(id: Option<u64>) -> Result<Option<i64>, StoreError> {
    id.map(db_id).transpose()
}

/// A value as its stored JSON document.
pub(crate) fn to_doc<T: Serialize>(value: &T) -> Result<String, StoreError> {
    Ok(serde_json::to_string(value)?)
}

/// A stored JSON document as its value.
pub(crate) fn from_doc<T: DeserializeOwned>(doc: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(doc)?)
}

/// An optional stored document as its value.
pub(crate) fn from_doc_opt<T: DeserializeOwned>(
    doc: Option<&str>,
) -> Result<Option<T>, StoreError> {
    doc.map(from_doc).transpose()
}

/// Stored documents as their values, in order.
pub(crate) fn from_docs<T: DeserializeOwned>(docs: &[String]) -> Result<Vec<T>, StoreError> {
    docs.iter().map(|d| from_doc(d)).collect()
}

/// An event row as the event.
pub(crate) fn event_from_row(
    (seq, at, kind, subject, detail): EventRow,
) -> Result<Event, StoreError> {
    Ok(Event {
        seq,
        at: Timestamp::from_millis(at),
        kind,
        subject,
        detail: from_doc(&detail)?,
    })
}

/// The `access` column of `waba_partners`.
pub(crate) const fn access_text(access: PartnerAccess) -> &'static str {
    match access {
        PartnerAccess::Shared => "SHARED",
        PartnerAccess::Obo => "OBO",
    }
}

/// The value before a `reserve` of `n` that left `after`.
pub(crate) fn before_reserve(after: i64, n: i64) -> Result<i64, StoreError> {
    after
        .checked_sub(n)
        .ok_or_else(|| StoreError::Invalid(format!("reserved counter {after} underflows by {n}")))
}

/// A database error from a write, with unique violations turned into
/// [`StoreError::Conflict`] named by `name_constraint`.
pub(crate) fn write_error(
    err: StoreError,
    name_constraint: impl FnOnce(&dyn sqlx::error::DatabaseError) -> String,
) -> StoreError {
    match err {
        StoreError::Database(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            StoreError::Conflict(name_constraint(&*db))
        }
        other => other,
    }
}

/// Implements [`Store`](crate::Store) for a backend's store type.
///
/// `$store` must have a `pool: sqlx::Pool<$db>` field and provide
/// `async fn begin_read(&self) -> Result<sqlx::Transaction<'static, $db>, StoreError>` (a
/// transaction whose reads see one snapshot) and
/// `fn constraint_name(&dyn sqlx::error::DatabaseError) -> String`.
macro_rules! impl_store {
    ($store:ty, $db:ty, $conn:ty, $backend:expr) => {
        impl $store {
            async fn put_app(
                conn: &mut $conn,
                v: &wamm_domain::App,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::APP)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_business(
                conn: &mut $conn,
                v: &wamm_domain::Business,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::BUSINESS)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_system_user(
                conn: &mut $conn,
                v: &wamm_domain::SystemUser,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::SYSTEM_USER)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_waba(
                conn: &mut $conn,
                v: &wamm_domain::Waba,
            ) -> Result<(), $crate::StoreError> {
                let id = $crate::shared::db_id(v.id.get())?;
                sqlx::query($crate::shared::put::WABA)
                    .bind(id)
                    .bind($crate::shared::db_id(v.owner_business_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query($crate::shared::put::WABA_PARTNERS_CLEAR)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                for partner in &v.partners {
                    sqlx::query($crate::shared::put::WABA_PARTNER)
                        .bind(id)
                        .bind($crate::shared::db_id(partner.business_id.get())?)
                        .bind($crate::shared::access_text(partner.access))
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            }

            async fn put_phone_number(
                conn: &mut $conn,
                v: &wamm_domain::PhoneNumber,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::PHONE_NUMBER)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_template(
                conn: &mut $conn,
                v: &wamm_domain::Template,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::TEMPLATE)
                    .bind($crate::shared::db_id(v.id.get())?)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind(v.name.as_str())
                    .bind(v.language.as_str())
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_token(
                conn: &mut $conn,
                v: &wamm_domain::TokenRecord,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::TOKEN)
                    .bind(v.hash.as_str())
                    .bind($crate::shared::db_id(v.app_id.get())?)
                    .bind($crate::shared::db_id_opt(v.business_id.map(|b| b.get()))?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put_subscription(
                conn: &mut $conn,
                v: &wamm_domain::WabaSubscription,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query($crate::shared::put::SUBSCRIPTION)
                    .bind($crate::shared::db_id(v.waba_id.get())?)
                    .bind($crate::shared::db_id(v.app_id.get())?)
                    .bind($crate::shared::to_doc(v)?)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            async fn put(conn: &mut $conn, put: &$crate::Put) -> Result<(), $crate::StoreError> {
                use $crate::Put;
                match put {
                    Put::App(v) => Self::put_app(conn, v).await,
                    Put::Business(v) => Self::put_business(conn, v).await,
                    Put::SystemUser(v) => Self::put_system_user(conn, v).await,
                    Put::Waba(v) => Self::put_waba(conn, v).await,
                    Put::PhoneNumber(v) => Self::put_phone_number(conn, v).await,
                    Put::Template(v) => Self::put_template(conn, v).await,
                    Put::Token(v) => Self::put_token(conn, v).await,
                    Put::Subscription(v) => Self::put_subscription(conn, v).await,
                }
            }

            async fn delete(
                conn: &mut $conn,
                delete: $crate::Delete,
            ) -> Result<(), $crate::StoreError> {
                use $crate::Delete;
                match delete {
                    Delete::Template(id) => {
                        sqlx::query($crate::shared::delete::TEMPLATE)
                            .bind($crate::shared::db_id(id.get())?)
                            .execute(&mut *conn)
                            .await?;
                    }
                    Delete::Subscription { waba, app } => {
                        sqlx::query($crate::shared::delete::SUBSCRIPTION)
                            .bind($crate::shared::db_id(waba.get())?)
                            .bind($crate::shared::db_id(app.get())?)
                            .execute(&mut *conn)
                            .await?;
                    }
                }
                Ok(())
            }

            async fn apply(
                conn: &mut $conn,
                changes: $crate::ChangeSet,
            ) -> Result<Vec<i64>, $crate::StoreError> {
                for p in &changes.puts {
                    Self::put(conn, p).await?;
                }
                for d in changes.deletes {
                    Self::delete(conn, d).await?;
                }
                for (key, value) in &changes.meta {
                    sqlx::query($crate::shared::put::META)
                        .bind(key.as_str())
                        .bind(value.as_str())
                        .execute(&mut *conn)
                        .await?;
                }
                let mut seqs = Vec::with_capacity(changes.events.len());
                for e in &changes.events {
                    let seq: i64 = sqlx::query_scalar($crate::shared::put::EVENT)
                        .bind(e.at.millis())
                        .bind(e.kind.as_str())
                        .bind(e.subject.as_str())
                        .bind($crate::shared::to_doc(&e.detail)?)
                        .fetch_one(&mut *conn)
                        .await?;
                    seqs.push(seq);
                }
                Ok(seqs)
            }

            async fn load_world(
                conn: &mut $conn,
                world: &wamm_domain::WorldState,
            ) -> Result<(), $crate::StoreError> {
                for sql in $crate::shared::delete::WORLD {
                    sqlx::query(sql).execute(&mut *conn).await?;
                }
                for v in &world.businesses {
                    Self::put_business(conn, v).await?;
                }
                for v in &world.apps {
                    Self::put_app(conn, v).await?;
                }
                for v in &world.system_users {
                    Self::put_system_user(conn, v).await?;
                }
                for v in &world.wabas {
                    Self::put_waba(conn, v).await?;
                }
                for v in &world.phone_numbers {
                    Self::put_phone_number(conn, v).await?;
                }
                for v in &world.templates {
                    Self::put_template(conn, v).await?;
                }
                for v in &world.tokens {
                    Self::put_token(conn, v).await?;
                }
                for v in &world.subscriptions {
                    Self::put_subscription(conn, v).await?;
                }
                Ok(())
            }

            async fn all_docs<T: serde::de::DeserializeOwned>(
                conn: &mut $conn,
                sql: &'static str,
            ) -> Result<Vec<T>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *conn).await?;
                $crate::shared::from_docs(&docs)
            }

            async fn docs_by_id<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
                id: u64,
            ) -> Result<Vec<T>, $crate::StoreError> {
                let docs: Vec<String> = sqlx::query_scalar(sql)
                    .bind($crate::shared::db_id(id)?)
                    .fetch_all(&self.pool)
                    .await?;
                $crate::shared::from_docs(&docs)
            }

            async fn doc_by_id<T: serde::de::DeserializeOwned>(
                &self,
                sql: &'static str,
                id: u64,
            ) -> Result<Option<T>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar(sql)
                    .bind($crate::shared::db_id(id)?)
                    .fetch_optional(&self.pool)
                    .await?;
                $crate::shared::from_doc_opt(doc.as_deref())
            }
        }

        #[async_trait::async_trait]
        impl $crate::Store for $store {
            fn backend(&self) -> $crate::Backend {
                $backend
            }

            async fn commit(
                &self,
                changes: $crate::ChangeSet,
            ) -> Result<Vec<i64>, $crate::StoreError> {
                let written = async {
                    let mut tx = self.pool.begin().await?;
                    let seqs = Self::apply(&mut tx, changes).await?;
                    tx.commit().await?;
                    Ok::<_, $crate::StoreError>(seqs)
                };
                written
                    .await
                    .map_err(|e| $crate::shared::write_error(e, Self::constraint_name))
            }

            async fn replace_world(
                &self,
                world: &wamm_domain::WorldState,
            ) -> Result<(), $crate::StoreError> {
                let written = async {
                    let mut tx = self.pool.begin().await?;
                    Self::load_world(&mut tx, world).await?;
                    tx.commit().await?;
                    Ok::<_, $crate::StoreError>(())
                };
                written
                    .await
                    .map_err(|e| $crate::shared::write_error(e, Self::constraint_name))
            }

            async fn export_world(&self) -> Result<wamm_domain::WorldState, $crate::StoreError> {
                let mut tx = self.begin_read().await?;
                let world = wamm_domain::WorldState {
                    apps: Self::all_docs(&mut tx, $crate::shared::get::APPS).await?,
                    businesses: Self::all_docs(&mut tx, $crate::shared::get::BUSINESSES).await?,
                    system_users: Self::all_docs(&mut tx, $crate::shared::get::SYSTEM_USERS)
                        .await?,
                    wabas: Self::all_docs(&mut tx, $crate::shared::get::WABAS).await?,
                    phone_numbers: Self::all_docs(&mut tx, $crate::shared::get::PHONE_NUMBERS)
                        .await?,
                    templates: Self::all_docs(&mut tx, $crate::shared::get::TEMPLATES).await?,
                    tokens: Self::all_docs(&mut tx, $crate::shared::get::TOKENS).await?,
                    subscriptions: Self::all_docs(&mut tx, $crate::shared::get::SUBSCRIPTIONS)
                        .await?,
                };
                tx.rollback().await?;
                Ok(world)
            }

            async fn is_empty(&self) -> Result<bool, $crate::StoreError> {
                let count: i64 = sqlx::query_scalar($crate::shared::get::ENTITY_COUNT)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(count == 0)
            }

            async fn app(
                &self,
                id: wamm_wire::ids::AppId,
            ) -> Result<Option<wamm_domain::App>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::APP, id.get()).await
            }

            async fn apps(&self) -> Result<Vec<wamm_domain::App>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::APPS).await
            }

            async fn business(
                &self,
                id: wamm_wire::ids::BusinessId,
            ) -> Result<Option<wamm_domain::Business>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::BUSINESS, id.get())
                    .await
            }

            async fn businesses(&self) -> Result<Vec<wamm_domain::Business>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::BUSINESSES).await
            }

            async fn system_user(
                &self,
                id: wamm_wire::ids::UserId,
            ) -> Result<Option<wamm_domain::SystemUser>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::SYSTEM_USER, id.get())
                    .await
            }

            async fn system_users_of(
                &self,
                business: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::SystemUser>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::SYSTEM_USERS_OF, business.get())
                    .await
            }

            async fn waba(
                &self,
                id: wamm_wire::ids::WabaId,
            ) -> Result<Option<wamm_domain::Waba>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::WABA, id.get()).await
            }

            async fn wabas(&self) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::all_docs(&mut conn, $crate::shared::get::WABAS).await
            }

            async fn wabas_owned_by(
                &self,
                business: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::WABAS_OWNED_BY, business.get())
                    .await
            }

            async fn wabas_held_by_partner(
                &self,
                partner: wamm_wire::ids::BusinessId,
            ) -> Result<Vec<wamm_domain::Waba>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::WABAS_HELD_BY_PARTNER, partner.get())
                    .await
            }

            async fn phone_number(
                &self,
                id: wamm_wire::ids::PhoneNumberId,
            ) -> Result<Option<wamm_domain::PhoneNumber>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::PHONE_NUMBER, id.get())
                    .await
            }

            async fn phone_numbers_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::PhoneNumber>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::PHONE_NUMBERS_OF, waba.get())
                    .await
            }

            async fn template(
                &self,
                id: wamm_wire::ids::TemplateId,
            ) -> Result<Option<wamm_domain::Template>, $crate::StoreError> {
                self.doc_by_id($crate::shared::get::TEMPLATE, id.get())
                    .await
            }

            async fn templates_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::Template>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::TEMPLATES_OF, waba.get())
                    .await
            }

            async fn token_by_hash(
                &self,
                hash: &str,
            ) -> Result<Option<wamm_domain::TokenRecord>, $crate::StoreError> {
                let doc: Option<String> = sqlx::query_scalar($crate::shared::get::TOKEN)
                    .bind(hash)
                    .fetch_optional(&self.pool)
                    .await?;
                $crate::shared::from_doc_opt(doc.as_deref())
            }

            async fn tokens_of_app(
                &self,
                app: wamm_wire::ids::AppId,
            ) -> Result<Vec<wamm_domain::TokenRecord>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::TOKENS_OF_APP, app.get())
                    .await
            }

            async fn subscriptions_of(
                &self,
                waba: wamm_wire::ids::WabaId,
            ) -> Result<Vec<wamm_domain::WabaSubscription>, $crate::StoreError> {
                self.docs_by_id($crate::shared::get::SUBSCRIPTIONS_OF, waba.get())
                    .await
            }

            async fn events(
                &self,
                after_seq: i64,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Event>, $crate::StoreError> {
                let rows: Vec<$crate::shared::EventRow> =
                    sqlx::query_as($crate::shared::get::EVENTS_AFTER)
                        .bind(after_seq)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::shared::event_from_row)
                    .collect()
            }

            async fn recent_events(
                &self,
                limit: i64,
            ) -> Result<Vec<wamm_domain::Event>, $crate::StoreError> {
                let rows: Vec<$crate::shared::EventRow> =
                    sqlx::query_as($crate::shared::get::EVENTS_RECENT)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                rows.into_iter()
                    .map($crate::shared::event_from_row)
                    .collect()
            }

            async fn meta(&self, key: &str) -> Result<Option<String>, $crate::StoreError> {
                Ok(sqlx::query_scalar($crate::shared::get::META)
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn reserve(&self, key: &str, n: i64) -> Result<i64, $crate::StoreError> {
                let after: i64 = sqlx::query_scalar($crate::shared::get::RESERVE)
                    .bind(key)
                    .bind(n.to_string())
                    .bind(n)
                    .fetch_one(&self.pool)
                    .await?;
                $crate::shared::before_reserve(after, n)
            }
        }
    };
}

pub(crate) use impl_store;
