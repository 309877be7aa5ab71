//! Webhook payloads: the envelope Meta posts and the values of the changes inside it.
//!
//! The platform renders every webhook it sends with these types and the partner toolkit's
//! receiver decodes them with the same ones, so the two cannot drift apart. Serializing gives
//! exactly what Meta sends: optional fields that are absent are left out, and timestamps and
//! IDs keep the JSON types Meta uses for them (message timestamps are strings, template IDs
//! numbers).
//!
//! Decoding is lenient on purpose. Meta adds event names, enum values and fields without a
//! version bump, and a receiver that rejects what it does not know loses webhooks it can never
//! fetch again. So an enum value this crate does not know becomes that enum's `Other(text)`, a
//! missing or mistyped optional field becomes `None` (or an empty list), and only the field
//! that says what a payload is (`event`, `status`, `action_type`) is required. [`decode`] is
//! the entry point for a change's value: it answers `None` rather than an error, and never
//! reads something that is not a JSON object as a payload.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The object WhatsApp webhooks are delivered under.
pub const WABA_OBJECT: &str = "whatsapp_business_account";

/// The `field` of a change carrying message statuses and user actions.
pub const FIELD_MESSAGES: &str = "messages";
/// The `field` of a change carrying an [`AccountUpdate`].
pub const FIELD_ACCOUNT_UPDATE: &str = "account_update";
/// The `field` of a change carrying a [`TemplateStatusUpdate`].
pub const FIELD_TEMPLATE_STATUS: &str = "message_template_status_update";
/// The `field` of a change carrying a [`TemplateCategoryUpdate`].
pub const FIELD_TEMPLATE_CATEGORY: &str = "template_category_update";

/// Reads a change's value as payload `T`: `None` when it is not a JSON object or lacks what
/// makes it a `T` (such as an `event`); anything else inside is read leniently.
pub fn decode<T: DeserializeOwned>(value: &Value) -> Option<T> {
    // Serde would also read a struct from an array, position by position; a payload is
    // always an object.
    if !value.is_object() {
        return None;
    }
    T::deserialize(value).ok()
}

/// Renders a payload as a JSON value, for stores and queues that hold values.
pub fn to_value<T: Serialize>(payload: &T) -> Value {
    // Every payload here has string keys and no fallible serializer, so this cannot fail.
    serde_json::to_value(payload).unwrap_or(Value::Null)
}

/// One webhook delivery: `{"object", "entry": [...]}`.
///
/// Read leniently, as a receiver must: nothing is refused and nothing is dropped. A missing or
/// mistyped `object` or `id` reads as empty, a missing `time` as `None`; an entry or change that
/// is not an object is kept whole (an entry as one change with an empty field, a change with an
/// empty field and the item as its value), so that whoever reads it can still log it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Value")]
pub struct Envelope {
    /// The object the changes are about: [`WABA_OBJECT`] for everything here.
    pub object: String,
    /// The entries; Meta batches up to 1000 per delivery.
    pub entry: Vec<Entry>,
}

/// One entry of a delivery: the changes to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Value")]
pub struct Entry {
    /// The object's ID (the WABA ID), as a string.
    pub id: String,
    /// When the change happened, in Unix seconds: sent for `account_update` and template
    /// fields, not for `messages`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<i64>,
    /// The changes.
    pub changes: Vec<Change>,
}

/// One change: a subscribed field and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Value")]
pub struct Change {
    /// The webhook field, e.g. `account_update` or `messages`.
    pub field: String,
    /// The value; one of the payloads of this module for the fields the platform sends.
    pub value: Value,
}

/// An array's items, a lone non-null value as a list of one, `null` or nothing as none.
fn owned_items(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

impl From<Value> for Envelope {
    fn from(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            return Self {
                object: String::new(),
                entry: vec![Entry::from(value)],
            };
        };
        Self {
            object: lenient::text_of(map.get("object")).unwrap_or_default(),
            entry: owned_items(map.remove("entry"))
                .into_iter()
                .map(Entry::from)
                .collect(),
        }
    }
}

impl From<Value> for Entry {
    fn from(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            return Self {
                id: String::new(),
                time: None,
                changes: vec![Change::from(value)],
            };
        };
        Self {
            id: lenient::text_of(map.get("id")).unwrap_or_default(),
            time: map.get("time").and_then(lenient::int_of),
            changes: owned_items(map.remove("changes"))
                .into_iter()
                .map(Change::from)
                .collect(),
        }
    }
}

impl From<Value> for Change {
    fn from(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            return Self {
                field: String::new(),
                value,
            };
        };
        let value = map.remove("value").unwrap_or(Value::Null);
        // One of Meta's documented examples puts `field` inside `value`; both places are read.
        let field = lenient::text_of(map.get("field"))
            .or_else(|| lenient::text_of(value.get("field")))
            .unwrap_or_default();
        Self { field, value }
    }
}

/// Defines an enum of wire strings that keeps values it does not know as `Other(text)`; it
/// serializes as its text and deserializes from any string.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal $(| $alias:literal)*, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value this version does not know, kept exactly as sent.
            Other(String),
        }

        impl $name {
            /// Reads wire text; text this version does not know becomes `Other`.
            pub fn from_wire(text: &str) -> Self {
                match text {
                    $( $text $(| $alias)* => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The wire text (for `Other`, the text as received).
            pub fn as_str(&self) -> &str {
                match self {
                    $( Self::$variant => $text, )*
                    Self::Other(text) => text,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self::from_wire(text)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(deserializer)?;
                Ok(Self::from_wire(&text))
            }
        }
    };
}

wire_enum! {
    /// The `event` of an `account_update` change.
    AccountEvent {
        /// The business signed the MM API terms; sent once per WABA when its setup completes.
        MmLiteTermsSigned = "MM_LITE_TERMS_SIGNED",
        /// Legacy: the WABA's read-only ad account was linked (`waba_info.ad_account_linked`).
        AdAccountLinked = "AD_ACCOUNT_LINKED",
        /// The WABA was deleted.
        AccountDeleted = "ACCOUNT_DELETED",
        /// The WABA violated a policy (`violation_info`).
        AccountViolation = "ACCOUNT_VIOLATION",
        /// The WABA was banned, reinstated or scheduled for a ban (`ban_info`).
        DisabledUpdate = "DISABLED_UPDATE",
        /// Eligibility for international authentication rates changed.
        AuthIntlPriceEligibilityUpdate = "AUTH_INTL_PRICE_ELIGIBILITY_UPDATE",
        /// The business's primary country changed (`country`).
        BusinessPrimaryLocationCountryUpdate = "BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE",
        /// A Solution Partner was added to the WABA.
        PartnerAdded = "PARTNER_ADDED",
        /// The partner's app was installed (`waba_info.partner_app_id`).
        PartnerAppInstalled = "PARTNER_APP_INSTALLED",
        /// The business removed the partner's app; its business tokens are invalid.
        PartnerAppUninstalled = "PARTNER_APP_UNINSTALLED",
        /// The partner was removed; for coexistence, carries the disconnected `phone_number`.
        PartnerRemoved = "PARTNER_REMOVED",
        /// The partner's client certification status changed.
        PartnerClientCertificationStatusUpdate = "PARTNER_CLIENT_CERTIFICATION_STATUS_UPDATE",
        /// The volume-based pricing tier changed (`volume_tier_info`).
        VolumeBasedPricingTierUpdate = "VOLUME_BASED_PRICING_TIER_UPDATE",
        /// The WABA was restricted (`restriction_info`).
        AccountRestriction = "ACCOUNT_RESTRICTION",
        /// A coexistence number was disconnected, which offboards the WABA from MM API
        /// (`disconnection_info`).
        AccountOffboarded = "ACCOUNT_OFFBOARDED",
        /// A coexistence number was connected again (`disconnection_info`).
        AccountReconnected = "ACCOUNT_RECONNECTED",
    }
}

wire_enum! {
    /// `disconnection_info.reason` of a coexistence offboarding.
    DisconnectionReason {
        /// The business disconnected in the app.
        AccountDisconnected = "ACCOUNT_DISCONNECTED",
        /// The business downgraded to the consumer app.
        BusinessDowngrade = "BUSINESS_DOWNGRADE",
        /// The number changed.
        ChangeNumber = "CHANGE_NUMBER",
        /// The companion device was inactive for about 30 days.
        CompanionInactivity = "COMPANION_INACTIVITY",
        /// The primary device was inactive for about 14 days.
        PrimaryInactivity = "PRIMARY_INACTIVITY",
        /// The number was registered again elsewhere.
        UserReRegistered = "USER_RE_REGISTERED",
    }
}

wire_enum! {
    /// `disconnection_info.initiated_by`: who disconnected the number.
    InitiatedBy {
        /// WhatsApp did.
        System = "SYSTEM",
        /// The business did.
        User = "USER",
    }
}

wire_enum! {
    /// `ban_info.waba_ban_state` of a `DISABLED_UPDATE`.
    BanState {
        /// The WABA is disabled.
        Disable = "DISABLE",
        /// The WABA is reinstated.
        Reinstate = "REINSTATE",
        /// The WABA will be disabled on `waba_ban_date`.
        ScheduleForDisable = "SCHEDULE_FOR_DISABLE",
    }
}

/// An `account_update` change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountUpdate {
    /// What happened; without it a value is not an account update.
    pub event: AccountEvent,
    /// Which WABA, business and partner it concerns (onboarding and partner events).
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub waba_info: Option<WabaInfo>,
    /// The number, digits only (coexistence `PARTNER_REMOVED`, `ACCOUNT_OFFBOARDED`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number: Option<String>,
    /// Why and by whom a coexistence number was disconnected.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub disconnection_info: Option<DisconnectionInfo>,
    /// The ban of a `DISABLED_UPDATE`.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub ban_info: Option<BanInfo>,
    /// The violation of an `ACCOUNT_VIOLATION`.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub violation_info: Option<ViolationInfo>,
    /// The new country of a `BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub country: Option<String>,
    /// The restrictions of an `ACCOUNT_RESTRICTION`, as sent (their shape is not pinned down).
    #[serde(
        default,
        deserialize_with = "lenient::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub restriction_info: Option<Value>,
    /// The tier of a `VOLUME_BASED_PRICING_TIER_UPDATE`, as sent.
    #[serde(
        default,
        deserialize_with = "lenient::present",
        skip_serializing_if = "Option::is_none"
    )]
    pub volume_tier_info: Option<Value>,
}

impl AccountUpdate {
    /// An update with only its `event` set.
    pub const fn new(event: AccountEvent) -> Self {
        Self {
            event,
            waba_info: None,
            phone_number: None,
            disconnection_info: None,
            ban_info: None,
            violation_info: None,
            country: None,
            restriction_info: None,
            volume_tier_info: None,
        }
    }

    /// The WABA this event concerns, from `waba_info.waba_id`; Meta's documents say to key on
    /// it rather than on `entry.id`.
    pub fn waba_id(&self) -> Option<&str> {
        self.waba_info.as_ref()?.waba_id.as_deref()
    }
}

/// `waba_info` of an `account_update`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "RawWabaInfo")]
pub struct WabaInfo {
    /// The WABA.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waba_id: Option<String>,
    /// The business portfolio that owns it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner_business_id: Option<String>,
    /// The linked ad account of `AD_ACCOUNT_LINKED`: written as `ad_account_linked`, read from
    /// it or from `ad_account_id`, the name one of Meta's guides uses.
    #[serde(rename = "ad_account_linked", skip_serializing_if = "Option::is_none")]
    pub ad_account_id: Option<String>,
    /// The partner's app (`PARTNER_APP_INSTALLED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partner_app_id: Option<String>,
    /// The multi-partner solution, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub solution_id: Option<String>,
    /// The Solution Partners' businesses (empty when absent).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub solution_partner_business_ids: Vec<String>,
}

/// `waba_info` as read, with both names Meta uses for the ad account.
#[derive(Deserialize)]
struct RawWabaInfo {
    #[serde(default, deserialize_with = "lenient::text")]
    waba_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    owner_business_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    ad_account_linked: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    ad_account_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    partner_app_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::text")]
    solution_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::texts")]
    solution_partner_business_ids: Vec<String>,
}

impl From<RawWabaInfo> for WabaInfo {
    fn from(raw: RawWabaInfo) -> Self {
        Self {
            waba_id: raw.waba_id,
            owner_business_id: raw.owner_business_id,
            ad_account_id: raw.ad_account_linked.or(raw.ad_account_id),
            partner_app_id: raw.partner_app_id,
            solution_id: raw.solution_id,
            solution_partner_business_ids: raw.solution_partner_business_ids,
        }
    }
}

/// `disconnection_info` of a coexistence offboarding or reconnection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisconnectionInfo {
    /// Why.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<DisconnectionReason>,
    /// Who.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub initiated_by: Option<InitiatedBy>,
}

/// `ban_info` of a `DISABLED_UPDATE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanInfo {
    /// The ban state.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub waba_ban_state: Option<BanState>,
    /// The ban date as Meta writes it, e.g. `April 17, 2025`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub waba_ban_date: Option<String>,
}

/// `violation_info` of an `ACCOUNT_VIOLATION`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViolationInfo {
    /// The violation, e.g. `SCAM`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub violation_type: Option<String>,
}

wire_enum! {
    /// The `status` of a message status.
    DeliveryStatus {
        /// Sent from the business's number.
        Sent = "sent",
        /// Delivered to the recipient's device.
        Delivered = "delivered",
        /// Read (may arrive without a `delivered` before it).
        Read = "read",
        /// Not delivered; see the status's `errors`.
        Failed = "failed",
        /// A voice message was played.
        Played = "played",
    }
}

wire_enum! {
    /// `pricing.category` and `conversation.origin.type`.
    PricingCategory {
        /// Sent through MM API.
        MarketingLite = "marketing_lite",
        /// Marketing through Cloud API, including an MM API request that fell back to it.
        Marketing = "marketing",
        /// Utility.
        Utility = "utility",
        /// Authentication.
        Authentication = "authentication",
        /// International authentication (Meta spells it with a hyphen or an underscore).
        AuthenticationInternational = "authentication_international" | "authentication-international",
        /// Service (customer service window).
        Service = "service",
        /// Referral conversion (free entry point).
        ReferralConversion = "referral_conversion",
    }
}

wire_enum! {
    /// `pricing.pricing_model`.
    PricingModel {
        /// Per-message pricing (since 2025-07-01).
        Pmp = "PMP",
        /// Conversation-based pricing (before 2025-07-01).
        Cbp = "CBP",
    }
}

wire_enum! {
    /// `pricing.type`.
    PricingType {
        /// A charged message.
        Regular = "regular",
        /// Free inside the customer service window.
        FreeCustomerService = "free_customer_service",
        /// Free inside a free entry point window.
        FreeEntryPoint = "free_entry_point",
    }
}

/// A `messages` change as the platform sends it: statuses of sent messages, or user actions
/// such as link clicks, with the business number they concern.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessagesValue {
    /// `whatsapp`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub messaging_product: Option<String>,
    /// Which business number the change concerns.
    #[serde(default, deserialize_with = "lenient::object_or_default")]
    pub metadata: Metadata,
    /// Who the statuses are about (number and business-scoped user ID); `failed` has none.
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub contacts: Vec<StatusContact>,
    /// Message statuses; an entry that cannot be read is skipped.
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub statuses: Vec<StatusItem>,
    /// User actions; an entry that cannot be read is skipped.
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub user_actions: Vec<UserActionItem>,
}

/// The `metadata` of a `messages` change: which business number it concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    /// The business number, digits only.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub display_phone_number: Option<String>,
    /// The business number's ID.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_id: Option<String>,
}

/// One entry of `statuses` on the `messages` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusItem {
    /// The message ID (`wamid.…`).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The new status; without it an entry is not a status.
    pub status: DeliveryStatus,
    /// When, in Unix seconds (written as a string, as Meta does).
    #[serde(
        default,
        with = "seconds_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<i64>,
    /// The recipient's number, digits only.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub recipient_id: Option<String>,
    /// The recipient's business-scoped user ID (`US.13491208655302741918`): with `sent`,
    /// `delivered` and `read`, and with `failed` only when the message was sent to a BSUID.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub recipient_user_id: Option<String>,
    /// The recipient's parent BSUID, when the business has parent BSUIDs enabled.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub recipient_parent_user_id: Option<String>,
    /// The sender's own data, echoed from the send request.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub biz_opaque_callback_data: Option<String>,
    /// The conversation (Graph v23.0 and earlier; omitted from v24.0).
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub conversation: Option<Conversation>,
    /// How the message is priced (with `sent`, and with `delivered` or `read`).
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub pricing: Option<Pricing>,
    /// Why a `failed` message failed (empty otherwise).
    #[serde(
        default,
        deserialize_with = "lenient::list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub errors: Vec<StatusError>,
}

/// One entry of the `contacts` array of a status change: who the status is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusContact {
    /// The recipient's number, digits only (omitted when the user hides it behind a username
    /// and the message went to their BSUID).
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub wa_id: Option<String>,
    /// The recipient's business-scoped user ID.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_id: Option<String>,
    /// The recipient's parent BSUID, when parent BSUIDs are enabled.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub parent_user_id: Option<String>,
    /// `profile.username`, when the user has one (with `delivered` and `read`).
    #[serde(
        rename = "profile",
        default,
        with = "profile_username",
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
}

impl StatusContact {
    /// The entry for a status's recipient among `contacts`: the one with its BSUID, else the
    /// one with its number, else the only one (a status change names a single recipient).
    pub fn matching(contacts: &[Self], user_id: Option<&str>, wa_id: Option<&str>) -> Option<Self> {
        let by = |pick: fn(&Self) -> Option<&str>, want: Option<&str>| {
            want.and_then(|w| contacts.iter().find(|c| pick(c) == Some(w)))
        };
        let only = match contacts {
            [only] => Some(only),
            _ => None,
        };
        by(|c| c.user_id.as_deref(), user_id)
            .or_else(|| by(|c| c.wa_id.as_deref(), wa_id))
            .or(only)
            .cloned()
    }
}

/// `conversation` of a message status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conversation {
    /// The conversation ID.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// When the conversation expires, in Unix seconds (with `sent`; written as a string).
    #[serde(
        default,
        with = "seconds_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub expiration_timestamp: Option<i64>,
    /// `origin.type`: `marketing_lite` for MM API messages.
    #[serde(
        rename = "origin",
        default,
        with = "origin_type",
        skip_serializing_if = "Option::is_none"
    )]
    pub origin_type: Option<PricingCategory>,
}

/// `pricing` of a message status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pricing {
    /// Whether the message is charged (slated for deprecation by Meta).
    #[serde(
        default,
        deserialize_with = "lenient::boolean",
        skip_serializing_if = "Option::is_none"
    )]
    pub billable: Option<bool>,
    /// `PMP` or `CBP`.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub pricing_model: Option<PricingModel>,
    /// `type`: `regular`, `free_customer_service` or `free_entry_point`.
    #[serde(
        rename = "type",
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub kind: Option<PricingType>,
    /// `marketing_lite` when the message went through MM API, `marketing` after a fallback.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub category: Option<PricingCategory>,
}

/// One of the `errors` of a failed message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusError {
    /// The error code, e.g. `131049`.
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub code: Option<i64>,
    /// A short title.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<String>,
    /// The message.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message: Option<String>,
    /// `error_data.details`.
    #[serde(
        rename = "error_data",
        default,
        with = "error_details",
        skip_serializing_if = "Option::is_none"
    )]
    pub details: Option<String>,
    /// Where the code is documented.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub href: Option<String>,
}

wire_enum! {
    /// `action_type` of a user action.
    UserActionKind {
        /// The recipient clicked a link in an MM API message.
        MarketingMessagesLinkClick = "marketing_messages_link_click",
    }
}

wire_enum! {
    /// `click_component` of a link click.
    ClickComponent {
        /// A call-to-action button.
        Cta = "cta",
        /// A link in the body.
        Body = "body",
    }
}

/// One entry of `user_actions` on the `messages` field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserActionItem {
    /// What the user did; without it an entry is not a user action.
    pub action_type: UserActionKind,
    /// When, in Unix seconds (written as a string, as Meta does).
    #[serde(
        default,
        with = "seconds_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub timestamp: Option<i64>,
    /// `marketing_messages_link_click_data`, for a link click.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub marketing_messages_link_click_data: Option<LinkClick>,
}

/// `marketing_messages_link_click_data`. It names neither the message nor the recipient;
/// `click_id` is also appended to the landing URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkClick {
    /// Which part of the message was clicked.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub click_component: Option<ClickComponent>,
    /// The click's ID.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub click_id: Option<String>,
    /// The product, for catalogue messages.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub product_id: Option<String>,
    /// The tracking token, when the message set one.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_token: Option<String>,
}

wire_enum! {
    /// The `event` of a template status update.
    TemplateStatus {
        /// Approved, including a paused template that recovered.
        Approved = "APPROVED",
        /// In review.
        Pending = "PENDING",
        /// Rejected (`reason` says why).
        Rejected = "REJECTED",
        /// Paused for low quality (`other_info` says for how long).
        Paused = "PAUSED",
        /// Disabled.
        Disabled = "DISABLED",
        /// Flagged for low quality; disabled later unless quality improves.
        Flagged = "FLAGGED",
        /// Under appeal.
        InAppeal = "IN_APPEAL",
        /// Being deleted.
        PendingDeletion = "PENDING_DELETION",
        /// Reinstated.
        Reinstated = "REINSTATED",
        /// Archived.
        Archived = "ARCHIVED",
        /// Unarchived.
        Unarchived = "UNARCHIVED",
        /// Locked against edits.
        Locked = "LOCKED",
        /// Unlocked.
        Unlocked = "UNLOCKED",
        /// Deleted.
        Deleted = "DELETED",
    }
}

wire_enum! {
    /// A template category.
    TemplateCategory {
        /// Marketing: routed to MM API.
        Marketing = "MARKETING",
        /// Utility.
        Utility = "UTILITY",
        /// Authentication.
        Authentication = "AUTHENTICATION",
    }
}

/// `other_info` of a template status update (pauses, locks).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherInfo {
    /// E.g. `FIRST_PAUSE`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub title: Option<String>,
    /// A sentence for people.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
}

/// A `message_template_status_update` change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateStatusUpdate {
    /// What happened to the template; without it a value is not a status update.
    pub event: TemplateStatus,
    /// The template's ID, kept as its digits (written as a number, as Meta does).
    #[serde(
        default,
        with = "digits_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_id: Option<String>,
    /// The template's name.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_name: Option<String>,
    /// The template's locale, e.g. `en_US`.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_language: Option<String>,
    /// Why, e.g. `INCORRECT_CATEGORY`; Meta sends `NONE` when there is no reason.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub reason: Option<String>,
    /// The template's category (with `APPROVED` and `PENDING`).
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_category: Option<TemplateCategory>,
    /// `disable_info.disable_date`, as sent.
    #[serde(
        rename = "disable_info",
        default,
        with = "disable_date",
        skip_serializing_if = "Option::is_none"
    )]
    pub disable_date: Option<String>,
    /// Details of a pause or lock.
    #[serde(
        default,
        deserialize_with = "lenient::object",
        skip_serializing_if = "Option::is_none"
    )]
    pub other_info: Option<OtherInfo>,
}

/// A `template_category_update` change: impending (announced ahead, with
/// `correct_category`) or completed (with `previous_category`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateCategoryUpdate {
    /// The template's ID, kept as its digits (written as a number, as Meta does).
    #[serde(
        default,
        with = "digits_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_id: Option<String>,
    /// The template's name.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_name: Option<String>,
    /// The template's locale.
    #[serde(
        default,
        deserialize_with = "lenient::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub message_template_language: Option<String>,
    /// Completed: the category before.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub previous_category: Option<TemplateCategory>,
    /// Completed: the category now. Impending: the category the template has until the change.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub new_category: Option<TemplateCategory>,
    /// Impending: the category the template will get.
    #[serde(
        default,
        deserialize_with = "lenient::wire",
        skip_serializing_if = "Option::is_none"
    )]
    pub correct_category: Option<TemplateCategory>,
    /// Impending: when the change happens, in Unix seconds (a number).
    #[serde(
        default,
        deserialize_with = "lenient::int",
        skip_serializing_if = "Option::is_none"
    )]
    pub category_update_timestamp: Option<i64>,
}

impl TemplateCategoryUpdate {
    /// Whether this announces a change still to come rather than one made.
    pub const fn is_impending(&self) -> bool {
        self.correct_category.is_some() && self.previous_category.is_none()
    }

    /// The category the template has once this update is done: `correct_category` for an
    /// impending change, `new_category` for a completed one.
    pub const fn resulting_category(&self) -> Option<&TemplateCategory> {
        if self.is_impending() {
            self.correct_category.as_ref()
        } else {
            self.new_category.as_ref()
        }
    }
}

/// Field readers that turn a missing, `null` or mistyped value into `None` (or an empty list)
/// instead of an error.
mod lenient {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    /// A string, or a number as its digits (Graph IDs arrive both ways).
    pub fn text_of(value: Option<&Value>) -> Option<String> {
        match value? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// A whole number, or a string of one (Meta's timestamps are strings in some fields and
    /// numbers in others).
    pub fn int_of(value: &Value) -> Option<i64> {
        match value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// The items of an array, a lone non-null value as a list of one, `null` as none.
    fn items(value: Value) -> Vec<Value> {
        match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            other => vec![other],
        }
    }

    pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Ok(text_of(Some(&Value::deserialize(d)?)))
    }

    pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        Ok(int_of(&Value::deserialize(d)?))
    }

    pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::Bool(b) => Some(b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        })
    }

    /// A wire enum from a string; anything else is `None`.
    pub fn wire<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: for<'a> From<&'a str>,
    {
        Ok(Value::deserialize(d)?.as_str().map(T::from))
    }

    /// A nested object that reads as `T`; anything else is `None`.
    pub fn object<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(super::decode(&Value::deserialize(d)?))
    }

    /// A nested object that reads as `T`, or `T`'s default.
    pub fn object_or_default<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned + Default,
    {
        Ok(object(d)?.unwrap_or_default())
    }

    /// The items that read as `T`; the others are skipped.
    pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: DeserializeOwned,
    {
        Ok(items(Value::deserialize(d)?)
            .iter()
            .filter_map(super::decode)
            .collect())
    }

    /// Every string (or number) of a list; anything else is skipped.
    pub fn texts<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Ok(items(Value::deserialize(d)?)
            .iter()
            .filter_map(|v| text_of(Some(v)))
            .collect())
    }

    /// Any value other than `null`, as sent.
    pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        Ok(Some(Value::deserialize(d)?).filter(|v| !v.is_null()))
    }
}

/// Unix seconds written as a string (`"1750030073"`), read from a string or a number.
mod seconds_text {
    use serde::{Deserializer, Serializer};

    #[expect(
        clippy::ref_option,
        reason = "serde hands `serialize_with` a reference to the field"
    )]
    pub fn serialize<S: Serializer>(value: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(seconds) => s.collect_str(seconds),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        super::lenient::int(d)
    }
}

/// An ID kept as digits, written as a JSON number when it is one (template IDs), read from a
/// number or a string.
mod digits_number {
    use serde::{Deserializer, Serializer};

    #[expect(
        clippy::ref_option,
        reason = "serde hands `serialize_with` a reference to the field"
    )]
    pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
        match value.as_deref() {
            Some(digits) => match digits.parse::<u64>() {
                Ok(n) => s.serialize_u64(n),
                Err(_) => s.serialize_str(digits),
            },
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        super::lenient::text(d)
    }
}

/// Defines a field module for a text kept flat in Rust but nested one level on the wire
/// (`error_data.details`, `profile.username`, `disable_info.disable_date`).
macro_rules! nested_text {
    ($(#[$meta:meta])* $module:ident, $key:literal) => {
        $(#[$meta])*
        mod $module {
            use serde::ser::SerializeMap;
            use serde::{Deserialize, Deserializer, Serializer};
            use serde_json::Value;

            #[expect(
                clippy::ref_option,
                reason = "serde hands `serialize_with` a reference to the field"
            )]
            pub fn serialize<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(1))?;
                map.serialize_entry($key, value)?;
                map.end()
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
                Ok(super::lenient::text_of(Value::deserialize(d)?.get($key)))
            }
        }
    };
}

nested_text!(
    /// `error_data: {"details"}` of a status error.
    error_details,
    "details"
);
nested_text!(
    /// `profile: {"username"}` of a status contact.
    profile_username,
    "username"
);
nested_text!(
    /// `disable_info: {"disable_date"}` of a template status update.
    disable_date,
    "disable_date"
);

/// `origin: {"type"}` of a conversation.
mod origin_type {
    use serde::ser::SerializeMap;
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::Value;

    use super::PricingCategory;

    #[expect(
        clippy::ref_option,
        reason = "serde hands `serialize_with` a reference to the field"
    )]
    pub fn serialize<S: Serializer>(
        value: &Option<PricingCategory>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry("type", value)?;
        map.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<PricingCategory>, D::Error> {
        Ok(Value::deserialize(d)?
            .get("type")
            .and_then(Value::as_str)
            .map(PricingCategory::from_wire))
    }
}

#[cfg(test)]
mod tests;
