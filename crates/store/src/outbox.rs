//! The webhook outbox, a batch to a row: how the webhooks of a group of change sets become
//! batches, how a batch's items are written, and how a batch row reads back as its items.
//!
//! A batch holds the webhooks that change sets committed together enqueued for one app's
//! endpoint under one lease, at most [`OUTBOX_BATCH_MAX`] of them, in order. Its items are
//! numbered consecutively from the batch's ID, which is its first item's outbox ID; IDs come
//! from one counter in `meta`, a range per group. One row per batch means one insert, one
//! lease, one attempt row and one outcome for up to a thousand webhooks, where one row per
//! webhook cost all four for each.
//!
//! Everything here is pure; the statements that run it are in [`crate::journal`].

use std::collections::HashMap;

use serde_json::Value;
use wamm_domain::{DeliveryStatus, NewWebhook, OUTBOX_BATCH_MAX, OutboxItem, Timestamp};
use wamm_wire::ids::AppId;

use crate::convert::{count_from_db, db_id, id_from_db};
use crate::{ChangeSet, StoreError};

/// The `meta` counter outbox IDs are reserved from.
pub(crate) const IDS_KEY: &str = "webhook_outbox_ids";

/// A batch row: `id`, `n`, `app_id`, `endpoint`, `items`, `status`, `attempts`,
/// `next_attempt_at`, `created_at`, `delivered_at`, `last_error`.
pub(crate) type BatchRow = (
    i64,
    i32,
    i64,
    String,
    String,
    String,
    i32,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// One item as `items` stores it: `[object_id, field, value, time_ms, include_time]`.
type StoredItem = (String, String, Value, i64, bool);

/// [`StoredItem`], borrowed for writing.
type ItemRef<'a> = (&'a str, &'a str, &'a Value, i64, bool);

/// A batch to enqueue, before it has IDs.
#[derive(Debug)]
pub(crate) struct Planned<'a> {
    /// Whose secret signs it.
    pub(crate) app_id: AppId,
    /// Where it goes.
    pub(crate) endpoint: &'a str,
    /// The lease its change sets were committed under.
    pub(crate) lease: Option<i64>,
    /// Its webhooks in order, each with the index of the change set it came from.
    pub(crate) members: Vec<(usize, &'a NewWebhook)>,
}

/// The batches the webhooks of `sets` go into, in the order each was opened: per app,
/// endpoint and lease, in commit order, a new batch whenever one is full.
pub(crate) fn plan(sets: &[ChangeSet]) -> Vec<Planned<'_>> {
    let mut batches: Vec<Planned<'_>> = Vec::new();
    let mut open: HashMap<(AppId, &str, Option<i64>), usize> = HashMap::new();
    for (set, changes) in sets.iter().enumerate() {
        for w in &changes.webhooks {
            let key = (w.app_id, w.endpoint.as_str(), changes.lease_until);
            let at = match open.get(&key) {
                Some(&at) if batches[at].members.len() < OUTBOX_BATCH_MAX => at,
                _ => {
                    batches.push(Planned {
                        app_id: w.app_id,
                        endpoint: &w.endpoint,
                        lease: changes.lease_until,
                        members: Vec::new(),
                    });
                    open.insert(key, batches.len() - 1);
                    batches.len() - 1
                }
            };
            batches[at].members.push((set, w));
        }
    }
    batches
}

/// A planned batch as the columns it is inserted with.
pub(crate) struct BatchInsert {
    pub(crate) id: i64,
    pub(crate) n: i32,
    pub(crate) app_id: i64,
    pub(crate) items: String,
    /// Due when its latest item is.
    pub(crate) due: i64,
    /// Created with its earliest item.
    pub(crate) created: i64,
}

impl BatchInsert {
    /// The columns of `batch`, numbered from `id`.
    pub(crate) fn of(batch: &Planned<'_>, id: i64) -> Result<Self, StoreError> {
        let items: Vec<ItemRef<'_>> = batch
            .members
            .iter()
            .map(|(_, w)| {
                (
                    w.object_id.as_str(),
                    w.field.as_str(),
                    &w.value,
                    w.time.millis(),
                    w.include_time,
                )
            })
            .collect();
        let times = batch.members.iter().map(|(_, w)| w.time.millis());
        Ok(Self {
            id,
            n: i32::try_from(batch.members.len())
                .map_err(|_| StoreError::Invalid("an outbox batch too large".into()))?,
            app_id: db_id(batch.app_id.get())?,
            items: serde_json::to_string(&items)?,
            due: times.clone().max().unwrap_or_default(),
            created: times.min().unwrap_or_default(),
        })
    }
}

/// The items of a batch just enqueued with `first` as its ID, as they were written.
pub(crate) fn enqueued(batch: &Planned<'_>, first: i64, row: &BatchInsert) -> Vec<OutboxItem> {
    batch
        .members
        .iter()
        .zip(first..)
        .map(|((_, w), id)| OutboxItem {
            id,
            batch: first,
            webhook: (*w).clone(),
            status: DeliveryStatus::Pending,
            attempts: 0,
            next_attempt_at: Timestamp::from_millis(row.due),
            created_at: Timestamp::from_millis(row.created),
            delivered_at: None,
            last_error: None,
        })
        .collect()
}

/// A batch row as its items, by ID.
pub(crate) fn items_of(
    (
        id,
        n,
        app_id,
        endpoint,
        items,
        status,
        attempts,
        next_attempt_at,
        created_at,
        delivered_at,
        last_error,
    ): BatchRow,
) -> Result<Vec<OutboxItem>, StoreError> {
    let stored: Vec<StoredItem> = serde_json::from_str(&items)?;
    if usize::try_from(n).ok() != Some(stored.len()) {
        return Err(StoreError::Invalid(format!(
            "outbox batch {id} says {n} items and holds {}",
            stored.len()
        )));
    }
    let app_id = AppId::new(id_from_db(app_id)?);
    let status = crate::journal::status_from_text(&status)?;
    let attempts = count_from_db(attempts)?;
    Ok(stored
        .into_iter()
        .zip(id..)
        .map(
            |((object_id, field, value, time_ms, include_time), item)| OutboxItem {
                id: item,
                batch: id,
                webhook: NewWebhook {
                    app_id,
                    endpoint: endpoint.clone(),
                    object_id,
                    field,
                    value,
                    time: Timestamp::from_millis(time_ms),
                    include_time,
                },
                status,
                attempts,
                next_attempt_at: Timestamp::from_millis(next_attempt_at),
                created_at: Timestamp::from_millis(created_at),
                delivered_at: delivered_at.map(Timestamp::from_millis),
                last_error: last_error.clone(),
            },
        )
        .collect())
}

/// Batch rows as their items, by ID.
pub(crate) fn items_of_rows(rows: Vec<BatchRow>) -> Result<Vec<OutboxItem>, StoreError> {
    let mut items = Vec::new();
    for row in rows {
        items.extend(items_of(row)?);
    }
    items.sort_by_key(|item| item.id);
    Ok(items)
}

/// The lowest batch ID that can hold item `id` or a later one: a batch holds at most
/// [`OUTBOX_BATCH_MAX`] items.
pub(crate) fn lowest_batch_holding(id: i64) -> i64 {
    id.saturating_sub(i64::try_from(OUTBOX_BATCH_MAX).unwrap_or(i64::MAX) - 1)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use wamm_domain::{NewWebhook, OUTBOX_BATCH_MAX, Timestamp};
    use wamm_wire::ids::AppId;

    use super::{BatchInsert, enqueued, items_of, lowest_batch_holding, plan};
    use crate::ChangeSet;

    fn hook(app: u64, endpoint: &str, n: i64) -> NewWebhook {
        NewWebhook {
            app_id: AppId::new(app),
            endpoint: endpoint.into(),
            object_id: format!("{n}"),
            field: "messages".into(),
            value: json!({ "n": n, "é": [1, 2] }),
            time: Timestamp::from_millis(1_000 + n),
            include_time: n % 2 == 0,
        }
    }

    /// A planned batch's app, endpoint, lease and members (set, object ID).
    type Shape<'a> = (u64, &'a str, Option<i64>, Vec<(usize, String)>);

    #[test]
    fn webhooks_batch_per_app_endpoint_and_lease_in_commit_order() {
        let sets = [
            ChangeSet::new()
                .webhook(hook(1, "a", 1))
                .webhook(hook(1, "b", 2))
                .webhook(hook(1, "a", 3))
                .leased_until(9),
            ChangeSet::new().webhook(hook(1, "a", 4)).leased_until(9),
            ChangeSet::new().webhook(hook(1, "a", 5)),
            ChangeSet::new().webhook(hook(2, "a", 6)).leased_until(9),
        ];
        let batches = plan(&sets);
        let shape: Vec<Shape<'_>> = batches
            .iter()
            .map(|b| {
                (
                    b.app_id.get(),
                    b.endpoint,
                    b.lease,
                    b.members
                        .iter()
                        .map(|(set, w)| (*set, w.object_id.clone()))
                        .collect(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            vec![
                (
                    1,
                    "a",
                    Some(9),
                    vec![(0, "1".into()), (0, "3".into()), (1, "4".into())]
                ),
                (1, "b", Some(9), vec![(0, "2".into())]),
                (1, "a", None, vec![(2, "5".into())]),
                (2, "a", Some(9), vec![(3, "6".into())]),
            ]
        );
    }

    #[test]
    fn a_full_batch_is_followed_by_a_new_one() {
        let mut set = ChangeSet::new();
        for n in 0..=i64::try_from(OUTBOX_BATCH_MAX).expect("fits") {
            set = set.webhook(hook(1, "a", n));
        }
        let sizes: Vec<usize> = plan(std::slice::from_ref(&set))
            .iter()
            .map(|b| b.members.len())
            .collect();
        assert_eq!(sizes, vec![OUTBOX_BATCH_MAX, 1]);
    }

    #[test]
    fn a_batch_reads_back_as_the_items_it_was_enqueued_as() {
        let sets = [ChangeSet::new()
            .webhook(hook(7, "a", 3))
            .webhook(hook(7, "a", 2))];
        let batches = plan(&sets);
        let row = BatchInsert::of(&batches[0], 40).expect("columns");
        assert_eq!((row.n, row.due, row.created), (2, 1_003, 1_002));
        let written = enqueued(&batches[0], 40, &row);
        let read = items_of((
            40,
            row.n,
            row.app_id,
            "a".into(),
            row.items.clone(),
            "pending".into(),
            0,
            row.due,
            row.created,
            None,
            None,
        ))
        .expect("reads");
        assert_eq!(read, written);
        assert_eq!(
            read.iter().map(|i| (i.id, i.batch)).collect::<Vec<_>>(),
            vec![(40, 40), (41, 40)]
        );
        assert_eq!(read[0].webhook, hook(7, "a", 3));
    }

    #[test]
    fn a_row_whose_count_disagrees_with_its_items_is_refused() {
        let row = (
            1,
            2,
            7,
            "a".into(),
            "[]".into(),
            "pending".into(),
            0,
            0,
            0,
            None,
            None,
        );
        assert!(items_of(row).is_err());
    }

    #[test]
    fn the_lowest_batch_holding_an_item_is_a_batch_length_back() {
        let max = i64::try_from(OUTBOX_BATCH_MAX).expect("fits");
        assert_eq!(lowest_batch_holding(5_000), 5_000 - max + 1);
        assert_eq!(lowest_batch_holding(i64::MIN), i64::MIN);
    }
}
