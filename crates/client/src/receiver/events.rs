//! Meta's webhook envelope and the typed events inside it.
//!
//! A delivery is `{"object": "whatsapp_business_account", "entry": [{"id", "time"?, "changes":
//! [{"field", "value"}]}]}`. [`parse`] turns it into a [`Notification`] whose every change carries
//! its typed [`Event`]s: `account_update` events, message statuses and `user_actions` on the
//! `messages` field, and template status and category updates.
//!
//! The payloads are `wamm_wire::webhooks`' types, re-exported here: the platform renders every
//! webhook with the same ones. Message statuses and user actions come out flattened, each with
//! the metadata (and contact) of its change.
//!
//! Parsing is lenient on purpose. Meta adds event names, enum values and fields without a
//! version bump, and a receiver that rejects what it does not know loses webhooks it can never
//! fetch again. So the only error is a body that is not a JSON object at all; inside it, an
//! unknown field or event becomes [`Event::Unknown`], an unknown enum value becomes that enum's
//! `Other(text)`, a missing or mistyped optional field becomes `None`, and the raw `value` of
//! every change is kept beside its events for whatever this module does not model.

use serde_json::Value;
use wamm_wire::webhooks::{self as wire, MessagesValue, StatusItem, UserActionItem};
pub use wamm_wire::webhooks::{
    AccountEvent, AccountUpdate, BanInfo, BanState, ClickComponent, Conversation, DeliveryStatus,
    DisconnectionInfo, DisconnectionReason, InitiatedBy, LinkClick, Metadata, OtherInfo, Pricing,
    PricingCategory, PricingModel, PricingType, StatusContact, StatusError, TemplateCategory,
    TemplateCategoryUpdate, TemplateStatus, TemplateStatusUpdate, UserActionKind, ViolationInfo,
    WabaInfo,
};

/// Why a body could not be read as a notification at all.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The body is not JSON. The message names a position, never the body's content.
    #[error("the body is not JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The body is JSON, but not an object, so it cannot be an envelope.
    #[error("the body is JSON but not an object")]
    NotAnObject,
}

/// Reads a webhook body: fails only when it is not a JSON object; anything inside that is not
/// understood is kept as [`Event::Unknown`] or an `Other` value.
pub fn parse(body: &[u8]) -> Result<Notification, ParseError> {
    Notification::from_value(serde_json::from_slice(body)?)
}

/// One webhook delivery: the envelope and its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// The object the changes are about; `whatsapp_business_account` for everything here
    /// (empty when missing).
    pub object: String,
    /// The entries, in the order received. Meta batches up to 1000 per delivery.
    pub entry: Vec<Entry>,
}

impl Notification {
    /// Reads an already decoded JSON value, as [`parse`] does.
    pub fn from_value(value: Value) -> Result<Self, ParseError> {
        if !value.is_object() {
            return Err(ParseError::NotAnObject);
        }
        // The envelope is read by the wire type the platform renders with; it keeps whatever
        // it cannot read (see `wamm_wire::webhooks::Envelope`).
        let envelope = wire::Envelope::from(value);
        Ok(Self {
            object: envelope.object,
            entry: envelope.entry.into_iter().map(Entry::from).collect(),
        })
    }

    /// Every event of every change, each with the `id` of its entry (the WABA ID for
    /// everything the platform sends), in the order received.
    ///
    /// For `account_update`, prefer [`AccountUpdate::waba_id`]: Meta's documents disagree on
    /// whether `entry.id` is the WABA or the partner's business.
    pub fn events(&self) -> impl Iterator<Item = (&str, &Event)> + '_ {
        self.entry.iter().flat_map(|entry| {
            entry
                .changes
                .iter()
                .flat_map(|change| change.events.iter())
                .map(|event| (entry.id.as_str(), event))
        })
    }

    /// Takes the events out, each with the `id` of its entry, in the order received.
    pub fn into_events(self) -> Vec<(String, Event)> {
        let mut out = Vec::new();
        for entry in self.entry {
            for change in entry.changes {
                for event in change.events {
                    out.push((entry.id.clone(), event));
                }
            }
        }
        out
    }
}

/// One entry of a delivery: the changes to one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The object's ID (the WABA ID; empty when missing). Numbers are kept as their digits.
    pub id: String,
    /// When the change happened, in Unix seconds: present for `account_update` and template
    /// fields, absent for `messages`.
    pub time: Option<i64>,
    /// The changes.
    pub changes: Vec<Change>,
}

impl From<wire::Entry> for Entry {
    fn from(entry: wire::Entry) -> Self {
        Self {
            id: entry.id,
            time: entry.time,
            changes: entry.changes.into_iter().map(Change::from).collect(),
        }
    }
}

/// One change: a subscribed field, its raw value, and the typed events read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The webhook field, e.g. `account_update` or `messages` (empty when missing).
    pub field: String,
    /// The value exactly as received, for anything the typed events do not model.
    pub value: Value,
    /// The typed events: one for most fields; one per status and per user action on
    /// `messages`; a single [`Event::Unknown`] for anything not understood.
    pub events: Vec<Event>,
}

impl From<wire::Change> for Change {
    fn from(change: wire::Change) -> Self {
        let events = events_of(&change.field, &change.value);
        Self {
            field: change.field,
            value: change.value,
            events,
        }
    }
}

/// A typed webhook event.
///
/// New variants may be added as the contract grows; until then, their payloads arrive as
/// [`Event::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// An `account_update` change: onboarding, partner, offboarding and account events.
    AccountUpdate(AccountUpdate),
    /// One entry of `statuses` on the `messages` field.
    MessageStatus(MessageStatus),
    /// One entry of `user_actions` on the `messages` field, such as a link click.
    UserAction(UserAction),
    /// A `message_template_status_update` change.
    TemplateStatusUpdate(TemplateStatusUpdate),
    /// A `template_category_update` change, impending or completed.
    TemplateCategoryUpdate(TemplateCategoryUpdate),
    /// Anything else: a field this version does not model, or a value it cannot classify.
    Unknown {
        /// The webhook field.
        field: String,
        /// The value (for `messages`, the one status or user action not understood).
        value: Value,
    },
}

fn events_of(field: &str, value: &Value) -> Vec<Event> {
    let typed = match field {
        wire::FIELD_ACCOUNT_UPDATE => wire::decode(value).map(|e| vec![Event::AccountUpdate(e)]),
        wire::FIELD_MESSAGES => messages(value),
        wire::FIELD_TEMPLATE_STATUS => {
            wire::decode(value).map(|e| vec![Event::TemplateStatusUpdate(e)])
        }
        wire::FIELD_TEMPLATE_CATEGORY => {
            wire::decode(value).map(|e| vec![Event::TemplateCategoryUpdate(e)])
        }
        _ => None,
    };
    typed.unwrap_or_else(|| {
        vec![Event::Unknown {
            field: field.to_owned(),
            value: value.clone(),
        }]
    })
}

/// One message status on the `messages` field, with the metadata of its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageStatus {
    /// The business number the message was sent from.
    pub metadata: Metadata,
    /// `whatsapp`.
    pub messaging_product: Option<String>,
    /// The message ID (`wamid.…`).
    pub id: Option<String>,
    /// The new status.
    pub status: DeliveryStatus,
    /// When, in Unix seconds (Meta sends a string).
    pub timestamp: Option<i64>,
    /// The recipient's number, digits only.
    pub recipient_id: Option<String>,
    /// The recipient's business-scoped user ID (`US.13491208655302741918`): with `sent`,
    /// `delivered` and `read`, and with `failed` only when the message was sent to a BSUID.
    pub recipient_user_id: Option<String>,
    /// The recipient's parent BSUID, when the business has parent BSUIDs enabled.
    pub recipient_parent_user_id: Option<String>,
    /// The change's `contacts` entry for this recipient (`sent`, `delivered` and `read` carry
    /// one; `failed` carries none).
    pub contact: Option<StatusContact>,
    /// The sender's own data, echoed from the send request.
    pub biz_opaque_callback_data: Option<String>,
    /// The conversation (Graph v23.0 and earlier; omitted from v24.0).
    pub conversation: Option<Conversation>,
    /// How the message is priced (with `sent`, and with `delivered` or `read`).
    pub pricing: Option<Pricing>,
    /// Why a `failed` message failed (empty otherwise).
    pub errors: Vec<StatusError>,
}

impl MessageStatus {
    /// The status `item` of a change with `head`'s metadata, product and contacts.
    fn new(item: StatusItem, head: &MessagesValue) -> Self {
        Self {
            metadata: head.metadata.clone(),
            messaging_product: head.messaging_product.clone(),
            contact: StatusContact::matching(
                &head.contacts,
                item.recipient_user_id.as_deref(),
                item.recipient_id.as_deref(),
            ),
            id: item.id,
            status: item.status,
            timestamp: item.timestamp,
            recipient_id: item.recipient_id,
            recipient_user_id: item.recipient_user_id,
            recipient_parent_user_id: item.recipient_parent_user_id,
            biz_opaque_callback_data: item.biz_opaque_callback_data,
            conversation: item.conversation,
            pricing: item.pricing,
            errors: item.errors,
        }
    }
}

/// One user action on the `messages` field, with the metadata of its change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAction {
    /// The business number the message was sent from.
    pub metadata: Metadata,
    /// `whatsapp`.
    pub messaging_product: Option<String>,
    /// What the user did.
    pub action: UserActionKind,
    /// When, in Unix seconds (Meta sends a string).
    pub timestamp: Option<i64>,
    /// `marketing_messages_link_click_data`, for a link click.
    pub link_click: Option<LinkClick>,
}

impl UserAction {
    /// The action `item` of a change with `head`'s metadata and product.
    fn new(item: UserActionItem, head: &MessagesValue) -> Self {
        Self {
            metadata: head.metadata.clone(),
            messaging_product: head.messaging_product.clone(),
            action: item.action_type,
            timestamp: item.timestamp,
            link_click: item.marketing_messages_link_click_data,
        }
    }
}

/// The status and user action events of a `messages` value, or `None` when it has neither
/// (such as inbound messages, which this module does not model).
fn messages(value: &Value) -> Option<Vec<Event>> {
    let map = value.as_object()?;
    // The change's own fields; its statuses and actions are read one by one below, so that
    // one that cannot be read is kept whole as an unknown event rather than skipped.
    let head: MessagesValue = wire::decode(value)?;
    let unknown = |item: &Value| Event::Unknown {
        field: wire::FIELD_MESSAGES.to_owned(),
        value: item.clone(),
    };
    let mut events = Vec::new();
    for item in list_ref(map.get("statuses")) {
        events.push(wire::decode(item).map_or_else(
            || unknown(item),
            |item| Event::MessageStatus(MessageStatus::new(item, &head)),
        ));
    }
    for item in list_ref(map.get("user_actions")) {
        events.push(wire::decode(item).map_or_else(
            || unknown(item),
            |item| Event::UserAction(UserAction::new(item, &head)),
        ));
    }
    (!events.is_empty()).then_some(events)
}

/// The items of a list: an array's items, a lone non-null value as a list of one, `null` or
/// nothing as none.
fn list_ref(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => &[],
        Some(other) => std::slice::from_ref(other),
    }
}

#[cfg(test)]
mod tests;
