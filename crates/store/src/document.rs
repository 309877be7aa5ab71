//! The document layer: every aggregate (an app, a WABA, a template, …) is a JSON document in a
//! table of its own, beside its key and the few index columns that lookups filter on. Rules
//! never query inside the JSON.
//!
//! A kind of document says where it lives and what it indexes ([`Document`]); reading and
//! writing any kind is written once, here, in [`Documents`], for any database whose driver
//! binds and decodes the few column types documents use. The statements follow from the
//! kind's table and columns:
//!
//! - a put is `INSERT … ON CONFLICT (key) DO UPDATE SET` every index column and the document
//!   (or `DO NOTHING` for kinds kept as first written), then the kind's side writes;
//! - a get selects the document by its (one-column) key;
//! - a list selects by one index column, sorted by the key's other columns;
//! - every list of a kind is sorted by its key.

use std::borrow::Cow;
use std::future::Future;
use std::marker::PhantomData;

use serde::Serialize;
use serde::de::DeserializeOwned;
use sqlx::{Database, Encode, Executor, FromRow, IntoArguments, Type};
use wamm_wire::ids::ObjectId;

use crate::StoreError;
use crate::convert::{db_id, from_doc_opt, from_docs, to_doc};

/// A value bound to a statement: the column types documents index by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// An integer (`BIGINT`): an ID, a time in milliseconds.
    Int(i64),
    /// An integer or `NULL`.
    OptInt(Option<i64>),
    /// Text.
    Text(Cow<'a, str>),
}

impl Value<'static> {
    /// Static text, e.g. a status column's value.
    pub(crate) const fn text(s: &'static str) -> Self {
        Self::Text(Cow::Borrowed(s))
    }
}

/// A key or index value a lookup is made by: a typed Graph ID, or text (a hash, an object).
pub(crate) trait Column: Sync {
    /// The value as bound.
    fn value(&self) -> Result<Value<'_>, StoreError>;
}

impl<T: Copy + Into<ObjectId> + Sync> Column for T {
    fn value(&self) -> Result<Value<'_>, StoreError> {
        Ok(Value::Int(db_id((*self).into().get())?))
    }
}

impl Column for str {
    fn value(&self) -> Result<Value<'_>, StoreError> {
        Ok(Value::Text(Cow::Borrowed(self)))
    }
}

/// A statement and the values it binds, in `$n` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement<'a> {
    /// The SQL, with `$n` placeholders (both engines accept them).
    pub(crate) sql: Cow<'static, str>,
    /// The values, `$1` first.
    pub(crate) values: Vec<Value<'a>>,
}

impl<'a> Statement<'a> {
    /// `sql` binding `values`.
    pub(crate) fn new(sql: &'static str, values: Vec<Value<'a>>) -> Self {
        Self {
            sql: Cow::Borrowed(sql),
            values,
        }
    }
}

/// What a put does when a row with the same key is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OnConflict {
    /// Replaces the index columns and the document.
    Replace,
    /// Keeps the row as first written.
    Keep,
}

/// A kind of stored aggregate: its table, its key, the index columns beside the JSON `doc`
/// column, and how a value gives them.
///
/// A new kind is an implementation of this trait and one migration per backend creating its
/// table (`doc TEXT` beside the key and index columns, the key as primary key).
pub(crate) trait Document: Serialize + DeserializeOwned + Send + Sync {
    /// The table.
    const TABLE: &'static str;
    /// The primary key's columns; lists come back sorted by them.
    const KEY: &'static [&'static str];
    /// The index columns beside the key, which lookups and constraints use.
    const INDEX: &'static [&'static str];
    /// What putting a value whose key is already stored does.
    const ON_CONFLICT: OnConflict = OnConflict::Replace;

    /// What a get takes: the value of the first key column.
    type Key: Column + ?Sized;

    /// The values of [`KEY`](Self::KEY) then [`INDEX`](Self::INDEX), in order.
    fn columns(&self) -> Result<Vec<Value<'_>>, StoreError>;

    /// Statements run after the row is written, in order: rows of other tables the value
    /// keeps up to date (a WABA's partners, the ad objects it carries). None by default.
    fn side_writes(&self) -> Result<Vec<Statement<'_>>, StoreError> {
        Ok(Vec::new())
    }
}

/// An index column of `D` that lists are taken by, with the type of its values.
pub(crate) struct Index<D, K: ?Sized> {
    /// The column.
    pub(crate) column: &'static str,
    of: PhantomData<fn(&K) -> D>,
}

impl<D, K: ?Sized> Index<D, K> {
    /// The column `column` of `D`'s table, holding values of type `K`.
    pub(crate) const fn new(column: &'static str) -> Self {
        Self {
            column,
            of: PhantomData,
        }
    }
}

impl<D, K: ?Sized> Clone for Index<D, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<D, K: ?Sized> Copy for Index<D, K> {}

/// The statements of a kind of document.
pub(crate) mod sql {
    use super::{Document, OnConflict};

    /// Reads one document by its key.
    pub(crate) fn get<D: Document>() -> String {
        format!("SELECT doc FROM {} WHERE {} = $1", D::TABLE, D::KEY[0])
    }

    /// Reads every document, sorted by key.
    pub(crate) fn all<D: Document>() -> String {
        format!(
            "SELECT doc FROM {} ORDER BY {}",
            D::TABLE,
            D::KEY.join(", ")
        )
    }

    /// Reads the documents whose `column` is `$1`, sorted by the rest of the key.
    pub(crate) fn list<D: Document>(column: &str) -> String {
        let order: Vec<&str> = D::KEY.iter().copied().filter(|k| *k != column).collect();
        format!(
            "SELECT doc FROM {} WHERE {column} = $1 ORDER BY {}",
            D::TABLE,
            order.join(", ")
        )
    }

    /// Upserts a document: its key, its index columns and `doc`, in that order.
    pub(crate) fn put<D: Document>() -> String {
        let columns: Vec<&str> = D::KEY.iter().chain(D::INDEX).copied().collect();
        let placeholders: Vec<String> = (1..=columns.len() + 1).map(|n| format!("${n}")).collect();
        let on_conflict = match D::ON_CONFLICT {
            OnConflict::Keep => "DO NOTHING".to_owned(),
            OnConflict::Replace => {
                let set: Vec<String> = D::INDEX
                    .iter()
                    .chain(&["doc"])
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect();
                format!("DO UPDATE SET {}", set.join(", "))
            }
        };
        format!(
            "INSERT INTO {} ({}, doc) VALUES ({}) ON CONFLICT ({}) {on_conflict}",
            D::TABLE,
            columns.join(", "),
            placeholders.join(", "),
            D::KEY.join(", ")
        )
    }

    /// Removes the document whose key is `$1`, `$2`, ….
    pub(crate) fn remove<D: Document>() -> String {
        let matches: Vec<String> = D::KEY
            .iter()
            .enumerate()
            .map(|(i, k)| format!("{k} = ${}", i + 1))
            .collect();
        format!("DELETE FROM {} WHERE {}", D::TABLE, matches.join(" AND "))
    }
}

/// Affected-row counts, which each driver reports through a type of its own.
pub(crate) trait RowsAffected {
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

/// An ad object's row: its kind, WABA and template.
pub(crate) type AdObjectRow = (String, i64, Option<i64>);

/// Documents of every kind on one database: written once for any driver that binds integers
/// and text and decodes text (see the implementation's bounds).
pub(crate) trait Documents: Database {
    /// The document of kind `D` whose key is `key`.
    fn get<D: Document>(
        conn: &mut Self::Connection,
        key: &D::Key,
    ) -> impl Future<Output = Result<Option<D>, StoreError>> + Send;

    /// Every document of kind `D`, sorted by key.
    fn all<D: Document>(
        conn: &mut Self::Connection,
    ) -> impl Future<Output = Result<Vec<D>, StoreError>> + Send;

    /// The documents of kind `D` whose `index` column is `key`, sorted by the rest of the key.
    fn list<D: Document, K: Column + ?Sized>(
        conn: &mut Self::Connection,
        index: Index<D, K>,
        key: &K,
    ) -> impl Future<Output = Result<Vec<D>, StoreError>> + Send;

    /// The documents of kind `D` a statement of its own selects (its `doc` column), in the
    /// order it gives: for lookups that are not one index column.
    fn select<D: Document>(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<Vec<D>, StoreError>> + Send;

    /// Upserts `doc` by its key, then runs its side writes.
    fn put<D: Document>(
        conn: &mut Self::Connection,
        doc: &D,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes the document of kind `D` whose key columns are `key` (none there: no error).
    fn remove<D: Document>(
        conn: &mut Self::Connection,
        key: Vec<Value<'_>>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Runs a statement; returns how many rows it changed.
    fn execute(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// The integer a statement selects (e.g. a count).
    fn count(
        conn: &mut Self::Connection,
        sql: &'static str,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The row of the ad object index that `statement` selects.
    fn ad_object_row(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> impl Future<Output = Result<Option<AdObjectRow>, StoreError>> + Send;
}

/// Binds `value` to `query`.
fn bind<'q, DB>(
    query: sqlx::query::Query<'q, DB, DB::Arguments>,
    value: &Value<'_>,
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    DB: Database,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> Option<i64>: Encode<'v, DB> + Type<DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
{
    match value {
        Value::Int(n) => query.bind(*n),
        Value::OptInt(n) => query.bind(*n),
        Value::Text(s) => query.bind(s.as_ref()),
    }
}

/// Builds the query of `sql` with `values` bound.
fn prepare<'q, DB>(
    sql: Cow<'static, str>,
    values: &[Value<'_>],
) -> sqlx::query::Query<'q, DB, DB::Arguments>
where
    DB: Database,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> Option<i64>: Encode<'v, DB> + Type<DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
{
    // The statements are assembled from the kinds' table and column names only, never from
    // values, which are always bound.
    let query = match sql {
        Cow::Borrowed(sql) => sqlx::query(sql),
        Cow::Owned(sql) => sqlx::query(sqlx::AssertSqlSafe(sql)),
    };
    values.iter().fold(query, |query, v| bind(query, v))
}

impl<DB> Documents for DB
where
    DB: Database,
    DB::Arguments: IntoArguments<DB>,
    DB::QueryResult: RowsAffected,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'v> i64: Encode<'v, DB> + Type<DB>,
    for<'v> Option<i64>: Encode<'v, DB> + Type<DB>,
    for<'v> &'v str: Encode<'v, DB> + Type<DB>,
    for<'r> (String,): FromRow<'r, DB::Row>,
    for<'r> (i64,): FromRow<'r, DB::Row>,
    for<'r> AdObjectRow: FromRow<'r, DB::Row>,
{
    async fn get<D: Document>(
        conn: &mut Self::Connection,
        key: &D::Key,
    ) -> Result<Option<D>, StoreError> {
        let key = key.value()?;
        let doc: Option<(String,)> = prepare(Cow::Owned(sql::get::<D>()), &[key])
            .try_map(|row| <(String,)>::from_row(&row))
            .fetch_optional(&mut *conn)
            .await?;
        from_doc_opt(doc.as_ref().map(|(d,)| d.as_str()))
    }

    async fn all<D: Document>(conn: &mut Self::Connection) -> Result<Vec<D>, StoreError> {
        Self::select(
            conn,
            Statement {
                sql: Cow::Owned(sql::all::<D>()),
                values: Vec::new(),
            },
        )
        .await
    }

    async fn list<D: Document, K: Column + ?Sized>(
        conn: &mut Self::Connection,
        index: Index<D, K>,
        key: &K,
    ) -> Result<Vec<D>, StoreError> {
        Self::select(
            conn,
            Statement {
                sql: Cow::Owned(sql::list::<D>(index.column)),
                values: vec![key.value()?],
            },
        )
        .await
    }

    async fn select<D: Document>(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> Result<Vec<D>, StoreError> {
        let docs: Vec<String> = prepare(statement.sql, &statement.values)
            .try_map(|row| <(String,)>::from_row(&row).map(|(d,)| d))
            .fetch_all(&mut *conn)
            .await?;
        from_docs(&docs)
    }

    async fn put<D: Document>(conn: &mut Self::Connection, doc: &D) -> Result<(), StoreError> {
        let mut values = doc.columns()?;
        values.push(Value::Text(Cow::Owned(to_doc(doc)?)));
        prepare(Cow::Owned(sql::put::<D>()), &values)
            .execute(&mut *conn)
            .await?;
        for statement in doc.side_writes()? {
            Self::execute(conn, statement).await?;
        }
        Ok(())
    }

    async fn remove<D: Document>(
        conn: &mut Self::Connection,
        key: Vec<Value<'_>>,
    ) -> Result<(), StoreError> {
        prepare(Cow::Owned(sql::remove::<D>()), &key)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    async fn execute(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> Result<u64, StoreError> {
        let done = prepare(statement.sql, &statement.values)
            .execute(&mut *conn)
            .await?;
        Ok(done.rows_affected())
    }

    async fn count(conn: &mut Self::Connection, sql: &'static str) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(sql).fetch_one(&mut *conn).await?;
        Ok(n)
    }

    async fn ad_object_row(
        conn: &mut Self::Connection,
        statement: Statement<'_>,
    ) -> Result<Option<AdObjectRow>, StoreError> {
        Ok(prepare(statement.sql, &statement.values)
            .try_map(|row| AdObjectRow::from_row(&row))
            .fetch_optional(&mut *conn)
            .await?)
    }
}
