//! The orchestrator's records as documents: each kind says its table, its key, the index
//! columns beside the JSON `doc`, and (for a business's recorded request and a message's
//! status) the column kept beside the document by statements of its own. The statements
//! follow from that, so reading and writing any kind is written once, in
//! [`SqlPartnerStore`](super::sql::SqlPartnerStore).
//!
//! The platform's store (`wamm-store`) has a layer of the same shape; this one is the
//! orchestrator's own, since the orchestrator shares no schema, record types or errors with
//! the platform and does not depend on its storage crate.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ClientBusiness, ClientWaba, SentMessage, StoreError, StoredToken};
use crate::readiness::BusinessReadiness;

/// A value bound to a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Value<'a> {
    /// Text: a Graph ID, a status.
    Text(&'a str),
    /// An integer: a time in Unix seconds.
    Int(i64),
}

/// What a put does when a row with the same key is there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum OnConflict {
    /// Replaces the index columns and the document.
    Replace,
    /// Keeps the row as first written.
    Keep,
}

/// A kind of record stored as a JSON document.
///
/// A new kind is an implementation of this trait and one migration per backend creating its
/// table (its key, its index columns and `doc`).
pub(super) trait Document: Serialize + DeserializeOwned + Send + Sync + Unpin {
    /// The table.
    const TABLE: &'static str;
    /// The key column (a Graph ID); lists are sorted by it.
    const KEY: &'static str;
    /// The index columns beside the key, bound after it.
    const INDEX: &'static [&'static str];
    /// What putting a record whose key is stored does.
    const ON_CONFLICT: OnConflict = OnConflict::Replace;
    /// A column written by statements of its own and read back into the record (see
    /// [`Document::overlay`]).
    const OVERLAY: Option<&'static str> = None;

    /// The key's value.
    fn key(&self) -> &str;

    /// The values of [`INDEX`](Self::INDEX), in order.
    fn index(&self) -> Vec<Value<'_>> {
        Vec::new()
    }

    /// The stored document.
    fn doc(&self) -> Result<String, StoreError> {
        Ok(serde_json::to_string(self)?)
    }

    /// Puts the [`OVERLAY`](Self::OVERLAY) column's value into the record read.
    fn overlay(&mut self, _value: Option<String>) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The statements of a kind of record.
pub(super) mod sql {
    use super::{Document, OnConflict};

    /// The columns a read selects.
    fn selected<D: Document>() -> String {
        match D::OVERLAY {
            Some(column) => format!("doc, {column}"),
            None => "doc".to_owned(),
        }
    }

    /// Reads one record by its key.
    pub(in crate::store) fn get<D: Document>() -> String {
        format!(
            "SELECT {} FROM {} WHERE {} = $1",
            selected::<D>(),
            D::TABLE,
            D::KEY
        )
    }

    /// Reads every record, by key.
    pub(in crate::store) fn all<D: Document>() -> String {
        format!(
            "SELECT {} FROM {} ORDER BY {}",
            selected::<D>(),
            D::TABLE,
            D::KEY
        )
    }

    /// Upserts a record: its key, its index columns and `doc`, in that order.
    pub(in crate::store) fn put<D: Document>() -> String {
        let columns: Vec<&str> = std::iter::once(D::KEY)
            .chain(D::INDEX.iter().copied())
            .collect();
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
            D::KEY
        )
    }
}

impl Document for ClientBusiness {
    const TABLE: &'static str = "businesses";
    const KEY: &'static str = "id";
    const INDEX: &'static [&'static str] = &[];
    const OVERLAY: Option<&'static str> = Some("request");

    fn key(&self) -> &str {
        &self.id
    }

    /// The request lives in its own column, written once by `record_request`.
    fn doc(&self) -> Result<String, StoreError> {
        Ok(serde_json::to_string(&Self {
            request: None,
            ..self.clone()
        })?)
    }

    fn overlay(&mut self, request: Option<String>) -> Result<(), StoreError> {
        self.request = request.as_deref().map(serde_json::from_str).transpose()?;
        Ok(())
    }
}

impl Document for ClientWaba {
    const TABLE: &'static str = "wabas";
    const KEY: &'static str = "id";
    const INDEX: &'static [&'static str] = &["business_id"];

    fn key(&self) -> &str {
        &self.id
    }

    fn index(&self) -> Vec<Value<'_>> {
        vec![Value::Text(&self.business_id)]
    }
}

impl Document for StoredToken {
    const TABLE: &'static str = "tokens";
    const KEY: &'static str = "business_id";
    const INDEX: &'static [&'static str] = &[];

    fn key(&self) -> &str {
        &self.business_id
    }
}

impl Document for SentMessage {
    const TABLE: &'static str = "messages";
    const KEY: &'static str = "id";
    const INDEX: &'static [&'static str] = &["waba_id", "status"];
    // Recorded once; its status moves on by `set_message_status` alone.
    const ON_CONFLICT: OnConflict = OnConflict::Keep;
    const OVERLAY: Option<&'static str> = Some("status");

    fn key(&self) -> &str {
        &self.id
    }

    fn index(&self) -> Vec<Value<'_>> {
        vec![Value::Text(&self.waba_id), Value::Text(&self.status)]
    }

    fn overlay(&mut self, status: Option<String>) -> Result<(), StoreError> {
        if let Some(status) = status {
            self.status = status;
        }
        Ok(())
    }
}

impl Document for BusinessReadiness {
    const TABLE: &'static str = "readiness";
    const KEY: &'static str = "business_id";
    const INDEX: &'static [&'static str] = &["checked_at"];

    fn key(&self) -> &str {
        &self.business_id
    }

    fn index(&self) -> Vec<Value<'_>> {
        vec![Value::Int(self.checked_at)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_the_upserts_and_reads_by_key() {
        assert_eq!(
            sql::put::<ClientBusiness>(),
            "INSERT INTO businesses (id, doc) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET \
             doc = excluded.doc"
        );
        assert_eq!(
            sql::put::<ClientWaba>(),
            "INSERT INTO wabas (id, business_id, doc) VALUES ($1, $2, $3) ON CONFLICT (id) DO \
             UPDATE SET business_id = excluded.business_id, doc = excluded.doc"
        );
        assert_eq!(
            sql::put::<StoredToken>(),
            "INSERT INTO tokens (business_id, doc) VALUES ($1, $2) ON CONFLICT (business_id) \
             DO UPDATE SET doc = excluded.doc"
        );
        assert_eq!(
            sql::put::<SentMessage>(),
            "INSERT INTO messages (id, waba_id, status, doc) VALUES ($1, $2, $3, $4) ON \
             CONFLICT (id) DO NOTHING"
        );
        assert_eq!(
            sql::put::<BusinessReadiness>(),
            "INSERT INTO readiness (business_id, checked_at, doc) VALUES ($1, $2, $3) ON \
             CONFLICT (business_id) DO UPDATE SET checked_at = excluded.checked_at, doc = \
             excluded.doc"
        );
        assert_eq!(
            sql::get::<ClientBusiness>(),
            "SELECT doc, request FROM businesses WHERE id = $1"
        );
        assert_eq!(
            sql::all::<ClientBusiness>(),
            "SELECT doc, request FROM businesses ORDER BY id"
        );
        assert_eq!(
            sql::get::<SentMessage>(),
            "SELECT doc, status FROM messages WHERE id = $1"
        );
        assert_eq!(
            sql::all::<StoredToken>(),
            "SELECT doc FROM tokens ORDER BY business_id"
        );
        assert_eq!(
            sql::all::<BusinessReadiness>(),
            "SELECT doc FROM readiness ORDER BY business_id"
        );
    }
}
