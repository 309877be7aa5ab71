//! Value conversions every table shares: IDs and counts to and from the database's integers,
//! and values to and from their stored JSON documents.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::StoreError;

/// An ID as the database stores it.
pub(crate) fn db_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id).map_err(|_| StoreError::Invalid(format!("id {id} exceeds the BIGINT range")))
}

/// An optional ID as the database stores it.
pub(crate) fn db_id_opt(id: Option<u64>) -> Result<Option<i64>, StoreError> {
    id.map(db_id).transpose()
}

/// A stored ID.
pub(crate) fn id_from_db(id: i64) -> Result<u64, StoreError> {
    u64::try_from(id).map_err(|_| StoreError::Invalid(format!("negative id {id}")))
}

/// An attempt count as the database stores it.
pub(crate) fn db_count(n: u32) -> Result<i32, StoreError> {
    i32::try_from(n)
        .map_err(|_| StoreError::Invalid(format!("attempt {n} exceeds the INTEGER range")))
}

/// A stored attempt count.
pub(crate) fn count_from_db(n: i32) -> Result<u32, StoreError> {
    u32::try_from(n).map_err(|_| StoreError::Invalid(format!("negative attempt count {n}")))
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
