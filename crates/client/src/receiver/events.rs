//! Meta's webhook envelope and the typed events inside it.
//!
//! A delivery is `{"object": "whatsapp_business_account", "entry": [{"id", "time"?, "changes":
//! [{"field", "value"}]}]}`. [`parse`] turns it into a [`Notification`] whose every change carries
//! its typed [`Event`]s: `account_update` events, message statuses and `user_actions` on the
//! `messages` field, and template status and category updates.
//!
//! Parsing is lenient on purpose. Meta adds event names, enum values and fields without a
//! version bump, and a receiver that rejects what it does not know loses webhooks it can never
//! fetch again. So the only error is a body that is not a JSON object at all; inside it, an
//! unknown field or event becomes [`Event::Unknown`], an unknown enum value becomes that enum's
//! `Other(text)`, a missing or mistyped optional field becomes `None`, and the raw `value` of
//! every change is kept beside its events for whatever this module does not model.

use std::fmt;

use serde_json::{Map, Value};

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
        let Value::Object(mut map) = value else {
            return Err(ParseError::NotAnObject);
        };
        let object = text(map.get("object")).unwrap_or_default();
        let entry = list(map.remove("entry"))
            .into_iter()
            .map(Entry::from_value)
            .collect();
        Ok(Self { object, entry })
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

impl Entry {
    fn from_value(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            // Not an entry at all: keep it whole rather than lose it.
            return Self {
                id: String::new(),
                time: None,
                changes: vec![Change::unknown(String::new(), value)],
            };
        };
        Self {
            id: text(map.get("id")).unwrap_or_default(),
            time: int(map.get("time")),
            changes: list(map.remove("changes"))
                .into_iter()
                .map(Change::from_value)
                .collect(),
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

impl Change {
    fn from_value(value: Value) -> Self {
        let Value::Object(mut map) = value else {
            return Self::unknown(String::new(), value);
        };
        let value = map.remove("value").unwrap_or(Value::Null);
        // One of Meta's documented examples puts `field` inside `value`; accept both places.
        let field = text(map.get("field"))
            .or_else(|| text(value.get("field")))
            .unwrap_or_default();
        let events = events_of(&field, &value);
        Self {
            field,
            value,
            events,
        }
    }

    fn unknown(field: String, value: Value) -> Self {
        Self {
            events: vec![Event::Unknown {
                field: field.clone(),
                value: value.clone(),
            }],
            field,
            value,
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
        "account_update" => AccountUpdate::from_value(value).map(|e| vec![Event::AccountUpdate(e)]),
        "messages" => messages(value),
        "message_template_status_update" => {
            TemplateStatusUpdate::from_value(value).map(|e| vec![Event::TemplateStatusUpdate(e)])
        }
        "template_category_update" => TemplateCategoryUpdate::from_value(value)
            .map(|e| vec![Event::TemplateCategoryUpdate(e)]),
        _ => None,
    };
    typed.unwrap_or_else(|| {
        vec![Event::Unknown {
            field: field.to_owned(),
            value: value.clone(),
        }]
    })
}

/// Defines an enum of wire strings that keeps values it does not know as `Other(text)`.
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountUpdate {
    /// What happened.
    pub event: AccountEvent,
    /// Which WABA, business and partner it concerns (onboarding and partner events).
    pub waba_info: Option<WabaInfo>,
    /// The number, digits only (coexistence `PARTNER_REMOVED`, `ACCOUNT_OFFBOARDED`).
    pub phone_number: Option<String>,
    /// Why and by whom a coexistence number was disconnected.
    pub disconnection_info: Option<DisconnectionInfo>,
    /// The ban of a `DISABLED_UPDATE`.
    pub ban_info: Option<BanInfo>,
    /// The violation of an `ACCOUNT_VIOLATION`.
    pub violation_info: Option<ViolationInfo>,
    /// The new country of a `BUSINESS_PRIMARY_LOCATION_COUNTRY_UPDATE`.
    pub country: Option<String>,
    /// The restrictions of an `ACCOUNT_RESTRICTION`, as sent (their shape is not pinned down).
    pub restriction_info: Option<Value>,
    /// The tier of a `VOLUME_BASED_PRICING_TIER_UPDATE`, as sent.
    pub volume_tier_info: Option<Value>,
}

impl AccountUpdate {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        // Without an event name there is nothing to classify: the change stays unknown.
        let event = AccountEvent::from_wire(map.get("event")?.as_str()?);
        Some(Self {
            event,
            waba_info: map.get("waba_info").and_then(WabaInfo::from_value),
            phone_number: text(map.get("phone_number")),
            disconnection_info: map
                .get("disconnection_info")
                .and_then(DisconnectionInfo::from_value),
            ban_info: map.get("ban_info").and_then(BanInfo::from_value),
            violation_info: map
                .get("violation_info")
                .and_then(ViolationInfo::from_value),
            country: text(map.get("country")),
            restriction_info: present(map.get("restriction_info")),
            volume_tier_info: present(map.get("volume_tier_info")),
        })
    }

    /// The WABA this event concerns, from `waba_info.waba_id`; Meta's documents say to key on
    /// it rather than on `entry.id`.
    pub fn waba_id(&self) -> Option<&str> {
        self.waba_info.as_ref()?.waba_id.as_deref()
    }
}

/// `waba_info` of an `account_update`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WabaInfo {
    /// The WABA.
    pub waba_id: Option<String>,
    /// The business portfolio that owns it.
    pub owner_business_id: Option<String>,
    /// The linked ad account of `AD_ACCOUNT_LINKED`: read from `ad_account_linked`, or from
    /// `ad_account_id`, the name one of Meta's guides uses.
    pub ad_account_id: Option<String>,
    /// The partner's app (`PARTNER_APP_INSTALLED`).
    pub partner_app_id: Option<String>,
    /// The multi-partner solution, when there is one.
    pub solution_id: Option<String>,
    /// The Solution Partners' businesses (empty when absent).
    pub solution_partner_business_ids: Vec<String>,
}

impl WabaInfo {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            waba_id: text(map.get("waba_id")),
            owner_business_id: text(map.get("owner_business_id")),
            ad_account_id: text(map.get("ad_account_linked"))
                .or_else(|| text(map.get("ad_account_id"))),
            partner_app_id: text(map.get("partner_app_id")),
            solution_id: text(map.get("solution_id")),
            solution_partner_business_ids: texts(map.get("solution_partner_business_ids")),
        })
    }
}

/// `disconnection_info` of a coexistence offboarding or reconnection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisconnectionInfo {
    /// Why.
    pub reason: Option<DisconnectionReason>,
    /// Who.
    pub initiated_by: Option<InitiatedBy>,
}

impl DisconnectionInfo {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            reason: wire(map.get("reason"), DisconnectionReason::from_wire),
            initiated_by: wire(map.get("initiated_by"), InitiatedBy::from_wire),
        })
    }
}

/// `ban_info` of a `DISABLED_UPDATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanInfo {
    /// The ban state.
    pub waba_ban_state: Option<BanState>,
    /// The ban date as Meta writes it, e.g. `April 17, 2025`.
    pub waba_ban_date: Option<String>,
}

impl BanInfo {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            waba_ban_state: wire(map.get("waba_ban_state"), BanState::from_wire),
            waba_ban_date: text(map.get("waba_ban_date")),
        })
    }
}

/// `violation_info` of an `ACCOUNT_VIOLATION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViolationInfo {
    /// The violation, e.g. `SCAM`.
    pub violation_type: Option<String>,
}

impl ViolationInfo {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            violation_type: text(map.get("violation_type")),
        })
    }
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

/// The `metadata` of a `messages` change: which business number it concerns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The business number, digits only.
    pub display_phone_number: Option<String>,
    /// The business number's ID.
    pub phone_number_id: Option<String>,
}

impl Metadata {
    fn from_value(value: Option<&Value>) -> Self {
        let Some(map) = value.and_then(Value::as_object) else {
            return Self::default();
        };
        Self {
            display_phone_number: text(map.get("display_phone_number")),
            phone_number_id: text(map.get("phone_number_id")),
        }
    }
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
    fn from_value(
        value: &Value,
        metadata: &Metadata,
        product: Option<&String>,
        contacts: &[StatusContact],
    ) -> Option<Self> {
        let map = value.as_object()?;
        let status = DeliveryStatus::from_wire(map.get("status")?.as_str()?);
        let recipient_id = text(map.get("recipient_id"));
        let recipient_user_id = text(map.get("recipient_user_id"));
        Some(Self {
            metadata: metadata.clone(),
            messaging_product: product.cloned(),
            id: text(map.get("id")),
            status,
            timestamp: int(map.get("timestamp")),
            contact: StatusContact::matching(
                contacts,
                recipient_user_id.as_deref(),
                recipient_id.as_deref(),
            ),
            recipient_id,
            recipient_user_id,
            recipient_parent_user_id: text(map.get("recipient_parent_user_id")),
            biz_opaque_callback_data: text(map.get("biz_opaque_callback_data")),
            conversation: map.get("conversation").and_then(Conversation::from_value),
            pricing: map.get("pricing").and_then(Pricing::from_value),
            errors: list_ref(map.get("errors"))
                .iter()
                .filter_map(StatusError::from_value)
                .collect(),
        })
    }
}

/// One entry of the `contacts` array of a status change: who the status is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusContact {
    /// The recipient's number, digits only (omitted when the user hides it behind a username
    /// and the message went to their BSUID).
    pub wa_id: Option<String>,
    /// The recipient's business-scoped user ID.
    pub user_id: Option<String>,
    /// The recipient's parent BSUID, when parent BSUIDs are enabled.
    pub parent_user_id: Option<String>,
    /// `profile.username`, when the user has one (with `delivered` and `read`).
    pub username: Option<String>,
}

impl StatusContact {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            wa_id: text(map.get("wa_id")),
            user_id: text(map.get("user_id")),
            parent_user_id: text(map.get("parent_user_id")),
            username: text(map.get("profile").and_then(|p| p.get("username"))),
        })
    }

    /// The entry for a status's recipient: the one with its BSUID, else the one with its
    /// number, else the only one (a status change names a single recipient).
    fn matching(contacts: &[Self], user_id: Option<&str>, wa_id: Option<&str>) -> Option<Self> {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The conversation ID.
    pub id: Option<String>,
    /// When the conversation expires, in Unix seconds (with `sent`).
    pub expiration_timestamp: Option<i64>,
    /// `origin.type`: `marketing_lite` for MM API messages.
    pub origin_type: Option<PricingCategory>,
}

impl Conversation {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            id: text(map.get("id")),
            expiration_timestamp: int(map.get("expiration_timestamp")),
            origin_type: wire(
                map.get("origin").and_then(|o| o.get("type")),
                PricingCategory::from_wire,
            ),
        })
    }
}

/// `pricing` of a message status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pricing {
    /// Whether the message is charged (slated for deprecation by Meta).
    pub billable: Option<bool>,
    /// `PMP` or `CBP`.
    pub pricing_model: Option<PricingModel>,
    /// `type`: `regular`, `free_customer_service` or `free_entry_point`.
    pub kind: Option<PricingType>,
    /// `marketing_lite` when the message went through MM API, `marketing` after a fallback.
    pub category: Option<PricingCategory>,
}

impl Pricing {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            billable: boolean(map.get("billable")),
            pricing_model: wire(map.get("pricing_model"), PricingModel::from_wire),
            kind: wire(map.get("type"), PricingType::from_wire),
            category: wire(map.get("category"), PricingCategory::from_wire),
        })
    }
}

/// One of the `errors` of a failed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusError {
    /// The error code, e.g. `131049`.
    pub code: Option<i64>,
    /// A short title.
    pub title: Option<String>,
    /// The message.
    pub message: Option<String>,
    /// `error_data.details`.
    pub details: Option<String>,
    /// Where the code is documented.
    pub href: Option<String>,
}

impl StatusError {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            code: int(map.get("code")),
            title: text(map.get("title")),
            message: text(map.get("message")),
            details: text(map.get("error_data").and_then(|d| d.get("details"))),
            href: text(map.get("href")),
        })
    }
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
    fn from_value(value: &Value, metadata: &Metadata, product: Option<&String>) -> Option<Self> {
        let map = value.as_object()?;
        let action = UserActionKind::from_wire(map.get("action_type")?.as_str()?);
        Some(Self {
            metadata: metadata.clone(),
            messaging_product: product.cloned(),
            action,
            timestamp: int(map.get("timestamp")),
            link_click: map
                .get("marketing_messages_link_click_data")
                .and_then(LinkClick::from_value),
        })
    }
}

/// `marketing_messages_link_click_data`. It names neither the message nor the recipient;
/// `click_id` is also appended to the landing URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClick {
    /// Which part of the message was clicked.
    pub click_component: Option<ClickComponent>,
    /// The click's ID.
    pub click_id: Option<String>,
    /// The product, for catalogue messages.
    pub product_id: Option<String>,
    /// The tracking token, when the message set one.
    pub tracking_token: Option<String>,
}

impl LinkClick {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        Some(Self {
            click_component: wire(map.get("click_component"), ClickComponent::from_wire),
            click_id: text(map.get("click_id")),
            product_id: text(map.get("product_id")),
            tracking_token: text(map.get("tracking_token")),
        })
    }
}

/// The status and user action events of a `messages` value, or `None` when it has neither
/// (such as inbound messages, which this module does not model).
fn messages(value: &Value) -> Option<Vec<Event>> {
    let map = value.as_object()?;
    let metadata = Metadata::from_value(map.get("metadata"));
    let product = text(map.get("messaging_product"));
    let unknown = |item: &Value| Event::Unknown {
        field: "messages".to_owned(),
        value: item.clone(),
    };
    let contacts: Vec<StatusContact> = list_ref(map.get("contacts"))
        .iter()
        .filter_map(StatusContact::from_value)
        .collect();
    let mut events = Vec::new();
    for item in list_ref(map.get("statuses")) {
        events.push(
            MessageStatus::from_value(item, &metadata, product.as_ref(), &contacts)
                .map_or_else(|| unknown(item), Event::MessageStatus),
        );
    }
    for item in list_ref(map.get("user_actions")) {
        events.push(
            UserAction::from_value(item, &metadata, product.as_ref())
                .map_or_else(|| unknown(item), Event::UserAction),
        );
    }
    (!events.is_empty()).then_some(events)
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherInfo {
    /// E.g. `FIRST_PAUSE`.
    pub title: Option<String>,
    /// A sentence for people.
    pub description: Option<String>,
}

/// A `message_template_status_update` change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStatusUpdate {
    /// What happened to the template.
    pub event: TemplateStatus,
    /// The template's ID (Meta sends a number; kept as its digits).
    pub message_template_id: Option<String>,
    /// The template's name.
    pub message_template_name: Option<String>,
    /// The template's locale, e.g. `en_US`.
    pub message_template_language: Option<String>,
    /// Why, e.g. `INCORRECT_CATEGORY`; Meta sends `NONE` when there is no reason.
    pub reason: Option<String>,
    /// The template's category (with `APPROVED` and `PENDING`).
    pub message_template_category: Option<TemplateCategory>,
    /// `disable_info.disable_date`, as sent.
    pub disable_date: Option<String>,
    /// Details of a pause or lock.
    pub other_info: Option<OtherInfo>,
}

impl TemplateStatusUpdate {
    fn from_value(value: &Value) -> Option<Self> {
        let map = value.as_object()?;
        let event = TemplateStatus::from_wire(map.get("event")?.as_str()?);
        Some(Self {
            event,
            message_template_id: text(map.get("message_template_id")),
            message_template_name: text(map.get("message_template_name")),
            message_template_language: text(map.get("message_template_language")),
            reason: text(map.get("reason")),
            message_template_category: wire(
                map.get("message_template_category"),
                TemplateCategory::from_wire,
            ),
            disable_date: text(map.get("disable_info").and_then(|d| d.get("disable_date"))),
            other_info: map
                .get("other_info")
                .and_then(Value::as_object)
                .map(|o| OtherInfo {
                    title: text(o.get("title")),
                    description: text(o.get("description")),
                }),
        })
    }
}

/// A `template_category_update` change: impending (announced ahead, with
/// `correct_category`) or completed (with `previous_category`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateCategoryUpdate {
    /// The template's ID (Meta sends a number; kept as its digits).
    pub message_template_id: Option<String>,
    /// The template's name.
    pub message_template_name: Option<String>,
    /// The template's locale.
    pub message_template_language: Option<String>,
    /// Completed: the category before.
    pub previous_category: Option<TemplateCategory>,
    /// Completed: the category now. Impending: the category the template has until the change.
    pub new_category: Option<TemplateCategory>,
    /// Impending: the category the template will get.
    pub correct_category: Option<TemplateCategory>,
    /// Impending: when the change happens, in Unix seconds.
    pub category_update_timestamp: Option<i64>,
}

impl TemplateCategoryUpdate {
    fn from_value(value: &Value) -> Option<Self> {
        let map: &Map<String, Value> = value.as_object()?;
        let category = |key: &str| wire(map.get(key), TemplateCategory::from_wire);
        Some(Self {
            message_template_id: text(map.get("message_template_id")),
            message_template_name: text(map.get("message_template_name")),
            message_template_language: text(map.get("message_template_language")),
            previous_category: category("previous_category"),
            new_category: category("new_category"),
            correct_category: category("correct_category"),
            category_update_timestamp: int(map.get("category_update_timestamp")),
        })
    }

    /// Whether this announces a change still to come rather than one made.
    pub fn is_impending(&self) -> bool {
        self.correct_category.is_some() && self.previous_category.is_none()
    }

    /// The category the template has once this update is done: `correct_category` for an
    /// impending change, `new_category` for a completed one.
    pub fn resulting_category(&self) -> Option<&TemplateCategory> {
        if self.is_impending() {
            self.correct_category.as_ref()
        } else {
            self.new_category.as_ref()
        }
    }
}

/// A string, or a number as its digits (Graph IDs arrive both ways).
fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A whole number, or a string of one (Meta's timestamps are strings in some fields and
/// numbers in others).
fn int(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn boolean(value: Option<&Value>) -> Option<bool> {
    match value? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Every string (or number) of an array; anything else is skipped.
fn texts(value: Option<&Value>) -> Vec<String> {
    list_ref(value)
        .iter()
        .filter_map(|v| text(Some(v)))
        .collect()
}

/// A wire enum from a string; a missing or non-string value is `None`.
fn wire<T>(value: Option<&Value>, from_wire: fn(&str) -> T) -> Option<T> {
    value.and_then(Value::as_str).map(from_wire)
}

/// A value other than `null`.
fn present(value: Option<&Value>) -> Option<Value> {
    value.filter(|v| !v.is_null()).cloned()
}

/// An owned list: an array's items, a lone non-null value as a list of one, `null` or
/// nothing as none.
fn list(value: Option<Value>) -> Vec<Value> {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![other],
    }
}

/// A borrowed list, read like [`list`].
fn list_ref(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => &[],
        Some(other) => std::slice::from_ref(other),
    }
}

#[cfg(test)]
mod tests;
